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

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.errors import SandboxError
from duckfix.executor import RayExecutor
from duckfix.service.cli import cli
from duckfix.store import open_store

from tests.datasets.test_chrysalis import build_dataset as build_chrysalis
from tests.datasets.test_folder import write_task
from tests.openai_server import canned_server

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
        folder, "unfixable", **{"buggy/double.py": "def double(n):\n    return str(n) * 3\n"}
    )
    return folder


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


def test_the_sandbox_keeps_its_isolation_inside_a_worker(address: str) -> None:
    executor = RayExecutor(address)
    try:
        runs = list(executor.map_unordered(_probe, range(4), jobs=2))
        with pytest.raises(SandboxError, match="could not start"):
            executor.call(_fail, 0)  # a task's own error, as if it ran here
    finally:
        executor.close()
    assert len(runs) == 4
    assert {pid for pid, _, _ in runs} - {os.getpid()}, "ran in worker processes"
    assert os.getpid() not in {pid for pid, _, _ in runs}
    for _, isolation, uid in runs:
        assert isolation == "namespaces" and uid.isdigit() and int(uid) != 0


def test_bench_on_ray_equals_local_and_a_cached_rerun_sends_nothing(
    address: str, home: Path, suite: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared store of a distributed run: every worker writes to this PostgreSQL.
    monkeypatch.setenv("DUCKFIX_DATABASE_URL", postgres_url)
    base = ["--jobs", "2", "bench", str(suite), "--json", "--max-candidates", "20"]
    base += ["--provider", "openai", "--llm-first"]
    with canned_server() as server:
        monkeypatch.setenv("DUCKFIX_LLM__BASE_URL", server.base_url)
        monkeypatch.setenv("DUCKFIX_LLM__MODEL", "test-model")
        first = _rows(_invoke([*base, "--ray-address", address]))
        sent = server.requests
        again = _rows(_invoke([*base, "--ray-address", address]))
        assert server.requests == sent, "a cached re-run sends no request"
        local = _rows(_invoke(base))
        assert server.requests == sent, "the local run reads the cache the workers filled"
    assert sent > 0 and sum(int(r["llm_calls"]) for r in first.values()) == sent  # type: ignore[call-overload]
    assert all(r["llm_calls"] == 0 for r in again.values())

    def verdicts(rows: dict[str, dict[str, object]]) -> dict[str, tuple[object, ...]]:
        return {k: (r["status"], r["plausible"], r["correct"], r["fix"]) for k, r in rows.items()}

    assert verdicts(first) == verdicts(again) == verdicts(local)
    assert first["double"]["correct"] and not first["unfixable"]["correct"]
    store = open_store(postgres_url)
    run_id = str(first["double"]["run_id"])
    assert set(store.results(run_id)) == {"double", "unfixable"}
    usage = store.llm_usage(run_id)  # written by the workers, not the driver
    assert len([u for u in usage if not u.cached]) == sent
    assert {u.task_id for u in usage} == {"double", "unfixable"}
    assert store.get_run(run_id).status == "ok"


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
        del doc["seconds"]
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
