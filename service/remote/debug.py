"""``duckfix debug --server``: what is sent (a task folder as a tar.gz, or a program and its tests).

The server's result is what ``duckfix debug --json`` prints; the command
renders it with the local renderer, so the output is a local run's.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duckfix.errors import ServerError

if TYPE_CHECKING:
    from duckfix.service.remote.client import ServerClient

__all__ = ["DebugSend", "folder_archive", "run_remote_debug"]

_SKIPPED = {"__pycache__", ".pytest_cache", ".git"}
"""Folders a task holds by accident (caches, history): never sent."""


@dataclass(frozen=True)
class DebugSend:
    """One debug request: JSON for a program, or an archive for a folder, with the options."""

    options: dict[str, Any]
    program: dict[str, Any] | None = None
    archive: tuple[str, bytes] | None = None

    def request(self) -> dict[str, Any]:
        """The keyword arguments of the POST (``json=`` or ``files=`` and ``data=``)."""
        if self.archive is not None:
            form = {k: str(v).lower() if isinstance(v, bool) else str(v)
                    for k, v in self.options.items()}  # fmt: skip
            name, data = self.archive
            return {"files": {"task": (name, data, "application/gzip")}, "data": form}
        return {"json": {**(self.program or {}), **self.options}}


def folder_archive(folder: Path) -> tuple[str, bytes]:
    """The task folder as ``NAME.tar.gz``: its regular files and folders, nothing else.

    Links are left out rather than followed (the server refuses them, and
    the task loader here refuses them too); caches are left out.
    """

    def keep(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if not (member.isfile() or member.isdir()):
            return None
        if _SKIPPED & set(Path(member.name).parts):
            return None
        member.uid = member.gid = 0
        member.uname = member.gname = ""
        return member

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name, filter=keep)
    return f"{folder.name}.tar.gz", buffer.getvalue()


def program_body(
    program: Path, tests: Path | None, cases: Path | None, entry: str | None, max_bytes: int
) -> dict[str, Any]:
    """A program and its tests or cases, read by the loaders' rules (size cap, no FIFO)."""
    from duckfix.safe_files import read_file

    def text(path: Path) -> str:
        return read_file(path, max_bytes=max_bytes).decode("utf-8", errors="replace")

    body: dict[str, Any] = {"program": text(program), "filename": program.name}
    if tests is not None:
        body["tests"] = text(tests)
    if cases is not None:
        body["cases"] = text(cases)
    if entry is not None:
        body["entry"] = entry
    return body


def run_remote_debug(
    client: ServerClient, send: DebugSend, progress: Any
) -> tuple[dict[str, Any], int]:
    """Submit the debug job and follow it to its end: the ``--json`` document, the exit code."""
    job = client.submit("/v1/debug", **send.request())
    with progress:
        done = client.follow(job, progress.on_event)
    result = done.get("result")
    if not isinstance(result, dict):
        raise ServerError(f"{client.url}: job {done['id']} succeeded without a debug result")
    return result, int(done.get("exit_code") or 0)
