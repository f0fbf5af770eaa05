"""Run untrusted programs: a temporary copy, hard limits, no network, nothing left behind.

Buggy programs loop forever, allocate without bound, fork and print without end;
that is their normal input. Every run gets a fresh copy of its files, a wall-clock
timeout, CPU / address-space / file-size / process limits, a scrubbed environment,
and capped output. How far the isolation goes depends on what the system allows:

``namespaces`` (running as root with util-linux ``unshare``, the default here)
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
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

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


# Where uids for concurrent runs come from: far above any regular or
# subordinate (container) uid range, one uid per slot.
_UID_BASE = 2_900_000_000
_SLOTS = 256
_GRACE = 0.25  # seconds to drain pipes after the main process ended

_SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT", re.IGNORECASE
)
_UNSHARE_LOST_SIGNAL = re.compile(
    rb"unshare: (sigprocmask unblock failed|signal handler reset failed|child exit failed)"
    rb"[^\n]*\n?\Z"
)
_MEMORY_HINTS = (b"MemoryError", b"std::bad_alloc", b"out of memory", b"Cannot allocate memory")
_PROCESS_HINTS = (b"BlockingIOError: [Errno 11]", b"Resource temporarily unavailable")
_FSIZE_HINTS = (b"File too large", b"[Errno 27]")

# Linux constants (stable ABI; the numbers of open_tree / move_mount are the
# same on every architecture since they were added in 5.2).
_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT = 1, 2, 4, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_SYS_OPEN_TREE, _SYS_MOVE_MOUNT = 428, 429
_OPEN_TREE_CLONE, _OPEN_TREE_CLOEXEC, _AT_RECURSIVE = 1, 0o2000000, 0x8000
_MOVE_MOUNT_F_EMPTY_PATH = 4
_AT_FDCWD = -100
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 1

_libc = ctypes.CDLL(None, use_errno=True)


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
    if shutil.which("unshare") is None:
        return "util-linux unshare is not installed"
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
) -> RunResult:
    """Run ``cmd`` in a fresh copy of ``tree`` plus ``files``; return how it ended.

    ``cmd`` runs with the copy as its working directory. ``collect`` names files
    (relative to the copy) to read back into ``RunResult.files`` before the copy
    is deleted.
    """
    if not cmd:
        raise SandboxError("nothing to run: the command is empty")
    mode = isolation_mode(isolation)
    return _run_once(list(cmd), _layout(tree, files), limits or Limits(), stdin, collect, mode, env)


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
        argv = cmd
        if mode == "namespaces":
            assert uid is not None
            argv = [_unshare(), "--pid", "--fork", "--kill-child", "-S", str(uid), "-G", str(uid)]
            argv += ["--", *cmd]
        preexec = (
            _namespaces_preexec(work, limits) if mode == "namespaces" else _plain_preexec(limits)
        )
        stdin_file = open(work / ".stdin", "rb") if stdin is not None else None  # noqa: SIM115
        try:
            result = _supervise(argv, work, full_env, stdin_file, preexec, limits, mode)
        finally:
            if stdin_file is not None:
                stdin_file.close()
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


@functools.cache
def _unshare() -> str:
    path = shutil.which("unshare")
    if path is None:
        raise SandboxError("util-linux 'unshare' is missing; install it or use isolation 'plain'")
    return path


def _collect(work: Path, names: Sequence[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for rel in names:
        path = work / rel
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                out[rel] = path.read_bytes()
    return out


# --------------------------------------------------------------------------
# Limits and isolation, applied in the child between fork and exec.
# Everything these closures touch is prepared beforehand: no imports, no locks.


def _rlimits(limits: Limits) -> list[tuple[int, int]]:
    mb = 1 << 20
    cpu = limits.cpu_seconds if limits.cpu_seconds is not None else int(limits.timeout) + 1
    out = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_CPU, cpu)]
    if limits.memory_mb is not None:
        out.append((resource.RLIMIT_AS, limits.memory_mb * mb))
    if limits.file_size_mb is not None:
        out.append((resource.RLIMIT_FSIZE, limits.file_size_mb * mb))
    return out


def _apply_rlimits(pairs: list[tuple[int, int]]) -> None:
    for which, value in pairs:
        hard = value + 1 if which == resource.RLIMIT_CPU else value
        resource.setrlimit(which, (value, hard))


def _plain_preexec(limits: Limits) -> Callable[[], None]:
    pairs = _rlimits(limits)
    if limits.processes is not None:
        # RLIMIT_NPROC counts every process of the user, not just this run's.
        pairs.append((resource.RLIMIT_NPROC, limits.processes + _user_processes()))

    def preexec() -> None:
        _apply_rlimits(pairs)

    return preexec


def _user_processes() -> int:
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                count += entry.stat().st_uid == uid
    return count


def _check(rc: int, what: str) -> None:
    if rc < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


@functools.cache
def _hidden_dirs() -> list[bytes]:
    home = os.path.expanduser("~")
    dirs = [home, "/tmp", "/var/tmp", "/dev/shm"]
    seen: list[bytes] = []
    for d in dirs:
        real = os.path.realpath(d)
        if real != "/" and os.path.isdir(real) and real.encode() not in seen:
            seen.append(real.encode())
    return seen


def _under(path: bytes, dirs: list[bytes]) -> bool:
    return any(path == d or path.startswith(d + b"/") for d in dirs)


@functools.cache
def _hidden_prefixes() -> list[bytes]:
    """Interpreter prefixes that the tmpfs covers would hide."""
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return [p.encode() for p in sorted(prefixes) if _under(p.encode(), _hidden_dirs())]


def _namespaces_preexec(work: Path, limits: Limits) -> Callable[[], None]:
    pairs = _rlimits(limits)
    if limits.processes is not None:
        pairs.append((resource.RLIMIT_NPROC, limits.processes))
    hidden = _hidden_dirs()
    # Paths that must stay reachable under the tmpfs covers: the run's copy
    # (read-write) and the interpreter's installation (read-only).
    work_real = os.path.realpath(work).encode()
    keep = [(p, True) for p in _hidden_prefixes()]
    if _under(work_real, hidden):
        keep.insert(0, (work_real, False))
    work_b = str(work).encode()
    libc = _libc
    lo_req = struct.pack("16sH", b"lo", 0)

    def preexec() -> None:
        if libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET) != 0:
            _check(-1, "unshare")
        if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            _check(-1, "make / private")
        clones = []
        for path, ro in keep:
            fd = libc.syscall(
                _SYS_OPEN_TREE,
                _AT_FDCWD,
                path,
                _OPEN_TREE_CLONE | _OPEN_TREE_CLOEXEC | _AT_RECURSIVE,
            )
            _check(fd, "open_tree")
            clones.append((fd, path, ro))
        for path in hidden:
            mode = b"mode=1777" if path != hidden[0] else b"mode=755"
            if libc.mount(b"tmpfs", path, b"tmpfs", _MS_NOSUID | _MS_NODEV, mode) != 0:
                _check(-1, "mount tmpfs")
        for fd, path, ro in clones:
            os.makedirs(path.decode(), mode=0o755, exist_ok=True)
            rc = libc.syscall(_SYS_MOVE_MOUNT, fd, b"", _AT_FDCWD, path, _MOVE_MOUNT_F_EMPTY_PATH)
            _check(rc, "move_mount")
            if ro:
                flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC
                _check(libc.mount(b"none", path, None, flags, None), "remount read-only")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            flags = struct.unpack("16sH", fcntl.ioctl(s, _SIOCGIFFLAGS, lo_req))[1]
            fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))
        os.chdir(work_b)
        os.setgroups([])
        _apply_rlimits(pairs)

    return preexec


# --------------------------------------------------------------------------
# Supervision: read output under a cap, enforce the deadline, reap, classify.


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
    stdin_file: IO[bytes] | None,
    preexec: Callable[[], None],
    limits: Limits,
    mode: Literal["namespaces", "plain"],
) -> RunResult:
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=work,
            env=env,
            stdin=stdin_file if stdin_file is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=preexec,
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise SandboxError(f"cannot start {argv[0]!r}: {exc.strerror}") from exc
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"cannot start the sandboxed process ({mode}): {exc}") from exc

    out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
    reason: Literal["timeout", "output"] | None = None
    status, rusage = _drain(proc, out, err, started + limits.timeout, limits)
    if status is None:  # deadline or runaway output: kill the whole run
        reason = "timeout" if time.monotonic() >= started + limits.timeout else "output"
        _kill_group(proc.pid)
        _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen off it
    _kill_group(proc.pid)  # plain mode: stragglers left in the group
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    seconds = time.monotonic() - started
    cpu = rusage.ru_utime + rusage.ru_stime
    return _classify(status, reason, cpu, seconds, out, err, limits, mode)


def _drain(
    proc: subprocess.Popen[bytes],
    out: _Capture,
    err: _Capture,
    deadline: float,
    limits: Limits,
) -> tuple[int | None, resource.struct_rusage]:
    """Read both pipes until the process ends; None if it must be killed."""
    assert proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    captures = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    for fd in captures:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pidfd = os.pidfd_open(proc.pid)
    sel.register(pidfd, selectors.EVENT_READ)
    exited: tuple[int, resource.struct_rusage] | None = None
    grace_end = 0.0
    try:
        while True:
            now = time.monotonic()
            if exited is not None and (not captures or now >= grace_end):
                return exited
            if now >= deadline:
                return None, _zero_rusage()
            wait = (grace_end if exited is not None else deadline) - now
            for key, _ in sel.select(max(wait, 0.0)):
                fd = int(key.fd)
                if fd == pidfd:
                    sel.unregister(pidfd)
                    _, status, rusage = os.wait4(proc.pid, 0)
                    exited = (status, rusage)
                    grace_end = time.monotonic() + _GRACE
                    continue
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    del captures[fd]
                    continue
                captures[fd].feed(chunk)
                if out.total + err.total > limits.output_kill_bytes and exited is None:
                    return None, _zero_rusage()
    finally:
        sel.close()
        os.close(pidfd)


def _zero_rusage() -> resource.struct_rusage:
    return resource.struct_rusage((0.0, 0.0) + (0,) * 14)


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
    if mode == "namespaces" and exit_code == 1 and _UNSHARE_LOST_SIGNAL.search(err.data):
        # unshare re-raises the child's fatal signal on itself, which cannot
        # work for SIGKILL (the CPU hard limit, the OOM killer): it exits 1.
        err.data = bytearray(_UNSHARE_LOST_SIGNAL.sub(b"", err.data))
        exit_code = -signal.SIGKILL
    code: int | None = exit_code if exit_code >= 0 else None
    sig = signal.Signals(-exit_code).name if exit_code < 0 else None
    limit: LimitKind | None = None
    ended: Literal["exited", "signalled", "timeout", "limit"]
    cpu_limit = limits.cpu_seconds if limits.cpu_seconds is not None else int(limits.timeout) + 1
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
