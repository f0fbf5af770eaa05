"""Pragma bugs for HLS C++ kernels: the Chrysalis pragma categories and ours, as span edits.

C simulation cannot see these bugs (a pragma does not change what the C++
computes), so a mutant is kept when it parses and changes a pragma as its
category says; synthesis or a static check has to judge it. The Chrysalis codes
mean what the Chrysalis dataset defines (see
:mod:`~duckfix.datasets.builder.categories`); each mutator makes that mistake:

======================  ==========================  ===============================================
code                    mutator                     what it does
======================  ==========================  ===============================================
APT                     ``partition_type``          ARRAY_PARTITION type wrong: misspelt (``cyclic
                                                    -> cylic``, ``complete -> full``), complete ->
                                                    cyclic without a factor or ``block factor=F``,
                                                    cyclic <-> block
FND                     ``factor_divisor``          a partition ``factor=`` moved by the least step
                                                    (4 -> 3) to one that does not divide the
                                                    dimension; complete -> ``cyclic factor=F``, F a
                                                    non-divisor. Only where the size is known in
                                                    the file (a literal, a ``#define`` or
                                                    ``const``)
DID                     ``partition_dim``           ARRAY_PARTITION ``dim=`` set (or added) one
                                                    past the array's rank, or to another of its
                                                    dimensions
DFP                     ``dataflow_position``       the DATAFLOW line moved from its region's
                                                    start: into the innermost loop of one of its
                                                    tasks, after the region's first task, or into a
                                                    function with fewer than two tasks
IDAP                    ``interface_access``        INTERFACE ``ap_fifo`` / ``axis`` (changed or
                                                    added) for an array parameter the function does
                                                    not access once in order
RAMB                    ``burst_order``             a loop over an m_axi port run backwards
                                                    (falling addresses: no burst), where its passes
                                                    are independent so the results stay the same
SMA                     ``interface_mode``          INTERFACE ``m_axi`` / ``axis`` (changed or
                                                    added) for a scalar parameter
AMS                     ``interface_mode``          INTERFACE ``ap_none`` / ``s_axilite`` (changed
                                                    or added) for an array parameter
MLP                     ``pipeline_nest``           PIPELINE added in a loop around or inside a
                                                    pipelined loop, to its function, or in a loop
                                                    of a pipelined function
ILNU                    ``unroll_nest``             under an UNROLL, an inner loop's full UNROLL
                                                    given a factor or removed; UNROLL added to a
                                                    loop whose inner loop is not fully unrolled
partition-banks         ``partition_banks``         a cyclic factor halved for an array read at
                                                    neighbouring elements in parallel
storage-binding         ``storage_binding``         BIND_STORAGE ``type=rom_1p`` on a local array
                                                    the code writes, ``type=ram_1p`` on one
                                                    accessed twice or more per cycle: the type
                                                    changed, or a new line inserted after the
                                                    declaration
pragma-variable         ``pragma_variable``         ``variable=`` / ``port=`` misspelt (``state_in
                                                    -> statein``, ``A -> a``); an array pragma
                                                    naming a scalar in scope, or an array of
                                                    another function
dataflow-channel        ``dataflow_channel``        in a DATAFLOW region: a task call run under
                                                    ``if`` (a scalar argument), or duplicated (its
                                                    channels get two producers / consumers)
pipeline-variable-loop  ``pipeline_variable_loop``  PIPELINE moved from an inner loop to the outer
                                                    loop (or added to an outer loop, or to the
                                                    function) when a loop below has a variable
                                                    bound
unroll-trip-count       ``unroll_trip_count``       an UNROLL ``factor=`` moved to, or a new one
                                                    set at, a non-divisor of the constant trip
                                                    count; a full UNROLL on a loop with a variable
                                                    bound
======================  ==========================  ===============================================

Each mutant's ``mutator`` is the name in the table. An inserted pragma line
starts in column 0 when the function's (else the file's) pragmas do, else it
takes the indentation of the code it goes before. Code other than pragma lines
changes only where the category needs it: dataflow-channel's ``if`` and
duplicated call, RAMB's loop header.

Sizes and trip counts come from this file only (literals, ``#define``,
``const``): a macro from a header is taken for a constant of unknown value, so
FND and the factor forms of unroll-trip-count need sizes the file defines.
Every mutant is checked here: it differs from the text and tree-sitter reads it
with no more ERROR (or missing) nodes than the original (parsed incrementally
from the original's tree). The order is stable: taxonomy order, then by position.

The file's picture is :class:`~duckfix.datasets.builder.hls_model.HlsModel`; how
its arrays are accessed, :mod:`~duckfix.datasets.builder.hls_access`. The interface
categories' mutators are in :mod:`~duckfix.datasets.builder.pragma_interface`, the
edits they all make in :mod:`~duckfix.datasets.builder.pragma_edits`.
``tree_sitter`` is imported only inside :func:`~duckfix.datasets.builder.c_syntax.parser`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from duckfix.datasets.builder.hls_access import is_unrolled, is_written, per_cycle, stride_one
from duckfix.datasets.builder.hls_model import (
    LOOP_KINDS,
    PRAGMA_HEAD,
    Decl,
    Function,
    HlsModel,
    Loop,
    Option,
    Pragma,
)
from duckfix.datasets.builder.mutants import Mutant
from duckfix.datasets.builder.pragma_edits import Out, base
from duckfix.datasets.builder.pragma_interface import (
    burst_order,
    interface_access,
    interface_mode,
)

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["pragma_mutants"]

_ORDER = (
    "APT", "FND", "DID", "DFP", "IDAP", "RAMB", "SMA", "AMS", "MLP", "ILNU",
    "partition-banks", "storage-binding", "pragma-variable", "dataflow-channel",
    "pipeline-variable-loop", "unroll-trip-count",
)  # fmt: skip
_PARTITION = ("array_partition", "array_reshape")
_TYPES = ("block", "cyclic", "complete")
_MISSPELT = {"cyclic": "cylic", "block": "blocked", "complete": "full"}
"""An unknown partition type a designer would type: a typo, or UNROLL's word."""


