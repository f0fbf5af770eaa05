"""How a debug result looks in a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from duckfix.service import consoles

__all__ = ["render"]


def render(
    result: Any,
    run_id: str,
    applied: bool,
    target: Path,
    usage: dict[str, Any] | None = None,
    user_paths: Mapping[str, str] | None = None,
) -> None:
    """Print suspects, the fix, the explanation and the cost of a debug run.

    ``user_paths`` maps the task layout's paths to the ones the user typed
    (``tests/test_prog.py`` -> ``./test_prog.py``): the user's are shown.
    """
    console = consoles.console()
    shown = _PathShower(user_paths or {})
    if result.status == "no_failure":
        console.print(f"[green]{result.stop_reason}[/]")
        return
    if result.suspects:
        table = Table("rank", "line", "score", "fail/pass", "code", title="suspect lines")
        lines = _lines(result)
        for rank, s in enumerate(result.suspects[:5], 1):
            code = lines.get((s.path, s.line), "")
            table.add_row(
                str(rank),
                f"{shown.path(s.path)}:{s.line}",
                f"{s.score:.2f}",
                f"{s.failing_cover}/{s.passing_cover}",
                escape(code.strip()),
            )
        console.print(table)
    if result.patch is not None:
        console.print(Panel(Syntax(result.patch.diff, "diff", theme="ansi_dark"), title="fix"))
    if result.explanation is not None:
        e = result.explanation
        console.print(f"[bold]{escape(shown.text(e.summary))}[/]")
        for label, text in (("cause", e.root_cause), ("why the fix works", e.why_fix_works)):
            if text:
                console.print(f"[bold]{label}:[/] {escape(shown.text(text))}")
        for item in e.evidence:
            console.print(f"  • {escape(shown.text(item))}")
    for note in getattr(result, "disagreements", []):
        # Plausible patches that behave differently: the user should know the
        # visible tests did not decide between them.
        console.print(f"[yellow]note:[/] {escape(shown.text(note))}")
    if result.status == "fixed":
        console.print(f"[green]{escape(result.stop_reason)}[/]")
    else:
        console.print(f"[bold red]not fixed[/]: {escape(shown.text(result.stop_reason))}")
        _print_tried(console, result.attempts, shown)
    mutants = getattr(result, "mutants", 0)
    console.print(
        f"cost: {result.candidates} candidates"
        + (f" ({mutants} of them mutants, to localize)" if mutants else "")
        + f", {result.validations} test runs, "
        f"{result.seconds:.1f} s  (run {run_id})"
    )
    if usage is not None:
        tokens = usage["prompt_tokens"] + usage["completion_tokens"]
        console.print(f"model: {usage['calls']} calls, {tokens} tokens")
    if applied:
        console.print(f"fix written to {target}")
    elif result.fix is not None:
        console.print("run again with --apply to write the fix into your file")


class _PathShower:
    """Shows the user's paths for the task layout's, in path fields and in free text."""

    def __init__(self, user_paths: Mapping[str, str]) -> None:
        self._paths = dict(user_paths)
        # In text only test ids and places are rewritten (``tests/test_p.py::test_x``):
        # a bare file name would also match inside other names.
        self._ids = [(f"{k}:", f"{v}:") for k, v in user_paths.items() if "/" in k]

    def path(self, path: str) -> str:
        return self._paths.get(path, path)

    def text(self, text: str) -> str:
        for ours, theirs in self._ids:
            text = text.replace(ours, theirs)
        return text


def _print_tried(console: Console, attempts: list[Any], shown: _PathShower, count: int = 5) -> None:
    """What was tried, most suspect first, and why each candidate failed."""
    if not attempts:
        console.print("no candidate was tried")
        return
    counts: dict[str, int] = {}
    for a in attempts:
        counts[a.outcome] = counts.get(a.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    console.print(
        f"tried {len(attempts)} candidates ({summary}); the first {min(count, len(attempts))}:"
    )
    for a in attempts[:count]:
        first = a.reason.strip().splitlines()[0] if a.reason.strip() else ""
        why = f": {shown.text(first)}" if first else ""
        console.print(
            f"  {escape(shown.path(a.path))}:{a.line}  {escape(a.description)}  "
            f"{a.outcome}{escape(why)}",
            soft_wrap=True,
        )


def _lines(result: Any) -> dict[tuple[str, int], str]:
    """Source text of suspect lines, from the program as it was (before the fix)."""
    out: dict[tuple[str, int], str] = {}
    for s in result.suspects[:5]:
        text = result.program.get(s.path)
        if text is None:
            continue
        lines = text.splitlines()
        if 0 < s.line <= len(lines):
            out[(s.path, s.line)] = lines[s.line - 1]
    return out
