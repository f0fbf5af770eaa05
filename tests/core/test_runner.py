"""Running a task's tests against versions of its program, in the sandbox."""

from __future__ import annotations

import pytest

from duckfix.errors import TaskError
from duckfix.models import Task, TestCase, TestSet, Trace
from duckfix.runner import RunOptions, is_test_file, run_tests

FAST = RunOptions(case_timeout=1.0)

GOOD = "def head(xs, n):\n    return xs[:n]\n"
BUGGY = "def head(xs, n):\n    return xs[:n - 1]\n"


def good_with_pytest(files: dict[str, str]) -> Task:
    """The fixed program with these pytest files as its visible tests."""
    return make_task(program=GOOD, visible=TestSet(pytest_files=files))


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


# ----- only: a chosen subset of tests, in a chosen order -----

PYTEST_HEAD = (
    "from head import head\n\n"
    "def test_two():\n    assert head([1, 2, 3], 2) == [1, 2]\n\n"
    "def test_empty():\n    assert head([], 1) == []\n\n"
    "def test_one():\n    assert head([5], 1) == [5]\n"
)


def test_only_runs_exactly_the_named_tests_in_that_order() -> None:
    cases = make_task().visible.cases
    tests = TestSet(cases=cases, pytest_files={"tests/visible/test_head.py": PYTEST_HEAD})
    task = make_task(GOOD, visible=tests)
    wanted = [
        "c3",
        "tests/visible/test_head.py::test_one",
        "c1",
        "tests/visible/test_head.py::test_two",
    ]
    report = run_tests(task, "visible", options=FAST, only=wanted)
    assert [o.name for o in report.outcomes] == wanted
    assert report.all_passed


def test_only_runs_pytest_tests_in_the_order_given() -> None:
    # Each test appends to a module-level list: the order they ran in shows.
    source = (
        "import head\n\nRAN = head.__dict__.setdefault('ran', [])\n\n"
        "def test_a():\n    RAN.append('a')\n\n"
        "def test_b():\n    RAN.append('b')\n\n"
        "def test_order():\n    assert RAN == ['b', 'a']\n"
    )
    task = make_task(GOOD, visible=TestSet(pytest_files={"tests/visible/test_o.py": source}))
    names = [f"tests/visible/test_o.py::test_{n}" for n in ("b", "a", "order")]
    report = run_tests(task, "visible", options=FAST, only=names)
    assert [(o.name, o.status) for o in report.outcomes] == [(n, "passed") for n in names]


def test_only_with_an_unknown_name_reports_it_as_an_error() -> None:
    report = run_tests(make_task(GOOD), "visible", options=FAST, only=["c2", "c9"])
    assert [(o.name, o.status) for o in report.outcomes] == [("c2", "passed"), ("c9", "error")]
    assert report.outcomes[1].message == "no test of this name"


def test_only_names_unnamed_cases_by_position() -> None:
    cases = [TestCase(args=[[1, 2], n], expected=[1, 2][:n]) for n in (0, 1, 2)]
    task = make_task(GOOD, visible=TestSet(cases=cases))
    report = run_tests(task, "visible", options=FAST, only=["case 3", "case 1"])
    assert [o.name for o in report.outcomes] == ["case 3", "case 1"]
    assert [o.expected for o in report.outcomes] == [[1, 2], []]


# ----- trace: executed lines and variable values per test -----

COUNT = """\
LIMIT = 100


def count_below(xs, n):
    total = 0
    for x in xs:
        if x < n:
            total += 1
        elif x > LIMIT:
            raise ValueError(x)
    return total
"""


def count_task(*cases: tuple[list[int], int, int], pytest: str | None = None) -> Task:
    tests = TestSet(
        cases=[
            TestCase(args=[xs, n], expected=e, name=f"c{i}") for i, (xs, n, e) in enumerate(cases)
        ],
        pytest_files={"tests/visible/test_count.py": pytest} if pytest else {},
    )
    return Task(
        id="count", entry_point="count_below", program="count.py", buggy={"count.py": COUNT},
        visible=tests,
    )  # fmt: skip


def test_untraced_outcomes_carry_no_lines() -> None:
    report = run_tests(count_task(([1], 2, 1)), "visible", options=FAST)
    assert report.outcomes[0].lines is None and report.outcomes[0].values is None


def test_trace_records_each_cases_lines_including_the_import() -> None:
    task = count_task(([1, 5], 3, 1), ([], 3, 0), ([200], 3, 0))
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["count.py"]))
    lines = {o.name: o.lines for o in report.outcomes}
    # Lines 1 and 4 run at import, which every case depends on.
    assert lines["c0"] == {"count.py": [1, 4, 5, 6, 7, 8, 9, 11]}
    assert lines["c1"] == {"count.py": [1, 4, 5, 6, 11]}
    assert lines["c2"] == {"count.py": [1, 4, 5, 6, 7, 9, 10]}
    assert [o.status for o in report.outcomes] == ["passed", "passed", "error"]
    assert all(o.values is None for o in report.outcomes)  # nothing watched


