"""The web page in a real headless Chromium: log in, submit a review, watch it finish, see it.

Two ``duckfix serve`` processes share one store: the first answers the page
and takes no job, so the review waits, queued, while the page follows it; the
second starts then and runs it. The page must update itself (its
EventSource hears the end and reloads): the test never navigates again after
submitting. A screenshot of the finished review is kept under the test's
tmp path, and its path printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Browser, BrowserError, Page, find_chromium
from tests.service.server.conftest import LiveServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="no chromium (.ci/run installs it)"),
]

DIFF = """\
--- a/geo.py
+++ b/geo.py
@@ -1,2 +1,3 @@
 def area(w, h):
+    print("<script>window.pwned = 1</script>", a[i])  # debug
     return w * h
"""
LABEL = "<script>window.pwned = 2</script> a[i].diff"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with Browser.start() as started:
        yield started


def wait_for(page: Page, expression: str, timeout: float = 60) -> Any:
    """Poll a JavaScript expression until it is truthy (a navigation may be under way)."""
    end = time.monotonic() + timeout
    while True:
        try:
            value = page.evaluate(expression)
        except BrowserError:
            value = None  # the page is being replaced: ask the next one
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)


def act(page: Page, script: str, then: str) -> None:
    """Run ``script`` (fill a form, press a button), then wait until ``then`` holds."""
    page.evaluate(script)
    wait_for(page, f"document.readyState === 'complete' && ({then})")


def test_log_in_submit_a_review_watch_it_finish_and_see_the_findings(
    browser: Browser, tmp_path: Path
) -> None:
    home = tmp_path / "serve"
    front = LiveServer(home, workers=0).start()  # the page, and no worker
    back = LiveServer(home, workers=1)
    try:
        secret = front.token("web-user")
        page = browser.new_page()
        page.goto(f"{front.url}/web")
        assert page.evaluate("location.pathname") == "/web/login"

        act(page, f"""document.getElementById('token').value = {secret!r};
                      document.getElementById('login').submit()""",
            "location.pathname === '/web'")  # fmt: skip
        assert "no runs yet" in page.text("main")
        assert page.evaluate("document.cookie") == "", "the token is out of the script's reach"

        act(page, "document.querySelector('nav a[href=\"/web/review\"]').click()",
            "location.pathname === '/web/review'")  # fmt: skip
        act(page, f"""document.getElementById('diff').value = {json.dumps(DIFF)};
                      document.getElementById('label').value = {json.dumps(LABEL)};
                      document.getElementById('submit').click()""",
            "location.pathname.startsWith('/web/jobs/')")  # fmt: skip
        assert page.evaluate("document.getElementById('facts').dataset.state") == "queued"
        wait_for(page, "document.getElementById('line').textContent === 'queued'")

        back.start()  # a worker at last: the job runs, the page hears it end
        wait_for(page, "document.getElementById('facts')?.dataset.state === 'succeeded'")

        text = page.text("main")
        assert "leftovers/debug-print" in text
        assert LABEL in text, "the review's name, shown as written"
        assert 'print("<script>window.pwned = 1</script>", a[i])' in text
        assert page.evaluate("window.pwned") is None, "no script of the user's ran"
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        added = page.style("pre.diff .add", "background-color")
        assert added == "rgb(232, 245, 233)", added
        shot = page.screenshot(tmp_path / "review.png")
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000

        act(page, "document.querySelector('nav a[href=\"/web\"]').click()",
            "location.pathname === '/web'")  # fmt: skip
        assert page.texts("#jobs td.state") == ["succeeded"]
        assert LABEL in page.text("#jobs")

        act(page, "document.getElementById('logout').click()",
            "location.pathname === '/web/login'")  # fmt: skip
        page.goto(f"{front.url}/web")
        assert page.evaluate("location.pathname") == "/web/login", "logged out for good"
    finally:
        back.stop()
        front.stop()
