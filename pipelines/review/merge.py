"""Merging a review's findings: anchor, de-duplicate, rank, cap.

* **Anchor**: a finding must sit on a line of the new file that the diff shows
  (or on a line of a reviewed commit's message); any other is dropped and
  counted: a comment on code the reader cannot see is noise.
* **De-duplicate**: two findings on the same line that say the same thing
  (the same rule, two rules known to be one, or messages that share most of
  their words) collapse into one; the more severe wins and keeps a suggestion
  if either had one.
* **Rank**: errors, then warnings, then notes; by file and line within each.
* **Cap**: at most ``max_per_file`` per file and ``max_findings`` in all; what
  is cut is counted in the omitted notes, never silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, Review
from duckfix.review_settings import ReviewSettings

__all__ = ["SEVERITY_RANK", "Merged", "anchored", "merge", "same_finding"]

SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}

# Rules of different tools that report the same thing.
_SAME_RULE = {
    "python/W291": "hygiene/trailing-whitespace",
    "python/W293": "hygiene/trailing-whitespace",
    "python/E501": "hygiene/line-too-long",
    "python/W292": "hygiene/no-newline-at-eof",
    "python/E101": "hygiene/mixed-indent",
    "python/W191": "hygiene/mixed-indent",
    "python/T100": "leftovers/debugger",
    "python/T201": "leftovers/debug-print",
    "python/T203": "leftovers/debug-print",
    "python/S105": "secrets/password",
}
_WORD = re.compile(r"[a-z0-9_]{3,}")


@dataclass
class Merged:
    """The findings a review keeps, and what it left out."""

    findings: list[Finding] = field(default_factory=list)
    dropped_unanchored: int = 0
    merged_duplicates: int = 0
    omitted: list[str] = field(default_factory=list)
    """Notes for the reader on what was cut (caps, unanchored findings)."""


def anchored(finding: Finding, review: Review) -> bool:
    """Whether the finding sits on a line the review shows."""
    if finding.path == COMMIT_MSG:
        return any(
            finding.commit in (None, commit.sha)
            and 1 <= finding.line <= len(commit.message.splitlines())
            for commit in review.commits
        )
    return any(
        change.path == finding.path and finding.line in change.shown_lines
        for change in review.files
    )


def _rule(finding: Finding) -> str:
    return _SAME_RULE.get(finding.category, finding.category)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def same_finding(a: Finding, b: Finding) -> bool:
    """Two findings about one line that say the same thing."""
    if (a.path, a.line, a.commit) != (b.path, b.line, b.commit):
        return False
    if _rule(a) == _rule(b):
        return True
    wa, wb = _words(a.message), _words(b.message)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


def _better(a: Finding, b: Finding) -> Finding:
    keep, other = (a, b) if SEVERITY_RANK[a.severity] <= SEVERITY_RANK[b.severity] else (b, a)
    if keep.suggestion is None and other.suggestion is not None:
        keep = replace(keep, suggestion=other.suggestion)
    return keep


def _sort_key(f: Finding) -> tuple[int, int, str, int, str]:
    # Commit messages first: they are read before the code.
    return (SEVERITY_RANK[f.severity], f.path != COMMIT_MSG, f.path, f.line, f.category)


def merge(findings: Iterable[Finding], review: Review, settings: ReviewSettings) -> Merged:
    """Anchor, de-duplicate, rank and cap ``findings`` (see the module's docstring)."""
    out = Merged()
    kept: list[Finding] = []
    for finding in findings:
        if not anchored(finding, review):
            out.dropped_unanchored += 1
            continue
        for i, other in enumerate(kept):
            if same_finding(finding, other):
                kept[i] = _better(other, finding)
                out.merged_duplicates += 1
                break
        else:
            kept.append(finding)
    kept.sort(key=_sort_key)
    per_file: dict[str, int] = {}
    capped_files: dict[str, int] = {}
    capped_total = 0
    for finding in kept:
        seen = per_file.get(finding.path, 0)
        if seen >= settings.max_per_file:
            capped_files[finding.path] = capped_files.get(finding.path, 0) + 1
            continue
        per_file[finding.path] = seen + 1
        if len(out.findings) >= settings.max_findings:
            capped_total += 1
            continue
        out.findings.append(finding)
    for path, n in sorted(capped_files.items()):
        out.omitted.append(
            f"{path}: {n} more finding(s) over the cap of {settings.max_per_file} per file"
        )
    if capped_total:
        out.omitted.append(
            f"{capped_total} more finding(s) over the cap of {settings.max_findings} per review"
        )
    if out.dropped_unanchored:
        out.omitted.append(
            f"{out.dropped_unanchored} finding(s) on lines the diff does not show were dropped"
        )
    return out


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity."""
    return {s: sum(f.severity == s for f in findings) for s in SEVERITY_RANK}
