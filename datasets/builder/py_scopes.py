"""Scopes and bindings of a Python program: who binds which name where, and what it holds.

What the Python mutators ask of a program's names, read from its :mod:`ast`:

- :func:`collect_bindings`: per scope (module, class, function, lambda), per name, the
  offsets from which reads see each new binding; and the names a scope declares
  ``global`` / ``nonlocal``.
- :func:`latest_binding`: the binding a read at a given offset sees.
- :func:`first_assignments`: each name's first binding when it is an assignment, and
  ``self.x = ...`` in ``__init__``.
- :func:`name_roles`: a guess, from its uses and values, of what each name holds: a
  ``container`` to index, a ``scalar`` to count with, or ``text``.

Also the small readers of values they rest on (:func:`int_value`, :func:`callee`)
and the node kinds they sort values by. Offsets are characters of the text, from the
span function the caller passes.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Iterator

__all__ = [
    "ARITHMETIC",
    "CONTAINERS",
    "DICT_MAKERS",
    "FUNCTIONS",
    "Bindings",
    "callee",
    "collect_bindings",
    "first_assignments",
    "int_value",
    "latest_binding",
    "name_roles",
]

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Calls whose value is a dict (``dict.fromkeys`` too): their subscripts are keys.
DICT_MAKERS = frozenset({"dict", "defaultdict", "OrderedDict", "Counter", "fromkeys"})
_CONTAINER_MAKERS = DICT_MAKERS | {"list", "set", "tuple", "sorted", "deque"}
_SCALAR_MAKERS = frozenset({"len", "int", "float", "abs", "ord", "min", "max", "sum"})
CONTAINERS = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_SCALAR_OPS = (*ARITHMETIC[1:], ast.LShift, ast.RShift)  # + also joins strings and lists

Bindings = dict[ast.AST, dict[str, list[tuple[int, ast.AST]]]]
"""Per scope, per name, sorted: (offset from which reads see the new value, binding node)."""
Span = Callable[[ast.AST], tuple[int, int]]
"""A node's start and end offsets in the text."""


def callee(node: ast.AST) -> str | None:
    """The name a call calls: ``f`` for ``f(x)``, ``g`` for ``m.g(x)``; None if not a call."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def int_value(node: ast.AST) -> int | None:
    """The value of an int literal, ``-1`` included; None for anything else."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _stored_names(target: ast.AST) -> list[str]:
    """The names an assignment target stores (``a, b[i] = ...`` stores ``a``)."""
    return [
        n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    ]


def collect_bindings(
    nodes: list[ast.AST], scopes: dict[ast.AST, ast.AST], span: Span
) -> tuple[Bindings, dict[ast.AST, set[str]]]:
    """Where each name of each scope is bound: the offset from which reads see the new value.

    ``nodes`` in source order, ``scopes`` the scope each one reads. Also returned: per
    scope, the names it declares ``global`` / ``nonlocal`` (not its locals).
    """
    bindings: Bindings = {}
    declared: dict[ast.AST, set[str]] = {}

    def bind(scope: ast.AST, names: list[str], point: int, node: ast.AST) -> None:
        table = bindings.setdefault(scope, {})
        for name in names:
            table.setdefault(name, []).append((point, node))

    for node in nodes:
        scope = scopes[node]
        if isinstance(node, (ast.For, ast.AsyncFor)):
            bind(scope, _stored_names(node.target), span(node.iter)[1], node)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    point = span(item.context_expr)[1]
                    bind(scope, _stored_names(item.optional_vars), point, node)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            if getattr(node, "value", True) is not None:  # x: int binds nothing
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    bind(scope, _stored_names(target), span(node)[1], node)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            point = span(node.type)[1] if node.type else span(node)[0]
            bind(scope, [node.name], point, node)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.setdefault(scope, set()).update(node.names)
        if isinstance(node, (*FUNCTIONS, ast.Lambda)):
            a = node.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
            bind(node, [p.arg for p in params], span(node)[0], node)
    for table in bindings.values():
        for points in table.values():
            points.sort(key=lambda p: p[0])
    return bindings, declared


