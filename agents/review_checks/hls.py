"""HLS pragmas and HLS C++ idioms (Vitis / Vivado HLS) on the lines a diff adds.

The new file is parsed once with tree-sitter-cpp (:mod:`.hls_parse`); a
finding sits on an added line: the pragma when the diff adds it, else the line
the diff changed that makes the pragma wrong (the array's declaration, the loop
header, the task call), else nowhere. Runs on ``.c``/``.cc``/``.cpp``/``.cxx``/
``.h``/``.hpp`` files that hold a ``#pragma HLS`` or an ``ap_int``/``ap_uint``.
Without tree-sitter (the ``hls`` extra), one ``note`` on the first added
``#pragma HLS`` line says so.

Rules (category ``hls/<rule>``):

- ``array-partition``: ``ARRAY_PARTITION``/``ARRAY_RESHAPE`` (either spelling:
  ``type=cyclic`` or the bare ``cyclic``): an unknown type (error), block or
  cyclic without ``factor`` (error), ``factor`` with complete (warning, it is
  ignored), ``dim`` beyond the array's rank (error; ``dim=0`` is every
  dimension), a factor that does not divide the partitioned dimension
  (warning), a scalar named as the array (error).
- ``unknown-variable`` (error): ``variable=``/``port=`` names nothing in scope
  here (an ``INTERFACE`` port: no argument of that name). Skipped in functions
  tree-sitter could not read and in out-of-line methods of classes declared
  elsewhere.
- ``unroll-factor`` (warning): ``UNROLL factor=N`` in a loop whose constant trip
  count N does not divide.
- ``pipeline-bound`` (warning): a pipelined ``for`` loop whose trip count
  depends on a variable (a parameter or a non-``const`` local; not a
  ``#define``, ``const``/``constexpr``, enumerator, template parameter, or a local
  set from constants and never assigned again), unless it has a
  ``LOOP_TRIPCOUNT``; and any loop inside a pipelined loop or function that
  cannot be fully unrolled (a trip count that depends on such a variable or on
  the pipelined loop's own counter, or a ``while``/``do``). The counters of the
  loops being unrolled are constants in each copy, so a triangular nest inside
  the region is fine.
- ``dataflow``: in the function or loop holding ``DATAFLOW``, the tasks are its
  top-level calls and loops, and the channels its local streams and arrays
  (and its ``hls::stream`` arguments). A channel written by two tasks or read
  by two (error); a task called under an ``if`` (warning); a bypass (warning):
  a local channel from task A to task C while a task B between them is on a
  path from A to C through other channels (a fork whose branches do not meet
  before C is not a bypass). Who reads and who writes a channel comes from the
  task's body: ``.read()``/``>>`` and ``.write()``/``<<`` on streams, array
  elements on the left of an assignment, ``const`` parameters, ``memcpy``; a
  call to a function this file does not define says nothing.
- ``interface``: ``m_axi`` on a scalar argument, ``s_axilite`` on a stream, and
  ``ARRAY_PARTITION``/``ARRAY_RESHAPE`` of an ``m_axi`` argument (errors); an
  array argument on ``s_axilite`` alone (warning: UG1399 allows it, as a RAM in
  the register map, but bulk data belongs on ``m_axi``; with ``m_axi`` too,
  ``s_axilite`` only carries the offset, which is the usual kernel pattern).
- ``top-function``: in a top function (one with an ``INTERFACE`` or ``TOP``
  pragma) and the functions of this file it calls: recursion (error),
  ``malloc``/``free``/``new``/``delete`` (error), system calls such as ``fopen``,
  ``system``, ``exit`` (warning), ``printf``/``std::cout`` (note: synthesis drops
  them). Code under ``#ifndef __SYNTHESIS__`` is left alone.
- ``shift-width`` (warning): ``x << N`` / ``x >> N`` (and ``<<=``/``>>=``) by a
  constant N at least x's width: ``ap_int<W>``/``ap_uint<W>`` keep W bits, so
  the result is 0; a C integer shifted by its width or more is undefined.
  ``char`` and ``short`` are promoted to ``int`` before ``<<``, so their limit
  is 32 (``c << 8`` is how bytes are packed); with ``<<=`` it is their own width.
- ``narrowing`` (warning): an ``ap_int``/``ap_uint`` variable (or array element)
  assigned or initialised from a wider one without a cast or ``.range()``.
- ``storage`` (error): ``BIND_STORAGE type=rom_*`` (or the older ``RESOURCE
  core=ROM_*``) on an array the function writes (an assignment, compound
  assignment or ``++``/``--`` on an element, or a call of this file's that
  writes the argument it is passed as): a ROM cannot be written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

# hls_parse imports tree_sitter only inside parse(), so this import is cheap and safe.
from duckfix.agents.review_checks.hls_parse import (
    Decl,
    FileModel,
    Function,
    Loop,
    Pragma,
    Scope,
    parse,
    walk,
)
from duckfix.agents.review_checks.hls_parse import text_of as _text
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["check"]

_SUFFIXES = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".hh", ".hxx"}
_HLS_PRAGMA = re.compile(r"^\s*#\s*pragma\s+HLS\b", re.IGNORECASE | re.MULTILINE)
_AP_TYPE = re.compile(r"\bap_u?int\s*<")
_PARTITION_TYPES = ("block", "cyclic", "complete")
_INTERFACE_MODES = frozenset(
    [
        "ap_none",
        "ap_vld",
        "ap_ack",
        "ap_hs",
        "ap_ovld",
        "ap_fifo",
        "ap_memory",
        "bram",
        "axis",
        "s_axilite",
        "m_axi",
        "ap_ctrl_none",
        "ap_ctrl_hs",
        "ap_ctrl_chain",
        "ap_bus",
        "ap_stable",
    ]
)
"""INTERFACE modes, for the old spelling that gives the mode as a bare word."""
_ALLOC = frozenset({"malloc", "calloc", "realloc", "free", "aligned_alloc"})
_SYSTEM = frozenset(
    [
        "fopen",
        "fclose",
        "fread",
        "fwrite",
        "fgets",
        "fgetc",
        "fputs",
        "fscanf",
        "scanf",
        "getc",
        "getchar",
        "system",
        "exit",
        "abort",
        "time",
        "sleep",
        "usleep",
        "clock",
    ]
)
"""Calls into the operating system: synthesis cannot build them (UG1399, "System Calls")."""
_PRINT = frozenset({"printf", "fprintf", "puts", "putchar", "perror"})
"""Output that synthesis drops on its own: harmless, but it only runs in C simulation."""
_STREAM_READS = {"read", "read_nb", "empty"}
_STREAM_WRITES = {"write", "write_nb", "full"}
_SCALAR_TYPES = {"float", "double", "half"}


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """HLS pragma and ap_int mistakes on the added lines of a C/C++ file."""
    change = ctx.change
    suffix = PurePosixPath(change.path).suffix.lower()
    text = ctx.new_text
    if suffix not in _SUFFIXES or text is None or change.binary or change.status == "deleted":
        return []
    added = change.added_lines
    if not added or not (_HLS_PRAGMA.search(text) or _AP_TYPE.search(text)):
        return []
    try:
        import tree_sitter  # noqa: F401
        import tree_sitter_cpp  # noqa: F401
    except ImportError:
        if not any(_HLS_PRAGMA.match(text) for text in added.values()):
            return []
        raise CheckNotRun("tree-sitter-cpp is not installed: install duckfix[hls]") from None
    return _Rules(parse(text), change.path, added).run()


def _base_name(value: str) -> str | None:
    """``&src`` -> ``src``; ``s.arr`` -> ``s``: the variable a pragma option names."""
    m = re.match(r"[&*\s]*([A-Za-z_]\w*)", value)
    return m.group(1) if m else None


def _off(p: Pragma) -> bool:
    return "off" in p.words or p.options.get("off", "").lower() == "true"


class _Rules:
    """The rules over one parsed file; findings only on ``added`` lines."""

    def __init__(self, model: FileModel, path: str, added: dict[int, str]) -> None:
        self.model = model
        self.path = path
        self.added = added
        self.out: dict[tuple[int, str, str], Finding] = {}

    def run(self) -> list[Finding]:
        self.array_partition()
        self.unknown_variables()
        self.unroll()
        self.pipeline()
        self.dataflow()
        self.interface()
        self.top_functions()
        self.shifts()
        self.narrowing()
        self.storage()
        return sorted(self.out.values(), key=lambda f: (f.line, f.category, f.message))

    def emit(self, lines: Iterable[int], severity: Severity, rule: str, message: str) -> None:
        """One finding on the first of ``lines`` the diff adds (none if it adds none)."""
        line = next((n for n in lines if n in self.added), None)
        if line is None:
            return
        category = f"hls/{rule}"
        self.out.setdefault(
            (line, category, message),
            Finding(
                path=self.path, line=line, severity=severity, category=category, message=message
            ),
        )

    # --- pragmas naming variables --------------------------------------------------------

    def _named(self, p: Pragma, key: str) -> Decl | None:
        value = p.options.get(key)
        name = _base_name(value) if value else None
        if name is None or p.function is None:
            return None
        if key == "port":
            return next((d for d in p.function.params if d.name == name), None) or (
                self.model.globals.decls.get(name)
            )
        return self.model.lookup(p.scope, name)

    def unknown_variables(self) -> None:
        for p in self.model.pragmas:
            fn = p.function
            if fn is None or fn.has_errors or not self.model.complete(p.scope):
                continue
            for key in ("variable", "port"):
                value = p.options.get(key)
                name = _base_name(value) if value else None
                if name is None or name == "return" or self._named(p, key) is not None:
                    continue
                if key == "port":
                    message = (
                        f"no argument named {name} in {fn.name}(): an INTERFACE port must be "
                        "one of the function's arguments (or return); fix the name"
                    )
                elif p.name in ("array_partition", "array_reshape"):
                    message = (
                        f"no array named {name} here: {p.name.upper()} must name an array "
                        f"declared in {fn.name}() or one of its arguments; fix the name"
                    )
                else:
                    message = (
                        f"no variable named {name} here: {p.name.upper()} must name a "
                        f"variable in scope in {fn.name}(); fix the name"
                    )
                self.emit([p.line], "error", "unknown-variable", message)

    # --- ARRAY_PARTITION -----------------------------------------------------------------

    def array_partition(self) -> None:
        for p in self.model.pragmas:
            if p.name not in ("array_partition", "array_reshape") or _off(p):
                continue
            what = p.name.upper()
            given = p.options.get("type", "").lower()
            others = [w for w in p.words if w not in _PARTITION_TYPES and w != "off"]
            bare = [w for w in p.words if w in _PARTITION_TYPES]
            unknown = given if given and given not in _PARTITION_TYPES else None
            if unknown is None and others and not given and not bare:
                unknown = others[0]
            if unknown is not None:
                self.emit(
                    [p.line],
                    "error",
                    "array-partition",
                    f"unknown {what} type {unknown!r}: use block, cyclic or complete",
                )
                continue
            kind = given or (bare[0] if bare else "complete")
            factor_text = p.options.get("factor")
            if kind == "complete" and factor_text is not None:
                self.emit(
                    [p.line],
                    "warning",
                    "array-partition",
                    f"factor={factor_text} is ignored with complete partitioning: remove it, "
                    "or use type=cyclic or type=block to get that many banks",
                )
            if kind != "complete" and factor_text is None:
                self.emit(
                    [p.line],
                    "error",
                    "array-partition",
                    f"{kind} partitioning needs factor=N (the number of banks): add it",
                )
            decl = self._named(p, "variable")
            if decl is None or p.function is None:
                continue
            self._partition_shape(p, decl, kind, factor_text)

    def _partition_shape(self, p: Pragma, decl: Decl, kind: str, factor_text: str | None) -> None:
        fn = p.function
        assert fn is not None
        if not decl.dims:
            scalar = decl.type.width is not None or decl.type.text in _SCALAR_TYPES
            if scalar and not decl.pointer and not decl.type.stream:
                self.emit(
                    [p.line, decl.line],
                    "error",
                    "array-partition",
                    f"{decl.name} is not an array ({decl.type.text}): "
                    f"{p.name.upper()} applies to arrays; name an array",
                )
            return
        dim = self.model.value(p.options.get("dim", "1"), fn)
        if dim is None or dim < 0:
            return
        if dim > decl.rank:
            self.emit(
                [p.line, decl.line],
                "error",
                "array-partition",
                f"dim={dim} but {decl.name} has {decl.rank} "
                f"dimension{'s' if decl.rank > 1 else ''}: use dim=1..{decl.rank}, "
                "or dim=0 for all of them",
            )
            return
        factor = self.model.value(factor_text, fn) if factor_text else None
        if kind == "complete" or factor is None or factor <= 0:
            return
        for d in range(1, decl.rank + 1) if dim == 0 else [dim]:
            size = decl.dims[d - 1]
            if size is not None and size % factor:
                self.emit(
                    [p.line, decl.line],
                    "warning",
                    "array-partition",
                    f"factor={factor} does not divide dimension {d} of {decl.name} "
                    f"(size {size}): the {kind} banks come out uneven; use a divisor of {size}",
                )

    # --- loops ---------------------------------------------------------------------------

    def unroll(self) -> None:
        for p in self.model.pragmas:
            if p.name != "unroll" or p.loop is None or "factor" not in p.options:
                continue
            factor = self.model.value(p.options["factor"], p.loop.function)
            trips = self.model.trip_count(p.loop)
            if factor is None or trips is None or factor <= 0 or trips % factor == 0:
                continue
            self.emit(
                [p.line, p.loop.line],
                "warning",
                "unroll-factor",
                f"unroll factor={factor} does not divide the loop's trip count {trips}: "
                "every unrolled copy keeps an exit check (more logic, longer paths); "
                f"use a divisor of {trips}",
            )

    def pipeline(self) -> None:
        for p in self.model.pragmas:
            if p.name != "pipeline" or _off(p) or p.function is None:
                continue
            if p.loop is None:
                where = f"pipelined function {p.function.name}()"
                inner = p.function.all_loops()
            else:
                where = "pipelined loop"
                inner = p.loop.descendants()
                self._pipelined_bound(p, p.loop)
            # Every loop in the pipelined region is unrolled, so in each copy the
            # variables of these loops are constants: an inner bound may depend on them.
            unrolled = {v for loop in inner for v in self.model.loop_variables(loop)}
            for loop in inner:
                self._unrollable(p, loop, where, unrolled)

    def _pipelined_bound(self, p: Pragma, loop: Loop) -> None:
        if loop.kind != "for" or any(q.name == "loop_tripcount" for q in loop.pragmas):
            return
        deps = self.model.dependencies(loop)
        if deps:
            self.emit(
                [loop.line, p.line],
                "warning",
                "pipeline-bound",
                f"the trip count of this pipelined loop depends on {', '.join(deps)}, "
                "not a compile-time constant: HLS cannot tell its latency; bound it by a "
                "constant (with an early break) or add #pragma HLS loop_tripcount max=...",
            )

    def _unrollable(self, p: Pragma, loop: Loop, where: str, unrolled: set[str]) -> None:
        if loop.kind in ("while", "do"):
            self.emit(
                [loop.line, p.line],
                "warning",
                "pipeline-bound",
                f"a {loop.kind} loop inside a {where} cannot be fully unrolled, which "
                "pipelining needs: give it a constant trip count (a for loop with a constant "
                "bound) or pipeline this loop instead",
            )
            return
        if loop.kind != "for":
            return
        deps = [d for d in self.model.dependencies(loop) if d not in unrolled]
        if deps:
            self.emit(
                [loop.line, p.line],
                "warning",
                "pipeline-bound",
                f"this loop inside a {where} has a trip count that depends on "
                f"{', '.join(deps)}, so it cannot be fully unrolled, which pipelining needs: "
                "give it a constant bound (with an early break) or pipeline this loop instead",
            )

    # --- DATAFLOW ------------------------------------------------------------------------

    def dataflow(self) -> None:
        for p in self.model.pragmas:
            if p.name != "dataflow" or p.function is None:
                continue
            region = p.loop.body if p.loop is not None else p.function.body
            if region is None or region.type != "compound_statement":
                continue
            _Dataflow(self, p, region).run()

    # --- INTERFACE -----------------------------------------------------------------------

    def interface(self) -> None:
        for fn in self.model.functions:
            modes: dict[str, list[tuple[str, Pragma]]] = {}
            for p in fn.pragmas:
                if p.name != "interface":
                    continue
                mode = p.options.get("mode", "").lower() or next(
                    (w for w in p.words if w in _INTERFACE_MODES), ""
                )
                name = _base_name(p.options.get("port", ""))
                if name:
                    modes.setdefault(name, []).append((mode, p))
            for name, uses in modes.items():
                decl = next((d for d in fn.params if d.name == name), None)
                if decl is None:
                    continue
                kinds = {m for m, _ in uses}
                for mode, p in uses:
                    if mode == "s_axilite" and decl.type.stream:
                        self.emit(
                            [p.line],
                            "error",
                            "interface",
                            f"{name} is a stream and s_axilite takes any argument but streams: "
                            "use axis (or ap_fifo) for it",
                        )
                    elif mode == "s_axilite" and decl.dims and "m_axi" not in kinds:
                        # Legal (a RAM in the register map), but rarely what was meant.
                        self.emit(
                            [p.line],
                            "warning",
                            "interface",
                            f"array argument {name} on s_axilite alone goes word by word "
                            "through the AXI4-Lite register map (slow, and it takes register "
                            "space): for bulk data use m_axi (or bram/ap_memory), with "
                            "s_axilite carrying the m_axi offset",
                        )
                    scalar = decl.type.width is not None or decl.type.text in _SCALAR_TYPES
                    plain = not (decl.dims or decl.pointer or decl.reference or decl.type.stream)
                    if mode == "m_axi" and scalar and plain:
                        self.emit(
                            [p.line],
                            "error",
                            "interface",
                            f"m_axi needs a pointer or array argument, and {name} is a "
                            f"scalar ({decl.type.text}): pass it on s_axilite, or make it "
                            "a pointer to memory",
                        )
            m_axi = {n: p for n, uses in modes.items() for m, p in uses if m == "m_axi"}
            for p in fn.pragmas:
                if p.name not in ("array_partition", "array_reshape") or _off(p):
                    continue
                name = _base_name(p.options.get("variable", ""))
                if name in m_axi and any(d.name == name for d in fn.params):
                    self.emit(
                        [p.line, m_axi[name].line],
                        "error",
                        "interface",
                        f"{name} is an m_axi argument (external memory) and cannot be "
                        f"{'partitioned' if p.name == 'array_partition' else 'reshaped'}: "
                        "copy it into a local array and partition that",
                    )

    # --- top functions -------------------------------------------------------------------

    def _synthesised(self) -> dict[str, tuple[Function, str]]:
        """Functions synthesis sees: tops and what they call here -> (function, top name)."""
        out: dict[str, tuple[Function, str]] = {}
        todo = [
            (fn, fn.name)
            for fn in self.model.functions
            if any(p.name in ("interface", "top") for p in fn.pragmas)
        ]
        while todo:
            fn, top = todo.pop()
            if fn.name in out:
                continue
            out[fn.name] = (fn, top)
            for site in fn.calls:
                name = _callee(site.node)
                if name and not site.sim_only:
                    todo += [(g, top) for g in self.model.functions_named(name)]
        return out

    def top_functions(self) -> None:
        for fn, top in self._synthesised().values():
            where = (
                f"in top function {fn.name}()"
                if fn.name == top
                else f"in {fn.name}() (called from top function {top}())"
            )
            for site in fn.calls:
                if site.sim_only:
                    continue
                name = _callee(site.node)
                plain = name is not None and _plain_call(site.node)
                if name == fn.name and plain:
                    self.emit(
                        site.lines,
                        "error",
                        "top-function",
                        f"{fn.name}() calls itself ({where}): HLS cannot synthesise recursion; "
                        "rewrite it as a loop (with a fixed-size stack if needed)",
                    )
                elif name in _ALLOC:
                    self.emit(
                        site.lines,
                        "error",
                        "top-function",
                        f"{name}() {where} uses dynamic memory, which cannot be "
                        "synthesised: use a fixed-size array",
                    )
                elif name in _SYSTEM:
                    self.emit(
                        site.lines,
                        "warning",
                        "top-function",
                        f"{name}() {where} is a system call, which cannot be synthesised: "
                        "move it to the test bench or guard it with #ifndef __SYNTHESIS__",
                    )
                elif name in _PRINT:
                    self.emit(
                        site.lines,
                        "note",
                        "top-function",
                        f"{name}() {where} only runs in C simulation (synthesis drops it): "
                        "guard it with #ifndef __SYNTHESIS__ to say so",
                    )
            for site in fn.allocations:
                if not site.sim_only:
                    word = "new" if site.node.type == "new_expression" else "delete"
                    self.emit(
                        site.lines,
                        "error",
                        "top-function",
                        f"{word} {where} uses dynamic memory, which cannot be "
                        "synthesised: use a fixed-size array or a static object",
                    )
            for site in fn.shifts:
                if not site.sim_only and _console(site.node):
                    self.emit(
                        site.lines,
                        "note",
                        "top-function",
                        f"console output {where} only runs in C simulation (synthesis drops "
                        "it): guard it with #ifndef __SYNTHESIS__ to say so",
                    )

    # --- ap_int arithmetic ---------------------------------------------------------------

    def _width(self, expr: Node | None, scope: Scope, fn: Function) -> tuple[Decl, int] | None:
        """The variable an operand reads and its width in bits (element width for
        ``a[i]``), when it is an integer whose width the file declares."""
        while expr is not None and expr.type == "parenthesized_expression":
            expr = expr.named_children[0] if expr.named_children else None
        element = False
        while expr is not None and expr.type == "subscript_expression":
            element = True
            expr = expr.child_by_field_name("argument")
        if expr is None or expr.type != "identifier":
            return None
        decl = self.model.lookup(scope, _text(expr))
        if decl is None or decl.type.width is None or decl.type.text.endswith("bool"):
            return None
        if bool(decl.dims) != element or decl.pointer:
            return None
        return decl, decl.type.width

    def shifts(self) -> None:
        for fn in self.model.functions:
            for site in fn.shifts:
                node = site.node
                found = self._width(node.child_by_field_name("left"), site.scope, fn)
                right = node.child_by_field_name("right")
                if found is None or right is None:
                    continue
                amount = self.model.value(_text(right), fn)
                if amount is None:
                    continue
                decl, width = found
                op = _text(node.child_by_field_name("operator"))
                if not decl.type.ap and not op.endswith("="):
                    width = max(width, 32)  # C promotes char and short to int first
                if amount < width:
                    continue
                if decl.type.ap:
                    message = (
                        f"{decl.name} is {decl.type.text} ({width} bits) and {op} {amount} "
                        "shifts every bit out (ap_int keeps its width, so the result is 0 "
                        f"or the sign): widen it first, e.g. ap_int<{width + amount}>"
                        f"({decl.name}) {op.rstrip('=')} {amount}"
                    )
                else:
                    message = (
                        f"{decl.name} is {width}-bit {decl.type.text} and {op} {amount} "
                        "shifts by its width or more, which is undefined in C/C++: use a "
                        "wider type (or ap_uint<W>) or a smaller shift"
                    )
                self.emit(site.lines, "warning", "shift-width", message)

    def narrowing(self) -> None:
        for fn in self.model.functions:
            for site in fn.assignments:
                node = site.node
                if node.type == "assignment_expression":
                    target = self._ap_width(node.child_by_field_name("left"), site.scope, fn)
                    pairs = [(target, node.child_by_field_name("right"))]
                else:
                    pairs = []
                    for d in node.children_by_field_name("declarator"):
                        if d.type != "init_declarator":
                            continue
                        name = d.child_by_field_name("declarator")
                        target = self._ap_width(name, site.scope, fn)
                        pairs.append((target, d.child_by_field_name("value")))
                for target, value in pairs:
                    source = self._ap_width(value, site.scope, fn)
                    if target is None or source is None or source[1] <= target[1]:
                        continue
                    (to, to_width), (src, src_width) = target, source
                    self.emit(
                        site.lines,
                        "warning",
                        "narrowing",
                        f"{src.name} ({src.type.text}) goes into {to.name} ({to.type.text}) "
                        f"and silently loses its top {src_width - to_width} bits: say so with "
                        f"{src.name}.range({to_width - 1}, 0) or a cast, or widen {to.name}",
                    )

    # --- storage bindings ----------------------------------------------------------------

    def storage(self) -> None:
        for p in self.model.pragmas:
            if p.name == "bind_storage":
                kind = p.options.get("type", "")
            elif p.name == "resource":
                kind = p.options.get("core", "")
            else:
                continue
            if not kind.lower().startswith("rom") or p.function is None:
                continue
            decl = self._named(p, "variable")
            if decl is None:
                continue
            written = self._writes(p.function, decl)
            if written:
                self.emit(
                    [p.line, *written],
                    "error",
                    "storage",
                    f"{decl.name} is bound to a ROM ({kind}) but written at line {written[0]}: "
                    "a ROM cannot be written; use a RAM type (ram_1p, ram_2p) or stop writing it",
                )

    def _writes(self, fn: Function, decl: Decl) -> list[int]:
        """Lines of ``fn`` that store into ``decl``, directly or through a call it is passed to."""
        body = fn.body
        if body is None:
            return []
        usage = _Usage(self.model, decl.type.stream)
        return [
            node.start_point.row + 1
            for node in walk(body)
            if node.type == "identifier"
            and node.parent is not None
            and _text(node) == decl.name
            and "w" in usage.role(node, node.parent, 3)
        ]

    def _ap_width(self, expr: Node | None, scope: Scope, fn: Function) -> tuple[Decl, int] | None:
        found = self._width(expr, scope, fn)
        return found if found is not None and found[0].type.ap else None


# --- dataflow ------------------------------------------------------------------------


class _Task:
    def __init__(self, node: Node, line: int, label: str, conditional: Node | None) -> None:
        self.node = node
        self.line = line
        self.label = label
        self.conditional = conditional
        """The ``if`` it sits under, if any."""


class _Dataflow:
    """One DATAFLOW region: its tasks, its channels and who uses them how."""

    def __init__(self, rules: _Rules, pragma: Pragma, region: Node) -> None:
        self.rules = rules
        self.model = rules.model
        self.pragma = pragma
        self.region = region
        fn = pragma.function
        assert fn is not None
        self.fn = fn

    def run(self) -> None:
        tasks: list[_Task] = []
        for stmt in _statements(self.region):
            self._collect(stmt, tasks, None)
        channels = self._channels()
        if len(tasks) < 2 and not any(t.conditional for t in tasks):
            return
        for t in tasks:
            if t.conditional is not None:
                self.rules.emit(
                    [t.line, t.conditional.start_point.row + 1],
                    "warning",
                    "dataflow",
                    f"task {t.label} runs only under an if in a DATAFLOW region: every "
                    "task must run each time for the region to overlap them; move the "
                    "condition into the task",
                )
        edges: dict[int, set[int]] = {i: set() for i in range(len(tasks))}
        bypass_candidates: list[tuple[Decl, int, int]] = []
        for decl, local in channels:
            writers, readers = [], []
            for i, t in enumerate(tasks):
                use = self._use_in_task(t, decl)
                if "w" in use:
                    writers.append(i)
                elif "r" in use:
                    readers.append(i)
            self._many(decl, tasks, writers, "written", "producer")
            self._many(decl, tasks, readers, "read", "consumer")
            if local and len(writers) == 1:
                for r in readers:
                    if r != writers[0]:
                        edges[writers[0]].add(r)
                        bypass_candidates.append((decl, writers[0], r))
        for decl, w, r in bypass_candidates:
            if r <= w + 1:
                continue
            middle = next(
                (k for k in range(w + 1, r) if _reaches(edges, w, k) and _reaches(edges, k, r)),
                None,
            )
            if middle is None:
                continue
            a, b, c = tasks[w], tasks[middle], tasks[r]
            self.rules.emit(
                [c.line, a.line, decl.line, self.pragma.line],
                "warning",
                "dataflow",
                f"channel {decl.name} goes from task {a.label} (line {a.line}) to task "
                f"{c.label} (line {c.line}) around task {b.label} (line {b.line}), which lies "
                "between them: the bypass stalls the pipeline unless it is deep enough; pass "
                f"{decl.name} through {b.label}, or give it a depth that covers {b.label}",
            )

    def _many(self, decl: Decl, tasks: list[_Task], who: list[int], verb: str, role: str) -> None:
        if len(who) < 2:
            return
        names = ", ".join(f"{tasks[i].label} (line {tasks[i].line})" for i in who)
        fix = (
            "give each task its own channel and merge them in one task"
            if role == "producer"
            else "copy it into one channel per reader in a task of its own"
        )
        self.rules.emit(
            [*(tasks[i].line for i in who[1:]), tasks[who[0]].line, self.pragma.line, decl.line],
            "error",
            "dataflow",
            f"channel {decl.name} is {verb} by {len(who)} tasks ({names}): a DATAFLOW "
            f"channel needs exactly one {role}; {fix}",
        )

    def _collect(self, stmt: Node, tasks: list[_Task], cond: Node | None) -> None:
        kind = stmt.type
        if kind == "labeled_statement":
            for c in stmt.named_children:
                if c.type != "statement_identifier":
                    self._collect(c, tasks, cond)
        elif kind in ("for_statement", "while_statement", "do_statement", "for_range_loop"):
            label = f"loop at line {stmt.start_point.row + 1}"
            parent = stmt.parent
            if parent is not None and parent.type == "labeled_statement":
                label = _text(parent.named_children[0])
            tasks.append(_Task(stmt, stmt.start_point.row + 1, label, cond))
        elif kind == "expression_statement":
            call = stmt.named_children[0] if stmt.named_children else None
            if call is not None and call.type == "call_expression" and _plain_call(call):
                name = _callee(call) or "?"
                tasks.append(_Task(call, call.start_point.row + 1, f"{name}()", cond))
        elif kind == "if_statement":
            for part in ("consequence", "alternative"):
                child = stmt.child_by_field_name(part)
                if child is not None:
                    for s in _statements(child):
                        self._collect(s, tasks, cond or stmt)
        elif kind == "compound_statement":
            for s in _statements(stmt):
                self._collect(s, tasks, cond)

    def _channels(self) -> list[tuple[Decl, bool]]:
        """Local streams and arrays of the region, then the function's stream arguments."""
        out: list[tuple[Decl, bool]] = []
        scope = self.model.block_scopes.get(self.region.id)
        if scope is not None:
            out += [(d, True) for d in scope.decls.values() if d.type.stream or d.dims]
        if self.pragma.loop is None:
            out += [(d, False) for d in self.fn.params if d.type.stream and not d.dims]
        return out

    def _use_in_task(self, task: _Task, decl: Decl) -> set[str]:
        if task.node.type == "call_expression":
            return _Usage(self.model, decl.type.stream).of_call_args(task.node, decl.name, 3)
        return _Usage(self.model, decl.type.stream).within(task.node, decl.name, 3)


