"""Suspects on a golden-output-shaped program: every line ties on the spectrum."""

from __future__ import annotations

from duckfix.agents.suspects import find_suspects
from duckfix.models import Task

from tests.agents.test_mbfl import FAST, GOLDEN, golden_task

UNRELATED = '''\
def unused(ys):
    """Never called by any test: it only moves the function below it down."""
    total = 0
    for y in ys:
        total += y * 2
    return total


'''


def _ranking(task: Task) -> list[tuple[int, str]]:
    """(line, text) of each suspect, best first."""
    found = find_suspects(task, options=FAST, top=50)
    lines = task.buggy[task.program].split("\n")
    return [(s.line, lines[s.line - 1].strip()) for s in found.localization.suspects]


def test_tied_lines_rank_the_buggy_one_in_the_top_five_whatever_their_position() -> None:
    task = golden_task()
    before = _ranking(task)
    assert len(before) >= 8
    assert (9, "last = xs[n - 2]") in before[:5], before
    # Not the file's order top down, which is what a tie broken by position gives.
    assert [line for line, _ in before] != sorted(line for line, _ in before)

    moved = task.model_copy(update={"buggy": {"smooth.py": UNRELATED + GOLDEN}})
    shift = UNRELATED.count("\n")
    after = _ranking(moved)
    # The same lines, in the same order: only their numbers moved.
    assert [text for _, text in after] == [text for _, text in before]
    assert [line - shift for line, _ in after] == [line for line, _ in before]


def test_renaming_an_unrelated_function_changes_nothing_either() -> None:
    task = golden_task()
    one = task.model_copy(update={"buggy": {"smooth.py": UNRELATED + GOLDEN}})
    other = task.model_copy(
        update={"buggy": {"smooth.py": UNRELATED.replace("unused", "helper") + GOLDEN}}
    )
    assert _ranking(one) == _ranking(other)
