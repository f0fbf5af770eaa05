"""The localizer: Ochiai ranking of the lines that ran in failing tests, and key variables."""

from __future__ import annotations

import math

import pytest

from duckfix.agents.localizer import (
    LineSpectrum,
    blamable_lines,
    localize,
    ochiai,
    program_files,
    rank,
    spectra,
)
from duckfix.models import Task, TestCase, TestOutcome, TestSet
from duckfix.runner import RunOptions

FAST = RunOptions(case_timeout=0.5)


def task_of(source: str, entry: str, *cases: tuple[list[object], object]) -> Task:
    return Task(
        id=entry,
        entry_point=entry,
        program=f"{entry}.py",
        buggy={f"{entry}.py": source},
        visible=TestSet(cases=[TestCase(args=a, expected=e) for a, e in cases]),
    )


# ----- the scoring -----


def test_ochiai_formula() -> None:
    assert ochiai(ef=2, ep=1, nf=0) == pytest.approx(2 / math.sqrt(2 * 3))
    assert ochiai(ef=1, ep=0, nf=1) == pytest.approx(1 / math.sqrt(2))
    assert ochiai(ef=3, ep=0, nf=0) == 1.0
    assert ochiai(ef=0, ep=4, nf=2) == 0.0
    assert ochiai(ef=0, ep=0, nf=0) == 0.0  # a line nobody ran


def outcome(name: str, passed: bool, lines: list[int] | None) -> TestOutcome:
    return TestOutcome(
        name=name,
        status="passed" if passed else "failed",
        lines=None if lines is None else {"p.py": lines},
    )


def test_spectrum_and_ranking_on_a_hand_made_example() -> None:
    #            line: 1  2  3  4  5
    # f1 (fails)       x  x  x     x
    # f2 (fails)       x     x  x
    # p1 (passes)      x  x
    # p2 (passes)      x        x
    # s  (skipped)     x  x  x  x  x   -- ignored
    outcomes = [
        outcome("f1", False, [1, 2, 3, 5]),
        outcome("f2", False, [1, 3, 4]),
        outcome("p1", True, [1, 2]),
        outcome("p2", True, [1, 4]),
        TestOutcome(name="s", status="skipped", lines={"p.py": [1, 2, 3, 4, 5]}),
    ]
    lines = {(s.path, s.line): s for s in spectra(outcomes)}
    assert lines[("p.py", 1)] == LineSpectrum("p.py", 1, ef=2, ep=2, nf=0, np=0)
    assert lines[("p.py", 5)] == LineSpectrum("p.py", 5, ef=1, ep=0, nf=1, np=2)
    suspects = rank(lines.values())
    assert [s.line for s in suspects] == [3, 1, 5, 2, 4]
    scores = {s.line: s.score for s in suspects}
    assert scores[3] == pytest.approx(1.0)  # ef=2, ep=0
    # Lines 1 and 5 tie on score; line 1 ran in more failing tests.
    assert scores[1] == pytest.approx(2 / math.sqrt(2 * 4))  # ef=2, ep=2
    assert scores[5] == pytest.approx(1 / math.sqrt(2))  # ef=1, ep=0, nf=1
    assert scores[1] == scores[5]
    # Lines 2 and 4 tie (ef=1, ep=1, nf=1): same cover, so line order decides.
    assert scores[2] == scores[4] == pytest.approx(1 / math.sqrt(2 * 2))
    assert suspects[0].failing_cover == 2 and suspects[0].passing_cover == 0
    assert suspects[0].reason == "ran in 2 of 2 failing tests and 0 of 2 passing tests"


def test_ties_prefer_more_failing_cover_then_less_passing_cover() -> None:
    same = [
        LineSpectrum("p.py", 9, ef=1, ep=0, nf=3, np=5),  # 1/sqrt(4*1) = 0.5
        LineSpectrum("p.py", 8, ef=4, ep=12, nf=0, np=0),  # 4/sqrt(4*16) = 0.5
        LineSpectrum("p.py", 7, ef=2, ep=4, nf=2, np=1),  # 2/sqrt(4*6) < 0.5
        LineSpectrum("a.py", 1, ef=4, ep=12, nf=0, np=0),  # ties line 8 in everything
    ]
    assert [(s.path, s.line) for s in rank(same, order=["p.py", "a.py"])] == [
        ("p.py", 8), ("a.py", 1), ("p.py", 9), ("p.py", 7),
    ]  # fmt: skip


def test_a_test_without_a_line_record_counts_as_covering_nothing() -> None:
    outcomes = [outcome("f1", False, [2]), outcome("f2", False, None), outcome("p", True, [1])]
    (line,) = spectra(outcomes)
    assert (line.line, line.ef, line.nf, line.ep) == (2, 1, 1, 0)


