"""Running an external linter or compiler on a file's text, for the checks that need one.

:func:`run_tool` runs a tool as the user (ruff: it reads the text, and the
repository's configuration for it, and runs nothing of either).
:func:`run_sandboxed` runs one in :mod:`duckfix.sandbox` (a compiler: the text
of a patch names the files it reads, ``#include "/root/.ssh/id_rsa"`` too, so it
must not read them as the user, let alone as root).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duckfix.models import RunResult

from duckfix.errors import CheckNotRun

__all__ = ["OUTPUT_BYTES", "TIMEOUT", "run_sandboxed", "run_tool", "sandbox_path"]

TIMEOUT = 30.0
"""Seconds a tool may take on one file."""
OUTPUT_BYTES = 16 << 20
"""Bytes of a sandboxed tool's stdout and stderr kept: a file with thousands of
warnings gives megabytes of JSON diagnostics, and a cut one does not parse."""


def run_tool(
    command: list[str],
    text: str,
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``command`` fed ``text`` on stdin; :class:`CheckNotRun` naming ``what`` if it cannot run."""
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
        raise CheckNotRun(f"{what} took longer than {TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise CheckNotRun(str(exc)) from exc


def sandbox_path() -> str:
    """The ``PATH`` a sandboxed run searches: look tools up here, so the one found can run."""
    from duckfix.sandbox import scrub_env

    return scrub_env(None, home="/", tmp="/")["PATH"]


def run_sandboxed(
    command: Sequence[str],
    text: str,
    *,
    what: str,
    read_only: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """``command`` fed ``text`` on stdin in the sandbox, in a fresh empty folder.

    ``read_only`` are the host folders it may read (the repository, a header
    folder); nothing else of the host's is there but the tool's own prefix.
    :class:`CheckNotRun` naming ``what`` when it cannot start, runs out of time,
    or hits a limit.
    """
    from duckfix import sandbox
    from duckfix.errors import SandboxError

    limits = sandbox.Limits(timeout=TIMEOUT, output_bytes=OUTPUT_BYTES)
    try:
        result = sandbox.run(
            command, stdin=text.encode(), limits=limits, env=env, read_only=list(read_only)
        )
    except SandboxError as exc:
        raise CheckNotRun(f"{what} could not run in the sandbox ({exc})") from exc
    if result.ended == "timeout":
        raise CheckNotRun(f"{what} took longer than {TIMEOUT:.0f} s")
    if result.ended == "limit":
        raise CheckNotRun(f"{what} was {result.describe()}")
    return result
