"""The review for a person at a terminal: per commit and per file, each finding over its line.

Everything printed is a :class:`rich.text.Text` built from parts, never a
markup string: messages and code are full of ``[`` and ``]``, which rich
would take for style tags. Rich is imported when a report is rendered, not
when this module is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, CommitInfo
from duckfix.pipelines.review.render.report import (
    SEVERITIES,
    Report,
    SourceLines,
    masked,
    plural,
    visible,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["render_terminal", "summary_line"]

_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}
_LABEL_WIDTH = max(len(s) for s in SEVERITIES)


def render_terminal(report: Report, console: Console) -> None:
    """Print ``report`` on ``console``: commit messages first (as Gerrit shows them), then files."""
    from rich.text import Text

    console.print(Text.assemble(("duckfix review: ", "bold"), visible(report.label)))
    sources = SourceLines.of(report)
    for heading, findings in _groups(report, sources):
        console.print()
        console.print(heading)
        gutter = max(4, *(len(str(f.line)) for f in findings))
        for finding in findings:
            for line in _finding_lines(finding, sources.text(finding), gutter):
                console.print(line)
    console.print()
    console.print(Text(summary_line(report), style="bold"))
    missed = bool(report.not_run)
    style = ("bold red" if report.strict else "yellow") if missed else "dim"
    # One line whatever the width: a wrapped coverage line reads as several.
    console.print(Text(f"coverage: {visible(report.coverage_line())}", style=style), soft_wrap=True)
    if report.omitted:
        console.print(Text("left out:", style="dim"))
        for note in report.omitted:
            console.print(Text(f"  - {visible(note)}", style="dim"))


def summary_line(report: Report) -> str:
    """``2 errors, 1 warning, 0 notes in 2 files and 1 commit message (checks: ...)``."""
    checks = ", ".join(report.checks) or "none"
    if not report.findings:
        return f"no findings in {plural(len(report.files), 'file')} (checks: {checks})"
    counts = report.counts()
    said = ", ".join(plural(counts[s], s) for s in SEVERITIES)
    places = []
    paths = {f.path for f in report.findings if f.path != COMMIT_MSG}
    if paths:
        places.append(plural(len(paths), "file"))
    if len(paths) < len({f.path for f in report.findings}):
        # One message per commit told apart; those that name no commit count as one.
        sources = SourceLines.of(report)
        messages = {
            _commit_index(report, sources, f) for f in report.findings if f.path == COMMIT_MSG
        }
        places.append(plural(len(messages), "commit message"))
    return f"{said} in {' and '.join(places)} (checks: {checks})"


def _commit_index(report: Report, sources: SourceLines, finding: Finding) -> int | None:
    commit = sources.commit(finding)
    return None if commit is None else report.commits.index(commit)


def _groups(report: Report, sources: SourceLines) -> Iterator[tuple[Text, list[Finding]]]:
    """(heading, findings) per commit message and per file, findings in line order."""
    from rich.text import Text

    by_commit: dict[int | None, list[Finding]] = {}
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if finding.path == COMMIT_MSG:
            key = _commit_index(report, sources, finding)
            by_commit.setdefault(key, []).append(finding)
        else:
            by_path.setdefault(finding.path, []).append(finding)

    for index, commit in enumerate(report.commits):
        if index in by_commit:
            yield _commit_heading(commit), _in_line_order(by_commit[index])
    if None in by_commit:
        yield Text("commit message", style="bold magenta"), _in_line_order(by_commit[None])
    # Files in the diff's order, then any path the diff does not name.
    order = [change.path for change in report.files]
    order += [path for path in by_path if path not in order]
    for path in order:
        if path in by_path:
            yield Text(visible(path), style="bold"), _in_line_order(by_path[path])


def _commit_heading(commit: CommitInfo) -> Text:
    from rich.text import Text

    if commit.sha:
        return Text.assemble(
            (f"commit {commit.label}", "bold magenta"), "  ", visible(commit.subject)
        )
    # Without a sha the label already is the subject.
    return Text(f"commit {visible(commit.label)}", style="bold magenta")


def _in_line_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.line, SEVERITIES.index(f.severity)))


def _finding_lines(finding: Finding, code: str | None, gutter: int) -> Iterator[Text]:
    """The finding's header, the line it sits on, and its suggestion as ``-``/``+`` lines."""
    from rich.text import Text

    yield Text.assemble(
        "  ",
        (finding.severity.ljust(_LABEL_WIDTH), _STYLE[finding.severity]),
        "  ",
        (finding.category, "dim"),
        "  ",
        visible(finding.message),
    )
    pad = " " * (2 + gutter)
    number = str(finding.line).rjust(gutter)
    if code is not None and finding.category.startswith("secrets/"):
        code = masked(code)  # the report must not spread the secret it warns about
    # Code is cropped rather than wrapped: a wrapped line loses the gutter.
    if code is None:
        yield Text.assemble(f"  {number} │ ", ("(line not shown in the diff)", "dim italic"))
    else:
        yield Text(f"  {number} │ {visible(code)}", no_wrap=True, overflow="ellipsis")
    if finding.suggestion is None:
        return
    if code is not None:
        old = Text(f"{pad} - {visible(code)}", style="red", no_wrap=True, overflow="ellipsis")
        # Trailing whitespace is what many suggestions remove: make it seen.
        kept = len(old.plain.rstrip())
        if kept < len(old.plain):
            old.stylize("reverse", kept)
        yield old
    for new in finding.suggestion.split("\n"):
        yield Text(f"{pad} + {visible(new)}", style="green", no_wrap=True, overflow="ellipsis")
