"""How a function of an HLS kernel accesses its arrays, for the pragma mutators.

Which accesses run in the same cycle (a pipelined loop or function, unrolled loops),
whether an array is read at neighbouring elements in parallel, how many times per
cycle it is used, and whether the function writes it: what decides whether a
partition, storage or unroll pragma fits. Read from an
:class:`~duckfix.datasets.builder.hls_model.HlsModel`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from duckfix.datasets.builder.hls_model import Access, Function, HlsModel, Loop

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["is_unrolled", "is_written", "per_cycle", "stride_one"]


def _chain(a: Access) -> list[Loop]:
    """The loops around an access, innermost first."""
    return [a.loop, *a.loop.ancestors()] if a.loop is not None else []


def is_unrolled(loop: Loop) -> bool:
    """Whether the loop's iterations run side by side: UNROLL, or inside a pipeline."""
    return (
        loop.has("unroll") is not None
        or any(a.has("pipeline") for a in loop.ancestors())
        or loop.function.has("pipeline") is not None
    )


def _region(fn: Function, chain: list[Loop]) -> tuple[object, bool] | None:
    """What runs in one cycle around an access (the outermost pipelined loop, a pipelined
    function, else the outermost UNROLL loop), and whether the access is in a loop
    unrolled inside it (so it happens more than once per cycle)."""
    piped = [loop for loop in chain if loop.has("pipeline")]
    if piped:
        return piped[-1], chain.index(piped[-1]) > 0
    if fn.has("pipeline"):
        return fn, bool(chain)
    unrolled = [loop for loop in chain if loop.has("unroll")]
    return (unrolled[-1], True) if unrolled else None


def _additive(m: HlsModel, node: Node) -> set[str]:
    """Names that are a direct term of an index (``i`` in ``i + 4 * c``): stride one."""
    if node.type == "identifier":
        return {m.src(node)}
    if node.type == "parenthesized_expression" and node.named_children:
        return _additive(m, node.named_children[0])
    parts = _operands(node, ("+", "-"))
    return _additive(m, parts[1]) | _additive(m, parts[2]) if parts else set()


def _offset(m: HlsModel, node: Node, fn: Function) -> tuple[str, int]:
    """An index as base + constant: ``4 * c + 1`` -> (``4*c``, 1), ``i - 1`` -> (``i``, -1)."""
    value = m.value(m.src(node), fn)
    if value is not None:
        return "", value
    parts = _operands(node, ("+", "-"))
    if parts:
        op, left, right = parts
        r, l_value = m.value(m.src(right), fn), m.value(m.src(left), fn)
        if r is not None:
            base, off = _offset(m, left, fn)
            return base, off + (r if op == "+" else -r)
        if op == "+" and l_value is not None:
            base, off = _offset(m, right, fn)
            return base, off + l_value
    return re.sub(r"\s+", "", m.src(node)), 0


def _operands(node: Node, ops: tuple[str, ...]) -> tuple[str, Node, Node] | None:
    """``a OP b`` for OP in ``ops``: the operator and both operands."""
    if node.type != "binary_expression":
        return None
    op = node.child_by_field_name("operator")
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op is None or left is None or right is None or op.type not in ops:
        return None
    return op.type, left, right


def stride_one(m: HlsModel, fn: Function, name: str, dims: list[int]) -> bool:
    """Whether the array is read at neighbouring elements in the same cycle along one of
    ``dims``: indexed by an unrolled loop's counter, or at ``b``, ``b + 1``... in one
    pipelined (or unrolled) iteration. Cyclic (or complete) partitioning fits that; block
    does not."""
    groups: dict[tuple[int, int, str], set[int]] = {}
    for a in fn.accesses:
        if a.name != name:
            continue
        chain = _chain(a)
        parallel = {loop.var for loop in chain if loop.var and is_unrolled(loop)}
        region = _region(fn, chain)
        for d in dims:
            if d > len(a.indices):
                continue
            index = a.indices[d - 1]
            if _additive(m, index) & parallel:
                return True
            if region is not None:
                base, off = _offset(m, index, fn)
                groups.setdefault((id(region[0]), d, base), set()).add(off)
    return any(len(offsets) > 1 for offsets in groups.values())


def per_cycle(fn: Function, name: str) -> int:
    """Most accesses to the array in one cycle (two for one inside an unrolled loop)."""
    counts: dict[int, int] = {}
    for a in fn.accesses:
        region = _region(fn, _chain(a)) if a.name == name else None
        if region is not None:
            counts[id(region[0])] = counts.get(id(region[0]), 0) + (2 if region[1] else 1)
    return max(counts.values(), default=0)


def is_written(m: HlsModel, fn: Function, name: str) -> bool:
    """Whether the function writes the array: an element assigned, or the array passed
    to ``memcpy``'s destination or to a non-``const`` array parameter of this file."""
    if any(a.write and a.name == name for a in fn.accesses):
        return True
    for call in fn.calls:
        args = call.child_by_field_name("arguments")
        callee = m.src(call.child_by_field_name("function") or call)
        for i, arg in enumerate(args.named_children if args is not None else []):
            if m.src(arg).lstrip("&").strip() != name:
                continue
            if callee == "memcpy" and i == 0:
                return True
            for g in m.functions:
                if g.name == callee and i < len(g.params):
                    param = g.params[i]
                    if param.array and not param.readonly:
                        return True
    return False
