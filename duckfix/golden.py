"""Golden-output runs of a C program's own ``main()``: expected outputs and verdicts.

A run (a line of ``runs.jsonl``) gives the program arguments and stdin; the
sandbox reports what it printed on stdout (at most :data:`MAX_OUTPUT` bytes)
and its exit status, and the verdict is decided here, outside the sandbox,
against an expected output that never entered it. So nothing the program
prints, writes or does can make a run pass except printing the right output.

A run without ``expected_stdout`` expects what the reference program
(``fixed/``) prints for it: the reference is run once, in the sandbox, and its
output is kept by a hash of everything that decides it (the reference's files,
the ``[build]`` table, the run's arguments and stdin), in memory and in the
C build cache's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from duckfix import cbuild_cache
from duckfix.models import Difference, GoldenRun, Task, TestOutcome

__all__ = ["MAX_OUTPUT", "Expected", "expectations", "first_difference", "judged"]

MAX_OUTPUT = 1 << 20
"""Bytes of stdout kept from one run; a run printing more is an error."""
_SHOWN = 4000  # characters of an output kept in an outcome's expected / actual
_FORMAT = 1


class Expected(BaseModel):
    """What a run should print and how it should end, or why that is not known."""

    stdout: str | None = None
    exit: int | None = None
    problem: str | None = None
    """Set when the reference program could not be run for it."""


Recorder = Callable[[Sequence[GoldenRun]], Mapping[str, Mapping[str, Any]]]
_MEMORY: dict[str, Expected] = {}
_LOCK = threading.Lock()


def _key(task: Task, run: GoldenRun) -> str:
    material = {
        "format": _FORMAT,
        "fixed": sorted((task.fixed or {}).items()),
        "build": task.build.key(),
        "args": run.args,
        "stdin": run.stdin,
    }
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:40]


def _disk(options: Any) -> Path | None:
    where = getattr(options, "build_cache", None)
    if where is None:
        return None
    folder = cbuild_cache.default_folder() if where == "default" else Path(where)
    return folder.expanduser() / "golden"


def expectations(
    task: Task, runs: Sequence[GoldenRun], options: Any, record: Recorder
) -> dict[str, Expected]:
    """Run name -> its expected output: given in the run, kept, or recorded from the reference.

    ``record`` runs the reference for the runs it is given and returns the
    sandbox's records by run name.
    """
    out: dict[str, Expected] = {}
    todo: list[tuple[GoldenRun, str]] = []
    disk = _disk(options)
    for run in runs:
        if run.expected_stdout is not None:
            out[run.name] = Expected(stdout=run.expected_stdout, exit=run.expected_exit)
            continue
        key = _key(task, run)
        found = _recall(key, disk)
        if found is None:
            todo.append((run, key))
        else:
            out[run.name] = _with_exit(found, run)
    if todo:
        records = record([run for run, _ in todo])
        for run, key in todo:
            found = _from_record(records.get(run.name))
            if found.problem is None:
                _keep(key, found, disk)
            out[run.name] = _with_exit(found, run)
    return out


def _with_exit(found: Expected, run: GoldenRun) -> Expected:
    if run.expected_exit is None or found.problem is not None:
        return found
    return found.model_copy(update={"exit": run.expected_exit})


def _from_record(record: Mapping[str, Any] | None) -> Expected:
    if record is None:
        return Expected(problem="the reference program (fixed/) gave no result")
    if record.get("status") != "ran" or not isinstance(record.get("stdout"), str):
        message = str(record.get("message") or record.get("status") or "no result")[:500]
        return Expected(problem=f"the reference program (fixed/) failed this run: {message}")
    code = record.get("exit")
    return Expected(stdout=record["stdout"], exit=code if type(code) is int else None)


def _recall(key: str, disk: Path | None) -> Expected | None:
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
    if disk is None:
        return None
    try:
        found = Expected.model_validate_json((disk / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    with _LOCK:
        _MEMORY[key] = found
    return found


def _keep(key: str, found: Expected, disk: Path | None) -> None:
    with _LOCK:
        _MEMORY[key] = found
    if disk is None:
        return
    try:
        disk.mkdir(parents=True, exist_ok=True)
        tmp = disk / f".{key}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(found.model_dump_json())
        os.replace(tmp, disk / f"{key}.json")
    except OSError:
        pass  # a read-only cache: recorded again next time


def judged(name: str, record: Mapping[str, Any], expected: Expected) -> TestOutcome:
    """The verdict on one run, from what the sandbox reported and what was expected."""
    if expected.problem is not None:
        return TestOutcome(name=name, status="error", message=expected.problem)
    status = record.get("status")
    if status != "ran":
        message = str(record.get("message") or "no result")[:1000]
        return TestOutcome(
            name=name, status="timeout" if status == "timeout" else "error", message=message
        )
    actual = record.get("stdout")
    code = record.get("exit")
    if not isinstance(actual, str) or type(code) is not int:
        return TestOutcome(name=name, status="error", message="the run's report is malformed")
    assert expected.stdout is not None
    shown = {"expected": expected.stdout[:_SHOWN], "actual": actual[:_SHOWN]}
    if actual != expected.stdout:
        diff = first_difference(expected.stdout, actual)
        message = (
            f"output differs at line {diff.line}: "
            f"expected {_quote(diff.expected)}, got {_quote(diff.actual)}"
        )
        return TestOutcome(
            name=name, status="failed", message=message, first_difference=diff, **shown
        )
    if expected.exit is not None and code != expected.exit:
        stderr = str(record.get("stderr") or "").strip().splitlines()[-1:]
        message = f"exit status {code}, expected {expected.exit}"
        message += f": {stderr[0][:300]}" if stderr else ""
        return TestOutcome(name=name, status="failed", message=message, **shown)
    return TestOutcome(name=name, status="passed")


def _quote(line: str | None) -> str:
    if line is None:
        return "the end of the output"
    return json.dumps(line if len(line) <= 200 else line[:197] + "...")


def first_difference(expected: str, actual: str) -> Difference:
    """The first line (and whitespace-separated element in it) where ``actual`` departs."""
    want, got = expected.split("\n"), actual.split("\n")
    for index in range(max(len(want), len(got))):
        a = want[index] if index < len(want) else None
        b = got[index] if index < len(got) else None
        if a == b:
            continue
        element = None
        if a is not None and b is not None:
            xs, ys = a.split(), b.split()
            element = next(
                (i + 1 for i in range(max(len(xs), len(ys))) if xs[i : i + 1] != ys[i : i + 1]),
                None,
            )
        return Difference(line=index + 1, expected=a, actual=b, element=element)
    # Unreachable for different texts; kept total for callers.
    return Difference(line=1, expected=None, actual=None)
