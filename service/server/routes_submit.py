"""``POST /v1/reviews``, ``/v1/debug``, ``/v1/bench``: a job, in the store before the 202."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from duckfix.service.server.auth import Caller
from duckfix.service.server.kinds import check_review
from duckfix.service.server.models import Job, Problem, ReviewRequest
from duckfix.service.server.tokens import TokenRecord
from duckfix.service.server.views import ERRORS, job_view

__all__ = ["router", "submit"]

router = APIRouter(prefix="/v1", tags=["jobs"], responses=ERRORS)
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The token's scopes do not include this kind."},
    413: {"model": Problem, "description": "The body is over server.max_upload_mb."},
}


def submit(
    request: Request, response: Response, token: TokenRecord, kind: str, body: dict[str, Any]
) -> Job:
    """Store a queued job for ``token``; answer 202 with it and its ``Location``."""
    services = request.app.state.services
    if not token.allows(kind):
        raise HTTPException(403, f"token {token.name!r} may not submit {kind} jobs")
    job = services.queue.submit(kind, token.id, body)
    if services.pool is not None:
        services.pool.wake()
    response.status_code = 202
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_view(job)


@router.post("/reviews", status_code=202, response_model=Job, responses=SUBMIT_RESPONSES)
def post_review(body: ReviewRequest, request: Request, response: Response, token: Caller) -> Job:
    """Review a diff, a format-patch mbox, or a range of a repository on the server.

    The job's result is what ``duckfix review --json`` prints.
    """
    check_review(body, request.app.state.services.settings)
    return submit(request, response, token, "review", body.model_dump(mode="json"))
