"""Who is calling: the bearer token of a request, checked against the store and rate-limited."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from duckfix.service.server.limits import retry_after
from duckfix.service.server.tokens import TokenRecord, authenticate

__all__ = ["Caller", "caller"]

_bearer = HTTPBearer(auto_error=False, description="A token from `duckfix tokens create`.")
_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenRecord:
    """The live token of the request; 401 without one, 429 past its rate."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is needed (duckfix tokens create)", _UNAUTHORIZED)
    services = request.app.state.services
    token = authenticate(services.store, credentials.credentials)
    if token is None:
        raise HTTPException(401, "unknown or revoked token", _UNAUTHORIZED)
    wait = services.limiter.take(token.id)
    if wait:
        raise HTTPException(429, "too many requests for this token", retry_after(wait))
    return token


Caller = Annotated[TokenRecord, Depends(caller)]
"""A route's parameter: the token the request came with."""
