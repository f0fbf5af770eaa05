"""Pydantic models shared by every room: tasks, test outcomes, sandbox runs (findings are
plain records in :mod:`duckfix.findings`, re-exported here)."""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from duckfix.build_config import BuildConfig

# Plain records (no pydantic needed to build one), kept importable from here.
from duckfix.findings import Finding, Severity

__all__ = [
    "BUG_CATEGORIES",
    "BugCategory",
    "Difference",
    "Explanation",
    "Finding",
    "GoldenRun",
    "Language",
    "LimitKind",
    "Patch",
    "RunEnd",
    "RunResult",
    "Severity",
    "Suspect",
    "Task",
    "TestCase",
    "TestOutcome",
    "TestReport",
    "TestSet",
    "Trace",
    "Usage",
]

Language = Literal["python", "c", "hls"]

BugCategory = Literal[
    "off-by-one",
    "wrong-comparison",
    "wrong-operator",
    "wrong-variable",
    "wrong-initial-value",
    "missing-statement",
    "extra-statement",
    "wrong-return",
    "infinite-loop",
    "swapped-arguments",
    "wrong-boolean-logic",
]
BUG_CATEGORIES: tuple[str, ...] = get_args(BugCategory)

RunEnd = Literal["exited", "signalled", "timeout", "limit"]
LimitKind = Literal["cpu", "memory", "file_size", "processes", "output", "disk"]
OutcomeStatus = Literal["passed", "failed", "error", "timeout", "skipped"]


BENCH_SUFFIXES = (".c", ".cc", ".cpp", ".cxx")
"""Suffixes of C / C++ sources (test benches and program files that get compiled)."""


class _Model(BaseModel):
    # Validators are built on first use: a command (the pre-push hook above
    # all) pays only for the models it uses, not for all of this module's.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class TestCase(_Model):
    """One input/output case: ``entry_point(*args) == expected``."""

    __test__ = False  # not a pytest class

    args: list[Any]
    expected: Any
    name: str = ""
    """Where the case comes from, e.g. ``visible/cases.jsonl:3``."""


class GoldenRun(_Model):
    """One run of a C program's own ``main()`` (a line of ``runs.jsonl``).

    Without ``expected_stdout`` the expected output (and exit status, unless
    ``expected_exit`` is given) is the reference program's, recorded by running
    ``fixed/`` once.
    """

    name: str
    """As outcomes name it: ``visible/runs.jsonl:NAME``."""
    args: list[str] = Field(default_factory=list)
    stdin: str = ""
    expected_stdout: str | None = None
    expected_exit: int | None = None


class Difference(_Model):
    """Where a program's output first departs from the expected one."""

    line: int
    """1-based line number of the output."""
    expected: str | None
    """The expected line; None when the expected output ended before it."""
    actual: str | None
    """The line printed; None when the output ended before it."""
    element: int | None = None
    """1-based index of the first differing whitespace-separated element of the line."""


class TestSet(_Model):
    """The tests on one side (visible or hidden) of a task."""

    __test__ = False

    cases: list[TestCase] = Field(default_factory=list)
    pytest_files: dict[str, str] = Field(default_factory=dict)
    """Run-layout path of each pytest file -> its text."""
    benches: dict[str, str] = Field(default_factory=dict)
    """C / C++ tasks: the test benches (``duckfix_tb.h``) and the headers and data files
    they include, run-layout path -> text."""
    runs: list[GoldenRun] = Field(default_factory=list)
    """C / C++ tasks: golden-output runs of the program's own ``main()`` (``runs.jsonl``)."""

    @property
    def bench_paths(self) -> list[str]:
        """The files of ``benches`` that are benches: C / C++ sources with ``DUCKFIX_MAIN``."""
        return sorted(
            p for p, t in self.benches.items() if p.endswith(BENCH_SUFFIXES) and "DUCKFIX_MAIN" in t
        )

    def __len__(self) -> int:
        return len(self.cases) + len(self.pytest_files) + len(self.bench_paths) + len(self.runs)


class Task(_Model):
    """A buggy program, its tests, and optionally its reference fix."""

    id: str
    language: Language = "python"
    entry_point: str
    program: str
    """Run-layout path of the program file under repair, e.g. ``gcd.py``."""
    description: str = ""
    category: str = "unknown"
    buggy: dict[str, str]
    """Run-layout path -> source of every program file (the program included)."""
    fixed: dict[str, str] | None = None
    support: dict[str, str] = Field(default_factory=dict)
    """Files laid out for every run besides program and tests (conftest.py, shared modules)."""
    visible: TestSet = Field(default_factory=TestSet)
    hidden: TestSet = Field(default_factory=TestSet)
    origin: str = ""
    """Where the task was loaded from, for messages."""
    build: BuildConfig = Field(default_factory=BuildConfig)
    """C / C++ tasks: the ``[build]`` table (sources, one unit or not, flags, sanitizers)."""

    @property
    def module(self) -> str:
        """The importable module name of the program (``pkg/mod.py`` -> ``pkg.mod``)."""
        return self.program.removesuffix(".py").replace("/", ".")


