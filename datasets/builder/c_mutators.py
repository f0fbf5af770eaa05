"""Logic-bug mutators for C / HLS C++ kernels: sites found in the syntax tree, edits as spans.

:func:`c_mutants` parses a file with tree-sitter-cpp, finds the sites of every
logic-bug category in the bodies of its functions and returns one
:class:`~duckfix.datasets.builder.mutants.Mutant` per candidate edit. An edit
replaces one span of the text, so every other character keeps its form. No
edit touches a ``#pragma`` or other preprocessor line, a comment or a template
argument list (``ap_int<12>``): the pragma categories belong to
``pragma_mutators``, and USE changes a type's *name* (``ap_uint`` ->
``ap_int``), never its width. Every mutant parses without new tree-sitter
errors and differs from the original beyond whitespace. Candidates are not
bugs yet: the builder's validation runs the test benches and keeps those that
fail them.

How each category is read (the general ones, then the Chrysalis codes):

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
                     neutral (``x + 0``); shifts are SHFT's
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
SHFT                 a shift's amount plus one (``x << k`` -> ``x << (k + 1)``), its
                     direction flipped (``<<`` <-> ``>>``, ``<<=`` <-> ``>>=``), or its
                     amount set to the width of a shifted ``int`` / ``ap_(u)int<W>``
INF                  a loop's step removed or reversed (``i++`` -> ``i--``); a halving
                     loop's ``j > 0`` made ``j >= 0`` (``j >>= 1`` stays at 0)
USE                  ``int`` <-> ``unsigned`` in a local declaration (a downward loop's
                     counter too), ``ap_int`` <-> ``ap_uint`` / ``ap_fixed`` <->
                     ``ap_ufixed`` in a local's type, a sign test made unsigned
                     (``x < 0`` -> ``(unsigned)x < 0``)
MLU                  a run of consecutive statements (or declarators of one
                     declaration) of one shape whose literal subscript offsets differ,
                     as in ``a[i]``, ``a[i + 1]``, ``a[i + 2]`` (names may differ too:
                     ``a0``, ``a1``): one copy takes its neighbour's offset, the
                     copy-paste slip; nothing when no such run exists
ZERO                 a variable divisor moved down by one (``x / n`` -> ``x / (n - 1)``,
                     ``% d`` -> ``% (d - 1)``), or an ``if (n == 0)`` guard around a
                     division by ``n`` removed, keeping the dividing branch; literal
                     and macro (``ALL_CAPS``) divisors are left alone
BUF                  a local array one element smaller in one dimension
                     (``T buf[N]`` -> ``T buf[N - 1]``; an inner one only when the
                     array is not passed whole to a call); a shift-register loop
                     (``a[i] = a[i - 1]``) run the other way round or with its header
                     off by one; a manual shift (``w[0] = w[1]; w[1] = w[2];``) with
                     its two steps swapped
===================  ===================================================================

When two categories make the same edit, the more specific one labels it (the
order of ``_RANK``): ``i < N`` -> ``i <= N`` over an indexed array is OOB, not
off-by-one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

from duckfix.datasets.builder.mutants import Mutant, line_of

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

__all__ = ["c_mutants"]

# Which category labels an edit that several mutators make: the specific before the general.
_RANK = {name: i for i, name in enumerate((
    "MLU", "BUF", "ZERO", "INF", "SHFT", "OOB", "INIT", "USE", "off-by-one", "wrong-comparison",
    "wrong-operator", "wrong-variable", "wrong-initial-value", "missing-statement",
    "swapped-arguments",
))}  # fmt: skip
# Nodes no edit may overlap (preprocessor nodes too): pragmas and type widths are not ours.
_PROTECTED = ("comment", "template_argument_list", "raw_string_literal")
_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|0[bB][01]+|[1-9][0-9]*|0)([uUlL]*)$")
_FLOAT = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+\.)([fFlL]?)$")
_MACRO = re.compile(r"^[A-Z][A-Z0-9_]*$")
_OPERATORS: dict[str, tuple[str, ...]] = {
    "+": ("-",), "-": ("+",), "*": ("+",), "/": ("*",), "%": ("/",),
    "&": ("|",), "|": ("&", "^"), "^": ("|", "&"), "&&": ("||",), "||": ("&&",),
    "+=": ("-=", "="), "-=": ("+=",), "*=": ("+=",), "/=": ("*=",), "%=": ("/=",),
    "&=": ("|=",), "|=": ("^=",), "^=": ("|=",),
}  # fmt: skip
_NEUTRAL = {"0": ("+", "-", "|", "^", "+=", "-=", "|=", "^="), "1": ("*", "/", "*=", "/=")}
_COMPARISONS = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "!=", "!=": "=="}
_BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_SHIFTS = {"<<": ">>", ">>": "<<", "<<=": ">>=", ">>=": "<<="}
_STEPS = {"++": "--", "--": "++", "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="} | _SHIFTS
_SIGNED = {
    "ap_int": "ap_uint",
    "ap_uint": "ap_int",
    "ap_fixed": "ap_ufixed",
    "ap_ufixed": "ap_fixed",
}
_C_WIDTHS = {"char": "8", "short": "16", "int": "32", "unsigned": "32", "long": "64"}
_LITERALS = ("number_literal", "true", "false", "char_literal")


@dataclass(frozen=True, slots=True)
class _Edit:
    category: str
    start: int
    """Byte offsets into the UTF-8 source; :func:`c_mutants` turns them into characters."""
    end: int
    replacement: str
    description: str
    mutator: str


@dataclass(frozen=True, slots=True)
class _Var:
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


@dataclass(frozen=True, slots=True)
class _Loop:
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
class _Cx:
    """What the mutators share: the source, body nodes by type, variables and loops."""

    src: bytes
    nodes: dict[str, list[Node]] = field(default_factory=dict)
    vars: list[_Var] = field(default_factory=list)
    loops: list[_Loop] = field(default_factory=list)
    protected: list[tuple[int, int]] = field(default_factory=list)

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
    ) -> _Edit:
        """``where`` (a node or a byte span) becomes ``new``; ``ctx`` frames the description."""
        start, end = where if isinstance(where, tuple) else (where.start_byte, where.end_byte)
        return _Edit(category, start, end, new, _describe(self, ctx, start, end, new), mutator)

    def visible(self, at: int) -> dict[str, _Var]:
        """Every variable visible at byte ``at``, by name (inner declarations shadow outer)."""
        best: dict[str, _Var] = {}
        for v in self.vars:
            if v.scope[0] <= at < v.scope[1] and v.visible <= at:
                old = best.get(v.name)
                if old is None or v.visible > old.visible:
                    best[v.name] = v
        return best

    def resolve(self, node: Node) -> _Var | None:
        """The variable an identifier names, if this file declares it in a function."""
        return self.visible(node.start_byte).get(self.text(node))


# --- the public function ---------------------------------------------------------------


def c_mutants(text: str, file: str) -> list[Mutant]:
    """Every candidate logic-bug mutant of the C / C++ source ``text`` (path ``file``).

    The order is stable (by position, then category); an edit that two categories
    propose comes once, under the more specific one.
    """
    src = text.encode("utf-8", "surrogateescape")
    parser = _parser()
    tree = parser.parse(src)
    cx = _context(src, tree.root_node)
    chosen: dict[tuple[int, int, str], _Edit] = {}
    for mutator in _MUTATORS:
        for e in mutator(cx):
            old = chosen.get((e.start, e.end, e.replacement))
            if old is None or _RANK[e.category] < _RANK[old.category]:
                chosen[e.start, e.end, e.replacement] = e
    errors = _error_count(tree.root_node)
    squashed = _squash(text)
    ascii_only = len(src) == len(text)
    out: list[Mutant] = []
    for e in sorted(
        chosen.values(), key=lambda e: (e.start, e.end, _RANK[e.category], e.replacement)
    ):
        if any(e.start < pe and ps < e.end for ps, pe in cx.protected):
            continue
        if _error_count(_reparse(parser, tree, src, e)) > errors:
            continue
        start, end = (e.start, e.end) if ascii_only else (_char(src, e.start), _char(src, e.end))
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
        if _squash(mutant.apply(text)) != squashed:
            out.append(mutant)
    return out


# --- parsing and the shared context ----------------------------------------------------


@cache
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def _reparse(parser: Parser, tree: Tree, src: bytes, e: _Edit) -> Node:
    """The mutated source's syntax tree, parsed incrementally from the original's."""
    new_bytes = e.replacement.encode("utf-8", "surrogateescape")
    new = src[: e.start] + new_bytes + src[e.end :]
    old = tree.copy()
    old.edit(
        start_byte=e.start,
        old_end_byte=e.end,
        new_end_byte=e.start + len(new_bytes),
        start_point=_point(src, e.start),
        old_end_point=_point(src, e.end),
        new_end_point=_point(new, e.start + len(new_bytes)),
    )
    return parser.parse(new, old).root_node


def _point(src: bytes, at: int) -> tuple[int, int]:
    return src.count(b"\n", 0, at), at - (src.rfind(b"\n", 0, at) + 1)


def _char(src: bytes, at: int) -> int:
    """Byte offset -> character offset (tree-sitter counts bytes, a ``Mutant`` characters)."""
    return len(src[:at].decode("utf-8", "surrogateescape"))


def _error_count(node: Node) -> int:
    if not node.has_error:
        return 0
    own = 1 if node.is_error or node.is_missing else 0
    return own + sum(_error_count(c) for c in node.children)


def _context(src: bytes, root: Node) -> _Cx:
    cx = _Cx(src)
    _protect(cx, root)
    for fn in _functions(root):
        body = fn.child_by_field_name("body")
        if body is None:
            continue
        params = _params(fn.child_by_field_name("declarator"))
        for p in params.named_children if params is not None else ():
            if p.type in ("parameter_declaration", "optional_parameter_declaration"):
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


def _protect(cx: _Cx, node: Node) -> None:
    # Code inside #if blocks goes whole: no mutator looks there either (see _index).
    if node.type in _PROTECTED or node.type.startswith("preproc_"):
        cx.protected.append((node.start_byte, node.end_byte))
        return
    for c in node.children:
        _protect(cx, c)


def _params(declarator: Node | None) -> Node | None:
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return None if declarator is None else declarator.child_by_field_name("parameters")


def _index(cx: _Cx, node: Node, in_size: bool) -> None:
    """Record body nodes by type; an array declarator's size is no expression site."""
    if node.type in _PROTECTED or node.type.startswith("preproc_"):
        return
    if not in_size:
        cx.nodes.setdefault(node.type, []).append(node)
    for i, c in enumerate(node.children):
        size = node.type == "array_declarator" and node.field_name_for_child(i) == "size"
        _index(cx, c, in_size or size)


