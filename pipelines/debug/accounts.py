"""The explainer's account of the model's failed fixes, fed to the model's next round.

A small model that is told only "your fix failed: case 3 expected 5, got 4"
tends to write the same fix again. The offline explainer reads the failed
change as a diff and says what it did (which line it added, removed or
rewrote, and to what); with the failing test's outcome beside it, the next
round sees what was tried, and why it was not enough, in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from duckfix.agents.explainer import explain
from duckfix.agents.fixer import candidate_files
from duckfix.agents.templates import Candidate
from duckfix.models import Patch
from duckfix.pipelines.debug.state import DebugState

__all__ = ["MAX_ACCOUNTS", "model_accounts"]

MAX_ACCOUNTS = 3
"""The most recent failed model fixes explained to the next round."""


def model_accounts(state: DebugState, queue: Sequence[Candidate]) -> list[str]:
    """One line per recent failed model fix: what the change did, and the test it still fails."""
    program = state.program if state.program is not None else state.task.buggy
    failed = [a for a in state.attempts if a.template == "llm" and a.outcome == "failed"]
    made = {(c.description, c.path, c.line): c for c in queue if c.template == "llm"}
    first = state.baseline.failed[0] if state.baseline and state.baseline.failed else None
    out: list[str] = []
    for attempt in failed[-MAX_ACCOUNTS:]:
        candidate = made.get((attempt.description, attempt.path, attempt.line))
        if candidate is None:
            continue
        patch = Patch.from_sources(program, candidate_files(program, candidate))
        account = explain(state.task, patch, first, None, state.key_variables)
        out.append(
            f"explainer, on the model's fix of {attempt.path}:{attempt.line}: "
            f"{account.root_cause} Still failing: {attempt.reason or 'a visible test'}"
        )
    return out
