"""Run untrusted programs: a copy of their files, hard limits, no network, nothing left behind.

Buggy programs loop forever, allocate without bound, fork, print and write
without end; that is their normal input. Every run gets a fresh copy of its
files, a wall-clock timeout, CPU / address-space / file-size / process limits,
a scrubbed environment, and capped output. How far the isolation goes depends
on what the system allows:

``namespaces`` (running as root, where the kernel allows namespaces: the default here)
    The run's file system is built from an allow-list (``_root_tree``): a
    tmpfs of ``Limits.disk_mb`` becomes its root, holding its copy
    (``/sandbox``), ``/tmp``, ``/home`` and ``/dev/shm``; the system folders,
    the interpreter's prefixes, what the loader reads from ``/etc`` and the
    caller's ``read_only`` folders are bound into it read-only, nosuid, nodev,
    with a minimal ``/dev`` and a fresh ``/proc``; ``pivot_root`` leaves the
    rest of the host behind. New mount, network and PID namespaces; the
    program runs as an unprivileged uid of its own (one per concurrent run, so
    ``RLIMIT_NPROC`` bites and runs cannot signal each other). When the run
    ends its PID 1 kills what is left, and the namespaces go with it.
``plain`` (anything else)
    A new session and process group in a temporary folder, the same resource
    limits, the same scrubbed environment; the process group is killed at the
    end. The network is not cut, a daemon that leaves the process group
    survives and writes are capped per file only: results say so.

A run may have a report channel (its descriptor 3, a pipe read here, apart
from stdout and stderr) and a secret (descriptor 4, readable once): the test
harnesses use them so that verdicts are decided outside the program's reach
(``duckfix.judge``).

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
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from duckfix import interrupts
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
_DISK_HINTS = (b"No space left on device", b"[Errno 28]", b"Disk quota exceeded")


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
        # Any program shows that the namespaces, the root and the uid work; `true`
        # does it without an interpreter's start-up (the hook pays for this probe).
        true = shutil.which("true", path=scrub_env(None, home="/", tmp="/")["PATH"])
        probe = _Request(
            cmd=[true or sys.executable, "-c", "pass"][: 1 if true else 3],
            layout={}, limits=Limits(timeout=10), stdin=None,
            collect=(), env=None, read_only=(), report=False, secret=None,
        )  # fmt: skip
        result = _run_once(probe, "namespaces")
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
    report: bool = False,
    secret: bytes | None = None,
    warm: bool = False,
) -> RunResult:
    """Run ``cmd`` in a fresh copy of ``tree`` plus ``files``; return how it ended.

    ``cmd`` runs with the copy as its working directory. ``collect`` names files
    (relative to the copy) to read back into ``RunResult.files`` once the run has
    ended. ``read_only`` names host folders (absolute) the run must be able to
    read: in namespaces mode the run sees nothing of the host but the system and
    interpreter folders and these, mounted read-only; one that does not exist is
    skipped. With ``report``, the program's file descriptor 3 is a pipe whose
    bytes come back in ``RunResult.report`` (a channel apart from its output);
    with ``secret``, descriptor 4 holds those bytes, then end of file. With
    ``warm``, a Python command line of this interpreter (``python SCRIPT`` or
    ``python -m MODULE``) is run by a fork of a process that has pytest imported
    already, rather than by a new interpreter: the same isolation, a fraction of
    the start-up.
    """
    if not cmd:
        raise SandboxError("nothing to run: the command is empty")
    interrupts.check()  # Ctrl-C / SIGTERM reached the main thread: this worker stops too
    if secret is not None and not report:
        raise SandboxError("a secret goes with a report channel (report=True)")
    mode = isolation_mode(isolation)
    request = _Request(
        cmd=list(cmd),
        layout=_layout(tree, files),
        limits=limits or Limits(),
        stdin=stdin,
        collect=tuple(collect),
        env=env,
        read_only=tuple(read_only),
        report=report,
        secret=secret,
        warm=warm,
    )
    return _run_once(request, mode)


def _layout(tree: Path | None, files: Mapping[str, str | bytes] | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if tree is not None:
        out.update(_read_tree(tree))
    for rel, content in (files or {}).items():
        out[rel] = content.encode() if isinstance(content, str) else content
    for rel in out:
        parts = Path(rel).parts
        if rel.startswith("/") or ".." in parts or not parts:
            raise SandboxError(f"file {rel!r} would land outside the sandbox copy")
    return out


def _read_tree(tree: Path) -> dict[str, bytes]:
    """The regular files under ``tree``; a link or special file in it is refused, never followed."""
    if not tree.is_dir():
        raise SandboxError(f"cannot copy {tree} into the sandbox: not a directory")
    out: dict[str, bytes] = {}
    stack = [tree]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                if entry.is_symlink():
                    raise SandboxError(f"{path}: a symbolic link; the sandbox copies only files")
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(path)
                    continue
                if not entry.is_file(follow_symlinks=False):
                    raise SandboxError(f"{path}: not a regular file; the sandbox copies only files")
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
                with os.fdopen(fd, "rb") as fh:
                    out[path.relative_to(tree).as_posix()] = fh.read()
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------
# One run


class _Request(BaseModel):
    """Everything one run needs, checked and normalised by ``run``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    cmd: list[str]
    layout: dict[str, bytes]
    limits: Limits
    stdin: bytes | None
    collect: tuple[str, ...]
    env: Mapping[str, str] | None
    read_only: tuple[str, ...]
    report: bool
    secret: bytes | None
    warm: bool = False


