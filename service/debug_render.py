"""How a debug result looks in a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

__all__ = ["render"]


def render(
    result: Any, run_id: str, applied: bool, target: Path, usage: dict[str, Any] | None = None
) -> None:
    """Print suspects, the fix, the explanation and the cost of a debug run."""
    console = Console()
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
                f"{s.path}:{s.line}",
                f"{s.score:.2f}",
                f"{s.failing_cover}/{s.passing_cover}",
                escape(code.strip()),
            )
        console.print(table)
    if result.patch is not None:
        console.print(Panel(Syntax(result.patch.diff, "diff", theme="ansi_dark"), title="fix"))
    if result.explanation is not None:
        e = result.explanation
        console.print(f"[bold]{escape(e.summary)}[/]")
        for label, text in (("cause", e.root_cause), ("why the fix works", e.why_fix_works)):
            if text:
                console.print(f"[bold]{label}:[/] {escape(text)}")
        for item in e.evidence:
            console.print(f"  • {escape(item)}")
    for note in getattr(result, "disagreements", []):
        # Plausible patches that behave differently: the user should know the
        # visible tests did not decide between them.
        console.print(f"[yellow]note:[/] {escape(note)}")
    colour = "green" if result.status == "fixed" else "red"
    console.print(f"[{colour}]{escape(result.stop_reason)}[/]")
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
