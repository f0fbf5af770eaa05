"""The ray executor on a real local Ray cluster: two worker CPUs, started once for the module.

The cluster is Ray's own test cluster (a head node's GCS and raylet as child
processes of this one, stopped by their handles after the module), reached the
way a user reaches one: ``--ray-address``. What a user sees is checked: the
sandbox keeps its isolation inside a worker, a bench run lands its results in
the store as they arrive (PostgreSQL shared by the workers, too), a cached
re-run sends no request, and ``dataset build`` and ``review --hls-dataset``
give on Ray what they give locally.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from duckfix.errors import SandboxError
from duckfix.executor import RayExecutor
from duckfix.service.cli import cli
from duckfix.store import open_store

from tests.datasets.test_chrysalis import build_dataset as build_chrysalis
from tests.datasets.test_folder import write_task
from tests.openai_server import canned_server, generic_answer
from tests.service.server.conftest import LiveServer, wait_done

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="duckfix-raytest-")
    before = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = temp  # Ray notes the cluster's address there, not in /tmp/ray
    os.mkdir(os.path.join(temp, "ray"))
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 2, "include_dashboard": False, "temp_dir": temp},
    )
    try:
        yield cluster.address
    finally:
        cluster.shutdown()
        if before is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = before
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DUCKFIX_CASE_TIMEOUT", "1")
    return tmp_path / "home"


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    write_task(folder, "double")
    write_task(
        folder, "unfixable", **{"buggy/double.py": "def double(n):\n    return str(n) * 3\n",
                                "tests/visible/cases.jsonl": '{"args": [2], "expected": 5}\n'},
    )  # fmt: skip
    return folder


def _fixing_answer(agent: str) -> dict[str, Any]:
    """The model's answers: its fixer proposes ``n * 2``, which fixes ``double`` only."""
    if agent == "fixer":
        fix = {"function": "double", "code": "def double(n):\n    return n * 2\n"}
        return {"bug": "adds instead of multiplying", "proposals": [fix]}
    return generic_answer(agent)


def _invoke(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def _rows(output: str) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {str(r["task_id"]): r for r in rows}


def _probe(_: int) -> tuple[int, str, str]:
    from duckfix import sandbox

    run = sandbox.run(["/usr/bin/id", "-u"], isolation="namespaces")
    return os.getpid(), run.isolation, run.stdout.strip()


def _fail(_: int) -> None:
    raise SandboxError("the sandbox could not start")


def _span(_: int) -> tuple[float, float]:
    started = time.time()
    time.sleep(0.2)
    return started, time.time()


def test_the_sandbox_keeps_its_isolation_inside_a_worker(address: str) -> None:
    executor = RayExecutor(address)
    try:
        runs = list(executor.map_unordered(_probe, range(4), jobs=2))
        with pytest.raises(SandboxError, match="could not start"):
            executor.call(_fail, 0)  # a task's own error, as if it ran here
        # Two items in flight, yet one at a time on this 2-CPU cluster: jobs is what runs.
        spans = sorted(executor.map_unordered(_span, range(4), jobs=1))
    finally:
        executor.close()
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans))
    assert len(runs) == 4
    assert {pid for pid, _, _ in runs} - {os.getpid()}, "ran in worker processes"
    assert os.getpid() not in {pid for pid, _, _ in runs}
    for _, isolation, uid in runs:
        assert isolation == "namespaces" and uid.isdigit() and int(uid) != 0


