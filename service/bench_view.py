"""What ``duckfix bench`` shows: live progress, each task's outcome as it lands, the tables."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text

from duckfix.service.consoles import add_row

if TYPE_CHECKING:
    from rich.console import Console

    from duckfix.models import Task
    from duckfix.pipelines.agent_value import AgentRow
    from duckfix.pipelines.bench import BenchResult

__all__ = [
    "AGENT_COLUMNS",
    "BenchProgress",
    "agent_cells",
    "hidden_failures",
    "print_agent_values",
    "print_by_task",
    "print_summary",
    "verdict",
    "why",
]

_MARKS = {"correct": "✓", "plausible": "~", "not fixed": "✗", "no failure": "·", "error": "!"}


def verdict(result: BenchResult) -> str:
    """The word for a task's outcome: correct, plausible, not fixed, no failure or error."""
    if result.correct:
        return "correct"
    if result.plausible:
        return "plausible"
    return {"no_failure": "no failure", "error": "error"}.get(result.status, "not fixed")


def why(result: BenchResult) -> str:
    """Why a task is not correct, in a line (empty for a correct one)."""
    if result.correct:
        return ""
    if result.plausible:
        return hidden_failures(result)
    return result.stop_reason.strip().splitlines()[0] if result.stop_reason.strip() else ""


def hidden_failures(result: BenchResult, shown: int = 3) -> str:
    """``fails hidden: a, b, c and N more`` for a plausible patch the hidden tests reject."""
    failed = result.hidden_failed
    more = f" and {len(failed) - shown} more" if len(failed) > shown else ""
    return f"fails hidden: {', '.join(failed[:shown])}{more}"


def outcome_line(result: BenchResult) -> str:
    """One task's outcome as rich markup: mark, verdict, task, seconds, candidates, reason."""
    word = verdict(result)
    colour = {"correct": "green", "plausible": "yellow", "error": "red"}.get(word, "default")
    reason = why(result)
    tail = f"  {escape(reason)}" if reason else ""
    return (
        f"[{colour}]{_MARKS[word]} {word:<10}[/] {escape(result.task_id)}  "
        f"{result.seconds:.1f} s, {result.candidates} candidates{tail}"
    )


class BenchProgress:
    """The live view of a bench run: a bar naming the running tasks, an ETA, outcome lines.

    Outcome lines go to stderr whether or not it is a terminal (a log of a
    piped run reads the same); the bar only on a terminal. ``quiet`` keeps
    only the bar.
    """

    def __init__(self, console: Console, title: str, total: int, done: int, *, quiet: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._console = console
        self._title = title
        self._quiet = quiet
        self._running: list[str] = []
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[running]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._bar = self._progress.add_task(escape(title), total=total, completed=done, running="")

    def __enter__(self) -> BenchProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def started(self, task: Task) -> None:
        """A task began: name it on the bar."""
        with self._lock:
            self._running.append(task.id)
            self._show()

    def landed(self, result: BenchResult) -> None:
        """A task ended: print its outcome above the bar and advance it."""
        with self._lock:
            if result.task_id in self._running:
                self._running.remove(result.task_id)
            if not self._quiet:
                self._progress.console.print(outcome_line(result), soft_wrap=True, highlight=False)
            self._progress.advance(self._bar)
            self._show()

    def _show(self) -> None:
        names = ", ".join(self._running[:3])
        if len(self._running) > 3:
            names += f" +{len(self._running) - 3}"
        self._progress.update(self._bar, running=escape(f"running: {names}") if names else "")


def print_summary(
    console: Console, suite: str, results: Sequence[BenchResult], *, with_model: bool
) -> None:
    """The table by category, then a row for all tasks."""
    from rich.table import Table

    from duckfix.pipelines.bench import summarize

    table = Table(title=Text(f"bench {suite}"))
    table.add_column("category")
    names = ["tasks", "plausible", "correct", "median s", "candidates"]
    if with_model:
        names += ["by model", "calls / task", "tokens / task"]
    for name in names:
        table.add_column(name, justify="right")
    for row in summarize(results):
        cells = [
            row.category,
            str(row.tasks),
            str(row.plausible),
            str(row.correct),
            f"{row.median_seconds:.1f}",
            f"{row.mean_candidates:.0f}",
        ]
        if with_model:
            cells += [
                str(row.by_model),
                f"{row.llm_calls / row.tasks:.1f}",
                f"{row.llm_tokens / row.tasks:.0f}",
            ]
        add_row(table, *cells, style="bold" if row.category == "all" else None)
    console.print(table)


def print_by_task(console: Console, suite: str, results: Sequence[BenchResult]) -> None:
    """A row per task: verdict, seconds, candidates, and why it is not correct."""
    from rich.table import Table

    table = Table(title=Text(f"bench {suite}, by task"))
    # Names are what a user types next (--task ID): never cut; the reason wraps.
    table.add_column("task", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("candidates", justify="right", no_wrap=True)
    table.add_column("why not correct", ratio=1)
    for r in results:
        add_row(
            table, r.task_id, r.category, verdict(r), f"{r.seconds:.1f}", str(r.candidates), why(r)
        )
    console.print(table)


def share_correct(results: Sequence[Any]) -> float:
    """Correct tasks as a percentage of all (100 for none, so an empty run fails nothing)."""
    return 100.0 * sum(r.correct for r in results) / len(results) if results else 100.0


def agent_cells(row: AgentRow) -> list[str]:
    """One agent's row of the value table, as the terminal and the report show it."""
    useful = f"{row.useful}/{row.judged}" if row.judged else "-"
    return [
        row.agent,
        str(row.tasks),
        _formed(row),
        str(row.used),
        useful,
        f"{row.calls_per_task:.1f}",
        f"{row.tokens_per_task:.0f}",
        f"{row.seconds_per_task:.1f}",
    ]


def _formed(row: AgentRow) -> str:
    if not row.replies:
        return "-"
    cell = f"{row.well_formed:.0%} of {row.replies}"
    return cell + f" ({row.unchanged} changed nothing)" if row.unchanged else cell


AGENT_COLUMNS = (
    "agent", "tasks", "well-formed", "used", "useful", "calls / task", "tokens / task",
    "model s / task",
)  # fmt: skip


def print_agent_values(console: Console, results: Sequence[BenchResult]) -> None:
    """What each agent's model replies were worth: well-formed / used / useful, cost per task."""
    from rich.table import Table

    from duckfix.pipelines.agent_value import summarize_agents

    rows = summarize_agents([r.agents for r in results])
    if not rows:
        return
    table = Table(title=Text("model value per agent"))
    for i, name in enumerate(AGENT_COLUMNS):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        add_row(table, *agent_cells(row))
    console.print(table)
