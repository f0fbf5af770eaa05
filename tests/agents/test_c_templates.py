"""Patch templates for C and HLS C++: token edits that keep every other character."""

from __future__ import annotations

from duckfix.agents.templates import generate
from duckfix.models import Suspect

KERNEL = """\
#include <ap_int.h>
#define N 8

ap_int<20> total(const ap_int<12> in[N], int m[4][4]) {
#pragma HLS PIPELINE II=1
    ap_int<20> acc = 0; // running sum
    for (int i = 0; i < N - 1; i++) {
        acc += in[i] * m[i][0];
    }
    if (acc > 0 && N > 1) acc = acc - 1;
    return clamp(acc, 0, 100);
}
"""


def _edits(line: int) -> dict[str, str]:
    found = generate({"k.cpp": KERNEL}, [Suspect(path="k.cpp", line=line, score=1.0)])
    return {c.description.split(": ", 1)[1]: c.source.split("\n")[line - 1] for c in found}


def test_loop_bounds_and_comparisons() -> None:
    edits = _edits(7)
    assert edits["N - 1 -> N"] == "    for (int i = 0; i < N; i++) {"
    assert edits["< -> <="] == "    for (int i = 0; i <= N - 1; i++) {"
    assert "0 -> 1" in edits


def test_template_brackets_are_not_comparisons_and_comments_are_kept() -> None:
    edits = _edits(6)
    assert not any(k.startswith(("< ->", "> ->")) for k in edits)
    assert edits["0 -> ~0 (all ones)"] == "    ap_int<20> acc = ~0; // running sum"


def test_operators_indices_assignments_and_booleans() -> None:
    body = _edits(8)
    assert body["+= -> ="] == "        acc = in[i] * m[i][0];"
    assert body["* -> /"] == "        acc += in[i] / m[i][0];"
    assert body["[i][0] -> [0][i]"] == "        acc += in[i] * m[0][i];"
    cond = _edits(10)
    assert cond["&& -> ||"] == "    if (acc > 0 || N > 1) acc = acc - 1;"


def test_arguments_swap_and_pragmas_are_never_edited() -> None:
    call = _edits(11)
    assert call["swap acc and 0 in clamp()"] == "    return clamp(0, acc, 100);"
    assert _edits(5) == {}


def test_the_debugger_fixes_an_hls_kernel_with_them() -> None:
    from duckfix.datasets.suites import load_suite
    from duckfix.pipelines.debug import DebugContext, debug_task
    from duckfix.runner import RunOptions, hls_include, run_tests

    task = next(t for t in load_suite("hls") if t.id == "vecsum")
    options = RunOptions(case_timeout=5.0, hls_include=hls_include())
    result = debug_task(task, None, DebugContext(options=options, max_seconds=120))
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None
    assert run_tests(task, "hidden", result.fix, options).all_passed


def test_the_explanation_quotes_the_sanitizer() -> None:
    from duckfix.agents.explainer import explain
    from duckfix.models import Patch, TestOutcome

    from tests.pipelines.conftest import largest_task

    before = {"k.c": "a[i] = 0;\n"}
    patch = Patch.from_sources(before, {"k.c": "a[i - 1] = 0;\n"})
    crash = TestOutcome(
        name="tb.c::edge", status="error",
        message="ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd",
    )  # fmt: skip
    found = explain(largest_task(), patch, crash, None)
    assert (
        "sanitizer: ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd"
        in found.evidence
    )
