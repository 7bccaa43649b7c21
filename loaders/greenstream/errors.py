"""Errors that mean the user must act: the CLI prints them as one line, no traceback."""


class UserError(Exception):
    """A mistake the user can fix (bad path, bad vars, server not reachable, ...).

    The message says what happened and what to do, in one line.
    """
