"""The Chrysalis logic-bug categories of C / HLS C++ kernels (SHFT, INF, USE, ZERO, BUF, MLU)
and our own near them (wrong-shift, signedness, divide-by-zero, short-buffer, shift-register).

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
    deletion,
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
    "reversed_header",
    "shift_register",
    "shifts",
    "sign_extension",
    "signedness",
    "split_halves",
    "steps",
    "unrolled",
    "zero_inits",
]

_MACRO = re.compile(r"^[A-Z][A-Z0-9_]*$")
_FLOAT = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+\.)([fFlL]?)$")
_SHIFTS = {"<<": ">>", ">>": "<<", "<<=": ">>=", ">>=": "<<="}
_STEPS = {"++": "--", "--": "++", "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="} | _SHIFTS
_NARROW_UNSIGNED = {
    "unsigned char": "signed char",
    "uint8_t": "int8_t",
    "unsigned short": "short",
    "unsigned short int": "short",
    "uint16_t": "int16_t",
}
"""Unsigned types narrower than ``int`` (spacing squashed), and their signed twins."""
_SIGNED = {
    "ap_int": "ap_uint",
    "ap_uint": "ap_int",
    "ap_fixed": "ap_ufixed",
    "ap_ufixed": "ap_fixed",
}


def shifts(cx: Context) -> Iterator[Edit]:
    """SHFT: a shift by the shifted operand's width (out of bounds); wrong-shift: its
    direction flipped or its amount plus one."""
    for node in cx.of("binary_expression", "assignment_expression"):
        op = child(node, "operator")
        if cx.text(op) not in _SHIFTS:
            continue
        yield cx.edit("wrong-shift", "shift_direction", op, _SHIFTS[cx.text(op)], node)
        left, right = child(node, "left"), child(node, "right")
        more = operand_moved_by(cx, right, 1)
        if more is not None:
            yield cx.edit("wrong-shift", "shift_amount", right, more, node)
        width = _width_of(cx, left)
        if width is not None and squash(cx.text(right)) != squash(width):
            yield cx.edit("SHFT", "shift_by_width", right, width, node)


def _width_of(cx: Context, node: Node) -> str | None:
    """The bit width of a shifted operand, when the file says it: a variable of a sized
    type (``int``, ``ap_uint<W>``), or an integer literal (an ``int``, or ``long``)."""
    if node.type == "number_literal":
        lit = int_literal(cx.text(node))
        return None if lit is None else "64" if "l" in lit[1].lower() else "32"
    var = cx.resolve(node) if node.type == "identifier" else None
    if var is None or var.width is None:
        return None
    return var.width if re.fullmatch(r"\w+", var.width) else f"({var.width})"


def steps(cx: Context) -> Iterator[Edit]:
    """INF: a loop's step removed or reversed.

    A halving loop's ``j > 0`` -> ``j >= 0`` is made with the other loop-header edits.
    """
    for lp in cx.loops:
        yield cx.edit("INF", "step_removed", lp.update, "", lp.update)
        op = child(lp.update, "operator")
        yield cx.edit("INF", "step_reversed", op, _STEPS[cx.text(op)], lp.update)


def sign_extension(cx: Context) -> Iterator[Edit]:
    """USE: a narrow unsigned type made signed, so that widening its value extends the sign.

    ``unsigned char`` -> ``signed char``, ``uint16_t`` -> ``int16_t``, ``ap_uint<W>`` ->
    ``ap_int<W>`` in a local's declaration or a cast: a byte 0xF0 read into an ``int``
    becomes -16 instead of 240.
    """
    for node in cx.of("declaration", "cast_expression"):
        type_node = child(node, "type")
        if node.type == "cast_expression":
            type_node = type_node.child_by_field_name("type") or type_node
        narrow = _narrow_signed(cx, type_node)
        if narrow is not None:
            yield cx.edit("USE", "sign_extended", narrow[0], narrow[1], node)


def _narrow_signed(cx: Context, type_node: Node | None) -> tuple[Node, str] | None:
    """The signed twin of a narrow unsigned type: (what to replace, by what).

    Narrow: ``unsigned char`` / ``short``, ``uint8_t`` / ``uint16_t`` (C promotes them to
    ``int``), and any ``ap_uint<W>`` (ap_int arithmetic widens its operands).
    """
    if type_node is None:
        return None
    signed = _NARROW_UNSIGNED.get(squash(cx.text(type_node)))
    if signed is not None:
        return type_node, signed
    name = type_node.child_by_field_name("name") if type_node.type == "template_type" else None
    return (name, "ap_int") if name is not None and cx.text(name) == "ap_uint" else None


def signedness(cx: Context) -> Iterator[Edit]:
    """signedness: a local's type made (un)signed; a sign test done on an unsigned value.

    A narrow unsigned type made signed is USE's (:func:`sign_extension`).
    """
    downward = {lp.node.start_byte for lp in cx.loops if not lp.up}
    for decl in cx.of("declaration"):
        parent = decl.parent
        if (
            parent is not None
            and parent.type == "for_statement"
            and parent.start_byte not in downward
        ):
            continue  # an upward counter's sign seldom matters
        type_node = decl.child_by_field_name("type")
        flipped = None if _narrow_signed(cx, type_node) else _flip_sign(cx, type_node)
        if flipped is not None:
            yield cx.edit("signedness", "signedness", flipped[0], flipped[1], decl)
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
            yield cx.edit("signedness", "unsigned_compare", left, f"(unsigned){text}", node)


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
    """divide-by-zero: a divisor that can now be zero, or a zero guard removed."""
    for node in cx.of("binary_expression", "assignment_expression"):
        if op_text(cx, node) not in ("/", "%", "/=", "%="):
            continue
        right = core = child(node, "right")
        while core.type == "parenthesized_expression" and core.named_child_count == 1:
            core = core.named_children[0]
        moved = operand_moved_by(cx, right, -1)
        if core.type != "number_literal" and not _MACRO.match(cx.text(core)) and moved is not None:
            yield cx.edit("divide-by-zero", "divisor_minus_one", right, moved, node)
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
            yield cx.edit("divide-by-zero", "zero_guard_removed", node, cx.text(kept), node)


def _divides_by(cx: Context, node: Node, divisor: str) -> bool:
    return any(
        op_text(cx, n) in ("/", "%", "/=", "%=")
        and squash(cx.text(child(n, "right"))).strip("()") == divisor
        for n in descendants(node, "binary_expression", "assignment_expression")
    )


def zero_inits(cx: Context) -> Iterator[Edit]:
    """ZERO: a scalar local's non-zero initialiser replaced by zero (``int prod = 1;`` ->
    ``int prod = 0;``, ``float m = x[0];`` -> ``float m = 0;``). Constants are left alone."""
    for decl in cx.of("declaration"):
        if decl.parent is not None and decl.parent.type == "for_statement":
            continue  # a loop's start is off-by-one's
        if cx.text(decl.child_by_field_name("type") or decl) == "auto" or any(
            c.type in ("type_qualifier", "storage_class_specifier")
            and cx.text(c) in ("const", "constexpr")
            for c in decl.children
        ):
            continue
        for d in decl.children_by_field_name("declarator"):
            value = d.child_by_field_name("value")
            _, arrays, pointer, reference = declarator_parts(d)
            if d.type != "init_declarator" or value is None or arrays or pointer or reference:
                continue
            zero = _zero_for(cx, value)
            if zero is not None:
                yield cx.edit("ZERO", "zero_initializer", value, zero, decl, d)


def _zero_for(cx: Context, value: Node) -> str | None:
    """The zero that replaces a non-zero initialiser; None when it is zero already."""
    text = squash(cx.text(value))
    if value.type in ("initializer_list", "argument_list", "string_literal"):
        return None
    if value.type in ("true", "false"):
        return "false" if text == "true" else None
    if value.type == "number_literal":
        lit = int_literal(text)
        if lit is not None:
            return None if lit[0] == 0 else f"0{lit[1]}"
        m = _FLOAT.match(text)
        if m is None or float(m.group(1)) == 0:
            return None
        return "0.0" + m.group(2)
    return None if text in ("'\\0'", "0.0", "0.0f") else "0"


def split_halves(cx: Context) -> Iterator[Edit]:
    """BUF: a copy out of a buffer split in two halves reads the other half.

    The buffer's size along a dimension is known (a literal, a ``#define``) and even;
    the element copied (``x = buf[...]``) is taken from the other half: a ping-pong
    pair's other row (``buf[p][i]`` -> ``buf[1 - p][i]``, ``buf[0]`` -> ``buf[1]``), the
    lower half for the upper (``buf[i + N/2]`` -> ``buf[i]``, ``buf[5]`` -> ``buf[1]``
    of eight) or the upper for the lower (``buf[i]`` -> ``buf[i + H]`` in a loop over
    ``i < H``).
    """
    for node in cx.of("assignment_expression"):
        right = child(node, "right")
        chain = subscript_chain(cx, right) if right.type == "subscript_expression" else None
        var = cx.visible(right.start_byte).get(chain[0]) if chain is not None else None
        if chain is None or var is None or op_text(cx, node) != "=":
            continue
        for size, idx in zip(var.sizes, chain[1], strict=False):
            n = cx.value(size) if size else None
            other = _other_half(cx, idx, n // 2) if n is not None and n % 2 == 0 else None
            if other is not None:
                yield cx.edit("BUF", "other_half", idx, other, node)


def _other_half(cx: Context, idx: Node, half: int) -> str | None:
    """Index ``idx`` moved into the other half of a dimension ``2 * half`` long."""
    text = cx.text(idx)
    lit = int_literal(text) if idx.type == "number_literal" else None
    if lit is not None:
        k = lit[0]
        return str(k + half if k < half else k - half) if k < 2 * half else None
    if half == 1:
        return f"1 - {text}" if idx.type == "identifier" else f"1 - ({text})"
    if idx.type == "binary_expression" and op_text(cx, idx) == "+":
        left, right = child(idx, "left"), child(idx, "right")
        if cx.value(cx.text(right)) == half:
            return cx.text(left)
        if cx.value(cx.text(left)) == half:
            return cx.text(right)
        return None
    if idx.type != "identifier":
        return None
    for lp in cx.loops:
        body = child(lp.node, "body")
        if lp.var != text or not body.start_byte <= idx.start_byte < body.end_byte:
            continue
        start = cx.value(cx.text(lp.start)) if lp.start is not None else None
        if not lp.up or lp.op != "<" or lp.start is None:
            return None
        bound = cx.value(cx.text(lp.bound))
        if start == 0 and bound == half:  # a loop over the lower half
            return f"{text} + {_term(cx.text(lp.bound))}"
        if start == half and bound == 2 * half:  # over the upper half
            return f"{text} - {_term(cx.text(lp.start))}"
        return None
    return None


def _term(text: str) -> str:
    """``text`` as an operand of ``+`` / ``-``: parenthesised unless it is one word."""
    return text if re.fullmatch(r"[\w.]+", text) else f"({text})"


def buffers(cx: Context) -> Iterator[Edit]:
    """short-buffer: a local array one element smaller; shift-register: a shift register's
    steps out of order."""
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
                    yield cx.edit("short-buffer", "buffer_smaller", size, smaller or "", d)
    for block in cx.of("compound_statement"):
        for first, second in pairwise(block.named_children):
            if _manual_shift(cx, first, second):
                swapped = (
                    cx.text(second) + cx.span(first.end_byte, second.start_byte) + cx.text(first)
                )
                yield cx.edit(
                    "shift-register",
                    "shift_steps_swapped",
                    (first.start_byte, second.end_byte),
                    swapped,
                )
    for lp in cx.loops:
        header = reversed_header(cx, lp) if shift_register(cx, lp, child(lp.node, "body")) else None
        if header is not None:
            init = child(lp.node, "initializer")
            yield cx.edit(
                "shift-register",
                "shift_order_reversed",
                (init.start_byte, lp.update.end_byte),
                header,
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


def reversed_header(cx: Context, lp: CountedLoop) -> str | None:
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
    """MLU: in a run of same-shaped copies, one copy takes its neighbour's subscript offset
    (its own iteration is skipped, the neighbour's done twice), or the last copy is deleted."""
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
        differ = False
        for pos in range(len(copies[0]) if j - i >= 2 else 0):
            offsets = [slots[pos][1] for slots in copies]
            differ = differ or len(set(offsets)) > 1
            for k, slots in enumerate(copies if len(set(offsets)) > 1 else ()):
                wanted = offsets[k - 1] if k else offsets[1]
                if wanted != offsets[k]:
                    yield _offset_edit(cx, slots[pos], wanted)
        last = units[j - 1]
        if differ and last.type == "expression_statement":
            # The last copy gone: the unrolled body skips one iteration's work.
            yield cx.edit("MLU", "unrolled_copy_deleted", last, deletion(last), last)
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
