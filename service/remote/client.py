"""The HTTP client of ``duckfix serve``: submit a job, follow its events, read its end.

Every way a request can go wrong becomes one :class:`ServerError` line (exit
2): no token or a revoked one (401), another token's job (404), a body over
the server's cap (413), past the rate (429: waited out once, as Retry-After
says, then refused). A server that cannot be reached, or does not answer
before the caller's deadline, is :class:`ServerUnavailable`, the one error
the hook and the mail bot fall back on.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from duckfix.errors import RemoteJobFailed, ServerError, ServerUnavailable
from duckfix.service.remote import server_url

if TYPE_CHECKING:
    from duckfix.config import Settings

__all__ = ["Event", "ServerClient", "server_url"]

MAX_RETRY_AFTER = 60.0
"""The longest Retry-After a client waits out (longer: the 429 is reported as it is)."""
_RECONNECTS = 3


@dataclass(frozen=True)
class Event:
    """One server-sent event of a job: its number, its name, its data."""

    seq: int
    event: str
    data: dict[str, Any]


class ServerClient:
    """Requests to one server with one token; ``deadline`` (monotonic) bounds every wait."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.deadline = deadline
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, url: str, *, deadline: float | None = None
    ) -> ServerClient:
        """A client with the token from the variable ``server.token_env`` names."""
        name = settings.server.token_env
        token = os.environ.get(name, "").strip()
        if not token:
            raise ServerError(
                f"{url}: set {name} to a token of that server (duckfix tokens create NAME there)"
            )
        return cls(url, token, deadline=deadline)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------

    def _timeout(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); past it, unavailable."""
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ServerUnavailable(f"{self.url}: no answer in the time allowed")
        return left

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request's JSON answer; a 429 is waited out once (Retry-After), then refused."""
        for attempt in (1, 2):
            left = self._timeout()
            if left is not None:
                kwargs["timeout"] = httpx.Timeout(left)
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                raise ServerUnavailable(f"{self.url}: no answer in the time allowed") from exc
            except httpx.TransportError as exc:
                raise ServerUnavailable(f"{self.url}: cannot reach the server ({exc})") from exc
            if response.status_code == 429 and attempt == 1 and self._wait_out(response):
                continue
            _raise_for(response, self.url)
            return response.json()
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _wait_out(self, response: httpx.Response) -> bool:
        """Sleep the Retry-After of a 429 if it is short and the deadline allows; did it?"""
        wait = _retry_after(response)
        left = self._timeout()
        if wait is None or wait > MAX_RETRY_AFTER or (left is not None and wait >= left):
            return False
        time.sleep(wait)
        return True

    def submit(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """``POST path``: the job the server made."""
        job: dict[str, Any] = self.request("POST", path, **kwargs)
        return job

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.request("GET", f"/v1/jobs/{job_id}")
        return job

    def cancel(self, job_id: str) -> None:
        """Ask the server to drop the job (when this client gives up on it); errors ignored."""
        # The server is away: the job ends by its own lease, or runs to its end.
        with contextlib.suppress(httpx.HTTPError):
            self._http.delete(f"/v1/jobs/{job_id}", timeout=2.0)

    def events(self, job_id: str, after: int = 0) -> Iterator[Event]:
        """The job's events from ``after`` to ``end``, reconnecting where a stream broke."""
        drops = 0
        waited = False
        while True:
            left = self._timeout()
            timeout = httpx.Timeout(30.0 if left is None else left, connect=10.0)
            headers = {"Last-Event-ID": str(after)} if after else {}
            try:
                with self._http.stream(
                    "GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=timeout
                ) as response:
                    if response.status_code == 429 and not waited:
                        waited = self._wait_out(response)
                        if waited:
                            continue
                    if response.status_code != 200:
                        response.read()
                        _raise_for(response, self.url)
                    for event in _parse_sse(response.iter_lines()):
                        after = event.seq
                        yield event
                        if event.event == "end":
                            return
            except httpx.TimeoutException as exc:
                raise ServerUnavailable(f"{self.url}: no answer in the time allowed") from exc
            except httpx.TransportError as exc:
                drops += 1
                if drops > _RECONNECTS:
                    raise ServerUnavailable(f"{self.url}: the event stream broke ({exc})") from exc
                continue
            drops += 1  # the stream ended without "end" (a proxy cut it): resume it
            if drops > _RECONNECTS:
                raise ServerUnavailable(f"{self.url}: the event stream ended before the job")

    def follow(
        self, job: dict[str, Any], on_event: Callable[[Event], None] | None = None
    ) -> dict[str, Any]:
        """Follow ``job`` to its end; the finished job, or :class:`RemoteJobFailed`."""
        for event in self.events(job["id"]):
            if on_event is not None:
                on_event(event)
        done = self.job(job["id"])
        if done["state"] != "succeeded":
            reason = done.get("reason") or done["state"]
            code = done.get("exit_code") or (2 if done["state"] == "cancelled" else 1)
            raise RemoteJobFailed(f"{self.url}: job {done['id']} {done['state']}: {reason}", code)
        return done


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _raise_for(response: httpx.Response, url: str) -> None:
    """One line for a refused request, naming what the user can change."""
    status = response.status_code
    if status < 400:
        return
    try:
        detail = response.json().get("detail")
    except (json.JSONDecodeError, AttributeError):
        detail = None
    if isinstance(detail, list):  # FastAPI's validation errors: say the first
        first = detail[0] if detail else {}
        where = ".".join(str(p) for p in first.get("loc", [])[1:])
        detail = f"{where}: {first.get('msg', '')}" if where else first.get("msg")
    said = str(detail or response.reason_phrase)
    hint = {
        401: "; check the token in the variable server.token_env names",
        404: " (or it is another token's)",
        429: f"; retry after {response.headers.get('Retry-After', '?')} s",
    }.get(status, "")
    if status >= 500:
        raise ServerUnavailable(f"{url}: the server failed ({status}): {said}")
    raise ServerError(f"{url}: {status} {said}{hint}")


def _parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Server-sent events from their lines (``id:``, ``event:``, ``data:``; comments skipped)."""
    seq, name = 0, "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield Event(seq, name, json.loads("\n".join(data)))
            name, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id" and value.isdigit():
            seq = int(value)
        elif field == "event":
            name = value
        elif field == "data":
            data.append(value)
