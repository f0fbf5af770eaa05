"""The review benchmark on real history: review each commit of a range as a push would.

Each non-merge commit C of ``A..B`` is reviewed as ``duckfix review --range
C~1..C`` reviews it. Per commit: its findings by check and severity, the checks
that could not run (and why), and the seconds it took. Over the range: the
share of commits with no finding, findings per commit, and the could-not-run
counts by check and reason.

With fixes: a commit C of the range is *later fixed* when a later commit F
(anywhere after ``A`` up to ``fixes_until``, default ``B``) names it in a
``Fixes: <sha>`` trailer or is its revert (``This reverts commit <sha>.``).
The lines F changed or removed are blamed at ``F^`` (``git blame -w``); those
that C added are *the buggy lines*, as numbered in C's own version of the
file: where C's review findings sit. A pure insertion (the fix adds a missing
check) counts the line it follows. Recall is the share of later-fixed commits
(with buggy lines) that got a finding on one of them.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from duckfix.git_cli import GitRepo
from duckfix.gitenv import DIFF_OPTIONS

__all__ = [
    "CommitReview",
    "HistoryReport",
    "buggy_lines",
    "commits_in",
    "later_fixes",
    "reason_kind",
    "summarize_history",
]


class CommitReview(BaseModel):
    """One commit's review in the benchmark."""

    sha: str
    subject: str
    findings: list[dict[str, str | int]] = Field(default_factory=list)
    """``{path, line, check, severity, category}`` per finding."""
    not_run: list[dict[str, str]] = Field(default_factory=list)
    """``{check, path, reason}`` per check that could not run on a file."""
    seconds: float = 0.0
    fixed_by: list[str] = Field(default_factory=list)
    """Later commits that name this one in ``Fixes:`` or revert it."""
    buggy_lines: dict[str, list[int]] = Field(default_factory=dict)
    """Path -> lines this commit added that a later fix changed or removed."""
    hit: bool | None = None
    """A finding sits on a buggy line (None: not later fixed, or no buggy line known)."""


class HistoryReport(BaseModel):
    """The benchmark over one range."""

    repo: str
    range: str
    provider: str = "none"
    commits: list[CommitReview] = Field(default_factory=list)
    commits_reviewed: int = 0
    without_finding: float = 0.0
    """Share of the commits with no finding."""
    findings: int = 0
    findings_per_commit: float = 0.0
    by_check: dict[str, int] = Field(default_factory=dict)
    by_severity: dict[str, int] = Field(default_factory=dict)
    not_run: dict[str, int] = Field(default_factory=dict)
    """``check: reason`` -> files it could not run on."""
    seconds_per_commit: float = 0.0
    """Median."""
    later_fixed: int | None = None
    """Commits of the range a later commit fixes (with buggy lines known); None without fixes."""
    fixed_with_finding: int | None = None
    recall: float | None = None


def commits_in(repo: GitRepo, rev_range: str) -> list[str]:
    """The non-merge commits of ``rev_range``, oldest first."""
    out = repo.run("rev-list", "--reverse", "--no-merges", rev_range, "--")
    return out.split()


_FIXES = re.compile(r"^\s*Fixes:\s*(?:commit\s+)?([0-9a-f]{7,40})\b", re.MULTILINE | re.IGNORECASE)
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")


def later_fixes(repo: GitRepo, candidates: Sequence[str], rev_range: str) -> dict[str, list[str]]:
    """Buggy commit (of ``candidates``) -> the commits of ``rev_range`` that fix or revert it."""
    wanted = set(candidates)
    out: dict[str, list[str]] = {}
    log = repo.run("log", "--no-merges", "--format=%H%x00%B%x01", rev_range, "--")
    for record in log.split("\x01"):
        sha, _, body = record.strip().partition("\x00")
        if not sha:
            continue
        for named in {*_FIXES.findall(body), *_REVERTS.findall(body)}:
            full = repo.commit_sha(named)
            if full in wanted and full != sha:
                out.setdefault(full, []).append(sha)
    return out


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def _touched_old_lines(repo: GitRepo, fix: str) -> dict[str, list[int]]:
    """Path (before the fix) -> lines of ``fix^`` that the fix changes or removes."""
    diff = repo.run("diff", "-U0", *DIFF_OPTIONS, "--no-color", "-M", f"{fix}^", fix, "--")
    out: dict[str, list[int]] = {}
    path: str | None = None
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = None if line == "--- /dev/null" else line[4:].removeprefix("a/")
        m = _HUNK.match(line)
        if m is None or path is None:
            continue
        start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
        # count 0: a pure insertion after line `start`; it counts that line.
        lines = range(start, start + count) if count else range(max(start, 1), max(start, 1) + 1)
        out.setdefault(path, []).extend(lines)
    return out


