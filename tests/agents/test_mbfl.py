"""Mutation-based localization: what a mutant's run says about its line."""

from __future__ import annotations

import pytest

from duckfix.agents.mbfl import (
    EFFECT_WEIGHTS,
    choose_mutants,
    compare,
    distance,
    effect,
    line_scores,
    run_mutants,
)
from duckfix.agents.suspects import find_suspects
from duckfix.agents.templates import Candidate
from duckfix.models import Suspect, Task, TestCase, TestOutcome, TestReport, TestSet
from duckfix.runner import RunOptions, run_tests

FAST = RunOptions(case_timeout=1.0)


def failed(name: str, actual: object, expected: object, status: str = "failed") -> TestOutcome:
    return TestOutcome(name=name, status=status, actual=actual, expected=expected)  # type: ignore[arg-type]


def passed(name: str) -> TestOutcome:
    return TestOutcome(name=name, status="passed")


# ----- one failing test, before and after -----


def test_a_test_the_mutant_makes_pass_is_fixed_one_that_fails_alike_is_unchanged() -> None:
    before = failed("t", 3, 4)
    assert effect(before, passed("t")) == "fixed"
    assert effect(before, failed("t", 3, 4)) == "none"
    assert effect(before, failed("t", 5, 4)) == "changed"
    assert effect(before, failed("t", None, 4, status="error")) == "changed"
    assert effect(before, None) == "changed"


def test_a_list_output_with_fewer_wrong_elements_is_closer() -> None:
    before = failed("t", [1, 9, 9, 4], [1, 2, 3, 4])
    assert effect(before, failed("t", [1, 2, 9, 4], [1, 2, 3, 4])) == "closer"
    assert effect(before, failed("t", [9, 9, 9, 4], [1, 2, 3, 4])) == "changed"
    assert distance([1, 2], [1, 2, 3]) == 1
    assert distance({"a": 1, "b": 2}, {"a": 1, "b": 3}) == 1
    assert distance(3, 4) is None  # a number nearer the right one is as often luck


def test_a_c_bench_first_wrong_element_moving_on_is_closer_staying_is_same() -> None:
    before = failed("tb.c::c", "[5] = 10", "[5] = 12")
    assert effect(before, failed("tb.c::c", "[9] = 1", "[9] = 2")) == "closer"
    assert effect(before, failed("tb.c::c", "[5] = 11", "[5] = 12")) == "same"
    assert effect(before, failed("tb.c::c", "[2] = 0", "[2] = 7")) == "earlier"
    assert EFFECT_WEIGHTS["closer"] > EFFECT_WEIGHTS["same"] > EFFECT_WEIGHTS["earlier"] > 0


def candidate(line: int, template: str = "compare-op", start: int = 0) -> Candidate:
    return Candidate(
        path="p.py", line=line, template=template, description=f"edit {line}",
        start=start, end=start, replacement="x", prior=1.0, score=1.0, size=1,
    )  # fmt: skip


def test_a_mutant_that_fixes_every_failing_test_and_breaks_none_scores_one() -> None:
    baseline = TestReport(outcomes=[failed("f1", 1, 2), failed("f2", 1, 3), passed("p")])
    fix = TestReport(outcomes=[passed("f1"), passed("f2"), passed("p")])
    run = compare(candidate(3), baseline, fix)
    assert run.plausible and run.fixed == ["f1", "f2"] and run.broken == []
    assert run.score == pytest.approx(1.0)
    # Changing both failing tests while breaking the passing one is weaker evidence.
    noisy = TestReport(outcomes=[failed("f1", 0, 2), failed("f2", 0, 3), failed("p", 0, 1)])
    weak = compare(candidate(4), baseline, noisy)
    assert weak.broken == ["p"] and 0 < weak.score < run.score
    # Leaving every failing test exactly as it was says the line is not it.
    same = compare(candidate(5), baseline, baseline)
    assert same.score == 0.0 and not same.plausible
    assert line_scores([run, weak, same]) == {("p.py", 3): 1.0, ("p.py", 4): weak.score,
                                             ("p.py", 5): 0.0}  # fmt: skip


