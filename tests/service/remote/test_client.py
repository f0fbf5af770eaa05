"""The HTTP client of ``duckfix serve``: 429 waited out once, refusals as one line, events."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from duckfix.errors import RemoteJobFailed, ServerError, ServerUnavailable
from duckfix.service.remote.client import ServerClient

from tests.service.server.conftest import LiveServer

DIFF = "--- a/geo.py\n+++ b/geo.py\n@@ -1 +1,2 @@\n x = 1\n+print(x)  # debug\n"


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that allows a token two requests at once, then one a second."""
    live = LiveServer(
        tmp_path_factory.mktemp("tight"),
        env={"DUCKFIX_SERVER__RATE_BURST": "2", "DUCKFIX_SERVER__RATE_PER_MINUTE": "60"},
    ).start()
    yield live
    live.stop()


def test_a_429_is_waited_out_once_as_retry_after_says(tight: LiveServer) -> None:
    with ServerClient(tight.url, tight.token("patient")) as client:
        client.request("GET", "/v1/jobs")
        client.request("GET", "/v1/jobs")
        started = time.monotonic()
        assert client.request("GET", "/v1/jobs") == {"jobs": []}  # the third: 429, then waited
        assert time.monotonic() - started >= 0.9


def test_a_job_is_followed_through_its_events_to_its_result(tight: LiveServer) -> None:
    time.sleep(2.1)  # the bucket refills
    seen: list[str] = []
    with ServerClient(tight.url, tight.token("follower")) as client:
        job = client.submit("/v1/reviews", json={"diff": DIFF, "no_model": True})
        done = client.follow(job, lambda event: seen.append(event.event))
    assert done["state"] == "succeeded" and done["result"]["findings"]
    assert seen[0] == "state" and seen[-1] == "end" and "run" in seen


def test_a_failed_job_keeps_the_exit_code_the_local_run_gives(tight: LiveServer) -> None:
    time.sleep(2.1)
    with ServerClient(tight.url, tight.token("failing")) as client:
        job = client.submit("/v1/reviews", json={"diff": "hello\n"})
        with pytest.raises(RemoteJobFailed, match="no diff found") as failed:
            client.follow(job)
    assert failed.value.exit_code == 2


def test_another_tokens_job_and_a_wrong_token_are_one_line(tight: LiveServer) -> None:
    time.sleep(2.1)
    with ServerClient(tight.url, tight.token("nosy")) as client:
        with pytest.raises(ServerError, match="404 no job 0123") as missing:
            client.job("0123")
        assert "\n" not in str(missing.value)
    with ServerClient(tight.url, "dfx_wrong") as client, pytest.raises(ServerError, match="401"):
        client.job("0123")


def _answers(*responses: httpx.Response) -> httpx.MockTransport:
    queue = list(responses)
    return httpx.MockTransport(lambda request: queue.pop(0))


def test_a_second_429_is_refused_with_its_wait() -> None:
    busy = httpx.Response(429, json={"detail": "too many requests"}, headers={"Retry-After": "1"})
    transport = _answers(busy, busy)
    client = ServerClient("http://duckfix.test", "t", transport=transport)
    with client, pytest.raises(ServerError, match="429 too many requests; retry after 1 s"):
        client.request("GET", "/v1/jobs")


def test_a_long_retry_after_is_not_slept() -> None:
    busy = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "3600"})
    with ServerClient("http://duckfix.test", "t", transport=_answers(busy)) as client:
        started = time.monotonic()
        with pytest.raises(ServerError, match="retry after 3600 s"):
            client.request("GET", "/v1/jobs")
        assert time.monotonic() - started < 1


def test_a_server_error_is_unavailable_not_a_traceback() -> None:
    failing = httpx.Response(500, text="Internal Server Error")
    client = ServerClient("http://duckfix.test", "t", transport=_answers(failing))
    with client, pytest.raises(ServerUnavailable, match="the server failed \\(500\\)"):
        client.request("GET", "/v1/jobs")


def test_past_the_deadline_nothing_is_sent() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request after the deadline")

    transport = httpx.MockTransport(refuse)
    client = ServerClient("http://duckfix.test", "t", deadline=time.monotonic() - 1,
                          transport=transport)  # fmt: skip
    with client, pytest.raises(ServerUnavailable, match="no answer in the time allowed"):
        client.request("GET", "/v1/jobs")
