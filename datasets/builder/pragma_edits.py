"""The pragma mutators' output: span edits of an HLS file, labelled with their category.

:class:`Out` collects the mutants the mutators of
:mod:`~duckfix.datasets.builder.pragma_mutators` and
:mod:`~duckfix.datasets.builder.pragma_interface` find (an option's value replaced, a
pragma line inserted or moved); :data:`MUTATOR` names each category's mutator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from duckfix.datasets.builder.hls_model import Function, HlsModel, Option, Pragma
from duckfix.datasets.builder.mutants import Mutant, line_of

__all__ = ["MODES", "MUTATOR", "Out", "base"]

MODES = frozenset(
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

MUTATOR = {
    "APT": "partition_type",
    "FND": "factor_divisor",
    "DID": "partition_dim",
    "DFP": "dataflow_position",
    "IDAP": "interface_access",
    "RAMB": "burst_order",
    "SMA": "interface_mode",
    "AMS": "interface_mode",
    "MLP": "pipeline_nest",
    "ILNU": "unroll_nest",
    "partition-banks": "partition_banks",
    "storage-binding": "storage_binding",
    "pragma-variable": "pragma_variable",
    "dataflow-channel": "dataflow_channel",
    "pipeline-variable-loop": "pipeline_variable_loop",
    "unroll-trip-count": "unroll_trip_count",
}
"""Each category's mutator: the function below that makes it (a mutant's ``mutator``)."""


@dataclass(slots=True)
class Out:
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
                mutator=MUTATOR[category],
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


def base(value: str) -> tuple[str, int, int] | None:
    """The variable an option names (``&x`` -> ``x``), with its span in ``value``."""
    m = _NAME.match(value.strip('"'))
    if m is None:
        return None
    shift = 1 if value.startswith('"') else 0
    return m.group(1), m.start(1) + shift, m.end(1) + shift
