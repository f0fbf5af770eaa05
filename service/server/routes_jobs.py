"""``/v1/jobs``: read, list, cancel and follow jobs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from duckfix.service.server.auth import Caller
from duckfix.service.server.models import Job, JobKind, JobList, JobState, Problem
from duckfix.service.server.queue import JobQueue
from duckfix.service.server.views import ERRORS, job_view, own_job

__all__ = ["event_stream", "router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=ERRORS)
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such job, or another token's."}
}
POLL_SECONDS = 0.25
"""How often an open event stream looks for new events in the store."""
KEEPALIVE_SECONDS = 15.0


@router.get("/{job_id}", response_model=Job, responses=_NOT_FOUND)
def get_job(job_id: str, request: Request, token: Caller) -> Job:
    """The job: its state, and its result once it succeeded."""
    return job_view(own_job(request.app.state.services.queue, job_id, token))


@router.get("", response_model=JobList, responses={403: {"model": Problem}})
def list_jobs(
    request: Request,
    token: Caller,
    kind: JobKind | None = None,
    state: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    token_name: Annotated[
        str | None, Query(alias="token", description="Admin only: this token's jobs.")
    ] = None,
) -> JobList:
    """The caller's jobs, newest first (an admin token sees every token's)."""
    queue = request.app.state.services.queue
    if token_name is not None and not token.admin:
        raise HTTPException(403, "only an admin token lists other tokens' jobs")
    owner = None if token.admin else token.id
    jobs = queue.jobs(token_id=owner, token_name=token_name, kind=kind, state=state, limit=limit)
    return JobList(jobs=[job_view(j) for j in jobs])


@router.delete("/{job_id}", response_model=Job, responses=_NOT_FOUND)
def cancel_job(job_id: str, request: Request, token: Caller) -> Job:
    """Cancel: a queued job at once, a running one at its next step. A finished job is as it was."""
    queue = request.app.state.services.queue
    own_job(queue, job_id, token)
    job = queue.cancel(job_id)
    assert job is not None  # it was just read
    return job_view(job)


@router.get(
    "/{job_id}/events",
    responses={
        **_NOT_FOUND,
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
    },
    response_class=StreamingResponse,
)
async def job_events(
    job_id: str,
    request: Request,
    token: Caller,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int, Query(ge=0, description="Start after this event number.")] = 0,
) -> StreamingResponse:
    """The job's steps as server-sent events, from the first (or after ``Last-Event-ID``).

    Events: ``state`` (queued, running), ``run`` (its run id), ``step`` (a
    debug step), ``task`` (a bench task's outcome), ``reviewed`` (a patch's
    finding counts), and last ``end`` with the job's final state. Each has
    an ``id``, its number, so a reconnect resumes where it was.
    """
    queue = request.app.state.services.queue
    await run_in_threadpool(own_job, queue, job_id, token)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = max(after, int(last_event_id))
    return StreamingResponse(
        event_stream(queue, job_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def event_stream(queue: JobQueue, job_id: str, after: int) -> AsyncIterator[str]:
    """A job's events after ``after`` as server-sent events, until its ``end`` event."""
    idle = 0.0
    while True:
        events = await run_in_threadpool(queue.events, job_id, after)
        for event in events:
            after = event.seq
            yield f"id: {event.seq}\nevent: {event.event}\ndata: {json.dumps(event.data)}\n\n"
            if event.event == "end":
                return
        if events:
            idle = 0.0
            continue
        await asyncio.sleep(POLL_SECONDS)
        idle += POLL_SECONDS
        if idle >= KEEPALIVE_SECONDS:  # proxies close a stream that says nothing for long
            idle = 0.0
            yield ": keep-alive\n\n"