# --- collecting mutants ----------------------------------------------------------------


def _partitions(m: HlsModel) -> Iterator[tuple[Pragma, Function, Option | None, Decl | None]]:
    """ARRAY_PARTITION / ARRAY_RESHAPE pragmas: the type's span and the array named."""
    for p in m.pragmas:
        if p.name not in _PARTITION or p.off or p.function is None:
            continue
        var = p.options.get("variable")
        named = base(var.value) if var is not None else None
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


def partition_type(m: HlsModel, out: Out) -> None:
    """APT: a partition type that is wrong: misspelt, complete without its factor, cyclic
    <-> block, complete -> block."""
    for p, fn, kind, decl in _partitions(m):
        word = kind.value.lower() if kind is not None else ""
        if kind is None or word not in _TYPES:
            continue
        out.value("APT", kind, _MISSPELT[word], "unknown type")
        why = ""
        if decl is not None and _idap(m, p, fn, decl):
            why = f"{decl.name} is accessed at neighbouring elements in parallel"
        if word == "complete" and "factor" not in p.options:
            out.value("APT", kind, "cyclic", "cyclic needs a factor")
            sizes = [s for s in _sizes(m, p, fn, decl) if s] if decl is not None else []
            f = next((f for f in range(2, 65) if all(s % f == 0 and f < s for s in sizes)), None)
            if sizes and f is not None:
                out.value("APT", kind, f"block factor={f}", why or "blocks, not elements")
        elif word in ("block", "cyclic"):
            swapped = "block" if word == "cyclic" else "cyclic"
            out.value("APT", kind, swapped, why or "the other interleaving")


def factor_divisor(m: HlsModel, out: Out) -> None:
    """FND: a partition factor that does not divide the size it splits."""
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


def partition_dim(m: HlsModel, out: Out) -> None:
    """DID: ``dim=`` one past the array's rank, or another of its dimensions."""
    for p, fn, _kind, decl in _partitions(m):
        rank = m.rank(decl) if decl is not None else None
        if not rank:
            continue
        dim = p.options.get("dim")
        why = f"rank {rank}"
        old = m.value(dim.value, fn) if dim is not None else 1
        if dim is None:
            out.add("DID", p.end, p.end, f" dim={rank + 1}", f"+ dim={rank + 1} ({why})")
        elif old != rank + 1:
            out.value("DID", dim, str(rank + 1), why)
        for other in range(1, rank + 1) if old in range(1, rank + 1) else ():
            if other == old:
                continue
            why = f"dimension {other} instead of {old}"
            if dim is None:
                out.add("DID", p.end, p.end, f" dim={other}", f"+ dim={other} ({why})")
            else:
                out.value("DID", dim, str(other), why)


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