def test_blamable_lines_leave_out_headers_docstrings_and_plumbing() -> None:
    source = (
        "import math\n"  # 1
        "\n"  # 2
        "@staticmethod\n"  # 3
        "def f(xs,\n"  # 4
        "      n=2):\n"  # 5
        '    """Docs."""\n'  # 6
        "    total = (1 +\n"  # 7
        "             n)  # comment\n"  # 8
        "    try:\n"  # 9
        "        if xs:\n"  # 10
        "            pass\n"  # 11
        "        else:\n"  # 12
        "            total += 1\n"  # 13
        "    except ValueError:\n"  # 14
        "        raise\n"  # 15
        "    for x in xs: total += x\n"  # 16
        "    return total\n"  # 17
    )
    assert blamable_lines(source) == {7, 8, 10, 13, 15, 16, 17}
    assert blamable_lines("def f(:\n") is None


def test_program_files_trace_the_program_and_its_helpers_not_tests() -> None:
    task = task_of("", "main")
    program = {"main.py": "", "util/helpers.py": "", "conftest.py": "", "test_main.py": "",
               "data.txt": "", "a.py": ""}  # fmt: skip
    assert program_files(task, program) == ["main.py", "a.py", "util/helpers.py"]


# ----- localize on classic single-line bugs -----

WRONG_OPERATOR = """\
def absdiff(a, b):
    if a > b:
        return a - b
    return a + b
"""

OFF_BY_ONE = """\
def clamp_index(i, n):
    \"\"\"i clamped to a valid index of a list of length n.\"\"\"
    if i < 0:
        return 0
    if i >= n:
        return n
    return i
"""

WRONG_COMPARISON = """\
def largest(xs):
    \"\"\"The largest item of a non-empty list.\"\"\"
    best = xs[0]
    for x in xs[1:]:
        if x < best:
            best = x
    return best
"""

ENDLESS = """\
def first_true(flags):
    \"\"\"Index of the first True in [False, ..., True, ...], len(flags) if none.\"\"\"
    lo, hi = 0, len(flags)
    while lo < hi:
        mid = (lo + hi) // 2
        if flags[mid]:
            hi = mid
        else:
            lo = mid
    return lo
"""


@pytest.mark.parametrize(
    ("task", "buggy_line"),
    [
        (
            task_of(WRONG_OPERATOR, "absdiff", ([5, 3], 2), ([9, 1], 8), ([2, 7], 5), ([1, 4], 3)),
            4,
        ),
        (
            task_of(OFF_BY_ONE, "clamp_index", ([3, 5], 3), ([-2, 5], 0), ([7, 5], 4), ([5, 5], 4)),
            6,
        ),
        (
            task_of(
                WRONG_COMPARISON,
                "largest",
                ([[3, 1, 2]], 3),
                ([[1, 5]], 5),
                ([[7]], 7),
                ([[2, 2]], 2),
            ),
            5,
        ),
        (task_of(ENDLESS, "first_true", ([[True, True]], 0), ([[]], 0), ([[False, True]], 1)), 9),
    ],
    ids=["wrong-operator", "off-by-one", "wrong-comparison", "infinite-loop"],
)
def test_the_buggy_line_ranks_first(task: Task, buggy_line: int) -> None:
    found = localize(task, options=FAST)
    assert found.reproduced
    assert found.suspects[0].line == buggy_line, found.suspects
    assert found.suspects[0].path == task.program


def test_the_infinite_loop_is_blamed_from_the_test_that_timed_out() -> None:
    task = task_of(ENDLESS, "first_true", ([[True, True]], 0), ([[]], 0), ([[False, True]], 1))
    found = localize(task, options=FAST)
    assert found.failing == ["case 3"] and found.passing == ["case 1", "case 2"]
    top = found.suspects[0]
    assert (top.line, top.score, top.failing_cover, top.passing_cover) == (9, 1.0, 1, 0)


def test_a_bug_on_a_continuation_line_of_a_statement_is_still_ranked() -> None:
    source = """\
def price(item, n):
    if n > 10:
        rates = [
            0.5,
            0.8,
        ]
        return item * rates[1]
    return item
"""
    found = localize(task_of(source, "price", ([10, 5], 10), ([10, 20], 5.0)), options=FAST)
    # The constant list is one line event (line 3), yet its lines all ran.
    top = found.suspects[:5]
    assert sorted(s.line for s in top) == [3, 4, 5, 6, 7] and {s.score for s in top} == {1.0}


