"""The deterministic checks: each reads one changed file (or one commit) and returns findings.

A file check is ``check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]``;
a commit check is ``check(commit: CommitInfo, repo: Path | None, settings) -> list[Finding]``.
Every finding sits on a line the diff adds (checks of file content filter their
tool's output to those lines) or, for a commit, on a line of its message under
the path ``COMMIT_MSG``. Checks never raise on odd input: a tool that is
missing or fails is reported as one ``note`` finding, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from duckfix.config import ReviewSettings
from duckfix.models import Finding
from duckfix.patches import CommitInfo, FileContext

__all__ = [
    "COMMIT_CHECKS",
    "FILE_CHECKS",
    "CommitCheck",
    "FileCheck",
    "run_commit_checks",
    "run_file_checks",
]

FileCheck = Callable[[FileContext, ReviewSettings], list[Finding]]
CommitCheck = Callable[[CommitInfo, "Path | None", ReviewSettings], list[Finding]]


def _file_checks() -> dict[str, FileCheck]:
    from duckfix.agents.review_checks import (
        c_warnings,
        hls,
        hygiene,
        leftovers,
        python_lint,
        secrets,
    )

    return {
        "hygiene": hygiene.check,
        "leftovers": leftovers.check,
        "secrets": secrets.check,
        "python": python_lint.check,
        "c": c_warnings.check,
        "hls": hls.check,
    }


def _commit_checks() -> dict[str, CommitCheck]:
    from duckfix.agents.review_checks import commit_message

    return {"commit": commit_message.check}


FILE_CHECKS = ("hygiene", "leftovers", "secrets", "python", "c", "hls")
COMMIT_CHECKS = ("commit",)


def run_file_checks(
    ctx: FileContext, settings: ReviewSettings, names: Sequence[str]
) -> list[Finding]:
    """Every named file check's findings on one file, in check order."""
    checks = _file_checks()
    out: list[Finding] = []
    for name in names:
        if name in checks:
            out += checks[name](ctx, settings)
    return out


def run_commit_checks(
    commit: CommitInfo, repo: Path | None, settings: ReviewSettings, names: Sequence[str]
) -> list[Finding]:
    """Every named commit check's findings on one commit."""
    checks = _commit_checks()
    out: list[Finding] = []
    for name in names:
        if name in checks:
            out += checks[name](commit, repo, settings)
    return out