def test_trace_ignores_files_it_was_not_asked_about() -> None:
    task = count_task(([1], 3, 1))
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["other.py"]))
    assert report.outcomes[0].lines == {}


def test_watched_lines_give_first_and_last_values() -> None:
    task = count_task(([1, 2, 9], 5, 2), ([9], 5, 0))
    watch = [("count.py", 7), ("count.py", 8)]
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["count.py"], watch=watch))
    first, second = report.outcomes
    assert first.values is not None and second.values is not None
    # Line 7 reads x and n as it starts.
    assert first.values["count.py:7"] == {
        "x": "1", "n": "5", "x@last": "9", "n@last": "5", "@hits": "3",
    }  # fmt: skip
    # Line 8 assigns total: its value just after the line ran.
    assert first.values["count.py:8"] == {"total": "1", "total@last": "2", "@hits": "2"}
    # The second case never reaches line 8: no entry at all.
    assert second.values == {"count.py:7": {"x": "9", "n": "5", "@hits": "1"}}


def test_watched_values_are_short_and_skip_functions_and_missing_names() -> None:
    source = (
        "import math\n\n"
        "def f(n):\n"
        "    big = list(range(n))\n"
        "    text = 'x' * n\n"
        "    out = math.floor(len(big) + len(text) + helper(n)) if n else later\n"
        "    if n > 5:\n"
        "        later = 1\n"
        "    return out\n\n"
        "def helper(n):\n"
        "    return 0\n"
    )
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=[TestCase(args=[1000], expected=2000)]))  # fmt: skip
    trace = Trace(files=["f.py"], watch=[("f.py", 6)])
    report = run_tests(task, "visible", options=FAST, trace=trace)
    values = report.outcomes[0].values
    assert values is not None
    seen = values["f.py:6"]
    # Not math, len or helper (a module and functions), nor later (not yet assigned).
    assert set(seen) == {"big", "text", "n", "out", "@hits"}
    assert len(seen["big"]) <= 200 and len(seen["text"]) <= 200
    assert seen["out"] == "2000"


def test_watched_attributes_of_objects() -> None:
    source = (
        "class Box:\n"
        "    def __init__(self):\n"
        "        self.items = []\n\n"
        "    def put(self, x):\n"
        "        self.items.append(x)\n"
        "        return len(self.items)\n\n"
        "def fill(n):\n"
        "    box = Box()\n"
        "    for i in range(n):\n"
        "        box.put(i)\n"
        "    return box.items\n"
    )
    task = Task(id="b", entry_point="fill", program="b.py", buggy={"b.py": source},
                visible=TestSet(cases=[TestCase(args=[3], expected=[0, 1, 2])]))  # fmt: skip
    trace = Trace(files=["b.py"], watch=[("b.py", 6)])
    report = run_tests(task, "visible", options=FAST, trace=trace)
    assert report.outcomes[0].values == {
        "b.py:6": {"self.items": "[]", "x": "0", "self.items@last": "[0, 1]", "x@last": "2",
                   "@hits": "3"},
    }  # fmt: skip


def test_trace_works_for_pytest_tests_call_phase_and_collection() -> None:
    tests = (
        "import pytest\n"
        "from count import count_below\n\n"
        "@pytest.fixture\n"
        "def xs():\n"
        "    return [1, 2]\n\n"
        "def test_some(xs):\n    assert count_below(xs, 2) == 1\n\n"
        "def test_none():\n    assert count_below([], 2) == 0\n\n"
        "def test_wrong():\n    assert count_below([500], 2) == 0\n"
    )
    task = count_task(pytest=tests)
    trace = Trace(files=["count.py"], watch=[("count.py", 8)])
    report = run_tests(task, "visible", options=FAST, trace=trace)
    by_name = {o.name.split("::")[1]: o for o in report.outcomes}
    assert by_name["test_some"].lines == {"count.py": [1, 4, 5, 6, 7, 8, 9, 11]}
    assert by_name["test_none"].lines == {"count.py": [1, 4, 5, 6, 11]}
    assert by_name["test_wrong"].status == "failed"
    assert by_name["test_wrong"].lines == {"count.py": [1, 4, 5, 6, 7, 9, 10]}
    assert by_name["test_some"].values == {"count.py:8": {"total": "1", "@hits": "1"}}
    assert by_name["test_none"].values == {}


