"""How many injected bugs of the Chrysalis HLS dataset the review's rule checks flag, by category.

Each applicable bug becomes a one-file unified diff (the design's source before
-> after the bug, path ``<design>.cpp``) reviewed the way :mod:`.run` reviews a
patch: the rule checks on the file, then the merge (anchor, de-duplicate,
rank, cap). The faulty source is handed to the checks as the new file, and
the design's ``Source_Code`` folder as the repository, so the compiler finds
the design's own headers. No model runs: this measures the deterministic checks.

A bug is *flagged* when the review keeps any finding, and flagged *on the
right line* when a finding sits on a line the bug changed, or one line beside
them when either line is a ``#pragma`` (a pragma bug is often reported on the
declaration or loop next to the pragma, or the other way round). A check that
could not run (its coverage: no ``ap_int.h`` for gcc, no tree-sitter) flags
nothing; such bugs are counted apart.

Rendering is here too: a rich table for a terminal, and the report as JSON.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from duckfix.agents.review_checks.c_warnings import compile_of
from duckfix.agents.review_checks.compile_ahead import compiled_ahead
from duckfix.coverage import CheckRun
from duckfix.datasets.builder.categories import CATEGORIES
from duckfix.datasets.chrysalis import (
    ChrysalisBug,
    ChrysalisDataset,
    ChrysalisDesign,
    LineRange,
    design_bugs,
)
from duckfix.diff import parse_diff
from duckfix.executor import Executor, LocalExecutor, Needs
from duckfix.findings import Finding
from duckfix.patches import FileContext, Review
from duckfix.pipelines.review.context import enclosing_functions
from duckfix.pipelines.review.run import ReviewOutcome, check_file, finish
from duckfix.review_settings import ReviewSettings
from duckfix.safe_files import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from rich.console import Console

    from duckfix.source_tree import SourceTree

__all__ = [
    "BugResult",
    "CategoryRow",
    "DatasetReport",
    "bug_diff",
    "dataset_checks",
    "measure",
    "measure_folder",
    "render_table",
    "review_bug",
    "unit_key",
]

NEEDED_CHECKS = ("c", "hls")
"""File checks this measurement always runs unless the user names the checks."""
_NOT_FILE_CHECKS = {"model", "commit"}  # no model here, and the diffs carry no commit
_PRAGMA = re.compile(r"^\s*#\s*pragma\b", re.IGNORECASE)
_ORDER = {c.name: i for i, c in enumerate(CATEGORIES)}
T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BugResult(_Model):
    """What the review made of one bug."""

    suite: str
    design: str
    bug_file: str
    index: int
    category: str
    kind: str
    """``logic``, ``pragma`` or ``unknown``."""
    applied: bool
    match: str | None = None
    """How the Original Code was found: ``exact`` or ``whitespace``."""
    reason: str | None = None
    """Why the bug was not applied, or why it was not reviewed."""
    lines: LineRange | None = None
    """The faulty source's changed lines."""
    flagged: bool = False
    on_line: bool = False
    checks: list[str] = Field(default_factory=list)
    """Checks with a finding on the right line."""
    findings: list[Finding] = Field(default_factory=list)
    unchecked: list[str] = Field(default_factory=list)
    """Checks that could not run on this bug's file (the review's coverage says so)."""


class CategoryRow(_Model):
    """One category's counts (or the total's)."""

    category: str
    kind: str
    bugs: int = 0
    applied: int = 0
    flagged: int = 0
    on_line: int = 0
    checks: dict[str, int] = Field(default_factory=dict)
    """Bugs each check flagged on the right line."""

    def add(self, result: BugResult) -> None:
        """Count ``result`` in this row."""
        self.bugs += 1
        self.applied += result.applied
        self.flagged += result.flagged
        self.on_line += result.on_line
        for name in result.checks:
            self.checks[name] = self.checks.get(name, 0) + 1


