"""The bug injector's model path: proposals located in the program, or dropped."""

from __future__ import annotations

import json

from duckfix.agents.llm_injector import propose_bugs
from duckfix.errors import LLMRequestError

from tests.fakes import agent_model

PROGRAM = """\
def window_sum(xs, k):
    total = 0
    for i in range(len(xs) - k + 1):
        total = max(total, sum(xs[i:i + k]))
    return total
"""
CATEGORIES = {
    "off-by-one": "a bound moved by one",
    "wrong-initial-value": "an initial value changed",
}


def _answer(*bugs: dict[str, str]) -> str:
    return json.dumps({"bugs": list(bugs)})


def test_proposals_are_located_exactly_or_up_to_spacing() -> None:
    script, client = agent_model(
        injector=[
            _answer(
                {"category": "off-by-one", "original": "range(len(xs) - k + 1)",
                 "faulty": "range(len(xs) - k)", "explanation": "misses the last window"},
                {"category": "wrong-initial-value", "original": "total   =   0",
                 "faulty": "total = 1", "explanation": "starts at one"},
            )
        ]
    )  # fmt: skip
    bugs = propose_bugs(client, PROGRAM, "window_sum.py", "python", CATEGORIES, 4)
    assert [b.category for b in bugs] == ["off-by-one", "wrong-initial-value"]
    first, second = bugs
    assert PROGRAM[first.start : first.end] == "range(len(xs) - k + 1)" and first.line == 3
    assert PROGRAM[second.start : second.end] == "total = 0" and second.line == 2
    # The program reached the model as data, with the categories asked for.
    asked = script.user("injector")
    assert "DATA (program)" in asked and "def window_sum" in asked and "off-by-one" in asked


def test_proposals_the_program_does_not_have_are_dropped() -> None:
    _, client = agent_model(
        injector=[
            _answer(
                {"category": "off-by-one", "original": "for j in range(k)", "faulty": "x"},
                {"category": "SHFT", "original": "total = 0", "faulty": "total = 0 << 1"},
                {"category": "off-by-one", "original": "return total", "faulty": "return total"},
            )
        ]
    )
    assert propose_bugs(client, PROGRAM, "window_sum.py", "python", CATEGORIES, 4) == []


def test_a_model_failure_gives_no_proposals() -> None:
    _, client = agent_model(injector=[LLMRequestError("the endpoint is down")])
    assert propose_bugs(client, PROGRAM, "window_sum.py", "python", CATEGORIES, 4) == []


def test_at_most_count_proposals_are_kept() -> None:
    bug = {"category": "off-by-one", "original": "len(xs) - k + 1", "faulty": "len(xs) - k"}
    _, client = agent_model(injector=[_answer(bug, bug, bug)])
    assert len(propose_bugs(client, PROGRAM, "window_sum.py", "python", CATEGORIES, 2)) == 2