def _unwrap(node: Node | None) -> tuple[Node | None, list[Node], bool, bool]:
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


def _declare(cx: _Cx, decl: Node, scope: tuple[int, int], visible: int | None) -> None:
    type_node = decl.child_by_field_name("type")
    if type_node is None:
        return
    const = any(c.type == "type_qualifier" and cx.text(c) == "const" for c in decl.children)
    for d in decl.children_by_field_name("declarator"):
        name, arrays, pointer, reference = _unwrap(d)
        if name is None:
            continue
        shape = f"array{len(arrays)}" if arrays else "pointer" if pointer else "scalar"
        type_text = _squash(cx.text(type_node)) + ("&" if reference else "")
        width = _width(cx, type_node) if shape == "scalar" else None
        at = d.end_byte if visible is None else visible
        dims = "".join(
            f"[{_squash(cx.text(a.child_by_field_name('size') or a))}]" for a in arrays[:-1]
        )
        cx.vars.append(_Var(cx.text(name), shape, dims, type_text, const, scope, at, width))


def _width(cx: _Cx, type_node: Node) -> str | None:
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


def _loop(cx: _Cx, node: Node) -> _Loop | None:
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
    elif init.type == "assignment_expression" and _op(cx, init) == "=":
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
    step = _op(cx, update)
    if step not in ("++", "--", "+=", "-=", "<<=", ">>=", "*=", "/="):
        return None
    return _Loop(
        node, var, start, cond, _op(cx, cond), bound, update, step in ("++", "+=", "<<=", "*=")
    )


