"""The app factory: one FastAPI app over one store, with its workers started and stopped by it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from duckfix import __version__
from duckfix.errors import DuckfixError, NotFoundError, StoreError, UsageError
from duckfix.safe_files import megabytes
from duckfix.service.server.executors import ServerExecutor
from duckfix.service.server.limits import RateLimiter, SizeLimit
from duckfix.service.server.models import one_line
from duckfix.service.server.queue import JobQueue
from duckfix.service.server.workers import WorkerPool

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.store import Store

__all__ = ["Services", "create_app"]

log = logging.getLogger("duckfix.serve")


@dataclass
class Services:
    """What every route reaches through ``request.app.state.services``."""

    settings: Settings
    store: Store
    queue: JobQueue
    limiter: RateLimiter
    pool: WorkerPool | None


def create_app(settings: Settings, store: Store, *, workers: int | None = None) -> FastAPI:
    """The API over ``store``; ``workers`` job threads (default ``server.workers``; 0: none)."""
    from duckfix.service.server import routes_health, routes_jobs, routes_submit, web
    from duckfix.service.server.kinds import RESUMABLE, runners

    queue = JobQueue(store)
    count = settings.server.workers if workers is None else workers
    pool = None
    executor = ServerExecutor(settings)
    if count:
        lease = settings.server.lease_seconds
        work = runners(settings, store, executor)
        pool = WorkerPool(queue, work, count, lease, resumable=RESUMABLE)
    services = Services(
        settings=settings,
        store=store,
        queue=queue,
        limiter=RateLimiter(settings.server.rate_per_minute, settings.server.rate_burst),
        pool=pool,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            pool.start()
        try:
            yield
        finally:
            if pool is not None:
                pool.stop()
            executor.close()  # the jobs still running are taken over by the next server

    app = FastAPI(
        title="duckfix",
        version=__version__,
        description="Debugging and code review jobs: submit, follow, read the result.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(SizeLimit, limit=megabytes(settings.server.max_upload_mb))
    app.include_router(routes_health.router)
    app.include_router(routes_submit.router)
    app.include_router(routes_jobs.router)
    web.install(app)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One line, like every other error of duckfix, not pydantic's list.
        return JSONResponse({"detail": one_line(exc.errors())}, status_code=422)

    @app.exception_handler(DuckfixError)
    async def duckfix_error(_request: Request, exc: DuckfixError) -> JSONResponse:
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, UsageError):
            status = 422
        elif isinstance(exc, StoreError):
            log.warning("store: %s", exc)
            status = 503
        else:
            status = 500
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return app
