"""Whitespace and merge debris on the lines a diff adds.

Rules (category ``hygiene/<rule>``):

- ``trailing-whitespace`` (warning; the suggestion is the line without it).
  Markdown's two-space hard line break is left alone.
- ``mixed-indent`` (warning): a space before a tab in the indentation, in any
  file; in Python any mix of the two, since Python compares indentation
  literally. Elsewhere tabs followed by spaces (tabs to indent, spaces to
  align, as the kernel and gofmt do) is accepted.
- ``conflict-marker`` (error): ``<<<<<<< ``, ``|||||||``, ``=======`` and
  ``>>>>>>> `` lines. A lone ``=======`` in a documentation file is a heading
  underline, so there it counts only next to another marker.
- ``no-newline-at-eof`` (note): the new file ends without a newline, on the
  hunk's last added line.
- ``line-too-long`` (note): longer than ``max_line_length`` characters.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from duckfix.config import ReviewSettings
from duckfix.models import Finding, Severity
from duckfix.patches import FileContext

__all__ = ["check"]

_DOC_SUFFIXES = {".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org"}
_MARKER = re.compile(r"^(<{7}|\|{7}|>{7})(?: |$)")


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """Trailing whitespace, mixed indentation, conflict markers, a missing final
    newline and overlong lines, on the lines the diff adds."""
    change = ctx.change
    if change.binary or change.status == "deleted":
        return []
    suffix = PurePosixPath(change.path).suffix.lower()
    added = change.added_lines
    has_marker = any(_MARKER.match(text) for text in added.values())
    out: list[Finding] = []

    def add(
        line: int, severity: Severity, rule: str, message: str, suggestion: str | None = None
    ) -> None:
        out.append(
            Finding(
                path=change.path,
                line=line,
                severity=severity,
                category=f"hygiene/{rule}",
                message=message,
                suggestion=suggestion,
            )
        )

    for line, text in added.items():
        stripped = text.rstrip()
        if stripped != text and not _markdown_break(text, suffix):
            add(
                line,
                "warning",
                "trailing-whitespace",
                "trailing whitespace: remove it (most editors can strip it on save)",
                stripped,
            )
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        if " \t" in indent or (suffix in (".py", ".pyi") and " " in indent and "\t" in indent):
            add(
                line,
                "warning",
                "mixed-indent",
                "indentation mixes tabs and spaces: indent with one of them, as the "
                "surrounding code does",
            )
        if _MARKER.match(text) or (
            text == "=======" and (has_marker or suffix not in _DOC_SUFFIXES)
        ):
            add(
                line,
                "error",
                "conflict-marker",
                "merge conflict marker: resolve the conflict and delete the marker lines",
            )
        if len(text) > settings.max_line_length:
            add(
                line,
                "note",
                "line-too-long",
                f"line is {len(text)} characters long, over the limit of "
                f"{settings.max_line_length}: break it up",
            )
    for hunk in change.hunks:
        # Only when the hunk ends on an added line: a context line without a newline
        # was already like that before this diff.
        if hunk.no_newline_at_end and hunk.lines and hunk.lines[-1].kind == "+":
            last = hunk.lines[-1].new
            if last is not None:
                add(
                    last,
                    "note",
                    "no-newline-at-eof",
                    "no newline at end of file: end the last line with a newline",
                )
    return sorted(out, key=lambda f: f.line)


def _markdown_break(text: str, suffix: str) -> bool:
    """Two trailing spaces after text is Markdown's hard line break, not debris."""
    if suffix not in (".md", ".markdown") or not text.strip():
        return False
    return text.endswith("  ") and not text.endswith("   ")