# --- small helpers ---------------------------------------------------------------------


def _op(cx: _Cx, node: Node) -> str:
    op = node.child_by_field_name("operator")
    return "" if op is None else cx.text(op)


def _field(node: Node, name: str) -> Node:
    child = node.child_by_field_name(name)
    if child is None:  # the grammar always sets the fields we ask for on these node types
        raise LookupError(f"{node.type} has no {name}")
    return child


def _squash(text: str) -> str:
    return " ".join(text.split())


def _bare(cx: _Cx, node: Node) -> str:
    """The node's text with no whitespace: ``i - 1`` and ``i-1`` agree."""
    return "".join(cx.text(node).split())


def _describe(cx: _Cx, ctx: Iterable[Node | None], start: int, end: int, new: str) -> str:
    """``before -> after`` over the first context node short enough, else around the span."""
    frame = None
    for node in ctx:
        if node is None or not node.start_byte <= start <= end <= node.end_byte:
            continue
        frame = frame or node
        before = _squash(cx.text(node))
        after = _squash(cx.span(node.start_byte, start) + new + cx.span(end, node.end_byte))
        if len(before) <= 60 and len(after) <= 60:
            return f"{before} -> {after}" if after not in ("", ";") else f"delete {before}"
    old = _squash(cx.span(start, end))
    if _squash(new) in ("", ";"):
        return f"delete {_clip(old)}"
    # A few words either side of the span, cut at spaces, inside the widest frame.
    lo, hi = (frame.start_byte, frame.end_byte) if frame else (start, end)
    left = cx.span(max(lo, start - 24), start)
    right = cx.span(end, min(hi, end + 24))
    if start - 24 > lo:
        left = "..." + left[left.find(" ") + 1 :]
    if end + 24 < hi:
        right = right[: right.rfind(" ")] + "..."
    return f"{_clip(_squash(left + old + right))} -> {_clip(_squash(left + new + right))}"


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _int(text: str) -> tuple[int, str] | None:
    """An integer literal's value and suffix."""
    m = _INT.match(text)
    return None if m is None else (int(m.group(1), 0), m.group(2))