class _Usage:
    """Whether code reads (``r``) or writes (``w``) a stream or array, through calls
    to functions of this file up to a depth."""

    def __init__(self, model: FileModel, stream: bool) -> None:
        self.model = model
        self.stream = stream

    def within(self, root: Node, name: str, depth: int) -> set[str]:
        out: set[str] = set()
        stack: list[tuple[Node, Node | None]] = [(root, None)]
        while stack:
            node, parent = stack.pop()
            if node.type == "identifier" and parent is not None and _text(node) == name:
                out |= self.role(node, parent, depth)
            stack.extend((c, node) for c in node.children)
        return out

    def of_call_args(self, call: Node, name: str, depth: int) -> set[str]:
        """How a call uses ``name`` when it is passed as a whole (``f(x)``, ``f(&x)``)."""
        args = call.child_by_field_name("arguments")
        if args is None:
            return set()
        out: set[str] = set()
        for i, arg in enumerate(args.named_children):
            if arg.type == "pointer_expression" and _text(arg).startswith("&"):
                arg = arg.child_by_field_name("argument") or arg
            if arg.type == "identifier" and _text(arg) == name:
                out |= self._param_use(call, i, depth)
        return out

    def _param_use(self, call: Node, index: int, depth: int) -> set[str]:
        callee = _callee(call)
        if callee == "memcpy":
            return {"w"} if index == 0 else {"r"}
        if callee is None or depth <= 0:
            return set()
        args = call.child_by_field_name("arguments")
        count = len(args.named_children) if args is not None else 0
        candidates = self.model.functions_named(callee)
        fn = next((f for f in candidates if len(f.params) == count), None)
        if fn is None or index >= len(fn.params) or fn.body is None:
            return set()
        param = fn.params[index]
        if param.const_data and (param.dims or param.pointer or param.reference):
            return {"r"}
        return self.within(fn.body, param.name, depth - 1)

    def role(self, ident: Node, parent: Node, depth: int) -> set[str]:
        """What the use of ``ident`` (a child of ``parent``) does: read, write, both, or nothing."""
        kind = parent.type
        if kind == "field_expression" and parent.child_by_field_name("argument") == ident:
            method = _text(parent.child_by_field_name("field"))
            call = parent.parent
            if call is None or call.type != "call_expression":
                return set()
            if method in _STREAM_READS:
                return {"r"}
            if method in _STREAM_WRITES:
                return {"w"}
            return set()
        if kind in ("subscript_expression", "pointer_expression"):
            if kind == "pointer_expression" and _text(parent).startswith("&"):
                grand = parent.parent
                if grand is not None and grand.type == "argument_list":
                    return self._argument(parent, grand, depth)
                return set()
            top = parent
            while top.parent is not None and top.parent.type in (
                "subscript_expression",
                "field_expression",
            ):
                top = top.parent
            holder = top.parent
            if (
                holder is not None
                and holder.type == "assignment_expression"
                and holder.child_by_field_name("left") == top
            ):
                op = _text(holder.child_by_field_name("operator"))
                return {"w"} if op == "=" else {"r", "w"}
            if holder is not None and holder.type == "update_expression":
                return {"r", "w"}
            return {"r"}
        if kind == "binary_expression" and self.stream:
            if parent.child_by_field_name("left") == ident:
                op = _text(parent.child_by_field_name("operator"))
                return {"w"} if op == "<<" else {"r"} if op == ">>" else set()
            return set()
        if kind == "argument_list":
            return self._argument(ident, parent, depth)
        if kind == "assignment_expression" and parent.child_by_field_name("left") == ident:
            return {"w"}
        return set() if self.stream else {"r"}

    def _argument(self, arg: Node, args: Node, depth: int) -> set[str]:
        call = args.parent
        if call is None or call.type != "call_expression":
            return set()
        index = next((i for i, a in enumerate(args.named_children) if a == arg), -1)
        return self._param_use(call, index, depth) if index >= 0 else set()


