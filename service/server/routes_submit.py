"""``POST /v1/reviews``, ``/v1/debug``, ``/v1/bench``: a job, in the store before the 202."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from duckfix.service.server.auth import Caller
from duckfix.service.server.kinds import check_bench, check_review, load_debug_task
from duckfix.service.server.models import (
    BenchRequest,
    DebugOptions,
    DebugRequest,
    Job,
    Problem,
    ReviewRequest,
)
from duckfix.service.server.tokens import TokenRecord
from duckfix.service.server.views import ERRORS, job_view

__all__ = ["require_scope", "router", "submit"]

router = APIRouter(prefix="/v1", tags=["jobs"], responses=ERRORS)
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "The token's scopes do not include this kind."},
    413: {"model": Problem, "description": "The body is over server.max_upload_mb."},
}


def require_scope(token: TokenRecord, kind: str) -> None:
    """403 unless the token may submit jobs of ``kind``."""
    if not token.allows(kind):
        raise HTTPException(403, f"token {token.name!r} may not submit {kind} jobs")


def submit(
    request: Request, response: Response, token: TokenRecord, kind: str, body: dict[str, Any]
) -> Job:
    """Store a queued job for ``token``; answer 202 with it and its ``Location``."""
    services = request.app.state.services
    require_scope(token, kind)
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


_DEBUG_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DebugRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["task"],
                    "properties": {
                        "task": {"type": "string", "format": "binary",
                                 "description": "The task folder as .tar, .tar.gz or .zip."},
                        **{name: {"type": "string"} for name in DebugOptions.model_fields},
                    },
                }
            },
        },
    }
}  # fmt: skip


@router.post(
    "/debug",
    status_code=202,
    response_model=Job,
    responses={**SUBMIT_RESPONSES, 422: {"model": Problem}},
    openapi_extra=_DEBUG_BODY,
)
async def post_debug(request: Request, response: Response, token: Caller) -> Job:
    """Debug a program and its tests (JSON), or an uploaded task folder (multipart).

    The job's result is what ``duckfix debug --json`` prints.
    """
    services = request.app.state.services
    require_scope(token, "debug")  # before any of the work of reading the task
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = await _debug_upload(request)
    else:
        body = {"source": "program", **_parse(DebugRequest, await _json(request))}
    await run_in_threadpool(_check_debug, body, services.settings)
    return await run_in_threadpool(submit, request, response, token, "debug", body)


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise HTTPException(422, f"the body is not JSON: {exc}") from exc


def _parse(model: type[DebugRequest] | type[DebugOptions], data: Any) -> dict[str, Any]:
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise HTTPException(422, f"{where}: {first['msg']}") from exc


async def _debug_upload(request: Request) -> dict[str, Any]:
    """The multipart form: the archive unpacked by the loader's rules, the options checked."""
    from duckfix.safe_files import megabytes
    from duckfix.service.jobs import max_file_bytes
    from duckfix.service.server.uploads import task_files, unpack

    settings = request.app.state.services.settings
    async with request.form(max_files=1, max_fields=len(DebugOptions.model_fields)) as form:
        upload = form.get("task")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "task: the task folder as a .tar, .tar.gz or .zip file")
        fields = {k: v for k, v in form.items() if k != "task" and isinstance(v, str)}
        options = _parse(DebugOptions, fields)  # "5", "true": read in pydantic's lax mode
        data = await upload.read()
        name = Path(upload.filename or "task").name

    def unpacked() -> dict[str, str]:
        with tempfile.TemporaryDirectory(prefix="duckfix-upload-") as scratch:
            folder = unpack(data, Path(scratch), max_file_bytes=max_file_bytes(settings),
                            max_total_bytes=megabytes(settings.server.max_unpacked_mb))  # fmt: skip
            return task_files(folder, max_file_bytes(settings))

    files = await run_in_threadpool(unpacked)
    return {"source": "folder", "files": files, "name": name, **options}


def _check_debug(body: dict[str, Any], settings: Any) -> None:
    """Load the task as the job will, now, so that a bad one is refused with 422, not queued."""
    with tempfile.TemporaryDirectory(prefix="duckfix-check-") as scratch:
        load_debug_task(body, Path(scratch) / "task", settings)


@router.post("/bench", status_code=202, response_model=Job, responses=SUBMIT_RESPONSES)
def post_bench(body: BenchRequest, request: Request, response: Response, token: Caller) -> Job:
    """Benchmark a suite the server has. The job's result is ``duckfix bench run --json``'s lines,
    as a list."""
    check_bench(body, request.app.state.services.settings)
    return submit(request, response, token, "bench", body.model_dump(mode="json"))
