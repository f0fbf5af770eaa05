"""Consoles and tables for duckfix's terminal output.

Two rules hold for every command. Text that comes from users, tasks, patches
or tools is data, never rich markup: ``a[i] >= x`` must not lose ``[i]``, and
``[bold]`` in a task description must print as written. And piped output is
not wrapped: a log or a ``grep`` wants whole lines, not rich's 80 columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

__all__ = ["add_row", "console"]

# Wide enough that no table or line of ours wraps; rich needs some width.
_PIPED_WIDTH = 10_000


def console(*, stderr: bool = False) -> Console:
    """A console at the terminal's width; when piped, one that never wraps or colours.

    Lines (not tables) are never wrapped by rich either way: a terminal wraps
    them itself, and a path or run id cut in two cannot be pasted.
    """
    here = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if here.is_terminal:
        return here
    return Console(stderr=stderr, highlight=False, width=_PIPED_WIDTH, soft_wrap=True)


def add_row(table: Table, *cells: str | RenderableType | None, style: str | None = None) -> None:
    """Add a row whose strings are shown as they are (no markup), other renderables as given."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells), style=style)
