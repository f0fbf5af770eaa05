"""The bench report: report.md and report.html, with two plots as PNG files."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duckfix.pipelines.bench import BenchResult, CategoryRow, summarize
from duckfix.store import RunRecord

__all__ = ["diff_html", "write_report"]

_OUTCOME_COLOURS = {"correct": "#2e7d32", "plausible": "#f9a825", "not fixed": "#c62828"}


def _outcome(r: BenchResult) -> str:
    if r.correct:
        return "correct"
    return "plausible" if r.plausible else "not fixed"


def write_report(run: RunRecord, results: Sequence[BenchResult], folder: Path) -> list[Path]:
    """Write the report files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = summarize(results)
    ordered = sorted(results, key=lambda r: (r.category, r.task_id))
    by_category = folder / "fixes_by_category.png"
    per_task = folder / "time_per_task.png"
    _plot_categories([r for r in rows if r.category != "all"], by_category)
    _plot_times(ordered, per_task, run.config.get("max_seconds"))
    md = folder / "report.md"
    md.write_text(_markdown(run, rows, ordered, by_category.name, per_task.name), "utf-8")
    page = folder / "report.html"
    page.write_text(_html(run, rows, ordered, by_category, per_task), "utf-8")
    return [md, page, by_category, per_task]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _plot_categories(rows: Sequence[CategoryRow], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    names = [r.category for r in rows]
    xs = range(len(rows))
    width = 0.27
    bars = (("tasks", "#90a4ae"), ("plausible", "#f9a825"), ("correct", "#2e7d32"))
    for i, (field, colour) in enumerate(bars):
        ax.bar(
            [x + (i - 1) * width for x in xs],
            [getattr(r, field) for r in rows],
            width,
            label=field,
            color=colour,
        )
    ax.set_xticks(list(xs), names, rotation=30, ha="right")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of tasks: no 2.5
    ax.set_ylabel("tasks")
    ax.set_title("Fixes by bug category")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_times(results: Sequence[BenchResult], path: Path, cap: float | None = None) -> None:
    plt = _pyplot()
    ordered = sorted(results, key=lambda r: r.seconds)
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.22 * len(ordered) + 1)))
    ax.barh(
        [r.task_id for r in ordered],
        [r.seconds for r in ordered],
        color=[_OUTCOME_COLOURS[_outcome(r)] for r in ordered],
    )
    ax.set_xlabel("seconds")
    title = "Time per task (green: correct, amber: plausible only, red: not fixed)"
    longest = max((r.seconds for r in ordered), default=0.0)
    if cap:
        # The cap is a safety limit, often far beyond every task: drawn when it
        # is on the scale, else named, so the bars stay readable.
        if cap <= 3 * longest:
            ax.axvline(cap, color="#37474f", linestyle="--", linewidth=1)
            ax.text(cap, 1.0, f" cap {cap:g} s", transform=ax.get_xaxis_transform(),
                    va="bottom", fontsize=8)  # fmt: skip
        else:
            title += f"\ntime cap per task: {cap:g} s (off the scale)"
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _markdown(
    run: RunRecord,
    rows: Sequence[CategoryRow],
    results: Sequence[BenchResult],
    plot1: str,
    plot2: str,
) -> str:
    out = [
        f"# duckfix bench: {run.target}",
        "",
        f"Run `{run.id}`, started {run.created_at}, status {run.status}.",
        "",
        "| category | tasks | plausible | correct | median s | candidates |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        out.append(
            f"| {row.category} | {row.tasks} | {row.plausible} | {row.correct} | "
            f"{row.median_seconds:.1f} | {row.mean_candidates:.0f} |"
        )
    out += ["", f"![fixes by category]({plot1})", "", f"![time per task]({plot2})", ""]
    agents = _agent_rows(results)
    if agents:
        from duckfix.service.bench_view import AGENT_COLUMNS

        out += ["## Model value per agent", "", _AGENT_NOTE, ""]
        out += ["| " + " | ".join(AGENT_COLUMNS) + " |"]
        out += ["| --- |" + " ---: |" * (len(AGENT_COLUMNS) - 1)]
        out += ["| " + " | ".join(cells) + " |" for cells in agents]
        out.append("")
    out += ["## Tasks", "", "| task | category | outcome | seconds | candidates | note |"]
    out.append("| --- | --- | --- | ---: | ---: | --- |")
    for r in results:
        note = _note(r).replace("|", "\\|")
        out.append(
            f"| {r.task_id} | {r.category} | {_outcome(r)} | {r.seconds:.1f} | "
            f"{r.candidates} | {note} |"
        )
    fixes = [r for r in results if r.fix]
    if fixes:
        out += ["", "## Patches", ""]
        for r in fixes:
            out += [f"### {r.task_id} ({_outcome(r)})", "", "```diff", r.fix.rstrip(), "```", ""]
    return "\n".join(out) + "\n"


