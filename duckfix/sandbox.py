"""Run untrusted programs: a temporary copy, hard limits, no network, nothing left behind.

Buggy programs loop forever, allocate without bound, fork and print without end;
that is their normal input. Every run gets a fresh copy of its files, a wall-clock
timeout, CPU / address-space / file-size / process limits, a scrubbed environment,
and capped output. How far the isolation goes depends on what the system allows:

``namespaces`` (running as root, where the kernel allows namespaces: the default here)
    The child gets new mount, network and PID namespaces and runs as an
    unprivileged uid of its own (one per concurrent run, so ``RLIMIT_NPROC``
    bites and runs cannot signal each other). The caller's HOME, ``/tmp``,
    ``/var/tmp`` and ``/dev/shm`` are covered by empty tmpfs mounts, so nothing
    written there survives; only the run's copy and the interpreter's prefix are
    mounted back. The network namespace has just a loopback interface. When the
    run ends, the PID namespace ends, which kills every process it holds,
    setsid daemons included.
``plain`` (anything else)
    A new session and process group, the same resource limits, the same scrubbed
    environment; the process group is killed at the end. The network is not cut
    and a daemon that leaves the process group survives: results say so.

Children are forked by a small helper process (``spawner.py``), never by the
caller, so a run costs the same whatever the caller's size.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import json
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from duckfix.errors import SandboxError
from duckfix.models import LimitKind, RunResult

__all__ = ["Isolation", "Limits", "isolation_mode", "run", "scrub_env"]

Isolation = Literal["auto", "namespaces", "plain"]


class Limits(BaseModel):
    """Resource limits of one run. ``None`` switches a limit off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: float = 10.0
    """Wall-clock seconds before every process of the run is killed."""
    cpu_seconds: int | None = None
    """CPU seconds; by default the timeout rounded up, plus one."""
    memory_mb: int | None = 2048
    """Address space per process (off for AddressSanitizer builds, which reserve terabytes)."""
    file_size_mb: int | None = 64
    processes: int | None = 100
    """Processes and threads of the run's uid (namespaces) or of the user (plain)."""
    output_bytes: int = 1 << 20
    """Bytes of stdout and of stderr kept; the rest is counted and dropped."""
    output_kill_bytes: int = 256 << 20
    """Total output after which the run is stopped as a runaway printer."""
    disk_mb: int | None = 256
    """Megabytes the run may write in all: its copy, HOME and temporary folders live
    on a tmpfs of this size (namespaces mode; plain mode has only ``file_size_mb``)."""


# Where uids for concurrent runs come from: far above any regular or
# subordinate (container) uid range, one uid per slot.
_UID_BASE = 2_900_000_000
_SLOTS = 256
_GRACE = 0.25  # seconds to drain pipes after the main process ended

_SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT", re.IGNORECASE
)
_MEMORY_HINTS = (b"MemoryError", b"std::bad_alloc", b"out of memory", b"Cannot allocate memory")
_PROCESS_HINTS = (b"BlockingIOError: [Errno 11]", b"Resource temporarily unavailable")
_FSIZE_HINTS = (b"File too large", b"[Errno 27]")


