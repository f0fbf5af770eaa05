"""The deterministic checks: each reads one changed file (or one commit) and returns findings.

A file check is ``check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]``;
a commit check is ``check(commit: CommitInfo, repo: Path | None, settings, conventions)
-> list[Finding]`` (the project's conventions, :mod:`duckfix.conventions`).
Every finding sits on a line the diff adds (checks of file content filter their
tool's output to those lines) or, for a commit, on a line of its message under
the path ``COMMIT_MSG``. A check that cannot run on a file (its tool is
missing or fails, the file's text is unknown, it does not compile with the
flags known here) raises :class:`~duckfix.errors.CheckNotRun`: that goes into
the review's coverage (:mod:`duckfix.coverage`), never into its findings.
Checks never raise anything else on odd input.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

from duckfix.conventions import Conventions
from duckfix.coverage import CheckRun
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, CommitInfo, FileContext
from duckfix.review_settings import ReviewSettings

__all__ = [
    "COMMIT_CHECKS",
    "FILE_CHECKS",
    "CommitCheck",
    "FileCheck",
    "file_checks_with_coverage",
    "run_commit_checks",
    "run_file_checks",
]

FileCheck = Callable[[FileContext, ReviewSettings], list[Finding]]
CommitCheck = Callable[
    [CommitInfo, "Path | None", ReviewSettings, "Conventions | None"], list[Finding]
]


# Check name -> (its module[:function], the file suffixes it reads; None: every
# file). A module is imported only when a file it can read is reviewed: the
# pre-push hook on a Python change does not pay for the C and HLS checks'
# imports. A check whose module has ``applies_<function>`` (the repository's
# own tools) runs, and is counted, only where that says the project uses it.
_C_LIKE = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx")
_FILE_CHECKS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "hygiene": ("hygiene", None),
    "leftovers": ("leftovers", None),
    "secrets": ("secrets", None),
    "python": ("python_lint", (".py", ".pyi")),
    "c": ("c_warnings", _C_LIKE),
    "hls": ("hls", _C_LIKE),
    "clang-tidy": ("c_analyzers:clang_tidy", _C_LIKE),
    "cppcheck": ("c_analyzers:cppcheck", _C_LIKE),
}


def _file_check(name: str, ctx: FileContext) -> FileCheck | None:
    entry = _FILE_CHECKS.get(name)
    if entry is None:
        return None
    where, suffixes = entry
    if suffixes is not None and not ctx.path.lower().endswith(suffixes):
        return None
    module_name, _, function = where.partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    if not function:
        check: FileCheck = module.check
        return check
    if not getattr(module, f"applies_{function}")(ctx):
        return None
    found: FileCheck = getattr(module, f"check_{function}")
    return found


def _commit_checks() -> dict[str, CommitCheck]:
    from duckfix.agents.review_checks import commit_message

    return {"commit": commit_message.check}


FILE_CHECKS = tuple(_FILE_CHECKS)
COMMIT_CHECKS = ("commit",)


def file_checks_with_coverage(
    ctx: FileContext, settings: ReviewSettings, names: Sequence[str]
) -> tuple[list[Finding], list[CheckRun]]:
    """Every named file check's findings on one file, in check order, and where each ran.

    A file the diff adds nothing to (a deletion, a pure rename, a binary
    file) is not checked, and not counted either.
    """
    out: list[Finding] = []
    runs: list[CheckRun] = []
    change = ctx.change
    if change.binary or change.status == "deleted" or not change.added_lines:
        return out, runs
    for name in names:
        check = _file_check(name, ctx)
        if check is None:
            continue
        try:
            out += check(ctx, settings)
        except CheckNotRun as exc:
            runs.append(CheckRun(check=name, path=ctx.path, status="not-run", reason=str(exc)))
        else:
            runs.append(CheckRun(check=name, path=ctx.path, status="ran"))
    return out, runs


def run_file_checks(
    ctx: FileContext, settings: ReviewSettings, names: Sequence[str]
) -> list[Finding]:
    """Every named file check's findings on one file, in check order (coverage dropped)."""
    return file_checks_with_coverage(ctx, settings, names)[0]


def run_commit_checks(
    commit: CommitInfo,
    repo: Path | None,
    settings: ReviewSettings,
    names: Sequence[str],
    runs: list[CheckRun] | None = None,
    conventions: Conventions | None = None,
) -> list[Finding]:
    """Every named commit check's findings on one commit; where each ran goes to ``runs``."""
    checks = _commit_checks()
    out: list[Finding] = []
    where = f"{COMMIT_MSG} {commit.label}"
    for name in names:
        if name not in checks:
            continue
        try:
            out += checks[name](commit, repo, settings, conventions)
        except CheckNotRun as exc:
            if runs is not None:
                runs.append(CheckRun(check=name, path=where, status="not-run", reason=str(exc)))
        else:
            if runs is not None:
                runs.append(CheckRun(check=name, path=where, status="ran"))
    return out