_WORK_CHOICES = ("/sandbox", "/duckfix-sandbox", "/.duckfix-sandbox")
"""Where the run's copy is, and its working directory, in namespaces mode: the first
of these that no host folder shown to the run lies in."""
_COLLECT_BYTES = 256 << 20
_REPORT_BYTES = 64 << 20


def _run_once(req: _Request, mode: Literal["namespaces", "plain"]) -> RunResult:
    if mode == "plain":
        with _workspace() as work:
            home, tmp = work / ".home", work / ".tmp"
            for rel, content in req.layout.items():
                target = work / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            home.mkdir()
            tmp.mkdir()
            env = scrub_env(req.env, home=str(home), tmp=str(tmp))
            result = _supervise(req, env, str(work), mode, None, None)
            result.files = _collect(work, req.collect)
            return result
    with _slot(mode) as uid, contextlib.ExitStack() as stack:
        assert uid is not None
        env = scrub_env(req.env, home="/home", tmp="/tmp")
        layout_fd = _memfd("duckfix-layout", _pack(req.layout))
        stack.callback(os.close, layout_fd)
        out_fd = _memfd("duckfix-collected", b"")
        stack.callback(os.close, out_fd)
        # Only folders that exist now key the cached tree: one made later is seen then.
        present = tuple(p for p in req.read_only if os.path.isdir(p))
        folder, tree = _run_tree(uid, present)
        root = {
            "mountpoint": str(_root_mountpoint()),
            "disk_mb": req.limits.disk_mb or _UNCAPPED_DISK_MB,
            "tree": tree,
            "owned": [folder, "/home"],
            "work": folder,
            "collect": list(req.collect),
            "collect_bytes": _COLLECT_BYTES,
        }
        result = _supervise(req, env, folder, mode, uid, (root, layout_fd, out_fd))
        result.files = _unpack(out_fd)
        return result


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _pack(files: Mapping[str, bytes]) -> bytes:
    """Files as the spawner unpacks them: a JSON header line of (path, size), then the bytes."""
    header = json.dumps([[rel, len(data)] for rel, data in files.items()]).encode() + b"\n"
    return b"".join([header, *files.values()])


def _unpack(fd: int) -> dict[str, bytes]:
    os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(os.dup(fd), "rb") as fh:
        line = fh.readline()
        if not line:
            return {}
        out: dict[str, bytes] = {}
        for rel, size in json.loads(line):
            out[str(rel)] = fh.read(int(size))
        return out


_UNCAPPED_DISK_MB = 1 << 20
"""A tmpfs needs a size; ``disk_mb=None`` gets one that no run reaches (memory is the bound)."""


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    base = os.environ.get("DUCKFIX_SANDBOX_DIR") or None
    if base is not None and not os.path.isdir(base):
        raise SandboxError(
            f"DUCKFIX_SANDBOX_DIR={base} is not a folder; create it or unset the variable"
        )
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


