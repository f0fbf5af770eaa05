"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from duckfix.errors import StoreError
from duckfix.service.server.models import Health

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no token needed)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> Health | JSONResponse:
    """The store answers and the job workers are alive; 503 otherwise (no token needed)."""
    services = request.app.state.services
    try:
        services.queue.ping()
    except StoreError as exc:
        return _unavailable(f"store: {exc}")
    if services.pool is not None and not services.pool.alive():
        return _unavailable("a job worker has stopped")
    return Health(status="ok")


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(Health(status="unavailable", detail=detail).model_dump(), status_code=503)