def latest_binding(points: list[tuple[int, ast.AST]], at: int) -> int | None:
    """Where the binding a read at offset ``at`` sees takes effect (``points`` sorted, as in
    :data:`Bindings`); None when the name is not bound yet there."""
    last = bisect.bisect_right(points, at, key=lambda p: p[0])
    return points[last - 1][0] if last else None


def first_assignments(
    nodes: list[ast.AST], scopes: dict[ast.AST, ast.AST], bindings: Bindings
) -> Iterator[tuple[str, ast.AST]]:
    """(name, value) of each name's first binding when it is an assignment; ``self.x`` too."""
    for table in bindings.values():
        for name, points in table.items():
            if not name.startswith("__"):
                for target, value in _assignment_pairs(points[0][1]):
                    if isinstance(target, ast.Name) and target.id == name:
                        yield name, value
    for scope in bindings:
        if isinstance(scope, FUNCTIONS) and scope.name == "__init__" and scope.args.args:
            me = scope.args.args[0].arg
            seen: set[str] = set()
            for node in nodes:
                if scopes[node] is not scope:
                    continue
                for target, value in _assignment_pairs(node):
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == me
                        and target.attr not in seen
                    ):
                        seen.add(target.attr)
                        yield f"{me}.{target.attr}", value


def _assignment_pairs(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(target, value) pairs of an assignment statement (an annotated one with a value too)."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _pairs(target, node.value)
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield node.target, node.value


def _pairs(target: ast.AST, value: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(target, value) pairs of an assignment, through one level of tuple unpacking."""
    if (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
    ):
        yield from zip(target.elts, value.elts, strict=True)
    else:
        yield target, value


def name_roles(nodes: list[ast.AST]) -> dict[str, set[str]]:
    """Per name, the roles its uses and values show: a list never stands in for an index."""
    roles: dict[str, set[str]] = {}

    def mark(node: ast.AST | None, role: str | None) -> None:
        if isinstance(node, ast.Name) and role is not None:
            roles.setdefault(node.id, set()).add(role)

    for node in nodes:
        if isinstance(node, ast.Subscript):
            mark(node.value, "container")
            mark(node.slice, "scalar")
        elif isinstance(node, ast.Slice):
            mark(node.lower, "scalar")
            mark(node.upper, "scalar")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            mark(node.iter, "container")
            mark(node.target, "scalar" if callee(node.iter) == "range" else None)
        elif isinstance(node, ast.Call):
            for arg in node.args:
                mark(arg, {"len": "container", "range": "scalar"}.get(callee(node) or ""))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _SCALAR_OPS):
            mark(node.left, "scalar")
            mark(node.right, "scalar")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides, sides[1:], strict=False):
                if isinstance(op, (ast.In, ast.NotIn)):
                    mark(right, "container")
                elif isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    mark(left, "scalar")
                    mark(right, "scalar")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name, value in _pairs(target, node.value):
                    mark(name, _value_role(value))
        elif isinstance(node, ast.AugAssign) and int_value(node.value) is not None:
            mark(node.target, "scalar")
    return roles


def _value_role(value: ast.AST) -> str | None:
    """What an assigned value is: a "container" to index, a "scalar" to count with, "text"."""
    called = callee(value)
    if isinstance(value, CONTAINERS) or called in _CONTAINER_MAKERS:
        return "container"
    if isinstance(value, ast.BinOp) and ast.List in (type(value.left), type(value.right)):
        return "container"  # [0] * n
    if isinstance(value, ast.JoinedStr) or called in ("str", "join"):
        return "text"
    if isinstance(value, ast.Constant) and not isinstance(value.value, (bytes, type(None))):
        return "text" if isinstance(value.value, str) else "scalar"
    if called in _SCALAR_MAKERS or int_value(value) is not None:
        return "scalar"
    if isinstance(value, ast.BinOp):
        numeric = isinstance(value.op, _SCALAR_OPS) or int_value(value.right) is not None
        return "scalar" if numeric else None
    return None
