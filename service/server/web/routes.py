"""The web page's routes under ``/web``: log in with a token, runs, results, live progress.

The token a person logs in with is kept in a cookie the page's script cannot
read (HttpOnly) and the browser sends only to this site's own pages
(SameSite=Strict, which also keeps other sites from posting the forms). The
routes are left out of the OpenAPI document: they are pages, not the API.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from duckfix.errors import DuckfixError
from duckfix.service.server.limits import retry_after
from duckfix.service.server.models import ReviewRequest
from duckfix.service.server.queue import JobRecord
from duckfix.service.server.tokens import TokenRecord, authenticate
from duckfix.service.server.web import pages

__all__ = ["COOKIE", "router"]

router = APIRouter(prefix="/web", include_in_schema=False)
COOKIE = "duckfix_token"
_STATIC = Path(__file__).parent / "static"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class LoginNeeded(Exception):
    """No token cookie, or one that no longer works: the page sends the browser to log in."""


def _who(request: Request) -> TokenRecord:
    """The token in the request's cookie; :class:`LoginNeeded` without a live one."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise LoginNeeded
    services = request.app.state.services
    token = authenticate(services.store, secret)
    if token is None:
        raise LoginNeeded
    wait = services.limiter.take(token.id)
    if wait:
        raise HTTPException(429, "too many requests for this token", retry_after(wait))
    return token


def _own(request: Request, job_id: str, token: TokenRecord) -> JobRecord:
    from duckfix.service.server.views import own_job

    return own_job(request.app.state.services.queue, job_id, token)


def login_redirect(_request: Request, _exc: Exception) -> Response:
    """The handler of :class:`LoginNeeded` (installed on the app): to the login form."""
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = _STATIC / name
    if path.suffix not in _TYPES or path.parent != _STATIC or not path.is_file():
        raise HTTPException(404, "no such file")
    return Response(path.read_bytes(), media_type=_TYPES[path.suffix],
                    headers={"Cache-Control": "max-age=300"})  # fmt: skip


@router.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    return HTMLResponse(pages.login_page())


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=500)]) -> Response:
    """Check the token; keep it in the cookie and go to the runs, or say it does not work."""
    secret = token.strip()
    if authenticate(request.app.state.services.store, secret) is None:
        return HTMLResponse(pages.login_page("unknown or revoked token"), status_code=401)
    response = RedirectResponse("/web", status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def runs(
    request: Request,
    kind: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The runs this token may see (an admin: every token's), newest first."""
    token = _who(request)
    chosen_kind = kind if kind in pages.KINDS else None
    chosen_state = state if state in pages.STATES else None
    jobs = request.app.state.services.queue.jobs(
        token_id=None if token.admin else token.id,
        token_name=None,
        kind=chosen_kind,
        state=chosen_state,
        limit=200,
    )
    return HTMLResponse(pages.jobs_page(jobs, token.name, chosen_kind, chosen_state))


@router.get("/review", response_class=HTMLResponse)
def review_form(request: Request) -> HTMLResponse:
    return HTMLResponse(pages.review_form(_who(request).name))


@router.post("/review")
def review_submit(
    request: Request,
    diff: Annotated[str, Form()],
    label: Annotated[str, Form(max_length=200)] = "",
    no_model: Annotated[str | None, Form()] = None,
) -> Response:
    """A review job of the pasted diff or patch e-mail; then its page."""
    from duckfix.pipelines.review import inputs
    from duckfix.service.server.kinds import check_review
    from duckfix.service.server.routes_submit import submit

    token = _who(request)
    text = diff.replace("\r\n", "\n")  # a browser sends a textarea's lines with CRLF
    field = "mbox" if inputs.is_patch_mail(text) else "diff"
    body = ReviewRequest.model_validate(
        {field: text, "label": label.strip() or None, "no_model": no_model is not None}
    )
    try:
        inputs.from_text(text, body.label or "diff")  # said on the form, not in a failed job
        check_review(body, request.app.state.services.settings)
        job = submit(request, Response(), token, "review", body.model_dump(mode="json"))
    except (DuckfixError, HTTPException) as exc:
        said = getattr(exc, "detail", None) or str(exc)
        return HTMLResponse(pages.review_form(token.name, str(said)), status_code=422)
    return RedirectResponse(f"/web/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job(request: Request, job_id: str) -> HTMLResponse:
    token = _who(request)
    record = _own(request, job_id, token)
    return HTMLResponse(pages.job_page(record, token.name, _result_html(request, record)))


def _result_html(request: Request, job: JobRecord) -> str:
    if job.state != "succeeded" or job.result is None:
        return ""
    if job.kind == "review" and isinstance(job.result, dict):
        return pages.review_result(job.result, _review_files(request, job))
    if job.kind == "debug" and isinstance(job.result, dict):
        return pages.debug_page(job.result)
    if job.kind == "bench":
        return pages.bench_result(job.id)
    return ""


def _review_files(request: Request, job: JobRecord) -> list[list[Any]]:
    """Each reviewed patch's files (their hunks), parsed again from the job's input."""
    from duckfix.pipelines.review import inputs

    body = job.request
    label = body.get("label") or "diff"
    try:
        if body.get("diff") is not None or body.get("mbox") is not None:
            reviews = inputs.from_text(body.get("diff") or body.get("mbox") or "", label)
        else:
            from duckfix.service.server.kinds import repo_path

            settings = request.app.state.services.settings
            git_repo = inputs.open_repo(repo_path(body["repo"], settings))
            reviews = [inputs.from_range(git_repo, body["range"])]
    except DuckfixError:
        return []  # the findings are still shown, by file, without their lines
    return [list(r.files) for r in reviews]


@router.get("/jobs/{job_id}/report", response_class=HTMLResponse)
def bench_report(request: Request, job_id: str) -> HTMLResponse:
    """A bench job's report: the HTML ``duckfix bench`` writes, plots and all."""
    from duckfix.pipelines.bench import BenchResult
    from duckfix.service.report import write_report

    token = _who(request)
    record = _own(request, job_id, token)
    if record.kind != "bench" or record.state != "succeeded" or not record.run_id:
        raise HTTPException(404, "no report: not a finished bench job")
    store = request.app.state.services.store
    run = store.get_run(record.run_id)
    items = record.result if isinstance(record.result, list) else []
    results = [BenchResult.model_validate(r) for r in items]
    with tempfile.TemporaryDirectory(prefix="duckfix-report-") as folder:
        paths = write_report(run, results, Path(folder))
        page = next(p for p in paths if p.suffix == ".html")
        return HTMLResponse(page.read_text("utf-8"))


@router.get("/jobs/{job_id}/events")
async def events(request: Request, job_id: str) -> StreamingResponse:
    """The job's events for the page's EventSource (the API's stream, by cookie)."""
    from duckfix.service.server.routes_jobs import event_stream

    token = await run_in_threadpool(_who, request)
    queue = request.app.state.services.queue
    await run_in_threadpool(_own, request, job_id, token)
    last = request.headers.get("last-event-id", "").strip()
    after = int(last) if last.isdigit() else 0
    return StreamingResponse(
        event_stream(queue, job_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