_AGENT_NOTE = (
    "Well-formed: structured replies that validated (at once or after the repair turn). "
    "Used: fixer candidates tried, localizer re-rankings kept, reviewer rejections, model "
    "explanations shown. Useful (of those judged): plausible fixer candidates, re-rankings "
    "that put a line the reference fix changes first, rejections in tasks whose accepted "
    "fix is not correct, explanations of correct fixes."
)


def _agent_rows(results: Sequence[BenchResult]) -> list[list[str]]:
    """The value table's rows (empty without a model)."""
    from duckfix.pipelines.agent_value import summarize_agents
    from duckfix.service.bench_view import agent_cells

    return [agent_cells(row) for row in summarize_agents([r.agents for r in results])]


def _note(r: BenchResult) -> str:
    """What the run said, and for a plausible patch the hidden tests it fails."""
    from duckfix.service.bench_view import hidden_failures

    return f"{r.stop_reason} ({hidden_failures(r)})" if r.hidden_failed else r.stop_reason


def diff_html(diff: str) -> str:
    """A unified diff as escaped HTML, each line classed as added, removed, hunk or file."""
    lines = []
    for line in diff.rstrip("\n").splitlines():
        kind = ""
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        elif line.startswith("@@"):
            kind = "hunk"
        text = html.escape(line)
        lines.append(f'<span class="{kind}">{text}</span>' if kind else text)
    return "\n".join(lines)


def _html(
    run: RunRecord,
    rows: Sequence[CategoryRow],
    results: Sequence[BenchResult],
    plot1: Path,
    plot2: Path,
) -> str:
    e = html.escape

    def img(path: Path, alt: str) -> str:
        data = base64.b64encode(path.read_bytes()).decode()
        return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'

    summary = "".join(
        f"<tr><td>{e(r.category)}</td><td>{r.tasks}</td><td>{r.plausible}</td>"
        f"<td>{r.correct}</td><td>{r.median_seconds:.1f}</td><td>{r.mean_candidates:.0f}</td></tr>"
        for r in rows
    )
    tasks = "".join(
        f'<tr class="{_outcome(r).replace(" ", "-")}"><td>{e(r.task_id)}</td>'
        f"<td>{e(r.category)}</td><td>{_outcome(r)}</td><td>{r.seconds:.1f}</td>"
        f"<td>{r.candidates}</td><td>{e(_note(r))}"
        + (f'<pre class="diff">{diff_html(r.fix)}</pre>' if r.fix else "")
        + "</td></tr>"
        for r in results
    )
    from duckfix.service.bench_view import AGENT_COLUMNS

    rows_html = "".join(
        "<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
        for cells in _agent_rows(results)
    )
    head = "".join(f"<th>{e(c)}</th>" for c in AGENT_COLUMNS)
    agents = (
        f"<h2>Model value per agent</h2><p>{e(_AGENT_NOTE)}</p>"
        f"<table><tr>{head}</tr>{rows_html}</table>"
        if rows_html
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>duckfix bench {e(run.target)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: .3em .6em; vertical-align: top; }}
tr.correct td:nth-child(3) {{ color: #2e7d32; }} tr.plausible td:nth-child(3) {{ color: #b28704; }}
tr.not-fixed td:nth-child(3) {{ color: #c62828; }} pre {{ font-size: .8em; margin: .3em 0; }}
pre.diff .add {{ color: #1b5e20; background: #e8f5e9; }}
pre.diff .del {{ color: #b71c1c; background: #ffebee; }}
pre.diff .hunk {{ color: #6a1b9a; }} pre.diff .file {{ font-weight: bold; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>duckfix bench: {e(run.target)}</h1>
<p>Run <code>{e(run.id)}</code>, started {e(run.created_at)}, status {e(run.status)}.</p>
<table><tr><th>category</th><th>tasks</th><th>plausible</th><th>correct</th>
<th>median s</th><th>candidates</th></tr>{summary}</table>
{img(plot1, "fixes by category")}
{img(plot2, "time per task")}
{agents}
<h2>Tasks</h2>
<table><tr><th>task</th><th>category</th><th>outcome</th><th>seconds</th><th>candidates</th>
<th>note</th></tr>{tasks}</table>
</body></html>
"""
