"""Run settings of a debug run: one frozen object, passed in, read by every node."""

from __future__ import annotations

from dataclasses import dataclass, field

from duckfix.deadline import Deadline
from duckfix.llm import LLMClient
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
    deadline: Deadline | None = None
    """When this session of the run must end; ``debug_task`` and ``resume_task`` set it
    from ``max_seconds``. Without one, only the nodes' own time is counted against
    ``max_seconds`` and test runs are not cut short."""
    workers: int = 2
    """Candidates validated at once."""
    top_suspects: int = 10
    """Suspect lines the fixer edits."""
    llm: LLMClient | None = None
    """The model the fixer may ask for candidates; None keeps the run offline."""
    llm_first: bool = False
    """Ask the model before the templates rather than once they are exhausted."""
    llm_rounds: int = 3
    """Times the fixer may ask the model in one run."""
    llm_samples: int = 3
    """Requests per round (each asks for a few proposals)."""
    llm_review_rounds: int = 2
    """Times the model reviewer may send a plausible patch back to the fixer."""