def _moved(cx: _Cx, node: Node, delta: int) -> str | None:
    """Expression ``node`` plus ``delta``, folding literals: ``N - 1`` + 1 is ``N``, 3 + 1 is 4.

    The result binds at least as tightly as ``+``; None when a literal would go negative.
    """
    if node.type == "number_literal":
        lit = _int(cx.text(node))
        return None if lit is None or lit[0] + delta < 0 else f"{lit[0] + delta}{lit[1]}"
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        moved = _moved(cx, inner, delta)
        if moved is None:
            return None
        return (
            cx.span(node.start_byte, inner.start_byte)
            + moved
            + cx.span(inner.end_byte, node.end_byte)
        )
    text = cx.text(node)
    if node.type == "binary_expression":
        op, right = _op(cx, node), _field(node, "right")
        lit = _int(cx.text(right)) if right.type == "number_literal" else None
        if op in ("+", "-") and lit is not None:
            k = lit[0] + delta if op == "+" else lit[0] - delta
            if k < 0:
                return None
            return (
                cx.text(_field(node, "left"))
                if k == 0
                else cx.span(node.start_byte, right.start_byte) + f"{k}{lit[1]}"
            )
        if op not in ("+", "-", "*", "/", "%"):
            text = f"({text})"
    elif node.type in ("conditional_expression", "assignment_expression", "comma_expression"):
        text = f"({text})"
    return f"{text} + {delta}" if delta > 0 else f"{text} - {-delta}"


def _operand(cx: _Cx, node: Node, delta: int) -> str | None:
    """:func:`_moved` made safe as the right operand of ``/``, ``%`` or a shift."""
    moved = _moved(cx, node, delta)
    if moved is None or node.type == "parenthesized_expression" or re.fullmatch(r"[\w.]+", moved):
        return moved
    if node.type == "binary_expression" and _op(cx, node) in ("+", "-"):
        return moved  # ``x << k + 1``: a sum already sat there unparenthesised
    return f"({moved})"


def _descendants(node: Node, *types: str) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            yield n
        stack.extend(reversed(n.children))


def _index_of(node: Node) -> Node | None:
    """The one index of a subscript's brackets (``a[i]`` -> ``i``)."""
    idx = [c for c in node.named_children if c.type != "comment"]
    return idx[0] if len(idx) == 1 else None


def _subscript_chain(cx: _Cx, node: Node) -> tuple[str, list[Node]] | None:
    """``a[i][j]`` -> (``a``, [i, j]); None for anything else."""
    indices: list[Node] = []
    while node.type == "subscript_expression":
        idx = _index_of(_field(node, "indices"))
        if idx is None:
            return None
        indices.insert(0, idx)
        node = _field(node, "argument")
    return (cx.text(node), indices) if node.type == "identifier" and indices else None


def _deletion(node: Node) -> str:
    """What a deleted statement becomes: nothing in a block, ``;`` where one is needed."""
    return "" if node.parent is not None and node.parent.type == "compound_statement" else ";"


def _assignment(cx: _Cx, stmt: Node) -> tuple[Node, Node] | None:
    """``left = right;`` as (left, right)."""
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    expr = stmt.named_children[0]
    if expr.type != "assignment_expression" or _op(cx, expr) != "=":
        return None
    return _field(expr, "left"), _field(expr, "right")


# --- general categories ----------------------------------------------------------------


