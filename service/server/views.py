"""Rows of the store as the API shows them, and who may see which."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from duckfix.service.server.models import Job, Problem
from duckfix.service.server.queue import JobQueue, JobRecord
from duckfix.service.server.tokens import TokenRecord

__all__ = ["ERRORS", "job_view", "own_job"]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or an unknown or revoked one."},
    422: {"model": Problem, "description": "The request is not valid: one line says why."},
    429: {"model": Problem, "description": "Past the token's rate; see Retry-After."},
}
"""Responses every authenticated route may give."""


def job_view(job: JobRecord) -> Job:
    return Job(
        id=job.id,
        kind=job.kind,
        state=job.state,
        token=job.token,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        reason=job.reason,
        run_id=job.run_id,
        exit_code=job.exit_code,
        attempt=job.attempt,
        result=job.result,
    )


def own_job(queue: JobQueue, job_id: str, token: TokenRecord) -> JobRecord:
    """The job, if this token may see it (its own, or any for admin); 404 otherwise.

    Another token's job is "not found", exactly like a job that does not
    exist: an id tells nothing about other people's work.
    """
    job = queue.get(job_id)
    if job is None or (job.token_id != token.id and not token.admin):
        raise HTTPException(404, f"no job {job_id}")
    return job
