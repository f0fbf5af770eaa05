"""C and HLS C++ test benches in the sandbox: compile, run each case, report like a person would."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.datasets.folder import load_task
from duckfix.errors import TaskError
from duckfix.models import Task
from duckfix.runner import RunOptions, hls_include, run_tests

OPTIONS = RunOptions(case_timeout=3.0, hls_include=hls_include())

KERNEL = """\
#include "scale.h"
void scale(const double *in, double *out, int n, double k) {
    for (int i = 0; i < n; i++) out[i] = in[i] * k;
}
"""
HEADER = "void scale(const double *in, double *out, int n, double k);\n"
BENCH = """\
#include "duckfix_tb.h"
#include "scale.h"

DUCKFIX_CASE(doubles) {
    double in[3] = {1.0, 2.0, 3.0}, out[3];
    double want[3] = {2.0, 4.0, 6.0};
    scale(in, out, 3, 2.0);
    DUCKFIX_CHECK_ARRAY_NEAR(out, want, 3, 1e-12);
}

DUCKFIX_CASE(third) {
    double in[1] = {1.0}, out[1];
    scale(in, out, 1, 1.0 / 3.0);
    DUCKFIX_CHECK_NEAR(out[0], 0.33, 1e-9);
}

DUCKFIX_MAIN
"""


def _task(tmp_path: Path, kernel: str = KERNEL, bench: str = BENCH) -> Task:
    root = tmp_path / "scale"
    files = {
        "task.toml": 'id = "scale"\nlanguage = "c"\nentry_point = "scale"\nprogram = "scale.c"\n',
        "buggy/scale.c": kernel,
        "buggy/scale.h": HEADER,
        "tests/visible/tb.c": bench,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)


def test_cases_pass_and_fail_with_values_at_full_precision(tmp_path: Path) -> None:
    report = run_tests(_task(tmp_path), "visible", None, OPTIONS)
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["tests/visible/tb.c::doubles"].status == "passed"
    third = by_name["tests/visible/tb.c::third"]
    assert third.status == "failed"
    # A "%0.2f" dump would print 0.33 for both: full precision shows the gap.
    assert third.actual == "0.33333333333333331" and third.expected == "0.33000000000000002"
    assert "tb.c:14" in third.message


def test_only_runs_the_named_cases(tmp_path: Path) -> None:
    report = run_tests(
        _task(tmp_path), "visible", None, OPTIONS,
        only=["tests/visible/tb.c::third", "tests/visible/tb.c::nope"],
    )  # fmt: skip
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("tests/visible/tb.c::third", "failed"),
        ("tests/visible/tb.c::nope", "error"),
    ]


def test_an_out_of_bounds_write_is_the_sanitizers_error(tmp_path: Path) -> None:
    task = _task(tmp_path, KERNEL.replace("i < n", "i <= n"))
    report = run_tests(task, "visible", None, OPTIONS)
    doubles = next(o for o in report.outcomes if o.name.endswith("::doubles"))
    assert doubles.status == "error" and "AddressSanitizer" in doubles.message


def test_a_hang_is_a_timeout_and_a_compile_error_names_the_line(tmp_path: Path) -> None:
    looping = KERNEL.replace("i++", "i += 0")
    report = run_tests(
        _task(tmp_path / "a", looping), "visible", None, RunOptions(case_timeout=1.0)
    )
    assert {o.status for o in report.outcomes} == {"timeout"}
    broken = KERNEL.replace("out[i] = in[i] * k;", "out[i] = in[i] * k")
    report = run_tests(_task(tmp_path / "b", broken), "visible", None, OPTIONS)
    (outcome,) = report.outcomes
    assert outcome.status == "error" and "does not compile" in outcome.message
    assert "scale.c:3" in outcome.message


def test_a_task_without_a_bench_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="no test bench"):
        _task(tmp_path, bench="int main(void) { return 0; }\n")


@pytest.mark.skipif(hls_include() is None, reason="the hls extra (hls4ml) is not installed")
def test_the_hls_suite_example_runs_with_the_open_ap_types_headers() -> None:
    from duckfix.datasets.suites import load_suite

    task = next(t for t in load_suite("hls") if t.id == "vecsum")
    buggy = run_tests(task, "visible", None, OPTIONS)
    assert any(o.status == "failed" for o in buggy.outcomes)
    assert task.fixed is not None
    fixed = run_tests(task, "hidden", task.fixed, OPTIONS)
    assert fixed.outcomes and all(o.passed for o in fixed.outcomes)


def test_a_traced_run_reports_the_lines_each_case_ran(tmp_path: Path) -> None:
    from duckfix.models import Trace

    task = _task(tmp_path)
    report = run_tests(task, "visible", None, OPTIONS, trace=Trace(files=["scale.c"]))
    lines = {o.name.rsplit("::", 1)[1]: o.lines for o in report.outcomes}
    # The loop header, its body and the closing line of scale(), counted by gcov.
    assert lines["doubles"] == {"scale.c": [2, 3, 4]}
    assert lines["third"] == {"scale.c": [2, 3, 4]}
    assert all(o.values is None for o in report.outcomes)


def test_the_localizer_ranks_c_lines_from_gcov(tmp_path: Path) -> None:
    from duckfix.agents.localizer import localize

    found = localize(_task(tmp_path), None, OPTIONS)
    assert found.reproduced and found.traced == ["scale.c", "scale.h"]
    assert {(s.path, s.line) for s in found.suspects} == {("scale.c", n) for n in (2, 3, 4)}
    assert found.key_variables == []
