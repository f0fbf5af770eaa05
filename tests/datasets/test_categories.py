"""The bug categories: Chrysalis codes keep Chrysalis's meanings; ours never take a code."""

from __future__ import annotations

from duckfix.datasets.builder.categories import (
    CATEGORIES,
    CHRYSALIS_CODES,
    categories_for,
    category,
)
from duckfix.datasets.chrysalis import CHRYSALIS_CODES as LOADER_CODES

# The codes of the Chrysalis README's "Bug Type Specification", in its order.
README_CODES = (
    "OOB", "INIT", "SHFT", "INF", "USE", "MLU", "ZERO", "BUF",
    "APT", "FND", "DID", "DFP", "IDAP", "RAMB", "SMA", "AMS", "MLP", "ILNU",
)  # fmt: skip


def test_the_chrysalis_codes_are_the_datasets_in_its_order() -> None:
    assert CHRYSALIS_CODES == README_CODES == LOADER_CODES
    assert all(category(c).origin == "chrysalis" for c in README_CODES)
    assert [category(c).kind for c in README_CODES] == ["logic"] * 8 + ["pragma"] * 10


def test_names_are_unique_and_ours_are_never_a_code() -> None:
    names = [c.name for c in CATEGORIES]
    assert len(names) == len(set(names))
    ours = [c.name for c in CATEGORIES if c.origin != "chrysalis"]
    # Lower case with hyphens: a new meaning gets a new name, never an upper-case code.
    assert all(n == n.lower() and n.replace("-", "").isalpha() for n in ours), ours


def test_the_meanings_say_what_chrysalis_means() -> None:
    # The codes this project once used with other meanings (issue 13).
    assert "zero" in category("ZERO").meaning and "initialis" in category("ZERO").meaning
    assert "half" in category("BUF").meaning
    assert "INTERFACE" in category("IDAP").meaning
    assert "m_axi" in category("RAMB").meaning and "burst" in category("RAMB").meaning
    assert "DATAFLOW" in category("DFP").meaning and "place" in category("DFP").meaning
    assert "PIPELINE" in category("MLP").meaning and "pipelined" in category("MLP").meaning
    assert "inner loop" in category("ILNU").meaning
    assert "sign-extended" in category("USE").meaning
    assert "width" in category("SHFT").meaning
    # What those codes used to mean lives on under names of our own.
    assert "zero" in category("divide-by-zero").meaning
    assert "too small" in category("short-buffer").meaning


def test_languages() -> None:
    python = {c.name for c in categories_for("python")}
    assert python.isdisjoint(CHRYSALIS_CODES) and "off-by-one" in python
    hls = [c.name for c in categories_for("hls")]
    assert set(README_CODES) <= set(hls) and "storage-binding" in hls
    c_only = {c.name for c in categories_for("c")}
    assert "OOB" in c_only and "APT" not in c_only and "partition-banks" not in c_only
