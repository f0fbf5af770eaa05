"""Bug categories the builder injects: general ones, and the Chrysalis taxonomy's.

The HLS categories keep the names of the Chrysalis dataset (its bug-type codes)
so that results compare with it; the one-line meanings are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CATEGORIES", "Category", "categories_for", "category"]

Kind = Literal["logic", "pragma"]


@dataclass(frozen=True)
class Category:
    name: str
    kind: Kind
    languages: tuple[str, ...]
    meaning: str


_GENERAL = ("python", "c", "hls")
_C = ("c", "hls")

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
    Category("OOB", "logic", _C, "an array accessed out of its bounds"),
    Category("INIT", "logic", _C, "a variable read before it is initialised"),
    Category("SHFT", "logic", _C, "a shift by a wrong amount or in the wrong direction"),
    Category("INF", "logic", _C, "a loop that never ends"),
    Category("USE", "logic", _C, "a signed / unsigned type mixed up"),
    Category("MLU", "logic", _C, "a manually unrolled loop whose copies disagree"),
    Category("ZERO", "logic", _C, "a division or modulo that can divide by zero"),
    Category("BUF", "logic", _C, "a buffer too small, or its contents shifted wrongly"),
    # Chrysalis pragma bugs (C simulation cannot see them; synthesis or static checks can).
    Category("APT", "pragma", ("hls",), "an ARRAY_PARTITION type that is wrong or unknown"),
    Category("FND", "pragma", ("hls",), "a partition or unroll factor that does not divide"),
    Category("DID", "pragma", ("hls",), "an ARRAY_PARTITION dim beyond the array's rank"),
    Category("DFP", "pragma", ("hls",), "a DATAFLOW region whose channels break its rules"),
    Category("IDAP", "pragma", ("hls",), "a partition that mismatches the access pattern"),
    Category("RAMB", "pragma", ("hls",), "a storage binding that does not fit the memory's use"),
    Category("SMA", "pragma", ("hls",), "a pragma naming a scalar or a name not in scope"),
    Category("AMS", "pragma", ("hls",), "an INTERFACE mode that does not fit the argument"),
    Category("MLP", "pragma", ("hls",), "a PIPELINE over loops that cannot be fully unrolled"),
    Category("ILNU", "pragma", ("hls",), "an UNROLL that cannot be done as asked"),
)

_BY_NAME = {c.name: c for c in CATEGORIES}


def category(name: str) -> Category:
    """The category called ``name`` (KeyError when there is none)."""
    return _BY_NAME[name]


def categories_for(language: str) -> list[Category]:
    """The categories that apply to programs in ``language``, in taxonomy order."""
    return [c for c in CATEGORIES if language in c.languages]