def buggy_lines(repo: GitRepo, buggy: str, fixes: Sequence[str]) -> dict[str, list[int]]:
    """Lines ``buggy`` added (numbered in its own version) that one of ``fixes`` touched."""
    out: dict[str, set[int]] = {}
    for fix in fixes:
        for path, lines in _touched_old_lines(repo, fix).items():
            for start, end in _runs(sorted(set(lines))):
                args = ["blame", "-w", "--porcelain", "-L", f"{start},{end}", f"{fix}^", "--", path]
                try:
                    blame = repo.run(*args)
                except Exception:  # a line past the end of the file; a path blame cannot follow
                    continue
                for orig_path, orig_line in _blamed_to(blame, buggy):
                    out.setdefault(orig_path, set()).add(orig_line)
    return {path: sorted(lines) for path, lines in sorted(out.items())}


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in lines:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _blamed_to(porcelain: str, commit: str) -> list[tuple[str, int]]:
    """(path in ``commit``, line there) for each blamed line that ``commit`` wrote."""
    out: list[tuple[str, int]] = []
    filenames: dict[str, str] = {}
    current: tuple[str, int] | None = None
    for line in porcelain.splitlines():
        head = line.split()
        if len(head) >= 3 and len(head[0]) == 40 and not line.startswith("\t"):
            current = (head[0], int(head[1]))
        elif line.startswith("filename ") and current is not None:
            filenames[current[0]] = line[len("filename ") :]
        elif line.startswith("\t") and current is not None:
            sha, orig = current
            if sha == commit and sha in filenames:
                out.append((filenames[sha], orig))
            current = None
    return out


def reason_kind(reason: str) -> str:
    """A could-not-run reason without its file and line details, to count alike ones together."""
    return re.split(r" \(|: |; ", reason, maxsplit=1)[0].strip()


def summarize_history(report: HistoryReport, with_fixes: bool) -> HistoryReport:
    """Fill ``report``'s figures from its commits."""
    commits = report.commits
    report.commits_reviewed = len(commits)
    report.findings = sum(len(c.findings) for c in commits)
    if commits:
        report.without_finding = sum(not c.findings for c in commits) / len(commits)
        report.findings_per_commit = report.findings / len(commits)
        report.seconds_per_commit = statistics.median(c.seconds for c in commits)
    report.by_check = dict(Counter(str(f["check"]) for c in commits for f in c.findings))
    report.by_severity = dict(Counter(str(f["severity"]) for c in commits for f in c.findings))
    report.not_run = dict(
        Counter(f"{r['check']}: {reason_kind(r['reason'])}" for c in commits for r in c.not_run)
    )
    if with_fixes:
        fixed = [c for c in commits if c.hit is not None]
        report.later_fixed = len(fixed)
        report.fixed_with_finding = sum(bool(c.hit) for c in fixed)
        report.recall = report.fixed_with_finding / len(fixed) if fixed else None
    return report


def mark_hit(commit: CommitReview) -> None:
    """Whether a finding of ``commit`` sits on one of its buggy lines."""
    if not commit.fixed_by or not commit.buggy_lines:
        commit.hit = None
        return
    on = {(str(f["path"]), int(f["line"])) for f in commit.findings}
    commit.hit = any((p, n) in on for p, lines in commit.buggy_lines.items() for n in lines)


Progress = Callable[[CommitReview], None]
