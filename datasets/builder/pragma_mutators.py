"""Pragma bugs for HLS C++ kernels: the Chrysalis pragma categories, as span edits.

C simulation cannot see these bugs (a pragma does not change what the C++
computes), so a mutant is kept when it parses and changes a pragma as its
category says; synthesis or a static check has to judge it. Each mutator makes
a mistake a designer makes when writing or editing directives:

======  ===========================  =========================================================
code    mutator                      what it does
======  ===========================  =========================================================
APT     ``partition_type``           ARRAY_PARTITION type misspelt (``cyclic -> cylic``,
                                     ``block -> blocked``, ``complete -> full``); complete
                                     turned into cyclic without a factor; cyclic <-> block
                                     where the access pattern does not decide (else IDAP)
FND     ``factor_divisor``           a partition or UNROLL ``factor=`` moved by the least step
                                     (4 -> 3) to one that does not divide the dimension / the
                                     trip count;
                                     complete turned into ``cyclic factor=F``, F a non-divisor.
                                     Only where the size is known in the file (a literal, a
                                     ``#define`` or ``const`` here, not in a header)
DID     ``partition_dim``            ARRAY_PARTITION ``dim=`` set (or added) one past the
                                     array's rank
DFP     ``dataflow_region``          in a DATAFLOW region: a task call run under ``if`` (a
                                     scalar argument), a task call duplicated (its channels
                                     get two producers / consumers), or the DATAFLOW line
                                     moved into a function with fewer than two tasks
IDAP    ``partition_access``         for an array read with stride 1 by unrolled copies (or at
                                     consecutive offsets in one pipelined iteration):
                                     complete -> ``block factor=F``, cyclic -> block, and a
                                     cyclic factor halved (fewer banks than accesses)
RAMB    ``storage_binding``          BIND_STORAGE ``type=rom_1p`` on a local array the code
                                     writes, ``type=ram_1p`` on one accessed twice or more per
                                     cycle (pipelined or unrolled): the type changed, or a
                                     new line inserted after the declaration
SMA     ``pragma_variable``          ``variable=`` / ``port=`` misspelt (``state_in ->
                                     statein``, ``shreg -> shregs``, ``A -> a``); an array
                                     pragma naming a scalar in scope, or an array of another
                                     function
AMS     ``interface_mode``           INTERFACE ``s_axilite`` on an array or a stream,
                                     ``m_axi`` on a scalar or a stream, ``axis`` on a scalar
MLP     ``pipeline_nest``            PIPELINE moved from an inner loop to the outer loop (or
                                     added to an outer loop, or to the function) when a loop
                                     below cannot be fully unrolled (a variable bound)
ILNU    ``unroll_loop``              a full UNROLL given a factor that does not divide the
                                     constant trip count; ``UNROLL factor=F`` inserted in a
                                     loop with a constant trip count F does not divide; a
                                     full UNROLL on a loop with a variable bound (its factor
                                     dropped, its PIPELINE replaced, or the line inserted)
======  ===========================  =========================================================

FND changes a factor the designer wrote; ILNU adds an unroll factor (or a full
unroll) the loop cannot take. Each mutant's ``mutator`` is the name in the
table. An inserted pragma line starts in column 0 when the function's (else the
file's) pragmas do, else it takes the indentation of the code it goes before.
Code other than pragma lines changes only where the category needs it: DFP's
``if`` and duplicated call.

Sizes and trip counts come from this file only (literals, ``#define``,
``const``): a macro from a header is taken for a constant of unknown value, so
FND and the factor forms of ILNU need sizes the file defines. Every mutant is
checked here: it differs from the text and tree-sitter reads it with no more
ERROR (or missing) nodes than the original (parsed incrementally from the
original's tree). The order is stable: taxonomy order, then by position.

``tree_sitter`` is imported only inside :func:`_parser`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

from duckfix.datasets.builder.mutants import Mutant, line_of

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = ["pragma_mutants"]

_ORDER = ("APT", "FND", "DID", "DFP", "IDAP", "RAMB", "SMA", "AMS", "MLP", "ILNU")
_PARTITION = ("array_partition", "array_reshape")
_TYPES = ("block", "cyclic", "complete")
_MISSPELT = {"cyclic": "cylic", "block": "blocked", "complete": "full"}
"""An unknown partition type a designer would type: a typo, or UNROLL's word."""
_MODES = frozenset(
    {
        "ap_none",
        "ap_vld",
        "ap_ack",
        "ap_hs",
        "ap_fifo",
        "ap_memory",
        "bram",
        "axis",
        "s_axilite",
        "m_axi",
    }
)
"""INTERFACE modes, to find the mode in the old spelling (a bare word)."""
_HEAD = re.compile(r"#\s*pragma\s+HLS\s+([A-Za-z_]\w*)", re.IGNORECASE)
_OPTION = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\"[^\"]*\"|[^\s=]+)")
_WORD = re.compile(r"[A-Za-z_]\w*")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_NAME = re.compile(r"[&*\s]*([A-Za-z_]\w*)")
_LOOPS = {"for_statement": "for", "while_statement": "while", "do_statement": "do"}


