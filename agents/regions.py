"""The code around some lines of a large Python file, found without parsing the whole file.

Parsing costs time and memory in proportion to a file's size (a 5 MB module
takes seconds and half a gigabyte as an ``ast`` tree), yet the localizer, the
templates and the reviewer only look at the code around a few lines. For a
file over ``WHOLE_FILE_CHARS``, :func:`around` keeps the top-level statements
that hold those lines (inside a function too long to keep whole: its header
and the body statements near the lines) and blanks every other line, each
character a space, so offsets, line numbers and columns stay those of the
file. Statement starts are found from the text (a line at the block's
indentation that does not continue a statement); the kept code must then
parse on its own, and where a cut was wrong (a line inside a string looked
like a statement) it is widened until it does, or the whole file is kept.

Files up to ``WHOLE_FILE_CHARS`` come back as they are: every program of
ordinary size is handled exactly as before.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Sequence

__all__ = ["REGION_CHARS", "WHOLE_FILE_CHARS", "around", "parse"]

WHOLE_FILE_CHARS = 256 * 1024
"""Files up to this many characters are always kept whole."""
REGION_CHARS = 64 * 1024
"""Characters of code kept around the lines asked for (the first line's code is always kept)."""
_BODY_LINES = 60
"""Inside a function too long to keep whole: lines kept on each side of a line asked for."""
_HEADER_LINES = 20
"""A ``def`` or ``class`` header longer than this is not cut inside."""
_WIDEN = 3
"""Times a region that does not parse is widened before the whole file is kept."""

_NEWLINE = re.compile("\n")
_TRIPLE = re.compile(r'"""|\'\'\'')
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")
_DEF = re.compile(r"[ \t]*(?:async\s+def|def|class)\b")
_AT_INDENT: dict[int, re.Pattern[str]] = {}


class _Blank(dict[int, str]):
    """A ``str.translate`` table that turns every character but line ends into a space."""

    def __missing__(self, key: int) -> str:
        return " "


_BLANK = _Blank({ord("\n"): "\n", ord("\r"): "\r"})


def parse(source: str) -> ast.Module | None:
    """``ast.parse`` of ``source``, None if it does not parse."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def around(source: str, lines: Iterable[int], *, budget: int = REGION_CHARS) -> str:
    """``source`` with only the code around ``lines`` kept, every other line blanked.

    ``lines`` (1-based) are taken in the order given, best first, until the kept
    code passes ``budget`` characters. A file up to ``WHOLE_FILE_CHARS``, one
    with a line end Python reads differently from ``\\n`` (a lone ``\\r``), or
    one whose cut would not parse, comes back whole.
    """
    if len(source) <= WHOLE_FILE_CHARS or source.count("\r") != source.count("\r\n"):
        return source
    text = _Text(source)
    starts = text.statement_starts(0, 0, text.count)
    kept: list[tuple[int, int]] = []  # [first, stop) line indexes, 0-based
    size = 0
    for line in lines:
        index = line - 1
        if not 0 <= index < text.count or any(a <= index < b for a, b in kept):
            continue
        for span in _spans_for(text, starts, index):
            kept.append(span)
            size += text.offset(span[1]) - text.offset(span[0])
        if size >= budget:
            break
    for _ in range(_WIDEN + 1):
        masked = text.masked(kept)
        if not kept or parse(masked) is not None:
            return masked
        kept = _widened(kept, starts, text.count)
    return source


class _Text:
    """A source and where its lines start."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.starts = [0, *(m.end() for m in _NEWLINE.finditer(source))]
        self.count = len(self.starts)
        """Lines, counting an empty one after a final line end."""
        self.strings = _triple_quoted(source)
        """(start, end) offsets of the insides of triple-quoted strings, in order."""

    def in_string(self, offset: int) -> bool:
        at = bisect.bisect_right(self.strings, (offset, len(self.source))) - 1
        return at >= 0 and self.strings[at][0] < offset <= self.strings[at][1]

    def offset(self, index: int) -> int:
        return self.starts[index] if index < self.count else len(self.source)

    def line(self, index: int) -> str:
        return self.source[self.offset(index) : self.offset(index + 1)]

    def statement_starts(self, indent: int, first: int, stop: int) -> list[int]:
        """Indexes of the lines in ``[first, stop)`` that start a statement at ``indent`` columns.

        Judged from the text alone: the line is indented by exactly ``indent``, is
        not blank or a comment, does not continue a compound statement (``else:``,
        ``except``...) or a bracket, and is not the ``def`` of a decorator above it.
        """
        pattern = _AT_INDENT.get(indent)
        if pattern is None:
            pattern = re.compile(rf"^[ \t]{{{indent}}}(?![ \t\r\n#])", re.MULTILINE)
            _AT_INDENT[indent] = pattern
        out: list[int] = []
        decorated = False
        for match in pattern.finditer(self.source, self.offset(first), self.offset(stop)):
            at = match.end()
            if _CONTINUES.match(self.source, at) or self.in_string(match.start()):
                continue  # a decorator's closing bracket keeps it open
            if not decorated:
                out.append(bisect.bisect_right(self.starts, match.start()) - 1)
            decorated = self.source.startswith("@", at)
        return out

    def masked(self, kept: Sequence[tuple[int, int]]) -> str:
        """The source with every line outside ``kept`` blanked."""
        parts: list[str] = []
        done = 0
        for first, stop in sorted(kept):
            start, end = self.offset(first), self.offset(stop)
            if end <= done:
                continue
            start = max(start, done)
            parts.append(self.source[done:start].translate(_BLANK))
            parts.append(self.source[start:end])
            done = end
        parts.append(self.source[done:].translate(_BLANK))
        return "".join(parts)


def _triple_quoted(source: str) -> list[tuple[int, int]]:
    """Where triple-quoted strings run: a line starting inside one starts no statement.

    Quotes are paired in order, as the tokenizer would; triple quotes inside a
    one-line string or a comment can mislead it, and then the cut does not
    parse and is widened.
    """
    out: list[tuple[int, int]] = []
    opened: str | None = None
    begin = 0
    for match in _TRIPLE.finditer(source):
        quote = match.group()
        if opened is None:
            opened, begin = quote, match.end()
        elif quote == opened:
            out.append((begin, match.start()))
            opened = None
    if opened is not None:
        out.append((begin, len(source)))
    return out


def _spans_for(text: _Text, starts: Sequence[int], index: int) -> list[tuple[int, int]]:
    """Line spans to keep for line ``index``: its top-level statement, or part of it."""
    at = bisect.bisect_right(starts, index) - 1
    first = starts[at] if at >= 0 else 0
    stop = starts[at + 1] if at + 1 < len(starts) else text.count
    if text.offset(stop) - text.offset(first) <= REGION_CHARS:
        return [(first, stop)]
    narrowed = _inside(text, first, stop, index)
    return narrowed if narrowed is not None else [(first, stop)]


def _inside(text: _Text, first: int, stop: int, index: int) -> list[tuple[int, int]] | None:
    """For a long ``def`` / ``class``: its header and the body statements near ``index``."""
    head = first
    while head < stop and text.line(head).lstrip().startswith("@"):
        head += 1
    if head >= stop or not _DEF.match(text.line(head)):
        return None
    end = next(
        (i for i in range(head, min(stop, head + _HEADER_LINES)) if _ends_header(text.line(i))),
        None,
    )
    if end is None or index <= end:
        return None
    body = next((i for i in range(end + 1, stop) if _significant(text.line(i))), None)
    if body is None:
        return None
    line = text.line(body)
    starts = text.statement_starts(len(line) - len(line.lstrip(" \t")), body, stop)
    if not starts:
        return None
    low = bisect.bisect_right(starts, max(index - _BODY_LINES, body)) - 1
    high = bisect.bisect_right(starts, min(index + _BODY_LINES, stop - 1))
    window = (starts[max(low, 0)], starts[high] if high < len(starts) else stop)
    return [(first, end + 1), window]


def _ends_header(line: str) -> bool:
    code = line.split("#", 1)[0].rstrip()
    return code.endswith(":")


def _significant(line: str) -> bool:
    rest = line.strip()
    return bool(rest) and not rest.startswith("#")


def _widened(
    kept: list[tuple[int, int]], starts: Sequence[int], total: int
) -> list[tuple[int, int]]:
    """Each span grown to the top-level statements before and after it."""
    out = []
    for first, stop in kept:
        at = bisect.bisect_left(starts, first) - 1
        new_first = starts[at] if at >= 0 else 0
        after = bisect.bisect_right(starts, stop)
        new_stop = starts[after] if after < len(starts) else total
        out.append((new_first, new_stop))
    return out
