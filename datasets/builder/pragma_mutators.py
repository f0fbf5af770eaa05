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

The file's picture is :class:`~duckfix.datasets.builder.hls_model.HlsModel`; how
its arrays are accessed, :mod:`~duckfix.datasets.builder.hls_access`.
``tree_sitter`` is imported only inside :func:`~duckfix.datasets.builder.c_syntax.parser`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from duckfix.datasets.builder.hls_access import is_unrolled, is_written, per_cycle, stride_one
from duckfix.datasets.builder.hls_model import (
    LOOP_KINDS,
    PRAGMA_HEAD,
    Decl,
    Function,
    HlsModel,
    Option,
    Pragma,
)
from duckfix.datasets.builder.mutants import Mutant, line_of

if TYPE_CHECKING:
    from tree_sitter import Node

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
_NAME = re.compile(r"[&*\s]*([A-Za-z_]\w*)")


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

    model: HlsModel
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

    def value(self, category: str, opt: Option, new: str, why: str) -> None:
        """Replace an option's value (or a bare word): ``factor=4 -> factor=3 (why)``."""
        text = self.model.text
        before, after = text[opt.start : opt.end], text[opt.start : opt.value_start] + new
        self.add(category, opt.value_start, opt.end, new, f"{before} -> {after} ({why})")

    def line(self, category: str, fn: Function | None, at: int, pragma: str, why: str) -> None:
        """Insert the line ``#pragma HLS <pragma>`` at ``at`` (a line's start)."""
        line = f"{self.model.pragma_indent(fn, at)}#pragma HLS {pragma}{self.model.newline}"
        self.add(category, at, at, line, f"+ {pragma} ({why})")

    def move(self, category: str, fn: Function, p: Pragma, at: int, why: str) -> None:
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


def _partitions(m: HlsModel) -> Iterator[tuple[Pragma, Function, Option | None, Decl | None]]:
    """ARRAY_PARTITION / ARRAY_RESHAPE pragmas: the type's span and the array named."""
    for p in m.pragmas:
        if p.name not in _PARTITION or p.off or p.function is None:
            continue
        var = p.options.get("variable")
        named = _base(var.value) if var is not None else None
        decl = m.lookup(p.function, named[0], p.start) if named else None
        yield p, p.function, p.kind_span("type", _TYPES), decl


def _dims(m: HlsModel, p: Pragma, fn: Function, decl: Decl) -> list[int]:
    """The dimensions (1-based) a partition pragma splits; [] when ``dim=`` is unreadable."""
    rank = m.rank(decl) or 0
    dim = m.value(p.options["dim"].value, fn) if "dim" in p.options else 1
    if dim is None or not 0 <= dim <= rank:
        return []
    return list(range(1, rank + 1)) if dim == 0 else [dim]


def _sizes(m: HlsModel, p: Pragma, fn: Function, decl: Decl) -> list[int | None]:
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


# --- the mutators, one per category ----------------------------------------------------


def partition_type(m: HlsModel, out: _Out) -> None:
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


def factor_divisor(m: HlsModel, out: _Out) -> None:
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


def partition_dim(m: HlsModel, out: _Out) -> None:
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


def _tasks(m: HlsModel, block: Node) -> list[Node]:
    """A region's tasks: its top-level loops and plain function calls (statements)."""
    out = []
    for stmt in block.named_children:
        while stmt.type == "labeled_statement" and stmt.named_children:
            stmt = stmt.named_children[-1]
        first = stmt.named_children[0] if stmt.named_children else None
        if stmt.type in LOOP_KINDS or (
            stmt.type == "expression_statement"
            and first is not None
            and first.type == "call_expression"
            and m.src(first.child_by_field_name("function")).replace("::", "").isidentifier()
        ):
            out.append(stmt)
    return out


def dataflow_region(m: HlsModel, out: _Out) -> None:
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


def _idap(m: HlsModel, p: Pragma, fn: Function, decl: Decl | None) -> bool:
    """Whether the partitioned array is read at neighbouring elements each cycle."""
    if decl is None or not decl.array:
        return False
    return stride_one(m, fn, decl.name, _dims(m, p, fn, decl))


def partition_access(m: HlsModel, out: _Out) -> None:
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


def storage_binding(m: HlsModel, out: _Out) -> None:
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
            if is_written(m, fn, decl.name):
                wrong.append(("rom_1p", f"{decl.name} is written"))
            if per_cycle(fn, decl.name) >= 2:
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


def pragma_variable(m: HlsModel, out: _Out) -> None:
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


def interface_mode(m: HlsModel, out: _Out) -> None:
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


def pipeline_nest(m: HlsModel, out: _Out) -> None:
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
        while PRAGMA_HEAD.match(m.text[at:].lstrip(" \t")) and "\n" in m.text[at:]:
            at = m.text.index("\n", at) + 1  # after the function's leading pragmas
        why = f"{fn.name}() pipelined; the loop at line {stuck.line} has a variable bound"
        out.line("MLP", fn, at, "PIPELINE II=1", why)


def unroll_loop(m: HlsModel, out: _Out) -> None:
    """ILNU: an unroll factor that does not divide the trips; a full unroll of a loop
    with a variable bound."""
    for fn in m.functions:
        for loop in fn.all_loops():
            fixed_by = {a.var for a in loop.ancestors() if a.var and is_unrolled(a)}
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


_MUTATORS: tuple[Callable[[HlsModel, _Out], None], ...] = (
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
    model = HlsModel(text)
    out = _Out(model, file)
    for mutator in _MUTATORS:
        mutator(model, out)
    seen: set[tuple[int, int, str]] = set()
    kept: list[Mutant] = []
    source = model.source
    for mutant in sorted(
        out.mutants, key=lambda x: (_ORDER.index(x.category), x.start, x.end, x.replacement)
    ):
        key = (mutant.start, mutant.end, mutant.replacement)
        new = mutant.apply(text)
        if key in seen or new == text:
            continue
        seen.add(key)
        # A mutant must read as well as the original: no new ERROR or missing nodes.
        if source.parses_as_before(
            source.byte(mutant.start), source.byte(mutant.end), mutant.replacement
        ):
            kept.append(mutant)
    return kept
