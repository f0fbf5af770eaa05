"""The one exception tree of duckfix.

Every error that reaches a user is a :class:`DuckfixError`; the CLI prints its
message on one line and exits with its ``exit_code``. Third-party errors are
converted at the boundary (``raise TaskError(...) from exc``).

::

    DuckfixError
    ├── UsageError              exit 2: the input is wrong; the user must change it
    │   ├── ConfigError         a setting is missing, mistyped or out of range
    │   ├── TaskError           a task folder or suite is malformed
    │   └── NotFoundError       a named thing (suite, run, file) does not exist
    └── JobError                exit 1: the input was fine, the job could not finish
        ├── SandboxError        the sandbox could not start or supervise a run
        └── StoreError          the database could not be opened or migrated
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DuckfixError",
    "JobError",
    "NotFoundError",
    "SandboxError",
    "StoreError",
    "TaskError",
    "UsageError",
]


class DuckfixError(Exception):
    """Base of every error duckfix raises on purpose; its message is for users."""

    exit_code = 1


class UsageError(DuckfixError):
    """The user's input (arguments, files, settings) is wrong; exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting from a file, the environment or a flag is invalid."""


class TaskError(UsageError):
    """A task or suite is malformed; the message names the file and the problem."""


class NotFoundError(UsageError):
    """Something the user named does not exist (a suite, a run, a path)."""


class JobError(DuckfixError):
    """The input was valid but the job failed; exit code 1."""

    exit_code = 1


class SandboxError(JobError):
    """The sandbox could not set up, start or supervise a run."""


class StoreError(JobError):
    """The results store could not be opened, migrated or written."""