# --- the file's picture ----------------------------------------------------------------


@dataclass(slots=True)
class _Option:
    """``key=value`` in a pragma: the value's span (character offsets into the file)."""

    key: str
    value: str
    start: int
    """Where ``key`` starts."""
    value_start: int
    end: int


@dataclass(eq=False, slots=True)
class _Pragma:
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
    options: dict[str, _Option]
    words: list[tuple[str, int, int]]
    """Bare words (lower case) with their spans: ``cyclic`` in the old spelling, a mode."""
    function: _Function | None
    loop: _Loop | None

    @property
    def off(self) -> bool:
        return any(w == "off" for w, _, _ in self.words) or "off" in self.options

    def kind_span(self, key: str, allowed: frozenset[str] | tuple[str, ...]) -> _Option | None:
        """The ``key=`` option, else the bare word from ``allowed`` (the old spelling)."""
        if key in self.options:
            return self.options[key]
        for word, start, end in self.words:
            if word in allowed:
                return _Option(key, word, start, start, end)
        return None


@dataclass(eq=False, slots=True)
class _Decl:
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
    function: _Function | None

    @property
    def array(self) -> bool:
        return bool(self.dims) or self.pointer

    @property
    def scalar(self) -> bool:
        return not (self.dims or self.pointer or self.stream)


@dataclass(eq=False, slots=True)
class _Access:
    """``x[i][j]``: the array's name, its indices (outermost first), where it is."""

    name: str
    indices: list[Node]
    write: bool
    loop: _Loop | None


@dataclass(eq=False, slots=True)
class _Loop:
    node: Node
    kind: str
    function: _Function
    parent: _Loop | None
    line: int
    var: str | None = None
    trip: int | None = None
    deps: set[str] = field(default_factory=set)
    """Names the trip count reads that are not compile-time constants."""
    children: list[_Loop] = field(default_factory=list)
    pragmas: list[_Pragma] = field(default_factory=list)
    body_line: int | None = None
    """Start of the first line inside a ``{`` body (where a pragma line goes)."""

    def ancestors(self) -> Iterator[_Loop]:
        loop = self.parent
        while loop is not None:
            yield loop
            loop = loop.parent

    def descendants(self) -> list[_Loop]:
        out: list[_Loop] = []
        for child in self.children:
            out += [child, *child.descendants()]
        return out

    def has(self, name: str) -> _Pragma | None:
        return next((p for p in self.pragmas if p.name == name and not p.off), None)


@dataclass(eq=False, slots=True)
class _Function:
    node: Node
    name: str
    body: Node
    body_line: int | None
    params: list[_Decl] = field(default_factory=list)
    locals: list[_Decl] = field(default_factory=list)
    consts: dict[str, str] = field(default_factory=dict)
    pragmas: list[_Pragma] = field(default_factory=list)
    loops: list[_Loop] = field(default_factory=list)
    accesses: list[_Access] = field(default_factory=list)
    calls: list[Node] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)

    def all_loops(self) -> list[_Loop]:
        out: list[_Loop] = []
        for loop in self.loops:
            out += [loop, *loop.descendants()]
        return out

    def has(self, name: str) -> _Pragma | None:
        return next(
            (p for p in self.pragmas if p.name == name and p.loop is None and not p.off), None
        )


_Visit = tuple["Node", "_Function | None", "_Loop | None", tuple[int, int]]
"""A node to visit, with its function, its innermost loop and its block's span."""


