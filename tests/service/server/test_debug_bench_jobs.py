"""Debug and bench jobs on a live server: the CLI's --json as the result, steps as events."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.datasets.test_folder import write_task
from tests.service.server.conftest import LiveServer, read_events, wait_done

DOUBLE = "def double(n):\n    return n + 2\n"
TESTS = """\
import os

from double import double


def test_three():
    assert double(3) == 6, sorted(os.environ.items())


def test_two():
    assert double(2) == 4
"""
SECRET = "sk-" + "s3cr3t" * 6  # built here so the file holds no key-like literal


def test_a_program_and_its_tests(server: LiveServer, tmp_path: Path) -> None:
    with server.client(server.token("debugger", "debug")) as client:
        submitted = client.post(
            "/v1/debug", json={"program": DOUBLE, "filename": "double.py", "tests": TESTS}
        )
        assert submitted.status_code == 202, submitted.text
        job = wait_done(client, submitted.json()["id"], timeout=120)
        events = read_events(client, job["id"])
    assert job["state"] == "succeeded", job["reason"]
    result = job["result"]
    assert result["status"] == "fixed" and result["applied"] is False
    assert result["run_id"] == job["run_id"] and job["exit_code"] == 0
    assert "n * 2" in result["fix"]["double.py"]
    # The CLI on the same files prints the same document, but for its own run and timings.
    (tmp_path / "double.py").write_text(DOUBLE)
    (tmp_path / "test_double.py").write_text(TESTS)
    local = subprocess.run(
        [sys.executable, "-m", "duckfix", "--isolated", "debug", "double.py", "--tests",
         "test_double.py", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DUCKFIX_HOME": str(tmp_path / "home"), "DUCKFIX_CASE_TIMEOUT": "1"},
    )  # fmt: skip
    mine = json.loads(local.stdout)
    varying = {"run_id", "seconds", "attempts", "validations"}
    assert sorted(mine) == sorted(result)
    assert {k: v for k, v in mine.items() if k not in varying} == {
        k: v for k, v in result.items() if k not in varying
    }
    # The steps the terminal shows, then the end.
    steps = [e["data"]["text"] for e in events if e["event"] == "step"]
    assert steps[0] == "reproduce: 1 of 2 visible tests fail", steps
    assert any(s.startswith("localize: ") for s in steps)
    assert "review: the plausible patch is accepted" in steps
    assert [e["event"] for e in events][-1] == "end"
    # The server's own secrets never reach a result: the test printed its environment.
    assert SECRET not in json.dumps(job) and SECRET not in json.dumps(events)


def test_an_uploaded_task_folder(server: LiveServer, tmp_path: Path) -> None:
    folder = write_task(tmp_path)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(folder, arcname="double")
    with server.client(server.token("uploader", "debug")) as client:
        submitted = client.post(
            "/v1/debug",
            files={"task": ("double.tar.gz", archive.getvalue(), "application/gzip")},
            data={"max_candidates": "50"},
        )
        assert submitted.status_code == 202, submitted.text
        job = wait_done(client, submitted.json()["id"], timeout=120)
    assert job["state"] == "succeeded", job["reason"]
    assert job["result"]["status"] == "fixed" and job["result"]["task_id"] == "double"


def test_bad_uploads_are_refused_before_a_job_is_made(server: LiveServer) -> None:
    link = tarfile.TarInfo("t/buggy/double.py")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.addfile(link)
    with server.client(server.token("tricky", "debug")) as client:
        refused = client.post("/v1/debug", files={"task": ("t.tar", buf.getvalue())})
        assert refused.status_code == 422 and "symbolic link" in refused.json()["detail"]
        nothing = client.post("/v1/debug", json={"program": "def f(:\n", "cases": "{}"})
        assert nothing.status_code == 422
        too_big = client.post("/v1/debug", files={"task": ("t.tar", b"\0" * (2 << 20))})
        assert too_big.status_code == 413
        assert client.get("/v1/jobs").json()["jobs"] == []
    with server.client(server.token("reviewer-only")) as client:
        assert client.post("/v1/debug", json={"program": "x", "cases": ""}).status_code == 403


def test_a_bench_job(server: LiveServer) -> None:
    with server.client(server.token("benchmarker", "bench")) as client:
        suite = server.env["DUCKFIX_SERVER__SUITES"]  # a folder the server offers
        submitted = client.post("/v1/bench", json={"suite": suite})
        assert submitted.status_code == 202, submitted.text
        job = wait_done(client, submitted.json()["id"], timeout=240)
        events = read_events(client, job["id"])
        unknown = client.post("/v1/bench", json={"suite": "/etc"})
    assert job["state"] == "succeeded", job["reason"]
    lines = job["result"]
    assert [line["task_id"] for line in lines] == ["double", "triple"]
    assert [line["correct"] for line in lines] == [True, True]
    assert {line["run_id"] for line in lines} == {job["run_id"]}
    tasks = [e["data"] for e in events if e["event"] == "task"]
    assert sorted(t["task_id"] for t in tasks) == ["double", "triple"]
    assert all(t["text"].split()[1] == t["verdict"].split()[0] for t in tasks)
    assert unknown.status_code == 422 and "no suite" in unknown.json()["detail"]
