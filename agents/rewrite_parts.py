"""Smaller versions of a model's rewrite of a function: each change alone, and its additions only.

A small model asked for "the smallest change" often makes the right one and
spoils it: it adds the left-out line and drops or rewrites the line beside it
("Fixed line"), or changes a second line on the way. Each change of a rewrite
applied alone, and the rewrite's added lines with every old line kept, are
candidates of their own, tried after the rewrites themselves. Comment and
blank lines are neither changes nor kept: a model's "# fixed" is no edit.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from duckfix.agents.templates.spans import LINE

__all__ = ["MAX_CHANGES", "smaller_rewrites"]

MAX_CHANGES = 3
"""A rewrite with more separate changes than this is a rewrite, not a fix that slipped:
its changes are not tried one by one."""

_TRAILING_COMMENT = re.compile(r"[ \t]+#[^'\"]*$")
_ASSIGNED = re.compile(r"([\w.\[\], ]+?)\s*(?://|\*\*|<<|>>|[-+*/%&|^@])?=(?!=)")


def _key(line: str) -> str:
    """A line as code: no indentation, no trailing comment; empty for comments and blanks."""
    text = line.strip()
    if text.startswith("#"):
        return ""
    return _TRAILING_COMMENT.sub("", text)


def smaller_rewrites(old: str, new: str) -> list[tuple[str, str]]:
    """``(text, what)`` of each smaller version of ``new`` (``old`` rewritten), in trying order.

    The texts differ from ``old``, from ``new`` and from each other; they are not
    checked to compile.
    """
    a: list[str] = LINE.findall(old)
    b: list[str] = LINE.findall(new)
    a_code = [i for i, line in enumerate(a) if _key(line)]
    b_code = [j for j, line in enumerate(b) if _key(line)]
    matcher = SequenceMatcher(
        None, [_key(a[i]) for i in a_code], [_key(b[j]) for j in b_code], autojunk=False
    )
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes or len(changes) > MAX_CHANGES:
        return []
    out: list[tuple[str, str]] = []
    seen = {old, new}

    def add(text: str, what: str) -> None:
        if text not in seen:
            seen.add(text)
            out.append((text, what))

    def at(i: int) -> int:
        """The physical line of ``old`` where code line ``i`` (or the end) starts."""
        return a_code[i] if i < len(a_code) else (a_code[-1] + 1 if a_code else len(a))

    def added(j1: int, j2: int) -> list[str]:
        return [_ended(b[j]) for j in b_code[j1:j2]]

    if len(changes) > 1:
        for _, i1, i2, j1, j2 in changes:
            removed = {a_code[i] for i in range(i1, i2)}
            rest = [line for k, line in enumerate(a) if k >= at(i1) and k not in removed]
            what = f"its change at line {at(i1) + 1} alone"
            add("".join(a[: at(i1)] + added(j1, j2) + rest), what)
    # Additions only: an old line stays unless a new one takes its place (the
    # same target assigned, the same kind of statement: a `return` for a `return`).
    before: dict[int, list[str]] = {}
    replaced: set[int] = set()
    for _, i1, i2, j1, j2 in changes:
        before[at(i1)] = added(j1, j2)
        heads = {_head(_key(b[j])) for j in b_code[j1:j2]}
        replaced |= {a_code[i] for i in range(i1, i2) if _head(_key(a[a_code[i]])) in heads}
    lines: list[str] = []
    for k, line in enumerate(a):
        lines += before.get(k, [])
        if k not in replaced:
            lines.append(line)
    lines += before.get(len(a), [])
    add("".join(lines), "its added lines, every other line kept")
    return out


def _head(code: str) -> str:
    """What a statement is about: the target it assigns, else its first word."""
    assigned = _ASSIGNED.match(code)
    if assigned:
        return "=" + "".join(assigned[1].split())
    return code.split(maxsplit=1)[0].rstrip(":(") if code else ""


def _ended(line: str) -> str:
    return line if line.endswith(("\n", "\r")) else line + "\n"
