"""Localizer: tracing overhead (vs untraced, vs coverage.py) and accuracy on the built-in suite.

Line recording is measured two ways throughout: our ``sys.settrace`` tracer
(``_duckfix/cases.py``, what the harness uses) and coverage.py's C tracer with
one dynamic context per test (the harness with ``Tracer`` swapped for
``CoverageLines`` below; the watched run keeps our tracer either way, since
both need the one ``sys.settrace`` slot). coverage.py is optional (``pip
install coverage``); without it its rows are skipped.

Overhead, in process: a CPU-bound program called case by case exactly as
``_duckfix/cases.py`` calls it, untraced and recorded both ways. End to end,
through ``run_tests`` in the sandbox: the same program as JSON cases and as a
pytest file, untraced and recorded both ways; a process that records with
coverage.py first pays for importing and starting it.

The suite: ``localize`` on every task of the built-in suite, both ways, task
by task in turn (so drift hits both alike), one at a time: total and
per-task wall time, and accuracy. A task counts at rank k when one of its
buggy lines (lines the reference fix changes or deletes; for a pure
insertion, the lines either side of it) is among the first k suspects.
"""

from __future__ import annotations

import difflib
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from unittest import mock

from duckfix.agents.localizer import localize
from duckfix.datasets.suites import load_suite
from duckfix.harness import harness_files
from duckfix.harness.cases import Tracer
from duckfix.models import Task, TestCase, TestSet, Trace
from duckfix.runner import RunOptions, run_tests

ROUNDS = 5
Way = Literal["tracer", "coverage"]
WAYS: dict[Way, str] = {"tracer": "duckfix tracer", "coverage": "coverage.py, a context per test"}
HAS_COVERAGE = importlib.util.find_spec("coverage") is not None
# Spliced into _duckfix/cases.py for the "coverage" way (the pytest plugin imports
# Tracer from there too). Same interface and records as Tracer; each test's lines
# are read back as it ends, so a run killed mid-way keeps those of the tests done.
COVERAGE_LINES = """

class CoverageLines:
    def __init__(self, files, root=None):
        import coverage

        self.root = os.path.realpath(root or os.getcwd())
        self.files = set(files)
        self.cov = coverage.Coverage(
            data_file=None, config_file=False, branch=False,
            include=[os.path.join(self.root, p) for p in files],
        )
        self.cov.set_option("run:disable_warnings", ["no-data-collected", "module-not-measured"])
        self.count = 0

    def start(self):
        self.cov.start()
        self.cov.switch_context(f"t{self.count}")

    def stop(self):
        self.cov.stop()

    def lines(self):
        data = self.cov.get_data()
        data.set_query_contexts([f"^t{self.count}$"])
        found = {}
        for name in data.measured_files():
            path = os.path.relpath(name, self.root)
            if path in self.files and data.lines(name):
                found[path] = sorted(data.lines(name))
        return found

    def take(self):
        lines = self.lines()
        self.count += 1
        return lines, {}


_OWN_TRACER = Tracer


def Tracer(files, watch=(), root=None):
    return _OWN_TRACER(files, watch, root) if watch else CoverageLines(files, root)

"""


def _coverage_harness() -> dict[str, str]:
    files = harness_files()
    head, main, tail = files["_duckfix/cases.py"].rpartition('\nif __name__ == "__main__":')
    assert main, "_duckfix/cases.py no longer ends with its __main__ block"
    files["_duckfix/cases.py"] = head + COVERAGE_LINES + main + tail
    return files


@contextmanager
def recording(way: Way) -> Iterator[None]:
    """Runs in this block record lines ``way``."""
    if way == "tracer":
        yield
        return
    with mock.patch("duckfix.runner.harness_files", _coverage_harness):
        yield


def _ways() -> list[Way]:
    return ["tracer", "coverage"] if HAS_COVERAGE else ["tracer"]


