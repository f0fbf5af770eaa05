"""Logic-bug mutators for C / HLS C++ kernels: sites found in the syntax tree, edits as spans.

:func:`c_mutants` parses a file with tree-sitter-cpp, finds the sites of every
logic-bug category in the bodies of its functions and returns one
:class:`~duckfix.datasets.builder.mutants.Mutant` per candidate edit. An edit
replaces one span of the text, so every other character keeps its form. No
edit touches a ``#pragma`` or other preprocessor line, a comment or a template
argument list (``ap_int<12>``): the pragma categories belong to
``pragma_mutators``, and USE and signedness change a type's *name* (``ap_uint`` ->
``ap_int``), never its width. Every mutant parses without new tree-sitter
errors and differs from the original beyond whitespace. Candidates are not
bugs yet: the builder's validation runs the test benches and keeps those that
fail them.

How each category is read (the general ones, the Chrysalis codes with the
Chrysalis meanings, then our own C categories):

===================  ===================================================================
category             edits
===================  ===================================================================
off-by-one           loop condition ``<`` <-> ``<=`` / ``>`` <-> ``>=`` when the loop
                     variable is in no subscript, and the same toggle on any other
                     comparison; loop bound ``N`` -> ``N - 1``; loop start moved by one;
                     a literal subscript or a subscript's literal offset moved by one
                     (``a[i - 1]`` -> ``a[i]``, ``a[0]`` -> ``a[1]``)
wrong-operator       ``+ - * / % & | ^ && ||`` and compound assignments swapped for a
                     near one (``+=`` also becomes ``=``); never where the swap is
                     neutral (``x + 0``); shifts are SHFT's and wrong-shift's
wrong-comparison     ``<`` <-> ``>``, ``<=`` <-> ``>=``, ``==`` <-> ``!=``
wrong-variable       a use of a variable replaced by another one visible there, of the
                     same declared type and shape (scalar, pointer, array of equal
                     rank and row length); never a ``const`` one where the use is
                     stored into or passed whole to a call
wrong-initial-value  a literal initialiser changed: 0 -> 1, 1 -> 0, all-ones -> 0,
                     0 -> ``~0`` for an ``unsigned`` / ``ap_uint`` local, n -> n + 1,
                     ``true`` <-> ``false``; also the literal a clearing loop stores
missing-statement    an expression statement deleted (its line stays; ``;`` where a
                     statement is needed)
swapped-arguments    two arguments of a call swapped, unless they surely differ in
                     type (a scalar and an array)
OOB                  loop ``i < N`` -> ``i <= N`` (``i > 0`` -> ``i >= 0`` downward,
                     ``i <= N`` -> ``i <= N + 1``) when ``i`` is in a subscript of the
                     body; ``a[i]`` -> ``a[i + 1]`` for a loop variable ``i``
INIT                 a local's initialiser removed (``int acc = 0;`` -> ``int acc;``);
                     a store of a clearing loop (one that only stores literals)
                     deleted, or the whole loop when it holds no pragma or comment
SHFT                 a shift by the shifted operand's width (``x << k`` -> ``x << 32``
                     for an ``int``, ``<< W`` for an ``ap_(u)int<W>``): out of bounds
INF                  a loop's step removed or reversed (``i++`` -> ``i--``); a halving
                     loop's ``j > 0`` made ``j >= 0`` (``j >>= 1`` stays at 0)
USE                  a narrow unsigned type made signed in a local's declaration or
                     a cast (``unsigned char`` -> ``signed char``, ``uint16_t`` ->
                     ``int16_t``, ``ap_uint<W>`` -> ``ap_int<W>``), so its value is
                     sign-extended when it is widened
MLU                  a run of consecutive statements (or declarators of one
                     declaration) of one shape whose literal subscript offsets differ,
                     as in ``a[i]``, ``a[i + 1]``, ``a[i + 2]`` (names may differ too:
                     ``a0``, ``a1``): one copy takes its neighbour's offset (the
                     copy-paste slip), or the last copy is deleted: an iteration omitted
ZERO                 a scalar local's non-zero initialiser made zero (``int p = 1;``
                     -> ``int p = 0;``, ``float m = x[0];`` -> ``float m = 0;``);
                     ``const`` locals are left alone
BUF                  a copy ``... = buf[...]`` out of a buffer whose size along a
                     dimension is even and known in the file reads the other half:
                     ``buf[p][i]`` -> ``buf[1 - p][i]`` (a ping-pong pair),
                     ``buf[i + H]`` -> ``buf[i]``, ``buf[i]`` -> ``buf[i + H]`` in a
                     loop over ``i < H``, a literal index moved by ``H``
wrong-shift          a shift's amount plus one (``x << k`` -> ``x << (k + 1)``) or its
                     direction flipped (``<<`` <-> ``>>``, ``<<=`` <-> ``>>=``)
signedness           ``int`` <-> ``unsigned`` in a local declaration (a downward loop's
                     counter too), ``ap_int`` <-> ``ap_uint`` / ``ap_fixed`` <->
                     ``ap_ufixed`` in a local's type (ap_uint and narrow unsigned
                     types are USE's),
                     a sign test made unsigned (``x < 0`` -> ``(unsigned)x < 0``)
divide-by-zero       a variable divisor moved down by one (``x / n`` -> ``x / (n - 1)``,
                     ``% d`` -> ``% (d - 1)``), or an ``if (n == 0)`` guard around a
                     division by ``n`` removed, keeping the dividing branch; literal
                     and macro (``ALL_CAPS``) divisors are left alone
short-buffer         a local array one element smaller in one dimension
                     (``T buf[N]`` -> ``T buf[N - 1]``; an inner one only when the
                     array is not passed whole to a call)
shift-register       a shift-register loop (``a[i] = a[i - 1]``) run the other way
                     round or with its header off by one; a manual shift
                     (``w[0] = w[1]; w[1] = w[2];``) with its two steps swapped
===================  ===================================================================

When two categories make the same edit, the more specific one labels it (the
order of ``_RANK``): ``i < N`` -> ``i <= N`` over an indexed array is OOB, not
off-by-one, and ``int p = 1;`` -> ``int p = 0;`` is ZERO, not wrong-initial-value.

This module holds :func:`c_mutants` and the general categories' mutators; the
Chrysalis ones are in :mod:`~duckfix.datasets.builder.c_chrysalis`, the picture of the
file they share (variables, loops, edits) in :mod:`~duckfix.datasets.builder.c_context`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from duckfix.datasets.builder.c_chrysalis import (
    buffers,
    divisions,
    shift_register,
    shifts,
    sign_extension,
    signedness,
    split_halves,
    steps,
    unrolled,
    zero_inits,
)
from duckfix.datasets.builder.c_context import (
    Context,
    CountedLoop,
    Edit,
    assignment,
    build_context,
    declarator_parts,
    deletion,
    index_of,
    int_literal,
    moved_by,
    op_text,
    squash,
    subscript_chain,
)
from duckfix.datasets.builder.c_syntax import Source, child, descendants
from duckfix.datasets.builder.hls_model import HlsModel
from duckfix.datasets.builder.mutants import Mutant, line_of

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["c_mutants"]

# Which category labels an edit that several mutators make: the specific before the general.
_RANK = {name: i for i, name in enumerate((
    "MLU", "BUF", "ZERO", "shift-register", "short-buffer", "divide-by-zero", "INF", "SHFT",
    "wrong-shift", "OOB", "INIT", "USE", "signedness", "off-by-one", "wrong-comparison",
    "wrong-operator", "wrong-variable", "wrong-initial-value", "missing-statement",
    "swapped-arguments",
))}  # fmt: skip
_FLOAT = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+\.)([fFlL]?)$")
_OPERATORS: dict[str, tuple[str, ...]] = {
    "+": ("-",), "-": ("+",), "*": ("+",), "/": ("*",), "%": ("/",),
    "&": ("|",), "|": ("&", "^"), "^": ("|", "&"), "&&": ("||",), "||": ("&&",),
    "+=": ("-=", "="), "-=": ("+=",), "*=": ("+=",), "/=": ("*=",), "%=": ("/=",),
    "&=": ("|=",), "|=": ("^=",), "^=": ("|=",),
}  # fmt: skip
_NEUTRAL = {"0": ("+", "-", "|", "^", "+=", "-=", "|=", "^="), "1": ("*", "/", "*=", "/=")}
_COMPARISONS = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "!=", "!=": "=="}
_BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_LITERALS = ("number_literal", "true", "false", "char_literal")


# --- the public function ---------------------------------------------------------------


def c_mutants(text: str, file: str) -> list[Mutant]:
    """Every candidate logic-bug mutant of the C / C++ source ``text`` (path ``file``).

    The order is stable (by position, then category); an edit that two categories
    propose comes once, under the more specific one.
    """
    source = Source(text)
    cx = build_context(source.data, source.root)
    cx.value = _constants(text)
    chosen: dict[tuple[int, int, str], Edit] = {}
    for mutator in _MUTATORS:
        for e in mutator(cx):
            old = chosen.get((e.start, e.end, e.replacement))
            if old is None or _RANK[e.category] < _RANK[old.category]:
                chosen[e.start, e.end, e.replacement] = e
    squashed = squash(text)
    out: list[Mutant] = []
    for e in sorted(
        chosen.values(), key=lambda e: (e.start, e.end, _RANK[e.category], e.replacement)
    ):
        if any(e.start < pe and ps < e.end for ps, pe in cx.protected):
            continue
        if not source.parses_as_before(e.start, e.end, e.replacement):
            continue
        start, end = source.char(e.start), source.char(e.end)
        mutant = Mutant(
            category=e.category,
            kind="logic",
            file=file,
            start=start,
            end=end,
            replacement=e.replacement,
            line=line_of(text, start),
            description=e.description,
            mutator=e.mutator,
        )
        if squash(mutant.apply(text)) != squashed:
            out.append(mutant)
    return out


def _constants(text: str) -> Callable[[str], int | None]:
    """What a constant expression of the file is worth (``#define``, ``const``), read with
    the HLS model of the file, built the first time it is needed."""
    model: list[HlsModel] = []

    def value(expr: str) -> int | None:
        if not model:
            model.append(HlsModel(text))
        return model[0].value(expr)

    return value


# --- general categories ----------------------------------------------------------------


def _loop_headers(cx: Context) -> Iterator[Edit]:
    """off-by-one / OOB / INF / shift-register on a ``for`` header: its condition, bound
    and start."""
    for lp in cx.loops:
        body = child(lp.node, "body")
        indexes = any(
            cx.text(n) == lp.var
            for sub in descendants(body, "subscript_argument_list")
            for n in descendants(sub, "identifier")
        )
        shifter = shift_register(cx, lp, body)
        toggled = _BOUNDARY.get(lp.op)
        if toggled is None or lp.up != (lp.op in ("<", "<=")):
            continue  # a loop running against its condition: not one we can read
        # ``<`` -> ``<=``: one more pass, past the end when the counter indexes (OOB).
        halving = op_text(cx, lp.update) == ">>=" and lp.op == ">"
        wider = "INF" if halving else "OOB" if indexes and lp.op in ("<", ">") else "off-by-one"
        op = child(lp.cond, "operator")
        yield cx.edit(
            "shift-register" if shifter else wider, "loop_condition", op, toggled, lp.cond
        )
        fewer = moved_by(cx, lp.bound, -1 if lp.up else 1)
        if fewer is not None:
            yield cx.edit(
                "shift-register" if shifter else "off-by-one",
                "loop_bound",
                lp.bound,
                fewer,
                lp.cond,
            )
        more = moved_by(cx, lp.bound, 1 if lp.up else -1)
        if lp.op in ("<=", ">=") and indexes and more is not None:
            category = "shift-register" if shifter else "OOB"
            yield cx.edit(category, "loop_bound", lp.bound, more, lp.cond)
        later = moved_by(cx, lp.start, 1 if lp.up else -1) if lp.start is not None else None
        if lp.start is not None and later is not None:
            category = "shift-register" if shifter else "off-by-one"
            yield cx.edit(category, "loop_start", lp.start, later, lp.start.parent)


def _comparisons(cx: Context) -> Iterator[Edit]:
    """wrong-comparison anywhere; off-by-one's ``<`` <-> ``<=`` outside ``for`` headers."""
    headers = {lp.cond.start_byte for lp in cx.loops}
    for node in cx.of("binary_expression"):
        op = child(node, "operator")
        sym = cx.text(op)
        if sym in _COMPARISONS:
            yield cx.edit("wrong-comparison", "comparison", op, _COMPARISONS[sym], node)
        if sym in _BOUNDARY and node.start_byte not in headers:
            yield cx.edit("off-by-one", "comparison_boundary", op, _BOUNDARY[sym], node)


def _operators(cx: Context) -> Iterator[Edit]:
    """wrong-operator: an arithmetic, bitwise or logical operator, or a compound assignment."""
    for node in cx.of("binary_expression", "assignment_expression"):
        op = child(node, "operator")
        sym = cx.text(op)
        # ``x + 0`` -> ``x - 0`` and the like change nothing: no bug to find.
        if sym in _NEUTRAL.get(cx.text(child(node, "right")), ()):
            continue
        for new in _OPERATORS.get(sym, ()):
            yield cx.edit("wrong-operator", "operator", op, new, node)


def _subscripts(cx: Context) -> Iterator[Edit]:
    """OOB ``a[i]`` -> ``a[i + 1]`` on a loop counter; off-by-one on literal offsets."""
    counters = {lp.var for lp in cx.loops}
    for sub in cx.of("subscript_argument_list"):
        node = index_of(sub)
        if node is None:
            continue
        # A counter's last pass (or a downward loop's first) reads one past the end.
        if node.type == "identifier" and cx.text(node) in counters and _in_loop(cx, node):
            yield cx.edit("OOB", "index_past_end", node, f"{cx.text(node)} + 1", sub.parent)
        offset = node.type == "number_literal" or (
            node.type == "binary_expression"
            and op_text(cx, node) in ("+", "-")
            and child(node, "right").type == "number_literal"
        )
        for delta in (1, -1) if offset else ():
            moved = moved_by(cx, node, delta)
            if moved is not None:
                yield cx.edit("off-by-one", "index_offset", node, moved, sub.parent)


def _in_loop(cx: Context, node: Node) -> bool:
    """Whether ``node`` is the counter of a loop whose body holds it."""
    for lp in cx.loops:
        body = child(lp.node, "body")
        if lp.var == cx.text(node) and body.start_byte <= node.start_byte < body.end_byte:
            return True
    return False


def _variables(cx: Context) -> Iterator[Edit]:
    """wrong-variable: a use replaced by another visible variable of the same type and shape."""
    for node in cx.of("identifier"):
        parent = node.parent
        if parent is None or parent.child_by_field_name("declarator") == node:
            continue  # the name being declared, not a use
        if parent.type == "call_expression" and parent.child_by_field_name("function") == node:
            continue
        scope = cx.visible(node.start_byte)
        var = scope.get(cx.text(node))
        if var is None:
            continue
        written = _is_written(node)
        frame = parent
        while frame.parent is not None and frame.type in (
            "subscript_argument_list",
            "argument_list",
        ):
            frame = frame.parent  # ``a[i]`` reads better than ``[i]``
        for other in sorted(scope.values(), key=lambda v: (v.visible, v.name)):
            if other.name == var.name or (other.shape, other.dims, other.type) != (
                var.shape,
                var.dims,
                var.type,
            ):
                continue
            if not (written and other.const):
                yield cx.edit("wrong-variable", "variable", node, other.name, frame)


def _is_written(node: Node) -> bool:
    """Whether ``node`` (or its element: ``a`` in ``a[i] = …``) is, or may be, stored into."""
    if node.parent is not None and node.parent.type == "argument_list":
        return True  # a callee may store through it (a const array would not compile)
    while node.parent is not None and node.parent.type in (
        "subscript_expression",
        "field_expression",
    ):
        if node.parent.child_by_field_name("argument") != node:
            return False
        node = node.parent
    parent = node.parent
    if parent is not None and parent.type == "assignment_expression":
        return parent.child_by_field_name("left") == node
    return parent is not None and parent.type == "update_expression"


def _initial_values(cx: Context) -> Iterator[Edit]:
    """wrong-initial-value on declarations and clearing loops; INIT drops an initialiser."""
    for decl in cx.of("declaration"):
        if decl.parent is not None and decl.parent.type == "for_statement":
            continue  # a loop's start is off-by-one's
        type_text = cx.text(decl.child_by_field_name("type") or decl)
        unsigned = "unsigned" in type_text or "uint" in type_text
        fixed = type_text == "auto" or any(
            c.type in ("type_qualifier", "storage_class_specifier")
            and cx.text(c) in ("const", "constexpr", "static")
            for c in decl.children
        )
        for d in decl.children_by_field_name("declarator"):
            value, target = d.child_by_field_name("value"), d.child_by_field_name("declarator")
            if d.type != "init_declarator" or value is None or target is None:
                continue
            if not (fixed or declarator_parts(d)[3]):
                # The local is now read before anything is stored in it.
                yield cx.edit(
                    "INIT", "initializer_removed", (target.end_byte, d.end_byte), "", decl, d
                )
            for new in _literal_changes(cx, value, unsigned):
                yield cx.edit("wrong-initial-value", "initial_value", value, new, decl, d)
    for stmt in _clearing_stores(cx):
        right = child(stmt.named_children[0], "right")
        for new in _literal_changes(cx, right, False):
            yield cx.edit("wrong-initial-value", "clearing_value", right, new, stmt)


def _literal_changes(cx: Context, value: Node, unsigned: bool) -> list[str]:
    text = cx.text(value)
    if value.type in ("true", "false"):
        return ["false" if text == "true" else "true"]
    if value.type == "unary_expression" and op_text(cx, value) == "-":
        arg = child(value, "argument")
        return [cx.text(arg)] if arg.type == "number_literal" else []
    if value.type != "number_literal":
        return []
    lit = int_literal(text)
    if lit is None:
        m = _FLOAT.match(text)
        return [("1.0" if float(m.group(1)) == 0 else "0.0") + m.group(2)] if m else []
    n, suffix = lit
    if n == 0:
        return [f"1{suffix}", "~0"] if unsigned else [f"1{suffix}"]
    if n == 1 or re.fullmatch(r"0[xX][fF]+", text.rstrip("uUlL")):
        return [f"0{suffix}"]  # one, or an all-ones start as in a CRC
    return [f"{n + 1}{suffix}"]


def _clearing_loops(cx: Context) -> Iterator[CountedLoop]:
    """Outermost loops that only store literals (``for (...) a[i] = 0;``)."""
    inner: set[int] = set()
    for lp in cx.loops:
        if lp.node.start_byte not in inner and _is_clearing(cx, lp.node):
            inner.update(n.start_byte for n in descendants(child(lp.node, "body"), "for_statement"))
            yield lp


def _clearing_stores(cx: Context) -> Iterator[Node]:
    for lp in _clearing_loops(cx):
        yield from descendants(lp.node, "expression_statement")


def _is_clearing(cx: Context, loop: Node) -> bool:
    body = child(loop, "body")
    stores = 0
    for n in body.named_children if body.type == "compound_statement" else [body]:
        if n.type == "for_statement":
            if not _is_clearing(cx, n):
                return False
            stores += 1
        elif (pair := assignment(cx, n)) is not None and pair[1].type in _LITERALS:
            stores += 1
        elif n.type not in ("comment", "preproc_call"):
            return False
    return stores > 0


def _statements(cx: Context) -> Iterator[Edit]:
    """missing-statement; INIT for a clearing loop's store or the whole clearing loop."""
    clearing = {n.start_byte for n in _clearing_stores(cx)}
    for stmt in cx.of("expression_statement"):
        parent = stmt.parent
        if stmt.named_child_count == 0 or (
            parent is not None
            and parent.type == "for_statement"
            and parent.child_by_field_name("body") != stmt
        ):
            continue
        category = "INIT" if stmt.start_byte in clearing else "missing-statement"
        yield cx.edit(category, "statement_deleted", stmt, deletion(stmt), stmt)
    for lp in _clearing_loops(cx):
        yield cx.edit("INIT", "clearing_loop_deleted", lp.node, deletion(lp.node), lp.node)


def _arguments(cx: Context) -> Iterator[Edit]:
    """swapped-arguments: two arguments of a call swapped."""
    for call in cx.of("call_expression"):
        args = child(call, "arguments")
        items = [a for a in args.named_children if a.type != "comment"]
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if squash(cx.text(a)) == squash(cx.text(b)) or _mismatched(cx, a, b):
                    continue
                swapped = cx.text(b) + cx.span(a.end_byte, b.start_byte) + cx.text(a)
                yield cx.edit(
                    "swapped-arguments", "arguments", (a.start_byte, b.end_byte), swapped, call
                )


def _mismatched(cx: Context, a: Node, b: Node) -> bool:
    """Whether two arguments surely differ in type, so that the swap would not compile."""
    ka, kb = _value_kind(cx, a), _value_kind(cx, b)
    if ka is not None and kb is not None:
        return ka != kb
    known = ka or kb  # an expression we cannot type is a scalar value: no array's place
    return known is not None and known[0] != "scalar"


def _value_kind(cx: Context, node: Node) -> tuple[str, str] | None:
    """Shape and type of a variable, or of an element of one, when the file declares it."""
    chain = subscript_chain(cx, node) if node.type == "subscript_expression" else None
    if chain is None and node.type != "identifier":
        return None
    var = cx.visible(node.start_byte).get(chain[0] if chain else cx.text(node))
    depth = len(chain[1]) if chain else 0
    if var is None or depth == 0:
        return None if var is None else (var.shape, var.type)
    rank = int(var.shape[5:]) if var.shape.startswith("array") else 0
    if rank < depth:
        return None
    return ("scalar" if rank == depth else f"array{rank - depth}"), var.type


_MUTATORS: tuple[Callable[[Context], Iterable[Edit]], ...] = (
    unrolled,
    split_halves,
    zero_inits,
    buffers,
    divisions,
    steps,
    shifts,
    _loop_headers,
    _subscripts,
    sign_extension,
    signedness,
    _comparisons,
    _operators,
    _variables,
    _initial_values,
    _statements,
    _arguments,
)
