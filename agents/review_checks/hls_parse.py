"""The HLS check's picture of one C/C++ file, read once with tree-sitter-cpp.

:func:`parse` walks the syntax tree of the whole new file a single time and
records what the rules in :mod:`~duckfix.agents.review_checks.hls` look at:

- every function, with its parameters, the ``#pragma HLS`` lines in it, its
  loops and the calls, allocations, shifts and assignments it holds;
- every loop, with its header line, its loop variables, its constant trip
  count when the header gives one, and the variables its trip count depends on;
- every declaration, in nested scopes (global, class, parameters, ``for``
  headers, blocks), with array dimensions and integer widths;
- the file's compile-time constants: ``#define``, ``const``/``constexpr``
  variables, enumerators and template parameters.

``tree_sitter`` is imported only inside :func:`parse`; importing this module
does not need it. Nothing here raises on odd input: what cannot be read
(a dimension given by a macro from another header, a ``while`` loop's trip
count) is ``None``, and the rules skip it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = [
    "Decl",
    "FileModel",
    "Function",
    "Loop",
    "Pragma",
    "Scope",
    "Site",
    "TypeInfo",
    "cpp_parser",
    "evaluate",
    "function_name",
    "parse",
    "text_of",
    "walk",
]

LoopKind = Literal["for", "while", "do", "range"]

_LOOPS: dict[str, LoopKind] = {
    "for_statement": "for",
    "while_statement": "while",
    "do_statement": "do",
    "for_range_loop": "range",
}
_C_WIDTHS = {"char": 8, "short": 16, "int": 32, "long": 64, "bool": 1, "size_t": 64}
_STDINT = re.compile(r"^(?:std::)?u?int(8|16|32|64)_t$")
_COMMENT = re.compile(r"//.*$|/\*.*?\*/", re.DOTALL)
_OPTION = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\"[^\"]*\"|[^\s=]+)")


def text_of(node: Node | None) -> str:
    """The source text of a node ('' for none)."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def walk(root: Node, skip: tuple[str, ...] = ()) -> Iterator[Node]:
    """``root`` and every node under it, in source order; not below nodes of a ``skip`` type."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node.type not in skip:
            stack.extend(reversed(node.children))


def line_of(node: Node) -> int:
    """1-based line where a node starts."""
    return node.start_point.row + 1


# --- model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What a declared type says about its values."""

    text: str
    width: int | None = None
    """Bits of an integer type: ``ap_int<W>``'s W, 32 for ``int``; None otherwise."""
    ap: bool = False
    """``ap_int``/``ap_uint`` (arbitrary precision: a shift keeps the width)."""
    stream: bool = False
    """``hls::stream<T>``."""
    dims: tuple[int | None, ...] = ()
    """Array dimensions a typedef carries (``typedef int row_t[16]``)."""


@dataclass(slots=True)
class Decl:
    """One declared name: a parameter, a local, a global or a class member."""

    name: str
    line: int
    type: TypeInfo
    kind: Literal["param", "local", "global", "field", "template"]
    dims: tuple[int | None, ...] = ()
    """Array dimensions, outermost (``dim=1``) first; None where not a known constant."""
    pointer: bool = False
    reference: bool = False
    const: bool = False
    """``const``/``constexpr`` without a pointer: the value is fixed."""
    const_data: bool = False
    """The pointed-to or array data is ``const`` (the callee only reads it)."""
    value: Node | None = None
    """The initialiser, when there is one."""

    @property
    def rank(self) -> int:
        return len(self.dims)


@dataclass(slots=True)
class Scope:
    """Names declared in one block, function header, class or the file."""

    parent: Scope | None
    decls: dict[str, Decl] = field(default_factory=dict)
    class_name: str | None = None
    """For an out-of-line method (``void K::run()``): its class, looked up by name."""


@dataclass(slots=True)
class Pragma:
    """One ``#pragma HLS`` line."""

    node: Node
    line: int
    text: str
    """After ``#pragma HLS``, comments removed."""
    name: str
    """Lower case: ``array_partition``, ``pipeline``, ``interface``..."""
    options: dict[str, str]
    """``key=value`` options, keys in lower case, values as written."""
    words: list[str]
    """Bare words (lower case): ``cyclic`` in the old spelling, ``off``, a mode."""
    function: Function | None
    loop: Loop | None
    """The innermost loop whose body holds the pragma (None: the function's own)."""
    scope: Scope


