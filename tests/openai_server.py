"""An OpenAI-compatible endpoint on loopback that answers after a fixed latency.

A real HTTP server, not a mock: Ray workers are other processes, and the
throughput benchmark must see the sockets, the threads and the waits a real
endpoint costs. Each ``POST /v1/chat/completions`` is answered after
``latency`` seconds with the canned reply for the agent that asked (read off
its system prompt), and counted; ``peak`` is the most requests it held at once,
``mean_in_flight`` how many on average, ``first`` and ``last`` when it began
and stopped being asked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes import agent_of

__all__ = ["CannedServer", "canned_server", "generic_answer"]


def generic_answer(agent: str) -> dict[str, Any]:
    """Well-formed answers that fix nothing: the localizer blames line 1, the fixer rewrites a
    function no program has (dropped), the rest agree."""
    nowhere = {"function": "no_such_function", "code": "def no_such_function():\n    pass\n"}
    return {
        "localizer": {"lines": [{"line": 1, "reason": "r"}]},
        "fixer": {"bug": "b", "proposals": [nowhere]},
        "reviewer": {"verdict": "accept"},
        "explainer": {"summary": "s", "root_cause": "r", "why_fix_works": "w"},
        "injector": {"bugs": []},
    }[agent]


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, latency: float, answer: Callable[[str], dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.answer = answer
        self.requests = 0
        self.in_flight = 0
        self.peak = 0
        self.first: float | None = None
        """When the first request arrived (``time.monotonic``)."""
        self.last = 0.0
        """When the last answer was sent."""
        self.held = 0.0
        """Request-seconds spent answering (the sum of every request's time in the server)."""
        self.lock = threading.Lock()

    @property
    def mean_in_flight(self) -> float:
        """Requests held at once, on average, from the first request to the last answer."""
        span = self.last - (self.first or self.last)
        return self.held / span if span > 0 else 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: CannedServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai SDK's pool expects

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        arrived = time.monotonic()
        with server.lock:
            server.requests += 1
            server.in_flight += 1
            if server.first is None:
                server.first = arrived
            server.peak = max(server.peak, server.in_flight)
        try:
            time.sleep(server.latency)
            content = json.dumps(server.answer(agent_of(body["messages"])))
        finally:
            with server.lock:
                server.in_flight -= 1
                server.held += time.monotonic() - arrived
        reply = {
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": body.get("model", "m"),
            "choices": [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": 40, "completion_tokens": 10, "total_tokens": 50},
        }  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with server.lock:
            server.last = time.monotonic()


@contextmanager
def canned_server(
    latency: float = 0.0, answer: Callable[[str], dict[str, Any]] = generic_answer
) -> Iterator[CannedServer]:
    """A :class:`CannedServer` serving in a thread for the block's duration."""
    server = CannedServer(latency, answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