class TestOutcome(_Model):
    """The result of one test case or pytest test."""

    __test__ = False

    name: str
    status: OutcomeStatus
    message: str = ""
    expected: Any = None
    actual: Any = None
    seconds: float = 0.0
    first_difference: Difference | None = None
    """Golden-output runs that failed on their output: the first line (and element)
    that differs, expected vs actual: value evidence for the localizer."""
    lines: dict[str, list[int]] | None = None
    """With a trace: run-layout path -> sorted line numbers of that file run by this test.

    Lines run while the program was imported count for every test. None when the
    run was not traced or the test's process died before reporting.
    """
    values: dict[str, dict[str, str]] | None = None
    """With watched lines: ``"path:line"`` -> variable name -> repr (at most ~200 characters).

    A line's entry exists only if the test reached it. ``name`` is the value at
    the first reach, ``name@last`` at the last (when reached more than once),
    and ``@hits`` says how often the line ran. Names the line reads are taken as
    it starts, names it assigns just after it ran; functions, classes and
    modules are left out, and so are names that do not exist at that point.
    """

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class Trace(_Model):
    """What to record while tests run: executed lines of some files, values at some lines."""

    files: list[str]
    """Run-layout paths of the program files whose executed lines are recorded per test."""
    watch: list[tuple[str, int]] = Field(default_factory=list)
    """(path, line) pairs at which to record the values of the variables the line uses."""


class TestReport(_Model):
    """The outcomes of one side's tests against one version of a program."""

    __test__ = False

    outcomes: list[TestOutcome] = Field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = Field(default_factory=list)
    """How sandboxed runs ended when that cost outcomes (crash, timeout, limit)."""

    @property
    def passed(self) -> list[TestOutcome]:
        return [o for o in self.outcomes if o.passed]

    @property
    def failed(self) -> list[TestOutcome]:
        return [o for o in self.outcomes if not o.passed and o.status != "skipped"]

    @property
    def all_passed(self) -> bool:
        # At least one test must pass: a run whose every test was skipped proved nothing.
        return bool(self.passed) and not self.failed


class RunResult(_Model):
    """How one sandboxed process ended and what it printed."""

    ended: RunEnd
    exit_code: int | None = None
    signal: str | None = None
    limit: LimitKind | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    seconds: float = 0.0
    network_isolated: bool = False
    isolation: Literal["namespaces", "plain"] = "plain"
    files: dict[str, bytes] = Field(default_factory=dict)
    """Files the caller asked to collect from the run's copy, by relative path."""
    report: bytes = b""
    """What the run wrote on its report channel (descriptor 3), when it had one."""
    problems: list[str] = Field(default_factory=list)
    """What went wrong with the run's channels, apart from how it ended."""

    @property
    def ok(self) -> bool:
        return self.ended == "exited" and self.exit_code == 0

    def describe(self) -> str:
        """One line saying why the run ended."""
        if self.ended == "exited":
            return f"exited with code {self.exit_code}"
        if self.ended == "signalled":
            return f"killed by {self.signal}"
        if self.ended == "timeout":
            return f"timed out after {self.seconds:.1f}s"
        return f"stopped by the {self.limit} limit"


class Suspect(_Model):
    """A line ranked by how likely it holds the fault."""

    path: str
    line: int
    score: float
    failing_cover: int = 0
    passing_cover: int = 0
    reason: str = ""


class Patch(_Model):
    """A unified diff and the files it touches."""

    diff: str
    files: list[str]

    @classmethod
    def from_sources(cls, before: dict[str, str], after: dict[str, str]) -> Patch:
        """The patch that turns ``before`` into ``after`` (run-layout path -> text)."""
        chunks: list[str] = []
        touched: list[str] = []
        for path in sorted(set(before) | set(after)):
            old, new = before.get(path), after.get(path)
            if old == new:
                continue
            touched.append(path)
            chunks.extend(
                _unified_diff(
                    (old or "").splitlines(keepends=True),
                    (new or "").splitlines(keepends=True),
                    fromfile=f"a/{path}" if old is not None else "/dev/null",
                    tofile=f"b/{path}" if new is not None else "/dev/null",
                )
            )
        return cls(diff="".join(chunks), files=touched)


_CONTEXT = 3  # difflib's default lines of context
_LONG_DIFF = 2000
"""Files with at least this many lines each have their shared ends left out before diffing."""
_HUNK = re.compile(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def _unified_diff(old: list[str], new: list[str], fromfile: str, tofile: str) -> list[str]:
    """``difflib.unified_diff``; on long files, with the lines both sides share at the ends
    left out first.

    difflib matches every line against every other: on a file of a hundred
    thousand lines with one changed, that takes minutes. The shared ends (less
    the context lines) cannot be part of a hunk, and the hunk headers are moved
    back to the file's own line numbers. Where an edited line has an equal
    neighbour, difflib may name the other one: shorter files keep its exact output.
    """
    limit = min(len(old), len(new))
    if limit < _LONG_DIFF:
        return list(difflib.unified_diff(old, new, fromfile, tofile))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    skip = max(head - _CONTEXT, 0)
    cut = max(tail - _CONTEXT, 0)
    lines = list(
        difflib.unified_diff(
            old[skip : len(old) - cut], new[skip : len(new) - cut], fromfile, tofile
        )
    )
    return [_shifted(line, skip) if line.startswith("@@") else line for line in lines]


def _shifted(header: str, lines: int) -> str:
    def move(m: re.Match[str]) -> str:
        old_len, new_len = m.group(2) or "", m.group(4) or ""
        start_old, start_new = int(m.group(1)) + lines, int(m.group(3)) + lines
        return f"@@ -{start_old}{old_len} +{start_new}{new_len} @@"

    return _HUNK.sub(move, header, count=1)


class Explanation(_Model):
    """Why the program failed and why the fix works."""

    summary: str
    root_cause: str = ""
    why_fix_works: str = ""
    evidence: list[str] = Field(default_factory=list)
    source: Literal["offline", "model"] = "offline"
    """Who wrote the sentences: the offline explainer or a model (evidence is always offline)."""


class Usage(_Model):
    """What a run cost: model tokens, model calls, wall-clock seconds."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
            seconds=self.seconds + other.seconds,
        )
