"""The one exception type for mistakes a user can fix (bad paths, flags, files, knobs).

The CLI prints a ``UserError`` as a single ``medu1: error: ...`` line and exits with status 2
(the full traceback with ``-v``); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem in what the user asked for or supplied; its message says what and how to fix it."""


def no_rows_error(path: object) -> UserError:
    """The error for an input file that holds not a single row (empty, blank lines, ``[]``)."""
    return UserError(f"{path}: the file has no rows")
