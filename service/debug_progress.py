"""The live view of a ``duckfix debug`` run on a terminal: its steps as they happen."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status

__all__ = ["DebugProgress"]


# What the run does after each node ends (the live line says what is under way).
_NEXT = {
    "reproduce": "localizing the fault",
    "localize": "trying candidates",
    "fix": "trying candidates",
    "validate": "trying candidates",
    "relocalize": "the model re-ranks the lines",
    "compare": "comparing the plausible patches",
    "review": "explaining",
    "explain": "done",
}


class DebugProgress:
    """Prints each step of a debug run as it ends, and keeps a live line of the candidates.

    reproduce → localize → candidates tried / plausible / rejected → review →
    explain, with the model's rounds when there is a model. ``verbose`` prints
    every candidate as it is judged. Made only for a terminal: the caller
    passes ``enabled=False`` when output is piped or is JSON.
    """

    def __init__(
        self,
        console: Console,
        *,
        enabled: bool,
        verbose: bool = False,
    ) -> None:
        self._console = console
        self._enabled = enabled
        self._verbose = verbose
        self._model_rounds = 0
        self._counts = {"failed": 0, "plausible": 0, "rejected": 0}
        self._lock = threading.Lock()
        self._status: Status | None = None

    def __enter__(self) -> DebugProgress:
        if self._enabled:
            self._status = self._console.status("reproduce: running the visible tests")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def step(self, node: str, update: dict[str, Any]) -> None:
        """One node of the graph ended with ``update``."""
        if not self._enabled:
            return
        with self._lock:
            self._model_rounds = update.get("llm_rounds", self._model_rounds)
            handler = getattr(self, f"_on_{node}", None)
            if handler is not None:
                handler(update)
            self._refresh(node)

    def _say(self, text: str) -> None:
        self._console.print(text, soft_wrap=True, highlight=False)

    def _on_reproduce(self, update: dict[str, Any]) -> None:
        report = update.get("baseline")
        if report is None:
            return
        failed, total = len(report.failed), len(report.outcomes)
        self._say(f"[bold]reproduce[/]: {failed} of {total} visible tests fail")

    def _on_localize(self, update: dict[str, Any]) -> None:
        suspects = update.get("suspects") or []
        if suspects:
            top = suspects[0]
            where = escape(f"{top.path}:{top.line}")
            self._say(
                f"[bold]localize[/]: {len(suspects)} suspect lines, "
                f"first {where} (score {top.score:.2f})"
            )

    def _on_validate(self, update: dict[str, Any]) -> None:
        for attempt in update.get("attempts") or []:
            self._counts[attempt.outcome] = self._counts.get(attempt.outcome, 0) + 1
            if self._verbose:
                first = attempt.reason.strip().splitlines()[0] if attempt.reason.strip() else ""
                self._say(
                    f"  {escape(attempt.path)}:{attempt.line} {escape(attempt.description)}: "
                    f"{attempt.outcome}{escape(': ' + first) if first else ''}"
                )

    _on_fix = _on_validate  # a model round's proposals are judged there too

    def _on_review(self, update: dict[str, Any]) -> None:
        for attempt in update.get("attempts") or []:
            if attempt.outcome == "rejected":
                self._counts["rejected"] += 1
        if update.get("patch") is not None:
            self._say("[bold]review[/]: the plausible patch is accepted")

    def _refresh(self, node: str) -> None:
        if self._status is None:
            return
        tried = sum(self._counts.values())
        line = _NEXT.get(node, node)
        if node != "reproduce":
            line += (
                f": {tried} candidates tried, {self._counts['plausible']} plausible, "
                f"{self._counts['rejected']} rejected"
            )
        if self._model_rounds:
            line += f"; model: {self._model_rounds} rounds"
        self._status.update(escape(line))
