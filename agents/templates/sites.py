"""What is on a suspect line: the expressions written there, the statement that starts
there, and the variables used nearest to it."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from duckfix.agents.templates.spans import COMPREHENSIONS, File, Stmt

__all__ = ["Site", "anchor", "in_comprehension", "is_elif", "nearest", "nodes"]


@dataclass(frozen=True, slots=True)
class Site:
    """A suspect line: the expressions on it and the statement that starts there."""

    file: File
    line: int
    nodes: list[ast.expr]
    stmt: Stmt | None


def _own(node: ast.stmt) -> list[ast.AST]:
    """The expressions a statement holds itself, not those of its nested statements."""
    if isinstance(node, (ast.If, ast.While)):
        return [node.test]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target, node.iter]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [e for item in node.items for e in (item.context_expr, item.optional_vars) if e]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
    if isinstance(node, ast.Match):
        return [node.subject]
    if isinstance(node, ast.AnnAssign):
        return [node.target, *([node.value] if node.value else [])]
    if isinstance(node, (ast.ClassDef, ast.Try, ast.TryStar)):
        return []
    return [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]


def _walk(node: ast.AST) -> Iterator[ast.expr]:
    # f-string internals are skipped: before 3.12 their positions are unreliable.
    if not isinstance(node, ast.expr):
        return
    yield node
    if isinstance(node, ast.JoinedStr):
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.comprehension):
            for sub in (child.target, child.iter, *child.ifs):
                yield from _walk(sub)
        elif isinstance(child, ast.keyword):
            yield from _walk(child.value)
        else:
            yield from _walk(child)


def nodes(file: File, line: int) -> list[ast.expr]:
    out: list[ast.expr] = []
    for s in file.at.get(line, ()):
        for root in _own(s.node):
            for node in _walk(root):
                # On a continuation line only what is written there is in play.
                if s.node.lineno == line or node.lineno <= line <= (node.end_lineno or 0):
                    out.append(node)
    return out


def anchor(file: File, line: int) -> Stmt | None:
    """The statement the statement-level templates move: the one starting on the line."""
    here = file.at.get(line, [])
    starting = [s for s in here if s.node.lineno == line]
    for s in starting or here[-1:]:
        if file.whole(s.node) and not is_elif(file, s.node):
            return s
    return None


def is_elif(file: File, node: ast.stmt) -> bool:
    start = file.offset(node.lineno, node.col_offset)
    return isinstance(node, ast.If) and file.source.startswith("elif", start)


def in_comprehension(file: File, node: ast.AST) -> dict[str, list[int]]:
    """Targets of the comprehensions around ``node``, which it may use."""
    out: dict[str, list[int]] = {}
    where = file.parents.get(id(node))
    while where is not None and not isinstance(where[0], ast.stmt):
        parent = where[0]
        if isinstance(parent, COMPREHENSIONS):
            for gen in parent.generators:
                for n in ast.walk(gen.target):
                    if isinstance(n, ast.Name):
                        out.setdefault(n.id, []).append(n.lineno)
        where = file.parents.get(id(parent))
    return out


def nearest(pool: Mapping[str, list[int]], line: int, *skip: str) -> list[str]:
    """Names in ``pool`` by how close to ``line`` they are used: locality predicts the fix."""
    names = [n for n in pool if n not in skip]
    return sorted(names, key=lambda n: (min(abs(x - line) for x in pool[n]), n))
