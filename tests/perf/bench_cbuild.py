"""HLS bench builds: plain vs the build cache (precompiled headers, kept bench objects).

Two views of the same builds, measured in this run:

- ``run_tests`` wall time for one side of a task, as the debugger and the dataset
  builder pay it: plain builds (``build_cache=None``) interleaved with warm-cache
  builds, plus one cold-cache build (empty folder: the PCH and the bench object
  are made on the way);
- compiler CPU time (user + sys of the compiler processes, outside the sandbox)
  of the bench and kernel compiles, plain vs with the PCH, which a busy machine
  distorts far less than wall time.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path, PurePosixPath

from duckfix import cbuild_cache
from duckfix.datasets.suites import load_suite
from duckfix.harness import harness_files
from duckfix.models import Task
from duckfix.runner import RunOptions, hls_include, run_tests

TASKS = ("fir", "matmul")
REPS = 5
FLAGS = ["-std=gnu++17", "-g1", "-O1", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
         "-fno-sanitize=shift-base", "-Wno-unknown-pragmas", "-Wno-unused-label"]  # fmt: skip


def _timed_run(task: Task, options: RunOptions, fixed: bool) -> float:
    program = task.fixed if fixed and task.fixed is not None else task.buggy
    started = time.perf_counter()
    report = run_tests(task, "visible", program, options)
    seconds = time.perf_counter() - started
    assert report.outcomes and not any(o.status == "error" for o in report.outcomes), report
    return seconds


def _cpu(argv: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _compiler_cpu(task: Task, hls: str, cache: cbuild_cache.BuildCache) -> tuple[float, ...]:
    """Median CPU seconds: bench compile, kernel compile plain, kernel compile with the PCH."""
    files = {**task.buggy, **task.support, **task.visible.benches, **harness_files()}
    bench = task.visible.bench_paths[0]
    kernel = task.program
    folder = str(PurePosixPath(bench).parent)
    flags = [*FLAGS, "-I", ".", "-I", "_duckfix", "-isystem", hls, "-I", folder]
    pch = cache.pch(files, kernel, "g++", flags, hls, 300)
    assert pch is not None, f"{task.id}: no PCH"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        bench_t, plain_t, pch_t = [], [], []
        for _ in range(3):
            bench_t.append(_cpu(["g++", *flags, "-c", bench, "-o", "b.o"], root))
            plain_t.append(_cpu(["g++", *flags, "-c", kernel, "-o", "k.o"], root))
            pch_t.append(_cpu(["g++", *flags, "-include", pch, "-c", kernel, "-o", "p.o"], root))
        assert (root / "k.o").read_bytes() == (root / "p.o").read_bytes(), "objects differ"
    return statistics.median(bench_t), statistics.median(plain_t), statistics.median(pch_t)


def main(reps: int = REPS) -> None:
    hls = hls_include()
    if hls is None:
        print("skipped: the hls extra (hls4ml) is not installed")
        return
    suite = {t.id: t for t in load_suite("hls")}
    with tempfile.TemporaryDirectory() as tmp:
        for name in TASKS:
            task = suite[name]
            plain = RunOptions(case_timeout=5.0, hls_include=hls, build_cache=None)
            cold_dir = Path(tmp) / f"cold-{name}"
            cold = RunOptions(case_timeout=5.0, hls_include=hls, build_cache=str(cold_dir))
            cold_s = _timed_run(task, cold, fixed=True)
            # Interleaved, so drift on a busy machine hits both sides alike; the
            # program alternates between the fixed and the buggy kernel, as
            # candidates do, while the bench stays the same.
            plain_t, warm_t = [], []
            for i in range(reps):
                plain_t.append(_timed_run(task, plain, fixed=i % 2 == 0))
                warm_t.append(_timed_run(task, cold, fixed=i % 2 == 1))
            cache = cbuild_cache.open_cache(cold_dir)
            assert cache is not None
            bench_cpu, kernel_cpu, pch_cpu = _compiler_cpu(task, hls, cache)
            p, w = statistics.median(plain_t), statistics.median(warm_t)
            print(f"[{name}] run_tests, one side, {reps} runs each (median wall seconds)")
            print(f"  plain build               {p:6.2f} s")
            print(f"  cold cache (first build)  {cold_s:6.2f} s  (builds the PCH and bench object)")
            print(f"  warm cache                {w:6.2f} s")
            print(f"  ratio warm / plain        {w / p:6.2f}  (target <= 0.40)")
            print(f"[{name}] compiler CPU seconds (user + sys, median of 3)")
            print(f"  bench compile             {bench_cpu:6.2f} s  (kept: paid once per task)")
            print(f"  kernel compile, plain     {kernel_cpu:6.2f} s")
            print(f"  kernel compile, PCH       {pch_cpu:6.2f} s  (same object, byte for byte)")
            plain_cpu, warm_cpu = bench_cpu + kernel_cpu, pch_cpu
            print(f"  per build: plain {plain_cpu:.2f} s, warm {warm_cpu:.2f} s, "
                  f"ratio {warm_cpu / plain_cpu:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