@functools.cache
def _lock_dir() -> Path:
    """Root's own folder for the slot locks and the mount point of run roots."""
    lockdir = Path("/run/duckfix-sandbox")
    try:
        lockdir.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        lockdir = Path(tempfile.gettempdir()) / f"duckfix-sandbox-{os.getuid()}"
        lockdir.mkdir(mode=0o700, exist_ok=True)
    return lockdir


@functools.cache
def _root_mountpoint() -> Path:
    # Each run mounts its root here in its own mount namespace: the host never sees it.
    point = _lock_dir() / "root"
    point.mkdir(mode=0o700, exist_ok=True)
    return point


@contextlib.contextmanager
def _slot(mode: str) -> Iterator[int | None]:
    """An unprivileged uid that no other concurrent run holds (namespaces mode only)."""
    if mode != "namespaces":
        yield None
        return
    lockdir = _lock_dir()
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


def _collect(work: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The regular files ``names`` under ``work``, reached without following any link."""
    out: dict[str, bytes] = {}
    for rel in names:
        with contextlib.suppress(OSError):
            fd = _open_beneath(work, rel)
            with os.fdopen(fd, "rb") as fh:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    out[rel] = fh.read(_COLLECT_BYTES)
    return out


def _open_beneath(root: Path, rel: str) -> int:
    """Open ``root/rel`` one component at a time, refusing links on the way (plain mode)."""
    *folders, name = Path(rel).parts
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, flags | os.O_DIRECTORY)
    try:
        for folder in folders:
            inner = os.open(folder, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(name, flags | os.O_NONBLOCK, dir_fd=fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# What the child gets: limits, and the allow-list of its file system (namespaces).


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


_SYSTEM_TOPS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Where programs, compilers, headers and shared libraries live (read-only)."""
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")
"""What the dynamic loader and the toolchain read from /etc; nothing else of it is shown."""
_ETC_COPIED = ("ld.so.conf", "ld.so.conf.d")
"""Small text files, copied into the run's root rather than bound (a mount costs more)."""
_DEVICES = ("null", "zero", "full", "random", "urandom")


@functools.cache
def _system_tree() -> tuple[tuple[Any, ...], ...]:
    """The allow-list every run shares: system folders, interpreter prefixes, /etc, /dev."""
    tree: list[tuple[Any, ...]] = [
        ("dir", "/etc", 0o755), ("dir", "/proc", 0o555), ("dir", "/tmp", 0o1777),
        ("dir", "/home", 0o700), ("dir", "/dev", 0o755),
        ("dir", "/dev/shm", 0o1777),
    ]  # fmt: skip
    binds: list[str] = []
    for top in _SYSTEM_TOPS:
        if os.path.islink(top):
            tree.append(("link", top, os.readlink(top)))
        elif os.path.isdir(top):
            binds.append(top)
    for name in _ETC:
        path = f"/etc/{name}"
        if os.path.islink(path):
            tree.append(("link", path, os.readlink(path)))
        elif name in _ETC_COPIED:
            tree += _copied(path)
        elif os.path.exists(path):
            binds.append(path)
    prefixes = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(sys.executable))}
    binds += _uncovered(sorted(os.path.realpath(p) for p in prefixes), binds)
    tree += [("bind", path, os.path.isdir(path)) for path in binds]
    for name in _DEVICES:
        # Device nodes made in the run's root cost a mknod each, where binding the
        # host's cost a mount to set up and to tear down: runs start and end faster.
        with contextlib.suppress(OSError):
            st = os.stat(f"/dev/{name}")
            if stat.S_ISCHR(st.st_mode):
                tree.append(("node", f"/dev/{name}", os.major(st.st_rdev), os.minor(st.st_rdev)))
    tree += [("link", "/dev/fd", "/proc/self/fd")]
    tree += [("link", f"/dev/{n}", f"/proc/self/fd/{i}") for i, n in enumerate(_STD_NAMES)]
    tree += [
        ("file", "/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"),
        ("file", "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n"),
    ]
    return tuple(tree)


_STD_NAMES = ("stdin", "stdout", "stderr")


def _copied(path: str) -> list[tuple[Any, ...]]:
    """``path`` (a text file, or a folder of them) as entries that write copies."""
    out: list[tuple[Any, ...]] = []
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if os.path.isdir(path):
            out.append(("dir", path, 0o755))
            for entry in sorted(os.scandir(path), key=lambda e: e.name):
                out += _copied(entry.path) if not entry.is_symlink() else []
        elif os.path.isfile(path) and os.path.getsize(path) < 1 << 16:
            with open(path, encoding="utf-8") as fh:
                out.append(("file", path, fh.read()))
    return out


