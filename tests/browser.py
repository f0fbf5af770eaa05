"""A headless Chromium driven over the Chrome DevTools Protocol, for tests of pages a user sees.

Small on purpose: start the browser, open a page, read what it shows (text,
computed styles, any JavaScript expression), take a screenshot. It speaks the
protocol over one websocket (``websockets``, BSD) in flat session mode, so no
driver binary is needed: Debian's ``chromium`` package is enough.

    with Browser.start() as browser:
        page = browser.new_page()
        page.goto(path.as_uri())
        assert "fixed" in page.text()
        page.screenshot(tmp_path / "page.png")
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

__all__ = ["Browser", "BrowserError", "Page", "find_chromium"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class BrowserError(RuntimeError):
    """The browser could not start, or a protocol command failed."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) to drive: $CHROMIUM, else the first on PATH."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named
    return next((p for p in map(shutil.which, _CANDIDATES) if p), None)


class Browser:
    """One headless browser process and the websocket to it."""

    def __init__(self, proc: subprocess.Popen[str], url: str, profile: Path) -> None:
        self._proc = proc
        self._stack = contextlib.ExitStack()
        self._ws: ClientConnection = self._stack.enter_context(
            connect(url, max_size=None, open_timeout=10)
        )
        self._profile = profile
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    @classmethod
    def start(
        cls, executable: str | None = None, *, width: int = 1280, height: int = 900
    ) -> Browser:
        """Start headless Chromium with a throwaway profile and connect to it."""
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError("no chromium on PATH (Debian: apt-get install chromium)")
        profile = Path(tempfile.mkdtemp(prefix="duckfix-browser-"))
        args = [
            exe,
            "--headless=new",
            # Root (as in CI containers) cannot use Chromium's own sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",  # any free port; the browser says which
            "about:blank",
        ]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            url = _wait_for_endpoint(proc, timeout=30)
            if url is None:
                raise BrowserError(f"{exe} did not open its DevTools endpoint within 30 s")
            return cls(proc, url, profile)
        except Exception:
            proc.kill()
            proc.wait()
            shutil.rmtree(profile, ignore_errors=True)
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            shutil.rmtree(self._profile, ignore_errors=True)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """Send one protocol command and return its result; events seen meanwhile are kept."""
        message: dict[str, Any] = {"id": next(self._ids), "method": method}
        message["params"] = params or {}
        if session is not None:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BrowserError(f"{method}: no answer within {timeout:g} s")
            reply = json.loads(self._ws.recv(timeout=left))
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply)}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._events.append(reply)

    def wait_for_event(self, method: str, session: str | None, timeout: float = 30) -> None:
        """Wait until the browser sends event ``method`` (for ``session``)."""

        def matches(event: dict[str, Any]) -> bool:
            return event.get("method") == method and event.get("sessionId") == session

        for i, event in enumerate(self._events):
            if matches(event):
                del self._events[: i + 1]
                return
        self._events.clear()
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            event = json.loads(self._ws.recv(timeout=left))
            if matches(event):
                return
        raise BrowserError(f"no {method} within {timeout:g} s")

    def new_page(self) -> Page:
        """A new tab, attached in flat mode (its commands carry a session id)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        page.send("Page.enable")
        page.send("Runtime.enable")
        return page


class Page:
    """One tab: navigate, evaluate, read the text and styles a user sees, screenshot."""

    def __init__(self, browser: Browser, session: str) -> None:
        self._browser = browser
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._browser.send(method, params, self.session)

    def goto(self, url: str, timeout: float = 30) -> None:
        """Open ``url`` and wait for its load event (images and styles loaded)."""
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"could not open {url}: {answer['errorText']}")
        self._browser.wait_for_event("Page.loadEventFired", self.session, timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return answer["result"].get("value")

    def text(self, selector: str = "body") -> str:
        """The text of the first element matching ``selector`` as rendered (innerText)."""
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)}).innerText"))

    def texts(self, selector: str) -> list[str]:
        """The rendered text of every element matching ``selector``."""
        return list(
            self.evaluate(
                f"[...document.querySelectorAll({json.dumps(selector)})].map(e => e.innerText)"
            )
        )

    def style(self, selector: str, prop: str) -> str:
        """A computed style of the first element matching ``selector`` (as ``rgb(...)`` etc.)."""
        return str(
            self.evaluate(
                f"getComputedStyle(document.querySelector({json.dumps(selector)}))"
                f".getPropertyValue({json.dumps(prop)})"
            )
        )

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """Save a PNG of what the page shows (the whole page by default)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}  # fmt: skip
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def _wait_for_endpoint(proc: subprocess.Popen[str], timeout: float) -> str | None:
    """The browser's websocket URL, read from the line it prints on stderr.

    A thread reads stderr to its end, so the browser never blocks on a full
    pipe, and a browser that prints nothing cannot hang the test.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            return None
        if line is None:
            return None
        found = _LISTENING.search(line)
        if found:
            return found.group(1)
    return None
