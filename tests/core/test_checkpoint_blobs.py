"""Large texts in SQLite checkpoints are stored once, and a run still resumes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import duckfix.checkpoint_blobs as blobs
from duckfix.checkpoint_blobs import BlobSerializer
from duckfix.models import Task, TestCase, TestSet


def big_task(text: str) -> Task:
    return Task(
        id="t", entry_point="f", program="f.py", buggy={"f.py": text}, fixed={"f.py": text + "#"},
        visible=TestSet(cases=[TestCase(args=[1], expected=1)]),
    )  # fmt: skip


def test_long_strings_are_kept_once_and_come_back(tmp_path: Path) -> None:
    serde = BlobSerializer(str(tmp_path / "db.sqlite"), allowed_msgpack_modules=[Task])
    text = "x = 1\n" * 50_000
    value = {"task": big_task(text), "program": {"f.py": text}, "small": ["y = 2\n"]}
    dumped = [serde.dumps_typed(value) for _ in range(5)]
    assert all(len(data) < 2_000 for _, data in dumped)
    assert serde.loads_typed(dumped[-1]) == value
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM checkpoint_blobs").fetchone() == (2,)
    # Another process (a resume) reads them from the database.
    again = BlobSerializer(str(tmp_path / "db.sqlite"), allowed_msgpack_modules=[Task])
    assert again.loads_typed(dumped[0]) == value


def test_small_values_are_written_as_before(tmp_path: Path) -> None:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = BlobSerializer(str(tmp_path / "db.sqlite"), allowed_msgpack_modules=[Task])
    plain = JsonPlusSerializer(allowed_msgpack_modules=[Task])
    value = {"task": big_task("def f(x):\n    return x\n"), "n": 3}
    assert serde.dumps_typed(value) == plain.dumps_typed(value)


def test_a_debug_run_resumes_from_checkpoints_with_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duckfix.pipelines.debug import DebugContext, build_graph
    from duckfix.pipelines.debug.graph import resume_task
    from duckfix.pipelines.debug.state import DebugInput
    from duckfix.runner import RunOptions
    from duckfix.service.debug_cmd import _checkpointer

    from tests.pipelines.conftest import largest_task

    monkeypatch.setattr(blobs, "BLOB_CHARS", 100)  # the task's program counts as large
    database = f"sqlite:///{tmp_path / 'duckfix.db'}"
    context = DebugContext(options=RunOptions(case_timeout=1.0), workers=2)
    config = {"configurable": {"thread_id": "t1"}, "recursion_limit": 1000}
    graph = build_graph(_checkpointer(database))
    start = DebugInput(task=largest_task())
    graph.invoke(start, config, context=context, interrupt_after=["localize"])  # type: ignore[arg-type]
    conn = sqlite3.connect(tmp_path / "duckfix.db")
    assert conn.execute("SELECT COUNT(*) FROM checkpoint_blobs").fetchone()[0] >= 1
    resumed = resume_task("t1", _checkpointer(database), context)
    assert resumed is not None and resumed.status == "fixed"
    assert resumed.program == largest_task().buggy