def test_a_test_module_that_fails_to_collect_carries_the_lines_of_the_import() -> None:
    tests = "from count import count_below\n\nraise RuntimeError('broken module')\n"
    report = run_tests(count_task(pytest=tests), "visible", options=FAST,
                       trace=Trace(files=["count.py"]))  # fmt: skip
    [outcome] = report.outcomes
    assert outcome.status == "error" and "broken module" in outcome.message
    assert outcome.lines == {"count.py": [1, 4]}  # LIMIT = ..., def count_below


def test_an_endless_case_still_leaves_coverage_for_the_others() -> None:
    source = "def f(n):\n    while n != 0:\n        n -= 2\n    return 'done'\n"
    cases = [TestCase(args=[4], expected="done"), TestCase(args=[3], expected="done"),
             TestCase(args=[2], expected="done")]  # fmt: skip
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=cases))  # fmt: skip
    quick = RunOptions(case_timeout=0.3)
    report = run_tests(task, "visible", options=quick, trace=Trace(files=["f.py"]))
    assert [o.status for o in report.outcomes] == ["passed", "timeout", "passed"]
    assert [o.lines for o in report.outcomes] == [{"f.py": [1, 2, 3, 4]}, {"f.py": [1, 2, 3]},
                                                  {"f.py": [1, 2, 3, 4]}]  # fmt: skip


def test_a_case_that_kills_the_interpreter_has_no_lines_but_the_others_do() -> None:
    source = "import os\n\ndef f(n):\n    if n == 2:\n        os._exit(9)\n    return n\n"
    cases = [TestCase(args=[n], expected=n) for n in (1, 2, 3)]
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=cases))  # fmt: skip
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["f.py"]))
    assert [o.status for o in report.outcomes] == ["passed", "error", "passed"]
    assert [o.lines for o in report.outcomes] == [{"f.py": [1, 3, 4, 6]}, None,
                                                  {"f.py": [1, 3, 4, 6]}]  # fmt: skip


def test_a_program_that_crashes_at_import_gives_every_case_the_lines_it_ran() -> None:
    source = "X = 1\n\ndef f(n):\n    return n\n\nraise ValueError('boom')\n"
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source},
                visible=TestSet(cases=[TestCase(args=[1], expected=1)] * 2))  # fmt: skip
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["f.py"]))
    assert [o.status for o in report.outcomes] == ["error", "error"]
    assert [o.lines for o in report.outcomes] == [{"f.py": [1, 3, 6]}] * 2
    assert "ValueError: boom" in report.outcomes[0].message


def test_a_syntax_error_names_its_line() -> None:
    task = make_task(program="def head(xs, n):\n    return xs[:n\n")
    report = run_tests(task, "visible", options=FAST)
    assert "(head.py, line 2)" in report.outcomes[0].message


def test_a_pytest_module_that_cannot_import_the_program_keeps_the_lines_it_ran() -> None:
    source = "X = 1\n\ndef f(n):\n    return n\n\nraise ValueError('boom')\n"
    tests = TestSet(
        pytest_files={
            "tests/visible/test_f.py": "from f import f\n\ndef test_f():\n    assert f(1) == 1\n"
        }
    )
    task = Task(id="f", entry_point="f", program="f.py", buggy={"f.py": source}, visible=tests)
    report = run_tests(task, "visible", options=FAST, trace=Trace(files=["f.py"]))
    (failed,) = report.outcomes
    assert failed.status == "error" and "boom" in failed.message
    assert failed.lines == {"f.py": [1, 3, 6]}


def _seen(report: object) -> list[tuple[object, ...]]:
    import re

    outcomes = report.outcomes  # type: ignore[attr-defined]
    return [
        (o.name, o.status, re.sub(r"0x[0-9a-f]+", "0x?", o.message), o.actual, o.lines)
        for o in outcomes
    ]


def test_warm_and_cold_runs_give_the_same_outcomes() -> None:
    import dataclasses

    from duckfix.models import Trace

    pytest_tests = TestSet(
        pytest_files={
            "tests/visible/test_head.py": (
                "from head import head\n\n"
                "def test_two():\n    assert head([1, 2, 3], 2) == [1, 2]\n\n"
                "def test_obj():\n    assert head([object()], 1) == []\n"
            )
        }
    )
    cold = dataclasses.replace(FAST, warm=False)
    for task in (make_task(), make_task(visible=pytest_tests)):
        for trace in (None, Trace(files=["head.py"])):
            a = run_tests(task, "visible", options=cold, trace=trace)
            b = run_tests(task, "visible", options=FAST, trace=trace)
            assert _seen(a) == _seen(b)


