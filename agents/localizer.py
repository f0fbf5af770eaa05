"""The localizer agent, offline: spectrum-based fault localization over the visible tests.

The visible tests run once with line tracing of the program's files; each line
that ran gets the Ochiai score ``ef / sqrt((ef + nf) * (ef + ep))``, where
``ef`` / ``ep`` count the failing / passing tests that ran it and ``nf`` the
failing tests that did not. Lines are ranked by score, then by more failing
coverage, then by less passing coverage, then by position. Only statements
worth blaming are ranked: ``def`` and ``class`` headers, docstrings, ``try:``,
``else:``, ``pass``, imports and blank or comment lines never are. A statement
that ran counts as run on every line it spans, since Python reports line
events only for the lines holding its code. Lines with equal scores are never
ordered by their position (:func:`duckfix.agents.ranking.rank_suspects`), and
a caller's ``rerank`` may re-score the whole list with other evidence (mutants,
values: :mod:`duckfix.agents.suspects`) before the best are kept.

A second traced run, of one failing and one passing test, watches the top
three lines and reports the values their variables had in each: the *key
variables* that show where the two runs part ways.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from duckfix.agents.ranking import rank_suspects
from duckfix.agents.regions import WHOLE_FILE_CHARS, around
from duckfix.deadline import Deadline, compile_ran_out, count_tests, overhead
from duckfix.models import Suspect, Task, TestOutcome, TestReport, Trace
from duckfix.runner import RunOptions, is_test_file, run_tests, scaled_to

__all__ = [
    "KEY_LINES",
    "KeyVariable",
    "LineSpectrum",
    "Localization",
    "Rerank",
    "blamable_lines",
    "localize",
    "ochiai",
    "program_files",
    "rank",
    "spectra",
    "statement_spans",
]

KEY_LINES = 3
"""How many top suspect lines get their variables watched."""
_WATCH_MIN_TIMEOUT = 0.5
# The watched run only needs values, not a verdict: a test that looped until its
# time ran out in the first run is given a short leash in the second.

_NOT_BLAMED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Try,
    ast.TryStar,
    ast.Pass,
    ast.Global,
    ast.Nonlocal,
    ast.Import,
    ast.ImportFrom,
)
# Where a traceback or error message points into a file: File "x.py", line 3 /
# (x.py, line 3) / x.py:3: (pytest's short form).
_LOCATION = re.compile(
    r'File "(?P<a>[^"]+)", line (?P<la>\d+)'
    r"|\((?P<b>[^()\s,]+\.py), line (?P<lb>\d+)\)"
    r"|(?P<c>[\w./-]+\.py):(?P<lc>\d+):"
)


Rerank = Callable[[list[Suspect], TestReport], list[Suspect]]
"""Re-scores every ranked suspect (best first), given the traced run they come from."""


class KeyVariable(BaseModel):
    """A variable's value at a suspect line, in a failing test and in a passing test."""

    path: str
    line: int
    name: str
    """A variable, or an attribute chain such as ``self.items``."""
    failing: str | None = None
    """Its repr in the failing test, the last time the line ran; None if never there."""
    passing: str | None = None
    """Its repr in the passing test, the last time the line ran; None if never there."""
    failing_first: str | None = None
    """Its repr in the failing test, the first time the line ran."""
    passing_first: str | None = None
    """Its repr in the passing test, the first time the line ran."""
    failing_hits: int = 0
    """How often the line ran in the failing test."""
    passing_hits: int = 0
    """How often the line ran in the passing test."""


class Localization(BaseModel):
    """Ranked suspect lines, the tests behind them, and key variables."""

    reproduced: bool
    """Whether any visible test failed; without a failure nothing can be blamed."""
    message: str
    """One sentence for the user: what was run and what it showed."""
    suspects: list[Suspect] = Field(default_factory=list)
    """The most suspect lines, best first (at most ``top``)."""
    failing: list[str] = Field(default_factory=list)
    """Names of the visible tests that failed (failed, error or timeout), in run order."""
    passing: list[str] = Field(default_factory=list)
    """Names of the visible tests that passed, in run order."""
    key_variables: list[KeyVariable] = Field(default_factory=list)
    """Values at the top suspect lines, suspect order, then the line's own order."""
    watched: list[str] = Field(default_factory=list)
    """The failing and the passing test the key variables come from."""
    traced: list[str] = Field(default_factory=list)
    """Run-layout paths of the program files whose lines were traced."""
    cut_short: bool = False
    """The deadline left no time to run the tests traced, or cut their compile short:
    nothing was ranked."""
    seconds: float = 0.0


@dataclass(frozen=True)
class LineSpectrum:
    """How many failing and passing tests ran one line."""

    path: str
    line: int
    ef: int
    """Failing tests that ran the line."""
    ep: int
    """Passing tests that ran the line."""
    nf: int
    """Failing tests that did not run it."""
    np: int
    """Passing tests that did not run it."""


