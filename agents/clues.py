"""What a Python function's own text shows about a left-out statement, in words a model reads.

A small model asked to fix a function often returns it unchanged, or rewrites
the wrong line, when the failing test says only "expected 3, got 7". The text
itself often says where a statement went missing, as a linter would: a name
read that nothing binds, a parameter never read (``source`` of a shortest-path
function, whose ``dist[source] = 0`` was left out), a branch that does nothing
but ``pass``, a value computed and never used. These facts go into the fixer's
prompt beside the failing tests; they are facts, not guesses, so they never
name a fix.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from duckfix.agents.templates.inserts import unbound, unread_params
from duckfix.agents.templates.spans import DEFS, File, own_nodes

__all__ = ["clues"]

_MAX_CLUES = 6
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)


def clues(path: str, source: str, first: int) -> list[str]:
    """Facts about the function defined at line ``first`` of ``source``, one sentence each."""
    file = File.load(path, source)
    if file is None:
        return []
    function = next(
        (
            n
            for n in ast.walk(file.tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and min([n.lineno, *(d.lineno for d in n.decorator_list)]) == first
        ),
        None,
    )
    if function is None:
        return []
    found = [
        *_unbound(file, function),
        *(f"the parameter `{p}` is never read" for p in unread_params(function)),
        *_idle_blocks(function),
        *_unread_locals(function),
    ]
    return found[:_MAX_CLUES]


def _unbound(file: File, function: ast.AST) -> Iterator[str]:
    for name, node in sorted(unbound(file, function).items(), key=lambda i: i[1].lineno):
        yield f"line {node.lineno} reads `{name}`, which nothing assigns before it"


def _idle_blocks(function: ast.AST) -> Iterator[str]:
    """Branches and loops whose whole body is ``pass`` (or ``...``): they do nothing."""
    found: list[tuple[int, str]] = []
    for node in own_nodes(function):
        if not isinstance(node, _BLOCKS):
            continue
        for block, what in ((node.body, "body"), (getattr(node, "orelse", []), "else branch")):
            if block and all(_does_nothing(s) for s in block):
                kind = type(node).__name__.lower().removeprefix("async")
                at = block[0].lineno
                found.append((at, f"line {at}: the {what} of the `{kind}` at line {node.lineno}"))
    for _, clue in sorted(found):
        yield clue + " does nothing"


def _does_nothing(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Pass) or (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and statement.value.value is Ellipsis
    )


def _unread_locals(function: ast.AST) -> Iterator[str]:
    """Plain local names assigned and never read (a value computed for nothing)."""
    nodes = list(own_nodes(function))
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    # Names a nested function reads are read, and ``del`` is not a use.
    for inner in (n for n in nodes if isinstance(n, (*DEFS, ast.Lambda))):
        read |= {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)}
    scoped = (ast.Global, ast.Nonlocal)
    declared = {name for n in nodes if isinstance(n, scoped) for name in n.names}
    seen: set[str] = set()
    for node in sorted(nodes, key=lambda n: getattr(n, "lineno", 0)):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            for name in (t for t in ast.walk(target) if isinstance(t, ast.Name)):
                if name.id in read or name.id in declared or name.id in seen:
                    continue
                if name.id.startswith("_"):
                    continue  # the convention for a value thrown away
                seen.add(name.id)
                yield f"line {node.lineno} assigns `{name.id}`, which is never read"