# A conftest that gives pytest's own plugins (a module, a plugin class) new fixtures:
# the session it is part of finds them; the next run's session does not.
INJECTOR = """\
import pytest
import _pytest.tmpdir
from _pytest.terminal import TerminalReporter


@pytest.fixture
def from_module():
    return "module"


class WithFixture:
    @pytest.fixture
    def from_class(self):
        return "class"


_pytest.tmpdir.from_module = from_module
TerminalReporter.from_class = WithFixture.__dict__["from_class"]
"""
USES_INJECTED = (
    "def test_injected(from_module, from_class):\n"
    "    assert (from_module, from_class) == ('module', 'class')\n"
)


@pytest.mark.parametrize("warm", [False, True])
def test_fixtures_a_run_gives_pytests_plugins_are_its_own(warm: bool) -> None:
    import dataclasses

    options = dataclasses.replace(FAST, warm=warm)
    injected = good_with_pytest(
        {"tests/conftest.py": INJECTOR, "tests/test_uses.py": USES_INJECTED}
    )
    bare = good_with_pytest({"tests/test_uses.py": USES_INJECTED})
    for _ in range(2):
        assert run_tests(injected, "visible", options=options).all_passed
        report = run_tests(bare, "visible", options=options)
        assert [o.status for o in report.outcomes] == ["error"], report.outcomes
        assert "fixture 'from_module' not found" in report.outcomes[0].message


def test_a_warm_case_run_has_no_more_modules_loaded_than_its_harness_needs() -> None:
    """A JSON-case program sees no pytest in ``sys.modules``, warm or cold: its warm
    runs fork from a spawner with just the harness's modules (smaller, faster to fork)."""
    import dataclasses

    source = (
        "import sys\n\n"
        "def loaded(prefix):\n"
        "    return sorted(m for m in sys.modules if m.split('.')[0] == prefix)\n"
    )
    cases = [TestCase(args=["pytest"], expected=[]), TestCase(args=["_pytest"], expected=[])]
    task = Task(id="loaded", entry_point="loaded", program="loaded.py",
                buggy={"loaded.py": source}, visible=TestSet(cases=cases))  # fmt: skip
    for warm in (False, True):
        report = run_tests(task, "visible", options=dataclasses.replace(FAST, warm=warm))
        assert report.all_passed, report.outcomes


def test_the_case_harness_imports_only_what_its_warm_spawner_preloads() -> None:
    import ast
    from pathlib import Path

    from duckfix import runner

    harness = Path(runner.__file__).parent / "harness" / "cases.py"
    imported = {
        alias.name.split(".")[0]
        for node in ast.parse(harness.read_text()).body
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        str(node.module).split(".")[0]
        for node in ast.parse(harness.read_text()).body
        if isinstance(node, ast.ImportFrom) and node.level == 0
    }
    assert imported - {"os", "sys", "time"} <= set(runner._CASES_MODULES)


# A session as a run sees it: its folder, temporary folder, configuration and
# modules, none of them the warm spawner's own (which rehearsed a session and
# prepared a configuration before forking).
SESSION_PROBE = """\
import os, sys, tempfile

from head import head


def test_the_session_is_the_runs_own(pytestconfig, tmp_path, capsys):
    print("seen")
    assert capsys.readouterr().out == "seen\\n"
    assert tempfile.gettempdir() == "/tmp" or os.path.realpath(tempfile.gettempdir()) != "/"
    assert str(pytestconfig.invocation_params.dir) == os.getcwd()
    assert pytestconfig.rootpath == pytestconfig.invocation_params.dir
    assert pytestconfig.getoption("confcutdir") == "."
    assert not [m for m in sys.modules if "rehearsal" in m]
    assert "spoiled" not in str(pytestconfig.getini("markers"))
    assert os.environ.get("DUCKFIX_REHEARSAL") is None
    assert tmp_path.is_dir() and head([1, 2], 1) == [1]
"""

SPOILER = """\
import _pytest.config


def pytest_configure(config):
    config.addinivalue_line("markers", "spoiled: left by another run")
    _pytest.config.get_config = None
"""


@pytest.mark.parametrize("warm", [False, True])
def test_each_pytest_session_starts_afresh(warm: bool) -> None:
    import dataclasses

    options = dataclasses.replace(FAST, warm=warm)
    spoiler = good_with_pytest(
        {
            "tests/conftest.py": SPOILER,
            "tests/test_spoil.py": "def test_spoiled(pytestconfig):\n"
            '    assert "spoiled" in str(pytestconfig.getini("markers"))\n',
        }
    )
    probe = good_with_pytest({"tests/test_probe.py": SESSION_PROBE})
    for task in (spoiler, probe, probe):
        report = run_tests(task, "visible", options=options)
        assert report.all_passed and len(report.outcomes) == 1, report.outcomes
