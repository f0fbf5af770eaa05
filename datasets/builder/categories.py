"""Bug categories the builder injects: general ones, the Chrysalis taxonomy's, and ours.

A category code borrowed from the Chrysalis HLS bug dataset keeps Chrysalis's
meaning, as the dataset defines it: the list "Bug Type Specification" in its
README (https://github.com/UIUC-ChenLab/Chrysalis-HLS) and, for each code, the
longer specification its injection scripts give
(``py_script/bug_injection/bug_description.py`` in that repository). Each
Chrysalis category's ``meaning`` below paraphrases those definitions, so a
per-category table of ours reads like one of theirs.

Bugs our mutators make that Chrysalis has no code for carry lower-case names
of our own (``divide-by-zero``, ``storage-binding``...), never a Chrysalis code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CATEGORIES", "CHRYSALIS_CODES", "Category", "categories_for", "category"]

Kind = Literal["logic", "pragma"]
Origin = Literal["general", "chrysalis", "duckfix"]


@dataclass(frozen=True)
class Category:
    name: str
    kind: Kind
    languages: tuple[str, ...]
    meaning: str
    origin: Origin = "general"
    """``chrysalis``: the code and its meaning are the Chrysalis dataset's; ``duckfix``:
    an HLS category of ours; ``general``: a category for every language."""


_GENERAL = ("python", "c", "hls")
_C = ("c", "hls")
_HLS = ("hls",)


def _chrysalis(name: str, kind: Kind, meaning: str) -> Category:
    return Category(name, kind, _C if kind == "logic" else _HLS, meaning, "chrysalis")


def _ours(name: str, kind: Kind, meaning: str) -> Category:
    return Category(name, kind, _C if kind == "logic" else _HLS, meaning, "duckfix")


CATEGORIES: tuple[Category, ...] = (
    # General categories, for every language.
    Category("off-by-one", "logic", _GENERAL, "a bound or index moved by one"),
    Category("wrong-operator", "logic", _GENERAL, "an arithmetic or logical operator swapped"),
    Category("wrong-comparison", "logic", _GENERAL, "a comparison operator swapped"),
    Category("wrong-variable", "logic", _GENERAL, "a variable replaced by another in scope"),
    Category("wrong-initial-value", "logic", _GENERAL, "an initial value changed"),
    Category("missing-statement", "logic", _GENERAL, "a statement deleted"),
    Category("swapped-arguments", "logic", _GENERAL, "two arguments of a call swapped"),
    # Chrysalis logic bugs (C simulation sees them).
    _chrysalis("OOB", "logic", "an array accessed outside its bounds"),
    _chrysalis("INIT", "logic", "a variable read before anything is stored in it"),
    _chrysalis("SHFT", "logic", "a shift by an amount out of bounds: the operand's width or more"),
    _chrysalis("INF", "logic", "a loop whose termination condition can never be met"),
    _chrysalis("USE", "logic", "a narrow value sign-extended when widened, unintended"),
    _chrysalis("MLU", "logic", "a manually unrolled loop that omits or repeats an iteration"),
    _chrysalis("ZERO", "logic", "a variable initialised to zero instead of its non-zero value"),
    _chrysalis("BUF", "logic", "a copy that reads the wrong half of a split buffer"),
    # Logic bugs of ours that Chrysalis has no code for.
    _ours("wrong-shift", "logic", "a shift in the wrong direction or by one bit more"),
    _ours("signedness", "logic", "a signed / unsigned type mixed up (int <-> unsigned)"),
    _ours("divide-by-zero", "logic", "a division or modulo whose divisor can be zero"),
    _ours("short-buffer", "logic", "a local array declared one element too small"),
    _ours("shift-register", "logic", "a shift register whose moves run in the wrong order"),
    # Chrysalis pragma bugs (C simulation cannot see them; synthesis or static checks can).
    _chrysalis("APT", "pragma", "an ARRAY_PARTITION type that is wrong (cyclic, block, complete)"),
    _chrysalis("FND", "pragma", "an ARRAY_PARTITION factor that does not divide the size"),
    _chrysalis("DID", "pragma", "an ARRAY_PARTITION dim that is out of range or the wrong one"),
    _chrysalis("DFP", "pragma", "a DATAFLOW pragma in the wrong place (not its region's start)"),
    _chrysalis("IDAP", "pragma", "an INTERFACE mode whose access pattern the code breaks"),
    _chrysalis("RAMB", "pragma", "an m_axi INTERFACE accessed out of order: no burst"),
    _chrysalis("SMA", "pragma", "a scalar given an array INTERFACE mode (m_axi, axis...)"),
    _chrysalis("AMS", "pragma", "an array given a scalar INTERFACE mode (ap_none, s_axilite...)"),
    _chrysalis("MLP", "pragma", "a PIPELINE inside (or around) another pipelined loop"),
    _chrysalis("ILNU", "pragma", "an UNROLLed loop whose inner loop is not fully unrolled"),
    # Pragma bugs of ours that Chrysalis has no code for.
    _ours("partition-banks", "pragma", "a cyclic partition with fewer banks than reads a cycle"),
    _ours("storage-binding", "pragma", "a storage binding that does not fit the memory's use"),
    _ours("pragma-variable", "pragma", "a pragma naming a scalar or a name not in scope"),
    _ours("dataflow-channel", "pragma", "a DATAFLOW region whose tasks break its channel rules"),
    _ours("pipeline-variable-loop", "pragma", "a PIPELINE over a loop with a variable bound"),
    _ours("unroll-trip-count", "pragma", "an UNROLL the loop's trip count cannot take"),
)

CHRYSALIS_CODES: tuple[str, ...] = tuple(c.name for c in CATEGORIES if c.origin == "chrysalis")
"""The Chrysalis codes, in the taxonomy's order (logic first, then pragma)."""

_BY_NAME = {c.name: c for c in CATEGORIES}


def category(name: str) -> Category:
    """The category called ``name`` (KeyError when there is none)."""
    return _BY_NAME[name]


def categories_for(language: str) -> list[Category]:
    """The categories that apply to programs in ``language``, in taxonomy order."""
    return [c for c in CATEGORIES if language in c.languages]