def _uncovered(paths: Sequence[str], covered: Sequence[str]) -> list[str]:
    """``paths`` that exist and are not inside one of ``covered`` or of each other."""
    out: list[str] = []
    for path in paths:
        inside = any(path == c or path.startswith(c.rstrip("/") + "/") for c in [*covered, *out])
        if not inside and os.path.isdir(path) and path != "/":
            out.append(path)
    return out


@functools.lru_cache(maxsize=64)
def _run_tree(uid: int, read_only: tuple[str, ...]) -> tuple[str, tuple[tuple[Any, ...], ...]]:
    """The run's working folder, and every entry of its root in the order to make them."""
    tree = _root_tree(uid, read_only)
    folder = _work_folder(tree)
    return folder, tuple(_with_parents([*tree, ("dir", folder, 0o755)]))


def _root_tree(uid: int, read_only: Sequence[str]) -> list[tuple[Any, ...]]:
    """The whole allow-list of one run: the shared part, its uid's names, its extra folders."""
    tree = list(_system_tree())
    shared = [entry[1] for entry in tree if entry[0] == "bind"]
    extra = _uncovered(sorted({os.path.realpath(p) for p in read_only}), shared)
    tree += [("bind", path, True) for path in extra if not _under_lock_dir(path)]
    tree += [
        ("file", "/etc/passwd", f"root:x:0:0::/:/bin/sh\nsandbox:x:{uid}:{uid}::/home:/bin/sh\n"),
        ("file", "/etc/group", f"root:x:0:\nsandbox:x:{uid}:\n"),
    ]
    return tree


