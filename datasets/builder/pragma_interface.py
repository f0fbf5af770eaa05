"""Pragma bugs of an HLS kernel's interface: the INTERFACE pragmas and the accesses they
govern (Chrysalis IDAP, RAMB, SMA, AMS). Part of
:func:`~duckfix.datasets.builder.pragma_mutators.pragma_mutants`.
"""

from __future__ import annotations

from duckfix.datasets.builder.c_chrysalis import reversed_header
from duckfix.datasets.builder.c_context import (
    Context,
    CountedLoop,
    bare,
    build_context,
    op_text,
    subscript_chain,
)
from duckfix.datasets.builder.c_syntax import child, descendants
from duckfix.datasets.builder.hls_model import Decl, Function, HlsModel, Option, Pragma
from duckfix.datasets.builder.pragma_edits import MODES, Out, base

__all__ = ["burst_order", "interface_access", "interface_mode"]

_ARRAY_MODES = ("m_axi", "axis")
"""Array modes (Chrysalis SMA's list: bram, ap_memory, m_axi, ap_fifo, axis) a scalar gets."""
_SCALAR_MODES = ("ap_none", "s_axilite")
"""Scalar modes (Chrysalis AMS's list: ap_none, ap_vld, s_axilite) an array gets."""


def _interfaces(fn: Function) -> dict[str, tuple[Pragma, Option | None]]:
    """A function's INTERFACE pragmas by the parameter they name, with the mode's span."""
    found: dict[str, tuple[Pragma, Option | None]] = {}
    for p in fn.pragmas:
        port = p.options.get("port") if p.name == "interface" else None
        named = base(port.value) if port is not None else None
        if named is not None:
            found.setdefault(named[0], (p, p.kind_span("mode", MODES)))
    return found


def _set_mode(out: Out, category: str, fn: Function, decl: Decl, mode: str, why: str) -> None:
    """Give parameter ``decl`` INTERFACE mode ``mode``: its pragma's mode changed, or a
    pragma line inserted at the top of the function's body (unless it is ``static``)."""
    p, old = _interfaces(fn).get(decl.name, (None, None))
    if old is not None and old.value.lower() != mode:
        out.value(category, old, mode, why)
    elif p is None and fn.body_line is not None and not _static(out.model, fn):
        out.line(category, fn, fn.body_line, f"INTERFACE mode={mode} port={decl.name}", why)


def _static(m: HlsModel, fn: Function) -> bool:
    """Whether the function is ``static``: never a top function, whose ports INTERFACE
    pragmas describe."""
    return m.src(fn.node).lstrip().startswith("static")


def interface_mode(m: HlsModel, out: Out) -> None:
    """SMA: a scalar parameter given an array INTERFACE mode; AMS: an array given a scalar
    mode. The parameter's pragma changes mode, or a pragma is added for it."""
    for fn in m.functions:
        for decl in fn.params:
            if decl.stream or decl.reference:
                continue  # a stream, or a scalar passed out through a reference: neither
            if decl.scalar:
                for mode in _ARRAY_MODES:
                    _set_mode(out, "SMA", fn, decl, mode, f"{decl.name} is a scalar")
            elif decl.array:
                for mode in _SCALAR_MODES:
                    _set_mode(out, "AMS", fn, decl, mode, f"{decl.name} is an array")


def _random(m: HlsModel, fn: Function, name: str) -> bool:
    """Whether the function surely accesses the array other than once, in order: at two
    places, at an index that is not a loop's counter (``x[col[k]]``, ``a[i + 1]``), or in
    a loop with a constant trip count nested in another loop (each outer pass reads it
    again). A loop with variable bounds inside another may well read it once: not sure."""
    found = [a for a in fn.accesses if a.name == name]
    if len(found) != 1:
        return len(found) > 1
    (a,) = found
    loop = a.loop
    index = a.indices[0] if len(a.indices) == 1 else None
    if loop is None or index is None or m.src(index) != loop.var:
        return True
    return loop.parent is not None and loop.trip is not None


def interface_access(m: HlsModel, out: Out) -> None:
    """IDAP: a streaming INTERFACE mode (``ap_fifo``, ``axis``) for an array the function
    accesses at random (more than once, or out of order): a FIFO is read once, in order."""
    for fn in m.functions:
        for decl in fn.params:
            if not decl.array or decl.stream or not _random(m, fn, decl.name):
                continue
            why = f"{decl.name} is not accessed once, in order"
            for mode in ("ap_fifo", "axis"):
                _set_mode(out, "IDAP", fn, decl, mode, why)


def burst_order(m: HlsModel, out: Out) -> None:
    """RAMB: a loop over an m_axi port run backwards, so its addresses fall and the AXI
    reads and writes cannot burst. Only innermost loops whose passes do not depend on
    each other (:func:`_independent`), so the results stay the same: the bug is in the
    interface's performance, as with a pragma."""
    cx = build_context(m.source.data, m.root)
    counted = {lp.node.start_byte: lp for lp in cx.loops}
    for fn in m.functions:
        ports = [
            name
            for name, (_p, mode) in _interfaces(fn).items()
            if mode is not None and mode.value.lower() == "m_axi"
        ]
        for loop in fn.all_loops():
            lp = counted.get(loop.node.start_byte)
            if lp is None or loop.children or not lp.up:
                continue
            touched = {a.name for a in fn.accesses if a.loop is loop}
            port = next((name for name in ports if name in touched), None)
            header = reversed_header(cx, lp) if port is not None else None
            if header is None or not _independent(cx, lp):
                continue
            init = child(lp.node, "initializer")
            start, end = m.c(init.start_byte), m.c(lp.update.end_byte)
            why = f"m_axi port {port} accessed at falling addresses: no burst"
            out.add("RAMB", start, end, header, f"loop at line {loop.line} reversed ({why})")


def _independent(cx: Context, lp: CountedLoop) -> bool:
    """Whether a loop's passes can run in any order with the same result: each stores
    only to its own element (``a[i]``, of an array it accesses nowhere else) or into a
    reduction (``sum += ...``, ``|=``...); nothing else is written."""
    body = child(lp.node, "body")
    stored: set[str] = set()
    for node in descendants(body, "assignment_expression", "update_expression"):
        left = child(node, "left") if node.type == "assignment_expression" else None
        if left is not None and left.type == "subscript_expression":
            chain = subscript_chain(cx, left)
            if chain is None:
                return False
            stored.add(chain[0])
        elif left is None or left.type != "identifier" or op_text(cx, node) not in _REDUCE:
            return False
    chains = [subscript_chain(cx, sub) for sub in descendants(body, "subscript_expression")]
    return all(
        [bare(cx, i) for i in chain[1]] == [lp.var]
        for chain in chains
        if chain is not None and chain[0] in stored
    )


_REDUCE = ("+=", "*=", "|=", "&=", "^=")
"""Compound assignments whose result does not depend on the order of the passes
(up to the rounding of a floating sum)."""
