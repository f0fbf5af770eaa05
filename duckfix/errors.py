"""The one exception tree of duckfix.

Every error that reaches a user is a :class:`DuckfixError`; the CLI prints its
message on one line and exits with its ``exit_code``. Third-party errors are
converted at the boundary (``raise TaskError(...) from exc``).

::

    DuckfixError
    ├── UsageError              exit 2: the input is wrong; the user must change it
    │   ├── ConfigError         a setting is missing, mistyped or out of range
    │   ├── TaskError           a task folder or suite is malformed
    │   ├── PatchError          a diff or patch e-mail cannot be read (names file and line)
    │   ├── RepositoryError     not a git repository, or a revision / range it lacks
    │   ├── NotFoundError       a named thing (suite, run, file) does not exist
    │   ├── MissingExtraError   the command needs an extra (pip install 'duckfix[agents]')
    │   └── ServerError         a duckfix server (--server) refused the request
    │       └── ServerUnavailable   it could not be reached, or did not answer in time
    └── JobError                exit 1: the input was fine, the job could not finish
        ├── SandboxError        the sandbox could not start or supervise a run
        ├── ExecutorError       the batch executor (a Ray cluster) could not start or lost a task
        ├── StoreError          the database could not be opened or migrated
        ├── CheckNotRun         a review check could not run on a file (coverage, not a finding)
        ├── JobStopped          a server job was cancelled, or its worker lost it: stop now
        ├── RemoteJobFailed     a job sent to a server ended failed (its exit code kept)
        └── LLMError            a model call could not give a usable answer
            ├── LLMUnavailableError  no model is configured (provider "none")
            ├── LLMRequestError      the endpoint refused, or kept failing after retries
            ├── LLMOutputError       the answer did not validate, even after a repair turn
            └── BudgetExhausted      the run's call or token budget is spent

    KeyboardInterrupt
    └── Terminated              SIGTERM, ended like Ctrl-C (exit 130)
"""

from __future__ import annotations

__all__ = [
    "BudgetExhausted",
    "CheckNotRun",
    "ConfigError",
    "DuckfixError",
    "ExecutorError",
    "JobError",
    "JobStopped",
    "LLMError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMUnavailableError",
    "MissingExtraError",
    "NotFoundError",
    "PatchError",
    "RemoteJobFailed",
    "RepositoryError",
    "SandboxError",
    "ServerError",
    "ServerUnavailable",
    "StoreError",
    "TaskError",
    "Terminated",
    "UsageError",
    "failure_reason",
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


class PatchError(UsageError):
    """A diff, patch e-mail or mbox is malformed; the message names the file and line."""


class RepositoryError(UsageError):
    """A git repository, revision or range the user named cannot be used."""


class NotFoundError(UsageError):
    """Something the user named does not exist (a suite, a run, a path)."""


class MissingExtraError(UsageError):
    """A command needs an optional part of duckfix that is not installed.

    The base install is small (pre-commit puts it in every hook environment);
    the message names the extra to install.
    """


class ServerError(UsageError):
    """A duckfix server refused a client's request (401, 404, 413, 429, ...); exit code 2.

    The client (``--server``) says the server's one-line reason, never the HTTP
    exchange: what to change is on the user's side (a token, a size, a URL).
    """


class ServerUnavailable(ServerError):
    """A duckfix server could not be reached, or did not answer within the time allowed.

    Apart from :class:`ServerError` because the pre-push hook and the mail bot
    fall back to a local review on this one, and only this one.
    """


class JobError(DuckfixError):
    """The input was valid but the job failed; exit code 1."""

    exit_code = 1


class SandboxError(JobError):
    """The sandbox could not set up, start or supervise a run."""


class ExecutorError(JobError):
    """The batch executor could not start (a Ray cluster to reach or boot) or lost a task."""


class StoreError(JobError):
    """The results store could not be opened, migrated or written."""


class CheckNotRun(JobError):
    """A review check could not run on a file: its tool is missing, timed out, or the
    file does not compile with the flags known here.

    It exists so that a fact about the run never becomes a fact about the code:
    the review records it in its coverage (which checks ran on which files, and
    why not), never as a finding, so nothing is mailed to an author or printed
    on a push because a tool could not run.
    """


class JobStopped(JobError):
    """A job of ``duckfix serve`` must stop at its next step.

    Its owner cancelled it, or its worker lost the lease (another server took
    the job over): the worker raises this from the pipeline's progress
    callbacks, the points between steps where stopping leaves nothing half
    written, and ends the job (or, having lost it, leaves it alone).
    """

    def __init__(self, message: str, *, lost: bool = False) -> None:
        super().__init__(message)
        self.lost = lost


class RemoteJobFailed(JobError):
    """A job sent to a server ended failed; its exit code is the one the local run would give."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class LLMError(JobError):
    """A model call could not produce a usable answer."""


class LLMUnavailableError(LLMError):
    """No model is configured; agents catch this and take their offline path."""


class LLMRequestError(LLMError):
    """The endpoint refused the request, or kept failing after the retries.

    ``status`` is the HTTP status when there was one (None for timeouts and
    dropped connections); ``retry_after`` the seconds the server asked for.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class LLMOutputError(LLMError):
    """The answer was not valid JSON for the expected model, even after one repair turn."""


class BudgetExhausted(LLMError):
    """The run's budget of model calls or tokens is spent; callers stop cleanly."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the run ends the way Ctrl-C ends it.

    A subclass rather than KeyboardInterrupt itself: CPython 3.11 remembers a
    bare KeyboardInterrupt that passed through certain C frames and then
    kills the process with SIGINT at exit, even after the CLI handled it and
    asked for exit code 130.
    """


def failure_reason(exc: BaseException) -> str:
    """One line saying why a job stopped: a DuckfixError's own message, else the exception."""
    if isinstance(exc, DuckfixError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C or SIGTERM)"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
