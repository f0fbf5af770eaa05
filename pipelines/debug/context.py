"""Run settings of a debug run: one frozen object, passed in, read by every node."""

from __future__ import annotations

from dataclasses import dataclass, field

from duckfix.budgets import MAX_CANDIDATES, MAX_MUTANTS, MAX_SECONDS
from duckfix.deadline import Deadline
from duckfix.llm import LLMClient
from duckfix.runner import RunOptions


@dataclass(frozen=True, kw_only=True)
class DebugContext:
    """What a debug run may spend and how it runs tests."""

    options: RunOptions = field(default_factory=RunOptions)
    """Sandbox limits and per-test timeout for every test run."""
    max_candidates: int = MAX_CANDIDATES
    """Candidate patches validated before the run gives up: the budget that decides."""
    max_seconds: float = MAX_SECONDS
    """Wall-clock safety cap of the whole run (across resumes); large, so that it
    does not decide what a run finds (see :mod:`duckfix.budgets`)."""
    deadline: Deadline | None = None
    """When this session of the run must end; ``debug_task`` and ``resume_task`` set it
    from ``max_seconds``. Without one, only the nodes' own time is counted against
    ``max_seconds`` and test runs are not cut short."""
    max_mutants: int = MAX_MUTANTS
    """Of the candidates, how many may be run first as mutants to localize the fault
    (mutation-based localization); 0 ranks lines by the spectrum and values alone."""
    window: int = 12
    """Once a plausible candidate is found: how many of its line's other candidates are
    tried before the plausible ones are compared (:mod:`duckfix.agents.overfit`)."""
    workers: int = 2
    """Candidates validated at once."""
    top_suspects: int = 10
    """Suspect lines the fixer edits."""
    llm: LLMClient | None = None
    """The model the fixer may ask for candidates; None keeps the run offline."""
    llm_first: bool = False
    """Ask the model once the mutants have run, and try its candidates in turn with the
    templates', rather than once the templates are exhausted. Model candidates never
    use up the candidate budget, so the templates' are all still tried."""
    llm_rounds: int = 3
    """Times the fixer may ask the model in one run."""
    llm_samples: int = 3
    """Requests per round (each asks for a few proposals)."""
    llm_review_rounds: int = 2
    """Times the model reviewer may send a plausible patch back to the fixer."""
