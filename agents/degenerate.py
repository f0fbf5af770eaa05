"""Edits that make an operation do nothing: the shapes a person fixing the code would not write.

Templates that change one token at a time produce, among their plausible
candidates, some that neutralise what they touch: ``(low + high) // 1`` from
``// 2`` (an operation that returns its operand), ``word[k] == word[k]``
(a comparison of an expression with itself, true or false whatever the
input), ``x and True``. Each is equivalent to deleting part of the program,
and passes the visible tests only when that part did not matter to them:
``// 1`` turns a binary search into a linear one, which gives the same answers
on small inputs and never finishes on large ones. Search-based repair knows
these as anti-patterns (Tan et al., "Anti-patterns in search-based program
repair", FSE 2016).

:func:`introduced` counts the ones an edit adds, so that a patch that makes
none is tried first among plausible patches that the derived inputs cannot
tell apart.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping

__all__ = ["count", "introduced"]

# Right operands that leave the left one as it is; the left-identity ops are
# the commutative ones among them.
_RIGHT_IDENTITY: dict[type[ast.operator], object] = {
    ast.Add: 0,
    ast.Sub: 0,
    ast.Mult: 1,
    ast.Div: 1,
    ast.FloorDiv: 1,
    ast.Pow: 1,
    ast.BitOr: 0,
    ast.BitXor: 0,
    ast.LShift: 0,
    ast.RShift: 0,
}
_LEFT_IDENTITY: dict[type[ast.operator], object] = {ast.Add: 0, ast.Mult: 1, ast.BitOr: 0}


def _is(node: ast.expr, value: object) -> bool:
    # Exact types: `x * True` and `x * 1.0` (a float result) are left alone.
    if not isinstance(node, ast.Constant):
        return False
    return type(node.value) is type(value) and node.value == value


def _idle(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        right = op in _RIGHT_IDENTITY and _is(node.right, _RIGHT_IDENTITY[op])
        left = op in _LEFT_IDENTITY and _is(node.left, _LEFT_IDENTITY[op])
        return right or left
    if isinstance(node, ast.Compare):
        # `a == a`, `a < a`: decided without looking at the input.
        operands = [node.left, *node.comparators]
        return any(ast.dump(a) == ast.dump(b) for a, b in itertools.pairwise(operands))
    if isinstance(node, ast.BoolOp):
        return any(isinstance(v, ast.Constant) and isinstance(v.value, bool) for v in node.values)
    return False


def count(source: str) -> int:
    """Operations in ``source`` that do nothing (0 when it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    return sum(_idle(node) for node in ast.walk(tree))


def introduced(original: Mapping[str, str], patched: Mapping[str, str]) -> int:
    """How many more idle operations the Python files of ``patched`` hold than ``original``'s."""
    added = 0
    for path, text in patched.items():
        before = original.get(path)
        if path.endswith(".py") and before is not None and before != text:
            added += max(0, count(text) - count(before))
    return added
