"""A job's live steps as events: what the terminal shows, as data a client can show too."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text

from duckfix.pipelines.bench import BenchResult
from duckfix.service.bench_view import outcome_line, verdict
from duckfix.service.debug_progress import DebugProgress
from duckfix.service.server.workers import JobControl

__all__ = ["StepEvents", "task_event"]


def _plain(markup: str) -> str:
    return Text.from_markup(markup).plain


class StepEvents(DebugProgress):
    """A debug run's steps, as the terminal's live view words them, sent as ``step`` events.

    Each node's end also sends a ``progress`` event (candidates tried,
    plausible, rejected; the live line's text), and is where a cancelled job
    stops: :meth:`JobControl.emit` raises then.
    """

    def __init__(self, control: JobControl) -> None:
        super().__init__(Console(file=io.StringIO()), enabled=True)
        self._control = control

    def __enter__(self) -> StepEvents:  # no live line: the events are the view
        return self

    def _say(self, text: str) -> None:
        self._control.emit("step", {"text": _plain(text)})

    def _refresh(self, node: str) -> None:
        counts = self._counts
        self._control.emit(
            "progress",
            {"node": node, "tried": sum(counts.values()), "plausible": counts["plausible"],
             "rejected": counts["rejected"], "model_rounds": self._model_rounds},
        )  # fmt: skip


def task_event(result: BenchResult) -> dict[str, Any]:
    """A bench task's outcome: the line ``duckfix bench`` prints for it, and its verdict."""
    return {"task_id": result.task_id, "verdict": verdict(result),
            "text": _plain(outcome_line(result))}  # fmt: skip