class _Model:
    """One file, read once: functions, loops, declarations, pragmas, constants."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        data = text.encode("utf-8", "surrogateescape")
        self._b2c: list[int] | None = None
        if len(data) != len(text):
            self._b2c = [0] * (len(data) + 1)
            pos = 0
            for i, ch in enumerate(text):
                for _ in range(len(ch.encode("utf-8", "surrogateescape"))):
                    self._b2c[pos] = i
                    pos += 1
            self._b2c[pos] = len(text)
        self.tree = _parser().parse(data)
        self.root = self.tree.root_node
        self.consts: dict[str, str] = {}
        self.typedefs: dict[str, tuple[str, ...]] = {}
        self.globals: list[_Decl] = []
        self.functions: list[_Function] = []
        self.pragmas: list[_Pragma] = []
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
        return byte if self._b2c is None else self._b2c[byte]

    def src(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.text[self.c(node.start_byte) : self.c(node.end_byte)]

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def next_line(self, offset: int) -> int | None:
        """Start of the line after ``offset``'s, if the rest of this line is blank or a
        comment (so a line can go in between); None otherwise."""
        nl = self.text.find("\n", offset)
        if nl < 0 or _COMMENT.sub("", self.text[offset:nl]).strip():
            return None
        return nl + 1

    def indent(self, offset: int) -> str:
        start = self.line_start(offset)
        line = self.text[start:]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def pragma_indent(self, fn: _Function | None, at: int) -> str:
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

    def value(self, expr: str, fn: _Function | None = None) -> int | None:
        """The integer a constant expression has here (macros of other headers: None)."""
        return _evaluate(expr, lambda name: self._const(name, fn, frozenset()))

    def _const(self, name: str, fn: _Function | None, busy: frozenset[str]) -> int | None:
        raw = fn.consts.get(name) if fn is not None else None
        raw = raw if raw is not None else self.consts.get(name)
        if raw is None or name in busy:
            return None
        return _evaluate(raw, lambda n: self._const(n, fn, busy | {name}))

    def fixed(self, name: str, fn: _Function, at: int, busy: frozenset[str] = frozenset()) -> bool:
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

    def visible(self, fn: _Function, at: int) -> list[_Decl]:
        """Declarations in scope at ``at`` in ``fn``: innermost locals first, then
        parameters, then globals."""
        inner = [d for d in fn.locals if d.block[0] <= at < d.block[1]]
        inner.sort(key=lambda d: -d.block[0])  # the latest declaration shadows
        return [*inner, *fn.params, *self.globals]

    def lookup(self, fn: _Function, name: str, at: int) -> _Decl | None:
        return next((d for d in self.visible(fn, at) if d.name == name), None)

    def rank(self, decl: _Decl) -> int | None:
        return None if decl.pointer else len(decl.dims)

    # --- the walk --------------------------------------------------------------------

    def _visit(
        self, node: Node, fn: _Function | None, loop: _Loop | None, block: tuple[int, int]
    ) -> list[_Visit]:
        """Record ``node``; the children to visit next, each with its context."""
        kind = node.type
        if kind == "function_definition":
            return self._function(node)
        if kind in _LOOPS and fn is not None:
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
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        body = node.child_by_field_name("body")
        if declarator is None or body is None:
            return []
        name = self.src(declarator.child_by_field_name("declarator") or declarator)
        fn = _Function(node, name.split("::")[-1], body, self._body_line(body))
        self.functions.append(fn)
        span = (self.c(node.start_byte), self.c(node.end_byte))
        plist = declarator.child_by_field_name("parameters")
        for p in plist.named_children if plist is not None else []:
            if p.type in ("parameter_declaration", "optional_parameter_declaration"):
                fn.params += self._decls(p, "param", fn, span)
        return [(body, fn, None, span)]

    def _body_line(self, body: Node | None) -> int | None:
        if body is None or body.type != "compound_statement":
            return None
        return self.next_line(self.c(body.start_byte) + 1)

    def _loop(self, node: Node, fn: _Function, parent: _Loop | None) -> list[_Visit]:
        loop = _Loop(node, _LOOPS[node.type], fn, parent, node.start_point.row + 1)
        (parent.children if parent is not None else fn.loops).append(loop)
        body = node.child_by_field_name("body")
        loop.body_line = self._body_line(body)
        # The header belongs to the enclosing loop; the body to this one.
        span = (self.c(node.start_byte), self.c(node.end_byte))
        return [(c, fn, loop if c == body else parent, span) for c in node.named_children]

    def _pragma(self, node: Node, fn: _Function | None, loop: _Loop | None) -> None:
        start = self.c(node.start_byte)
        nl = self.text.find("\n", start)
        line_end = len(self.text) if nl < 0 else nl + 1
        raw = self.text[start:line_end].rstrip("\r\n")
        masked = _COMMENT.sub(lambda m: " " * len(m.group()), raw)
        head = _HEAD.match(masked)
        if head is None:
            return
        options: dict[str, _Option] = {}
        rest = masked
        for m in _OPTION.finditer(masked, head.end()):
            key = m.group(1).lower()
            options.setdefault(
                key,
                _Option(key, m.group(2), start + m.start(), start + m.start(2), start + m.end()),
            )
            rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
        words = [
            (m.group().lower(), start + m.start(), start + m.end())
            for m in _WORD.finditer(rest, head.end())
        ]
        pragma = _Pragma(
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

    def _declaration(self, node: Node, fn: _Function | None, block: tuple[int, int]) -> None:
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
        fn: _Function | None,
        block: tuple[int, int],
    ) -> list[_Decl]:
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
                _Decl(
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

    def _expression(self, node: Node, fn: _Function, loop: _Loop | None) -> None:
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
            fn.accesses.append(_Access(self.src(base), indices[::-1], write, loop))
        elif kind == "call_expression":
            fn.calls.append(node)
        elif kind in ("assignment_expression", "update_expression"):
            target = node.child_by_field_name("left" if kind != "update_expression" else "argument")
            if target is not None and target.type == "identifier":
                fn.assigned.add(self.src(target))

    def _trip(self, loop: _Loop) -> None:
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
        fn: _Function,
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


@cache
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def _errors(root: Node) -> int:
    """ERROR and missing nodes under ``root``."""
    if not root.has_error:
        return 0
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += node.type == "ERROR" or node.is_missing
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count


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


# --- collecting mutants ----------------------------------------------------------------


_MUTATOR = {
    "APT": "partition_type",
    "FND": "factor_divisor",
    "DID": "partition_dim",
    "DFP": "dataflow_region",
    "IDAP": "partition_access",
    "RAMB": "storage_binding",
    "SMA": "pragma_variable",
    "AMS": "interface_mode",
    "MLP": "pipeline_nest",
    "ILNU": "unroll_loop",
}
"""Each category's mutator: the function below that makes it (a mutant's ``mutator``)."""


@dataclass(slots=True)
class _Out:
    """The mutants found so far, as span edits of the model's text."""

    model: _Model
    file: str
    mutants: list[Mutant] = field(default_factory=list)

    def add(self, category: str, start: int, end: int, new: str, description: str) -> None:
        text = self.model.text
        self.mutants.append(
            Mutant(
                category=category,
                kind="pragma",
                file=self.file,
                start=start,
                end=end,
                replacement=new,
                line=line_of(text, start),
                description=description,
                mutator=_MUTATOR[category],
            )
        )

    def value(self, category: str, opt: _Option, new: str, why: str) -> None:
        """Replace an option's value (or a bare word): ``factor=4 -> factor=3 (why)``."""
        text = self.model.text
        before, after = text[opt.start : opt.end], text[opt.start : opt.value_start] + new
        self.add(category, opt.value_start, opt.end, new, f"{before} -> {after} ({why})")

    def line(self, category: str, fn: _Function | None, at: int, pragma: str, why: str) -> None:
        """Insert the line ``#pragma HLS <pragma>`` at ``at`` (a line's start)."""
        line = f"{self.model.pragma_indent(fn, at)}#pragma HLS {pragma}{self.model.newline}"
        self.add(category, at, at, line, f"+ {pragma} ({why})")

    def move(self, category: str, fn: _Function, p: _Pragma, at: int, why: str) -> None:
        """Move pragma ``p``'s line to ``at`` (a line's start): one span from the nearer
        place to the farther."""
        text = self.model.text
        moved = self.model.pragma_indent(fn, at) + text[p.start : p.line_end]
        if not moved.endswith("\n"):
            return
        if at <= p.line_start:
            start, end, new = at, p.line_end, moved + text[at : p.line_start]
        else:
            start, end, new = p.line_start, at, text[p.line_end : at] + moved
        directive = text[p.start : p.end].removeprefix("#pragma HLS ").strip()
        self.add(category, start, end, new, f"{directive} moved ({why})")


