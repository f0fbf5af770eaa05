"""The state a debug run carries from node to node (checkpointed after each node)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from duckfix.agents.fixer import Validation
from duckfix.agents.localizer import KeyVariable
from duckfix.agents.pairs import Partial
from duckfix.agents.templates import Candidate
from duckfix.models import Explanation, Patch, Suspect, Task, TestReport, Usage

Status = Literal["running", "fixed", "not_fixed", "no_failure"]


def _append(left: list[Attempt], right: list[Attempt]) -> list[Attempt]:
    return left + right


class Attempt(BaseModel):
    """One candidate the fixer tried, and what became of it."""

    template: str
    description: str
    path: str
    line: int
    outcome: Literal["failed", "plausible", "rejected"]
    reason: str = ""
    """The first failing test for a failed candidate; the reviewer's reason for a rejected one."""
    seconds: float = 0.0
    mutant: bool = False
    """Run as a mutant to localize the fault: against every visible test, before the fixer."""

    @classmethod
    def tried(
        cls, candidate: Candidate, plausible: bool, reason: str, seconds: float, mutant: bool
    ) -> Attempt:
        """The attempt of a candidate that was run (rather than rejected by review)."""
        return cls(
            template=candidate.template,
            description=candidate.description,
            path=candidate.path,
            line=candidate.line,
            outcome="plausible" if plausible else "failed",
            reason=reason,
            seconds=seconds,
            mutant=mutant,
        )


@dataclass(kw_only=True)
class DebugInput:
    """What a caller gives: the task, and the version of its program to debug."""

    task: Task
    """The program's tests (visible ones only are used) and its files."""
    program: dict[str, str] | None = None
    """Run-layout path -> source of the version to debug; the task's buggy one by default."""


@dataclass(kw_only=True)
class DebugState(DebugInput):
    """Everything the nodes share; each field is a channel of the graph."""

    status: Status = "running"
    stop_reason: str = ""
    """Why the run ended, in words for the user."""
    baseline: TestReport | None = None
    """The visible tests against the program before any fix."""
    suspects: list[Suspect] = field(default_factory=list)
    """Ranked suspect lines."""
    key_variables: list[KeyVariable] = field(default_factory=list)
    """Values at the top suspect lines in a failing vs a passing test."""
    queue: list[Candidate] = field(default_factory=list)
    """Template candidates, best first, generated once; model candidates appended per round."""
    next_index: int = 0
    """Position in ``queue`` of the next candidate to validate."""
    generated: bool = False
    """The template candidates have been made and queued (pairs may be queued before)."""
    batch: list[Candidate] = field(default_factory=list)
    """Candidates picked for the current validation round."""
    attempts: Annotated[list[Attempt], _append] = field(default_factory=list)
    """Every candidate tried, in order (appended by each round)."""
    pending: list[Validation] = field(default_factory=list)
    """Plausible candidates (they pass every visible test) waiting for review, best first."""
    window: int = 0
    """Candidates still to try, once a plausible one is found, before the plausible ones are
    compared (its line's other candidates, moved to the front of the queue)."""
    tried: list[tuple[str, int, int, str]] = field(default_factory=list)
    """Keys of the candidates run as mutants, which the fixer's queue leaves out."""
    deferred: list[Candidate] = field(default_factory=list)
    """Pairs whose halves leave a failing test unfixed: queued once the single edits run out."""
    partial: list[Partial] = field(default_factory=list)
    """Candidates that fixed some failing tests and broke no passing one: halves of pairs."""
    localized: list[Suspect] = field(default_factory=list)
    """The localizer's own ranking, kept when the model first re-ranks the suspects: the
    order in which an offline run would have tried the templates comes from it."""
    checked: bool = False
    """An ``llm_first`` run has queued the template candidates an offline run would have
    tried before its first plausible patch, so that the comparison weighs that one too."""
    checking: bool = False
    """Those candidates are running: the first plausible one among them ends the check."""
    disagreements: list[str] = field(default_factory=list)
    """What the comparison of plausible patches found, when they disagree."""
    accepted: Validation | None = None
    """The candidate the reviewer accepted."""
    fix: dict[str, str] | None = None
    """The accepted fix (run-layout path -> source)."""
    patch: Patch | None = None
    explanation: Explanation | None = None
    validations: int = 0
    """Sandboxed test runs made to validate candidates."""
    llm_rounds: int = 0
    """Times the fixer asked the model for candidates."""
    reranked: int = 0
    """The model localizer has re-ranked the suspects for model rounds below this number."""
    rerank: bool = False
    """The fixer wants the model localizer to re-rank before its next model round."""
    model_rejections: int = 0
    """Plausible patches the model reviewer sent back."""
    objected: list[tuple[Validation, str]] = field(default_factory=list)
    """Plausible patches the offline checks accepted and only the model reviewer objected
    to, with its reason: the first is kept if the search finds nothing it accepts."""
    overruled: bool = False
    """The patch under review is one the model objected to, taken back because the search
    found nothing else: it is accepted without asking the model again."""
    review_notes: list[str] = field(default_factory=list)
    """Model objections not acted on, and model errors, from review."""
    seconds: float = 0.0
    """Wall-clock seconds spent in nodes so far (across resumes)."""


class DebugResult(BaseModel):
    """What a debug run hands back to its caller."""

    task_id: str
    program: dict[str, str] = Field(default_factory=dict)
    """The version that was debugged."""
    status: Status
    stop_reason: str
    suspects: list[Suspect] = Field(default_factory=list)
    key_variables: list[KeyVariable] = Field(default_factory=list)
    fix: dict[str, str] | None = None
    patch: Patch | None = None
    explanation: Explanation | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    candidates: int = 0
    validations: int = 0
    seconds: float = 0.0
    failing_before: list[str] = Field(default_factory=list)
    """Visible tests that failed before the fix."""
    review_notes: list[str] = Field(default_factory=list)
    """Model objections not acted on, and model errors, from review."""
    disagreements: list[str] = Field(default_factory=list)
    """When plausible patches behave differently on inputs derived from the visible tests:
    how, and which one was kept."""
    mutants: int = 0
    """Candidates run as mutants to localize the fault (counted in ``candidates``)."""
    fixed_by: str = ""
    """The template (or ``llm``) of the accepted patch; empty when none was accepted."""
    llm_usage: Usage = Field(default_factory=Usage)
    """Model calls and tokens this run sent (cache hits are free and not counted)."""
    llm_agents: dict[str, Usage] = Field(default_factory=dict)
    """``llm_usage`` per agent."""
    llm_replies: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Per agent, structured replies ``well_formed`` at once, ``repaired``, ``invalid``,
    and fixer samples that changed nothing new (``unchanged``)."""

    @property
    def fixed(self) -> bool:
        return self.status == "fixed"
