"""Batch executors: model throughput against the ideal, local and ray; 1 vs 2 Ray workers.

Throughput: a bench over N small tasks against an OpenAI-compatible server on
loopback that answers after L seconds (tests/openai_server.py), at model
concurrency C (each task asks one request at a time). The ideal is C / L
requests per second; when validation dominates, the CPU bound is the same run
against a server answering at once. Then the same run again: every
answer comes from the cache, so it must send zero requests.

Scaling: ``review --hls-dataset`` over a toy dataset copied many times (many
designs of two or three bugs), the same over a few designs of many bugs each
(a design's bugs are compiled in one sandbox), and ``dataset build`` over
built-in programs, each on a local Ray of 1 and of 2
worker CPUs, the arms interleaved and repeated so that other load on the
machine falls on both alike. The review is timed as the CLI runs it: the
driver lists the folders, the workers read, apply and review the bugs. Per
item, the bench prints the driver's CPU and the workers' own time (the parts'
seconds): the driver's share is what bounds the speed-up.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duckfix.cluster_limit import actor_name
from duckfix.config import LLMSettings
from duckfix.datasets.builder.build import BuildSpec
from duckfix.datasets.chrysalis import scan_chrysalis
from duckfix.datasets.suites import load_suite
from duckfix.executor import Executor, LocalExecutor, RayExecutor
from duckfix.pipelines.bench import BenchContext, run_bench
from duckfix.pipelines.dataset import build
from duckfix.pipelines.debug import DebugContext
from duckfix.pipelines.review.hls_dataset import measure_folder
from duckfix.remote_model import ModelRecipe
from duckfix.review_settings import ReviewSettings
from duckfix.runner import RunOptions
from duckfix.store import open_store

from tests.datasets.test_chrysalis import FILES, build_dataset
from tests.datasets.test_folder import write_task
from tests.openai_server import canned_server

TASKS = 16
CONCURRENCY = 4
LATENCY = 1.0
SAMPLES = 12
"""Requests per task (the fixer's one round) beside the localizer's: the model's time dominates."""
# The scaling part's input. On an idle machine these items take ~26 ms (a review)
# and ~100 ms (a mutant) on one worker, so the driver's own share decides the
# speed-up at the default size: DUCKFIX_BENCH_RAY_SIZE=4 measures four times
# the input (48 programs, the whole built-in suite, at most).
SIZE = int(os.environ.get("DUCKFIX_BENCH_RAY_SIZE", "1"))
COPIES = 20 * SIZE  # x 6 applied bugs of the toy dataset
PROGRAMS = min(48, 16 * SIZE)
REPEATS = 2


def _suite(root: Path) -> list[Any]:
    # Distinct programs, so that no prompt is answered from another task's cache entry.
    for i in range(TASKS):
        body = f"def double(n):\n    return str(n) * 3  # variant {i}\n"
        write_task(root, f"t{i:02d}", **{"buggy/double.py": body})
    return sorted(load_suite(str(root)), key=lambda t: t.id)


def _bench(
    tasks: list[Any], executor: Executor, jobs: int, base_url: str, database: str, run_id: str
) -> tuple[float, int]:
    llm = LLMSettings(provider="openai", base_url=base_url, model="m", concurrency=CONCURRENCY)
    open_store(database)  # migrated here, as the CLI's driver does, before any worker opens it
    started = time.perf_counter()
    # On Ray the run's limit is one actor all workers share (as the CLI's bench makes it).
    with executor.model_limit(actor_name(run_id), CONCURRENCY, llm.timeout) as limit:
        model = ModelRecipe(llm=llm, database=database, run_id=run_id, limit=limit)
        debug = DebugContext(
            options=RunOptions(), max_candidates=1, max_mutants=0, workers=1, llm_first=True,
            llm_samples=SAMPLES, llm=None if executor.remote else model.client(),
        )  # fmt: skip
        context = BenchContext(debug=debug, executor=executor, model=model)
        results = run_bench(tasks, context, jobs)
    return time.perf_counter() - started, sum(r.llm_calls for r in results.values())


def throughput(home: Path) -> None:
    tasks = _suite(home / "suite")
    print(f"{TASKS} tasks, model concurrency C={CONCURRENCY}, latency L={LATENCY:g} s: "
          f"ideal {CONCURRENCY / LATENCY:.1f} requests/s")  # fmt: skip
    # 2C tasks at once, so that C requests are in flight while other tasks run their
    # tests: locally they share one client's limit; on Ray (2C worker processes) the
    # run's cluster-wide limit.
    arms: list[tuple[str, Callable[[], Executor], int]] = [
        ("local", LocalExecutor, 2 * CONCURRENCY),
        ("ray", lambda: RayExecutor(None, cpus=2 * CONCURRENCY), 2 * CONCURRENCY),
    ]
    for name, make, jobs in arms:
        executor = make()
        try:
            _warm(executor, jobs)
            database = f"sqlite:///{home / f'{name}.db'}"
            with canned_server(0.0) as fast:  # the CPU bound: answers at once
                cpu_seconds, _ = _bench(tasks, executor, jobs, fast.base_url, database, "cpu")
            database = f"sqlite:///{home / f'{name}-l.db'}"
            with canned_server(LATENCY) as server:
                seconds, calls = _bench(tasks, executor, jobs, server.base_url, database, "1")
                sent = server.requests
                again, _ = _bench(tasks, executor, jobs, server.base_url, database, "2")
                resent = server.requests - sent
        finally:
            executor.close()
        rate = sent / seconds
        ideal_rate = CONCURRENCY / LATENCY
        # While the model is in use: from the first request to the last answer (the tasks'
        # first test runs come before any request, whatever the executor).
        busy = sent / (server.last - (server.first or server.last) or 1)
        ideal = max(sent / ideal_rate, cpu_seconds)
        print(f"  {name:5} ({jobs} tasks at once): {sent} requests in {seconds:.2f} s = "
              f"{rate:.2f}/s, {100 * rate / ideal_rate:.0f} % of C/L; while in use "
              f"{busy:.2f}/s, {100 * busy / ideal_rate:.0f} % of C/L (CPU bound: "
              f"{cpu_seconds:.2f} s at zero latency; ideal {ideal:.1f} s, "
              f"{100 * ideal / seconds:.0f} % of it); in flight: peak {server.peak}, mean "
              f"{server.mean_in_flight:.2f} of {CONCURRENCY}; "
              f"in the results {calls}")  # fmt: skip
        print(f"         cached re-run: {again:.2f} s, {resent} requests sent")


def _big_hls_dataset(parent: Path) -> Path:
    root = build_dataset(parent)
    for k in range(1, COPIES):
        for rel, text in FILES.items():
            parts = rel.split("/")
            name = parts[1]
            parts[1] = f"{name}{k}"
            if parts[-1] == f"{name}.cpp":  # a design's source is named after it
                parts[-1] = f"{name}{k}.cpp"
            path = root.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            # A copy of its own, so that no cache answers for another copy.
            own = f"// copy {k}\n{text}" if rel.endswith((".cpp", ".h")) else text
            path.write_text(own, encoding="utf-8")
    return root


BUGS_A_DESIGN = 40
"""The second review input's shape: few designs, many bugs each (a real dataset's many
bugs of one kernel), where the first has many designs of two or three bugs each."""
# One snippet of each toy design, and the faulty versions the bugs write in its place.
_VARIED = {
    "vadd": ("FND", "factor=4 dim=1", "factor={} dim=1"),
    "matmul": ("FND", "type=complete dim=2", "type=cyclic factor={} dim=2"),
    "shift": ("SHFT", "x << 4", "x << {}"),
}


def _hls_dataset_of_big_designs(parent: Path) -> Path:
    """The toy designs, ``SIZE`` copies each, each with ``BUGS_A_DESIGN`` bugs of its own."""
    root = build_dataset(parent)  # its README; its designs are replaced
    for suite in {rel.split("/")[0] for rel in FILES}:
        shutil.rmtree(root / suite)
    for k in range(SIZE):
        for rel, text in FILES.items():
            suite, name, *rest = rel.split("/")
            if rest[0] == "Bugs":
                continue
            if rest[-1] == f"{name}.cpp":  # a design's source is named after it
                rest[-1] = f"{name}{k}.cpp"
            source = root.joinpath(suite, f"{name}{k}", *rest)
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text(f"// copy {k}\n{text}", encoding="utf-8")
        for name, (code, original, faulty) in _VARIED.items():
            suite = next(rel.split("/")[0] for rel in FILES if rel.split("/")[1] == name)
            bugs = root / suite / f"{name}{k}" / "Bugs"
            bugs.mkdir()
            for j in range(BUGS_A_DESIGN):
                spec = {"Error Type": code, "Original Code": original,
                        "Faulty Code": faulty.format(j + 5)}  # fmt: skip
                text = json.dumps({"Error Specification": [spec]}, indent=2)
                (bugs / f"bug_{code}{j}.txt").write_text(text, encoding="utf-8")
    return root


def _warm(executor: Executor, workers: int) -> None:
    # Each worker imports duckfix once; that start-up is not what is compared.
    list(executor.map_unordered(_warm_one, range(4 * workers), workers))


def _warm_one(_: int) -> int:
    import duckfix.pipelines.bench
    import duckfix.pipelines.dataset
    import duckfix.pipelines.review.hls_dataset  # noqa: F401

    return os.getpid()


def scaling(home: Path) -> None:
    reviews = {
        "review --hls-dataset": _big_hls_dataset(home / "hls"),
        f"  {BUGS_A_DESIGN} bugs a design": _hls_dataset_of_big_designs(home / "hls-big"),
    }
    programs = sorted(load_suite("builtin"), key=lambda t: t.id)[:PROGRAMS]
    settings = ReviewSettings()
    times: dict[tuple[str, int], list[float]] = {}
    driver: dict[tuple[str, int], list[float]] = {}
    worker: dict[tuple[str, int], list[float]] = {}
    items = {name: 0 for name in reviews} | {"dataset build": 0}
    # One local Ray of 2 CPUs for both arms: 1 worker is 1 task at a time on it, 2 are 2
    # (a Ray start on this loaded machine takes long and sometimes times out).
    executor = RayExecutor(None, cpus=2)
    try:
        _warm(executor, 2)
        for repeat in range(REPEATS):
            for workers in (1, 2) if repeat % 2 == 0 else (2, 1):
                took = []
                for name, folder in reviews.items():
                    started, cpu = time.perf_counter(), time.process_time()
                    report = measure_folder(scan_chrysalis(folder), settings, jobs=workers,
                                            executor=executor)  # fmt: skip
                    took.append(f"{time.perf_counter() - started:.2f} s")
                    key = (name, workers)
                    times.setdefault(key, []).append(time.perf_counter() - started)
                    driver.setdefault(key, []).append(time.process_time() - cpu)
                    worker.setdefault(key, []).append(report.part_seconds)
                    items[name] = report.total.applied  # the reviewed ones
                spec = BuildSpec(
                    suite="builtin", language="python", per_program=3, seed=repeat,
                    out=home / f"ds-{repeat}-{workers}",
                )  # fmt: skip
                started, cpu = time.perf_counter(), time.process_time()
                summary = build(programs, spec, RunOptions(), jobs=workers, executor=executor)
                built = time.perf_counter() - started
                key = ("dataset build", workers)
                times.setdefault(key, []).append(built)
                driver.setdefault(key, []).append(time.process_time() - cpu)
                items["dataset build"] = summary.validated
                print(f"  run {repeat + 1}, {workers} worker(s): reviews {' and '.join(took)}, "
                      f"dataset build {built:.2f} s (load {os.getloadavg()[0]:.1f})")  # fmt: skip
    finally:
        executor.close()
    load = os.getloadavg()[0]
    print(f"1 and 2 Ray workers, interleaved, {REPEATS} runs each, size {SIZE} "
          f"(machine shared: load average {load:.1f}); median seconds:")  # fmt: skip
    for job, count in items.items():
        one = statistics.median(times[(job, 1)])
        two = statistics.median(times[(job, 2)])
        per = 1000 / max(1, count)
        mine = per * statistics.median(driver[(job, 1)] + driver[(job, 2)])
        theirs = ""
        if (job, 1) in worker:
            busy = per * statistics.median(worker[(job, 1)] + worker[(job, 2)])
            theirs = f", on the workers {busy:.1f} ms"
        print(f"  {job:21}: 1 worker {one:6.2f} s, 2 workers {two:6.2f} s, speed-up "
              f"{one / two:.2f}x ({count} items; per item: {per * one:.1f} ms on one worker, "
              f"driver CPU {mine:.2f} ms{theirs})")  # fmt: skip


def main() -> None:
    parts = os.environ.get("DUCKFIX_BENCH_RAY", "throughput,scaling").split(",")
    with tempfile.TemporaryDirectory(prefix="duckfix-bench-ray-") as tmp:
        home = Path(tmp)
        if "throughput" in parts:
            throughput(home)
        if "scaling" in parts:
            scaling(home)


if __name__ == "__main__":
    main()
