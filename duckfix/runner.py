"""Run one side of a task's tests against a version of its program, in the sandbox.

JSON cases go through ``_duckfix/cases.py`` (one process for all cases, a per-case
alarm; after a crash it restarts at the next case). Pytest files go through
pytest, started by ``_duckfix/duckfix_pytest_plugin.py`` with itself as a plugin
(a per-test alarm, one JSON line per test). The tests and the harness are laid
out after the program, fresh for every run, so a candidate can never change what
judges it.

A run can be limited to some tests (``only``) and traced (``trace``): the
harness then records, per test, the lines of the chosen files that ran and the
values of variables at watched lines, with a ``sys.settrace`` hook that stays
out of every other file's frames.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from duckfix import cbuild_cache, golden, judge, sandbox
from duckfix.errors import TaskError
from duckfix.harness import harness_files
from duckfix.hls_headers import hls_include
from duckfix.models import (
    GoldenRun,
    OutcomeStatus,
    RunResult,
    Task,
    TestCase,
    TestOutcome,
    TestReport,
    TestSet,
    Trace,
)
from duckfix.sandbox import Isolation, Limits

__all__ = [
    "TRACE_SLOWDOWN",
    "RunOptions",
    "Side",
    "hls_include",
    "is_test_file",
    "record_runs",
    "run_tests",
    "scaled_to",
]

Side = Literal["visible", "hidden"]
_SPEC = "_duckfix/spec.json"
_PYTEST_SCRIPT = "_duckfix/duckfix_pytest_plugin.py"
_CASES_MODULES = ("ast", "itertools", "json", "reprlib", "signal", "traceback", "types")
"""What ``cases.py`` imports, beyond what every interpreter has loaded (os, sys, time):
its warm runs fork from a process with just these, a third of one with pytest."""
# The harnesses are the same bytes in every run: compiled once.
for _rel, _name, _preload in (
    ("_duckfix/cases.py", "cases.py", _CASES_MODULES),
    ("_duckfix/cbench.py", "cbench.py", None),
    (_PYTEST_SCRIPT, "pytest_plugin.py", None),
):
    sandbox.warm_script(_rel, str(Path(__file__).parent / "harness" / _name), _preload)
_PYTEST_INI = "_duckfix/pytest.ini"
_TRACE_SPEC = "_duckfix/trace.json"
_STARTUP = 10.0  # seconds a run may spend starting before its cases
_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+test", re.MULTILINE)
TRACE_SLOWDOWN = 3.0
"""Traced runs give each test this many times ``case_timeout``.

