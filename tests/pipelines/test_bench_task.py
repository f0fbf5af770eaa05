"""One bench task: an error inside the debug graph is reported by what failed."""

from __future__ import annotations

import pytest

from duckfix.pipelines import bench
from duckfix.pipelines.debug import DebugContext, nodes
from duckfix.runner import RunOptions

from tests.pipelines.conftest import largest_task


def test_an_error_in_a_node_is_reported_by_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # LangGraph adds a note naming the node to the exception; the result said
    # only "During task with name 'fix' and id ...", not what went wrong.
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise ValueError("the templates could not be made")

    monkeypatch.setattr(nodes, "generate", broken)
    context = DebugContext(options=RunOptions(case_timeout=1.0), workers=1, max_mutants=0)
    result = bench.bench_task(largest_task(), context)
    assert result.status == "error"
    assert result.stop_reason == "ValueError: the templates could not be made"
