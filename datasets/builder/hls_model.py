"""The pragma mutators' picture of an HLS C++ file: functions, loops, declarations, pragmas.

:class:`HlsModel` reads a file once (with tree-sitter-cpp, through
:mod:`~duckfix.datasets.builder.c_syntax`) into :class:`Function` s with their
parameters, locals, :class:`Loop` s (nested, with counters and constant trip counts),
array :class:`Access` es, calls and :class:`Pragma` s (their options and bare words,
with spans), and the file's constants (``#define``, ``const``, enumerators). It answers
the questions the mutators of :mod:`~duckfix.datasets.builder.pragma_mutators` ask:
the value of a constant expression here, which names are in scope, where a pragma line
can go and with what indentation. Offsets are characters of the text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from duckfix.datasets.builder.c_syntax import Source, function_declarator, parameters

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "LOOP_KINDS",
    "PRAGMA_HEAD",
    "Access",
    "Decl",
    "Function",
    "HlsModel",
    "Loop",
    "Option",
    "Pragma",
]

PRAGMA_HEAD = re.compile(r"#\s*pragma\s+HLS\s+([A-Za-z_]\w*)", re.IGNORECASE)
"""``#pragma HLS <directive>``, the directive's name its group 1."""
_OPTION = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\"[^\"]*\"|[^\s=]+)")
_WORD = re.compile(r"[A-Za-z_]\w*")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
LOOP_KINDS = {"for_statement": "for", "while_statement": "while", "do_statement": "do"}
"""A loop's kind (:attr:`Loop.kind`), by its tree-sitter node type."""


@dataclass(slots=True)
class Option:
    """``key=value`` in a pragma: the value's span (character offsets into the file)."""

    key: str
    value: str
    start: int
    """Where ``key`` starts."""
    value_start: int
    end: int


@dataclass(eq=False, slots=True)
class Pragma:
    """A ``#pragma HLS`` line: where it is, its directive, options and bare words."""

    line_start: int
    """Start of the pragma's line (its indentation included)."""
    start: int
    """The ``#``."""
    end: int
    """End of the directive's text, before a trailing comment or blanks."""
    line_end: int
    """Just past the line's newline."""
    name: str
    """Lower case: ``array_partition``, ``unroll``..."""
    options: dict[str, Option]
    words: list[tuple[str, int, int]]
    """Bare words (lower case) with their spans: ``cyclic`` in the old spelling, a mode."""
    function: Function | None
    loop: Loop | None

    @property
    def off(self) -> bool:
        """Whether the pragma turns its directive off (``PIPELINE off``)."""
        return any(w == "off" for w, _, _ in self.words) or "off" in self.options

    def kind_span(self, key: str, allowed: frozenset[str] | tuple[str, ...]) -> Option | None:
        """The ``key=`` option, else the bare word from ``allowed`` (the old spelling)."""
        if key in self.options:
            return self.options[key]
        for word, start, end in self.words:
            if word in allowed:
                return Option(key, word, start, start, end)
        return None


@dataclass(eq=False, slots=True)
class Decl:
    """A declared name: a parameter, a local or a global, with its shape and scope."""

    name: str
    kind: Literal["param", "local", "global"]
    dims: tuple[str, ...]
    """Array sizes as written, outermost (``dim=1``) first."""
    pointer: bool
    reference: bool
    stream: bool
    const: bool
    """A ``const``/``constexpr`` scalar: its value is fixed."""
    readonly: bool
    """Declared ``const``: a ``const`` array parameter is only read."""
    value: str | None
    block: tuple[int, int]
    """Character range where the name is visible: from the declaration to its block's end."""
    after: int | None
    """Start of the line after the declaration, when nothing else shares its line."""
    function: Function | None

    @property
    def array(self) -> bool:
        """An array or a pointer: something a partition or storage pragma can name."""
        return bool(self.dims) or self.pointer

    @property
    def scalar(self) -> bool:
        """Neither an array, a pointer nor a stream."""
        return not (self.dims or self.pointer or self.stream)


@dataclass(eq=False, slots=True)
class Access:
    """``x[i][j]``: the array's name, its indices (outermost first), where it is."""

    name: str
    indices: list[Node]
    write: bool
    loop: Loop | None


