"""Run resilience (pipeline.py): which dbt failures are retried, how, and what is recorded.

- The retry loop is checked in-process against canned dbt results: commands, delays,
  attempt limit, the stop request.
- The verdict on real dbt messages (PostgreSQL, DuckDB) is checked on their text.
- `greenstream build` and `greenstream run` are run for real on both engines against a
  small copy of the dbt project (the seeds, the macros and one singular test that always
  fails), so that each takes seconds: a build is recorded in audit.pipeline_runs; an
  injected transient failure is retried with `dbt retry`, and the failing data test that
  remains is recorded and not retried again.
  (A transient failure retried into a successful full build: test_watch.py.)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from greenstream import pipeline
from greenstream.settings import Settings

from conftest import ROOT, Warehouse, failing_builds

HEADER = "meter_id,timestamp,energy_value,energy_unit\n"
REFUSED = (
    'Database Error\n  connection to server at "127.0.0.1", port 1 failed: Connection refused\n'
    "  \tIs the server running on that host and accepting TCP/IP connections?"
)
CLOSED = (
    "Database Error in model meter_slots (models/silver/meter_slots.sql)\n"
    "  server closed the connection unexpectedly\n"
    "  \tThis probably means the server terminated abnormally"
)
LOCKED = (
    'IO Error: Could not set lock on file "/w/greenstream.duckdb": Conflicting lock is held in '
    "/usr/bin/python3 (PID 1)"
)
SYNTAX = (
    "Database Error in model meter_slots (models/silver/meter_slots.sql)\n"
    '  syntax error at or near "form"\n  LINE 3: select * form x'
)
FAILED_TEST = "Got 2 results, configured to fail if != 0"
PEAK_PERIODS = len((ROOT / "seeds" / "peak_periods.csv").read_text().splitlines()) - 1


def node(unique_id: str, status: str, message: str | None) -> Any:
    """A dbt RunResult (of a model, seed or test without stored failures)."""
    parts = unique_id.split(".")
    return SimpleNamespace(
        status=status,
        message=message,
        failures=None,
        execution_time=0.5,
        timing=[],
        adapter_response={},
        node=SimpleNamespace(unique_id=unique_id, resource_type=parts[0], name=parts[-1]),
    )


def ran(*nodes: Any) -> Any:
    """A dbtRunnerResult whose invocation ran these nodes."""
    failed = any(item.status in ("error", "fail") for item in nodes)
    return SimpleNamespace(
        success=not failed, exception=None, result=SimpleNamespace(results=nodes)
    )


def stopped(message: str) -> Any:
    """A dbtRunnerResult of an invocation that stopped before running any node."""
    return SimpleNamespace(success=False, exception=RuntimeError(message), result=None)


OK = node("model.greenstream.meter_slots", "success", "SELECT 96")


@pytest.mark.parametrize(
    ("result", "transient", "ran_nodes", "error"),
    [
        (ran(OK), False, True, None),
        (
            stopped(REFUSED),
            True,
            False,
            'Database Error connection to server at "127.0.0.1", '
            "port 1 failed: Connection refused Is the server running on that host and accepting "
            "TCP/IP connections?",
        ),
        (stopped(LOCKED), True, False, LOCKED),
        (stopped("Parsing Error\n  bad yaml"), False, False, "Parsing Error bad yaml"),
        (
            ran(OK, node("model.greenstream.meter_slots", "error", CLOSED)),
            True,
            True,
            "1 failed: model.greenstream.meter_slots: Database Error in model meter_slots "
            "(models/silver/meter_slots.sql) server closed the connection unexpectedly This "
            "probably means the server terminated abnormally",
        ),
        (
            ran(node("model.greenstream.meter_slots", "error", SYNTAX)),
            False,
            True,
            "1 failed: model.greenstream.meter_slots: Database Error in model meter_slots "
            '(models/silver/meter_slots.sql) syntax error at or near "form" LINE 3: select * '
            "form x",
        ),
        (
            ran(node("test.greenstream.t1", "fail", FAILED_TEST)),
            False,
            True,
            f"1 failed: test.greenstream.t1: {FAILED_TEST}",
        ),
        (  # a failing test beside a lost connection: worth a retry
            ran(
                node("test.greenstream.t1", "fail", FAILED_TEST),
                node("seed.greenstream.s", "error", CLOSED),
                node("test.greenstream.t2", "fail", FAILED_TEST),
                node("test.greenstream.t3", "fail", None),
            ),
            True,
            True,
            f"4 failed: test.greenstream.t1: {FAILED_TEST}; seed.greenstream.s: "
            "Database Error in model meter_slots (models/silver/meter_slots.sql) server closed "
            f"the connection unexpectedly This probably means the server terminated abnormally; "
            f"test.greenstream.t2: {FAILED_TEST} (+1 more)",
        ),
    ],
)
def test_judge(result: Any, transient: bool, ran_nodes: bool, error: str | None) -> None:
    verdict = pipeline.judge(result)
    assert (verdict.success, verdict.transient, verdict.ran_nodes, verdict.error) == (
        result.success,
        transient,
        ran_nodes,
        error,
    )


@pytest.mark.parametrize(
    ("results", "commands", "sleeps", "success", "attempts"),
    [
        ([ran(OK)], ["build"], [], True, 1),
        # a node lost its connection: `dbt retry` picks up from it
        ([ran(node("m", "error", CLOSED)), ran(OK)], ["build", "retry"], [2.0], True, 2),
        # dbt could not start: nothing to retry from, so build again; then resume
        (
            [stopped(REFUSED), ran(node("m", "error", CLOSED)), stopped(REFUSED), ran(OK)],
            ["build", "build", "retry", "retry"],
            [2.0, 4.0, 8.0],
            True,
            4,
        ),
        # never comes back: 4 attempts in all
        ([stopped(REFUSED)] * 4, ["build"] * 4, [2.0, 4.0, 8.0], False, 4),
        # a failing data test is not transient: recorded at once
        ([ran(node("t", "fail", FAILED_TEST))], ["build"], [], False, 1),
    ],
)
def test_build_retries_transient_failures_only(
    monkeypatch: pytest.MonkeyPatch,
    results: list[Any],
    commands: list[str],
    sleeps: list[float],
    success: bool,
    attempts: int,
) -> None:
    invoked: list[str] = []

    def run_dbt(command: list[str], settings: Settings, dbt_vars: Any = None) -> Any:
        invoked.append(command[0])
        return results[len(invoked) - 1]

    monkeypatch.setattr(pipeline, "run_dbt", run_dbt)
    slept: list[float] = []
    settings = Settings.from_env("postgres")
    result = pipeline.build(settings, {}, sleep=slept.append, jitter=lambda: 0.0)
    assert (invoked, slept, result.success, result.attempts) == (
        commands,
        sleeps,
        success,
        attempts,
    )
    if not success:
        assert result.error is not None
        assert result.error.endswith(f"(after {attempts} attempts)") == (attempts > 1)


def test_a_build_keeps_the_last_result_of_every_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dbt retry` reruns what failed or was skipped: the build's results are each node's last."""
    attempts = iter(
        [
            ran(
                OK,
                node("seed.greenstream.s", "error", CLOSED),
                node("test.greenstream.t", "skipped", None),
            ),
            ran(
                node("seed.greenstream.s", "success", "INSERT 4"),
                node("test.greenstream.t", "pass", None),
            ),
        ]
    )
    monkeypatch.setattr(pipeline, "run_dbt", lambda *args, **kwargs: next(attempts))
    result = pipeline.build(Settings.from_env("postgres"), {}, sleep=lambda seconds: None)
    assert (result.success, result.attempts) == (True, 2)
    assert [(found.unique_id, found.status) for found in result.nodes] == [
        ("model.greenstream.meter_slots", "success"),
        ("seed.greenstream.s", "success"),
        ("test.greenstream.t", "pass"),
    ]


