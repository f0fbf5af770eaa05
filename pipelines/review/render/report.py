"""What every renderer reads: one :class:`Report`, and the lines its findings sit on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from duckfix import __version__
from duckfix.coverage import CheckRun, coverage_line
from duckfix.diff import FileChange
from duckfix.findings import Finding, Severity
from duckfix.patches import COMMIT_MSG, CommitInfo

if TYPE_CHECKING:
    from duckfix.pipelines.review.run import ReviewOutcome

__all__ = ["SEVERITIES", "TOOL_NAME", "Report", "SourceLines", "plural", "visible"]

TOOL_NAME = "duckfix"
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
"""Most severe first: the order of counts and of findings on one line."""


@dataclass(slots=True)
class Report:
    """A finished review, as the renderers need it: findings plus what they sit on."""

    label: str
    """What was reviewed, for humans: a range, a file name, ``stdin``, ``staged``."""
    findings: list[Finding] = field(default_factory=list)
    """Merged findings (anchored, de-duplicated, ranked, capped), in rank order."""
    files: list[FileChange] = field(default_factory=list)
    """The diff's files: where a finding's code line is read from."""
    commits: list[CommitInfo] = field(default_factory=list)
    """The reviewed commits: where a ``COMMIT_MSG`` finding's line is read from."""
    checks: list[str] = field(default_factory=list)
    """The checks that ran (``hygiene``, ``python``, ``model``, ...)."""
    omitted: list[str] = field(default_factory=list)
    """What the review left out, in words ("3 findings over the per-file cap")."""
    tool_version: str = __version__
    information_uri: str | None = None
    """An absolute URI about duckfix, for SARIF's ``informationUri``; None leaves it out."""
    coverage: list[CheckRun] = field(default_factory=list)
    """Which check ran on which file, and which could not and why (never findings)."""
    strict: bool = False
    """``review.strict``: a check that could not run is an error of the run."""

    @classmethod
    def from_outcome(
        cls,
        outcome: ReviewOutcome,
        *,
        tool_version: str = __version__,
        information_uri: str | None = None,
    ) -> Report:
        """The report of a :class:`~duckfix.pipelines.review.run.ReviewOutcome`."""
        review = outcome.review
        return cls(
            label=review.label,
            findings=list(outcome.findings),
            files=list(review.files),
            commits=list(review.commits),
            checks=list(outcome.checks),
            omitted=list(outcome.omitted),
            tool_version=tool_version,
            information_uri=information_uri,
            coverage=list(outcome.coverage),
        )

    @property
    def not_run(self) -> list[CheckRun]:
        """The checks that could not run, one per file."""
        return [run for run in self.coverage if run.status == "not-run"]

    def coverage_line(self) -> str:
        """One line: which checks ran on how many files, which could not and why."""
        return coverage_line(self.coverage, self.checks)

    def counts(self) -> dict[Severity, int]:
        """Findings per severity, every severity present (zero when none)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts


class SourceLines:
    """The text a finding points at: a new-file line from the diff, or a commit-message line.

    Built once per rendering, so looking a line up does not walk the diff again.
    """

    def __init__(self, files: Iterable[FileChange], commits: Iterable[CommitInfo]) -> None:
        self._files: dict[str, dict[int, str]] = {}
        for change in files:
            lines = self._files.setdefault(change.path, {})
            for hunk in change.hunks:
                for line in hunk.lines:
                    if line.new is not None:
                        lines[line.new] = line.text
        self._commits = list(commits)

    @classmethod
    def of(cls, report: Report) -> SourceLines:
        return cls(report.files, report.commits)

    def commit(self, finding: Finding) -> CommitInfo | None:
        """The commit a ``COMMIT_MSG`` finding is about, when it can be told.

        A finding names its commit by sha (full or abbreviated); one that names
        none belongs to the review's only commit, and to no commit in
        particular when there are several.
        """
        if finding.path != COMMIT_MSG:
            return None
        if finding.commit is None:
            return self._commits[0] if len(self._commits) == 1 else None
        wanted = finding.commit
        for commit in self._commits:
            if commit.sha and (commit.sha.startswith(wanted) or wanted.startswith(commit.sha)):
                return commit
        return None

    def text(self, finding: Finding) -> str | None:
        """The line the finding sits on, without its line ending; None when not known."""
        if finding.path == COMMIT_MSG:
            commit = self.commit(finding)
            if commit is None:
                return None
            lines = commit.message.splitlines()
            return lines[finding.line - 1] if 1 <= finding.line <= len(lines) else None
        return self._files.get(finding.path, {}).get(finding.line)


# C0 and C1 controls other than tab and newline (an escape sequence in a diff
# line must not drive the reviewer's terminal), and the bidirectional
# formatting characters of "Trojan Source" (CVE-2021-42574), which make code
# read differently from how it runs.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with control and bidi-formatting characters shown as escapes (``\\x1b``)."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _HIDDEN.sub(escape, text)


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+/.]{12,}={0,2}")  # "=" only as base64 padding


_QUOTED = re.compile(r"""(["'`])(?:\\.|(?!\1).)*\1""")
_NAME = re.compile(r"[A-Za-z_]+")
_AFTER_ASSIGN = re.compile(r"[=:]\s*$")


def masked(code: str) -> str:
    """``code`` with each long value cut to its first four characters (for secret findings).

    Values are cut, names kept: ``AWS_SECRET_ACCESS_KEY = "AKIA****"``, not
    ``AWS_**** = ...``. A long token is a value when it is quoted, follows ``=``
    or ``:``, or holds anything but letters and underscores (digits, ``/``, ``+``).
    """
    quoted = [m.span() for m in _QUOTED.finditer(code)]

    def cut(match: re.Match[str]) -> str:
        token, start = match.group(), match.start()
        value = (
            any(a < start < b for a, b in quoted)
            or _AFTER_ASSIGN.search(code[:start]) is not None
            or _NAME.fullmatch(token.rstrip("=")) is None
        )
        return token[:4] + "****" if value else token

    return _LONG_TOKEN.sub(cut, code)
