"""The optional parts of duckfix (pip extras), and the error of a command that lacks one.

The base install holds what the review, the pre-push hook and the mail bot
need without a model; pre-commit installs just that into a hook's
environment. The agents' workflows (``debug``, ``bench``, ``tasks check``,
``dataset build``) and every use of a model need the ``agents`` extra.
"""

from __future__ import annotations

import importlib.util

from duckfix.errors import MissingExtraError

__all__ = ["EXTRA_OF", "missing_extra", "require"]

EXTRA_OF = {
    "langgraph": "agents",
    "openai": "agents",
    "matplotlib": "agents",
    "pytest": "agents",
    "fastapi": "serve",
    "uvicorn": "serve",
    "ray": "ray",
}
"""Top-level modules of the extras' packages -> the extra that installs them."""


def _error(module: str, extra: str) -> MissingExtraError:
    return MissingExtraError(
        f"this command needs the '{extra}' extra ({module} is not installed): "
        f"pip install 'duckfix[{extra}]'"
    )


def missing_extra(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The error to show for ``exc`` when the missing module comes with an extra."""
    top = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF.get(top)
    return _error(top, extra) if extra else None


def require(module: str) -> None:
    """Raise :class:`MissingExtraError` unless ``module`` (an extra's) can be imported.

    For a module used in another process (pytest runs inside the sandbox),
    where a missing one would surface as a failed run instead.
    """
    if importlib.util.find_spec(module) is None:
        raise _error(module, EXTRA_OF[module])