@dataclass(slots=True)
class Loop:
    """One ``for``/``while``/``do`` loop."""

    node: Node
    kind: LoopKind
    line: int
    """The header's line."""
    end: int
    function: Function
    parent: Loop | None
    scope: Scope
    """The scope of the header (the loop variable is in it)."""
    children: list[Loop] = field(default_factory=list)
    pragmas: list[Pragma] = field(default_factory=list)

    @property
    def body(self) -> Node | None:
        return self.node.child_by_field_name("body")

    def descendants(self) -> list[Loop]:
        out: list[Loop] = []
        for child in self.children:
            out += [child, *child.descendants()]
        return out


@dataclass(frozen=True, slots=True)
class Site:
    """An expression a rule looks at, with where it is."""

    node: Node
    scope: Scope
    sim_only: bool
    """Inside ``#ifndef __SYNTHESIS__``: C simulation only, never synthesised."""

    @property
    def lines(self) -> range:
        return range(self.node.start_point.row + 1, self.node.end_point.row + 2)


@dataclass(slots=True)
class Function:
    """One function definition."""

    node: Node
    name: str
    line: int
    end: int
    params: list[Decl]
    scope: Scope
    """The parameters' scope."""
    consts: dict[str, str | None]
    """Template parameters and local constants: name -> expression text (None: unknown)."""
    has_errors: bool
    """tree-sitter could not read all of it: declarations may be missing."""
    pragmas: list[Pragma] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    """Outermost loops; nested ones hang off them."""
    calls: list[Site] = field(default_factory=list)
    allocations: list[Site] = field(default_factory=list)
    """``new`` and ``delete`` expressions."""
    shifts: list[Site] = field(default_factory=list)
    assignments: list[Site] = field(default_factory=list)
    """``a = b`` expressions and ``T a = b`` declarators."""

    @property
    def body(self) -> Node | None:
        return self.node.child_by_field_name("body")

    def all_loops(self) -> list[Loop]:
        out: list[Loop] = []
        for loop in self.loops:
            out += [loop, *loop.descendants()]
        return out