def _loop_headers(cx: _Cx) -> Iterator[_Edit]:
    """off-by-one / OOB / INF / BUF on a ``for`` header: its condition, bound and start."""
    for lp in cx.loops:
        body = _field(lp.node, "body")
        indexes = any(
            cx.text(n) == lp.var
            for sub in _descendants(body, "subscript_argument_list")
            for n in _descendants(sub, "identifier")
        )
        shifter = _shift_register(cx, lp, body)
        toggled = _BOUNDARY.get(lp.op)
        if toggled is None or lp.up != (lp.op in ("<", "<=")):
            continue  # a loop running against its condition: not one we can read
        # ``<`` -> ``<=``: one more pass, past the end when the counter indexes (OOB).
        halving = _op(cx, lp.update) == ">>=" and lp.op == ">"
        wider = "INF" if halving else "OOB" if indexes and lp.op in ("<", ">") else "off-by-one"
        op = _field(lp.cond, "operator")
        yield cx.edit("BUF" if shifter else wider, "loop_condition", op, toggled, lp.cond)
        fewer = _moved(cx, lp.bound, -1 if lp.up else 1)
        if fewer is not None:
            yield cx.edit(
                "BUF" if shifter else "off-by-one", "loop_bound", lp.bound, fewer, lp.cond
            )
        more = _moved(cx, lp.bound, 1 if lp.up else -1)
        if lp.op in ("<=", ">=") and indexes and more is not None:
            yield cx.edit("BUF" if shifter else "OOB", "loop_bound", lp.bound, more, lp.cond)
        later = _moved(cx, lp.start, 1 if lp.up else -1) if lp.start is not None else None
        if lp.start is not None and later is not None:
            category = "BUF" if shifter else "off-by-one"
            yield cx.edit(category, "loop_start", lp.start, later, lp.start.parent)


def _comparisons(cx: _Cx) -> Iterator[_Edit]:
    """wrong-comparison anywhere; off-by-one's ``<`` <-> ``<=`` outside ``for`` headers."""
    headers = {lp.cond.start_byte for lp in cx.loops}
    for node in cx.of("binary_expression"):
        op = _field(node, "operator")
        sym = cx.text(op)
        if sym in _COMPARISONS:
            yield cx.edit("wrong-comparison", "comparison", op, _COMPARISONS[sym], node)
        if sym in _BOUNDARY and node.start_byte not in headers:
            yield cx.edit("off-by-one", "comparison_boundary", op, _BOUNDARY[sym], node)


def _operators(cx: _Cx) -> Iterator[_Edit]:
    """wrong-operator: an arithmetic, bitwise or logical operator, or a compound assignment."""
    for node in cx.of("binary_expression", "assignment_expression"):
        op = _field(node, "operator")
        sym = cx.text(op)
        # ``x + 0`` -> ``x - 0`` and the like change nothing: no bug to find.
        if sym in _NEUTRAL.get(cx.text(_field(node, "right")), ()):
            continue
        for new in _OPERATORS.get(sym, ()):
            yield cx.edit("wrong-operator", "operator", op, new, node)


def _subscripts(cx: _Cx) -> Iterator[_Edit]:
    """OOB ``a[i]`` -> ``a[i + 1]`` on a loop counter; off-by-one on literal offsets."""
    counters = {lp.var for lp in cx.loops}
    for sub in cx.of("subscript_argument_list"):
        node = _index_of(sub)
        if node is None:
            continue
        # A counter's last pass (or a downward loop's first) reads one past the end.
        if node.type == "identifier" and cx.text(node) in counters and _in_loop(cx, node):
            yield cx.edit("OOB", "index_past_end", node, f"{cx.text(node)} + 1", sub.parent)
        offset = node.type == "number_literal" or (
            node.type == "binary_expression"
            and _op(cx, node) in ("+", "-")
            and _field(node, "right").type == "number_literal"
        )
        for delta in (1, -1) if offset else ():
            moved = _moved(cx, node, delta)
            if moved is not None:
                yield cx.edit("off-by-one", "index_offset", node, moved, sub.parent)


def _in_loop(cx: _Cx, node: Node) -> bool:
    """Whether ``node`` is the counter of a loop whose body holds it."""
    for lp in cx.loops:
        body = _field(lp.node, "body")
        if lp.var == cx.text(node) and body.start_byte <= node.start_byte < body.end_byte:
            return True
    return False


def _variables(cx: _Cx) -> Iterator[_Edit]:
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


def _initial_values(cx: _Cx) -> Iterator[_Edit]:
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
            if not (fixed or _unwrap(d)[3]):
                # The local is now read before anything is stored in it.
                yield cx.edit(
                    "INIT", "initializer_removed", (target.end_byte, d.end_byte), "", decl, d
                )
            for new in _literal_changes(cx, value, unsigned):
                yield cx.edit("wrong-initial-value", "initial_value", value, new, decl, d)
    for stmt in _clearing_stores(cx):
        right = _field(stmt.named_children[0], "right")
        for new in _literal_changes(cx, right, False):
            yield cx.edit("wrong-initial-value", "clearing_value", right, new, stmt)


