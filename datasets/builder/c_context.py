"""The C mutators' picture of a file: body nodes by type, variables in scope, ``for`` loops.

:func:`build_context` reads a parsed C / C++ file once into a :class:`Context`; the
mutators of :mod:`~duckfix.datasets.builder.c_mutators` and
:mod:`~duckfix.datasets.builder.c_chrysalis` find their sites in it and make
:class:`Edit` s through :meth:`Context.edit`. Also here: the small expression helpers
they share (an expression plus one, a subscript's chain, an assignment's sides).
Offsets are bytes of the UTF-8 source, as tree-sitter counts them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from duckfix.datasets.builder.c_syntax import child, function_declarator, parameters

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "Context",
    "CountedLoop",
    "Edit",
    "Var",
    "assignment",
    "bare",
    "build_context",
    "declarator_parts",
    "deletion",
    "index_of",
    "int_literal",
    "moved_by",
    "op_text",
    "operand_moved_by",
    "squash",
    "subscript_chain",
]

# Nodes no edit may overlap (preprocessor nodes too): pragmas and type widths are not ours.
_PROTECTED = ("comment", "template_argument_list", "raw_string_literal")
_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|0[bB][01]+|[1-9][0-9]*|0)([uUlL]*)$")
_C_WIDTHS = {"char": "8", "short": "16", "int": "32", "unsigned": "32", "long": "64"}


@dataclass(frozen=True, slots=True)
class Edit:
    """One candidate edit: ``start:end`` of the source becomes ``replacement``."""

    category: str
    start: int
    """Byte offsets into the UTF-8 source; ``c_mutants`` turns them into characters."""
    end: int
    replacement: str
    description: str
    mutator: str


@dataclass(frozen=True, slots=True)
class Var:
    """A variable a function declares (a parameter or a local), with where it is in scope."""

    name: str
    shape: str
    """``scalar``, ``pointer`` or ``array<rank>``."""
    dims: str
    """An array's inner dimensions (``[3]`` of ``w[3][3]``): a pointer to a row needs them."""
    type: str
    """The declared type without ``const``, whitespace squashed, ``&`` for a reference."""
    const: bool
    scope: tuple[int, int]
    visible: int
    """The byte from which the name is in scope."""
    width: str | None
    """Bit width for a shift-by-width edit, when the type spells it (``int``, ``ap_uint<W>``)."""
    sizes: tuple[str, ...] = ()
    """An array's sizes as written, outermost first (``""`` for ``a[]``)."""


@dataclass(frozen=True, slots=True)
class CountedLoop:
    """A ``for`` loop with one counter compared on the left: ``for (i = s; i < n; i++)``."""

    node: Node
    var: str
    start: Node | None
    cond: Node
    op: str
    bound: Node
    update: Node
    up: bool


@dataclass
class Context:
    """What the mutators share: the source, body nodes by type, variables and loops."""

    src: bytes
    nodes: dict[str, list[Node]] = field(default_factory=dict)
    vars: list[Var] = field(default_factory=list)
    loops: list[CountedLoop] = field(default_factory=list)
    protected: list[tuple[int, int]] = field(default_factory=list)
    value: Callable[[str], int | None] = lambda _expr: None
    """The integer a constant expression of the file has (``N / 2`` with ``#define N 8``),
    or None; :func:`~duckfix.datasets.builder.c_mutators.c_mutants` sets it."""

    def text(self, node: Node) -> str:
        return self.span(node.start_byte, node.end_byte)

    def span(self, start: int, end: int) -> str:
        return self.src[start:end].decode("utf-8", "surrogateescape")

    def of(self, *types: str) -> Iterator[Node]:
        for t in types:
            yield from self.nodes.get(t, ())

    def edit(
        self,
        category: str,
        mutator: str,
        where: Node | tuple[int, int],
        new: str,
        *ctx: Node | None,
    ) -> Edit:
        """``where`` (a node or a byte span) becomes ``new``; ``ctx`` frames the description."""
        start, end = where if isinstance(where, tuple) else (where.start_byte, where.end_byte)
        return Edit(category, start, end, new, _describe(self, ctx, start, end, new), mutator)

    def visible(self, at: int) -> dict[str, Var]:
        """Every variable visible at byte ``at``, by name (inner declarations shadow outer)."""
        best: dict[str, Var] = {}
        for v in self.vars:
            if v.scope[0] <= at < v.scope[1] and v.visible <= at:
                old = best.get(v.name)
                if old is None or v.visible > old.visible:
                    best[v.name] = v
        return best

    def resolve(self, node: Node) -> Var | None:
        """The variable an identifier names, if this file declares it in a function."""
        return self.visible(node.start_byte).get(self.text(node))


