"""The API as a client sees it, on a live ``duckfix serve``: reviews, jobs, events, access."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.pipelines.review.gitrepo import GitRepo
from tests.service.server.conftest import LiveServer, read_events, wait_done

CLEAN = "def area(w, h):\n    return w * h\n"
LEFTOVER = 'def area(w, h):\n    print("here")  # debug\n    return w * h\n'


def _diff(tmp_path: Path) -> tuple[GitRepo, str]:
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit("Print the area's inputs", {"geo.py": LEFTOVER})
    return repo, repo.git("diff", "HEAD~1", "HEAD")


def test_a_review_job_gives_what_the_cli_prints(server: LiveServer, tmp_path: Path) -> None:
    _repo, diff = _diff(tmp_path)
    (tmp_path / "change.diff").write_text(diff)
    with server.client(server.token("reviewer")) as client:
        submitted = client.post("/v1/reviews", json={"diff": diff, "label": "change.diff"})
        assert submitted.status_code == 202
        job = submitted.json()
        assert submitted.headers["location"] == f"/v1/jobs/{job['id']}"
        assert job["state"] == "queued" and job["kind"] == "review" and job["token"] == "reviewer"
        done = wait_done(client, job["id"])
        events = read_events(client, job["id"])
    assert done["state"] == "succeeded", done["reason"]
    assert done["run_id"].startswith("review-") and done["exit_code"] == 0
    # The CLI, outside any repository, on the same file: the same document.
    local = subprocess.run(
        [sys.executable, "-m", "duckfix", "--isolated", "review", "change.diff", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DUCKFIX_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    assert done["result"] == json.loads(local.stdout)
    assert [f["category"] for f in done["result"]["findings"]] == ["leftovers/debug-print"]
    # The events: queued, running, its run, the patch reviewed, the end; numbered from 1.
    assert [e["event"] for e in events] == ["state", "state", "run", "reviewed", "end"]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5]
    assert events[-1]["data"]["state"] == "succeeded"
    assert events[2]["data"]["run_id"] == done["run_id"]


def test_events_resume_after_the_last_id(server: LiveServer, tmp_path: Path) -> None:
    _repo, diff = _diff(tmp_path)
    with server.client(server.token("follower")) as client:
        job = client.post("/v1/reviews", json={"diff": diff}).json()
        wait_done(client, job["id"])
        every = read_events(client, job["id"])
        rest = read_events(client, job["id"], last=3)
    assert rest == every[3:]


def test_fail_on_sets_the_exit_code(server: LiveServer, tmp_path: Path) -> None:
    _repo, diff = _diff(tmp_path)
    with server.client(server.token("strict-one")) as client:
        job = client.post("/v1/reviews", json={"diff": diff, "fail_on": "warning"}).json()
        assert wait_done(client, job["id"])["exit_code"] == 1


def test_a_range_of_a_repository_under_the_roots(server: LiveServer, tmp_path: Path) -> None:
    outside, _diff_text = _diff(tmp_path)
    inside, _diff_text = _diff(server.home / "repos" / "proj")
    body = {"repo": str(inside.root), "range": "HEAD~1..HEAD"}
    with server.client(server.token("ranger")) as client:
        refused = client.post("/v1/reviews", json={**body, "repo": str(outside.root)})
        job = wait_done(client, client.post("/v1/reviews", json=body).json()["id"])
    assert refused.status_code == 422
    assert "server.repo_roots" in refused.json()["detail"]
    assert job["state"] == "succeeded", job["reason"]
    local = subprocess.run(
        [sys.executable, "-m", "duckfix", "--isolated", "review", "--range", "HEAD~1..HEAD",
         "--json"],
        cwd=inside.root, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DUCKFIX_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    assert job["result"] == json.loads(local.stdout)
    assert "commit/" in json.dumps(job["result"])  # the commit messages were read too


def test_a_diff_that_is_not_one_fails_the_job_with_the_reason(server: LiveServer) -> None:
    with server.client(server.token("garbage")) as client:
        job = client.post("/v1/reviews", json={"diff": "hello\n"}).json()
        done = wait_done(client, job["id"])
    assert done["state"] == "failed" and "no diff found" in done["reason"]
    assert done["exit_code"] == 2 and done["result"] is None


def test_bodies_that_are_not_requests(server: LiveServer) -> None:
    with server.client(server.token("sloppy")) as client:
        assert client.post("/v1/reviews", json={}).status_code == 422
        assert client.post("/v1/reviews", json={"diff": "x", "mbox": "y"}).status_code == 422
        assert client.post("/v1/reviews", json={"diff": "x", "checks": ["nope"]}).status_code == 422


def test_other_tokens_jobs_are_not_found(server: LiveServer, tmp_path: Path) -> None:
    _repo, diff = _diff(tmp_path)
    mine, theirs = server.token("mine"), server.token("theirs")
    admin = server.token("root", "admin")
    with server.client(mine) as client:
        job = client.post("/v1/reviews", json={"diff": diff}).json()
        wait_done(client, job["id"])
        assert job["id"] in [j["id"] for j in client.get("/v1/jobs").json()["jobs"]]
        assert client.get("/v1/jobs", params={"token": "theirs"}).status_code == 403
    with server.client(theirs) as client:
        assert client.get(f"/v1/jobs/{job['id']}").status_code == 404
        assert client.get(f"/v1/jobs/{job['id']}/events").status_code == 404
        assert client.delete(f"/v1/jobs/{job['id']}").status_code == 404
        assert client.get("/v1/jobs").json()["jobs"] == []
    with server.client(admin) as client:
        assert client.get(f"/v1/jobs/{job['id']}").status_code == 200
        listed = client.get("/v1/jobs", params={"token": "mine"}).json()["jobs"]
        assert [j["id"] for j in listed] == [job["id"]]


def test_no_token_or_a_revoked_one_is_401(server: LiveServer) -> None:
    token = server.token("leaver")
    with server.client(token) as client:
        assert client.get("/v1/jobs").status_code == 200
        from tests.service.server.conftest import duckfix

        duckfix(server.home, "tokens", "revoke", "leaver", env=server.env)
        refused = client.get("/v1/jobs")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    with server.client(None) as client:
        assert client.get("/v1/jobs").status_code == 401
        assert client.post("/v1/reviews", json={"diff": "x"}).status_code == 401
        assert client.get("/healthz").json() == {"status": "ok", "detail": ""}
        assert client.get("/readyz").status_code == 200
        assert client.get("/openapi.json").status_code == 200
    with server.client("dfx_" + "x" * 43) as client:
        assert client.get("/v1/jobs").status_code == 401


def test_a_scope_limits_what_a_token_submits(server: LiveServer) -> None:
    with server.client(server.token("bencher", "bench")) as client:
        assert client.post("/v1/reviews", json={"diff": "x"}).status_code == 403


def test_a_body_over_the_cap_is_413_even_without_a_length(server: LiveServer) -> None:
    big = json.dumps({"diff": "+" * (2 << 20)}).encode()
    with server.client(server.token("big")) as client:
        declared = client.post("/v1/reviews", content=big,
                               headers={"content-type": "application/json"})  # fmt: skip
        assert declared.status_code == 413

        def chunks():  # no Content-Length: chunked, counted as it arrives
            for start in range(0, len(big), 65536):
                yield big[start : start + 65536]

        try:
            streamed = client.post("/v1/reviews", content=chunks(),
                                   headers={"content-type": "application/json"})  # fmt: skip
        except httpx.RemoteProtocolError:  # the server may close before the upload ends
            return
        assert streamed.status_code == 413
        assert "server.max_upload_mb" in streamed.json()["detail"]


def test_the_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "slow", workers=0,
                      env={"DUCKFIX_SERVER__RATE_PER_MINUTE": "6",
                           "DUCKFIX_SERVER__RATE_BURST": "3"}).start()  # fmt: skip
    try:
        with live.client(live.token("eager")) as client:
            codes = [client.get("/v1/jobs").status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            refused = client.get("/v1/jobs")
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        with live.client(live.token("patient")) as client:  # a bucket per token
            assert client.get("/v1/jobs").status_code == 200
    finally:
        live.stop()


def test_cancel_a_queued_job(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "idle", workers=0).start()  # no worker: it stays queued
    try:
        with live.client(live.token("changed-mind")) as client:
            job = client.post("/v1/reviews", json={"diff": "x"}).json()
            cancelled = client.delete(f"/v1/jobs/{job['id']}").json()
            assert cancelled["state"] == "cancelled"
            assert read_events(client, job["id"])[-1] == {
                "id": 2, "event": "end", "data": {"state": "cancelled"}
            }  # fmt: skip
            listed = client.get("/v1/jobs", params={"state": "cancelled"}).json()["jobs"]
            assert [j["id"] for j in listed] == [job["id"]]
    finally:
        live.stop()