def _literal_changes(cx: _Cx, value: Node, unsigned: bool) -> list[str]:
    text = cx.text(value)
    if value.type in ("true", "false"):
        return ["false" if text == "true" else "true"]
    if value.type == "unary_expression" and _op(cx, value) == "-":
        arg = _field(value, "argument")
        return [cx.text(arg)] if arg.type == "number_literal" else []
    if value.type != "number_literal":
        return []
    lit = _int(text)
    if lit is None:
        m = _FLOAT.match(text)
        return [("1.0" if float(m.group(1)) == 0 else "0.0") + m.group(2)] if m else []
    n, suffix = lit
    if n == 0:
        return [f"1{suffix}", "~0"] if unsigned else [f"1{suffix}"]
    if n == 1 or re.fullmatch(r"0[xX][fF]+", text.rstrip("uUlL")):
        return [f"0{suffix}"]  # one, or an all-ones start as in a CRC
    return [f"{n + 1}{suffix}"]


def _clearing_loops(cx: _Cx) -> Iterator[_Loop]:
    """Outermost loops that only store literals (``for (...) a[i] = 0;``)."""
    inner: set[int] = set()
    for lp in cx.loops:
        if lp.node.start_byte not in inner and _is_clearing(cx, lp.node):
            inner.update(
                n.start_byte for n in _descendants(_field(lp.node, "body"), "for_statement")
            )
            yield lp


def _clearing_stores(cx: _Cx) -> Iterator[Node]:
    for lp in _clearing_loops(cx):
        yield from _descendants(lp.node, "expression_statement")


def _is_clearing(cx: _Cx, loop: Node) -> bool:
    body = _field(loop, "body")
    stores = 0
    for n in body.named_children if body.type == "compound_statement" else [body]:
        if n.type == "for_statement":
            if not _is_clearing(cx, n):
                return False
            stores += 1
        elif (pair := _assignment(cx, n)) is not None and pair[1].type in _LITERALS:
            stores += 1
        elif n.type not in ("comment", "preproc_call"):
            return False
    return stores > 0


def _statements(cx: _Cx) -> Iterator[_Edit]:
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
        yield cx.edit(category, "statement_deleted", stmt, _deletion(stmt), stmt)
    for lp in _clearing_loops(cx):
        yield cx.edit("INIT", "clearing_loop_deleted", lp.node, _deletion(lp.node), lp.node)


def _arguments(cx: _Cx) -> Iterator[_Edit]:
    """swapped-arguments: two arguments of a call swapped."""
    for call in cx.of("call_expression"):
        args = _field(call, "arguments")
        items = [a for a in args.named_children if a.type != "comment"]
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if _squash(cx.text(a)) == _squash(cx.text(b)) or _mismatched(cx, a, b):
                    continue
                swapped = cx.text(b) + cx.span(a.end_byte, b.start_byte) + cx.text(a)
                yield cx.edit(
                    "swapped-arguments", "arguments", (a.start_byte, b.end_byte), swapped, call
                )


def _mismatched(cx: _Cx, a: Node, b: Node) -> bool:
    """Whether two arguments surely differ in type, so that the swap would not compile."""
    ka, kb = _value_kind(cx, a), _value_kind(cx, b)
    if ka is not None and kb is not None:
        return ka != kb
    known = ka or kb  # an expression we cannot type is a scalar value: no array's place
    return known is not None and known[0] != "scalar"


def _value_kind(cx: _Cx, node: Node) -> tuple[str, str] | None:
    """Shape and type of a variable, or of an element of one, when the file declares it."""
    chain = _subscript_chain(cx, node) if node.type == "subscript_expression" else None
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


# --- Chrysalis categories --------------------------------------------------------------


def _shifts(cx: _Cx) -> Iterator[_Edit]:
    """SHFT: a shift's amount plus one, its direction flipped, or its amount the type's width."""
    for node in cx.of("binary_expression", "assignment_expression"):
        op = _field(node, "operator")
        if cx.text(op) not in _SHIFTS:
            continue
        yield cx.edit("SHFT", "shift_direction", op, _SHIFTS[cx.text(op)], node)
        left, right = _field(node, "left"), _field(node, "right")
        more = _operand(cx, right, 1)
        if more is not None:
            yield cx.edit("SHFT", "shift_amount", right, more, node)
        var = cx.resolve(left) if left.type == "identifier" else None
        if var is not None and var.width is not None:
            width = var.width if re.fullmatch(r"\w+", var.width) else f"({var.width})"
            yield cx.edit("SHFT", "shift_by_width", right, width, node)