@dataclass(eq=False, slots=True)
class Loop:
    """A ``for``, ``while`` or ``do`` loop of a function, in its nest, with its pragmas."""

    node: Node
    kind: str
    function: Function
    parent: Loop | None
    line: int
    var: str | None = None
    trip: int | None = None
    deps: set[str] = field(default_factory=set)
    """Names the trip count reads that are not compile-time constants."""
    children: list[Loop] = field(default_factory=list)
    pragmas: list[Pragma] = field(default_factory=list)
    body_line: int | None = None
    """Start of the first line inside a ``{`` body (where a pragma line goes)."""

    def ancestors(self) -> Iterator[Loop]:
        """The loops around this one, innermost first."""
        loop = self.parent
        while loop is not None:
            yield loop
            loop = loop.parent

    def descendants(self) -> list[Loop]:
        """The loops inside this one, depth first in source order."""
        return _nest(self.children)

    def has(self, name: str) -> Pragma | None:
        """The loop's pragma ``name`` (lower case), unless it is off."""
        return next((p for p in self.pragmas if p.name == name and not p.off), None)


@dataclass(eq=False, slots=True)
class Function:
    """A function definition: its declarations, loops, pragmas, array accesses and calls."""

    node: Node
    name: str
    body: Node
    body_line: int | None
    params: list[Decl] = field(default_factory=list)
    locals: list[Decl] = field(default_factory=list)
    consts: dict[str, str] = field(default_factory=dict)
    pragmas: list[Pragma] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    calls: list[Node] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)

    def all_loops(self) -> list[Loop]:
        """Every loop of the function, depth first in source order."""
        return _nest(self.loops)

    def has(self, name: str) -> Pragma | None:
        """The function's own pragma ``name`` (in no loop), unless it is off."""
        return next(
            (p for p in self.pragmas if p.name == name and p.loop is None and not p.off), None
        )


def _nest(loops: list[Loop]) -> list[Loop]:
    """``loops`` and every loop inside them, depth first in source order."""
    out: list[Loop] = []
    for loop in loops:
        out += [loop, *_nest(loop.children)]
    return out


_Visit = tuple["Node", "Function | None", "Loop | None", tuple[int, int]]
"""A node to visit, with its function, its innermost loop and its block's span."""


