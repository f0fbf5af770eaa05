"""The web page of ``duckfix serve``: server-rendered HTML under ``/web``, logged in by token.

``routes`` (the pages and the cookie), ``pages`` (their HTML, every text
escaped), ``static/`` (the style sheet, and the one script: live progress).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Serve the page on ``app``: its routes, and the way to the login form."""
    from fastapi.responses import RedirectResponse

    from duckfix.service.server.web.routes import LoginNeeded, login_redirect, router

    app.include_router(router)
    app.add_exception_handler(LoginNeeded, login_redirect)
    app.add_api_route(
        "/", lambda: RedirectResponse("/web", status_code=303), include_in_schema=False
    )
