"""Statement templates: edits that move whole lines.

A statement deleted, duplicated, moved past a sibling, copied in from elsewhere in
its function, or moved into or out of a block by re-indenting it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from duckfix.agents.templates.inserts import spots
from duckfix.agents.templates.sites import Site, is_elif
from duckfix.agents.templates.spans import DEFS, LINE, Edit, File, short

__all__ = ["dedent", "delete", "duplicate", "indent", "insert", "move"]

_WORD = re.compile(r"\w+")
_UNMOVABLE = (*DEFS, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Pass)


def _docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr))


def _movable(file: File, node: ast.stmt) -> bool:
    return not isinstance(node, _UNMOVABLE) and not _docstring(node) and file.whole(node)


def _lines(node: ast.stmt) -> tuple[int, int]:
    return node.lineno, node.end_lineno or node.lineno


def _reindent(text: str, old: str, new: str) -> str:
    """Swap the leading ``old`` indentation for ``new`` on each line that has it."""
    return "".join(
        new + t[len(old) :] if t.startswith(old) and t.strip() else t for t in LINE.findall(text)
    )


def _describe_lines(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def delete(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or not _movable(file, s.node):
        return
    first, last = _lines(s.node)
    # A block cannot be empty: the last statement of one leaves a `pass`.
    new = f"{file.indent(first)}pass{file.newline}" if len(s.block) == 1 else ""
    what = f"delete {_describe_lines(first, last)}: `{short(file.text(s.node))}`"
    yield file.line_edit("delete-stmt", first, last, new, what)


def dedent(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or s.index == 0 or not _movable(file, s.node):
        return
    owner = s.owner
    if not isinstance(owner, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith,
                              ast.Try, ast.TryStar, ast.ExceptHandler)):  # fmt: skip
        return
    first, last = s.node.lineno, _lines(s.block[-1])[1]
    tail = s.block[s.index :]
    # Only a pure re-indent: the tail must close the owner's last block.
    if last != owner.end_lineno or any(file.multiline_string(t) for t in tail):
        return
    new = _reindent(file.chunk(first, last), file.indent(first), file.indent(owner.lineno))
    word = _WORD.match(file.source, file.offset(owner.lineno, owner.col_offset))
    keyword = word.group() if word else "compound"
    what = f"dedent {_describe_lines(first, last)} out of the `{keyword}` block"
    yield file.line_edit("dedent-stmt", first, last, new, f"{what} on line {owner.lineno}")


def _last_block(file: File, node: ast.stmt) -> list[ast.stmt] | None:
    while isinstance(node, ast.If) and len(node.orelse) == 1 and is_elif(file, node.orelse[0]):
        node = node.orelse[0]
    if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While)):
        return node.orelse or node.body
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return node.body
    if isinstance(node, (ast.Try, ast.TryStar)):
        handlers = node.handlers[-1].body if node.handlers else None
        return node.finalbody or node.orelse or handlers or node.body
    return None


def indent(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or s.index == 0 or not _movable(file, s.node) or file.multiline_string(s.node):
        return
    previous = s.block[s.index - 1]
    block = _last_block(file, previous)
    if not block or not file.whole(block[0]):
        return
    inner, outer = file.indent(block[0].lineno), file.indent(s.node.lineno)
    if len(inner) <= len(outer) or not inner.startswith(outer):
        return
    first, last = _lines(s.node)
    new = _reindent(file.chunk(first, last), outer, inner)
    what = f"indent {_describe_lines(first, last)} into the block above (line {previous.lineno})"
    yield file.line_edit("indent-stmt", first, last, new, what)


def move(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or not _movable(file, s.node):
        return
    first, last = _lines(s.node)
    if s.index > 0 and _movable(file, above := s.block[s.index - 1]):
        top, bottom = _lines(above)
        new = file.chunk(first, last) + file.chunk(bottom + 1, first - 1) + file.chunk(top, bottom)
        what = f"move {_describe_lines(first, last)} above line {top}"
        yield file.line_edit("move-stmt", top, last, new, what)
    if s.index + 1 < len(s.block) and _movable(file, below := s.block[s.index + 1]):
        top, bottom = _lines(below)
        new = file.chunk(top, bottom) + file.chunk(last + 1, top - 1) + file.chunk(first, last)
        what = f"move {_describe_lines(first, last)} below line {bottom}"
        yield file.line_edit("move-stmt", first, bottom, new, what)


def insert(site: Site) -> Iterator[Edit]:
    file, line, s = site.file, site.line, site.stmt
    if s is None or _docstring(s.node) or isinstance(s.node, DEFS):
        return
    first, last = _lines(s.node)
    donors: dict[str, ast.stmt] = {}
    for d in sorted(
        (d for d in file.stmts if d.scope is s.scope and d.node is not s.node),
        key=lambda d: (abs(d.node.lineno - line), d.node.lineno),
    ):
        top, bottom = _lines(d.node)
        if bottom - top >= 4 or not _movable(file, d.node) or is_elif(file, d.node):
            continue
        if (top <= first and last <= bottom) or file.multiline_string(d.node):
            continue  # an enclosing statement, or a string whose text would change
        text = _reindent(file.chunk(top, bottom), file.indent(top), "")
        donors.setdefault(text, d.node)
    for text, donor in donors.items():
        for spot in spots(file, s):
            what = f"insert `{short(file.text(donor))}` (from line {donor.lineno}) {spot.words}"
            new = _reindent(text, "", spot.indent)
            yield file.line_edit("insert-stmt", spot.line, spot.line - 1 + spot.replaces, new, what)


def duplicate(site: Site) -> Iterator[Edit]:
    file, s = site.file, site.stmt
    if s is None or not _movable(file, s.node):
        return
    if isinstance(s.node, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return  # the copy would be dead code
    first, last = _lines(s.node)
    what = f"duplicate {_describe_lines(first, last)}: `{short(file.text(s.node))}`"
    yield file.line_edit("duplicate-stmt", last + 1, last, file.chunk(first, last), what)
