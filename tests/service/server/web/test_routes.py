"""The web page's routes on a live server, as a browser meets them (cookies, redirects)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.service.server.conftest import LiveServer, wait_done

DIFF = (
    "--- a/geo.py\n+++ b/geo.py\n@@ -1,2 +1,3 @@\n def area(w, h):\n"
    '+    print("<script>window.pwned = 1</script>", a[i])  # debug\n     return w * h\n'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("web"),
        env={"DUCKFIX_SERVER__RATE_BURST": "500", "DUCKFIX_SERVER__RATE_PER_MINUTE": "6000"},
    ).start()
    yield live
    live.stop()


def browser_like(server: LiveServer) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects (each one is checked)."""
    return httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)


def login(client: httpx.Client, secret: str) -> httpx.Response:
    return client.post("/web/login", data={"token": secret})


def test_pages_need_a_login_and_the_token_lives_in_a_strict_httponly_cookie(
    server: LiveServer,
) -> None:
    secret = server.token("cookie-user")
    with browser_like(server) as client:
        for path in ("/web", "/web/review", "/web/jobs/abc", "/web/jobs/abc/events"):
            away = client.get(path)
            assert away.status_code == 303 and away.headers["location"] == "/web/login", path
        assert client.get("/").headers["location"] == "/web"
        wrong = login(client, "dfx_not-a-token")
        assert wrong.status_code == 401 and "unknown or revoked token" in wrong.text
        assert "set-cookie" not in wrong.headers
        done = login(client, secret)
        assert done.status_code == 303 and done.headers["location"] == "/web"
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        page = client.get("/web")
        assert page.status_code == 200 and "cookie-user" in page.text
        out = client.post("/web/logout")
        assert out.headers["location"] == "/web/login"
        assert client.get("/web").status_code == 303, "the cookie is gone"


def test_a_revoked_token_is_logged_out(server: LiveServer) -> None:
    from duckfix.service.server.tokens import revoke_token
    from duckfix.store import open_store

    secret = server.token("leaver")
    with browser_like(server) as client:
        login(client, secret)
        assert client.get("/web").status_code == 200
        store = open_store(server.database)
        revoke_token(store, "leaver")
        store.close()
        assert client.get("/web").headers["location"] == "/web/login"


def test_a_review_submitted_by_form_shows_its_findings_escaped(server: LiveServer) -> None:
    secret = server.token("former")
    with browser_like(server) as client:
        login(client, secret)
        label = "<script>window.pwned = 2</script>.diff"
        sent = client.post("/web/review", data={"diff": DIFF.replace("\n", "\r\n"),
                                                "label": label, "no_model": "1"})  # fmt: skip
        assert sent.status_code == 303
        job_id = sent.headers["location"].rsplit("/", 1)[1]
        with server.client(secret) as api:
            job = wait_done(api, job_id)
        assert job["state"] == "succeeded", job["reason"]
        page = client.get(f"/web/jobs/{job_id}").text
        listing = client.get("/web").text
        events = client.get(f"/web/jobs/{job_id}/events")
    assert "leftovers/debug-print" in page
    assert "<script>window.pwned" not in page and "<script>window.pwned" not in listing
    assert "&lt;script&gt;window.pwned = 2&lt;/script&gt;.diff" in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;&quot;, a[i])" in page
    assert events.headers["content-type"].startswith("text/event-stream")
    lines = events.text.splitlines()
    assert [line for line in lines if line.startswith("event:")][-1] == "event: end"
    ended = [line for line in events.text.splitlines() if line.startswith("data:")][-1]
    assert json.loads(ended.split(": ", 1)[1])["state"] == "succeeded"


def test_a_form_that_is_no_diff_is_said_on_the_form(server: LiveServer) -> None:
    with browser_like(server) as client:
        login(client, server.token("typo"))
        sent = client.post("/web/review", data={"diff": "hello <b>there</b>", "label": "x"})
    assert sent.status_code == 422
    assert 'id="error"' in sent.text and "no diff found" in sent.text
    assert 'id="diff"' in sent.text, "the form is there to try again"


def test_another_tokens_job_is_not_found_and_filters_narrow_the_list(server: LiveServer) -> None:
    mine, theirs = server.token("owner"), server.token("stranger")
    with server.client(mine) as api:
        job = api.post("/v1/reviews", json={"diff": DIFF, "no_model": True}).json()
        wait_done(api, job["id"])
    with browser_like(server) as client:
        login(client, theirs)
        assert client.get(f"/web/jobs/{job['id']}").status_code == 404
        assert job["id"][:12] not in client.get("/web").text
        login(client, mine)
        assert job["id"][:12] in client.get("/web?kind=review&state=succeeded").text
        assert job["id"][:12] not in client.get("/web?state=failed").text
        assert client.get("/web?kind=<b>").status_code == 200, "an unknown filter is ignored"


def test_the_page_is_not_part_of_the_api_document(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/web") or p == "/"]


def test_the_script_and_style_are_served_and_nothing_else(server: LiveServer) -> None:
    with browser_like(server) as client:
        login(client, server.token("static"))
        assert "EventSource" in client.get("/web/static/live.js").text
        assert client.get("/web/static/web.css").headers["content-type"].startswith("text/css")
        assert client.get("/web/static/..%2Froutes.py").status_code == 404
        assert client.get("/web/static/__init__.py").status_code == 404
