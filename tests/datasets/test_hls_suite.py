"""The built-in HLS suite: what each task holds (`duckfix tasks check hls` runs them)."""

from __future__ import annotations

import difflib
import re

import pytest

from duckfix.datasets.suites import load_suite
from duckfix.models import BUG_CATEGORIES, Task

TASKS = load_suite("hls")
_PRAGMA = re.compile(r"#pragma\s+HLS\s+(\w+)", re.IGNORECASE)


def test_the_suite_has_fifteen_kernels_or_more() -> None:
    assert len(TASKS) >= 15
    assert all(t.language == "hls" for t in TASKS)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_each_task_has_one_small_bug_pragmas_and_benches(task: Task) -> None:
    assert task.fixed is not None and task.category in BUG_CATEGORIES
    changed = [
        line
        for path in task.buggy
        for line in difflib.unified_diff(
            task.buggy[path].splitlines(), task.fixed.get(path, "").splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert 1 <= len(changed) <= 8, changed  # one realistic bug, a few lines at most
    pragmas = {m.group(1).lower() for text in task.fixed.values() for m in _PRAGMA.finditer(text)}
    assert pragmas & {"pipeline", "unroll", "array_partition", "dataflow", "interface"}
    assert task.visible.bench_paths and task.hidden.bench_paths
    assert task.description


def test_the_suite_uses_the_hls_types_and_directives_it_promises() -> None:
    text = "\n".join(s for t in TASKS if t.fixed for s in t.fixed.values())
    for needle in ("ap_int<", "ap_uint<", "ap_fixed<", "hls::stream<"):
        assert needle in text, needle
    found = {m.group(1).lower() for m in _PRAGMA.finditer(text)}
    assert {"pipeline", "unroll", "array_partition", "interface", "dataflow"} <= found
