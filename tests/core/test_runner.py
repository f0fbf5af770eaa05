"""Running a task's tests against versions of its program, in the sandbox."""

from __future__ import annotations

import pytest

from duckfix.errors import TaskError
from duckfix.models import Task, TestCase, TestSet
from duckfix.runner import RunOptions, is_test_file, run_tests

FAST = RunOptions(case_timeout=1.0)

GOOD = "def head(xs, n):\n    return xs[:n]\n"
BUGGY = "def head(xs, n):\n    return xs[:n - 1]\n"


def make_task(program: str = BUGGY, **tests: TestSet) -> Task:
    cases = [
        TestCase(args=[[1, 2, 3], 2], expected=[1, 2], name="c1"),
        TestCase(args=[[1, 2, 3], 0], expected=[], name="c2"),
        TestCase(args=[[], 5], expected=[], name="c3"),
    ]
    return Task(
        id="head",
        entry_point="head",
        program="head.py",
        buggy={"head.py": program},
        fixed={"head.py": GOOD},
        visible=tests.get("visible", TestSet(cases=cases)),
        hidden=tests.get("hidden", TestSet()),
    )


def test_json_cases_pass_and_fail_with_messages() -> None:
    task = make_task()
    report = run_tests(task, "visible", options=FAST)
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["c1"].status == "failed"
    assert by_name["c1"].message == "expected [1, 2], got [1]"
    assert by_name["c1"].actual == [1]
    assert by_name["c3"].status == "passed"
    fixed = run_tests(task, "visible", task.fixed, FAST)
    assert fixed.all_passed and len(fixed.passed) == 3


def test_results_are_normalised_like_json() -> None:
    source = (
        "def f(kind):\n"
        "    return {'tuple': (1, 2), 'set': {3, 1, 2}, 'gen': (i for i in range(3)),\n"
        "            'float': 0.1 + 0.2, 'keys': {1: 'a'}}[kind]\n"
    )
    cases = [
        TestCase(args=["tuple"], expected=[1, 2]),
        TestCase(args=["set"], expected=[1, 2, 3]),
        TestCase(args=["gen"], expected=[0, 1, 2]),
        TestCase(args=["float"], expected=0.3),
        TestCase(args=["keys"], expected={"1": "a"}),
    ]
    task = Task(
        id="f", entry_point="f", program="f.py", buggy={"f.py": source},
        visible=TestSet(cases=cases),
    )  # fmt: skip
    report = run_tests(task, "visible", options=FAST)
    assert [o.status for o in report.outcomes] == ["passed"] * 5, report.outcomes


def test_each_case_gets_fresh_arguments() -> None:
    source = "def f(xs):\n    xs.append(1)\n    return len(xs)\n"
    cases = [TestCase(args=[[]], expected=1), TestCase(args=[[]], expected=1)]
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=cases))  # fmt: skip
    assert run_tests(task, "visible", options=FAST).all_passed


def test_an_endless_case_times_out_and_the_others_still_run() -> None:
    source = "def f(n):\n    while n != 0:\n        n -= 2\n    return 'done'\n"
    cases = [TestCase(args=[4], expected="done"), TestCase(args=[3], expected="done"),
             TestCase(args=[2], expected="done")]  # fmt: skip
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=cases))  # fmt: skip
    report = run_tests(task, "visible", options=FAST)
    assert [o.status for o in report.outcomes] == ["passed", "timeout", "passed"]


def test_a_case_that_kills_the_interpreter_is_blamed_and_the_run_goes_on() -> None:
    source = "import os\n\ndef f(n):\n    if n == 2:\n        os._exit(9)\n    return n\n"
    cases = [TestCase(args=[n], expected=n) for n in (1, 2, 3)]
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=cases))  # fmt: skip
    report = run_tests(task, "visible", options=FAST)
    assert [o.status for o in report.outcomes] == ["passed", "error", "passed"]
    assert "exited with code 9" in report.outcomes[1].message
    assert report.problems


def test_a_program_that_does_not_import_fails_every_case_with_the_reason() -> None:
    task = make_task(
        program="def head(xs, n):\n    return undefined_name\nraise ValueError('boom')\n"
    )
    report = run_tests(task, "visible", options=FAST)
    assert {o.status for o in report.outcomes} == {"error"}
    assert "ValueError: boom" in report.outcomes[0].message


def test_pytest_files_report_each_test() -> None:
    tests = TestSet(
        pytest_files={
            "tests/visible/test_head.py": (
                "from head import head\n\n"
                "def test_two():\n    assert head([1, 2, 3], 2) == [1, 2]\n\n"
                "def test_empty():\n    assert head([], 1) == []\n\n"
                "def test_slow():\n    while True:\n        pass\n"
            )
        }
    )
    task = make_task(visible=tests)
    report = run_tests(task, "visible", options=FAST)
    status = {o.name.split("::")[1]: o.status for o in report.outcomes}
    assert status == {"test_two": "failed", "test_empty": "passed", "test_slow": "timeout"}
    failed = next(o for o in report.outcomes if o.name.endswith("test_two"))
    assert "assert [1] == [1, 2]" in failed.message


def test_pytest_collection_errors_are_outcomes() -> None:
    tests = TestSet(pytest_files={"tests/visible/test_x.py": "import nosuchmodule\n"})
    report = run_tests(make_task(visible=tests), "visible", options=FAST)
    assert report.outcomes and report.outcomes[0].status == "error"
    assert "nosuchmodule" in report.outcomes[0].message


def test_a_candidate_cannot_replace_the_tests() -> None:
    tests = TestSet(pytest_files={"tests/visible/test_head.py": "def test_ok():\n    pass\n"})
    task = make_task(visible=tests)
    with pytest.raises(TaskError, match="may not replace"):
        run_tests(task, "visible", {"head.py": GOOD, "tests/visible/test_head.py": ""}, FAST)


def test_is_test_file() -> None:
    assert is_test_file("tests/test_a.py") and is_test_file("a_test.py")
    assert not is_test_file("conftest.py") and not is_test_file("tests/helper.py")
