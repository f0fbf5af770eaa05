"""Measuring the rule checks on Chrysalis-style bugs: the diff, the right line, checks that fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.datasets.chrysalis import (
    ChrysalisBug,
    ChrysalisDataset,
    LineRange,
    apply_bug,
    load_chrysalis,
    scan_chrysalis,
)
from duckfix.diff import parse_diff
from duckfix.pipelines.review import hls_dataset
from duckfix.pipelines.review.hls_dataset import (
    bug_diff,
    dataset_checks,
    measure,
    measure_folder,
    review_bug,
)
from duckfix.review_settings import ReviewSettings

from tests.datasets.test_chrysalis import build_dataset

# A vendor header that is not installed: gcc cannot check the file, the hls check still can.
PACK = """\
#include <ap_int.h>
#include "vendor_only.h"

ap_uint<8> pack(ap_uint<8> x) {
#pragma HLS INLINE
    ap_uint<8> y = x << 2;
    return y;
}
"""


def make_bug(source: str, original: str, faulty: str, category: str, folder: Path) -> ChrysalisBug:
    return ChrysalisBug(
        suite="s",
        design="pack",
        bug_file=f"bug_{category}.txt",
        index=0,
        category=category,
        source_name="pack.cpp",
        source_dir=folder,
        original_source=source,
        original_code=original,
        faulty_code=faulty,
        **apply_bug(source, original, faulty),
    )


def test_the_diff_injects_the_bug(tmp_path: Path) -> None:
    bug = make_bug(PACK, "x << 2", "x << 9", "SHFT", tmp_path)
    text = bug_diff(bug)
    assert text.startswith("diff --git a/pack.cpp b/pack.cpp\n--- a/pack.cpp\n+++ b/pack.cpp\n")
    (change,) = parse_diff(text)
    assert change.added_lines == {6: "    ap_uint<8> y = x << 9;"}
    assert bug_diff(make_bug(PACK, "nowhere", "x", "SHFT", tmp_path)) == ""


def test_a_check_that_cannot_run_is_counted_apart(tmp_path: Path) -> None:
    bug = make_bug(PACK, "x << 2", "x << 9", "SHFT", tmp_path)
    result = review_bug(bug, ReviewSettings(), ["c", "hls"])
    assert result.unchecked == ["c"]  # gcc: vendor_only.h not found
    assert result.on_line and result.checks == ["hls"]
    assert [f.category for f in result.findings] == ["hls/shift-width"]


def test_a_finding_next_to_a_pragma_is_on_the_line() -> None:
    faulty = ["int a[16];", "#pragma HLS ARRAY_PARTITION variable=a factor=3", "int b;", "x;"]
    changed = LineRange(start=2, end=2)
    assert hls_dataset._on_line(1, changed, faulty)  # the declaration above the pragma
    assert hls_dataset._on_line(3, changed, faulty)
    assert not hls_dataset._on_line(4, changed, faulty)
    plain = LineRange(start=3, end=3)
    assert hls_dataset._on_line(2, plain, faulty)  # the finding itself is on a pragma
    assert not hls_dataset._on_line(4, plain, faulty)  # two plain lines: exact lines only


def test_a_failing_check_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(hls_dataset, "check_file", broken)
    bug = make_bug(PACK, "x << 2", "x << 9", "SHFT", tmp_path)
    dataset = ChrysalisDataset(root=tmp_path, designs=[], bugs=[bug])
    report = measure(dataset, ReviewSettings(), ["hls"], jobs=1)
    assert report.total.applied == 1 and report.total.flagged == 0
    assert report.problems == ["s/pack/bug_SHFT.txt[0]: not reviewed: RuntimeError: boom"]


def test_checks_always_include_c_and_hls_unless_named() -> None:
    settings = ReviewSettings(checks=("hygiene", "commit", "model"))
    assert dataset_checks(settings) == ["hygiene", "c", "hls"]
    assert dataset_checks(settings, chosen=True) == ["hygiene"]


def test_workers_that_read_the_bugs_report_what_a_loaded_dataset_gives(tmp_path: Path) -> None:
    root = build_dataset(tmp_path)
    settings = ReviewSettings()
    loaded = measure(load_chrysalis(root), settings, ["hls"], jobs=2)
    read = measure_folder(scan_chrysalis(root), settings, ["hls"], jobs=2)
    shown = {"seconds", "part_seconds"}  # the clock's, not the review's
    assert read.model_dump(exclude=shown) == loaded.model_dump(exclude=shown)
    assert [b.category for b in read.bugs if b.on_line] == ["SHFT", "FND", "APT", "FND"]
    assert read.part_seconds > 0


def test_parts_cover_every_unit_in_order_and_shrink_towards_the_end() -> None:
    parts = list(hls_dataset._parts(list(range(1000)), jobs=2, cap=64))
    assert [n for n, _ in parts] == list(range(len(parts)))
    assert [u for _, units in parts for u in units] == list(range(1000))
    sizes = [len(units) for _, units in parts]
    assert sizes[0] == 64 and sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    assert [len(u) for _, u in hls_dataset._parts(list(range(5)), jobs=2, cap=64)] == [1] * 5


def test_a_parts_bugs_are_compiled_in_one_sandbox_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duckfix import sandbox

    root = build_dataset(tmp_path)
    settings = ReviewSettings()
    data = load_chrysalis(root)
    alone = [review_bug(bug, settings, ["c"]) for bug in data.bugs]
    assert any(r.findings for r in alone)  # the compiler has something to say
    started: list[object] = []
    real = sandbox.run
    monkeypatch.setattr(sandbox, "run", lambda *a, **kw: started.append(a) or real(*a, **kw))
    for report in (
        measure(data, settings, ["c"], jobs=1),
        measure_folder(scan_chrysalis(root), settings, ["c"], jobs=1),
    ):
        assert [r.model_dump() for r in report.bugs] == [r.model_dump() for r in alone]
    applied = sum(r.applied for r in alone)
    assert len(started) < 2 * applied  # parts this small still hold two bugs or more
    started.clear()
    bugs = [bug for bug in data.bugs if bug.applied]
    designs = {bug.design for bug in bugs}
    assert len(designs) == 3
    found = hls_dataset._review_designs(
        [([bug for bug in bugs if bug.design == name], None) for name in sorted(designs)],
        settings,
        ["c"],
    )
    assert sorted(r.model_dump_json() for r in found) == sorted(
        r.model_dump_json() for r in alone if r.applied
    )
    assert len(started) == 1  # one sandbox for the three designs