def test_a_c_mutant_that_does_not_build_is_no_evidence() -> None:
    baseline = TestReport(outcomes=[failed("tb.c::a", "[1] = 0", "[1] = 2")])
    broken = TestReport(
        outcomes=[TestOutcome(name="tb.c", status="error", message="does not compile: x.c:3")]
    )
    run = compare(candidate(2), baseline, broken)
    assert not run.compiled and line_scores([run]) == {}


def test_mutants_cover_every_line_once_before_any_line_twice() -> None:
    def make(sources: dict[str, str], suspects: list[Suspect]) -> list[Candidate]:
        line = suspects[0].line
        return [candidate(line, t, start=line * 10 + i) for i, t in
                enumerate(["compare-op", "off-by-one", "delete-stmt", "insert-stmt"])]  # fmt: skip

    lines = [("p.py", n) for n in (7, 3, 5)]
    chosen = choose_mutants({"p.py": ""}, lines, limit=4, per_line=3, make=make)
    assert [(c.line, c.template) for c in chosen] == [
        (7, "compare-op"), (3, "compare-op"), (5, "compare-op"), (7, "delete-stmt"),
    ]  # fmt: skip
    # A statement inserted elsewhere says nothing about the line: never a mutant.
    everything = choose_mutants({"p.py": ""}, lines, limit=99, per_line=9, make=make)
    assert "insert-stmt" not in {c.template for c in everything}


# ----- real runs -----

GOLDEN = '''\
def smooth(xs):
    """Each output is the mean of an input and its right neighbour (the last kept)."""
    out = []
    n = len(xs)
    scale = 2
    for i in range(n - 1):
        total = xs[i] + xs[i + 1]
        out.append(total / scale)
    last = xs[n - 2]
    out.append(last)
    return out
'''


def golden_task() -> Task:
    """Every test runs every line (no branches): Ochiai ties them all."""
    fixed = GOLDEN.replace("xs[n - 2]", "xs[n - 1]")
    cases = [[1, 3, 5], [2, 2, 8, 4], [0, 10]]
    namespace: dict[str, object] = {}
    exec(fixed, namespace)
    expect = namespace["smooth"]
    assert callable(expect)
    return Task(
        id="smooth", entry_point="smooth", program="smooth.py", buggy={"smooth.py": GOLDEN},
        fixed={"smooth.py": fixed},
        visible=TestSet(cases=[TestCase(args=[c], expected=expect(c)) for c in cases]),
    )  # fmt: skip


def test_when_every_line_ties_the_mutants_find_the_buggy_line() -> None:
    task = golden_task()
    found = find_suspects(task, options=FAST, top=20)
    located = found.localization
    assert located.reproduced and located.suspects
    # The spectrum alone cannot tell the lines apart...
    assert len({s.failing_cover for s in located.suspects}) == 1
    # ...the mutants can: one fixes every test, on the buggy line.
    assert located.suspects[0].line == 9, [(s.line, s.score) for s in located.suspects]
    assert "now pass" in located.suspects[0].reason
    assert any(m.fixed and m.candidate.line == 9 for m in found.mutants)
    assert "mutants of" in located.message


def test_no_mutant_budget_leaves_the_spectrum_and_content_order() -> None:
    task = golden_task()
    found = find_suspects(task, options=FAST, top=20, max_mutants=0)
    assert found.mutants == []
    scores = {s.score for s in found.localization.suspects}
    assert len(scores) == 1  # all tie, and nothing but their text orders them


def test_mutants_run_against_every_visible_test() -> None:
    task = golden_task()
    baseline = run_tests(task, "visible", None, FAST)
    mutant = Candidate.between(
        GOLDEN, GOLDEN.replace("xs[n - 2]", "xs[n - 1]"), path="smooth.py", line=9,
        template="off-by-one", description="n - 2 -> n - 1", prior=0.85, score=0.85, size=1,
    )  # fmt: skip
    (run,) = run_mutants(task, dict(task.buggy), [mutant], baseline, FAST, workers=1)
    assert run.plausible and sorted(run.fixed) == sorted(o.name for o in baseline.failed)
