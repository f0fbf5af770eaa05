"""Check coverage: which review checks ran on which files, and which could not, and why.

Coverage travels beside a review's findings, never among them: a check that
could not run (ruff missing, a file that does not compile with the flags known
here) is a fact about the run, not about the code, so it is shown in a summary
line, a JSON field, SARIF ``invocations`` and b4's details, and never mailed
to an author or printed on a push as if it were a finding.

The records are plain dataclasses, like :class:`~duckfix.findings.Finding`:
the pre-push hook imports no pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

__all__ = [
    "COVERAGE_STATUSES",
    "CheckCoverage",
    "CheckRun",
    "CoverageStatus",
    "coverage_line",
    "summarize",
]

CoverageStatus = Literal["ran", "not-run"]
COVERAGE_STATUSES: tuple[str, ...] = get_args(CoverageStatus)


@dataclass(frozen=True)
class CheckRun:
    """One check on one file (or one commit): it ran, or it could not and why."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid", "frozen": True}

    check: str
    """The check's name, as ``review.checks`` spells it (``python``, ``c``, ``checkpatch``)."""
    path: str
    """The file's path in the repository, or ``COMMIT_MSG`` for a check of a commit."""
    status: CoverageStatus
    reason: str = ""
    """Why it could not run; empty when it ran."""

    def __post_init__(self) -> None:
        if self.status not in COVERAGE_STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(COVERAGE_STATUSES)}")


@dataclass
class CheckCoverage:
    """One check's coverage over a review: the files it ran on and those it could not."""

    check: str
    ran: list[str] = field(default_factory=list)
    not_run: list[dict[str, str]] = field(default_factory=list)
    """``{"path": ..., "reason": ...}`` per file the check could not run on."""


def summarize(runs: Iterable[CheckRun], order: Sequence[str] = ()) -> list[CheckCoverage]:
    """Per check (in ``order``, then the rest by name): where it ran and where it could not."""
    by_check: dict[str, CheckCoverage] = {}
    for run in runs:
        entry = by_check.setdefault(run.check, CheckCoverage(check=run.check))
        if run.status == "ran":
            if run.path not in entry.ran:
                entry.ran.append(run.path)
        elif not any(n["path"] == run.path for n in entry.not_run):
            entry.not_run.append({"path": run.path, "reason": run.reason})
    rank = {name: i for i, name in enumerate(order)}
    return sorted(by_check.values(), key=lambda c: (rank.get(c.check, len(rank)), c.check))


def coverage_line(runs: Iterable[CheckRun], order: Sequence[str] = ()) -> str:
    """One line: ``ran: hygiene 3, python 2; could not run: c on 1 file (src/x.c: ...)``."""
    summary = summarize(runs, order)
    ran = [f"{c.check} {len(c.ran)}" for c in summary if c.ran]
    missed = [c for c in summary if c.not_run]
    parts = [f"ran: {', '.join(ran)}" if ran else "ran: nothing"]
    if missed:
        said = []
        for c in missed:
            first = c.not_run[0]
            more = f" and {len(c.not_run) - 1} more" if len(c.not_run) > 1 else ""
            files = "file" if len(c.not_run) == 1 else "files"
            said.append(
                f"{c.check} on {len(c.not_run)} {files} ({first['path']}: {first['reason']}{more})"
            )
        parts.append(f"could not run: {'; '.join(said)}")
    return "; ".join(parts)
