"""Running an external linter or compiler on a file's text, for the checks that need one."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TIMEOUT", "ToolFailed", "run_tool"]

TIMEOUT = 30.0
"""Seconds a tool may take on one file."""


class ToolFailed(Exception):
    """The tool is missing, timed out, or could not read the file at all."""


def run_tool(
    command: list[str],
    text: str,
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``command`` fed ``text`` on stdin; :class:`ToolFailed` naming ``what`` if it cannot run."""
    try:
        return subprocess.run(
            command,
            input=text,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"{what} took longer than {TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise ToolFailed(str(exc)) from exc