Line tracing slows pure-Python code a few times (``python -m tests.perf
bench_localizer``); without the margin a test that passes close to its limit
would time out only when traced, and the spectrum would blame the wrong lines.
"""


@dataclass(frozen=True)
class RunOptions:
    """How test runs are sandboxed; one object shared by a whole job."""

    case_timeout: float = 2.0
    """Seconds per JSON case or pytest test."""
    limits: Limits = field(default_factory=Limits)
    isolation: Isolation = "auto"
    hls_include: str | None = None
    """The folder of the ``ap_int`` / ``ap_fixed`` / ``hls_stream`` headers, for HLS tasks."""
    compile_timeout: float = 120.0
    """Seconds one test bench may take to compile."""
    deadline: float | None = None
    """A ``time.monotonic()`` moment no run may last past (a job's budget): every
    run's wall-clock limit and compile timeout are cut to end by it."""
    warm: bool = True
    """Run the harness in a fork of a process that has pytest imported already
    (``duckfix.sandbox.run(warm=True)``): the same isolation and verdicts, a
    fraction of the start-up of a new interpreter."""
    build_cache: str | None = "default"
    """Where C / HLS builds keep precompiled headers and bench objects
    (``duckfix.cbuild_cache``): ``"default"`` is ``<duckfix home>/cache/cbuild``;
    None builds everything from scratch every time."""
    debug_info: Literal["lines", "full"] = "lines"
    """Debug information in C / HLS builds: ``"lines"`` (``-g1``) gives sanitizer
    reports their functions, files and lines; ``"full"`` (``-g``) adds the types and
    variables a debugger needs, which for the ``ap_int`` templates costs two thirds
    of a kernel's compile (``python -m tests.perf bench_validate``). Code is the same."""


# A version that loops forever would cost the full per-test timeout on every
# run; the program's own passing tests set a tighter time scale.
_TIME_SCALE = 20.0
_MIN_TIMEOUT = 0.5


def scaled_to(options: RunOptions, report: TestReport) -> RunOptions:
    """``options`` with the per-test timeout cut to the time scale of ``report``'s passes.

    Twenty times the slowest passing test (at least half a second, at most the
    configured timeout): a candidate that still loops is given up on quickly.
    """
    slowest = max((o.seconds for o in report.passed), default=0.0)
    timeout = min(options.case_timeout, max(_MIN_TIMEOUT, _TIME_SCALE * slowest))
    return dataclasses.replace(options, case_timeout=timeout)


def is_test_file(path: str) -> bool:
    """Whether pytest would collect ``path`` as a test module."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def run_tests(
    task: Task,
    side: Side,
    program: Mapping[str, str] | None = None,
    options: RunOptions | None = None,
    *,
    only: Sequence[str] | None = None,
    trace: Trace | None = None,
) -> TestReport:
    """Outcomes of ``task``'s ``side`` tests against ``program`` (default: the buggy one).

    ``only`` names the tests to run, as outcomes name them (``visible/cases.jsonl:3``,
    ``case 2``, ``tests/visible/test_x.py::test_a``); they run, and their outcomes
    come back, in that order (JSON cases in one process, then pytest tests in
    another). A name that is no test of ``side`` gets an ``error`` outcome, except
    the names of whole-file pytest failures (``pytest run (...)``), which rerun
    the files they mention. With ``trace``, every outcome carries ``lines`` (and
    ``values`` when lines are watched), and each test gets ``TRACE_SLOWDOWN``
    times the usual time.
    """
    options = options or RunOptions()
    if trace is not None:
        options = dataclasses.replace(options, case_timeout=options.case_timeout * TRACE_SLOWDOWN)
    program = dict(task.buggy if program is None else program)
    tests = task.visible if side == "visible" else task.hidden
    protected = set(task.support) | set(task.visible.pytest_files) | set(task.hidden.pytest_files)
    clash = sorted(p for p in program if p in protected or p.startswith("_duckfix/"))
    if clash:
        raise TaskError(f"the program may not replace test or support files: {', '.join(clash)}")
    layout: dict[str, str | bytes] = {**program, **task.support}
    started = time.monotonic()
    report = TestReport()
    selection = _select(tests, only)
    if selection.cases:
        _run_cases(task, selection.cases, layout, options, report, trace)
    if selection.pytest_args:
        _run_pytest(tests.pytest_files, selection.pytest_args, layout, options, report, trace)
    if selection.benches is not None:
        _run_benches(task, tests, selection.benches, layout, options, report, trace)
    if selection.runs:
        _run_golden(task, tests, selection.runs, layout, options, report, trace)
    if only is not None:
        report.outcomes = _in_order(report.outcomes, only, selection.unknown)
    report.seconds = time.monotonic() - started
    return report


@dataclass
class _Selection:
    cases: list[tuple[str, TestCase]] = field(default_factory=list)
    pytest_args: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    benches: list[str] | None = None
    """Bench cases to run (``bench::case``); [] means every case; None: no bench."""
    runs: list[GoldenRun] = field(default_factory=list)


def _select(tests: TestSet, only: Sequence[str] | None) -> _Selection:
    named = [(case.name or f"case {i + 1}", case) for i, case in enumerate(tests.cases)]
    targets = sorted(p for p in tests.pytest_files if is_test_file(p))
    benches = tests.bench_paths
    if only is None:
        return _Selection(
            cases=named, pytest_args=targets, benches=[] if benches else None, runs=tests.runs
        )
    by_name = dict(reversed(named))  # the first case of a name wins
    runs = {run.name: run for run in tests.runs}
    selection = _Selection()
    for name in dict.fromkeys(only):
        if name in by_name:
            selection.cases.append((name, by_name[name]))
        elif name in runs:
            selection.runs.append(runs[name])
        elif name.split("::", 1)[0] in tests.pytest_files:
            selection.pytest_args.append(name)
        elif name.split("::", 1)[0] in benches:
            # Names not in the bench come back from the harness as missing.
            selection.benches = [*(selection.benches or []), name]
        elif mentioned := [t for t in targets if t in name]:
            selection.pytest_args.extend(t for t in mentioned if t not in selection.pytest_args)
        else:
            selection.unknown.append(name)
    return selection


def _in_order(
    outcomes: list[TestOutcome], only: Sequence[str], unknown: Sequence[str]
) -> list[TestOutcome]:
    missing = [
        TestOutcome(name=name, status="error", message="no test of this name") for name in unknown
    ]
    pool = outcomes + missing
    rank = {name: i for i, name in enumerate(dict.fromkeys(only))}
    # Outcomes nobody asked for by name (a rerun file's tests, collection errors) go last.
    return sorted(pool, key=lambda o: rank.get(o.name, len(rank)))


def _limits(options: RunOptions, timeout: float) -> Limits:
    return options.limits.model_copy(
        update={"timeout": _wall(options, timeout), "cpu_seconds": None}
    )


def _wall(options: RunOptions, seconds: float) -> float:
    """``seconds``, cut to end by the options' deadline (a run gets a moment at least)."""
    if options.deadline is None:
        return seconds
    return max(_LAST_MOMENT, min(seconds, options.deadline - time.monotonic()))


_LAST_MOMENT = 0.05


def _run_cases(
    task: Task,
    cases: Sequence[tuple[str, TestCase]],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
    trace: Trace | None,
) -> None:
    """Run the cases' inputs in the sandbox and judge what they returned, here.

    The expected values never enter the sandbox: the harness reports what the
    entry point returned, and ``duckfix.judge`` compares.
    """
    results: dict[int, dict[str, Any]] = {}
    start = 0
    payload = [{"args": c.args} for _, c in cases]
    while start < len(cases):
        spec: dict[str, Any] = {
            "module": task.module,
            "entry": task.entry_point,
            "timeout": options.case_timeout,
            "start": start,
            "cases": payload,
        }
        if trace is not None:
            spec["trace"] = trace.model_dump()
        files = {**layout, **harness_files(), _SPEC: json.dumps(spec)}
        run = sandbox.run(
            [sys.executable, "_duckfix/cases.py", _SPEC],
            files=files,
            limits=_limits(options, _STARTUP + options.case_timeout * (len(cases) - start)),
            report=True,
            isolation=options.isolation,
            warm=options.warm,
        )
        lines = [r for r in judge.records(run.report) if _case_index(r, start, len(cases))]
        load_error = next((r for r in lines if r["index"] == -1), None)
        if load_error is not None:
            for i in range(start, len(cases)):
                results[i] = {**load_error, "index": i}
            break
        for record in lines:
            results[record["index"]] = record
        done = max((int(r["index"]) for r in lines), default=start - 1)
        if done >= len(cases) - 1:
            break
        # The process ended before every case reported: blame the next case
        # (it crashed the interpreter, or used up the time) and go on after it.
        culprit = done + 1
        results[culprit] = _ended_early(run)
        report.problems.append(f"case {culprit + 1}: {run.describe()}")
        start = culprit + 1
    for i, (name, case) in enumerate(cases):
        record = results.get(i, {"status": "error", "message": "no result"})
        status, message = _judged(record, case)
        report.outcomes.append(
            TestOutcome(
                name=name,
                status=status,
                message=message,
                expected=case.expected,
                actual=record.get("actual"),
                seconds=_seconds(record),
                **_traced(record, trace),
            )
        )


def _case_index(record: dict[str, Any], start: int, count: int) -> bool:
    """Whether ``record`` names a case of this run (or -1: the program did not load)."""
    index = record.get("index")
    return type(index) is int and (index == -1 or start <= index < count)


def _judged(record: Mapping[str, Any], case: TestCase) -> tuple[OutcomeStatus, str]:
    """The verdict on one case from what the harness reported."""
    status = record.get("status")
    if status == "ran":
        actual = record.get("actual")
        if judge.same(actual, case.expected):
            return "passed", ""
        return "failed", f"expected {judge.short(case.expected)}, got {judge.short(actual)}"
    message = str(record.get("message") or "")[:1000]
    return ("timeout" if status == "timeout" else "error"), message or "no result"


def _seconds(record: Mapping[str, Any]) -> float:
    value = record.get("seconds")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def _traced(record: Mapping[str, Any], trace: Trace | None) -> dict[str, Any]:
    """The ``lines`` and ``values`` fields of an outcome, from its harness record.

    The record came from the program's process: anything not shaped as the
    harness writes it is dropped, never trusted.
    """
    if trace is None or not isinstance(record.get("lines"), dict):
        return {}
    lines = {
        str(p): sorted({n for n in ns if type(n) is int})
        for p, ns in record["lines"].items()
        if isinstance(ns, list)
    }
    values = record.get("values") if trace.watch else None
    if trace.watch:
        values = {
            str(key): {str(k): str(v) for k, v in found.items()}
            for key, found in (values.items() if isinstance(values, dict) else ())
            if isinstance(found, dict)
        }
    return {"lines": lines, "values": values}


def _ended_early(run: RunResult) -> dict[str, Any]:
    status = "timeout" if run.ended == "timeout" else "error"
    tail = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
    message = f"the program {run.describe()}" + (f": {tail[0][:300]}" if tail else "")
    return {"status": status, "message": message}


_BENCH_SPEC = "_duckfix/bench.json"
_PREBUILT = "_duckfix/prebuilt"
_log = logging.getLogger("duckfix.cbuild")
_WARNINGS = ["-Wno-unknown-pragmas", "-Wno-unused-label"]


def _run_benches(
    task: Task,
    tests: TestSet,
    only: list[str],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
    trace: Trace | None = None,
) -> None:
    """Compile each bench with the program's sources (sanitizers on) and run its cases.

    With ``trace``, the benches are built with gcov's counters (``--coverage``,
    no optimisation, so lines map one to one) and each outcome carries the
    lines of the traced files that ran; watched values are Python-only. The
    build cache (``options.build_cache``) gives the kernel sources a precompiled
    header and the benches a kept object where it can; the results are the same.
    """
    spec, unit = _c_spec(task, tests, layout, options, trace)
    spec |= {
        "build": task.build.key(),
        "benches": tests.bench_paths,
        "only": only or None,
        "timeout": options.case_timeout,
    }
    files: dict[str, str | bytes] = {**layout, **unit, **tests.benches, **harness_files()}
    build_limits = _c_limits(task, options)
    read_only = _cached_builds(spec, files, options, build_limits, objects=trace is None)
    files[_BENCH_SPEC] = json.dumps(spec)
    expected_cases = len(only) if only else 64
    limits = build_limits.model_copy(
        update={
            "timeout": _wall(
                options,
                _STARTUP
                + options.compile_timeout * len(tests.bench_paths)
                + options.case_timeout * expected_cases,
            ),
        }
    )
    run, records = _cbench(files, limits, options, read_only)
    finished = any(r.get("finished") is True for r in records)
    for record in records:
        if "build" in record:
            _log.debug("built %s: %s", record["build"], record.get("steps"))
    records = [r for r in records if isinstance(r.get("name"), str)]
    if not records:
        report.problems.append(f"test benches: {run.describe()}")
        report.outcomes.append(TestOutcome(name=tests.bench_paths[0], **_ended_early(run)))
        return
    seen = set()
    for record in records:
        seen.add(record["name"])
        status = record.get("status")
        report.outcomes.append(
            TestOutcome(
                name=record["name"],
                status=status if status in _PYTEST_STATUSES else "error",
                message=str(record.get("message") or "")[:1000],
                expected=record.get("expected"),
                actual=record.get("actual"),
                seconds=_seconds(record),
                **_traced(record, trace.model_copy(update={"watch": []}) if trace else None),
            )
        )
    for name in only:
        if name not in seen:
            report.outcomes.append(
                TestOutcome(name=name, status="error", message="no test of this name")
            )
    if not finished:
        # The harness died before its last word (a bench may kill it): what it did
        # not report cannot be taken as passed.
        report.problems.append(f"test benches: {run.describe()}")
        outcome = _ended_early(run)
        outcome["message"] = f"the test benches did not finish ({run.describe()})"
        report.outcomes.append(TestOutcome(name=tests.bench_paths[0], **outcome))


def _c_spec(
    task: Task,
    tests: TestSet,
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    trace: Trace | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The compile part of a C run's spec, as the task's ``[build]`` table says, and the
    extra file a one-unit build compiles (``_duckfix/unit.c``, empty otherwise)."""
    program = {p: t for p, t in layout.items() if not p.startswith(("tests/", "_duckfix/"))}
    sources = task.build.source_list(program)
    unit: dict[str, str] = {}
    if task.build.unit and sources:
        # Quoted includes resolve next to the including file: "../" reaches the root,
        # and gcov names the lines after the included files, as in a separate build.
        suffix = ".c" if all(p.endswith(".c") for p in sources) else ".cpp"
        path = f"_duckfix/unit{suffix}"
        unit[path] = "".join(f'#include "../{p}"\n' for p in sources)
        sources = [path]
    include = ["-I", ".", "-I", "_duckfix"]
    if options.hls_include:
        include += ["-isystem", options.hls_include]
    for folder in sorted({str(PurePosixPath(p).parent) for p in tests.benches}):
        include += ["-I", folder]
    sanitize = task.build.sanitizer_flags()
    debug = "-g" if options.debug_info == "full" else "-g1"
    build = [debug, "-O1", "-fno-omit-frame-pointer", *sanitize]
    coverage: list[str] = []
    if trace is not None:
        build = [debug, "-O0", "--coverage", *sanitize]
        coverage = [p for p in trace.files if p in layout]
    # The ap_int headers shift negative values left (defined since C++20,
    # and what the hardware does); UBSan's shift-base check would flag them.
    shift = ["-fno-sanitize=shift-base"] if "undefined" in task.build.sanitize else []
    extra = list(task.build.flags)
    spec: dict[str, Any] = {
        "cc": "gcc",
        "cxx": "g++",
        "cflags": ["-std=gnu11", *build, *_WARNINGS, *extra, *include],
        "cxxflags": ["-std=gnu++17", *build, *shift, *_WARNINGS, *extra, *include],
        "sources": sources,
        "libs": ["-lm"],
        "compile_timeout": _wall(options, options.compile_timeout),
        "memory_mb": options.limits.memory_mb or 4096,
        "coverage": coverage,
    }
    return spec, unit


def _cbench(
    files: Mapping[str, str | bytes],
    limits: Limits,
    options: RunOptions,
    read_only: Sequence[str] = (),
) -> tuple[RunResult, list[dict[str, Any]]]:
    """Run ``_duckfix/cbench.py`` on the spec in ``files``: the run, and the records that
    carry its secret (nothing else it reported is believed)."""
    secret = secrets.token_hex(16)
    run = sandbox.run(
        [sys.executable, "_duckfix/cbench.py", _BENCH_SPEC],
        files=dict(files),
        limits=limits,
        report=True,
        secret=secret.encode(),
        isolation=options.isolation,
        warm=options.warm,
        read_only=[*read_only, *([options.hls_include] if options.hls_include else [])],
    )
    return run, judge.records(run.report, secret)


def _c_limits(task: Task, options: RunOptions) -> Limits:
    """Limits of a C run before its timeout is set."""
    update: dict[str, Any] = {"cpu_seconds": None, "timeout": _wall(options, _STARTUP)}
    if "address" in task.build.sanitize:
        # AddressSanitizer reserves terabytes of address space: the address-space
        # limit is off for these runs and ASan's own RSS limit stands in for it.
        update["memory_mb"] = None
    return options.limits.model_copy(update=update)


def _run_golden(
    task: Task,
    tests: TestSet,
    runs: Sequence[GoldenRun],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
    trace: Trace | None,
) -> None:
    """Run the program's own main() for each run and judge its output here.

    The expected output never enters the sandbox; where a run has none, it is
    the reference program's (recorded once, cached by content: ``duckfix.golden``).
    """
    reference = {**(task.fixed or {}), **task.support}
    # The reference is given the full time per run, whatever a buggy run is cut to.
    patient = dataclasses.replace(options, case_timeout=max(options.case_timeout, 2.0))

    def recorder(todo: Sequence[GoldenRun]) -> dict[str, dict[str, Any]]:
        return _golden_records(task, tests, todo, reference, patient, None)

    expected = golden.expectations(task, runs, options, recorder)
    records = _golden_records(task, tests, runs, layout, options, trace)
    for run in runs:
        record = records.get(run.name, {"status": "error", "message": "no result"})
        outcome = golden.judged(run.name, record, expected[run.name])
        report.outcomes.append(
            outcome.model_copy(
                update={"seconds": _seconds(record), **_traced(record, _no_watch(trace))}
            )
        )


def record_runs(
    task: Task, runs: Sequence[GoldenRun], program: Mapping[str, str], options: RunOptions
) -> dict[str, dict[str, Any]]:
    """What ``program`` prints for each run and how it ends, unjudged (``tasks new`` records
    a reference's output so): run name -> ``{"status": "ran", "stdout", "exit"}``, or
    ``{"status": "error" | "timeout", "message"}``."""
    layout = {**program, **task.support}
    return _golden_records(task, task.visible, runs, layout, options, None)


def _no_watch(trace: Trace | None) -> Trace | None:
    """C runs record lines, not values (gcov counts no variables)."""
    return trace.model_copy(update={"watch": []}) if trace else None


def _golden_records(
    task: Task,
    tests: TestSet,
    runs: Sequence[GoldenRun],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    trace: Trace | None,
) -> dict[str, dict[str, Any]]:
    """Run name -> what its run printed and how it ended, as the sandbox reported it."""
    spec, unit = _c_spec(task, tests, layout, options, trace)
    spec |= {
        "runs": [{"name": r.name, "args": r.args, "stdin": r.stdin} for r in runs],
        "timeout": options.case_timeout,
        "max_output": golden.MAX_OUTPUT,
    }
    files: dict[str, str | bytes] = {**layout, **unit, **harness_files()}
    files[_BENCH_SPEC] = json.dumps(spec)
    limits = _c_limits(task, options)
    limits = limits.model_copy(
        update={
            "timeout": _wall(
                options,
                _STARTUP + options.compile_timeout + (options.case_timeout + 0.5) * len(runs),
            )
        }
    )
    run, records = _cbench(files, limits, options)
    wanted = {r.name for r in runs}
    found = {
        r["name"]: r for r in records if isinstance(r.get("name"), str) and r["name"] in wanted
    }
    if not any(r.get("finished") is True for r in records):
        # The harness died before its last word (the program may kill it): what it
        # did not report, and what it did, cannot be taken as a result.
        ended = _ended_early(run)
        ended["message"] = f"the runs did not finish ({run.describe()})"
        return {name: dict(ended) for name in wanted}
    return found


def _cached_builds(
    spec: dict[str, Any],
    files: dict[str, str | bytes],
    options: RunOptions,
    limits: Limits,
    *,
    objects: bool,
) -> list[str]:
    """Fill ``spec``'s ``pch`` and ``objects`` from the build cache; the folders to mount.

    Bench objects missing from the cache are compiled first in a run of their
    own, where nothing but the compiler runs, and kept (coverage builds do not
    keep objects: gcov names its counters after the folder of the compile).
    """
    folder = cbuild_cache.default_folder() if options.build_cache == "default" else None
    cache = cbuild_cache.open_cache(folder or options.build_cache)
    if cache is None:
        return []
    all_c = all(s.endswith(".c") for s in spec["sources"])
    # Only C++ compiles read the ap_types headers; a C bench with C sources has none.
    cxx = not all_c or not all(b.endswith(".c") for b in spec["benches"])
    if options.hls_include and cxx:
        pch = {}
        for source in spec["sources"]:
            header = cache.pch(
                files, source, spec["cxx"], spec["cxxflags"], options.hls_include,
                _wall(options, options.compile_timeout),
            )  # fmt: skip
            if header is not None:
                pch[source] = header
        spec["pch"] = pch
    if objects:
        spec["objects"] = _bench_objects(cache, spec, files, options, limits, all_c)
    return sorted({str(PurePosixPath(h).parent) for h in spec.get("pch", {}).values()})


def _bench_objects(
    cache: cbuild_cache.BuildCache,
    spec: dict[str, Any],
    files: dict[str, str | bytes],
    options: RunOptions,
    limits: Limits,
    all_c: bool,
) -> dict[str, str]:
    """Bench -> run path of its object, from the cache or from a compile-only run.

    The objects are added to ``files``; the keys are taken from the files as they
    were, so one bench's object never changes another's key.
    """
    base = dict(files)
    found: dict[str, str] = {}
    wanted: dict[str, tuple[cbuild_cache.ObjectKey, dict[str, Any]]] = {}
    for index, bench in enumerate(spec["benches"]):
        is_c = bench.endswith(".c") and all_c
        compiler, flags = (spec["cc"], spec["cflags"]) if is_c else (spec["cxx"], spec["cxxflags"])
        key = cache.object_key(base, compiler, flags, bench, spec.get("build", ""))
        if key is None:
            continue
        path = f"{_PREBUILT}/bench_{index}.o"
        data = cache.find_object(key)
        if data is not None:
            found[bench] = path
            files[path] = data
            _log.debug("%s: object from the cache", bench)
        elif cache.writable:
            job = {"compiler": compiler, "flags": flags, "source": bench, "output": path,
                   "deps": f"{_PREBUILT}/bench_{index}.d"}  # fmt: skip
            wanted[bench] = (key, job)
    if not wanted:
        return found
    jobs = [job for _, job in wanted.values()]
    compile_spec = {"compile": jobs, "compile_timeout": _wall(options, options.compile_timeout)}
    secret = secrets.token_hex(16)
    run = sandbox.run(
        [sys.executable, "_duckfix/cbench.py", _BENCH_SPEC],
        files={**base, _BENCH_SPEC: json.dumps(compile_spec)},
        limits=limits.model_copy(
            update={"timeout": _wall(options, _STARTUP + options.compile_timeout * len(jobs))}
        ),
        collect=[*(j["output"] for j in jobs), *(j["deps"] for j in jobs)],
        report=True,
        secret=secret.encode(),
        isolation=options.isolation,
        warm=options.warm,
        read_only=[options.hls_include] if options.hls_include else [],
    )
    records = judge.records(run.report, secret)
    done = {r.get("output"): bool(r.get("ok")) for r in records}
    for bench, (key, job) in wanted.items():
        data = run.files.get(job["output"])
        deps = run.files.get(job["deps"])
        if not done.get(job["output"]) or data is None or deps is None:
            continue  # the main run compiles it and says what is wrong
        cache.store_object(key, data, deps.decode("utf-8", errors="replace"))
        found[bench] = job["output"]
        files[job["output"]] = data
        _log.debug("%s: object compiled and kept", bench)
    return found


def _run_pytest(
    pytest_files: Mapping[str, str],
    targets: Sequence[str],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
    trace: Trace | None,
) -> None:
    """Run ``targets`` (files or node ids) with pytest, one outcome per test.

    The tests run in the program's process, so their records count only when
    they carry this run's secret, and a run whose pytest session did not finish
    through the plugin gets an error outcome whatever it reported before.
    """
    from duckfix.extras import require

    require("pytest")  # run in the sandbox's process, from this interpreter
    count = sum(
        len(_TEST_DEF.findall(pytest_files[t])) if t in pytest_files else 1 for t in targets
    )
    files: dict[str, str | bytes] = {
        **layout,
        **pytest_files,
        **harness_files(),
        # Our own ini keeps a program's pytest settings out, and puts the run's root
        # on sys.path only once pytest and the plugin are loaded (not PYTHONPATH:
        # a program's sitecustomize.py or pytest.py would run before them).
        _PYTEST_INI: "[pytest]\npythonpath = ..\n",  # relative to the ini: the root
    }
    secret = secrets.token_hex(16)
    env = {"DUCKFIX_TEST_TIMEOUT": str(options.case_timeout)}
    if trace is not None:
        files[_TRACE_SPEC] = trace.model_dump_json()
        env["DUCKFIX_TRACE"] = _TRACE_SPEC
    argv = [
        # The plugin starts pytest (its folder, _duckfix/, first on sys.path, the
        # working folder not on it); --confcutdir puts the run's root back in reach
        # of conftest.py discovery.
        sys.executable, _PYTEST_SCRIPT, "-q", *_PYTEST_OFF, "-c", _PYTEST_INI,
        "--rootdir=.", "--confcutdir=.", *targets,
    ]  # fmt: skip
    run = sandbox.run(
        argv,
        files=files,
        limits=_limits(options, 2 * _STARTUP + options.case_timeout * max(count, 1)),
        env=env,
        report=True,
        secret=secret.encode(),
        isolation=options.isolation,
        warm=options.warm,
    )
    lines = judge.records(run.report, secret)
    finished = next((r for r in lines if r.get("session") == "finished"), None)
    tests = [r for r in lines if isinstance(r.get("name"), str)]
    for record in tests:
        status = record.get("status")
        report.outcomes.append(
            TestOutcome(
                name=record["name"],
                status=status if status in _PYTEST_STATUSES else "error",
                message=str(record.get("message") or "")[:1000],
                seconds=_seconds(record),
                **_traced(record, trace),
            )
        )
    if finished is not None and finished.get("exitstatus") == 5 and not tests:
        report.outcomes.append(
            TestOutcome(
                name=", ".join(targets), status="error", message="pytest collected no tests"
            )
        )
    elif finished is None or (not run.ok and run.exit_code not in (1,)):
        # Killed, timed out, ended without the plugin's last word, or pytest itself
        # failed (exit 2-4): say so as an outcome, so the run cannot pass.
        report.problems.append(f"pytest {run.describe()}")
        if finished is None or run.ended != "exited" or not tests:
            outcome = _ended_early(run)
            if finished is None and run.ended == "exited":
                outcome["message"] = (
                    f"pytest ended before its session finished ({run.describe()})"
                    + (f": {run.stdout.strip()[-300:]}" if run.stdout.strip() else "")
                )
            report.outcomes.append(
                TestOutcome(
                    name=f"pytest run ({', '.join(targets)})",
                    status=outcome["status"],
                    message=outcome["message"]
                    if run.ended != "exited" or finished is None
                    else run.stdout[-500:],
                )
            )


_PYTEST_STATUSES = ("passed", "failed", "error", "timeout", "skipped")
_PYTEST_OFF = [
    arg
    for plugin in (
        "cacheprovider", "doctest", "junitxml", "pastebin", "stepwise", "setuponly",
        "setupplan", "debugging", "faulthandler", "unraisableexception", "threadexception",
    )
    for arg in ("-p", f"no:{plugin}")
]  # fmt: skip
"""pytest's plugins a test run does not need: each costs a session a few ms (two
garbage collections at its end, for the exception ones), and none touches a verdict.
A test's own fixtures (tmp_path, monkeypatch, capsys, caplog) stay."""
sandbox.warm_pytest(["-q", *_PYTEST_OFF])