def test_a_stop_request_ends_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "run_dbt", lambda *args, **kwargs: stopped(REFUSED))
    slept: list[float] = []
    result = pipeline.build(
        Settings.from_env("postgres"), {}, sleep=slept.append, stopping=lambda: True
    )
    assert (result.success, result.transient, result.attempts, slept) == (False, True, 1, [])


# -- the real commands on a small copy of the project --------------------------------------


def small_project(warehouse: Warehouse) -> Path:
    """The project's seeds (with their tests) and macros, and one singular test that always
    fails (2 rows)."""
    project = warehouse.root / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("seeds", "macros"):
        shutil.copytree(ROOT / folder, project / folder)
    for doc in (ROOT / "models").rglob("*.md"):  # doc blocks the macros' docs refer to
        (project / doc.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(doc, project / doc.relative_to(ROOT))
    shutil.copytree(ROOT / "tests" / "generic", project / "tests" / "generic")
    (project / "tests" / "always_fails.sql").write_text(
        "select 1 as failing_row union all select 2 as failing_row\n"
    )
    warehouse.env["GREENSTREAM_PROJECT_DIR"] = str(project)
    return project


def runs(warehouse: Warehouse) -> list[tuple[Any, ...]]:
    return warehouse.query(
        "select run_id, command, target, files, rows_landed, outcome, attempts, error, "
        "latency_seconds, file_latencies, started_at <= finished_at from audit.pipeline_runs "
        "order by started_at"
    )


def test_build_is_recorded(warehouse: Warehouse) -> None:
    small_project(warehouse)
    warehouse.cli("build", "--select", "unit_conversions")
    ((_, *run),) = runs(warehouse)
    assert run == ["build", warehouse.target, 0, 0, "success", 1, None, None, None, True]
    assert warehouse.scalar("select count(*) from bronze.unit_conversions") == 4
    assert warehouse.scalar("select count(*) from audit.alerts") == 0


def test_run_retries_a_transient_failure_and_records_the_failing_test(
    warehouse: Warehouse,
) -> None:
    small_project(warehouse)
    (warehouse.root / "r.csv").write_text(
        HEADER + "M1,2024-01-01 00:00,1,kWh\nM1,2024-01-01 00:15,2,kWh\n"
    )
    warehouse.env.update(failing_builds(1))
    result = warehouse.cli("run", "r.csv", check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("greenstream: transient build failure: 2 failed: ")
    assert "server closed the connection unexpectedly (injected by" in lines[-2]
    assert re.search(r"; dbt retry in [0-9.]+ s \(attempt 2 of 4\)$", lines[-2])
    assert lines[-1] == (
        "greenstream: error: dbt build failed: 1 failed: test.greenstream.always_fails: "
        "Got 2 results, configured to fail if != 0 (after 2 attempts)"
    )
    ((run_id, *run),) = runs(warehouse)
    error = "1 failed: test.greenstream.always_fails: Got 2 results, configured to fail if != 0"
    assert run == [
        "run",
        warehouse.target,
        1,
        2,
        "failed",
        2,
        f"{error} (after 2 attempts)",
        None,
        None,
        True,
    ]
    assert warehouse.query("select source, severity, subject, message from audit.alerts") == [
        ("run", "error", f"build {run_id}", f"{error} (after 2 attempts)")
    ]
    # the retry ran the seed that had failed: both seeds are there
    assert warehouse.scalar("select count(*) from bronze.unit_conversions") == 4
    assert warehouse.scalar("select count(*) from bronze.peak_periods") == PEAK_PERIODS
    assert warehouse.scalar("select count(*) from audit.always_fails") == 2
