"""The Chrysalis logic-bug categories of C / HLS C++ kernels: SHFT, INF, USE, ZERO, BUF, MLU.

Each mutator reads a :class:`~duckfix.datasets.builder.c_context.Context` and yields
:class:`~duckfix.datasets.builder.c_context.Edit` s; the table in
:mod:`~duckfix.datasets.builder.c_mutators` says what each category edits, and
:func:`~duckfix.datasets.builder.c_mutators.c_mutants` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

from duckfix.datasets.builder.c_context import (
    Context,
    CountedLoop,
    Edit,
    assignment,
    bare,
    declarator_parts,
    index_of,
    int_literal,
    moved_by,
    op_text,
    operand_moved_by,
    squash,
    subscript_chain,
)
from duckfix.datasets.builder.c_syntax import child, descendants

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "buffers",
    "divisions",
    "shift_register",
    "shifts",
    "signedness",
    "steps",
    "unrolled",
]

_MACRO = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SHIFTS = {"<<": ">>", ">>": "<<", "<<=": ">>=", ">>=": "<<="}
_STEPS = {"++": "--", "--": "++", "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="} | _SHIFTS
_SIGNED = {
    "ap_int": "ap_uint",
    "ap_uint": "ap_int",
    "ap_fixed": "ap_ufixed",
    "ap_ufixed": "ap_fixed",
}


def shifts(cx: Context) -> Iterator[Edit]:
    """SHFT: a shift's amount plus one, its direction flipped, or its amount the type's width."""
    for node in cx.of("binary_expression", "assignment_expression"):
        op = child(node, "operator")
        if cx.text(op) not in _SHIFTS:
            continue
        yield cx.edit("SHFT", "shift_direction", op, _SHIFTS[cx.text(op)], node)
        left, right = child(node, "left"), child(node, "right")
        more = operand_moved_by(cx, right, 1)
        if more is not None:
            yield cx.edit("SHFT", "shift_amount", right, more, node)
        var = cx.resolve(left) if left.type == "identifier" else None
        if var is not None and var.width is not None:
            width = var.width if re.fullmatch(r"\w+", var.width) else f"({var.width})"
            yield cx.edit("SHFT", "shift_by_width", right, width, node)


def steps(cx: Context) -> Iterator[Edit]:
    """INF: a loop's step removed or reversed.

    A halving loop's ``j > 0`` -> ``j >= 0`` is made with the other loop-header edits.
    """
    for lp in cx.loops:
        yield cx.edit("INF", "step_removed", lp.update, "", lp.update)
        op = child(lp.update, "operator")
        yield cx.edit("INF", "step_reversed", op, _STEPS[cx.text(op)], lp.update)


def signedness(cx: Context) -> Iterator[Edit]:
    """USE: a local's type made (un)signed; a sign test done on an unsigned value."""
    downward = {lp.node.start_byte for lp in cx.loops if not lp.up}
    for decl in cx.of("declaration"):
        parent = decl.parent
        if (
            parent is not None
            and parent.type == "for_statement"
            and parent.start_byte not in downward
        ):
            continue  # an upward counter's sign seldom matters
        flipped = _flip_sign(cx, decl.child_by_field_name("type"))
        if flipped is not None:
            yield cx.edit("USE", "signedness", flipped[0], flipped[1], decl)
    for node in cx.of("binary_expression"):
        left, right = child(node, "left"), child(node, "right")
        if (
            op_text(cx, node) in ("<", ">=")
            and cx.text(right) == "0"
            and left.type != "number_literal"
        ):
            text = cx.text(left)
            if left.type not in ("identifier", "subscript_expression", "field_expression"):
                text = f"({text})"
            yield cx.edit("USE", "unsigned_compare", left, f"(unsigned){text}", node)


def _flip_sign(cx: Context, type_node: Node | None) -> tuple[Node, str] | None:
    if type_node is None:
        return None
    text = cx.text(type_node)
    if type_node.type == "primitive_type" and text in ("int", "char", "short", "long"):
        return type_node, "unsigned" if text == "int" else f"unsigned {text}"
    if type_node.type == "sized_type_specifier":
        words = text.split()
        if "unsigned" in words:
            return type_node, " ".join(w for w in words if w != "unsigned") or "int"
        return None if "signed" in words else (type_node, f"unsigned {text}")
    name = type_node.child_by_field_name("name") if type_node.type == "template_type" else None
    if name is not None and cx.text(name) in _SIGNED:
        return name, _SIGNED[cx.text(name)]
    return None