def _base(value: str) -> tuple[str, int, int] | None:
    """The variable an option names (``&x`` -> ``x``), with its span in ``value``."""
    m = _NAME.match(value.strip('"'))
    if m is None:
        return None
    shift = 1 if value.startswith('"') else 0
    return m.group(1), m.start(1) + shift, m.end(1) + shift


def _partitions(m: _Model) -> Iterator[tuple[_Pragma, _Function, _Option | None, _Decl | None]]:
    """ARRAY_PARTITION / ARRAY_RESHAPE pragmas: the type's span and the array named."""
    for p in m.pragmas:
        if p.name not in _PARTITION or p.off or p.function is None:
            continue
        var = p.options.get("variable")
        named = _base(var.value) if var is not None else None
        decl = m.lookup(p.function, named[0], p.start) if named else None
        yield p, p.function, p.kind_span("type", _TYPES), decl


def _dims(m: _Model, p: _Pragma, fn: _Function, decl: _Decl) -> list[int]:
    """The dimensions (1-based) a partition pragma splits; [] when ``dim=`` is unreadable."""
    rank = m.rank(decl) or 0
    dim = m.value(p.options["dim"].value, fn) if "dim" in p.options else 1
    if dim is None or not 0 <= dim <= rank:
        return []
    return list(range(1, rank + 1)) if dim == 0 else [dim]


