"""A run's budget as a deadline: how much of it each sandboxed run may take."""

from __future__ import annotations

import time

from duckfix.deadline import (
    MIN_CASE_SECONDS,
    Deadline,
    compile_ran_out,
    count_tests,
    out_of_time,
    overhead,
)
from duckfix.models import Task, TestCase, TestOutcome, TestReport, TestSet
from duckfix.runner import TRACE_SLOWDOWN, RunOptions

OPTIONS = RunOptions(case_timeout=2.0, compile_timeout=120.0)


def task(language: str = "python", bench: str = "") -> Task:
    cases = [TestCase(args=[i], expected=i) for i in range(4)]
    tests = TestSet(cases=cases) if language == "python" else TestSet(benches={"tb.c": bench})
    return Task(
        id="t", language=language, entry_point="f", program="f.py", buggy={"f.py": ""},
        visible=tests,
    )  # fmt: skip


def test_plenty_of_time_keeps_the_options_as_they_are() -> None:
    assert Deadline.after(1000).options(OPTIONS, task(), tests=4) is OPTIONS


def test_per_test_timeouts_are_cut_to_end_by_the_deadline() -> None:
    cut = Deadline.after(4.0).options(OPTIONS, task(), tests=4, runs=2, startup=0.5)
    assert cut is not None
    # Two runs, each with its start-up, then eight tests in the three seconds left.
    assert cut.case_timeout <= 3.0 / 8
    assert cut.case_timeout > 3.0 / 8 - 0.01
    traced = Deadline.after(4.0).options(OPTIONS, task(), tests=4, traced=True)
    assert traced is not None and traced.case_timeout <= 4.0 / (4 * TRACE_SLOWDOWN)


def test_no_time_for_a_run_gives_none() -> None:
    assert Deadline.after(0.5).options(OPTIONS, task(), tests=4, startup=1.0) is None
    assert Deadline(time.monotonic() - 1).options(OPTIONS, task(), tests=1) is None
    tiny = Deadline.after(MIN_CASE_SECONDS * 2).options(OPTIONS, task(), tests=100)
    assert tiny is None


def test_a_c_run_shares_its_time_between_compile_and_cases() -> None:
    bench = "DUCKFIX_CASE(a) {}\nDUCKFIX_CASE(b) {}\nDUCKFIX_MAIN\n"
    cut = Deadline.after(20.0).options(OPTIONS, task("c", bench), tests=2)
    assert cut is not None
    assert cut.compile_timeout + 2 * cut.case_timeout <= 20.0
    assert cut.compile_timeout >= 10.0  # the compile gets most of it


def test_a_deadline_says_what_is_left() -> None:
    deadline = Deadline.after(10.0, started=time.monotonic() - 4.0)
    assert 5.5 < deadline.remaining() <= 6.0 and not deadline.passed
    assert Deadline.after(0.0).remaining() == 0.0 and Deadline.after(-1.0).passed


def test_counts_and_overhead() -> None:
    bench = "DUCKFIX_CASE(a) {}\nDUCKFIX_CASE(b) {}\nDUCKFIX_MAIN\n"
    assert count_tests(task()) == 4 and count_tests(task("c", bench)) == 2
    report = TestReport(
        outcomes=[TestOutcome(name="a", status="passed", seconds=0.25)] * 2, seconds=1.5
    )
    assert overhead(report, 2.0) == 1.0
    # A test that timed out reports no time, but took its timeout.
    looped = report.model_copy(
        update={"outcomes": [*report.outcomes, TestOutcome(name="b", status="timeout")]}
    )
    assert overhead(looped.model_copy(update={"seconds": 3.5}), 2.0) == 1.0


def test_what_ran_out_of_time() -> None:
    assert out_of_time(TestOutcome(name="a", status="timeout"))
    cut = TestOutcome(
        name="tb.c", status="error", message="does not compile: the compiler took more than 3 s"
    )
    assert compile_ran_out(cut) and out_of_time(cut)
    assert not out_of_time(TestOutcome(name="a", status="failed", message="expected 1, got 2"))