def divisions(cx: Context) -> Iterator[Edit]:
    """ZERO: a divisor that can now be zero, or a zero guard removed."""
    for node in cx.of("binary_expression", "assignment_expression"):
        if op_text(cx, node) not in ("/", "%", "/=", "%="):
            continue
        right = core = child(node, "right")
        while core.type == "parenthesized_expression" and core.named_child_count == 1:
            core = core.named_children[0]
        moved = operand_moved_by(cx, right, -1)
        if core.type != "number_literal" and not _MACRO.match(cx.text(core)) and moved is not None:
            yield cx.edit("ZERO", "divisor_minus_one", right, moved, node)
    for node in cx.of("if_statement"):
        value = child(node, "condition").child_by_field_name("value")
        if (
            value is None
            or value.type != "binary_expression"
            or cx.text(child(value, "right")) != "0"
        ):
            continue
        divisor, sym = squash(cx.text(child(value, "left"))), op_text(cx, value)
        alternative = node.child_by_field_name("alternative")
        kept = child(node, "consequence") if sym == "!=" else None
        if sym == "==" and alternative is not None:
            kept = next((c for c in alternative.named_children if c.type != "comment"), None)
        if kept is not None and _divides_by(cx, kept, divisor):
            yield cx.edit("ZERO", "zero_guard_removed", node, cx.text(kept), node)


def _divides_by(cx: Context, node: Node, divisor: str) -> bool:
    return any(
        op_text(cx, n) in ("/", "%", "/=", "%=")
        and squash(cx.text(child(n, "right"))).strip("()") == divisor
        for n in descendants(node, "binary_expression", "assignment_expression")
    )


def buffers(cx: Context) -> Iterator[Edit]:
    """BUF: a local array one element smaller; a shift register's steps out of order."""
    passed = {cx.text(a) for args in cx.of("argument_list") for a in args.named_children}
    for decl in cx.of("declaration"):
        for d in decl.children_by_field_name("declarator"):
            name, arrays, _, _ = declarator_parts(d)
            for arr in arrays:
                if arr != arrays[-1] and name is not None and cx.text(name) in passed:
                    continue  # a row of another length: the callee's parameter would not fit
                size = arr.child_by_field_name("size")
                smaller = moved_by(cx, size, -1) if size is not None else None
                if size is not None and smaller not in (None, "0"):
                    yield cx.edit("BUF", "buffer_smaller", size, smaller or "", d)
    for block in cx.of("compound_statement"):
        for first, second in pairwise(block.named_children):
            if _manual_shift(cx, first, second):
                swapped = (
                    cx.text(second) + cx.span(first.end_byte, second.start_byte) + cx.text(first)
                )
                yield cx.edit(
                    "BUF", "shift_steps_swapped", (first.start_byte, second.end_byte), swapped
                )
    for lp in cx.loops:
        header = (
            _reversed_header(cx, lp) if shift_register(cx, lp, child(lp.node, "body")) else None
        )
        if header is not None:
            init = child(lp.node, "initializer")
            yield cx.edit(
                "BUF", "shift_order_reversed", (init.start_byte, lp.update.end_byte), header
            )


def _manual_shift(cx: Context, first: Node, second: Node) -> bool:
    """``w[0] = w[1]; w[1] = new;``: the second step overwrites what the first moved."""
    a, b = assignment(cx, first), assignment(cx, second)
    if a is None or b is None:
        return False
    chains = [subscript_chain(cx, n) for n in (*a, b[0])]
    if any(c is None for c in chains) or len({c[0] for c in chains if c}) != 1:
        return False
    if bare(cx, a[1]) != bare(cx, b[0]):
        return False
    # A move between neighbours (``w[i][0]`` <- ``w[i][1]``), not a swap through a temporary.
    to, at = chains[0][1] if chains[0] else [], chains[1][1] if chains[1] else []
    diffs = [(x, y) for x, y in zip(to, at, strict=False) if bare(cx, x) != bare(cx, y)]
    if len(to) != len(at) or len(diffs) != 1:
        return False
    (x, y) = diffs[0]
    sx, sy = _split_offset(cx, x), _split_offset(cx, y)
    same_base = (sx[2] is None and sy[2] is None) or (
        sx[2] is not None and sy[2] is not None and bare(cx, sx[2]) == bare(cx, sy[2])
    )
    return same_base and abs(sx[1] - sy[1]) == 1


def shift_register(cx: Context, lp: CountedLoop, body: Node) -> bool:
    """Whether the loop's body moves ``a[i ± 1]`` into ``a[i]``: a shift register."""
    for stmt in descendants(body, "expression_statement"):
        pair = assignment(cx, stmt)
        lhs, rhs = (subscript_chain(cx, n) for n in pair) if pair else (None, None)
        if lhs is None or rhs is None or lhs[0] != rhs[0] or len(lhs[1]) != len(rhs[1]):
            continue
        diffs = [(x, y) for x, y in zip(lhs[1], rhs[1], strict=True) if bare(cx, x) != bare(cx, y)]
        moved = (f"{lp.var}+1", f"{lp.var}-1")
        if len(diffs) == 1 and bare(cx, diffs[0][0]) == lp.var and bare(cx, diffs[0][1]) in moved:
            return True
    return False


