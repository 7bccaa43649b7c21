"""Errors the CLI prints as one line (`greenstream: error: ...`), never a traceback.

The exit code tells a script what went wrong: 2 for a usage error (the command line or the
environment is wrong: fix the call), 1 for a run that failed although the call was right
(the warehouse is unreachable or locked, there is nothing to show yet, the warehouse
refused a statement). A file sent to the dead letter and a failed build exit 1 too.
"""


class OneLineError(Exception):
    """The message says what happened and what to do, in one line."""

    exit_code = 1


class UserError(OneLineError):
    """A usage mistake the user fixes in the call (a bad path, flag, var, target or key)."""

    exit_code = 2


class RunFailed(OneLineError):
    """The call was right, but the run could not do its job."""


class WarehouseUnavailable(RunFailed):
    """The warehouse cannot be reached (PostgreSQL down) or opened (DuckDB file locked)."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none), for a
    one-line report."""
    # PyHive (Spark) raises with the server's whole response: its message is in the status
    status = getattr(error.args[0], "status", None) if error.args else None
    text = str(getattr(status, "errorMessage", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
