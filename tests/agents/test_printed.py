"""The statements that printed a golden-output run's first wrong line."""

from __future__ import annotations

from duckfix.agents.printed import format_pattern, printed_roots
from duckfix.agents.values import c_slice
from duckfix.models import Difference, TestOutcome, TestReport

REPORT = """\
#include <stdio.h>

static int total(const int *xs, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += xs[i];
    return sum;
}

static int biggest(const int *xs, int n) {
    int best = xs[0];
    for (int i = 1; i < n; i++)
        if (xs[i] > best) best = xs[i];
    return best;
}

int main(void) {
    int xs[4] = {3, 9, 2, 5};
    int n = 4;
    int s = total(xs, n);
    int m = biggest(xs, n);
    printf("items: %d\\n", n);
    printf("sum %d max %d\\n", s, m);
    fprintf(stderr, "done\\n");
    puts("end of report");
    return 0;
}
"""
PATH = "report.c"
RAN = {(PATH, n) for n in (4, 5, 6, 7, 11, 12, 13, 14, 18, 19, 20, 21, 22, 23, 24, 25, 26)}


def _failing(diff: Difference, name: str = "visible/runs.jsonl:one") -> TestReport:
    outcome = TestOutcome(name=name, status="failed", message="", first_difference=diff)
    return TestReport(outcomes=[outcome])


def test_a_format_reads_as_a_pattern_with_a_group_per_argument() -> None:
    found = format_pattern("sum %d max %5.2f %%, %s")
    assert found is not None
    pattern, owners = found
    hit = pattern.fullmatch("sum -3 max  2.50 %, left over")
    assert hit is not None and hit.group(1) == "-3" and hit.group(3) == "left over"
    assert owners == [0, 1, 2]
    assert pattern.fullmatch("sum 3 min 2.5 %, x") is None
    # A star width takes an argument of its own.
    assert format_pattern("%*d|%s")[1] == [1, 2]  # type: ignore[index]
    assert format_pattern("  ") is None


def test_the_call_that_printed_the_wrong_element_names_the_argument_it_came_from() -> None:
    diff = Difference(line=2, expected="sum 19 max 9", actual="sum 19 max 5", element=4)
    failing = _failing(diff)
    roots = printed_roots({PATH: REPORT}, [PATH], RAN, failing, failing)
    assert roots == {(PATH, 23): frozenset({"m"})}
    scores = c_slice({PATH: REPORT}, [PATH], "main", RAN, roots)
    # The printf wrote it, `m = biggest(...)` fed it; the sum's lines did not, and
    # the other printf is no root.
    assert scores[(PATH, 23)] == 1.0
    assert scores[(PATH, 21)] == 0.6
    assert (PATH, 6) not in scores and scores.get((PATH, 22), 0.0) < 1.0


def test_an_element_of_another_argument_leads_to_that_argument() -> None:
    diff = Difference(line=2, expected="sum 19 max 9", actual="sum 18 max 9", element=2)
    failing = _failing(diff)
    roots = printed_roots({PATH: REPORT}, [PATH], RAN, failing, failing)
    assert roots == {(PATH, 23): frozenset({"s"})}


def test_a_missing_line_is_matched_by_what_should_have_been_printed() -> None:
    diff = Difference(line=3, expected="end of report", actual=None)
    failing = _failing(diff)
    roots = printed_roots({PATH: REPORT}, [PATH], RAN, failing, failing)
    assert list(roots) == [(PATH, 25)]


def test_with_no_matching_format_every_output_call_the_run_ran_is_a_root() -> None:
    diff = Difference(line=1, expected="totally", actual="different", element=1)
    failing = _failing(diff)
    roots = printed_roots({PATH: REPORT}, [PATH], RAN, failing, failing)
    # stderr is no output of the run: line 24 is left out.
    assert set(roots) == {(PATH, 22), (PATH, 23), (PATH, 25)}
    assert all(names is None for names in roots.values())


def test_a_call_the_failing_run_did_not_run_printed_nothing() -> None:
    diff = Difference(line=2, expected="sum 19 max 9", actual="sum 19 max 5", element=4)
    lines = {PATH: sorted(n for _, n in RAN if n != 23)}
    traced = TestReport(
        outcomes=[TestOutcome(name="visible/runs.jsonl:one", status="failed", lines=lines)]
    )
    roots = printed_roots({PATH: REPORT}, [PATH], RAN, traced, _failing(diff))
    assert (PATH, 23) not in roots


def test_no_failing_output_means_no_roots() -> None:
    passing = TestReport(outcomes=[TestOutcome(name="visible/runs.jsonl:one", status="passed")])
    assert printed_roots({PATH: REPORT}, [PATH], RAN, passing, passing) == {}
