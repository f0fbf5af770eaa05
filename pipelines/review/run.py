"""Running a review without the graph: the same steps the graph's nodes take, called directly.

This is the pre-push hook's path when no model is configured: it imports
neither LangGraph nor the model client (about 1.3 s of imports together on
these machines), only the check functions. :func:`check_file`,
:func:`check_commits` and :func:`finish` are also what the graph's nodes call,
so both paths give the same findings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from duckfix.agents.review_checks import file_checks_with_coverage, run_commit_checks
from duckfix.conventions import Conventions, conventions_for
from duckfix.coverage import CheckRun
from duckfix.findings import Finding
from duckfix.patches import FileContext, Review
from duckfix.pipelines.review.context import close, gather
from duckfix.pipelines.review.merge import merge
from duckfix.review_settings import ReviewSettings

if TYPE_CHECKING:
    from duckfix.git_cli import GitRepo

__all__ = [
    "FileModelReview",
    "ReviewOutcome",
    "blocking",
    "bounded",
    "check_commits",
    "check_file",
    "finish",
    "not_run",
    "review_conventions",
    "run_review",
]

FileModelReview = Callable[[FileContext], tuple[list[Finding], list[str]]]
"""A model's review of one file: findings and notes (what it could not do)."""


@dataclass
class ReviewOutcome:
    """What a review found, what ran where (and what could not), and what it left out."""

    review: Review
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    seconds: float = 0.0
    coverage: list[CheckRun] = field(default_factory=list)
    """Which check ran on which file, and which could not and why: never findings."""

    @property
    def not_run(self) -> list[CheckRun]:
        """The checks that could not run, one per file."""
        return [run for run in self.coverage if run.status == "not-run"]

    @property
    def ran_checks(self) -> list[str]:
        """The checks that ran on at least one file or commit (the model when it was asked)."""
        ran = {run.check for run in self.coverage if run.status == "ran"}
        return [c for c in self.checks if c in ran or c == "model"]


def rule_checks(settings: ReviewSettings) -> list[str]:
    """The deterministic checks the settings turn on."""
    return [name for name in settings.checks if name != "model"]


def bounded(
    work: Callable[[], tuple[list[Finding], list[str]]], deadline: float | None, what: str
) -> tuple[list[Finding], list[str]]:
    """``work()``, or what it has not done by ``deadline`` (a monotonic time) said in a note.

    The work runs in a daemon thread, so a model call still waiting when the
    time is up neither holds the caller nor keeps the process alive.
    """
    if deadline is None:
        return work()
    box: list[tuple[list[Finding], list[str]]] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True, name=f"duckfix-review-{what}")
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise errors[0]
    if not box:
        return [], [f"{what}: not reviewed by the model within the time limit"]
    return box[0]


def check_file(
    ctx: FileContext,
    settings: ReviewSettings,
    names: Sequence[str],
    model: FileModelReview | None = None,
    deadline: float | None = None,
) -> tuple[list[Finding], list[str], list[CheckRun]]:
    """Rule checks on one file, then the model's review if there is one (within ``deadline``).

    Returns the findings, notes on what the model left out, and the coverage.
    """
    findings, runs = file_checks_with_coverage(ctx, settings, names)
    notes: list[str] = []
    if model is not None:
        found, notes = bounded(lambda: model(ctx), deadline, ctx.path)
        findings += found
    return findings, notes, runs


def check_commits(
    review: Review, settings: ReviewSettings, names: Sequence[str]
) -> tuple[list[Finding], list[CheckRun]]:
    """Commit-message and whole-patch checks on the review, and where each ran."""
    from duckfix.pipelines.review.patch_checks import run_patch_checks

    out: list[Finding] = []
    runs: list[CheckRun] = []
    conventions = review_conventions(review, settings) if review.commits else None
    for commit in review.commits:
        out += run_commit_checks(commit, review.repo, settings, names, runs, conventions)
    found, ran = run_patch_checks(review, settings, names)
    return out + found, runs + ran


def review_conventions(review: Review, settings: ReviewSettings) -> Conventions:
    """The project's conventions, from its history before the review's first commit."""
    if not settings.conventions:
        return Conventions()
    first = review.commits[0].sha if review.commits else None
    return conventions_for(review.repo, f"{first}^" if first else "HEAD", settings.history)


def finish(
    outcome: ReviewOutcome,
    findings: list[Finding],
    notes: list[str],
    settings: ReviewSettings,
    coverage: Sequence[CheckRun] = (),
) -> ReviewOutcome:
    """Merge the findings into ``outcome`` (anchor, de-duplicate, rank, cap); keep the coverage."""
    merged = merge(findings, outcome.review, settings)
    outcome.findings = merged.findings
    outcome.omitted = [*notes, *merged.omitted]
    outcome.coverage = list(coverage)
    return outcome


def run_review(
    review: Review,
    settings: ReviewSettings,
    repo: GitRepo | None = None,
    *,
    model: FileModelReview | None = None,
    deadline: float | None = None,
    workers: int = 4,
) -> ReviewOutcome:
    """Review ``review``'s files (in parallel: checks wait on ruff and the compiler) and commits."""
    started = time.monotonic()
    names = rule_checks(settings)
    contexts = gather(review, repo)
    findings: list[Finding] = []
    notes: list[str] = []
    runs: list[CheckRun] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(contexts)))) as pool:
            for found, said, ran in pool.map(
                lambda ctx: check_file(ctx, settings, names, model, deadline), contexts
            ):
                findings += found
                notes += said
                runs += ran
        found, ran = check_commits(review, settings, names)
    finally:
        close(contexts)
    findings += found
    runs += ran
    checks = names + (["model"] if model is not None else [])
    outcome = ReviewOutcome(review, checks=checks)
    finish(outcome, findings, notes, settings, runs)
    outcome.seconds = time.monotonic() - started
    return outcome


_RANK = {"error": 0, "warning": 1, "note": 2}


def blocking(outcomes: Sequence[ReviewOutcome], threshold: str) -> list[Finding]:
    """The findings at or above ``threshold`` (``error`` / ``warning`` / ``note``)."""
    limit = _RANK[threshold]
    return [f for o in outcomes for f in o.findings if _RANK[f.severity] <= limit]


def not_run(outcomes: Sequence[ReviewOutcome]) -> list[CheckRun]:
    """Every check that could not run on a file, over all the outcomes."""
    return [run for outcome in outcomes for run in outcome.not_run]