def test_bench_on_ray_from_the_server_and_the_cli_equals_local_and_reruns_from_the_cache(
    address: str, home: Path, suite: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared store of a distributed run: every worker writes to this PostgreSQL.
    monkeypatch.setenv("DUCKFIX_DATABASE_URL", postgres_url)
    # The model's fix comes after the localizer's mutants; the templates would take 16.
    base = ["--jobs", "2", "bench", str(suite), "--json", "--max-candidates", "12"]
    base += ["--provider", "openai", "--llm-first"]
    with canned_server(0.1, _fixing_answer) as server:
        monkeypatch.setenv("DUCKFIX_LLM__BASE_URL", server.base_url)
        monkeypatch.setenv("DUCKFIX_LLM__MODEL", "test-model")
        # First a bench job of `duckfix serve` on Ray, under uvicorn: it asks the model.
        job = _served_bench(address, suite, home.parent / "serve", postgres_url, concurrency=1)
        first = {str(line["task_id"]): line for line in job["result"]}
        sent = server.requests
        # Two tasks asked at once on two worker processes; the run's one limit held them to one.
        assert sent > 2 and server.peak == 1
        again = _rows(_invoke([*base, "--ray-address", address]))
        assert server.requests == sent, "a cached re-run on Ray sends no request"
        local = _rows(_invoke(base))
        assert server.requests == sent, "the local run reads the cache the workers filled"
    assert sum(int(r["llm_calls"]) for r in first.values()) == sent
    assert all(r["llm_calls"] == 0 for r in [*again.values(), *local.values()])

    def verdicts(rows: dict[str, dict[str, object]]) -> dict[str, tuple[object, ...]]:
        return {k: (r["status"], r["plausible"], r["correct"], r["fix"]) for k, r in rows.items()}

    assert verdicts(first) == verdicts(again) == verdicts(local)
    assert first["double"]["correct"] and not first["unfixable"]["correct"]
    store = open_store(postgres_url)
    run_id = str(job["run_id"])
    assert set(store.results(run_id)) == {"double", "unfixable"}
    usage = store.llm_usage(run_id)  # written by the workers, not the driver
    assert len([u for u in usage if not u.cached]) == sent
    assert {u.task_id for u in usage} == {"double", "unfixable"}
    assert store.get_run(run_id).status == "ok"


def test_the_call_budget_holds_for_the_whole_ray_run(
    address: str, home: Path, suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each task alone would make more than 3 calls; two run at once in two
    # worker processes, each with a client of its own. The run may make 3.
    monkeypatch.setenv("DUCKFIX_LLM__MAX_CALLS", "3")
    args = ["--jobs", "2", "bench", str(suite), "--json", "--max-candidates", "12"]
    args += ["--provider", "openai", "--llm-first", "--no-cache", "--ray-address", address]
    with canned_server(0.3, generic_answer) as server:
        monkeypatch.setenv("DUCKFIX_LLM__BASE_URL", server.base_url)
        monkeypatch.setenv("DUCKFIX_LLM__MODEL", "test-model")
        monkeypatch.setenv("DUCKFIX_LLM__CONCURRENCY", "2")
        rows = _rows(_invoke(args))
    assert server.requests == 3 and server.peak == 2
    assert sum(int(r["llm_calls"]) for r in rows.values()) == 3
    assert set(rows) == {"double", "unfixable"}  # a spent budget ends no task in error


def _served_bench(
    address: str, suite: Path, folder: Path, database: str, concurrency: int
) -> dict[str, Any]:
    """A bench job of ``suite`` on a ``duckfix serve`` whose executor is the Ray at ``address``."""
    settings = {"DUCKFIX_EXECUTOR": "ray", "DUCKFIX_RAY_ADDRESS": address,
                "DUCKFIX_DATABASE_URL": database, "DUCKFIX_SERVER__SUITES": str(suite),
                "DUCKFIX_LLM__PROVIDER": "openai", "DUCKFIX_JOBS": "2",
                "DUCKFIX_LLM__CONCURRENCY": str(concurrency), "OPENAI_API_KEY": "sk"}  # fmt: skip
    live = LiveServer(folder, env=settings).start()  # the model's address from the environment
    try:
        with live.client(live.token("benchmarker", "bench")) as client:
            request = {"suite": str(suite), "llm_first": True, "max_candidates": 12}
            submitted = client.post("/v1/bench", json=request)
            assert submitted.status_code == 202, submitted.text
            job = wait_done(client, submitted.json()["id"], timeout=240)
        # The server is a driver of the cluster (it ran the tasks there), still connected.
        assert live.process is not None and live.process.pid in _live_drivers(address)
    finally:
        live.stop()
    assert job["state"] == "succeeded", job["reason"]
    return job


def _live_drivers(address: str) -> set[int]:
    """The pids of the drivers connected to the cluster now, asked as a driver of its own."""
    from ray._private.state import jobs

    executor = RayExecutor(address)
    try:
        return {int(j["DriverPid"]) for j in jobs() if not j["IsDead"]} - {os.getpid()}
    finally:
        executor.close()


def test_dataset_build_on_ray_writes_the_same_dataset(
    address: str, home: Path, tmp_path: Path
) -> None:
    base = ["dataset", "build", "--from", "builtin", "--per-program", "2", "--json"]
    base += ["--task", "binomial", "--task", "power_mod", "--task", "int_to_roman"]
    _invoke([*base, "--out", str(tmp_path / "local")])
    _invoke([*base, "--out", str(tmp_path / "ray"), "--ray-address", address])
    pairs = [(tmp_path / side / "pairs.jsonl").read_text() for side in ("local", "ray")]
    assert pairs[0] == pairs[1] and pairs[0].count("\n") >= 4
    summaries = [json.loads((tmp_path / s / "summary.json").read_text()) for s in ("local", "ray")]
    for summary in summaries:
        del summary["seconds"], summary["validated_per_second"], summary["spec"]["out"]
    assert summaries[0] == summaries[1]


def test_review_hls_dataset_on_a_local_ray_it_starts_and_removes(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    root = build_chrysalis(tmp_path / "data")
    temp = Path(tempfile.mkdtemp(prefix="dfr", dir="/tmp"))  # short: Ray's sockets go below
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    env = {**os.environ, "DUCKFIX_HOME": str(tmp_path / "home"), "TMPDIR": str(temp)}

    def review(*more: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "duckfix", "--jobs", "2", "review", "--hls-dataset", str(root),
             "--format", "json", *more],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        doc: dict[str, object] = json.loads(done.stdout)  # nothing of Ray's on stdout
        del doc["seconds"], doc["part_seconds"]  # the clock's, not the review's
        return doc

    assert review("--executor", "ray") == review()
    assert not [p.name for p in temp.iterdir() if p.name.startswith("duckfix-ray-")], "removed"


def test_executor_bad_input_is_one_line_and_exit_2(home: Path, suite: Path) -> None:
    for args, message in (
        (["bench", str(suite), "--executor", "local", "--ray-address", "x:1"],
         "--ray-address goes with --executor ray"),
        (["review", "--executor", "ray", "-"], "go with --hls-dataset"),
        (["bench", str(suite), "--executor", "dask"], "'dask' is not one of 'local', 'ray'"),
    ):  # fmt: skip
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