def _reversed_header(cx: Context, lp: CountedLoop) -> str | None:
    """The loop's header visiting the same indices in the opposite order."""
    if lp.start is None or op_text(cx, lp.update) not in ("++", "--"):
        return None
    init = child(lp.node, "initializer")
    prefix = cx.span(init.start_byte, lp.start.start_byte)
    first, var = cx.text(lp.start), lp.var
    # The last index visited: the bound itself when inclusive, else one inside it.
    inclusive = lp.op in ("<=", ">=")
    last = cx.text(lp.bound) if inclusive else moved_by(cx, lp.bound, -1 if lp.up else 1)
    if last is None:
        return None
    if lp.up:
        return f"{prefix}{last}; {var} >= {first}; {var}--"
    return f"{prefix}{last}; {var} <= {first}; {var}++"


def unrolled(cx: Context) -> Iterator[Edit]:
    """MLU: in a run of same-shaped copies, one copy takes its neighbour's subscript offset."""
    for block in cx.of("compound_statement", "declaration"):
        runs: list[list[Node]] = [[]]
        if block.type == "declaration":
            runs = [
                [
                    d
                    for d in block.children_by_field_name("declarator")
                    if d.type == "init_declarator"
                ]
            ]
        for kid in block.named_children if block.type == "compound_statement" else ():
            if kid.type in ("expression_statement", "declaration") and kid.named_child_count:
                runs[-1].append(kid)
            else:
                runs.append([])
        for run in runs:
            yield from _unrolled_run(cx, run)


# A subscript index: the index node, its literal offset, its base (``4 * c``), the literal.
_Slot = tuple["Node", int, "Node | None", "Node | None"]


def _unrolled_run(cx: Context, units: list[Node]) -> Iterator[Edit]:
    shaped = [_shape(cx, u) for u in units]
    i = 0
    while i < len(shaped):
        j = i + 1
        while j < len(shaped) and shaped[j][0] == shaped[i][0]:
            j += 1
        copies = [slots for _, slots in shaped[i:j]]
        for pos in range(len(copies[0]) if j - i >= 2 else 0):
            offsets = [slots[pos][1] for slots in copies]
            for k, slots in enumerate(copies if len(set(offsets)) > 1 else ()):
                wanted = offsets[k - 1] if k else offsets[1]
                if wanted != offsets[k]:
                    yield _offset_edit(cx, slots[pos], wanted)
        i = j


def _shape(cx: Context, unit: Node) -> tuple[object, list[_Slot]]:
    """A unit's shape, names and subscript offsets left out, and its subscript slots."""
    slots: list[_Slot] = []

    def walk(node: Node) -> object:
        idx = index_of(node) if node.type == "subscript_argument_list" else None
        if idx is not None:
            slots.append(_split_offset(cx, idx))
            base = slots[-1][2]
            return ("[]", None if base is None else walk(base))
        if node.type in ("identifier", "field_identifier", "type_identifier"):
            return "ID"
        if node.child_count == 0:
            return cx.text(node)
        return (node.type, *(walk(c) for c in node.children if c.type != "comment"))

    return walk(unit), slots


def _split_offset(cx: Context, idx: Node) -> _Slot:
    lit = int_literal(cx.text(idx)) if idx.type == "number_literal" else None
    if lit is not None:
        return idx, lit[0], None, idx
    if idx.type == "binary_expression" and op_text(cx, idx) in ("+", "-"):
        right = child(idx, "right")
        lit = int_literal(cx.text(right)) if right.type == "number_literal" else None
        if lit is not None:
            sign = 1 if op_text(cx, idx) == "+" else -1
            return idx, sign * lit[0], child(idx, "left"), right
    return idx, 0, idx, None


def _offset_edit(cx: Context, slot: _Slot, wanted: int) -> Edit:
    idx, _, base, literal = slot
    where = idx.parent.parent if idx.parent is not None else None  # the subscript expression
    if literal is not None and base is None:
        return cx.edit("MLU", "unrolled_copy", idx, str(wanted), where)
    # Keep the copy's own form (``4 * c + 1`` -> ``4 * c + 0``) when the sign allows.
    plus = literal is not None and op_text(cx, idx) == "+"
    if literal is not None and (wanted == 0 or (wanted > 0) == plus):
        return cx.edit("MLU", "unrolled_copy", literal, str(abs(wanted)), where)
    assert base is not None  # a slot without a literal offset has itself as its base
    tail = f" + {wanted}" if wanted > 0 else f" - {-wanted}" if wanted else ""
    return cx.edit("MLU", "unrolled_copy", idx, cx.text(base) + tail, where)