def _sizes(m: _Model, p: _Pragma, fn: _Function, decl: _Decl) -> list[int | None]:
    """Sizes of the dimensions a partition pragma splits (None: not known in this file)."""
    return [m.value(decl.dims[d - 1], fn) for d in _dims(m, p, fn, decl)]


def _non_divisor(sizes: list[int], near: int | None = None) -> int | None:
    """A factor that does not divide one of ``sizes``: next to ``near`` (a slip of one),
    else the smallest."""
    top = max(sizes)
    if near is None:
        order = list(range(2, top))
    else:
        order = [near + s * d for d in range(1, top) for s in (-1, 1)]
    return next((f for f in order if 2 <= f < top and any(n % f for n in sizes)), None)


# --- access patterns -------------------------------------------------------------------


def _chain(a: _Access) -> list[_Loop]:
    """The loops around an access, innermost first."""
    return [a.loop, *a.loop.ancestors()] if a.loop is not None else []


def _unrolled(loop: _Loop) -> bool:
    """Whether the loop's iterations run side by side: UNROLL, or inside a pipeline."""
    return (
        loop.has("unroll") is not None
        or any(a.has("pipeline") for a in loop.ancestors())
        or loop.function.has("pipeline") is not None
    )


def _region(fn: _Function, chain: list[_Loop]) -> tuple[object, bool] | None:
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


def _additive(m: _Model, node: Node) -> set[str]:
    """Names that are a direct term of an index (``i`` in ``i + 4 * c``): stride one."""
    if node.type == "identifier":
        return {m.src(node)}
    if node.type == "parenthesized_expression" and node.named_children:
        return _additive(m, node.named_children[0])
    parts = _operands(node, ("+", "-"))
    return _additive(m, parts[1]) | _additive(m, parts[2]) if parts else set()


def _offset(m: _Model, node: Node, fn: _Function) -> tuple[str, int]:
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


def _stride_one(m: _Model, fn: _Function, name: str, dims: list[int]) -> bool:
    """Whether the array is read at neighbouring elements in the same cycle along one of
    ``dims``: indexed by an unrolled loop's counter, or at ``b``, ``b + 1``... in one
    pipelined (or unrolled) iteration. Cyclic (or complete) partitioning fits that; block
    does not."""
    groups: dict[tuple[int, int, str], set[int]] = {}
    for a in fn.accesses:
        if a.name != name:
            continue
        chain = _chain(a)
        parallel = {loop.var for loop in chain if loop.var and _unrolled(loop)}
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


def _per_cycle(fn: _Function, name: str) -> int:
    """Most accesses to the array in one cycle (two for one inside an unrolled loop)."""
    counts: dict[int, int] = {}
    for a in fn.accesses:
        region = _region(fn, _chain(a)) if a.name == name else None
        if region is not None:
            counts[id(region[0])] = counts.get(id(region[0]), 0) + (2 if region[1] else 1)
    return max(counts.values(), default=0)


def _written(m: _Model, fn: _Function, name: str) -> bool:
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


# --- the mutators, one per category ----------------------------------------------------


def partition_type(m: _Model, out: _Out) -> None:
    """APT: an unknown partition type, complete without its factor, cyclic <-> block."""
    for p, fn, kind, decl in _partitions(m):
        word = kind.value.lower() if kind is not None else ""
        if kind is None or word not in _TYPES:
            continue
        out.value("APT", kind, _MISSPELT[word], "unknown type")
        if word == "complete" and "factor" not in p.options:
            out.value("APT", kind, "cyclic", "cyclic needs a factor")
        elif word == "block" or (word == "cyclic" and not _idap(m, p, fn, decl)):
            swapped = "block" if word == "cyclic" else "cyclic"
            out.value("APT", kind, swapped, "the other interleaving")


def factor_divisor(m: _Model, out: _Out) -> None:
    """FND: a partition or unroll factor that does not divide the size it splits."""
    for p, fn, kind, decl in _partitions(m):
        if kind is None or decl is None:
            continue
        known = _sizes(m, p, fn, decl)
        sizes = [s for s in known if s is not None]
        if not sizes or len(sizes) != len(known):
            continue
        word, factor = kind.value.lower(), p.options.get("factor")
        if word in ("cyclic", "block") and factor is not None:
            old = m.value(factor.value, fn)
            new = _non_divisor(sizes, old) if old is not None else None
            if new is not None:
                out.value("FND", factor, str(new), f"size {sizes[0]}")
        elif word == "complete" and factor is None:
            new = _non_divisor(sizes)
            if new is not None:
                why = f"size {sizes[0]}"
                out.value("FND", kind, f"cyclic factor={new}", why)
    for fn in m.functions:
        for loop in fn.all_loops():
            unroll = loop.has("unroll")
            factor = unroll.options.get("factor") if unroll is not None else None
            old = m.value(factor.value, fn) if factor is not None else None
            if factor is None or old is None or not loop.trip:
                continue
            new = _non_divisor([loop.trip], old)
            if new is not None:
                out.value("FND", factor, str(new), f"{loop.trip} trips")