# --- reading the file ------------------------------------------------------------------


def build_context(src: bytes, root: Node) -> Context:
    """Read the file ``src`` (its syntax tree ``root``): the bodies of its functions."""
    cx = Context(src)
    _protect(cx, root)
    for fn in _functions(root):
        body = fn.child_by_field_name("body")
        if body is None:
            continue
        for p in parameters(function_declarator(fn)):
            _declare(cx, p, (body.start_byte, body.end_byte), body.start_byte)
        _index(cx, body, in_size=False)
    for decl in cx.of("declaration"):
        if decl.parent is not None:  # a block's, or a ``for`` header's: in scope up to its end
            _declare(cx, decl, (decl.parent.start_byte, decl.parent.end_byte), None)
    cx.loops = [lp for lp in (_loop(cx, n) for n in cx.of("for_statement")) if lp is not None]
    return cx


def _functions(root: Node) -> Iterator[Node]:
    """Function definitions, also inside namespaces, ``extern "C"``, templates and classes."""
    holders = {"namespace_definition", "linkage_specification", "declaration_list"}
    holders |= {"template_declaration", "class_specifier", "struct_specifier"}
    holders |= {"field_declaration_list"}
    stack = list(reversed(root.children))
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            yield node
        elif node.type in holders:
            stack.extend(reversed(node.children))


def _protect(cx: Context, node: Node) -> None:
    # Code inside #if blocks goes whole: no mutator looks there either (see _index).
    if node.type in _PROTECTED or node.type.startswith("preproc_"):
        cx.protected.append((node.start_byte, node.end_byte))
        return
    for c in node.children:
        _protect(cx, c)


def _index(cx: Context, node: Node, in_size: bool) -> None:
    """Record body nodes by type; an array declarator's size is no expression site."""
    if node.type in _PROTECTED or node.type.startswith("preproc_"):
        return
    if not in_size:
        cx.nodes.setdefault(node.type, []).append(node)
    for i, c in enumerate(node.children):
        size = node.type == "array_declarator" and node.field_name_for_child(i) == "size"
        _index(cx, c, in_size or size)


def declarator_parts(node: Node | None) -> tuple[Node | None, list[Node], bool, bool]:
    """A declarator's name, array declarators (last dimension first), pointer, reference."""
    arrays: list[Node] = []
    pointer = reference = False
    while node is not None and node.type != "identifier":
        if node.type == "array_declarator":
            arrays.append(node)
        pointer = pointer or node.type == "pointer_declarator"
        reference = reference or node.type == "reference_declarator"
        inner = node.child_by_field_name("declarator")
        if inner is None and node.type == "reference_declarator":
            inner = node.named_children[0] if node.named_child_count else None
        node = inner
    return node, arrays, pointer, reference