def ochiai(ef: int, ep: int, nf: int) -> float:
    """Ochiai suspiciousness: ``ef / sqrt((ef + nf) * (ef + ep))``, 0 when undefined."""
    denominator = math.sqrt((ef + nf) * (ef + ep))
    return ef / denominator if denominator else 0.0


def program_files(task: Task, program: Mapping[str, str]) -> list[str]:
    """The files to trace: the task's program, then its other non-test source files.

    Python files for Python tasks; C / C++ sources and headers for C and HLS
    tasks (their lines are counted by gcov).
    """
    if task.language == "python":
        others = sorted(
            p
            for p in program
            if p.endswith(".py")
            and p != task.program
            and not is_test_file(p)
            and p.rsplit("/", 1)[-1] != "conftest.py"
        )
    else:
        others = sorted(p for p in program if p.endswith(_C_SOURCES) and p != task.program)
    return [task.program, *others]


_C_SOURCES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp")


def blamable_lines(source: str) -> set[int] | None:
    """Lines of ``source`` that belong to a statement worth blaming; None if it does not parse.

    A simple statement owns all its lines; a compound one (``if``, ``for``,
    ``while``, ``with``, ``match``) owns its header lines, up to its body.
    """
    spans = statement_spans(source)
    return None if spans is None else set(spans)