def partition_dim(m: _Model, out: _Out) -> None:
    """DID: ``dim=`` one past the array's rank."""
    for p, fn, _kind, decl in _partitions(m):
        rank = m.rank(decl) if decl is not None else None
        if not rank:
            continue
        dim = p.options.get("dim")
        why = f"rank {rank}"
        if dim is None:
            out.add("DID", p.end, p.end, f" dim={rank + 1}", f"+ dim={rank + 1} ({why})")
        elif m.value(dim.value, fn) != rank + 1:
            out.value("DID", dim, str(rank + 1), why)


def _tasks(m: _Model, block: Node) -> list[Node]:
    """A region's tasks: its top-level loops and plain function calls (statements)."""
    out = []
    for stmt in block.named_children:
        while stmt.type == "labeled_statement" and stmt.named_children:
            stmt = stmt.named_children[-1]
        first = stmt.named_children[0] if stmt.named_children else None
        if stmt.type in _LOOPS or (
            stmt.type == "expression_statement"
            and first is not None
            and first.type == "call_expression"
            and m.src(first.child_by_field_name("function")).replace("::", "").isidentifier()
        ):
            out.append(stmt)
    return out


def dataflow_region(m: _Model, out: _Out) -> None:
    """DFP: a task under ``if``, a task called twice, DATAFLOW moved to a taskless function."""
    text = m.text
    for p in m.pragmas:
        fn = p.function
        if p.name != "dataflow" or fn is None:
            continue
        region = p.loop.node.child_by_field_name("body") if p.loop is not None else fn.body
        if region is None or region.type != "compound_statement":
            continue
        cond = next((d.name for d in fn.params if d.scalar and not d.reference), None)
        for stmt in _tasks(m, region):
            if stmt.type != "expression_statement":
                continue
            start, end = m.c(stmt.start_byte), m.c(stmt.end_byte)
            call = text[start:end]
            name = call.split("(")[0].strip()
            if cond is not None:
                why = f"task {name}() runs only when {cond}"
                out.add("DFP", start, start, f"if ({cond}) ", f"+ if ({cond}) ({why})")
            at = m.next_line(end)
            if at is not None and not text[m.line_start(start) : start].strip():
                copy = text[m.line_start(start) : at]
                why = f"{name}()'s channels get two producers or consumers"
                out.add("DFP", at, at, copy, f"{call} called twice ({why})")
        if p.loop is not None:
            continue
        for g in m.functions:
            if g is fn or g.body_line is None or g.has("dataflow") or len(_tasks(m, g.body)) > 1:
                continue
            out.move("DFP", g, p, g.body_line, f"into {g.name}(), no tasks")


def _idap(m: _Model, p: _Pragma, fn: _Function, decl: _Decl | None) -> bool:
    """Whether the partitioned array is read at neighbouring elements each cycle."""
    if decl is None or not decl.array:
        return False
    return _stride_one(m, fn, decl.name, _dims(m, p, fn, decl))


