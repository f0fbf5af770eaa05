"""One ranking from the spectrum, mutants and, where the output says what went wrong, values."""

from __future__ import annotations

from duckfix.agents.ranking import VALUE_SHARE, rank_suspects
from duckfix.models import Suspect

PROGRAM = {
    "stats.c": """\
int main(void) {
    long total = 0, count = 0;
    for (int i = 0; i < n; i++) total += xs[i];
    for (int i = 0; i < n; i++) count += xs[i] > 0;
    printf("total %ld\\n", total);
    printf("positive %ld\\n", count);
}
"""
}


def _spectrum() -> list[Suspect]:
    # A golden-output program: every run runs every line, so Ochiai ties them all.
    return [
        Suspect(path="stats.c", line=n, score=0.707, failing_cover=1, passing_cover=1)
        for n in range(2, 7)
    ]


def _order(**evidence: dict[tuple[str, int], float]) -> list[int]:
    return [s.line for s in rank_suspects(_spectrum(), PROGRAM, **evidence)]  # type: ignore[arg-type]


def test_values_decide_between_lines_whose_mutants_did_as_much() -> None:
    mutation = {("stats.c", n): 0.2 for n in (2, 5, 6)} | {("stats.c", 3): 0.5, ("stats.c", 4): 0.5}
    # The wrong line was "positive ...": the count's lines fed it, the total's did not.
    values = {("stats.c", 6): 1.0, ("stats.c", 4): 0.6, ("stats.c", 2): 0.36}
    assert _order(mutation=mutation, values=values)[0] == 4
    without = _order(mutation=mutation)
    assert without[:2] in ([3, 4], [4, 3])


def test_a_line_without_values_keeps_part_of_its_mutation_evidence() -> None:
    mutation = {("stats.c", 3): 1.0, ("stats.c", 4): 0.3}
    values = {("stats.c", 4): 1.0}
    ranked = rank_suspects(_spectrum(), PROGRAM, mutation=mutation, values=values)
    scores = {s.line: s.score for s in ranked}
    # Line 3 keeps 1 - VALUE_SHARE of its strong mutation evidence and stays first.
    assert ranked[0].line == 3
    assert scores[3] > scores[4]
    assert VALUE_SHARE < 1