@dataclass(slots=True)
class FileModel:
    """Everything :func:`parse` read from one file."""

    root: Node
    globals: Scope
    functions: list[Function] = field(default_factory=list)
    pragmas: list[Pragma] = field(default_factory=list)
    consts: dict[str, str | None] = field(default_factory=dict)
    """``#define`` and global constants: name -> expression text (None: unknown value)."""
    types: dict[str, TypeInfo] = field(default_factory=dict)
    """``typedef`` and ``using`` aliases."""
    classes: dict[str, Scope] = field(default_factory=dict)
    block_scopes: dict[int, Scope] = field(default_factory=dict)
    """The scope of each ``{ ... }`` block, by node id."""
    _assigned_cache: dict[int, set[str]] = field(default_factory=dict, repr=False)

    # --- names -----------------------------------------------------------------------

    def lookup(self, scope: Scope, name: str) -> Decl | None:
        """The declaration ``name`` means in ``scope``, innermost first."""
        s: Scope | None = scope
        while s is not None:
            if name in s.decls:
                return s.decls[name]
            if s.class_name is not None and s.class_name in self.classes:
                found = self.classes[s.class_name].decls.get(name)
                if found is not None:
                    return found
            s = s.parent
        return None

    def complete(self, scope: Scope) -> bool:
        """Whether every name visible in ``scope`` is known to this file.

        An out-of-line method of a class declared in a header sees members that
        are not here.
        """
        s: Scope | None = scope
        while s is not None:
            if s.class_name is not None and s.class_name not in self.classes:
                return False
            s = s.parent
        return True

    def functions_named(self, name: str) -> list[Function]:
        return [f for f in self.functions if f.name == name]

    # --- loops -----------------------------------------------------------------------

    def loop_variables(self, loop: Loop) -> set[str]:
        """The names a ``for`` header initialises: its loop variables."""
        init = loop.node.child_by_field_name("initializer")
        out: set[str] = set()
        if init is None:
            return out
        if init.type == "declaration":
            for d in init.children_by_field_name("declarator"):
                name = _unwrap(d)[0]
                if name:
                    out.add(name)
            return out
        for n in walk(init):
            left = n.child_by_field_name("left") if n.type == "assignment_expression" else None
            if left is not None and left.type == "identifier":
                out.add(text_of(left))
        return out

    def dependencies(self, loop: Loop) -> list[str]:
        """The variables (not compile-time constants) a ``for`` loop's trip count reads.

        Names this file does not declare are taken for macros from a header, so
        constants; so are ``const`` variables, enumerators and template parameters.
        """
        own = self.loop_variables(loop)
        out: list[str] = []
        for field_name in ("initializer", "condition", "update"):
            part = loop.node.child_by_field_name(field_name)
            if part is None:
                continue
            for n in walk(part, skip=("sizeof_expression",)):
                if n.type != "identifier" or text_of(n) in own:
                    continue
                parent_call = n.parent
                if parent_call is not None and parent_call.type == "call_expression":
                    continue  # the called function's name
                name = text_of(n)
                if name not in out and not self.fixed(name, loop.scope, loop.function):
                    out.append(name)
        return out

    def fixed(
        self, name: str, scope: Scope, fn: Function, busy: frozenset[str] = frozenset()
    ) -> bool:
        """Whether ``name`` has one value known at compile time.

        True for names this file does not declare (macros from a header),
        ``const``/``constexpr`` variables, enumerators, template parameters, and
        locals initialised from such names and never assigned again (HLS
        propagates those constants).
        """
        if self.is_constant_name(name, fn):
            return True
        decl = self.lookup(scope, name)
        if decl is None or decl.const:
            return True
        if decl.kind != "local" or decl.value is None or decl.dims or name in busy:
            return False
        if name in self._assigned(fn):
            return False
        return all(
            self.fixed(text_of(n), scope, fn, busy | {name})
            for n in walk(decl.value, skip=("sizeof_expression", "qualified_identifier"))
            if n.type == "identifier"
        )

    def _assigned(self, fn: Function) -> set[str]:
        """Names a function assigns after their declaration (``=``, ``+=``, ``++``)."""
        cached = self._assigned_cache.get(fn.node.id)
        if cached is not None:
            return cached
        out: set[str] = set()
        if fn.body is not None:
            for n in walk(fn.body):
                target = None
                if n.type == "assignment_expression":
                    target = n.child_by_field_name("left")
                elif n.type == "update_expression":
                    target = n.child_by_field_name("argument")
                if target is not None and target.type == "identifier":
                    out.add(text_of(target))
        self._assigned_cache[fn.node.id] = out
        return out

    def trip_count(self, loop: Loop) -> int | None:
        """How many times a ``for (i = S; i < E; i += K)`` loop runs, when all three are
        constants; None otherwise."""
        names = self.loop_variables(loop)
        if loop.kind != "for" or len(names) != 1:
            return None
        (var,) = names
        fn = loop.function
        init = loop.node.child_by_field_name("initializer")
        start_node: Node | None = None
        if init is not None and init.type == "declaration":
            for d in init.children_by_field_name("declarator"):
                if d.type == "init_declarator":
                    start_node = d.child_by_field_name("value")
        elif init is not None and init.type == "assignment_expression":
            start_node = init.child_by_field_name("right")
        cond = loop.node.child_by_field_name("condition")
        update = loop.node.child_by_field_name("update")
        if start_node is None or cond is None or update is None:
            return None
        if cond.type != "binary_expression":
            return None
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        op = text_of(cond.child_by_field_name("operator"))
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}
        if left is not None and text_of(left) == var:
            bound = right
        elif right is not None and text_of(right) == var and op in flipped:
            bound, op = left, flipped[op]
        else:
            return None
        step = self._step(update, var, fn)
        start = self.value(text_of(start_node), fn)
        end = self.value(text_of(bound), fn)
        if step is None or start is None or end is None or step == 0:
            return None
        if step > 0 and op in ("<", "<=", "!="):
            span = end - start + (1 if op == "<=" else 0)
        elif step < 0 and op in (">", ">=", "!="):
            span, step = start - end + (1 if op == ">=" else 0), -step
        else:
            return None
        if op == "!=" and span % step:
            return None
        return max(0, -(-span // step))

    def _step(self, update: Node, var: str, fn: Function) -> int | None:
        if update.type == "update_expression":
            if text_of(update.child_by_field_name("argument")) != var:
                return None
            return 1 if "++" in text_of(update) else -1
        if update.type != "assignment_expression":
            return None
        if text_of(update.child_by_field_name("left")) != var:
            return None
        op = text_of(update.child_by_field_name("operator"))
        right = update.child_by_field_name("right")
        if op in ("+=", "-="):
            amount = self.value(text_of(right), fn)
            return None if amount is None else (amount if op == "+=" else -amount)
        if op == "=" and right is not None and right.type == "binary_expression":
            # ``i = i + 2``
            inner_op = text_of(right.child_by_field_name("operator"))
            if text_of(right.child_by_field_name("left")) != var or inner_op not in "+-":
                return None
            amount = self.value(text_of(right.child_by_field_name("right")), fn)
            return None if amount is None else (amount if inner_op == "+" else -amount)
        return None

    # --- constants -------------------------------------------------------------------

    def value(self, text: str, function: Function | None = None) -> int | None:
        """The integer a constant expression has here, or None."""
        return evaluate(text, lambda name: self._const(name, function, set()))

    def is_constant_name(self, name: str, function: Function | None) -> bool:
        return (function is not None and name in function.consts) or name in self.consts

    def _const(self, name: str, function: Function | None, busy: set[str]) -> int | None:
        if name in busy:  # a macro defined in terms of itself
            return None
        if function is not None and name in function.consts:
            raw = function.consts[name]
        elif name in self.consts:
            raw = self.consts[name]
        else:
            return None
        if raw is None:
            return None
        return evaluate(raw, lambda n: self._const(n, function, busy | {name}))

    # --- types -----------------------------------------------------------------------

    def type_info(self, node: Node | None, function: Function | None = None) -> TypeInfo:
        """What the type node of a declaration says (width, ap_int, stream)."""
        text = text_of(node)
        if node is None:
            return TypeInfo(text)
        kind = node.type
        if kind == "qualified_identifier":
            inner = node.child_by_field_name("name")
            info = self.type_info(inner, function)
            return TypeInfo(text, info.width, info.ap, info.stream, info.dims)
        if kind == "template_type":
            name = text_of(node.child_by_field_name("name"))
            args = node.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            if name in ("ap_int", "ap_uint"):
                width = self.value(text_of(first), function) if first is not None else None
                return TypeInfo(text, width, ap=True)
            if name == "stream":
                return TypeInfo(text, stream=True)
            return TypeInfo(text)
        if kind in ("primitive_type", "sized_type_specifier"):
            words = text.split()
            if "long" in words:
                return TypeInfo(text, 64)
            for word in ("char", "short", "bool", "int"):
                if word in words:
                    return TypeInfo(text, _C_WIDTHS[word])
            if "unsigned" in words or "signed" in words:
                return TypeInfo(text, 32)
            return TypeInfo(text)
        if kind == "type_identifier":
            m = _STDINT.match(text)
            if m:
                return TypeInfo(text, int(m.group(1)))
            return self.types.get(text, TypeInfo(text))
        return TypeInfo(text)


# --- pragma text ---------------------------------------------------------------------


def split_pragma(arg: str) -> tuple[str, dict[str, str], list[str]] | None:
    """``HLS ARRAY_PARTITION variable = A cyclic factor=4`` -> name, options, bare words.

    None when the pragma is not an HLS one.
    """
    text = _COMMENT.sub(" ", arg).replace("\\\n", " ").strip()
    head, _, rest = text.partition(" ")
    if head.upper() != "HLS":
        return None
    rest = rest.strip()
    name, _, rest = rest.partition(" ")
    options = {m.group(1).lower(): m.group(2).strip('"') for m in _OPTION.finditer(rest)}
    words = [w.lower() for w in _OPTION.sub(" ", rest).split()]
    return name.lower(), options, words


# --- constant expressions ------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)[uUlL]*|([A-Za-z_]\w*(?:::\w+)*)|(<<|>>|[-+*/%()~]))"
)


def evaluate(text: str, resolve: Callable[[str], int | None]) -> int | None:
    """The value of an integer constant expression (``N * 2``, ``(1 << 4) - 1``), or None.

    ``resolve`` maps a name to its value (or None); anything else (casts,
    ``sizeof``, calls) makes the whole expression None.
    """
    tokens: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        if m.group(1):
            raw = m.group(1)
            base = 16 if raw[:2] in ("0x", "0X") else 2 if raw[:2] in ("0b", "0B") else 10
            if base == 10 and len(raw) > 1 and raw.startswith("0"):
                base = 8
            digits = raw[2:] if base in (16, 2) else raw
            try:
                tokens.append(("num", str(int(digits, base))))
            except ValueError:
                return None
        elif m.group(2):
            tokens.append(("name", m.group(2)))
        else:
            tokens.append(("op", m.group(3)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not tokens:
        return None
    parser = _Expr(tokens, resolve)
    try:
        out = parser.shift()
    except (_NotConstant, ZeroDivisionError):
        return None
    return out if parser.pos == len(tokens) else None


class _NotConstant(Exception):
    """The expression is not an integer constant this file defines."""


class _Expr:
    """Recursive descent over ``<< >>``, ``+ -``, ``* / %``, unary and parentheses."""

    def __init__(self, tokens: list[tuple[str, str]], resolve: Callable[[str], int | None]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.resolve = resolve

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def shift(self) -> int:
        value = self.additive()
        while self._peek() in ("<<", ">>"):
            op = self.tokens[self.pos][1]
            self.pos += 1
            right = self.additive()
            if right < 0 or right > 256:
                raise _NotConstant
            value = value << right if op == "<<" else value >> right
        return value

    def additive(self) -> int:
        value = self.term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.pos][1]
            self.pos += 1
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> int:
        value = self.unary()
        while self._peek() in ("*", "/", "%"):
            op = self.tokens[self.pos][1]
            self.pos += 1
            right = self.unary()
            if op == "*":
                value *= right
            else:
                # C truncates towards zero.
                q = abs(value) // abs(right) * (1 if (value >= 0) == (right >= 0) else -1)
                value = q if op == "/" else value - q * right
        return value

    def unary(self) -> int:
        if self.pos >= len(self.tokens):
            raise _NotConstant
        kind, tok = self.tokens[self.pos]
        self.pos += 1
        if tok == "-" and kind == "op":
            return -self.unary()
        if tok == "+" and kind == "op":
            return self.unary()
        if tok == "~" and kind == "op":
            return ~self.unary()
        if tok == "(" and kind == "op":
            value = self.shift()
            if self._peek() != ")":
                raise _NotConstant
            self.pos += 1
            return value
        if kind == "num":
            return int(tok)
        if kind == "name":
            found = self.resolve(tok)
            if not isinstance(found, int):
                raise _NotConstant
            return found
        raise _NotConstant


# --- the walk ------------------------------------------------------------------------


@cache
def cpp_parser() -> Parser:
    """The tree-sitter-cpp parser, built once (raises ImportError without tree-sitter-cpp)."""
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def parse(text: str) -> FileModel:
    """Read one C/C++ file (raises ImportError without tree-sitter-cpp)."""
    tree = cpp_parser().parse(text.encode("utf-8", "surrogateescape"))
    return _Builder(tree.root_node).build()


@dataclass(frozen=True, slots=True)
class _Ctx:
    scope: Scope
    function: Function | None = None
    loop: Loop | None = None
    sim_only: bool = False


def _unwrap(node: Node | None) -> tuple[str | None, list[Node | None], bool, bool, Node | None]:
    """A declarator's name, array sizes (outermost first), pointer, reference, initialiser."""
    sizes: list[Node | None] = []
    pointer = reference = False
    value: Node | None = None
    while node is not None:
        kind = node.type
        if kind == "init_declarator":
            value = node.child_by_field_name("value")
            node = node.child_by_field_name("declarator")
        elif kind == "array_declarator":
            sizes.append(node.child_by_field_name("size"))
            node = node.child_by_field_name("declarator")
        elif kind == "pointer_declarator":
            pointer = True
            node = node.child_by_field_name("declarator")
        elif kind == "reference_declarator":
            reference = True
            node = node.named_children[-1] if node.named_children else None
        elif kind == "parenthesized_declarator":
            node = node.named_children[0] if node.named_children else None
        elif kind in ("identifier", "field_identifier"):
            # ``int a[N][M]`` nests as array(array(a, N), M): sizes came innermost last.
            return text_of(node), sizes[::-1], pointer, reference, value
        elif kind == "qualified_identifier":
            node = node.child_by_field_name("name")
        else:  # a function declarator (a prototype), an operator name...
            return None, [], pointer, reference, value
    return None, [], pointer, reference, value


def function_name(declarator: Node | None) -> tuple[str, str | None] | None:
    """A function definition's name and, for ``K::run``, its class."""
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return None
    name = declarator.child_by_field_name("declarator")
    if name is None:
        return None
    if name.type == "qualified_identifier":
        scope = text_of(name.child_by_field_name("scope")) or None
        inner = name.child_by_field_name("name")
        while inner is not None and inner.type == "qualified_identifier":
            scope = text_of(inner.child_by_field_name("scope")) or scope
            inner = inner.child_by_field_name("name")
        return text_of(inner), scope
    return text_of(name), None


def _qualifiers(node: Node) -> set[str]:
    """``const``, ``constexpr``... of a declaration, also where tree-sitter nests them
    in the type (``unsigned const n``)."""
    out = {text_of(c) for c in node.children if c.type == "type_qualifier"}
    kind = node.child_by_field_name("type")
    if kind is not None:
        out |= {text_of(c) for c in kind.children if c.type == "type_qualifier"}
    return out


def _synthesis_guard(node: Node) -> tuple[bool, bool] | None:
    """For an ``#if``/``#ifdef`` on ``__SYNTHESIS__``: whether its body, and its
    ``#else``, are C-simulation only. None for any other conditional."""
    if node.type == "preproc_ifdef":
        if text_of(node.child_by_field_name("name")) != "__SYNTHESIS__":
            return None
        negated = text_of(node.children[0]) == "#ifndef"
        return (negated, not negated)
    if node.type == "preproc_if":
        cond = re.sub(r"\s+", "", text_of(node.child_by_field_name("condition")))
        if cond in ("!defined(__SYNTHESIS__)", "!defined__SYNTHESIS__"):
            return (True, False)
        if cond in ("defined(__SYNTHESIS__)", "defined__SYNTHESIS__", "__SYNTHESIS__"):
            return (False, True)
    return None


class _Builder:
    def __init__(self, root: Node) -> None:
        self.model = FileModel(root=root, globals=Scope(None))

    def build(self) -> FileModel:
        stack: list[tuple[Node, _Ctx]] = [(self.model.root, _Ctx(self.model.globals))]
        while stack:
            node, ctx = stack.pop()
            children = self._visit(node, ctx)
            stack.extend(reversed(children))
        return self.model

    def _visit(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        """Record ``node``; the children to walk next, each with its context."""
        kind = node.type
        model = self.model
        if kind == "function_definition":
            return self._function(node, ctx)
        if kind in ("class_specifier", "struct_specifier", "union_specifier"):
            body = node.child_by_field_name("body")
            name = text_of(node.child_by_field_name("name"))
            if body is not None:
                inner = Scope(ctx.scope)
                if name:
                    model.classes[name] = inner
                return [
                    (c, _Ctx(inner, ctx.function, ctx.loop, ctx.sim_only))
                    for c in body.named_children
                ]
            return []
        if kind in _LOOPS and ctx.function is not None:
            return self._loop(node, ctx)
        if kind == "compound_statement":
            inner = Scope(ctx.scope)
            model.block_scopes[node.id] = inner
            return [
                (c, _Ctx(inner, ctx.function, ctx.loop, ctx.sim_only)) for c in node.named_children
            ]
        if kind == "preproc_call":
            self._pragma(node, ctx)
            return []
        if kind == "preproc_def":
            name = text_of(node.child_by_field_name("name"))
            value = node.child_by_field_name("value")
            model.consts[name] = text_of(value).strip() if value is not None else None
            return []
        if kind in ("type_definition", "alias_declaration"):
            self._typedef(node, ctx)
            return []
        if kind in ("declaration", "field_declaration"):
            self._declaration(node, ctx)
        elif kind == "enumerator":
            value = node.child_by_field_name("value")
            model.consts[text_of(node.child_by_field_name("name"))] = (
                text_of(value) if value is not None else None
            )
            return []
        elif ctx.function is not None:
            self._expression(node, ctx)
        guard = _synthesis_guard(node)
        if guard is not None:
            body_sim, else_sim = guard
            out = []
            for i, c in enumerate(node.children):
                alternative = node.field_name_for_child(i) == "alternative"
                sim = ctx.sim_only or (else_sim if alternative else body_sim)
                out.append((c, _Ctx(ctx.scope, ctx.function, ctx.loop, sim)))
            return out
        return [(c, ctx) for c in node.named_children]

    # --- definitions -----------------------------------------------------------------

    def _function(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        named = function_name(node.child_by_field_name("declarator"))
        body = node.child_by_field_name("body")
        if named is None or body is None:
            return []
        name, owner = named
        scope = Scope(ctx.scope, class_name=owner)
        consts: dict[str, str | None] = {}
        template = node.parent
        if template is not None and template.type == "template_declaration":
            params = template.child_by_field_name("parameters")
            for p in params.named_children if params is not None else []:
                if p.type in ("parameter_declaration", "optional_parameter_declaration"):
                    pname = _unwrap(p.child_by_field_name("declarator"))[0]
                    if pname:
                        consts[pname] = None
        fn = Function(
            node=node,
            name=name,
            line=line_of(node),
            end=node.end_point.row + 1,
            params=[],
            scope=scope,
            consts=consts,
            has_errors=node.has_error,
        )
        self.model.functions.append(fn)
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        plist = declarator.child_by_field_name("parameters") if declarator is not None else None
        for p in plist.named_children if plist is not None else []:
            if p.type in ("parameter_declaration", "optional_parameter_declaration"):
                for decl in self._decls(p, "param", fn):
                    scope.decls[decl.name] = decl
                    fn.params.append(decl)
        return [(body, _Ctx(scope, fn, None, ctx.sim_only))]

    def _loop(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        assert ctx.function is not None
        scope = Scope(ctx.scope)
        loop = Loop(
            node=node,
            kind=_LOOPS[node.type],
            line=line_of(node),
            end=node.end_point.row + 1,
            function=ctx.function,
            parent=ctx.loop,
            scope=scope,
        )
        (ctx.loop.children if ctx.loop is not None else ctx.function.loops).append(loop)
        inner = _Ctx(scope, ctx.function, loop, ctx.sim_only)
        if node.type == "for_range_loop":
            name = _unwrap(node.child_by_field_name("declarator"))[0]
            if name:
                scope.decls[name] = Decl(name, loop.line, TypeInfo(""), "local")
        out: list[tuple[Node, _Ctx]] = []
        for i, c in enumerate(node.children):
            if node.field_name_for_child(i) == "body":
                out.append((c, inner))
            else:
                # The header belongs to the loop's scope but not to its body.
                out.append((c, _Ctx(scope, ctx.function, ctx.loop, ctx.sim_only)))
        return out

    def _pragma(self, node: Node, ctx: _Ctx) -> None:
        if text_of(node.child_by_field_name("directive")).strip() != "#pragma":
            return
        split = split_pragma(text_of(node.child_by_field_name("argument")))
        if split is None:
            return
        name, options, words = split
        pragma = Pragma(
            node=node,
            line=line_of(node),
            text=" ".join([name, *(f"{k}={v}" for k, v in options.items()), *words]),
            name=name,
            options=options,
            words=words,
            function=ctx.function,
            loop=ctx.loop,
            scope=ctx.scope,
        )
        self.model.pragmas.append(pragma)
        if ctx.function is not None:
            ctx.function.pragmas.append(pragma)
        if ctx.loop is not None:
            ctx.loop.pragmas.append(pragma)

    def _typedef(self, node: Node, ctx: _Ctx) -> None:
        base = self.model.type_info(node.child_by_field_name("type"), ctx.function)
        if node.type == "alias_declaration":
            name = text_of(node.child_by_field_name("name"))
            if name:
                self.model.types[name] = base
            return
        for d in node.children_by_field_name("declarator"):
            alias, sizes, pointer, _, _ = _unwrap_type(d)
            if alias and not pointer:
                dims = tuple(self._dim(s, ctx.function) for s in sizes) + base.dims
                self.model.types[alias] = TypeInfo(
                    base.text, base.width, base.ap, base.stream, dims
                )

    def _declaration(self, node: Node, ctx: _Ctx) -> None:
        kind: Literal["local", "global", "field"]
        if node.type == "field_declaration":
            kind = "field"
        elif ctx.function is None:
            kind = "global"
        else:
            kind = "local"
        decls = self._decls(node, kind, ctx.function)
        for decl in decls:
            ctx.scope.decls[decl.name] = decl
            if decl.const and not decl.dims and decl.value is not None and decl.type.width:
                # ``const int N = 16;`` is a compile-time constant for bounds and sizes.
                target = ctx.function.consts if ctx.function is not None else self.model.consts
                target.setdefault(decl.name, text_of(decl.value))
        if ctx.function is not None and any(d.value is not None for d in decls):
            ctx.function.assignments.append(Site(node, ctx.scope, ctx.sim_only))

    def _decls(
        self, node: Node, kind: Literal["param", "local", "global", "field"], fn: Function | None
    ) -> list[Decl]:
        info = self.model.type_info(node.child_by_field_name("type"), fn)
        quals = _qualifiers(node)
        const = bool(quals & {"const", "constexpr"})
        out = []
        for d in node.children_by_field_name("declarator"):
            name, sizes, pointer, reference, value = _unwrap(d)
            if not name:
                continue
            dims = tuple(self._dim(s, fn) for s in sizes) + info.dims
            out.append(
                Decl(
                    name=name,
                    line=line_of(d),
                    type=info,
                    kind=kind,
                    dims=dims,
                    pointer=pointer,
                    reference=reference,
                    const=const and not pointer and not reference and not dims,
                    const_data=const,
                    value=value,
                )
            )
        return out

    def _dim(self, size: Node | None, fn: Function | None) -> int | None:
        return None if size is None else self.model.value(text_of(size), fn)

    # --- expressions -----------------------------------------------------------------

    def _expression(self, node: Node, ctx: _Ctx) -> None:
        fn = ctx.function
        assert fn is not None
        kind = node.type
        if kind == "call_expression":
            fn.calls.append(Site(node, ctx.scope, ctx.sim_only))
        elif kind in ("new_expression", "delete_expression"):
            fn.allocations.append(Site(node, ctx.scope, ctx.sim_only))
        elif kind == "binary_expression" and text_of(node.child_by_field_name("operator")) in (
            "<<",
            ">>",
        ):
            fn.shifts.append(Site(node, ctx.scope, ctx.sim_only))
        elif kind == "assignment_expression":
            op = text_of(node.child_by_field_name("operator"))
            if op in ("<<=", ">>="):
                fn.shifts.append(Site(node, ctx.scope, ctx.sim_only))
            elif op == "=":
                fn.assignments.append(Site(node, ctx.scope, ctx.sim_only))


def _unwrap_type(node: Node) -> tuple[str | None, list[Node | None], bool, bool, Node | None]:
    """Like :func:`_unwrap`, for a typedef's declarator (its name is a type identifier)."""
    if node.type == "type_identifier":
        return text_of(node), [], False, False, None
    sizes: list[Node | None] = []
    pointer = False
    while node is not None and node.type != "type_identifier":
        if node.type == "array_declarator":
            sizes.append(node.child_by_field_name("size"))
        elif node.type == "pointer_declarator":
            pointer = True
        elif node.type not in ("parenthesized_declarator",):
            return None, [], pointer, False, None
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = node.named_children[0] if node.named_children else None
        if inner is None:
            return None, [], pointer, False, None
        node = inner
    return text_of(node), sizes[::-1], pointer, False, None