def _dataflow(m: HlsModel) -> Iterator[tuple[Pragma, Function, Node]]:
    """Each DATAFLOW pragma, its function and the region (block) it opens."""
    for p in m.pragmas:
        fn = p.function
        if p.name != "dataflow" or fn is None:
            continue
        region = p.loop.node.child_by_field_name("body") if p.loop is not None else fn.body
        if region is not None and region.type == "compound_statement":
            yield p, fn, region


def dataflow_position(m: HlsModel, out: Out) -> None:
    """DFP: the DATAFLOW line moved away from the start of its region: into a loop nested
    in one of its tasks, after the region's first task, or into a function with no tasks."""
    for p, fn, region in _dataflow(m):
        tasks = _tasks(m, region)
        starts = {t.start_byte for t in tasks}
        for loop in fn.all_loops():
            if loop.node.start_byte not in starts:
                continue
            inner = next((d for d in loop.descendants() if not d.children), loop)
            if inner.body_line is not None:
                why = f"into the loop at line {inner.line}, not the region's start"
                out.move("DFP", fn, p, inner.body_line, why)
        at = m.next_line(m.c(tasks[0].end_byte)) if len(tasks) > 1 else None
        if at is not None:
            out.move("DFP", fn, p, at, "after the region's first task")
        if p.loop is not None:
            continue
        for g in m.functions:
            if g is fn or g.body_line is None or g.has("dataflow") or len(_tasks(m, g.body)) > 1:
                continue
            out.move("DFP", g, p, g.body_line, f"into {g.name}(), no tasks")


def dataflow_channel(m: HlsModel, out: Out) -> None:
    """dataflow-channel: in a DATAFLOW region, a task run under ``if`` or called twice."""
    text = m.text
    for _p, fn, region in _dataflow(m):
        cond = next((d.name for d in fn.params if d.scalar and not d.reference), None)
        for stmt in _tasks(m, region):
            if stmt.type != "expression_statement":
                continue
            start, end = m.c(stmt.start_byte), m.c(stmt.end_byte)
            call = text[start:end]
            name = call.split("(")[0].strip()
            if cond is not None:
                why = f"task {name}() runs only when {cond}"
                out.add("dataflow-channel", start, start, f"if ({cond}) ", f"+ if ({cond}) ({why})")
            at = m.next_line(end)
            if at is not None and not text[m.line_start(start) : start].strip():
                copy = text[m.line_start(start) : at]
                why = f"{name}()'s channels get two producers or consumers"
                out.add("dataflow-channel", at, at, copy, f"{call} called twice ({why})")


def _idap(m: HlsModel, p: Pragma, fn: Function, decl: Decl | None) -> bool:
    """Whether the partitioned array is read at neighbouring elements each cycle."""
    if decl is None or not decl.array:
        return False
    return stride_one(m, fn, decl.name, _dims(m, p, fn, decl))


