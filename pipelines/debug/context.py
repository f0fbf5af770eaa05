"""Run settings of a debug run: one frozen object, passed in, read by every node."""

from __future__ import annotations

from dataclasses import dataclass, field

from duckfix.runner import RunOptions


@dataclass(frozen=True, kw_only=True)
class DebugContext:
    """What a debug run may spend and how it runs tests."""

    options: RunOptions = field(default_factory=RunOptions)
    """Sandbox limits and per-test timeout for every test run."""
    max_candidates: int = 400
    """Candidate patches validated before the run gives up."""
    max_seconds: float = 120.0
    """Wall-clock budget of the whole run (across resumes)."""
    workers: int = 2
    """Candidates validated at once."""
    top_suspects: int = 10
    """Suspect lines the fixer edits."""
