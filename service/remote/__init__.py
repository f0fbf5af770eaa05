"""Clients of ``duckfix serve``: the ``--server`` side of review, debug, the hook and the mail bot.

``client`` (HTTP: submit, follow the events, errors as one line), ``progress``
(the events shown as a local run shows its steps), ``review`` and ``debug``
(what each command sends, and its answer turned back into the local output).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckfix.config import Settings

__all__ = ["server_url"]


def server_url(settings: Settings, given: str | None) -> str | None:
    """The server to send work to: ``--server``, else ``server.url``, else none (run locally).

    Here rather than in ``client`` so that a command run without a server (every
    pre-push) does not import the HTTP client to find that out.
    """
    url = given or settings.server.url
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        from duckfix.errors import UsageError

        raise UsageError(f"--server {url}: give an http:// or https:// URL")
    return url.rstrip("/")