def partition_access(m: _Model, out: _Out) -> None:
    """IDAP: block (or too few cyclic banks) for an array read with stride one in parallel."""
    for p, fn, kind, decl in _partitions(m):
        if kind is None or decl is None or not _idap(m, p, fn, decl):
            continue
        word, factor = kind.value.lower(), p.options.get("factor")
        why = f"{decl.name} is accessed at neighbouring elements in parallel"
        if word == "complete" and factor is None:
            sizes = [s for s in _sizes(m, p, fn, decl) if s]
            f = next((f for f in range(2, 65) if all(s % f == 0 and f < s for s in sizes)), None)
            if f is not None:
                out.value("IDAP", kind, f"block factor={f}", why)
        elif word == "cyclic":
            out.value("IDAP", kind, "block", why)
            old = m.value(factor.value, fn) if factor is not None else None
            if factor is not None and old is not None and old >= 4 and old % 2 == 0:
                why = f"fewer banks than {decl.name} accesses per cycle"
                out.value("IDAP", factor, str(old // 2), why)


def storage_binding(m: _Model, out: _Out) -> None:
    """RAMB: a ROM for an array that is written, a one-port RAM for one used twice a cycle."""
    for fn in m.functions:
        for decl in fn.locals:
            if not decl.dims:
                continue
            bound = next(
                (
                    p
                    for p in fn.pragmas
                    if p.name == "bind_storage"
                    and "variable" in p.options
                    and (_base(p.options["variable"].value) or ("",))[0] == decl.name
                ),
                None,
            )
            wrong = []
            if _written(m, fn, decl.name):
                wrong.append(("rom_1p", f"{decl.name} is written"))
            if _per_cycle(fn, decl.name) >= 2:
                wrong.append(("ram_1p", f"{decl.name} is used twice or more a cycle"))
            for storage, why in wrong:
                if bound is None and decl.after is not None:
                    pragma = f"BIND_STORAGE variable={decl.name} type={storage}"
                    out.line("RAMB", fn, decl.after, pragma, why)
                elif bound is not None and "type" in bound.options:
                    kind = bound.options["type"]
                    if kind.value.lower() != storage:
                        out.value("RAMB", kind, storage, why)


def _typo(name: str, taken: set[str]) -> str:
    """A misspelling of ``name`` that names nothing in the file."""
    tries = []
    if "_" in name.strip("_"):
        tries.append(name.replace("_", "", 1))  # state_in -> statein
    if len(name) == 1:
        tries.append(name.swapcase())  # A -> a
    tries.append(name[:-1] if name.endswith("s") and len(name) > 2 else name + "s")
    tries += [name + "_buf", name + "_2"]
    return next(t for t in tries if t not in taken and t != name)


def pragma_variable(m: _Model, out: _Out) -> None:
    """SMA: a misspelt variable or port, a scalar, or another function's array."""
    for p in m.pragmas:
        fn = p.function
        if fn is None:
            continue
        for key in ("variable", "port"):
            opt = p.options.get(key)
            named = _base(opt.value) if opt is not None else None
            if opt is None or named is None or named[0] == "return":
                continue
            name, a, b = named
            if key == "port":
                decl = next((d for d in fn.params if d.name == name), None)
            else:
                decl = m.lookup(fn, name, p.start)
            if decl is None:
                continue  # it names nothing already: leave it
            start, end = opt.value_start + a, opt.value_start + b
            typo = _typo(name, m.names)
            desc = f"{key}={name} -> {key}={{}} ({{}})"
            out.add("SMA", start, end, typo, desc.format(typo, "no such name"))
            if key != "variable" or p.name not in (*_PARTITION, "bind_storage") or not decl.array:
                continue
            visible = m.visible(fn, p.start)
            scalar = next((d for d in visible if d.scalar and d.kind != "global"), None)
            if scalar is not None:
                why = "a scalar"
                out.add("SMA", start, end, scalar.name, desc.format(scalar.name, why))
            # Another function's array whose name this function never declares.
            own = {d.name for d in (*fn.params, *fn.locals, *m.globals)}
            others = [d for g in m.functions if g is not fn for d in (*g.params, *g.locals)]
            other = next((d for d in others if d.array and d.name not in own), None)
            if other is not None and other.function is not None:
                why = f"an array of {other.function.name}()"
                out.add("SMA", start, end, other.name, desc.format(other.name, why))


def interface_mode(m: _Model, out: _Out) -> None:
    """AMS: an INTERFACE mode the argument cannot have."""
    for fn in m.functions:
        for p in fn.pragmas:
            port = p.options.get("port") if p.name == "interface" else None
            named = _base(port.value) if port is not None else None
            decl = next((d for d in fn.params if named and d.name == named[0]), None)
            mode = p.kind_span("mode", _MODES)
            if decl is None or mode is None:
                continue
            if decl.stream:
                wrong, what = ["s_axilite", "m_axi"], "a stream"
            elif decl.array:
                wrong, what = ["s_axilite"], "an array"
            else:
                wrong, what = ["m_axi", "axis"], "a scalar"
            for new in wrong:
                if new != mode.value.lower():
                    out.value("AMS", mode, new, f"{decl.name} is {what}")


def pipeline_nest(m: _Model, out: _Out) -> None:
    """MLP: PIPELINE over a loop nest (or a function) with a loop it cannot unroll."""
    for fn in m.functions:
        if fn.has("pipeline") or fn.has("dataflow"):
            continue
        for outer in fn.all_loops():
            if outer.has("pipeline") or outer.body_line is None:
                continue
            if any(a.has("pipeline") for a in outer.ancestors()):
                continue
            inner = outer.descendants()
            unrolled = {d.var for d in inner if d.var}
            stuck = next((d for d in inner if d.deps - unrolled), None)
            if stuck is None:
                continue
            why = f"the loop at line {stuck.line} has a variable bound"
            piped = next((p for d in inner if (p := d.has("pipeline")) is not None), None)
            if piped is not None:
                out.move("MLP", fn, piped, outer.body_line, f"to the outer loop; {why}")
            else:
                out.line("MLP", fn, outer.body_line, "PIPELINE II=1", why)
        loops = fn.all_loops()
        counters = {loop.var for loop in loops if loop.var}
        stuck = next((loop for loop in loops if loop.deps - counters), None)
        if stuck is None or fn.body_line is None:
            continue
        at = fn.body_line
        while _HEAD.match(m.text[at:].lstrip(" \t")) and "\n" in m.text[at:]:
            at = m.text.index("\n", at) + 1  # after the function's leading pragmas
        why = f"{fn.name}() pipelined; the loop at line {stuck.line} has a variable bound"
        out.line("MLP", fn, at, "PIPELINE II=1", why)


def unroll_loop(m: _Model, out: _Out) -> None:
    """ILNU: an unroll factor that does not divide the trips; a full unroll of a loop
    with a variable bound."""
    for fn in m.functions:
        for loop in fn.all_loops():
            fixed_by = {a.var for a in loop.ancestors() if a.var and _unrolled(a)}
            variable = bool(loop.deps - fixed_by)
            unroll, piped = loop.has("unroll"), loop.has("pipeline")
            factor = unroll.options.get("factor") if unroll is not None else None
            new = _non_divisor([loop.trip]) if loop.trip and not variable else None
            if unroll is not None and factor is None and new is not None:
                why = f"{loop.trip} trips"
                out.add("ILNU", unroll.end, unroll.end, f" factor={new}", f"+ factor={new} ({why})")
            elif unroll is not None and factor is not None and variable:
                start = len(m.text[: factor.start].rstrip(" \t"))
                before = m.text[start : factor.end].strip()
                out.add(
                    "ILNU",
                    start,
                    factor.end,
                    "",
                    f"{before} removed (full unroll of a variable bound)",
                )
            elif unroll is None and piped is not None and variable:
                old = m.text[piped.start : piped.end]
                out.add(
                    "ILNU",
                    piped.start,
                    piped.end,
                    "#pragma HLS UNROLL",
                    f"{old} -> UNROLL (variable bound)",
                )
            elif unroll is None and piped is None and loop.body_line is not None:
                if variable:
                    out.line("ILNU", fn, loop.body_line, "UNROLL", "variable bound")
                elif new is not None:
                    pragma, why = f"UNROLL factor={new}", f"{loop.trip} trips"
                    out.line("ILNU", fn, loop.body_line, pragma, why)


_MUTATORS: tuple[Callable[[_Model, _Out], None], ...] = (
    partition_type,
    factor_divisor,
    partition_dim,
    dataflow_region,
    partition_access,
    storage_binding,
    pragma_variable,
    interface_mode,
    pipeline_nest,
    unroll_loop,
)


def pragma_mutants(text: str, file: str) -> list[Mutant]:
    """Every candidate pragma-bug mutant of the HLS C++ source ``text``, in a stable order."""
    model = _Model(text)
    out = _Out(model, file)
    for mutator in _MUTATORS:
        mutator(model, out)
    baseline = _errors(model.root)
    seen: set[tuple[int, int, str]] = set()
    kept: list[Mutant] = []
    for mutant in sorted(
        out.mutants, key=lambda x: (_ORDER.index(x.category), x.start, x.end, x.replacement)
    ):
        key = (mutant.start, mutant.end, mutant.replacement)
        new = mutant.apply(text)
        if key in seen or new == text:
            continue
        seen.add(key)
        # A mutant must read as well as the original: no new ERROR or missing nodes.
        if _errors(_reparse(model, mutant, new)) <= baseline:
            kept.append(mutant)
    return kept


def _reparse(model: _Model, mutant: Mutant, new: str) -> Node:
    """The syntax tree of the mutated text, parsed incrementally from the original's
    (a large file is parsed once, not once per mutant)."""
    before = model.text[: mutant.start].encode("utf-8", "surrogateescape")
    old = model.text[mutant.start : mutant.end].encode("utf-8", "surrogateescape")
    added = mutant.replacement.encode("utf-8", "surrogateescape")

    def point(head: bytes, tail: bytes) -> tuple[int, int]:
        """Row and byte column just after ``head + tail``."""
        joined = head[head.rfind(b"\n") + 1 :] + tail if b"\n" not in tail else tail
        return head.count(b"\n") + tail.count(b"\n"), len(joined) - joined.rfind(b"\n") - 1

    tree = model.tree.copy()
    tree.edit(
        start_byte=len(before),
        old_end_byte=len(before) + len(old),
        new_end_byte=len(before) + len(added),
        start_point=point(before, b""),
        old_end_point=point(before, old),
        new_end_point=point(before, added),
    )
    return _parser().parse(new.encode("utf-8", "surrogateescape"), tree).root_node
