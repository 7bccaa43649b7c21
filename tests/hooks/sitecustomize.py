"""A test hook that never ships: Python imports this module at start-up in the processes
whose PYTHONPATH the tests point here (conftest.failing_builds).

With GREENSTREAM_TEST_FAIL_BUILDS=N, the first N dbt invocations of the process fail their
first seed, snapshot or model with an injected "server closed the connection
unexpectedly" database error, so that the build's retry path is tested end to end.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

FAILING = int(os.environ.get("GREENSTREAM_TEST_FAIL_BUILDS") or 0)


def _install() -> None:
    from dbt.cli.main import dbtRunner
    from dbt.task.run import ModelRunner  # seeds and snapshots run through it too
    from dbt_common.exceptions import DbtDatabaseError

    invocations = itertools.count(1)
    invoke = dbtRunner.invoke

    def failing_invoke(runner: Any, args: Any, **kwargs: Any) -> Any:
        if next(invocations) > FAILING:
            return invoke(runner, args, **kwargs)
        execute = ModelRunner.execute
        fired = threading.Event()
        lock = threading.Lock()

        def failing_execute(model_runner: Any, model: Any, manifest: Any) -> Any:
            with lock:
                first = not fired.is_set()
                fired.set()
            if first:
                raise DbtDatabaseError(
                    "server closed the connection unexpectedly "
                    "(injected by GREENSTREAM_TEST_FAIL_BUILDS)"
                )
            return execute(model_runner, model, manifest)

        ModelRunner.execute = failing_execute  # type: ignore[method-assign]
        try:
            return invoke(runner, args, **kwargs)
        finally:
            ModelRunner.execute = execute  # type: ignore[method-assign]

    dbtRunner.invoke = failing_invoke  # type: ignore[method-assign]


if FAILING:
    _install()