class DatasetReport(_Model):
    """The measurement over a dataset: per category, the total, and every bug."""

    dataset: str
    """The ``HLS_Bug_Dataset`` folder."""
    title: str | None = None
    checks: list[str]
    categories: list[CategoryRow]
    total: CategoryRow
    unchecked: dict[str, int] = Field(default_factory=dict)
    """Applied bugs each check could not look at."""
    problems: list[str] = Field(default_factory=list)
    bugs: list[BugResult]
    seconds: float = 0.0
    part_seconds: float = 0.0
    """The reviews' own time, summed over the parts wherever they ran (seconds above is the
    run's wall clock): their ratio is how many workers were busy on average."""


def dataset_checks(settings: ReviewSettings, *, chosen: bool = False) -> list[str]:
    """The file checks to run: the settings' (neither model nor commit), plus c and hls.

    ``chosen``: the user named the checks (``--checks``), so they run as named,
    without c and hls added.
    """
    names = [n for n in settings.checks if n not in _NOT_FILE_CHECKS]
    if not chosen:
        names += [n for n in NEEDED_CHECKS if n not in names]
    return names


def bug_diff(bug: ChrysalisBug) -> str:
    """The unified diff that injects ``bug`` (path ``<design>.cpp``); empty when not applied."""
    if bug.original_source is None or bug.faulty_source is None:
        return ""
    old, new = (
        _ended(t).splitlines(keepends=True) for t in (bug.original_source, bug.faulty_source)
    )
    path = bug.source_name
    head = f"diff --git a/{path} b/{path}\n"
    return head + "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))


def _ended(text: str) -> str:
    # A last line without "\n" would need "\ No newline at end of file"; the
    # measurement does not care, and one more newline moves no line number.
    return text if text.endswith("\n") or not text else text + "\n"


def review_bug(
    bug: ChrysalisBug,
    settings: ReviewSettings,
    names: Sequence[str],
    tree: SourceTree | None = None,
    *,
    prepared: Prepared | None = None,
) -> BugResult:
    """Review the diff that injects ``bug`` with the rule checks ``names``; never raises.

    ``tree``: the design's ``Source_Code`` folder as the checks read it, when the
    caller reviews several bugs of one design (its file list is then read once);
    ``prepared``: the bug's review and file contexts, when the caller made them already.
    """
    result = BugResult(
        suite=bug.suite,
        design=bug.design,
        bug_file=bug.bug_file,
        index=bug.index,
        category=bug.category,
        kind=bug.kind,
        applied=bug.applied,
        match=bug.match,
        reason=bug.reason,
        lines=bug.changed,
    )
    if not bug.applied or bug.faulty_source is None or bug.changed is None:
        return result
    try:
        kept, result.unchecked = _review(prepared or _contexts(bug, tree), settings, names)
    except Exception as exc:  # one odd design must not end a run over the whole dataset
        result.reason = f"not reviewed: {type(exc).__name__}: {exc}"
        return result
    faulty = _ended(bug.faulty_source).splitlines()
    result.findings = kept
    result.flagged = bool(kept)
    result.checks = sorted({_check_of(f) for f in kept if _on_line(f.line, bug.changed, faulty)})
    result.on_line = bool(result.checks)
    return result


def _review(
    prepared: Prepared, settings: ReviewSettings, names: Sequence[str]
) -> tuple[list[Finding], list[str]]:
    """The findings on the bug's diff, and the checks that could not run on it."""
    review, contexts = prepared
    findings: list[Finding] = []
    notes: list[str] = []
    runs: list[CheckRun] = []
    for ctx in contexts:
        found, said, ran = check_file(ctx, settings, names)
        findings += found
        notes += said
        runs += ran
    outcome = finish(ReviewOutcome(review, checks=list(names)), findings, notes, settings, runs)
    return outcome.findings, sorted({run.check for run in outcome.not_run})


Prepared = tuple[Review, list[FileContext]]
"""A bug's review of its diff, and what the checks read of each file it changes."""


