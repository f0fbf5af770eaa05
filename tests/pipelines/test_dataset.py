"""The dataset build's hooks: the review checks' verdict on a pair, and the model's bugs."""

from __future__ import annotations

import json

import pytest

from duckfix.datasets.builder.mutants import Mutant
from duckfix.models import Patch, Task
from duckfix.pipelines.dataset import detector, proposer

from tests.fakes import agent_model

KERNEL = """\
void scale(int a[16]) {
#pragma HLS ARRAY_PARTITION variable=a cyclic factor=4
    for (int i = 0; i < 16; i++) {
#pragma HLS PIPELINE II=1
        a[i] = a[i] * 3;
    }
}
"""


def _task(program: str, text: str, language: str) -> Task:
    return Task(
        id="k", language=language, entry_point="scale", program=program,
        buggy={program: text}, fixed={program: text},
    )  # fmt: skip


def _mutant(text: str, old: str, new: str, category: str, kind: str, file: str) -> Mutant:
    start = text.index(old)
    return Mutant(
        category=category, kind=kind, file=file, start=start, end=start + len(old),  # type: ignore[arg-type]
        replacement=new, line=text.count("\n", 0, start) + 1, description="", mutator="t",
    )  # fmt: skip


def _diff(old: str, new: str) -> str:
    return Patch.from_sources({"k.cpp": old}, {"k.cpp": new}).diff


def test_the_hls_check_flags_a_pragma_bug_on_its_line() -> None:
    pytest.importorskip("tree_sitter_cpp")
    detect = detector("hls")
    task = _task("k.cpp", KERNEL, "hls")
    fnd = _mutant(KERNEL, "factor=4", "factor=3", "FND", "pragma", "k.cpp")
    assert detect(task, fnd, _diff(KERNEL, fnd.apply(KERNEL)), fnd.apply(KERNEL)) == ["hls"]
    logic = _mutant(KERNEL, "a[i] * 3", "a[i] * 4", "wrong-initial-value", "logic", "k.cpp")
    assert detect(task, logic, _diff(KERNEL, logic.apply(KERNEL)), logic.apply(KERNEL)) == []


def test_the_model_bugs_become_mutants_of_the_program() -> None:
    text = "def scale(xs):\n    return [x * 3 for x in xs]\n"
    answer = {"bugs": [{"category": "wrong-operator", "original": "x * 3", "faulty": "x + 3",
                        "explanation": "adds instead of multiplying"}]}  # fmt: skip
    _, client = agent_model(injector=[json.dumps(answer)])
    propose = proposer(client, 2)
    (mutant,) = propose(_task("scale.py", text, "python"), text, ["wrong-operator"])
    assert mutant.mutator == "llm" and mutant.kind == "logic" and mutant.line == 2
    assert mutant.apply(text) == "def scale(xs):\n    return [x + 3 for x in xs]\n"