WORKLOAD = """\
def lis(xs):
    best = [1] * len(xs)
    for i in range(len(xs)):
        for j in range(i):
            if xs[j] < xs[i] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
    return max(best, default=0)


def primes(n):
    sieve = [True] * (n + 1)
    found = []
    for i in range(2, n + 1):
        if sieve[i]:
            found.append(i)
            for k in range(i * i, n + 1, i):
                sieve[k] = False
    return len(found)


def fib(n, memo=None):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def bubble(xs):
    xs = list(xs)
    for end in range(len(xs) - 1, 0, -1):
        swapped = False
        for i in range(end):
            if xs[i] > xs[i + 1]:
                xs[i], xs[i + 1] = xs[i + 1], xs[i]
                swapped = True
        if not swapped:
            break
    return xs[:3]


def work(kind, n):
    if kind == "lis":
        return lis([(i * 7919) % 1000 for i in range(n)])
    if kind == "primes":
        return primes(n)
    if kind == "fib":
        return fib(n)
    return bubble([(i * 104729) % 997 for i in range(n)])
"""
CASES = [("lis", 300), ("primes", 60000), ("fib", 19), ("bubble", 250)] * 3


def _in_process(mode: str, fn: Callable[..., Any], path: str) -> float:
    """Seconds to run every case once, recording per-case lines as ``mode`` does."""
    started = time.perf_counter()
    if mode == "untraced":
        for kind, n in CASES:
            fn(kind, n)
    elif mode == "tracer":
        tracer = Tracer([Path(path).name], root=str(Path(path).parent))  # type: ignore[no-untyped-call]
        for kind, n in CASES:
            tracer.start()  # type: ignore[no-untyped-call]
            try:
                fn(kind, n)
            finally:
                tracer.stop()  # type: ignore[no-untyped-call]
            tracer.take()  # type: ignore[no-untyped-call]
    else:
        import coverage

        cov = coverage.Coverage(data_file=None, include=[path], branch=False)
        cov.start()
        for i, (kind, n) in enumerate(CASES):
            cov.switch_context(f"case {i + 1}")
            fn(kind, n)
        cov.stop()
        data = cov.get_data()
        for context in data.measured_contexts():
            data.set_query_contexts([context])
            data.lines(path)
    return time.perf_counter() - started