def _declare(cx: Context, decl: Node, scope: tuple[int, int], visible: int | None) -> None:
    type_node = decl.child_by_field_name("type")
    if type_node is None:
        return
    const = any(c.type == "type_qualifier" and cx.text(c) == "const" for c in decl.children)
    for d in decl.children_by_field_name("declarator"):
        name, arrays, pointer, reference = declarator_parts(d)
        if name is None:
            continue
        shape = f"array{len(arrays)}" if arrays else "pointer" if pointer else "scalar"
        type_text = squash(cx.text(type_node)) + ("&" if reference else "")
        width = _width(cx, type_node) if shape == "scalar" else None
        at = d.end_byte if visible is None else visible
        dims = "".join(
            f"[{squash(cx.text(a.child_by_field_name('size') or a))}]" for a in arrays[:-1]
        )
        sizes = tuple(
            squash(cx.text(size)) if (size := a.child_by_field_name("size")) else ""
            for a in reversed(arrays)
        )
        cx.vars.append(Var(cx.text(name), shape, dims, type_text, const, scope, at, width, sizes))


def _width(cx: Context, type_node: Node) -> str | None:
    if type_node.type == "template_type":
        name, args = (
            type_node.child_by_field_name("name"),
            type_node.child_by_field_name("arguments"),
        )
        if name is None or args is None or cx.text(name) not in ("ap_int", "ap_uint"):
            return None
        inner = [a for a in args.named_children if a.type != "comment"]
        return cx.text(inner[0]) if len(inner) == 1 else None
    words = cx.text(type_node).split()
    return _C_WIDTHS.get(words[-1]) if words else None


def _loop(cx: Context, node: Node) -> CountedLoop | None:
    init = node.child_by_field_name("initializer")
    cond = node.child_by_field_name("condition")
    update = node.child_by_field_name("update")
    if init is None or cond is None or update is None or cond.type != "binary_expression":
        return None
    target: Node | None = None
    start: Node | None = None
    if init.type == "declaration":
        decls = init.children_by_field_name("declarator")
        if len(decls) == 1 and decls[0].type == "init_declarator":
            target, start = (
                decls[0].child_by_field_name("declarator"),
                decls[0].child_by_field_name("value"),
            )
    elif init.type == "assignment_expression" and op_text(cx, init) == "=":
        target, start = init.child_by_field_name("left"), init.child_by_field_name("right")
    left, bound = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    if target is None or target.type != "identifier" or left is None or bound is None:
        return None
    var = cx.text(target)
    stepped = update.child_by_field_name(
        "argument" if update.type == "update_expression" else "left"
    )
    if cx.text(left) != var or stepped is None or cx.text(stepped) != var:
        return None
    step = op_text(cx, update)
    if step not in ("++", "--", "+=", "-=", "<<=", ">>=", "*=", "/="):
        return None
    return CountedLoop(
        node, var, start, cond, op_text(cx, cond), bound, update, step in ("++", "+=", "<<=", "*=")
    )


# --- small helpers ---------------------------------------------------------------------


def op_text(cx: Context, node: Node) -> str:
    """The text of ``node``'s operator, ``""`` when it has none."""
    op = node.child_by_field_name("operator")
    return "" if op is None else cx.text(op)


def squash(text: str) -> str:
    """``text`` with each run of whitespace one space."""
    return " ".join(text.split())


def bare(cx: Context, node: Node) -> str:
    """The node's text with no whitespace: ``i - 1`` and ``i-1`` agree."""
    return "".join(cx.text(node).split())


def _describe(cx: Context, ctx: Iterable[Node | None], start: int, end: int, new: str) -> str:
    """``before -> after`` over the first context node short enough, else around the span."""
    frame = None
    for node in ctx:
        if node is None or not node.start_byte <= start <= end <= node.end_byte:
            continue
        frame = frame or node
        before = squash(cx.text(node))
        after = squash(cx.span(node.start_byte, start) + new + cx.span(end, node.end_byte))
        if len(before) <= 60 and len(after) <= 60:
            return f"{before} -> {after}" if after not in ("", ";") else f"delete {before}"
    old = squash(cx.span(start, end))
    if squash(new) in ("", ";"):
        return f"delete {_clip(old)}"
    # A few words either side of the span, cut at spaces, inside the widest frame.
    lo, hi = (frame.start_byte, frame.end_byte) if frame else (start, end)
    left = cx.span(max(lo, start - 24), start)
    right = cx.span(end, min(hi, end + 24))
    if start - 24 > lo:
        left = "..." + left[left.find(" ") + 1 :]
    if end + 24 < hi:
        right = right[: right.rfind(" ")] + "..."
    return f"{_clip(squash(left + old + right))} -> {_clip(squash(left + new + right))}"


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def int_literal(text: str) -> tuple[int, str] | None:
    """An integer literal's value and suffix."""
    m = _INT.match(text)
    return None if m is None else (int(m.group(1), 0), m.group(2))