class HlsModel:
    """One file, read once: functions, loops, declarations, pragmas, constants."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.source = Source(text)
        self.root = self.source.root
        self.consts: dict[str, str] = {}
        self.typedefs: dict[str, tuple[str, ...]] = {}
        self.globals: list[Decl] = []
        self.functions: list[Function] = []
        self.pragmas: list[Pragma] = []
        self.names = set(_WORD.findall(text))
        # Depth first in source order, with a stack: long expressions nest deeply.
        stack: list[_Visit] = [(self.root, None, None, (0, len(text)))]
        while stack:
            stack.extend(reversed(self._visit(*stack.pop())))
        for fn in self.functions:
            for loop in fn.all_loops():
                self._trip(loop)

    # --- positions -------------------------------------------------------------------

    def c(self, byte: int) -> int:
        """The character offset of a byte offset."""
        return self.source.char(byte)

    def src(self, node: Node | None) -> str:
        """A node's text; ``""`` for no node."""
        if node is None:
            return ""
        return self.text[self.c(node.start_byte) : self.c(node.end_byte)]

    def line_start(self, offset: int) -> int:
        """Start of the line holding ``offset``."""
        return self.text.rfind("\n", 0, offset) + 1

    def next_line(self, offset: int) -> int | None:
        """Start of the line after ``offset``'s, if the rest of this line is blank or a
        comment (so a line can go in between); None otherwise."""
        nl = self.text.find("\n", offset)
        if nl < 0 or _COMMENT.sub("", self.text[offset:nl]).strip():
            return None
        return nl + 1

    def indent(self, offset: int) -> str:
        """The indentation of the line holding ``offset``."""
        start = self.line_start(offset)
        line = self.text[start:]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def pragma_indent(self, fn: Function | None, at: int) -> str:
        """Indentation for a pragma line put at ``at``: none when the function's pragmas
        (else the file's) start in column 0, else that of the code there."""
        known = (fn.pragmas if fn is not None else []) or self.pragmas
        if known and all(p.start == p.line_start for p in known):
            return ""
        for line in self.text[at:].splitlines():
            if line.strip() and not re.fullmatch(r"\s*\w+\s*:\s*", line):  # not a label
                return line[: len(line) - len(line.lstrip(" \t"))]
        return self.indent(at)

    # --- constants -------------------------------------------------------------------

    def value(self, expr: str, fn: Function | None = None) -> int | None:
        """The integer a constant expression has here (macros of other headers: None)."""
        return _evaluate(expr, lambda name: self._const(name, fn, frozenset()))

    def _const(self, name: str, fn: Function | None, busy: frozenset[str]) -> int | None:
        raw = fn.consts.get(name) if fn is not None else None
        raw = raw if raw is not None else self.consts.get(name)
        if raw is None or name in busy:
            return None
        return _evaluate(raw, lambda n: self._const(n, fn, busy | {name}))

    def fixed(self, name: str, fn: Function, at: int, busy: frozenset[str] = frozenset()) -> bool:
        """Whether ``name`` has one value at compile time: a constant of this file, a name
        it does not declare (a header's macro), or a local set from constants and never
        assigned again. Loop counters are not."""
        if name in fn.consts or name in self.consts:
            return True
        if any(loop.var == name for loop in fn.all_loops()):
            return False
        decl = self.lookup(fn, name, at)
        if decl is None or decl.const:
            return True
        if decl.kind != "local" or decl.value is None or decl.dims or name in busy:
            return False
        if name in fn.assigned:
            return False
        return all(self.fixed(n, fn, at, busy | {name}) for n in _WORD.findall(decl.value))

    # --- names -----------------------------------------------------------------------

    def visible(self, fn: Function, at: int) -> list[Decl]:
        """Declarations in scope at ``at`` in ``fn``: innermost locals first, then
        parameters, then globals."""
        inner = [d for d in fn.locals if d.block[0] <= at < d.block[1]]
        inner.sort(key=lambda d: -d.block[0])  # the latest declaration shadows
        return [*inner, *fn.params, *self.globals]

    def lookup(self, fn: Function, name: str, at: int) -> Decl | None:
        """The declaration ``name`` refers to at ``at`` in ``fn``, if this file has one."""
        return next((d for d in self.visible(fn, at) if d.name == name), None)

    def rank(self, decl: Decl) -> int | None:
        """An array's number of dimensions; None for a pointer (its rank is unknown)."""
        return None if decl.pointer else len(decl.dims)

    # --- the walk --------------------------------------------------------------------

    def _visit(
        self, node: Node, fn: Function | None, loop: Loop | None, block: tuple[int, int]
    ) -> list[_Visit]:
        """Record ``node``; the children to visit next, each with its context."""
        kind = node.type
        if kind == "function_definition":
            return self._function(node)
        if kind in LOOP_KINDS and fn is not None:
            return self._loop(node, fn, loop)
        if kind == "compound_statement":
            block = (self.c(node.start_byte), self.c(node.end_byte))
        elif kind == "preproc_call":
            self._pragma(node, fn, loop)
            return []
        elif kind == "preproc_def":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                self.consts[self.src(name)] = self.src(value).strip()
            return []
        elif kind == "type_definition":
            for d in node.children_by_field_name("declarator"):
                alias, dims, *_ = self._unwrap(d, ("type_identifier",))
                if alias and dims:
                    self.typedefs[alias] = dims
            return []
        elif kind == "declaration":
            self._declaration(node, fn, block)
        elif kind == "enumerator":
            value = node.child_by_field_name("value")
            name = node.child_by_field_name("name")
            if name is not None and value is not None:
                self.consts[self.src(name)] = self.src(value)
        elif fn is not None:
            self._expression(node, fn, loop)
        return [(child, fn, loop, block) for child in node.named_children]

    def _function(self, node: Node) -> list[_Visit]:
        declarator = function_declarator(node)
        body = node.child_by_field_name("body")
        if declarator is None or body is None:
            return []
        name = self.src(declarator.child_by_field_name("declarator") or declarator)
        fn = Function(node, name.split("::")[-1], body, self._body_line(body))
        self.functions.append(fn)
        span = (self.c(node.start_byte), self.c(node.end_byte))
        for p in parameters(declarator):
            fn.params += self._decls(p, "param", fn, span)
        return [(body, fn, None, span)]

    def _body_line(self, body: Node | None) -> int | None:
        if body is None or body.type != "compound_statement":
            return None
        return self.next_line(self.c(body.start_byte) + 1)

    def _loop(self, node: Node, fn: Function, parent: Loop | None) -> list[_Visit]:
        loop = Loop(node, LOOP_KINDS[node.type], fn, parent, node.start_point.row + 1)
        (parent.children if parent is not None else fn.loops).append(loop)
        body = node.child_by_field_name("body")
        loop.body_line = self._body_line(body)
        # The header belongs to the enclosing loop; the body to this one.
        span = (self.c(node.start_byte), self.c(node.end_byte))
        return [(c, fn, loop if c == body else parent, span) for c in node.named_children]

    def _pragma(self, node: Node, fn: Function | None, loop: Loop | None) -> None:
        start = self.c(node.start_byte)
        nl = self.text.find("\n", start)
        line_end = len(self.text) if nl < 0 else nl + 1
        raw = self.text[start:line_end].rstrip("\r\n")
        masked = _COMMENT.sub(lambda m: " " * len(m.group()), raw)
        head = PRAGMA_HEAD.match(masked)
        if head is None:
            return
        options: dict[str, Option] = {}
        rest = masked
        for m in _OPTION.finditer(masked, head.end()):
            key = m.group(1).lower()
            options.setdefault(
                key,
                Option(key, m.group(2), start + m.start(), start + m.start(2), start + m.end()),
            )
            rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
        words = [
            (m.group().lower(), start + m.start(), start + m.end())
            for m in _WORD.finditer(rest, head.end())
        ]
        pragma = Pragma(
            self.line_start(start),
            start,
            start + len(masked.rstrip()),
            line_end,
            head.group(1).lower(),
            options,
            words,
            fn,
            loop,
        )
        self.pragmas.append(pragma)
        if fn is not None:
            fn.pragmas.append(pragma)
        if loop is not None:
            loop.pragmas.append(pragma)

    def _declaration(self, node: Node, fn: Function | None, block: tuple[int, int]) -> None:
        parent = node.parent
        in_block = parent is not None and parent.type in ("compound_statement", "translation_unit")
        if not in_block:
            return  # a ``for`` header's counter: the loop records it
        kind: Literal["local", "global"] = "global" if fn is None else "local"
        decls = self._decls(node, kind, fn, block)
        (self.globals if fn is None else fn.locals).extend(decls)
        for d in decls:
            if d.const and d.value is not None:
                (fn.consts if fn is not None else self.consts)[d.name] = d.value

    def _decls(
        self,
        node: Node,
        kind: Literal["param", "local", "global"],
        fn: Function | None,
        block: tuple[int, int],
    ) -> list[Decl]:
        type_text = self.src(node.child_by_field_name("type") or node)
        quals = {self.src(c) for c in node.children if c.type == "type_qualifier"}
        after = None
        if kind != "param":
            after = self.next_line(self.c(node.end_byte))
            block = (self.c(node.start_byte), block[1])
        out = []
        for d in node.children_by_field_name("declarator"):
            name, dims, pointer, reference, value = self._unwrap(d, ("identifier",))
            if not name:
                continue
            dims += self.typedefs.get(type_text, ())
            const = bool(quals & {"const", "constexpr"}) and not (pointer or reference or dims)
            stream = "stream" in type_text
            readonly = bool(quals & {"const", "constexpr"})
            out.append(
                Decl(
                    name,
                    kind,
                    dims,
                    pointer,
                    reference,
                    stream,
                    const,
                    readonly,
                    value,
                    block,
                    after,
                    fn,
                )
            )
        return out

    def _unwrap(
        self, node: Node | None, leaf: tuple[str, ...]
    ) -> tuple[str | None, tuple[str, ...], bool, bool, str | None]:
        """A declarator's name, array sizes (outermost first), pointer, reference, value."""
        sizes: list[str] = []
        pointer = reference = False
        value = None
        while node is not None:
            kind = node.type
            if kind in leaf:
                return self.src(node), tuple(sizes[::-1]), pointer, reference, value
            if kind == "init_declarator":
                found = node.child_by_field_name("value")
                value = self.src(found) if found is not None else None
                node = node.child_by_field_name("declarator")
            elif kind == "array_declarator":
                size = node.child_by_field_name("size")
                sizes.append(self.src(size) if size is not None else "")
                node = node.child_by_field_name("declarator")
            elif kind in ("pointer_declarator", "reference_declarator", "parenthesized_declarator"):
                pointer |= kind == "pointer_declarator"
                reference |= kind == "reference_declarator"
                node = node.named_children[-1] if node.named_children else None
            else:
                return None, (), pointer, reference, value
        return None, (), pointer, reference, value

    def _expression(self, node: Node, fn: Function, loop: Loop | None) -> None:
        kind = node.type
        if kind == "subscript_expression":
            parent = node.parent
            if parent is not None and parent.child_by_field_name("argument") == node:
                return  # the inner part of ``x[i][j]``: recorded at its top
            indices: list[Node] = []
            base: Node | None = node
            while base is not None and base.type == "subscript_expression":
                args = base.child_by_field_name("indices")
                indices.append(args.named_children[0] if args and args.named_children else base)
                base = base.child_by_field_name("argument")
            if base is None or base.type != "identifier":
                return
            holder = node.parent
            write = holder is not None and (
                holder.type == "update_expression"
                or (
                    holder.type == "assignment_expression"
                    and holder.child_by_field_name("left") == node
                )
            )
            fn.accesses.append(Access(self.src(base), indices[::-1], write, loop))
        elif kind == "call_expression":
            fn.calls.append(node)
        elif kind in ("assignment_expression", "update_expression"):
            target = node.child_by_field_name("left" if kind != "update_expression" else "argument")
            if target is not None and target.type == "identifier":
                fn.assigned.add(self.src(target))

    def _trip(self, loop: Loop) -> None:
        """A loop's counter, trip count and dependencies (after every declaration is read)."""
        node, fn = loop.node, loop.function
        if loop.kind != "for":
            loop.deps = {"<" + loop.kind + ">"}
            return
        init = node.child_by_field_name("initializer")
        start_text = None
        if init is not None and init.type == "declaration":
            decl = init.child_by_field_name("declarator")
            if decl is not None and decl.type == "init_declarator":
                var = decl.child_by_field_name("declarator")
                value = decl.child_by_field_name("value")
                loop.var = self.src(var) if var is not None else None
                start_text = self.src(value) if value is not None else None
        elif init is not None and init.type == "assignment_expression":
            left, right = init.child_by_field_name("left"), init.child_by_field_name("right")
            loop.var = self.src(left) if left is not None else None
            start_text = self.src(right) if right is not None else None
        at = self.c(node.start_byte)
        parts = [node.child_by_field_name(f) for f in ("condition", "update")]
        names = set(_WORD.findall(" ".join([start_text or "", *(self.src(p) for p in parts if p)])))
        loop.deps = {n for n in names - {loop.var} if not self.fixed(n, fn, at)}
        loop.trip = self._count(loop.var, start_text, parts[0], parts[1], fn)

    def _count(
        self,
        var: str | None,
        start: str | None,
        cond: Node | None,
        update: Node | None,
        fn: Function,
    ) -> int | None:
        """Trips of ``for (var = start; var OP end; var += step)``, when all are constants."""
        if var is None or start is None or cond is None or update is None:
            return None
        if cond.type != "binary_expression" or self.src(cond.child_by_field_name("left")) != var:
            return None
        op = self.src(cond.child_by_field_name("operator"))
        first = self.value(start, fn)
        end = self.value(self.src(cond.child_by_field_name("right")), fn)
        step_text = self.src(update).replace(" ", "")
        step = {f"{var}++": 1, f"++{var}": 1, f"{var}--": -1, f"--{var}": -1}.get(step_text)
        m = re.fullmatch(rf"{re.escape(var)}([+-])=(.+)", step_text)
        if m:
            amount = self.value(m.group(2), fn)
            step = None if amount is None else (amount if m.group(1) == "+" else -amount)
        if first is None or end is None or not step:
            return None
        span = {"<": end - first, "<=": end - first + 1, ">": first - end, ">=": first - end + 1}
        if op not in span or (step > 0) != (op in ("<", "<=")):
            return None
        trips = -(-span[op] // abs(step))
        return trips if trips > 0 else None


# --- constant expressions --------------------------------------------------------------

_SUFFIX = re.compile(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b")
_BINOPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: int(a / b),
    ast.Mod: lambda a, b: a - int(a / b) * b,
    ast.LShift: lambda a, b: a << b if 0 <= b < 256 else 0,
    ast.RShift: lambda a, b: a >> b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
}


_UNARY: dict[type, Callable[[int], int]] = {
    ast.USub: lambda a: -a,
    ast.UAdd: lambda a: a,
    ast.Invert: lambda a: ~a,
}


def _evaluate(expr: str, resolve: Callable[[str], int | None]) -> int | None:
    """An integer C constant expression's value (names through ``resolve``), or None."""
    text = _SUFFIX.sub(r"\1", expr.strip())
    if not text or re.search(r"[^\w\s+\-*/%()<>&|^~]|//|\b0\d", text):
        return None
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def run(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            found = resolve(node.id)
            if found is None:
                raise ValueError(node.id)
            return found
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](run(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](run(node.left), run(node.right))
        raise ValueError(ast.dump(node))

    try:
        return run(tree)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