def overhead_in_process() -> None:
    modes = ["untraced", "tracer", *(["coverage"] if HAS_COVERAGE else [])]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp, "workload.py").resolve())
        Path(path).write_text(WORKLOAD)
        spec = importlib.util.spec_from_file_location("workload", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        times: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(ROUNDS):  # interleaved, so drift hits every mode alike
            for mode in modes:
                times[mode].append(_in_process(mode, module.work, path))
    base = statistics.median(times["untraced"])
    print(f"in process: {len(CASES)} cases, median of {ROUNDS} rounds")
    labels = {
        "untraced": "untraced",
        "tracer": "duckfix tracer",
        "coverage": "coverage.py, a context per case",
    }
    for mode in modes:
        median = statistics.median(times[mode])
        print(f"  {labels[mode]:34} {median * 1000:8.1f} ms  {median / base:5.2f}x")
    if "coverage" not in modes:
        print("  coverage.py                        not installed: skipped")


def _workload_task() -> Task:
    tests = "".join(
        f"def test_{kind}_{i}():\n    assert work({kind!r}, {n}) is not None\n\n"
        for i, (kind, n) in enumerate(CASES)
    )
    return Task(
        id="workload",
        entry_point="work",
        program="workload.py",
        buggy={"workload.py": WORKLOAD},
        visible=TestSet(cases=[TestCase(args=[k, n], expected=None) for k, n in CASES]),
        hidden=TestSet(
            pytest_files={"tests/hidden/test_workload.py": "from workload import work\n\n" + tests}
        ),
    )


def overhead_end_to_end() -> None:
    task = _workload_task()
    options = RunOptions(case_timeout=30.0)
    trace = Trace(files=["workload.py"])
    ways = _ways()
    print(f"end to end (run_tests in the sandbox), median of {ROUNDS} runs")
    sides: tuple[tuple[Literal["visible", "hidden"], str], ...] = (
        ("visible", "JSON cases"),
        ("hidden", "pytest file"),
    )
    for side, label in sides:
        plain: list[float] = []
        traced: dict[Way, list[float]] = {way: [] for way in ways}
        for _ in range(ROUNDS):
            plain.append(run_tests(task, side, options=options).seconds)
            for way in ways:
                with recording(way):
                    traced[way].append(run_tests(task, side, options=options, trace=trace).seconds)
        p = statistics.median(plain)
        shown = "  ".join(
            f"{way} {statistics.median(t) * 1000:6.0f} ms {statistics.median(t) / p:5.2f}x"
            for way, t in traced.items()
        )
        print(f"  {label:12} untraced {p * 1000:6.0f} ms  {shown}")


def buggy_lines(task: Task) -> set[tuple[str, int]]:
    """(path, line) of the lines the fix changes or deletes, or either side of an insertion."""
    found: set[tuple[str, int]] = set()
    for path, source in task.buggy.items():
        fixed = (task.fixed or {}).get(path, source)
        matcher = difflib.SequenceMatcher(
            a=source.splitlines(), b=fixed.splitlines(), autojunk=False
        )
        for op, i1, i2, _, _ in matcher.get_opcodes():
            if op in ("replace", "delete"):
                found |= {(path, n) for n in range(i1 + 1, i2 + 1)}
            elif op == "insert":
                found |= {(path, i1), (path, i1 + 1)}
    return found


def _rank(task: Task) -> tuple[int | None, float]:
    """The rank of the first buggy line among ``localize``'s suspects, and its wall time."""
    started = time.perf_counter()
    found = localize(task, top=1000)
    seconds = time.perf_counter() - started
    truth = buggy_lines(task)
    rank = next((i for i, s in enumerate(found.suspects, 1) if (s.path, s.line) in truth), None)
    return rank, seconds


def suite() -> None:
    """``localize`` on the built-in suite, both ways: wall time and accuracy."""
    tasks = load_suite("builtin")
    ways = _ways()
    ranks: dict[Way, list[int | None]] = {way: [] for way in ways}
    seconds: dict[Way, list[float]] = {way: [] for way in ways}
    for i, task in enumerate(tasks):
        for way in ways if i % 2 == 0 else ways[::-1]:
            with recording(way):
                rank, took = _rank(task)
            ranks[way].append(rank)
            seconds[way].append(took)
    print(f"built-in suite: localize() on {len(tasks)} tasks, one at a time, both ways in turn")
    for way in ways:
        times = seconds[way]
        print(
            f"  {WAYS[way]:34} {sum(times):6.1f} s total,"
            f" median {statistics.median(times) * 1000:5.0f} ms, max {max(times):5.1f} s"
        )
    if len(ways) == 2:
        slower = sum(c > t for t, c in zip(seconds["tracer"], seconds["coverage"], strict=True))
        print(f"  coverage.py slower on {slower} of {len(tasks)} tasks")
    else:
        print("  coverage.py                        not installed: skipped")
    print(f"accuracy on the built-in suite ({len(tasks)} tasks, Ochiai)")
    for k in (1, 3, 5, 10):
        shares = []
        for way in ways:
            hits = sum(1 for r in ranks[way] if r is not None and r <= k)
            shares.append(f"{way} {hits:3d} / {len(tasks)}  ({hits / len(tasks):.0%})")
        print(f"  buggy line in top {k:<2}   " + "   ".join(shares))
    if len(ways) == 2:
        changed = [t.id for t, a, b in zip(tasks, *ranks.values(), strict=True) if a != b]
        print(f"  ranked differently      {len(changed):3d}  {', '.join(changed)}".rstrip())
    missing = [t.id for t, r in zip(tasks, ranks["tracer"], strict=True) if r is None]
    print(f"  never ranked            {len(missing):3d}  {', '.join(missing)}".rstrip())
    by_category: dict[str, list[int | None]] = {}
    for task, rank in zip(tasks, ranks["tracer"], strict=True):
        by_category.setdefault(task.category, []).append(rank)
    for category, found in sorted(by_category.items()):
        shown = " ".join("-" if r is None else str(r) for r in found)
        print(f"    {category:22} ranks {shown}")


def main() -> None:
    print(f"python {sys.version.split()[0]}")
    overhead_in_process()
    overhead_end_to_end()
    suite()


if __name__ == "__main__":
    main()
