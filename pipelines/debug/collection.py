"""Telling a test file that cannot be imported from a program that fails its tests."""

from __future__ import annotations

from duckfix.models import TestReport

__all__ = ["uncollected"]

# Errors that stop a test module before any test runs and that no edit of a
# program line mends: the test names something the program does not define,
# a module is missing, or a file does not parse.
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError")


def uncollected(report: TestReport) -> str | None:
    """Why no test could run, when every outcome is a module that failed to import; else None.

    Debugging such a run would spend the whole budget: every candidate fails
    the same way and every line ranks 0.00. The reason quotes the error.
    """
    if not report.outcomes:
        return None
    errors: list[str] = []
    for outcome in report.outcomes:
        # pytest names a module that failed to collect by its path, without "::".
        if outcome.status != "error" or "::" in outcome.name:
            return None
        line = _error_line(outcome.message)
        if line is None:
            return None
        errors.append(f"{outcome.name}: {line}")
    return "; ".join(errors)


def _error_line(message: str) -> str | None:
    """pytest's ``E   ...`` line of an import-time error, if the message holds one."""
    for text in reversed(message.splitlines()):
        stripped = text.strip()
        if stripped.startswith("E ") and any(e in stripped for e in _IMPORT_ERRORS):
            return stripped[1:].strip()
    return None
