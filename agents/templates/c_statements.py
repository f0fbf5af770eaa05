"""C / HLS C++ templates that add or move whole statements at a suspect line.

A statement left out of a kernel (an accumulator never reset, a store after a
loop forgotten) leaves no line to blame; the lines around where it belongs are
the suspects. These templates work on whole lines of the function that holds
the suspect line:

=========  =====  ===========================================================
template   prior  edit
=========  =====  ===========================================================
c-reset    0.35   ``x = v;`` inserted before or after the line, for a variable
                  the function declares ``T x = v;``
c-insert   0.25   a simple statement of the function (an assignment, an
                  increment, a call) copied before or after the line
c-move     0.25   the line's statement swapped with the statement line above
                  or below it
c-break    0.15   ``break;`` inserted after the line, inside a loop
=========  =====  ===========================================================

Statements are found line by line, by their text: a line ending in ``;`` that
is no declaration without an initialiser, no ``return`` and no loop or ``if``
header. Pragmas, comments and preprocessor lines are never copied or moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

__all__ = ["C_STATEMENT_PRIORS", "LineEdit", "statement_edits"]

C_STATEMENT_PRIORS: dict[str, float] = {
    "c-reset": 0.35,
    "c-insert": 0.25,
    "c-move": 0.25,
    "c-break": 0.15,
}

LineEdit = tuple[str, int, int, str, str]
"""(template, first line, last line, new text of those lines, description); lines 1-based;
``last = first - 1`` inserts before ``first``."""

_DONORS = 16
"""Statement lines of the function considered for copying, nearest first."""
_INDENT = re.compile(r"[ \t]*")
_CONTROL = re.compile(r"^\s*(?:\}\s*)?(?:else\b|if\b|for\b|while\b|do\b|switch\b|case\b|default\b)")
_DECLARED = re.compile(
    r"^\s*(?:(?:static|const|unsigned|signed|volatile)\s+)*"
    r"[A-Za-z_][\w:]*(?:\s*<[^;=]*?>)?[\s*&]+([A-Za-z_]\w*)\s*=\s*([^;,{}]+);\s*(?://.*)?$"
)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _code(line: str) -> str:
    return re.sub(r"//.*$|/\*.*?\*/", "", line).strip()


def _statement(line: str) -> bool:
    """Whether a line holds one simple statement that may be copied or moved."""
    code = _code(line)
    if not code.endswith(";") or code.startswith(("#", "return", "}", "{")):
        return False
    if _CONTROL.match(code) or code.count(";") != 1 or "{" in code or "}" in code:
        return False
    return "=" in code or "(" in code or "++" in code or "--" in code


def _function_lines(lines: Sequence[str], line: int) -> range:
    """The lines of the brace-delimited function body that holds ``line`` (1-based)."""
    depth = 0
    start = 1
    for number, text in enumerate(lines, 1):
        code = _code(text)
        for ch in code:
            if ch == "{":
                if depth == 0:
                    start = number
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0 and start <= line <= number:
                    return range(start + 1, number)
    return range(1, len(lines) + 1)


def _in_loop(lines: Sequence[str], body: range, line: int) -> bool:
    """Whether an open loop (``for`` / ``while`` with its brace open) encloses ``line``."""
    stack: list[bool] = []
    pending = False
    for number in range(body.start, line):
        code = _code(lines[number - 1])
        if re.match(r"^(?:\}\s*)?(?:for|while|do)\b", code):
            pending = True
        for ch in code:
            if ch == "{":
                stack.append(pending)
                pending = False
            elif ch == "}" and stack:
                stack.pop()
        if code.endswith(";"):
            pending = False
    return any(stack)


def _indent(text: str) -> str:
    match = _INDENT.match(text)
    return match.group() if match else ""


def statement_edits(lines: Sequence[str], line: int) -> Iterator[LineEdit]:
    """Insertions and moves at ``line`` (1-based) of a C file split into ``lines``."""
    if not 1 <= line <= len(lines):
        return
    here = lines[line - 1]
    code = _code(here)
    if not code or code.startswith(("#", "//", "/*", "*")):
        return
    body = _function_lines(lines, line)
    opens = code.endswith("{")
    after_indent = _indent(lines[line]) if opens and line < len(lines) else _indent(here)
    before_indent = _indent(here)
    spots = [
        (line, before_indent, f"before line {line}"),
        (line + 1, after_indent, f"after line {line}"),
    ]
    if code.startswith("}"):
        spots = [(line + 1, before_indent, f"after line {line}")]
    donors = sorted(
        (n for n in body if n != line and _statement(lines[n - 1])),
        key=lambda n: (abs(n - line), n),
    )[:_DONORS]
    made: dict[str, tuple[str, str]] = {}
    for number in sorted(body, key=lambda n: (abs(n - line), n)):
        declared = _DECLARED.match(lines[number - 1])
        if declared is not None and number != line:
            text = f"{declared.group(1)} = {declared.group(2).strip()};"
            made.setdefault(text, ("c-reset", f"reset `{text}` (as declared on line {number})"))
    for number in donors:
        text = _code(lines[number - 1])
        made.setdefault(text, ("c-insert", f"insert `{text}` (from line {number})"))
    for text, (template, what) in made.items():
        if text == code:
            continue
        for at, indent, where in spots:
            yield template, at, at - 1, f"{indent}{text}\n", f"{what} {where}"
    if _in_loop(lines, body, line) and code.endswith(";") and not opens:
        yield (
            "c-break",
            line + 1,
            line,
            f"{before_indent}break;\n",
            f"insert `break;` after line {line}",
        )
    yield from _moves(lines, body, line)


def _moves(lines: Sequence[str], body: range, line: int) -> Iterator[LineEdit]:
    """The line's statement swapped with the statement line just above or below it."""
    if not _statement(lines[line - 1]):
        return
    for other in (line - 1, line + 1):
        if other not in body or not _statement(lines[other - 1]):
            continue
        if _indent(lines[other - 1]) != _indent(lines[line - 1]):
            continue
        first, last = min(line, other), max(line, other)
        new = lines[last - 1] + "\n" + lines[first - 1] + "\n"
        where = "above" if other < line else "below"
        yield "c-move", first, last, new, f"move line {line} {where} line {other}"
