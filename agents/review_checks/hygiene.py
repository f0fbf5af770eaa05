"""Whitespace and merge debris on the lines a diff adds.

Rules (category ``hygiene/<rule>``):

- ``trailing-whitespace`` (warning; the suggestion is the line without it).
  Markdown's two-space hard line break is left alone.
- ``mixed-indent`` (warning): a space before a tab in the indentation, in any
  file; in Python any mix of the two, since Python compares indentation
  literally. Elsewhere tabs followed by spaces (tabs to indent, spaces to
  align, as the kernel and gofmt do) is accepted.
- ``conflict-marker`` (error): ``<<<<<<< ``, ``|||||||``, ``=======`` and
  ``>>>>>>> `` lines. A lone ``=======`` is as often a heading underline (in
  ``NEWS``, in reST), so it counts only next to another marker.
- ``no-newline-at-eof`` (note): the new file ends without a newline, on the
  hunk's last added line.
- ``line-too-long`` (note): wider than ``max_line_length`` display columns, as
  an editor or checkpatch counts them: a tab advances to the next multiple of
  ``tab_width`` (8), East Asian wide characters take two columns, combining
  marks none. Prose (Markdown, reST, AsciiDoc, Org), whose paragraphs are one
  line by convention, is measured only against ``prose_line_length`` when that
  is set.

Generated files (lock files, minified assets, ``go.sum``, files whose first
lines say ``@generated`` or ``DO NOT EDIT``) get only the conflict-marker
rule: nobody edits them by hand, so their layout is not the author's.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

__all__ = ["check", "columns", "generated"]

_PROSE_SUFFIXES = {".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".org"}
_GENERATED_NAMES = {"go.sum", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml"}
_GENERATED_SUFFIXES = (".lock", ".min.js", ".min.css", ".map", ".pb.go", "_pb2.py")
_GENERATED_MARK = re.compile(
    r"@generated|DO NOT EDIT|automatically generated|auto-?generated", re.IGNORECASE
)
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
    by_hand = not generated(change.path, ctx.new_text)
    limit = settings.prose_line_length if suffix in _PROSE_SUFFIXES else settings.max_line_length
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
        if stripped != text and by_hand and not _markdown_break(text, suffix):
            add(
                line,
                "warning",
                "trailing-whitespace",
                "trailing whitespace: remove it (most editors can strip it on save)",
                stripped,
            )
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        mixed = " \t" in indent or (suffix in (".py", ".pyi") and " " in indent and "\t" in indent)
        if mixed and by_hand:
            add(
                line,
                "warning",
                "mixed-indent",
                "indentation mixes tabs and spaces: indent with one of them, as the "
                "surrounding code does",
            )
        # A lone ======= is a heading underline as often as a marker (kmod's NEWS,
        # a file with no suffix at all): it counts only beside another marker.
        if _MARKER.match(text) or (text == "=======" and has_marker):
            add(
                line,
                "error",
                "conflict-marker",
                "merge conflict marker: resolve the conflict and delete the marker lines",
            )
        width = columns(text, settings.tab_width) if limit is not None and by_hand else 0
        if limit is not None and width > limit:
            add(
                line,
                "note",
                "line-too-long",
                f"line is {width} columns wide (tabs to {settings.tab_width}), over the limit "
                f"of {limit}: break it up",
            )
    for hunk in change.hunks if by_hand else ():
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


def columns(text: str, tab_width: int = 8) -> int:
    """How many columns ``text`` takes on a terminal: tabs to the next stop, wide characters 2."""
    width = 0
    for ch in text:
        if ch == "\t":
            width += tab_width - width % tab_width
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn", "Me"):
            continue
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 2
        else:
            width += 1
    return width


def generated(path: str, text: str | None) -> bool:
    """A file made by a tool (a lock file, a minified asset, one marked ``@generated``)."""
    name = PurePosixPath(path).name.lower()
    if name in _GENERATED_NAMES or name.endswith(_GENERATED_SUFFIXES):
        return True
    head = "\n".join((text or "").splitlines()[:5])
    return bool(_GENERATED_MARK.search(head))


def _markdown_break(text: str, suffix: str) -> bool:
    """Two trailing spaces after text is Markdown's hard line break, not debris."""
    if suffix not in (".md", ".markdown") or not text.strip():
        return False
    return text.endswith("  ") and not text.endswith("   ")