def statement_spans(source: str) -> dict[int, range] | None:
    """Each line of a statement worth blaming -> all the lines that statement owns.

    None if ``source`` does not parse.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    owner: dict[int, ast.stmt] = {}
    for node in ast.walk(tree):  # breadth first: an inner statement overrides its parent
        if isinstance(node, ast.stmt):
            for line in _own_lines(node):
                owner[line] = node
    return {line: _own_lines(node) for line, node in owner.items() if _blamable(node)}


def _own_lines(node: ast.stmt) -> range:
    body: list[ast.AST] = list(getattr(node, "body", None) or [])
    if isinstance(node, ast.Match):
        body = [case.pattern for case in node.cases]
    if body:
        first = body[0]
        if isinstance(first, (ast.stmt, ast.pattern)):
            return range(node.lineno, max(node.lineno, first.lineno - 1) + 1)
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


def _blamable(node: ast.stmt) -> bool:
    if isinstance(node, _NOT_BLAMED):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return not isinstance(node.value.value, str)  # a docstring or a bare string
    return True


def spectra(
    outcomes: Iterable[TestOutcome], blamable: Mapping[str, set[int] | None] | None = None
) -> list[LineSpectrum]:
    """Per line that ran in a failing test: how many failing and passing tests ran it.

    Skipped tests are left out; a test without a ``lines`` record covers nothing.
    ``blamable`` maps a path to the lines that may be blamed (None: any line).
    """
    failing = passing = 0
    ef: dict[tuple[str, int], int] = {}
    ep: dict[tuple[str, int], int] = {}
    for outcome in outcomes:
        if outcome.status == "skipped":
            continue
        counts = ep if outcome.passed else ef
        if outcome.passed:
            passing += 1
        else:
            failing += 1
        for path, lines in (outcome.lines or {}).items():
            for line in lines:
                counts[(path, line)] = counts.get((path, line), 0) + 1
    result = []
    for (path, line), f in ef.items():
        allowed = blamable.get(path) if blamable is not None else None
        if allowed is not None and line not in allowed:
            continue
        p = ep.get((path, line), 0)
        result.append(LineSpectrum(path, line, f, p, failing - f, passing - p))
    return result


def rank(lines: Iterable[LineSpectrum], order: Sequence[str] = ()) -> list[Suspect]:
    """Suspects by Ochiai score, then more failing cover, less passing cover, position.

    ``order`` gives the paths' order for the last tie-break (others come after,
    by name).
    """
    position = {path: i for i, path in enumerate(order)}

    def key(item: tuple[float, LineSpectrum]) -> tuple[float, int, int, int, str, int]:
        score, s = item
        return (-score, -s.ef, s.ep, position.get(s.path, len(position)), s.path, s.line)

    scored = sorted(((ochiai(s.ef, s.ep, s.nf), s) for s in lines), key=key)
    return [
        Suspect(
            path=s.path,
            line=s.line,
            score=round(score, 6),
            failing_cover=s.ef,
            passing_cover=s.ep,
            reason=(
                f"ran in {s.ef} of {s.ef + s.nf} failing tests"
                f" and {s.ep} of {s.ep + s.np} passing tests"
            ),
        )
        for score, s in scored
    ]


def localize(
    task: Task,
    program: Mapping[str, str] | None = None,
    options: RunOptions | None = None,
    *,
    top: int = 10,
    baseline: TestReport | None = None,
    deadline: Deadline | None = None,
    rerank: Rerank | None = None,
) -> Localization:
    """Rank the lines of ``program`` (default: the buggy one) most likely to hold the fault.

    ``baseline`` is an untraced run of the same tests, if the caller has one: its
    passing tests set the time scale, so a test that loops forever is given up
    on after seconds, not after the full traced timeout.

    Runs the visible tests traced, scores every line that ran in a failing test
    with Ochiai, and keeps the ``top`` best. Then runs one failing and one
    passing test again (the first that reach the most of the top three lines,
    preferring a failing test that did not time out) to collect key variables.

    With ``deadline``, both runs' timeouts are cut to end by it; with no time
    left for a run, the traced one is not made (no suspects) and the second
    is skipped (no key variables).

    ``rerank`` gets every ranked line and the traced run before the best are
    kept, and may re-score them (:mod:`duckfix.agents.suspects`).
    """
    started = time.monotonic()
    program = dict(task.buggy if program is None else program)
    options = options or RunOptions()
    startup = 0.0
    if baseline is not None:
        startup = overhead(baseline, options.case_timeout)
        options = scaled_to(options, baseline)
    files = [p for p in program_files(task, program) if p in program]
    if deadline is not None:
        cut = deadline.options(options, task, tests=count_tests(task), startup=startup, traced=True)
        if cut is None:
            return Localization(
                reproduced=False,
                message="no time was left to run the tests traced",
                traced=files,
                cut_short=True,
                seconds=time.monotonic() - started,
            )
        options = cut
    report = run_tests(task, "visible", program, options, trace=Trace(files=files))
    if deadline is not None and any(compile_ran_out(o) for o in report.outcomes):
        return Localization(
            reproduced=False,
            message="the time left ran out while the traced tests compiled",
            traced=files,
            cut_short=True,
            seconds=time.monotonic() - started,
        )
    failing = [o for o in report.outcomes if o.status not in ("passed", "skipped")]
    passing = [o for o in report.outcomes if o.passed]
    found = Localization(
        reproduced=bool(failing),
        message="",
        failing=[o.name for o in failing],
        passing=[o.name for o in passing],
        traced=files,
    )
    if not failing:
        found.message = (
            f"all {len(passing)} visible tests pass: nothing to localize"
            if passing
            else "the task has no visible test that ran: nothing to localize"
        )
        found.seconds = time.monotonic() - started
        return found
    spans = {path: _spans_near(path, program[path], report.outcomes) for path in files}
    blamable = {path: None if s is None else set(s) for path, s in spans.items()}
    outcomes = [_whole_statements(o, spans) for o in report.outcomes]
    suspects = rank_suspects(rank(spectra(outcomes, blamable), files), program)
    if suspects and rerank is not None:
        suspects = rerank(suspects, report)
    if suspects:
        found.message = (
            f"{len(failing)} of {len(failing) + len(passing)} visible tests fail;"
            f" {len(suspects)} lines ran in a failing test"
        )
        found.suspects = suspects[:top]
        # Values are watched by the Python tracer only. It parses the whole file
        # for each watched line, which on a large file costs more than the run.
        small = all(len(program[s.path]) <= WHOLE_FILE_CHARS for s in found.suspects[:KEY_LINES])
        if task.language == "python" and small:
            found.key_variables, found.watched = _key_variables(
                task, program, options, files, found.suspects[:KEY_LINES], failing, passing,
                deadline, startup,
            )  # fmt: skip
    else:
        found.suspects = _fallback(program, files, blamable, failing)[:top]
        found.message = (
            f"{len(failing)} visible tests fail, but none ran a line of {', '.join(files)}"
            " (the program may not even load): every statement is equally suspect"
        )
    found.seconds = time.monotonic() - started
    return found


def _spans_near(path: str, source: str, outcomes: Sequence[TestOutcome]) -> dict[int, range] | None:
    """:func:`statement_spans` of ``source``; of a large file, near its likeliest lines only.

    A large file is not parsed whole (see :mod:`duckfix.agents.regions`): its
    lines that ran in a failing test are ranked as they are, lines that cannot
    hold a statement worth blaming (``def``, ``import``, comments...) left out
    by their text, and only the code around the best of them is parsed. Lines
    outside it are not blamed.
    """
    if len(source) <= WHOLE_FILE_CHARS:
        return statement_spans(source)
    text = source.split("\n")
    ran = [
        s
        for s in spectra(outcomes)
        if s.path == path and 0 < s.line <= len(text) and _may_blame(text[s.line - 1])
    ]
    return statement_spans(around(source, [s.line for s in rank(ran)]))


_NEVER_BLAMED = re.compile(
    r"\s*(?:$|#|@|(?:async\s+def|def|class|import|from|global|nonlocal)\b"
    r"|(?:try|else|finally)\s*:|pass\s*(?:#|$))"
)


def _may_blame(line: str) -> bool:
    """Whether a line's text could start a statement worth blaming (see ``_NOT_BLAMED``)."""
    return _NEVER_BLAMED.match(line) is None