def scrub_env(extra: Mapping[str, str] | None, *, home: str, tmp: str) -> dict[str, str]:
    """The environment of a sandboxed process: fixed, minimal, free of secrets."""
    bindir = os.path.dirname(sys.executable)
    path = os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"])
    env = {
        "PATH": path,
        "HOME": home,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    for name, value in (extra or {}).items():
        if not _SECRET_NAME.search(name):
            env[name] = value
    return env


# --------------------------------------------------------------------------
# Choosing the isolation mode


@functools.cache
def _probe_namespaces() -> str | None:
    """None when namespaces mode works here, else the reason it does not."""
    if os.geteuid() != 0:
        return "not running as root"
    try:
        result = _run_once(
            [sys.executable, "-c", "pass"], {}, Limits(timeout=10), None, (), "namespaces"
        )
    except (OSError, subprocess.SubprocessError, SandboxError) as exc:
        return f"namespaces unavailable: {exc}"
    if not result.ok:
        return f"namespaces unavailable: probe {result.describe()}: {result.stderr.strip()}"
    return None


def isolation_mode(requested: Isolation = "auto") -> Literal["namespaces", "plain"]:
    """The isolation a run will get; ``namespaces`` if asked for and impossible is an error."""
    if requested == "plain":
        return "plain"
    reason = _probe_namespaces()
    if reason is None:
        return "namespaces"
    if requested == "namespaces":
        raise SandboxError(f"sandbox isolation 'namespaces' is not possible here ({reason})")
    return "plain"


# --------------------------------------------------------------------------
# Public entry point


def run(
    cmd: Sequence[str],
    *,
    tree: Path | None = None,
    files: Mapping[str, str | bytes] | None = None,
    limits: Limits | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    collect: Sequence[str] = (),
    isolation: Isolation = "auto",
    read_only: Sequence[str] = (),
) -> RunResult:
    """Run ``cmd`` in a fresh copy of ``tree`` plus ``files``; return how it ended.

    ``cmd`` runs with the copy as its working directory. ``collect`` names files
    (relative to the copy) to read back into ``RunResult.files`` before the copy
    is deleted. ``read_only`` names folders (absolute) that the run must be able
    to read where the covers would hide them (a build cache under HOME): they are
    mounted back read-only in namespaces mode; one that does not exist is skipped.
    """
    if not cmd:
        raise SandboxError("nothing to run: the command is empty")
    mode = isolation_mode(isolation)
    return _run_once(
        list(cmd), _layout(tree, files), limits or Limits(), stdin, collect, mode, env, read_only
    )


def _layout(tree: Path | None, files: Mapping[str, str | bytes] | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if tree is not None:
        if not tree.is_dir():
            raise SandboxError(f"cannot copy {tree} into the sandbox: not a directory")
        for path in sorted(tree.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[path.relative_to(tree).as_posix()] = path.read_bytes()
    for rel, content in (files or {}).items():
        out[rel] = content.encode() if isinstance(content, str) else content
    for rel in out:
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise SandboxError(f"file {rel!r} would land outside the sandbox copy")
    return out


# --------------------------------------------------------------------------
# One run


def _run_once(
    cmd: list[str],
    layout: Mapping[str, bytes],
    limits: Limits,
    stdin: bytes | None,
    collect: Sequence[str],
    mode: Literal["namespaces", "plain"],
    env: Mapping[str, str] | None = None,
    read_only: Sequence[str] = (),
) -> RunResult:
    with _workspace() as work, _slot(mode) as uid:
        home, tmp = work / ".home", work / ".tmp"
        for rel, content in layout.items():
            target = work / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        home.mkdir()
        tmp.mkdir()
        if stdin is not None:
            (work / ".stdin").write_bytes(stdin)
        if uid is not None:
            _chown_tree(work, uid)
        full_env = scrub_env(env, home=str(home), tmp=str(tmp))
        stdin_path = work / ".stdin" if stdin is not None else None
        result = _supervise(cmd, work, full_env, stdin_path, limits, mode, uid, read_only)
        result.files = _collect(work, collect)
        return result


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    base = os.environ.get("DUCKFIX_SANDBOX_DIR") or None
    work = Path(tempfile.mkdtemp(prefix="duckfix-run-", dir=base))
    try:
        yield work
    finally:
        shutil.rmtree(work, onerror=_force_remove)


def _force_remove(func: Callable[..., object], path: str, _exc: object) -> None:
    # A hostile run may chmod its files to 000; give them back and retry once.
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        func(path)


@contextlib.contextmanager
def _slot(mode: str) -> Iterator[int | None]:
    """An unprivileged uid that no other concurrent run holds (namespaces mode only)."""
    if mode != "namespaces":
        yield None
        return
    lockdir = Path("/run/duckfix-sandbox")
    try:
        lockdir.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        lockdir = Path(tempfile.gettempdir()) / f"duckfix-sandbox-{os.getuid()}"
        lockdir.mkdir(mode=0o700, exist_ok=True)
    start = os.getpid() % _SLOTS
    for i in range(_SLOTS):
        n = (start + i) % _SLOTS
        fd = os.open(lockdir / f"{n}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield _UID_BASE + n
        finally:
            os.close(fd)
        return
    raise SandboxError(f"all {_SLOTS} sandbox slots are busy; run fewer jobs at once")


def _chown_tree(root: Path, uid: int) -> None:
    os.chown(root, uid, uid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


def _collect(work: Path, names: Sequence[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for rel in names:
        path = work / rel
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                out[rel] = path.read_bytes()
    return out


# --------------------------------------------------------------------------
# What the child gets: limits, and the paths to cover and keep (namespaces).


def _rlimits(limits: Limits, mode: str) -> list[tuple[int, int, int]]:
    mb = 1 << 20
    cpu = _cpu_limit(limits)
    out = [(resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_CPU, cpu, cpu + 1)]
    if limits.memory_mb is not None:
        out.append((resource.RLIMIT_AS, limits.memory_mb * mb, limits.memory_mb * mb))
    if limits.file_size_mb is not None:
        size = limits.file_size_mb * mb
        out.append((resource.RLIMIT_FSIZE, size, size))
    if limits.processes is not None:
        # Outside namespaces the child keeps our uid, whose other processes count too.
        nproc = limits.processes + (_user_processes() if mode == "plain" else 0)
        out.append((resource.RLIMIT_NPROC, nproc, nproc))
    return out


def _cpu_limit(limits: Limits) -> int:
    return limits.cpu_seconds if limits.cpu_seconds is not None else int(limits.timeout) + 1


def _user_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                count += entry.stat().st_uid == uid
    return count


@functools.cache
def _hidden_dirs() -> tuple[str, ...]:
    """What tmpfs covers in namespaces mode: the caller's HOME first, then temp folders."""
    seen: list[str] = []
    for d in (os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm"):
        real = os.path.realpath(d)
        if real != "/" and os.path.isdir(real) and real not in seen:
            seen.append(real)
    return tuple(seen)


def _under(path: str, dirs: Sequence[str]) -> bool:
    return any(path == d or path.startswith(d + "/") for d in dirs)


@functools.cache
def _hidden_prefixes() -> tuple[str, ...]:
    """Interpreter prefixes that the tmpfs covers would hide."""
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return tuple(p for p in sorted(prefixes) if _under(p, _hidden_dirs()))


def _keep(work: Path, read_only: Sequence[str] = ()) -> list[tuple[str, bool]]:
    """Paths mounted back over the covers: the run's copy (writable), the interpreter,
    and the caller's ``read_only`` folders."""
    keep = [(p, True) for p in _hidden_prefixes()]
    for path in read_only:
        real = os.path.realpath(path)
        if _under(real, _hidden_dirs()) and os.path.isdir(real) and (real, True) not in keep:
            keep.append((real, True))
    real = os.path.realpath(work)
    if _under(real, _hidden_dirs()):
        keep.insert(0, (real, False))
    return keep


# --------------------------------------------------------------------------
# The spawner: a small helper process that forks children for us (see spawner.py).


class _Spawner:
    """The connection to this process's spawner, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0

    def _connect(self) -> socket.socket:
        if self._sock is not None and self._owner == os.getpid():
            return self._sock
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        script = os.path.join(os.path.dirname(__file__), "spawner.py")
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", script, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise SandboxError(f"cannot start the sandbox spawner: {exc}") from exc
        finally:
            theirs.close()
        self._sock, self._owner = ours, os.getpid()
        return ours

    def start(self, request: dict[str, object], fds: list[int]) -> tuple[socket.socket, int]:
        """Start a child; return the channel that reports its end, and its pid."""
        chan, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        data = json.dumps(request).encode()
        try:
            with self._lock:
                for attempt in (1, 2):
                    sock = self._connect()
                    try:
                        socket.send_fds(sock, [data], [theirs.fileno(), *fds])
                        break
                    except OSError:
                        self._sock = None  # the spawner died: start another once
                        if attempt == 2:
                            raise
        except OSError as exc:
            chan.close()
            raise SandboxError(f"cannot reach the sandbox spawner: {exc}") from exc
        finally:
            theirs.close()
        reply = _receive(chan, None)
        if "error" in reply:
            chan.close()
            raise SandboxError(f"cannot start {request['argv'][0]!r}: {reply['error']}")  # type: ignore[index]
        return chan, int(reply["pid"])

    def close(self) -> None:
        if self._sock is not None and self._owner == os.getpid():
            self._sock.close()
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=2)
        self._sock = None


_SPAWNER = _Spawner()
atexit.register(_SPAWNER.close)


def _receive(chan: socket.socket, timeout: float | None) -> dict[str, Any]:
    chan.settimeout(timeout)
    try:
        data = chan.recv(1 << 20)
    except TimeoutError as exc:
        raise SandboxError("the sandbox spawner stopped answering") from exc
    if not data:
        raise SandboxError("the sandbox spawner went away during a run")
    reply: dict[str, Any] = json.loads(data)
    return reply


# --------------------------------------------------------------------------
# Supervision: read output under a cap, enforce the deadline, classify the end.


class _Capture:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.data)

    def text(self) -> str:
        return bytes(self.data).decode("utf-8", errors="replace")


def _supervise(
    argv: list[str],
    work: Path,
    env: dict[str, str],
    stdin_path: Path | None,
    limits: Limits,
    mode: Literal["namespaces", "plain"],
    uid: int | None,
    read_only: Sequence[str] = (),
) -> RunResult:
    exe = shutil.which(argv[0], path=env["PATH"]) if "/" not in argv[0] else argv[0]
    if exe is None:
        raise SandboxError(f"cannot start {argv[0]!r}: not found on the sandbox's PATH")
    request: dict[str, object] = {
        "argv": [exe, *argv[1:]],
        "cwd": str(work),
        "env": env,
        "rlimits": _rlimits(limits, mode),
        "namespaces": mode == "namespaces",
        "uid": uid,
        "keep": _keep(work, read_only) if mode == "namespaces" else [],
        "hidden": list(_hidden_dirs()) if mode == "namespaces" else [],
    }
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    stdin_fd = os.open(stdin_path or os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    started = time.monotonic()
    try:
        chan, pid = _SPAWNER.start(request, [stdin_fd, out_w, err_w])
    except BaseException:
        for fd in (out_r, err_r):
            os.close(fd)
        raise
    finally:
        for fd in (stdin_fd, out_w, err_w):
            os.close(fd)
    out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
    reason: Literal["timeout", "output"] | None = None
    try:
        end = _drain(chan, out_r, err_r, out, err, started + limits.timeout, limits)
        if end is None:  # deadline or runaway output: kill the whole run
            reason = "timeout" if time.monotonic() >= started + limits.timeout else "output"
            _kill_group(pid)
            end = _receive(chan, 30)
    finally:
        chan.close()
        os.close(out_r)
        os.close(err_r)
    seconds = time.monotonic() - started
    return _classify(int(end["status"]), reason, float(end["cpu"]), seconds, out, err, limits, mode)


def _drain(
    chan: socket.socket,
    out_r: int,
    err_r: int,
    out: _Capture,
    err: _Capture,
    deadline: float,
    limits: Limits,
) -> dict[str, Any] | None:
    """Read both pipes until the child ends; None if it must be killed."""
    captures = {out_r: out, err_r: err}
    sel = selectors.DefaultSelector()
    for fd in captures:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(chan, selectors.EVENT_READ)
    ended: dict[str, Any] | None = None
    grace_end = 0.0
    try:
        while True:
            now = time.monotonic()
            if ended is not None and (not captures or now >= grace_end):
                return ended
            if now >= deadline:
                return None
            wait = (grace_end if ended is not None else deadline) - now
            for key, _ in sel.select(max(wait, 0.0)):
                if key.fileobj is chan:
                    sel.unregister(chan)
                    ended = _receive(chan, 30)
                    grace_end = time.monotonic() + _GRACE
                    continue
                fd = int(key.fd)
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    del captures[fd]
                    continue
                captures[fd].feed(chunk)
                if out.total + err.total > limits.output_kill_bytes and ended is None:
                    return None
    finally:
        sel.close()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _classify(
    status: int,
    reason: Literal["timeout", "output"] | None,
    cpu: float,
    seconds: float,
    out: _Capture,
    err: _Capture,
    limits: Limits,
    mode: Literal["namespaces", "plain"],
) -> RunResult:
    exit_code = os.waitstatus_to_exitcode(status)
    code: int | None = exit_code if exit_code >= 0 else None
    sig = signal.Signals(-exit_code).name if exit_code < 0 else None
    limit: LimitKind | None = None
    ended: Literal["exited", "signalled", "timeout", "limit"]
    cpu_limit = _cpu_limit(limits)
    tail = bytes(err.data[-4096:])
    if reason == "timeout":
        ended = "timeout"
    elif reason == "output":
        ended, limit = "limit", "output"
    elif sig in ("SIGXCPU",) or (sig == "SIGKILL" and cpu >= cpu_limit - 0.05):
        ended, limit = "limit", "cpu"
    elif sig == "SIGXFSZ":
        ended, limit = "limit", "file_size"
    elif code not in (None, 0) and any(h in tail for h in _MEMORY_HINTS):
        ended, limit = "limit", "memory"
    elif code not in (None, 0) and any(h in tail for h in _PROCESS_HINTS):
        ended, limit = "limit", "processes"
    elif code not in (None, 0) and any(h in tail for h in _FSIZE_HINTS):
        ended, limit = "limit", "file_size"
    else:
        ended = "signalled" if sig is not None else "exited"
    return RunResult(
        ended=ended,
        exit_code=code,
        signal=sig,
        limit=limit,
        stdout=out.text(),
        stderr=err.text(),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        seconds=seconds,
        network_isolated=mode == "namespaces",
        isolation=mode,
    )
