"""Run one side of a task's tests against a version of its program, in the sandbox.

JSON cases go through ``_duckfix/cases.py`` (one process for all cases, a per-case
alarm; after a crash it restarts at the next case). Pytest files go through
pytest with ``_duckfix/pytest_plugin.py`` (a per-test alarm, one JSON line per
test). The tests and the harness are laid out after the program, fresh for
every run, so a candidate can never change what judges it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from duckfix import sandbox
from duckfix.errors import TaskError
from duckfix.harness import harness_files
from duckfix.models import RunResult, Task, TestCase, TestOutcome, TestReport
from duckfix.sandbox import Isolation, Limits

__all__ = ["RunOptions", "is_test_file", "run_tests"]

Side = Literal["visible", "hidden"]
_SPEC = "_duckfix/spec.json"
_CASE_RESULTS = "_duckfix/results.jsonl"
_PYTEST_RESULTS = "_duckfix/pytest.jsonl"
_PYTEST_INI = "_duckfix/pytest.ini"
_STARTUP = 10.0  # seconds a run may spend starting before its cases
_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+test", re.MULTILINE)


@dataclass(frozen=True)
class RunOptions:
    """How test runs are sandboxed; one object shared by a whole job."""

    case_timeout: float = 2.0
    """Seconds per JSON case or pytest test."""
    limits: Limits = field(default_factory=Limits)
    isolation: Isolation = "auto"


def is_test_file(path: str) -> bool:
    """Whether pytest would collect ``path`` as a test module."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def run_tests(
    task: Task,
    side: Side,
    program: Mapping[str, str] | None = None,
    options: RunOptions | None = None,
) -> TestReport:
    """Outcomes of ``task``'s ``side`` tests against ``program`` (default: the buggy one)."""
    options = options or RunOptions()
    program = dict(task.buggy if program is None else program)
    tests = task.visible if side == "visible" else task.hidden
    protected = set(task.support) | set(task.visible.pytest_files) | set(task.hidden.pytest_files)
    clash = sorted(p for p in program if p in protected or p.startswith("_duckfix/"))
    if clash:
        raise TaskError(f"the program may not replace test or support files: {', '.join(clash)}")
    layout: dict[str, str | bytes] = {**program, **task.support}
    started = time.monotonic()
    report = TestReport()
    if tests.cases:
        _run_cases(task, tests.cases, layout, options, report)
    if tests.pytest_files:
        _run_pytest(tests.pytest_files, layout, options, report)
    report.seconds = time.monotonic() - started
    return report


def _limits(options: RunOptions, timeout: float) -> Limits:
    return options.limits.model_copy(update={"timeout": timeout, "cpu_seconds": None})


def _run_cases(
    task: Task,
    cases: Sequence[TestCase],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
) -> None:
    results: dict[int, dict[str, Any]] = {}
    start = 0
    payload = [{"args": c.args, "expected": c.expected} for c in cases]
    while start < len(cases):
        spec = {
            "module": task.module,
            "entry": task.entry_point,
            "timeout": options.case_timeout,
            "start": start,
            "cases": payload,
            "results": _CASE_RESULTS,
        }
        files = {**layout, **harness_files(), _SPEC: json.dumps(spec)}
        run = sandbox.run(
            [sys.executable, "_duckfix/cases.py", _SPEC],
            files=files,
            limits=_limits(options, _STARTUP + options.case_timeout * (len(cases) - start)),
            collect=[_CASE_RESULTS],
            isolation=options.isolation,
        )
        lines = _json_lines(run.files.get(_CASE_RESULTS, b""))
        load_error = next((r for r in lines if r.get("index") == -1), None)
        if load_error is not None:
            for i in range(start, len(cases)):
                results[i] = {"status": "error", "message": load_error.get("message", "")}
            break
        for record in lines:
            results[int(record["index"])] = record
        done = max((int(r["index"]) for r in lines), default=start - 1)
        if done >= len(cases) - 1:
            break
        # The process ended before every case reported: blame the next case
        # (it crashed the interpreter, or used up the time) and go on after it.
        culprit = done + 1
        results[culprit] = _ended_early(run)
        report.problems.append(f"case {culprit + 1}: {run.describe()}")
        start = culprit + 1
    for i, case in enumerate(cases):
        record = results.get(i, {"status": "error", "message": "no result"})
        report.outcomes.append(
            TestOutcome(
                name=case.name or f"case {i + 1}",
                status=record.get("status", "error"),
                message=record.get("message", ""),
                expected=case.expected,
                actual=record.get("actual"),
                seconds=float(record.get("seconds", 0.0)),
            )
        )


def _ended_early(run: RunResult) -> dict[str, Any]:
    status = "timeout" if run.ended == "timeout" else "error"
    tail = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
    message = f"the program {run.describe()}" + (f": {tail[0][:300]}" if tail else "")
    return {"status": status, "message": message}


def _run_pytest(
    pytest_files: Mapping[str, str],
    layout: Mapping[str, str | bytes],
    options: RunOptions,
    report: TestReport,
) -> None:
    targets = sorted(p for p in pytest_files if is_test_file(p))
    count = sum(len(_TEST_DEF.findall(pytest_files[p])) for p in targets) or 1
    files: dict[str, str | bytes] = {
        **layout,
        **pytest_files,
        **harness_files(),
        _PYTEST_INI: "[pytest]\n",
    }
    argv = [
        # Our own empty ini keeps a program's pytest settings out; --confcutdir
        # puts the run's root back in reach of conftest.py discovery.
        sys.executable, "-m", "pytest", "-q", "-c", _PYTEST_INI, "--rootdir=.", "--confcutdir=.",
        "-p", "_duckfix.pytest_plugin", "-p", "no:cacheprovider", *targets,
    ]  # fmt: skip
    run = sandbox.run(
        argv,
        files=files,
        limits=_limits(options, 2 * _STARTUP + options.case_timeout * count),
        env={
            "PYTHONPATH": ".",
            "DUCKFIX_RESULTS": _PYTEST_RESULTS,
            "DUCKFIX_TEST_TIMEOUT": str(options.case_timeout),
        },
        collect=[_PYTEST_RESULTS],
        isolation=options.isolation,
    )
    lines = _json_lines(run.files.get(_PYTEST_RESULTS, b""))
    for record in lines:
        report.outcomes.append(
            TestOutcome(
                name=record["name"],
                status=record.get("status", "error"),
                message=record.get("message", ""),
                seconds=float(record.get("seconds", 0.0)),
            )
        )
    if run.exit_code == 5 and not lines:
        report.outcomes.append(
            TestOutcome(
                name=", ".join(targets), status="error", message="pytest collected no tests"
            )
        )
    elif not run.ok and run.exit_code not in (1,):
        # Killed, timed out, or pytest itself failed (exit 2-4): say so as an outcome.
        report.problems.append(f"pytest {run.describe()}")
        if run.ended != "exited" or not lines:
            outcome = _ended_early(run)
            report.outcomes.append(
                TestOutcome(
                    name=f"pytest run ({', '.join(targets)})",
                    status=outcome["status"],
                    message=outcome["message"] if run.ended != "exited" else run.stdout[-500:],
                )
            )


def _json_lines(data: bytes) -> list[dict[str, Any]]:
    out = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from a killed process
        if isinstance(record, dict):
            out.append(record)
    return out