def partition_banks(m: HlsModel, out: Out) -> None:
    """partition-banks: a cyclic factor halved for an array read at neighbouring elements
    in parallel (fewer banks than reads a cycle)."""
    for p, fn, kind, decl in _partitions(m):
        if kind is None or decl is None or not _idap(m, p, fn, decl):
            continue
        factor = p.options.get("factor")
        old = m.value(factor.value, fn) if factor is not None else None
        if kind.value.lower() != "cyclic" or factor is None or old is None:
            continue
        if old >= 4 and old % 2 == 0:
            why = f"fewer banks than {decl.name} accesses per cycle"
            out.value("partition-banks", factor, str(old // 2), why)


def storage_binding(m: HlsModel, out: Out) -> None:
    """storage-binding: a ROM for an array that is written, a one-port RAM for one used
    twice a cycle."""
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
                    and (base(p.options["variable"].value) or ("",))[0] == decl.name
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
                    out.line("storage-binding", fn, decl.after, pragma, why)
                elif bound is not None and "type" in bound.options:
                    kind = bound.options["type"]
                    if kind.value.lower() != storage:
                        out.value("storage-binding", kind, storage, why)


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


def pragma_variable(m: HlsModel, out: Out) -> None:
    """pragma-variable: a misspelt variable or port, a scalar, or another function's array."""
    for p in m.pragmas:
        fn = p.function
        if fn is None:
            continue
        for key in ("variable", "port"):
            opt = p.options.get(key)
            named = base(opt.value) if opt is not None else None
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
            out.add("pragma-variable", start, end, typo, desc.format(typo, "no such name"))
            if key != "variable" or p.name not in (*_PARTITION, "bind_storage") or not decl.array:
                continue
            visible = m.visible(fn, p.start)
            scalar = next((d for d in visible if d.scalar and d.kind != "global"), None)
            if scalar is not None:
                why = "a scalar"
                out.add("pragma-variable", start, end, scalar.name, desc.format(scalar.name, why))
            # Another function's array whose name this function never declares.
            own = {d.name for d in (*fn.params, *fn.locals, *m.globals)}
            others = [d for g in m.functions if g is not fn for d in (*g.params, *g.locals)]
            other = next((d for d in others if d.array and d.name not in own), None)
            if other is not None and other.function is not None:
                why = f"an array of {other.function.name}()"
                out.add("pragma-variable", start, end, other.name, desc.format(other.name, why))


def pipeline_nest(m: HlsModel, out: Out) -> None:
    """MLP: a PIPELINE added in a loop around or inside a pipelined loop, or to the function
    of a pipelined loop (or in a loop of a pipelined function): pipelines nested."""
    for fn in m.functions:
        piped_fn = fn.has("pipeline")
        for loop in fn.all_loops():
            piped = loop.has("pipeline")
            if piped is None:
                if piped_fn is not None and loop.body_line is not None:
                    why = f"inside the pipelined {fn.name}()"
                    out.line("MLP", fn, loop.body_line, "PIPELINE II=1", why)
                continue
            for other in (*loop.ancestors(), *loop.descendants()):
                if other.has("pipeline") is None and other.body_line is not None:
                    where = "around" if other.line < loop.line else "inside"
                    why = f"{where} the pipelined loop at line {loop.line}"
                    out.line("MLP", fn, other.body_line, "PIPELINE II=1", why)
            if piped_fn is None and fn.body_line is not None:
                why = f"{fn.name}() pipelined around the pipelined loop at line {loop.line}"
                out.line("MLP", fn, _after_pragmas(m, fn.body_line), "PIPELINE II=1", why)


def _after_pragmas(m: HlsModel, at: int) -> int:
    """The start of the first line from ``at`` on that is not a pragma."""
    while PRAGMA_HEAD.match(m.text[at:].lstrip(" \t")) and "\n" in m.text[at:]:
        at = m.text.index("\n", at) + 1
    return at


def pipeline_variable_loop(m: HlsModel, out: Out) -> None:
    """pipeline-variable-loop: PIPELINE over a loop nest (or a function) with a loop it
    cannot unroll (a variable bound)."""
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
                out.move(
                    "pipeline-variable-loop",
                    fn,
                    piped,
                    outer.body_line,
                    f"to the outer loop; {why}",
                )
            else:
                out.line("pipeline-variable-loop", fn, outer.body_line, "PIPELINE II=1", why)
        loops = fn.all_loops()
        counters = {loop.var for loop in loops if loop.var}
        stuck = next((loop for loop in loops if loop.deps - counters), None)
        if stuck is None or fn.body_line is None:
            continue
        at = _after_pragmas(m, fn.body_line)
        why = f"{fn.name}() pipelined; the loop at line {stuck.line} has a variable bound"
        out.line("pipeline-variable-loop", fn, at, "PIPELINE II=1", why)


def unroll_nest(m: HlsModel, out: Out) -> None:
    """ILNU: an UNROLLed loop over an inner loop that is not fully unrolled: the inner
    loop's full UNROLL given a factor or removed, or an UNROLL added to a loop whose
    inner loop is not fully unrolled."""
    for fn in m.functions:
        for loop in fn.all_loops():
            inner = loop.descendants()
            if not inner:
                continue
            if loop.has("unroll") is not None:
                for d in inner:
                    full = d.has("unroll")
                    if full is None or "factor" in full.options:
                        continue
                    why = f"inside the UNROLL at line {loop.line}"
                    half = d.trip // 2 if d.trip and d.trip >= 4 else None
                    if half is not None:
                        new = f" factor={half}"
                        out.add("ILNU", full.end, full.end, new, f"+{new} (loop at {d.line} {why})")
                    text = m.text[full.start : full.end]
                    out.add("ILNU", full.line_start, full.line_end, "", f"{text} removed ({why})")
                continue
            partial = next((d for d in inner if not _fully_unrolled(d)), None)
            if partial is not None and loop.has("pipeline") is None and loop.body_line:
                why = f"the loop at line {partial.line} is not fully unrolled"
                out.line("ILNU", fn, loop.body_line, "UNROLL", why)


def _fully_unrolled(loop: Loop) -> bool:
    unroll = loop.has("unroll")
    return unroll is not None and "factor" not in unroll.options


def unroll_trip_count(m: HlsModel, out: Out) -> None:
    """unroll-trip-count: an unroll factor that does not divide the trips (a factor moved,
    or added); a full unroll of a loop with a variable bound."""
    for fn in m.functions:
        for loop in fn.all_loops():
            unroll = loop.has("unroll")
            factor = unroll.options.get("factor") if unroll is not None else None
            old = m.value(factor.value, fn) if factor is not None else None
            moved = _non_divisor([loop.trip], old) if old is not None and loop.trip else None
            if factor is not None and moved is not None:
                out.value("unroll-trip-count", factor, str(moved), f"{loop.trip} trips")
    for fn in m.functions:
        for loop in fn.all_loops():
            fixed_by = {a.var for a in loop.ancestors() if a.var and is_unrolled(a)}
            variable = bool(loop.deps - fixed_by)
            unroll, piped = loop.has("unroll"), loop.has("pipeline")
            factor = unroll.options.get("factor") if unroll is not None else None
            new = _non_divisor([loop.trip]) if loop.trip and not variable else None
            if unroll is not None and factor is None and new is not None:
                why = f"{loop.trip} trips"
                out.add(
                    "unroll-trip-count",
                    unroll.end,
                    unroll.end,
                    f" factor={new}",
                    f"+ factor={new} ({why})",
                )
            elif unroll is not None and factor is not None and variable:
                start = len(m.text[: factor.start].rstrip(" \t"))
                before = m.text[start : factor.end].strip()
                out.add(
                    "unroll-trip-count",
                    start,
                    factor.end,
                    "",
                    f"{before} removed (full unroll of a variable bound)",
                )
            elif unroll is None and piped is not None and variable:
                pipeline = m.text[piped.start : piped.end]
                out.add(
                    "unroll-trip-count",
                    piped.start,
                    piped.end,
                    "#pragma HLS UNROLL",
                    f"{pipeline} -> UNROLL (variable bound)",
                )
            elif unroll is None and piped is None and loop.body_line is not None:
                if variable:
                    out.line("unroll-trip-count", fn, loop.body_line, "UNROLL", "variable bound")
                elif new is not None:
                    pragma, why = f"UNROLL factor={new}", f"{loop.trip} trips"
                    out.line("unroll-trip-count", fn, loop.body_line, pragma, why)


_MUTATORS: tuple[Callable[[HlsModel, Out], None], ...] = (
    partition_type,
    factor_divisor,
    partition_dim,
    dataflow_position,
    interface_access,
    burst_order,
    interface_mode,
    pipeline_nest,
    unroll_nest,
    partition_banks,
    storage_binding,
    pragma_variable,
    dataflow_channel,
    pipeline_variable_loop,
    unroll_trip_count,
)


def pragma_mutants(text: str, file: str) -> list[Mutant]:
    """Every candidate pragma-bug mutant of the HLS C++ source ``text``, in a stable order."""
    model = HlsModel(text)
    out = Out(model, file)
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