def moved_by(cx: Context, node: Node, delta: int) -> str | None:
    """Expression ``node`` plus ``delta``, folding literals: ``N - 1`` + 1 is ``N``, 3 + 1 is 4.

    The result binds at least as tightly as ``+``; None when a literal would go negative.
    """
    if node.type == "number_literal":
        lit = int_literal(cx.text(node))
        return None if lit is None or lit[0] + delta < 0 else f"{lit[0] + delta}{lit[1]}"
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        moved = moved_by(cx, inner, delta)
        if moved is None:
            return None
        return (
            cx.span(node.start_byte, inner.start_byte)
            + moved
            + cx.span(inner.end_byte, node.end_byte)
        )
    text = cx.text(node)
    if node.type == "binary_expression":
        op, right = op_text(cx, node), child(node, "right")
        lit = int_literal(cx.text(right)) if right.type == "number_literal" else None
        if op in ("+", "-") and lit is not None:
            k = lit[0] + delta if op == "+" else lit[0] - delta
            if k < 0:
                return None
            return (
                cx.text(child(node, "left"))
                if k == 0
                else cx.span(node.start_byte, right.start_byte) + f"{k}{lit[1]}"
            )
        if op not in ("+", "-", "*", "/", "%"):
            text = f"({text})"
    elif node.type in ("conditional_expression", "assignment_expression", "comma_expression"):
        text = f"({text})"
    return f"{text} + {delta}" if delta > 0 else f"{text} - {-delta}"


def operand_moved_by(cx: Context, node: Node, delta: int) -> str | None:
    """:func:`moved_by` made safe as the right operand of ``/``, ``%`` or a shift."""
    moved = moved_by(cx, node, delta)
    if moved is None or node.type == "parenthesized_expression" or re.fullmatch(r"[\w.]+", moved):
        return moved
    if node.type == "binary_expression" and op_text(cx, node) in ("+", "-"):
        return moved  # ``x << k + 1``: a sum already sat there unparenthesised
    return f"({moved})"


def index_of(node: Node) -> Node | None:
    """The one index of a subscript's brackets (``a[i]`` -> ``i``)."""
    idx = [c for c in node.named_children if c.type != "comment"]
    return idx[0] if len(idx) == 1 else None


def subscript_chain(cx: Context, node: Node) -> tuple[str, list[Node]] | None:
    """``a[i][j]`` -> (``a``, [i, j]); None for anything else."""
    indices: list[Node] = []
    while node.type == "subscript_expression":
        idx = index_of(child(node, "indices"))
        if idx is None:
            return None
        indices.insert(0, idx)
        node = child(node, "argument")
    return (cx.text(node), indices) if node.type == "identifier" and indices else None


def deletion(node: Node) -> str:
    """What a deleted statement becomes: nothing in a block, ``;`` where one is needed."""
    return "" if node.parent is not None and node.parent.type == "compound_statement" else ";"


def assignment(cx: Context, stmt: Node) -> tuple[Node, Node] | None:
    """``left = right;`` as (left, right)."""
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    expr = stmt.named_children[0]
    if expr.type != "assignment_expression" or op_text(cx, expr) != "=":
        return None
    return child(expr, "left"), child(expr, "right")