def test_suspects_are_cut_at_top_and_skip_unblamable_lines() -> None:
    task = task_of(WRONG_COMPARISON, "largest", ([[3, 1, 2]], 3), ([[7]], 7))
    found = localize(task, options=FAST, top=2)
    assert len(found.suspects) == 2
    everything = localize(task, options=FAST, top=100)
    assert {s.line for s in everything.suspects} == {3, 4, 5, 6, 7}  # not 1 (def), 2 (docstring)


def test_key_variables_differ_between_the_failing_and_the_passing_test() -> None:
    task = task_of(WRONG_COMPARISON, "largest", ([[3, 1, 2]], 3), ([[7]], 7), ([[2, 2]], 2))
    found = localize(task, options=FAST)
    # The passing test watched is the one that reaches most of the top lines.
    assert found.watched == ["case 1", "case 3"]
    # best = x (line 6) only runs in the failing test; the comparison (5) in one passing test.
    assert [s.line for s in found.suspects[:2]] == [6, 5]
    at_comparison = {v.name: v for v in found.key_variables if v.line == 5}
    assert list(at_comparison) == ["x", "best"]
    best = at_comparison["best"]
    # Failing [3, 1, 2]: best drops to 1 then the loop compares 2 with it.
    assert (best.failing_first, best.failing, best.failing_hits) == ("3", "1", 2)
    assert (best.passing_first, best.passing, best.passing_hits) == ("2", "2", 1)
    assert best.failing != best.passing
    lines = [v.line for v in found.key_variables]
    assert lines == sorted(lines, key=[s.line for s in found.suspects].index)  # suspect order
    assignment = next(v for v in found.key_variables if v.line == 6 and v.name == "best")
    assert assignment.failing == "1" and assignment.passing is None


def test_a_key_variable_the_passing_test_never_reached_is_none() -> None:
    task = task_of(WRONG_OPERATOR, "absdiff", ([5, 3], 2), ([2, 7], 5))
    found = localize(task, options=FAST)
    at_bug = {v.name: v for v in found.key_variables if v.line == 4}
    assert at_bug["a"].failing == "2" and at_bug["a"].passing is None
    assert at_bug["a"].passing_hits == 0


def test_nothing_to_localize_when_every_test_passes() -> None:
    fixed = WRONG_OPERATOR.replace("a + b", "b - a")
    found = localize(task_of(fixed, "absdiff", ([5, 3], 2), ([2, 7], 5)), options=FAST)
    assert not found.reproduced
    assert found.suspects == [] and found.key_variables == []
    assert found.passing == ["case 1", "case 2"] and found.failing == []
    assert "all 2 visible tests pass" in found.message


def test_a_program_that_crashes_at_import_blames_its_module_level_code() -> None:
    source = "LIMIT = 3\n\ndef f(n):\n    return n\n\nf(LIMIT)[0]\n"
    found = localize(task_of(source, "f", ([1], 1), ([2], 2)), options=FAST)
    assert found.reproduced and found.failing == ["case 1", "case 2"]
    # Every line that ran did so in every (failing) test: one score; the tie is broken
    # by what the lines hold (the most to get wrong first), never by their order.
    assert [s.line for s in found.suspects] == [6, 1, 4]
    assert {s.score for s in found.suspects} == {1.0}


def test_a_program_that_does_not_parse_points_at_the_syntax_error() -> None:
    source = "def f(n):\n    m = n\n    return (m\n"
    found = localize(task_of(source, "f", ([1], 1)), options=FAST)
    assert found.reproduced
    assert "none ran a line" in found.message
    assert found.suspects[0].line == 3
    assert found.suspects[0].reason == "the failing tests' error points here"
    assert {s.line for s in found.suspects} == {1, 2, 3}


def test_localize_pytest_tests_of_a_class() -> None:
    source = """\
class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)

    def pop(self):
        return self.items.pop(0)

    def size(self):
        return len(self.items)
"""
    tests = """\
from stack import Stack

def test_pop_is_last_in():
    s = Stack()
    s.push(1)
    s.push(2)
    assert s.pop() == 2

def test_size():
    s = Stack()
    s.push(1)
    assert s.size() == 1

def test_single():
    s = Stack()
    s.push(5)
    assert s.pop() == 5
"""
    task = Task(
        id="stack", entry_point="Stack", program="stack.py", buggy={"stack.py": source},
        visible=TestSet(pytest_files={"tests/visible/test_stack.py": tests}),
    )  # fmt: skip
    found = localize(task, options=FAST)
    assert found.failing == ["tests/visible/test_stack.py::test_pop_is_last_in"]
    assert found.suspects[0].line == 9
    pops = {v.name: v for v in found.key_variables if v.line == 9}
    assert pops["self.items"].failing == "[1, 2]" and pops["self.items"].passing == "[5]"