def _steps(cx: _Cx) -> Iterator[_Edit]:
    """INF: a loop's step removed or reversed (a halving loop's test: see ``_loop_headers``)."""
    for lp in cx.loops:
        yield cx.edit("INF", "step_removed", lp.update, "", lp.update)
        op = _field(lp.update, "operator")
        yield cx.edit("INF", "step_reversed", op, _STEPS[cx.text(op)], lp.update)


def _signedness(cx: _Cx) -> Iterator[_Edit]:
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
        left, right = _field(node, "left"), _field(node, "right")
        if _op(cx, node) in ("<", ">=") and cx.text(right) == "0" and left.type != "number_literal":
            text = cx.text(left)
            if left.type not in ("identifier", "subscript_expression", "field_expression"):
                text = f"({text})"
            yield cx.edit("USE", "unsigned_compare", left, f"(unsigned){text}", node)


def _flip_sign(cx: _Cx, type_node: Node | None) -> tuple[Node, str] | None:
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


def _divisions(cx: _Cx) -> Iterator[_Edit]:
    """ZERO: a divisor that can now be zero, or a zero guard removed."""
    for node in cx.of("binary_expression", "assignment_expression"):
        if _op(cx, node) not in ("/", "%", "/=", "%="):
            continue
        right = core = _field(node, "right")
        while core.type == "parenthesized_expression" and core.named_child_count == 1:
            core = core.named_children[0]
        moved = _operand(cx, right, -1)
        if core.type != "number_literal" and not _MACRO.match(cx.text(core)) and moved is not None:
            yield cx.edit("ZERO", "divisor_minus_one", right, moved, node)
    for node in cx.of("if_statement"):
        value = _field(node, "condition").child_by_field_name("value")
        if (
            value is None
            or value.type != "binary_expression"
            or cx.text(_field(value, "right")) != "0"
        ):
            continue
        divisor, sym = _squash(cx.text(_field(value, "left"))), _op(cx, value)
        alternative = node.child_by_field_name("alternative")
        kept = _field(node, "consequence") if sym == "!=" else None
        if sym == "==" and alternative is not None:
            kept = next((c for c in alternative.named_children if c.type != "comment"), None)
        if kept is not None and _divides_by(cx, kept, divisor):
            yield cx.edit("ZERO", "zero_guard_removed", node, cx.text(kept), node)


def _divides_by(cx: _Cx, node: Node, divisor: str) -> bool:
    return any(
        _op(cx, n) in ("/", "%", "/=", "%=")
        and _squash(cx.text(_field(n, "right"))).strip("()") == divisor
        for n in _descendants(node, "binary_expression", "assignment_expression")
    )


def _buffers(cx: _Cx) -> Iterator[_Edit]:
    """BUF: a local array one element smaller; a shift register's steps out of order."""
    passed = {cx.text(a) for args in cx.of("argument_list") for a in args.named_children}
    for decl in cx.of("declaration"):
        for d in decl.children_by_field_name("declarator"):
            name, arrays, _, _ = _unwrap(d)
            for arr in arrays:
                if arr != arrays[-1] and name is not None and cx.text(name) in passed:
                    continue  # a row of another length: the callee's parameter would not fit
                size = arr.child_by_field_name("size")
                smaller = _moved(cx, size, -1) if size is not None else None
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
            _reversed_header(cx, lp) if _shift_register(cx, lp, _field(lp.node, "body")) else None
        )
        if header is not None:
            init = _field(lp.node, "initializer")
            yield cx.edit(
                "BUF", "shift_order_reversed", (init.start_byte, lp.update.end_byte), header
            )


def _manual_shift(cx: _Cx, first: Node, second: Node) -> bool:
    """``w[0] = w[1]; w[1] = new;``: the second step overwrites what the first moved."""
    a, b = _assignment(cx, first), _assignment(cx, second)
    if a is None or b is None:
        return False
    chains = [_subscript_chain(cx, n) for n in (*a, b[0])]
    if any(c is None for c in chains) or len({c[0] for c in chains if c}) != 1:
        return False
    if _bare(cx, a[1]) != _bare(cx, b[0]):
        return False
    # A move between neighbours (``w[i][0]`` <- ``w[i][1]``), not a swap through a temporary.
    to, at = chains[0][1] if chains[0] else [], chains[1][1] if chains[1] else []
    diffs = [(x, y) for x, y in zip(to, at, strict=False) if _bare(cx, x) != _bare(cx, y)]
    if len(to) != len(at) or len(diffs) != 1:
        return False
    (x, y) = diffs[0]
    sx, sy = _split_offset(cx, x), _split_offset(cx, y)
    same_base = (sx[2] is None and sy[2] is None) or (
        sx[2] is not None and sy[2] is not None and _bare(cx, sx[2]) == _bare(cx, sy[2])
    )
    return same_base and abs(sx[1] - sy[1]) == 1