def _with_parents(tree: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``tree`` with a ``dir`` entry for every folder an entry needs, before it, once.

    Folders come first (sorted, so a parent precedes its children); then the
    rest in order, with binds last among them: a bind's mount point sits in a
    folder made before it, and nothing is written into a bound folder.
    """
    folders: dict[str, int] = {}
    for entry in tree:
        path = str(entry[1])
        parent = os.path.dirname(path)
        while parent not in ("/", ""):
            folders.setdefault(parent, 0o755)
            parent = os.path.dirname(parent)
        if entry[0] == "dir":
            folders[path] = int(entry[2])
    bound = [str(e[1]) for e in tree if e[0] == "bind"]
    # A folder inside a bound one is the bind's (the venv inside a project bound
    # for a review, say): the mount brings it.
    folders = {f: m for f, m in folders.items() if not any(f.startswith(b + "/") for b in bound)}
    binds = sorted((e for e in tree if e[0] == "bind"), key=lambda e: str(e[1]))
    others = [e for e in tree if e[0] not in ("dir", "bind")]
    dirs = [("dir", f, m) for f, m in sorted(folders.items()) if f not in bound]
    return [*dirs, *others, *binds]


def _work_folder(tree: Sequence[tuple[Any, ...]]) -> str:
    taken = [str(entry[1]) for entry in tree]
    for choice in _WORK_CHOICES:
        if not any(p == choice or p.startswith(choice + "/") for p in taken):
            return choice
    taken_all = ", ".join(_WORK_CHOICES)
    raise SandboxError(f"every folder meant for the run's copy is taken: {taken_all}")


def _under_lock_dir(path: str) -> bool:
    lock = str(_lock_dir())
    return path == lock or path.startswith(lock + "/")


# --------------------------------------------------------------------------
# The spawner: a small helper process that forks children for us (see spawner.py).


class _Spawner:
    """The connection to this process's spawner, started on first use.

    A warm spawner (``preload``) imports those modules once; its runs of Python
    command lines fork from it and go on in process (``warm_exec``) instead of
    exec'ing a new interpreter.
    """

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0
        self.preload = tuple(preload)

    def _command(self, fd: int) -> tuple[list[str], dict[str, str]]:
        script = os.path.join(os.path.dirname(__file__), "spawner.py")
        if not self.preload:
            # Nothing of ours (API keys) in the environment of the runs' PID 1.
            return [sys.executable, "-I", script, str(fd)], {}
        # The interpreter the runs' Python code would have had: the sandbox's
        # environment (a fixed hash seed, no bytecode written), no user site, and
        # not this file's folder on sys.path.
        env = scrub_env(None, home="/", tmp="/")
        folder, _ = _run_tree(_UID_BASE, ())
        scripts = {
            f"{folder}/{rel}": source
            for rel, (source, preload) in _WARM_SCRIPTS.items()
            if preload == self.preload
        }
        argv = [sys.executable, "-P", "-s", script, str(fd), "--preload", ",".join(self.preload)]
        return [*argv, json.dumps(scripts), json.dumps(_WARM_PYTEST_OPTIONS)], env

    def _connect(self) -> socket.socket:
        if self._sock is not None and self._owner == os.getpid():
            return self._sock
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv, env = self._command(theirs.fileno())
        try:
            self._proc = subprocess.Popen(
                argv,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                cwd="/",
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
_WARM_MODULES = (
    "pytest", "ast", "json", "reprlib", "traceback", "itertools", "math", "types", "signal",
)  # fmt: skip
"""What a warm spawner imports once unless told otherwise: pytest, and what the
case harness imports."""
_WARM_SPAWNERS: dict[tuple[str, ...], _Spawner] = {}
"""Warm spawners by what they preload, each started on first use."""
_WARM_LOCK = threading.Lock()


def _warm_spawner(preload: tuple[str, ...]) -> _Spawner:
    with _WARM_LOCK:
        spawner = _WARM_SPAWNERS.get(preload)
        if spawner is None:
            spawner = _WARM_SPAWNERS[preload] = _Spawner(preload=preload)
            atexit.register(spawner.close)
        return spawner


_WARM_SCRIPTS: dict[str, tuple[str, tuple[str, ...]]] = {}
"""Run path of a script -> (where its source is now, what its warm spawner preloads)."""


_WARM_PYTEST_OPTIONS: list[str] = []


def warm_pytest(options: Sequence[str]) -> None:
    """The options warm runs' pytest sessions start with (``-q``, the plugins they block).

    The warm spawner rehearses a session with them and prepares the configuration
    such sessions start from, once (``warm_exec``); a session with other options
    makes its own, as a new interpreter would.
    """
    _WARM_PYTEST_OPTIONS[:] = list(options)


def warm_script(rel: str, source: str, preload: Sequence[str] | None = None) -> None:
    """Have warm runs of the script at ``rel`` (in a run's copy) use code compiled once.

    ``source`` is where the script is now; a run whose ``rel`` holds other bytes
    compiles its own, as a new interpreter would. ``preload`` names the modules
    the script imports: its runs fork from a spawner that has just those loaded
    (a smaller process forks faster); by default, one that has pytest too.
    """
    _WARM_SCRIPTS[rel] = (source, tuple(preload) if preload is not None else _WARM_MODULES)


def _preload_for(inprocess: Mapping[str, Any]) -> tuple[str, ...]:
    """What the spawner of a warm run preloads: its script's choice, or the default."""
    if inprocess["mode"] == "script":
        known = _WARM_SCRIPTS.get(os.path.normpath(str(inprocess["target"])))
        if known is not None:
            return known[1]
    return _WARM_MODULES


def _inprocess(argv: Sequence[str], exe: str) -> dict[str, object] | None:
    """How a warm spawner runs ``argv`` in process, or None when it must exec it.

    Understood: ``python [-P] SCRIPT ARGS`` and ``python [-P] -m MODULE ARGS``, with
    this very interpreter (the one the warm spawner is).
    """
    if os.path.realpath(exe) != os.path.realpath(sys.executable):
        return None
    rest = list(argv[1:])
    while rest and rest[0] == "-P":
        rest.pop(0)
    if len(rest) >= 2 and rest[0] == "-m":
        return {"mode": "module", "target": rest[1], "argv": [rest[1], *rest[2:]]}
    if rest and not rest[0].startswith("-"):
        return {"mode": "script", "target": rest[0], "argv": rest}
    return None


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
    req: _Request,
    env: dict[str, str],
    cwd: str,
    mode: Literal["namespaces", "plain"],
    uid: int | None,
    isolated: tuple[dict[str, Any], int, int] | None,
) -> RunResult:
    argv = req.cmd
    exe = shutil.which(argv[0], path=env["PATH"]) if "/" not in argv[0] else argv[0]
    if exe is None:
        raise SandboxError(f"cannot start {argv[0]!r}: not found on the sandbox's PATH")
    limits = req.limits
    request: dict[str, object] = {
        "argv": [exe, *argv[1:]],
        "cwd": cwd,
        "env": env,
        "rlimits": _rlimits(limits, mode),
        "namespaces": mode == "namespaces",
        "uid": uid,
        "nfds": 3 + (1 if req.report else 0) + (1 if req.secret is not None else 0),
    }
    if isolated is not None:
        request["root"] = isolated[0]
    spawner = _SPAWNER
    if req.warm and (inprocess := _inprocess(argv, exe)) is not None:
        request["inprocess"] = inprocess
        spawner = _warm_spawner(_preload_for(inprocess))
    with contextlib.ExitStack() as stack:
        owned: list[int] = []  # our ends of the pipes, closed when the run is over
        theirs: list[int] = []  # the child's ends, closed once the spawner has them

        def pipe() -> tuple[int, int]:
            r, w = os.pipe2(os.O_CLOEXEC)
            return r, w

        stdin_fd = _memfd("duckfix-stdin", req.stdin or b"")
        theirs.append(stdin_fd)
        out_r, out_w = pipe()
        err_r, err_w = pipe()
        owned += [out_r, err_r]
        theirs += [out_w, err_w]
        report_r = None
        if req.report:
            report_r, report_w = pipe()
            owned.append(report_r)
            theirs.append(report_w)
        if req.secret is not None:
            secret_r, secret_w = pipe()
            theirs.append(secret_r)
            try:
                os.write(secret_w, req.secret)  # a pipe holds 64 KB: the secret is tiny
            finally:
                os.close(secret_w)
        if isolated is not None:
            theirs += [isolated[1], isolated[2]]
        for fd in owned:
            stack.callback(os.close, fd)
        started = time.monotonic()
        try:
            chan, pid = spawner.start(request, theirs)
        finally:
            for fd in theirs[: int(request["nfds"])]:  # type: ignore[call-overload]
                os.close(fd)
        stack.callback(chan.close)
        out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
        channel = _Capture(_REPORT_BYTES)
        pipes = {out_r: out, err_r: err}
        if report_r is not None:
            pipes[report_r] = channel
        reason: Literal["timeout", "output"] | None = None
        end = _drain(chan, pipes, started + limits.timeout, limits, (out, err, channel))
        if end is None:  # deadline or runaway output: kill the whole run
            reason = "timeout" if time.monotonic() >= started + limits.timeout else "output"
            _kill_group(pid)
            end = _receive(chan, 30)
        seconds = time.monotonic() - started
    result = _classify(
        int(end["status"]), reason, float(end["cpu"]), seconds, out, err, limits, mode
    )
    result.report = bytes(channel.data) if not channel.truncated else b""
    if channel.truncated:
        cap = _REPORT_BYTES >> 20
        result.problems.append(f"the report channel passed {cap} MB and was dropped")
    return result


def _drain(
    chan: socket.socket,
    pipes: dict[int, _Capture],
    deadline: float,
    limits: Limits,
    captures: tuple[_Capture, _Capture, _Capture],
) -> dict[str, Any] | None:
    """Read every pipe until the child ends; None if it must be killed."""
    out, err, channel = captures
    open_pipes = dict(pipes)
    sel = selectors.DefaultSelector()
    for fd in open_pipes:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(chan, selectors.EVENT_READ)
    ended: dict[str, Any] | None = None
    grace_end = 0.0
    try:
        while True:
            now = time.monotonic()
            if ended is not None and (not open_pipes or now >= grace_end):
                return ended
            if ended is None and now >= deadline:
                # Once the end is in, the run ended in time: its grace for the pipes
                # (held by a straggler, say) may run past the deadline, and its
                # channel is spent (a kill would wait on it for a second end).
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
                    del open_pipes[fd]
                    continue
                open_pipes[fd].feed(chunk)
                runaway = out.total + err.total > limits.output_kill_bytes
                if (runaway or channel.total > 2 * _REPORT_BYTES) and ended is None:
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
    elif code not in (None, 0) and any(h in tail for h in _DISK_HINTS):
        ended, limit = "limit", "disk"
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