def _contexts(bug: ChrysalisBug, tree: SourceTree | None) -> Prepared:
    """The review of the bug's diff, and what the checks read of each file it changes."""
    assert bug.faulty_source is not None
    text = _ended(bug.faulty_source)
    review = Review(
        label=bug.label,
        files=parse_diff(bug_diff(bug), bug.label),
        repo=bug.source_dir,
        revision=None,  # the new text is handed over below, not read from anywhere
    )
    contexts = [
        FileContext(
            change, text, enclosing_functions(change.path, text, change.hunks), bug.source_dir,
            tree=tree,
        )
        for change in review.files
    ]  # fmt: skip
    return review, contexts


def _review_designs(
    designs: Sequence[tuple[Sequence[ChrysalisBug], SourceTree | None]],
    settings: ReviewSettings,
    names: Sequence[str],
) -> list[BugResult]:
    """Review a part's bugs, design by design (with each design's folder as its ``tree``).

    Their compiles run first, all in one sandbox: it sees every one of these
    designs' folders, all of them the one dataset's, read-only.
    """
    prepared: dict[int, Prepared] = {}
    for bugs, tree in designs:
        for bug in bugs:
            if bug.applied and bug.faulty_source is not None and bug.changed is not None:
                with contextlib.suppress(Exception):  # review_bug meets it again, and says so
                    prepared[id(bug)] = _contexts(bug, tree)
    runs = [
        compile_of(ctx, settings) for _, contexts in prepared.values() for ctx in contexts
    ] if "c" in names else []  # fmt: skip
    with compiled_ahead([run for run in runs if run is not None]):
        return [
            review_bug(bug, settings, names, tree, prepared=prepared.get(id(bug)))
            for bugs, tree in designs
            for bug in bugs
        ]


def _check_of(finding: Finding) -> str:
    return finding.category.split("/", 1)[0]


def _on_line(line: int, changed: LineRange, faulty: list[str]) -> bool:
    if line in changed:
        return True
    if not changed.start - 1 <= line <= changed.end + 1:
        return False

    def pragma(number: int) -> bool:
        return 1 <= number <= len(faulty) and bool(_PRAGMA.match(faulty[number - 1]))

    return pragma(line) or any(pragma(n) for n in range(changed.start, changed.end + 1))


_PER_TASK = 64
"""Bugs per part at most: a bug takes milliseconds, a Ray task's round trip about one, and
a part's compiles run in one sandbox."""
_FILES_PER_TASK = 16
"""Bug files per part at most, when the workers read them (a file holds a bug or a few)."""
_SHARES = 4
"""A part is at most 1/(_SHARES x jobs) of what is left: parts shrink towards the end, so
no worker is left with a long last part while the others idle."""

Part = tuple[int, list[T]]
"""A part's number (its place in the report's order) and its units."""