def _shift_register(cx: _Cx, lp: _Loop, body: Node) -> bool:
    """Whether the loop's body moves ``a[i ± 1]`` into ``a[i]``: a shift register."""
    for stmt in _descendants(body, "expression_statement"):
        pair = _assignment(cx, stmt)
        lhs, rhs = (_subscript_chain(cx, n) for n in pair) if pair else (None, None)
        if lhs is None or rhs is None or lhs[0] != rhs[0] or len(lhs[1]) != len(rhs[1]):
            continue
        diffs = [
            (x, y) for x, y in zip(lhs[1], rhs[1], strict=True) if _bare(cx, x) != _bare(cx, y)
        ]
        moved = (f"{lp.var}+1", f"{lp.var}-1")
        if len(diffs) == 1 and _bare(cx, diffs[0][0]) == lp.var and _bare(cx, diffs[0][1]) in moved:
            return True
    return False


def _reversed_header(cx: _Cx, lp: _Loop) -> str | None:
    """The loop's header visiting the same indices in the opposite order."""
    if lp.start is None or _op(cx, lp.update) not in ("++", "--"):
        return None
    init = _field(lp.node, "initializer")
    prefix = cx.span(init.start_byte, lp.start.start_byte)
    first, var = cx.text(lp.start), lp.var
    # The last index visited: the bound itself when inclusive, else one inside it.
    inclusive = lp.op in ("<=", ">=")
    last = cx.text(lp.bound) if inclusive else _moved(cx, lp.bound, -1 if lp.up else 1)
    if last is None:
        return None
    if lp.up:
        return f"{prefix}{last}; {var} >= {first}; {var}--"
    return f"{prefix}{last}; {var} <= {first}; {var}++"


def _unrolled(cx: _Cx) -> Iterator[_Edit]:
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


def _unrolled_run(cx: _Cx, units: list[Node]) -> Iterator[_Edit]:
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


def _shape(cx: _Cx, unit: Node) -> tuple[object, list[_Slot]]:
    """A unit's shape, names and subscript offsets left out, and its subscript slots."""
    slots: list[_Slot] = []

    def walk(node: Node) -> object:
        idx = _index_of(node) if node.type == "subscript_argument_list" else None
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


def _split_offset(cx: _Cx, idx: Node) -> _Slot:
    lit = _int(cx.text(idx)) if idx.type == "number_literal" else None
    if lit is not None:
        return idx, lit[0], None, idx
    if idx.type == "binary_expression" and _op(cx, idx) in ("+", "-"):
        right = _field(idx, "right")
        lit = _int(cx.text(right)) if right.type == "number_literal" else None
        if lit is not None:
            sign = 1 if _op(cx, idx) == "+" else -1
            return idx, sign * lit[0], _field(idx, "left"), right
    return idx, 0, idx, None


def _offset_edit(cx: _Cx, slot: _Slot, wanted: int) -> _Edit:
    idx, _, base, literal = slot
    where = idx.parent.parent if idx.parent is not None else None  # the subscript expression
    if literal is not None and base is None:
        return cx.edit("MLU", "unrolled_copy", idx, str(wanted), where)
    # Keep the copy's own form (``4 * c + 1`` -> ``4 * c + 0``) when the sign allows.
    plus = literal is not None and _op(cx, idx) == "+"
    if literal is not None and (wanted == 0 or (wanted > 0) == plus):
        return cx.edit("MLU", "unrolled_copy", literal, str(abs(wanted)), where)
    assert base is not None  # a slot without a literal offset has itself as its base
    tail = f" + {wanted}" if wanted > 0 else f" - {-wanted}" if wanted else ""
    return cx.edit("MLU", "unrolled_copy", idx, cx.text(base) + tail, where)


_MUTATORS: tuple[Callable[[_Cx], Iterable[_Edit]], ...] = (
    _unrolled,
    _buffers,
    _divisions,
    _steps,
    _shifts,
    _loop_headers,
    _subscripts,
    _signedness,
    _comparisons,
    _operators,
    _variables,
    _initial_values,
    _statements,
    _arguments,
)
