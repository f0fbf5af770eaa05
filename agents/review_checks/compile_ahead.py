"""Many compiler runs in one sandbox, their output kept until the check that needs it asks.

A sandboxed run costs some 8 ms to set up and tear down (namespaces, the run's
root, a fresh uid) beside a ``gcc -fsyntax-only`` of a small kernel that takes
about as long. Reviewing many files (a dataset's bugs, a part of them at a
time) would pay that once per file; :func:`compiled_ahead` pays it once for
all of them: a shell in one sandbox runs each compile with its own input file
and error file, and each later :func:`take` of the same command and input gets
its diagnostics without a run of its own.

The isolation is a single run's, over the batch: one unprivileged uid, of the
host nothing but the system and the read-only folders of all its compiles (so a
caller batches only compiles that may see each other's folders: one dataset's
designs), each compile in an empty folder of its own. What the batch could not
finish (its time ran out, an output too big to keep, any sandbox error) is
simply not kept: the check then runs that compile on its own, as without a batch.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from duckfix.agents.review_checks.tool import OUTPUT_BYTES, TIMEOUT, sandbox_path

__all__ = ["ENV", "Compile", "compiled_ahead", "take"]


@dataclass(frozen=True)
class Compile:
    """One compiler run as the check would make it: the command, its stdin, what it reads."""

    command: tuple[str, ...]
    stdin: str
    read_only: tuple[str, ...]


ENV = {"LC_ALL": "C"}
"""The environment of every compile: the C locale keeps gcc's messages in English with
ASCII quotes, which the checks read."""
_KILLED = b"137"  # 128 + SIGKILL: the shell's status of a compile that timeout stopped
_kept: dict[Compile, tuple[str, int]] = {}
"""Each compile run ahead: its stderr, and how many more times it may be taken."""
_lock = threading.Lock()


def take(run: Compile) -> str | None:
    """The stderr of ``run`` if a batch ran it, else None.

    Given as many times as the batch was asked for it (two bugs may make the
    same file), then forgotten.
    """
    with _lock:
        stderr, left = _kept.pop(run, ("", 0))
        if left > 1:
            _kept[run] = (stderr, left - 1)
        return stderr if left else None


@contextlib.contextmanager
def compiled_ahead(runs: Sequence[Compile]) -> Iterator[None]:
    """Run ``runs`` in one sandbox now; inside the block, :func:`take` gives their output.

    A compile asked for twice runs once. Whatever is not taken is forgotten when
    the block ends.
    """
    wanted = Counter(runs)
    done = _run_batch(list(wanted)) if len(wanted) > 1 else {}
    with _lock:
        for run, stderr in done.items():
            _kept[run] = (stderr, wanted[run])
    try:
        yield
    finally:
        with _lock:
            for run in done:
                _kept.pop(run, None)


def _run_batch(runs: list[Compile]) -> dict[Compile, str]:
    from duckfix import sandbox
    from duckfix.errors import SandboxError

    shell = shutil.which("sh", path=sandbox_path())
    if shell is None:
        return {}
    # Each compile gets the time a single run gets, no more: with coreutils'
    # timeout, the batch may take that much per compile; without, that much in all.
    stop = shutil.which("timeout", path=sandbox_path())
    limit = f"{stop} -s KILL {TIMEOUT:g} " if stop else ""
    # Each compile in an empty folder of its own, as a single run's (a source read
    # from stdin finds quoted includes in the working folder first). Its exit status
    # is written after it ends: its error file is whole then.
    script = "".join(
        f"mkdir r{i} && (cd r{i} && exec {limit}{shlex.join(run.command)}) < in{i} 2> err{i}; "
        f"echo $? > end{i}\n"
        for i, run in enumerate(runs)
    )
    files: dict[str, str | bytes] = {f"in{i}": run.stdin for i, run in enumerate(runs)}
    files["batch.sh"] = script
    read_only = sorted({folder for run in runs for folder in run.read_only})
    names = [name for i in range(len(runs)) for name in (f"err{i}", f"end{i}")]
    seconds = TIMEOUT * len(runs) if stop else TIMEOUT
    limits = sandbox.Limits(timeout=seconds, output_bytes=OUTPUT_BYTES)
    try:
        result = sandbox.run(
            [shell, "batch.sh"],
            files=files,
            limits=limits,
            env=ENV,
            read_only=read_only,
            collect=names,
        )
    except SandboxError:
        return {}
    out: dict[Compile, str] = {}
    for i, run in enumerate(runs):
        err, end = result.files.get(f"err{i}"), result.files.get(f"end{i}", b"").strip()
        # Unfinished, killed, or more than a single run keeps: that one runs alone,
        # and says so as it would have.
        if err is None or end in (b"", _KILLED) or len(err) > OUTPUT_BYTES:
            continue
        out[run] = err.decode("utf-8", errors="replace")
    return out
