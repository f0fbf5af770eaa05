"""What a worker does for each kind of job: the CLI's own function, and its ``--json``.

Each runner calls the function the command calls (:func:`recorded_review`
for ``duckfix review``, …), so a job's ``result`` is the document the CLI
prints with ``--json`` for the same input, and the pipelines are wired once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckfix.config import REVIEW_CHECKS
from duckfix.errors import UsageError
from duckfix.service.server.models import ReviewRequest
from duckfix.service.server.queue import Claim
from duckfix.service.server.workers import JobControl, JobOutcome, Runner

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.store import Store

__all__ = ["check_review", "runners"]


def _without_model(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm": settings.llm.model_copy(update={"provider": "none"})})


def check_review(request: ReviewRequest, settings: Settings) -> None:
    """Refuse, before a job is made, what the review could never run."""
    unknown = sorted(set(request.checks or ()) - set(REVIEW_CHECKS))
    if unknown:
        raise UsageError(f"unknown checks {', '.join(unknown)}; known: {', '.join(REVIEW_CHECKS)}")
    if request.repo is not None:
        _repo_path(request.repo, settings)


def _repo_path(repo: str, settings: Settings) -> Path:
    """``repo`` resolved, if it lies under one of the ``server.repo_roots``."""
    roots = [Path(r).expanduser().resolve() for r in settings.server.repo_roots]
    if not roots:
        raise UsageError("this server reviews no repository on its disk (server.repo_roots)")
    path = Path(repo).expanduser().resolve()
    if not any(path == root or path.is_relative_to(root) for root in roots):
        raise UsageError(f"{repo}: not under the server's repository roots (server.repo_roots)")
    return path


def review_runner(settings: Settings, store: Store) -> Runner:
    """Run a review job: ``duckfix review --json`` on the diff, mbox or range it carries."""

    def run(claim: Claim, control: JobControl) -> JobOutcome:
        from duckfix.pipelines.review import inputs
        from duckfix.service.review_cmd import recorded_review, review_exit_code, review_json

        request = ReviewRequest.model_validate(claim.request)
        check_review(request, settings)
        review = settings.review.model_copy(
            update={k: v for k, v in (("checks", tuple(request.checks or ()) or None),
                                      ("strict", request.strict)) if v is not None}
        )  # fmt: skip
        chosen = settings.model_copy(update={"review": review})
        if request.no_model:
            chosen = _without_model(chosen)
        git_repo: Any = None
        if request.repo is not None and request.range is not None:
            git_repo = inputs.open_repo(_repo_path(request.repo, settings))
            reviews = [inputs.from_range(git_repo, request.range)]
            label = request.label or request.range
        else:
            text = request.diff if request.diff is not None else request.mbox
            label = request.label or ("diff" if request.diff is not None else "mbox")
            reviews = inputs.from_text(text or "", label)
        control.check()
        _run_id, outcomes = recorded_review(
            reviews, chosen, git_repo, label, store, announce=control.set_run_id
        )
        for outcome in outcomes:
            counts = {s: sum(f.severity == s for f in outcome.findings)
                      for s in ("error", "warning", "note")}  # fmt: skip
            control.emit("reviewed", {"patch": outcome.review.label, "counts": counts})
        threshold = request.fail_on or chosen.review.block_on
        return JobOutcome(
            result=review_json(outcomes, label),
            exit_code=review_exit_code(outcomes, threshold, chosen.review.strict),
        )

    return run


def runners(settings: Settings, store: Store) -> dict[str, Runner]:
    """Every kind's runner."""
    return {"review": review_runner(settings, store)}


RESUMABLE = frozenset({"debug", "bench"})
"""Kinds whose job continues from its checkpoint when a server takes it over."""