def _parts(units: Sequence[T], jobs: int, cap: int) -> Iterator[Part[T]]:
    """``units`` in order, in consecutive parts of at most ``cap``, shrinking as they run out.

    A generator: the executor takes the next part when a worker has room, so a
    part's size follows what is left at that moment.
    """
    at = number = 0
    while at < len(units):
        size = max(1, min(cap, (len(units) - at) // (_SHARES * max(1, jobs))))
        yield number, list(units[at : at + size])
        at += size
        number += 1


Landed = tuple[int, list[BugResult], float]
"""What a part gives back: its number, its bugs' results, and the seconds it took."""


def _review_loaded(
    part: Part[ChrysalisBug], settings: ReviewSettings, names: Sequence[str]
) -> Landed:
    started = time.perf_counter()
    number, bugs = part
    results = _review_designs([(bugs, None)], settings, names)
    return number, results, time.perf_counter() - started


def _review_read(
    part: Part[tuple[ChrysalisDesign, str]],
    root: Path,
    max_bytes: int,
    settings: ReviewSettings,
    names: Sequence[str],
) -> Landed:
    """Read and review a part's bug files; runs on the worker, next to the files."""
    from duckfix.source_tree import SourceTree

    started = time.perf_counter()
    number, units = part
    designs: list[tuple[Sequence[ChrysalisBug], SourceTree | None]] = []
    for design, files in itertools.groupby(units, key=lambda unit: unit[0]):
        wanted = [name for _, name in files]
        bugs = design_bugs(root, design, wanted, max_bytes=max_bytes)
        # One listing of the design's folder for all its bugs, not one git call per bug.
        tree = SourceTree.worktree(bugs[0].source_dir) if bugs and bugs[0].source_dir else None
        designs.append((bugs, tree))
    return number, _review_designs(designs, settings, names), time.perf_counter() - started


def measure(
    dataset: ChrysalisDataset,
    settings: ReviewSettings,
    names: Sequence[str] | None = None,
    jobs: int = 2,
    executor: Executor | None = None,
) -> DatasetReport:
    """Review every bug of a loaded ``dataset`` (``jobs`` at once); count the results per category.

    ``names``: the file checks to run (default: :func:`dataset_checks`).
    ``executor``: where the reviews run (threads here by default); a remote one
    gets the bugs in parts, and needs each design's folder at the same path.
    """
    started = time.monotonic()
    checks = list(names) if names is not None else dataset_checks(settings)
    executor = executor or LocalExecutor()
    parts = _parts(dataset.bugs, jobs, _PER_TASK)
    review = functools.partial(_review_loaded, settings=settings, names=checks)
    landed = executor.map_unordered(review, parts, jobs, Needs())
    return _report(dataset, checks, landed, started)


def unit_key(design: ChrysalisDesign, bug_file: str) -> str:
    """How a bug file is named in a recorded run: ``suite/design/file``."""
    return f"{design.suite}/{design.name}/{bug_file}"


Kept = Callable[[list[tuple[str, list[BugResult]]]], None]
"""Called in the driver as each part lands, with its bug files' keys and their bugs' results."""


def measure_folder(
    dataset: ChrysalisDataset,
    settings: ReviewSettings,
    names: Sequence[str] | None = None,
    jobs: int = 2,
    executor: Executor | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    done: Mapping[str, list[BugResult]] | None = None,
    keep: Kept | None = None,
) -> DatasetReport:
    """Review every bug of a dataset as :func:`scan_chrysalis` gives it (folders listed only).

    Each part names bug files of a design, and the worker reads, applies and
    reviews them, so the driver's time does not grow with the bugs. A remote
    ``executor`` needs the dataset at the same path on every worker (one node,
    or a shared file system). A file the loader's rules refuse raises as
    :func:`load_chrysalis` does, from whichever worker read it.

    ``done``: results of bug files an earlier run reviewed (by :func:`unit_key`),
    which are not reviewed again; ``keep`` is told each part's files and their
    results as the part lands, so that a run stopped midway can resume. The
    report is the same.
    """
    started = time.monotonic()
    checks = list(names) if names is not None else dataset_checks(settings)
    executor = executor or LocalExecutor()
    done = done or {}
    units = [(design, name) for design in dataset.designs for name in design.bug_files]
    todo = [unit for unit in units if unit_key(*unit) not in done]
    sent: dict[int, list[tuple[ChrysalisDesign, str]]] = {}

    def parts() -> Iterator[Part[tuple[ChrysalisDesign, str]]]:
        for number, part in _parts(todo, jobs, _FILES_PER_TASK):
            sent[number] = part
            yield number, part

    review = functools.partial(
        _review_read, root=dataset.root, max_bytes=max_bytes, settings=settings, names=checks
    )
    by_file: dict[str, list[BugResult]] = dict(done)
    seconds = 0.0
    for number, results, spent in executor.map_unordered(review, parts(), jobs, Needs()):
        seconds += spent
        landed = [
            (
                unit_key(design, name),
                [
                    r
                    for r in results
                    if (r.suite, r.design, r.bug_file) == (design.suite, design.name, name)
                ],
            )
            for design, name in sent.pop(number)
        ]
        by_file.update(landed)
        if keep is not None:
            keep(landed)
    results = [r for unit in units for r in by_file.get(unit_key(*unit), [])]
    return _report(dataset, checks, [(0, results, seconds)], started)


def _report(
    dataset: ChrysalisDataset, checks: list[str], landed: Iterable[Landed], started: float
) -> DatasetReport:
    """Count the parts' results per category, in the dataset's order, whoever finished first."""
    numbered = sorted(landed, key=lambda part: part[0])
    results = [result for _, part, _ in numbered for result in part]
    rows: dict[str, CategoryRow] = {}
    total = CategoryRow(category="total", kind="")
    unchecked: Counter[str] = Counter()
    for result in results:
        row = rows.setdefault(
            result.category, CategoryRow(category=result.category, kind=result.kind)
        )
        row.add(result)
        total.add(result)
        unchecked.update(set(result.unchecked))
    ordered = sorted(rows.values(), key=lambda r: _ORDER.get(r.category, len(_ORDER)))
    problems = list(dataset.problems)
    problems += [
        f"{r.suite}/{r.design}/{r.bug_file}[{r.index}]: {r.reason}"
        for r in results
        if r.reason and r.applied  # applied yet not reviewed: a check failed
    ]
    return DatasetReport(
        dataset=str(dataset.root),
        title=dataset.title,
        checks=checks,
        categories=ordered,
        total=total,
        unchecked=dict(sorted(unchecked.items())),
        problems=problems,
        bugs=results,
        seconds=round(time.monotonic() - started, 3),
        part_seconds=round(sum(seconds for _, _, seconds in numbered), 3),
    )


# --- rendering ----------------------------------------------------------------------

_LISTED = 10
"""Not-applied bugs listed under the table; JSON has them all."""


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else str(part)


def render_table(report: DatasetReport, console: Console) -> None:
    """Print ``report`` on ``console``: a table by category, then what was left out and why."""
    from rich.table import Table
    from rich.text import Text

    heading = report.title or "Chrysalis HLS bug dataset"
    console.print(Text.assemble(("duckfix review: ", "bold"), heading))
    console.print(Text(report.dataset, style="dim"))
    table = Table(box=None, pad_edge=False, show_footer=True)
    columns = ("category", "kind", "bugs", "applied", "flagged", "on the line", "by check")
    footer = _cells(report.total)
    for number, name in enumerate(columns):
        right = 2 <= number <= 5
        table.add_column(
            name, footer=Text(footer[number], style="bold"), justify="right" if right else "left"
        )
    for row in report.categories:
        table.add_row(*(Text(cell) for cell in _cells(row)))
    console.print(table)
    applied = report.total.applied
    console.print(
        Text(
            f"flagged on the line: {_share(report.total.on_line, applied)} of the applied bugs "
            f"(checks: {', '.join(report.checks) or 'none'}; {report.seconds:.1f}s)",
            style="bold",
        )
    )
    for name, count in report.unchecked.items():
        console.print(Text(f"{name}: could not check {count} of the applied bugs", style="dim"))
    skipped = [b for b in report.bugs if not b.applied]
    if skipped:
        console.print(Text(f"not applied: {len(skipped)}", style="dim"))
        for bug in skipped[:_LISTED]:
            where = f"{bug.suite}/{bug.design}/{bug.bug_file}[{bug.index}]"
            console.print(Text(f"  - {where}: {bug.reason}", style="dim"))
        if len(skipped) > _LISTED:
            console.print(
                Text(f"  ... and {len(skipped) - _LISTED} more (--format json)", style="dim")
            )
    for problem in report.problems:
        console.print(Text(f"note: {problem}", style="dim"))


def _cells(row: CategoryRow) -> list[str]:
    by_check = ", ".join(f"{name} {count}" for name, count in sorted(row.checks.items()))
    return [
        row.category,
        row.kind,
        str(row.bugs),
        str(row.applied),
        str(row.flagged),
        _share(row.on_line, row.applied),
        by_check or "-",
    ]