def _whole_statements(
    outcome: TestOutcome, spans: Mapping[str, dict[int, range] | None]
) -> TestOutcome:
    """The outcome with every line of each statement that ran counted as run.

    Python reports a multi-line statement on the lines holding its code, not
    on each of its lines (a constant list literal is one line event): a bug on
    another of its lines must still be blamable.
    """
    if not outcome.lines:
        return outcome
    lines: dict[str, list[int]] = {}
    for path, numbers in outcome.lines.items():
        span = spans.get(path)
        ran = set(numbers)
        if span is not None:
            ran.update(n for line in numbers if line in span for n in span[line])
        lines[path] = sorted(ran)
    return outcome.model_copy(update={"lines": lines})


def _fallback(
    program: Mapping[str, str],
    files: Sequence[str],
    blamable: Mapping[str, set[int] | None],
    failing: Sequence[TestOutcome],
) -> list[Suspect]:
    """Without coverage: lines an error message points at first, then every statement."""
    named: list[tuple[str, int]] = []
    for outcome in failing:
        for match in _LOCATION.finditer(outcome.message):
            where = match.group("a") or match.group("b") or match.group("c")
            number = match.group("la") or match.group("lb") or match.group("lc")
            path = next((p for p in files if where == p or where.endswith("/" + p)), None)
            if path is not None and (path, int(number)) not in named:
                named.append((path, int(number)))
    suspects = [
        Suspect(path=p, line=n, score=0.0, reason="the failing tests' error points here")
        for p, n in named
    ]
    for path in files:
        lines = blamable.get(path)
        if lines is None:  # does not parse: any line with code on it
            lines = {
                i
                for i, text in enumerate(program[path].splitlines(), 1)
                if text.strip() and not text.lstrip().startswith("#")
            }
        suspects.extend(
            Suspect(path=path, line=n, score=0.0, reason="no failing test ran any traced line")
            for n in sorted(lines)
            if (path, n) not in named
        )
    return suspects


def _key_variables(
    task: Task,
    program: Mapping[str, str],
    options: RunOptions | None,
    files: list[str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    passing: Sequence[TestOutcome],
    deadline: Deadline | None = None,
    startup: float = 0.0,
) -> tuple[list[KeyVariable], list[str]]:
    watch = [(s.path, s.line) for s in suspects]
    bad = _best_cover(watch, [o for o in failing if o.status != "timeout"] or failing)
    good = _best_cover(watch, passing)
    chosen = [o for o in (bad, good) if o is not None]
    if bad is None:
        return [], []
    options = options or RunOptions()
    slowest = max(0.0 if o.status == "timeout" else o.seconds for o in chosen)
    quick = min(options.case_timeout, max(_WATCH_MIN_TIMEOUT, 2 * slowest))
    names = [o.name for o in chosen]
    options = dataclasses.replace(options, case_timeout=quick)
    if deadline is not None:
        cut = deadline.options(options, task, tests=len(names), startup=startup, traced=True)
        if cut is None:
            return [], []  # values are a help, not a verdict: no time, no values
        options = cut
    report = run_tests(
        task, "visible", program, options, only=names, trace=Trace(files=files, watch=watch)
    )
    seen = {o.name: o.values or {} for o in report.outcomes}
    bad_values = seen.get(bad.name, {})
    good_values = seen.get(good.name, {}) if good is not None else {}
    result: list[KeyVariable] = []
    for path, line in watch:
        key = f"{path}:{line}"
        at_bad, at_good = bad_values.get(key, {}), good_values.get(key, {})
        for name in dict.fromkeys(n for n in [*at_bad, *at_good] if "@" not in n):
            result.append(
                KeyVariable(
                    path=path,
                    line=line,
                    name=name,
                    failing=at_bad.get(f"{name}@last", at_bad.get(name)),
                    passing=at_good.get(f"{name}@last", at_good.get(name)),
                    failing_first=at_bad.get(name),
                    passing_first=at_good.get(name),
                    failing_hits=int(at_bad.get("@hits", 0)),
                    passing_hits=int(at_good.get("@hits", 0)),
                )
            )
    return result, names


def _best_cover(
    watch: Sequence[tuple[str, int]], tests: Sequence[TestOutcome]
) -> TestOutcome | None:
    """The first of ``tests`` that ran the most of the watched lines."""

    def reached(outcome: TestOutcome) -> int:
        lines = outcome.lines or {}
        return sum(line in lines.get(path, ()) for path, line in watch)

    return max(tests, key=reached, default=None)  # max keeps the first of equals