def _reaches(edges: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


# --- small syntax helpers ------------------------------------------------------------


def _statements(block: Node) -> list[Node]:
    """A block's statements, looking through ``#ifdef``s (a single statement: itself)."""
    if block.type != "compound_statement" and block.type not in (
        "preproc_ifdef",
        "preproc_if",
        "preproc_else",
        "preproc_elif",
        "else_clause",
    ):
        return [block]
    out: list[Node] = []
    for c in block.named_children:
        if c.type in ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif"):
            out += _statements(c)
        elif c.type not in ("comment", "preproc_call"):
            out.append(c)
    return out


def _callee(call: Node) -> str | None:
    """The called function's name: ``f`` for ``f(x)``, ``ns::f(x)`` and ``f<T>(x)``."""
    fn = call.child_by_field_name("function")
    while fn is not None and fn.type in ("qualified_identifier", "template_function"):
        fn = fn.child_by_field_name("name")
    if fn is None or fn.type != "identifier":
        return None
    return _text(fn)


def _plain_call(call: Node) -> bool:
    """A call of a function (not of a method like ``s.write(x)``)."""
    fn = call.child_by_field_name("function")
    return fn is not None and fn.type in ("identifier", "qualified_identifier", "template_function")


def _console(shift: Node) -> bool:
    """``std::cout << ...``: the outermost ``<<`` of a chain that starts at a console."""
    parent = shift.parent
    if parent is not None and parent.type == "binary_expression":
        return False
    left: Node | None = shift
    while left is not None and left.type == "binary_expression":
        left = left.child_by_field_name("left")
    return _text(left).removeprefix("std::") in ("cout", "cerr", "clog")
