"""A small helper process that forks sandboxed children, so the caller never has to.

Setting up namespaces and limits must happen between fork and exec, and a
``preexec_fn`` makes the kernel copy the whole calling process (its page tables:
milliseconds for a service holding a few hundred MB). This module runs as a
separate, small interpreter (standard library only, started with an empty
environment) that does the forking:

- the caller sends one request per run over a control socket: the settings as
  JSON, plus the program's file descriptors (stdin, stdout, stderr, then any
  extra ones, which the program gets as 3, 4, ...) and one end of a fresh socket
  pair; in namespaces mode also a memfd holding the run's files and a memfd
  that receives the files it asks to collect;
- the server forks the child, which sets up isolation and execs; the server
  sends back ``{"pid"}`` (or ``{"error"}``), then ``{"status", "cpu"}`` when the
  child ends, and kills the child's process group if the caller goes away first;
  it waits on no run, so one run's set-up never holds up another's;
- the server ends when the caller's end of the control socket closes.

In namespaces mode the child is born PID 1 of a new PID namespace and builds
the run's whole file system from an allow-list (see ``_build_root``): a
size-capped tmpfs becomes the root, the allowed host folders are bind-mounted
read-only into it, and ``pivot_root`` leaves the host's tree behind. Then, as
the run's init (``_init``), it mounts a fresh ``/proc``, starts the program as
an unprivileged uid, and when the program ends kills whatever is left, gives up
root and copies out the files to collect.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import platform
import resource
import select
import signal
import socket
import stat
import struct
import sys
from typing import Any, NoReturn

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_CLONE_NEWIPC, _CLONE_NEWUTS = 0x08000000, 0x04000000
_CLONE_NEWPID = 0x20000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT = 1, 2, 4, 8, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_MNT_DETACH = 2
# mount_setattr has one number on every architecture (5.12+); pivot_root does not.
_SYS_MOUNT_SETATTR = 442
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(platform.machine(), 155)
_AT_FDCWD, _AT_RECURSIVE = -100, 0x8000
_MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID, _MOUNT_ATTR_NODEV = 0x1, 0x2, 0x4
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 1
_MAX_MESSAGE = 1 << 20
_COPY_CHUNK = 1 << 20


_WARM: Any = None
"""``warm_exec``, in a warm spawner: runs a Python command line in the forked child."""


class SetupError(Exception):
    """Isolation could not be set up in the child."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc < 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def _mount(libc: ctypes.CDLL, source: str, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:  # fmt: skip
    rc = libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
        data.encode() if data else None,
    )  # fmt: skip
    _check(rc, f"mount {target}")


def _read_only(libc: ctypes.CDLL, target: str) -> None:
    """Make a bind mount and everything under it read-only, nosuid and nodev."""
    attr = struct.pack("QQQQ", _MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID | _MOUNT_ATTR_NODEV, 0, 0, 0)
    buf = ctypes.create_string_buffer(attr, len(attr))
    rc = libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, target.encode(), _AT_RECURSIVE, buf, len(attr))
    if rc == 0:
        return
    if ctypes.get_errno() != 38:  # ENOSYS: an older kernel; remount the top mount instead
        _check(rc, f"read-only {target}")
    flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV
    _check(libc.mount(b"none", target.encode(), None, flags, None), f"read-only {target}")


def _build_root(libc: ctypes.CDLL, spec: dict[str, Any], uid: int) -> None:
    """A new root file system from the allow-list ``spec["tree"]``; then pivot into it.

    Entries: ``["dir", path, mode]``, ``["link", path, target]``, ``["bind", path,
    is_folder]`` (read-only, the host's path at the same place), ``["node", path, major, minor]``
    (a character device) and ``["file", path, text]``. The tmpfs under it all has
    ``spec["disk_mb"]`` megabytes: every write of the run lands there. It is not
    ``nodev``, so the device nodes made here work; the program, without root,
    cannot make any.
    """
    top = spec["mountpoint"]
    size = int(spec["disk_mb"])
    options = f"size={size}m,nr_inodes={max(size, 1) * 256},mode=755"
    _mount(libc, "tmpfs", top, "tmpfs", _MS_NOSUID, options)
    # The caller lists every folder before what goes in it, with its mode: one
    # system call an entry, paths relative to the new root.
    os.chdir(top)
    old_umask = os.umask(0)
    owned = set(spec.get("owned", ()))
    for entry in spec["tree"]:
        kind, path = entry[0], entry[1]
        where = path.lstrip("/")
        if kind == "dir":
            os.mkdir(where, entry[2])
            if path in owned:
                os.chown(where, uid, uid)
        elif kind == "link":
            os.symlink(entry[2], where)
        elif kind == "file":
            fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, entry[2].encode())
            os.close(fd)
        elif kind == "node":
            os.mknod(where, 0o666 | stat.S_IFCHR, os.makedev(entry[2], entry[3]))
        elif kind == "bind":
            if os.path.lexists(where):
                pass  # inside a folder bound before it: the host's own mount point
            elif entry[2]:  # a folder
                os.mkdir(where, 0o755)
            else:
                os.close(os.open(where, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(libc, path, top + path, None, _MS_BIND | _MS_REC)
            _read_only(libc, top + path)
    os.umask(old_umask)
    # pivot_root(".", ".") stacks the old root on top of the new one; detaching it
    # leaves the run with nothing of the host but what was bound above.
    _check(libc.syscall(_SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(libc.umount2(b".", _MNT_DETACH), "detach the host's root")
    os.chdir("/")


def _unpack_files(layout_fd: int, work: str, uid: int) -> None:
    """Write the run's files (a header line, then their bytes) into ``work``, owned by ``uid``."""
    with os.fdopen(os.dup(layout_fd), "rb") as fh:
        fh.seek(0)
        header = json.loads(fh.readline())
        made = {work}
        for rel, size in header:
            path = os.path.join(work, rel)
            folder = os.path.dirname(path)
            if folder not in made:
                parts = os.path.relpath(folder, work).split("/")
                for i in range(1, len(parts) + 1):
                    sub = os.path.join(work, *parts[:i])
                    if sub not in made:
                        with contextlib.suppress(FileExistsError):
                            os.mkdir(sub, 0o755)
                        os.chown(sub, uid, uid)
                        made.add(sub)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            try:
                left = int(size)
                while left > 0:
                    chunk = fh.read(min(left, _COPY_CHUNK))
                    if not chunk:
                        raise SetupError(f"the run's files end early at {rel}")
                    os.write(fd, chunk)
                    left -= len(chunk)
                os.fchown(fd, uid, uid)
            finally:
                os.close(fd)


def _collect(out_fd: int, work: str, names: list[str], cap: int) -> None:
    """Copy the files ``names`` (relative to ``work``) into ``out_fd``: a header, then bytes.

    Runs as the program's uid, after every process of the run is gone, so it reads
    only what the program itself could read.
    """
    found: list[tuple[str, bytes]] = []
    total = 0
    for rel in names:
        try:
            fd = os.open(os.path.join(work, rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or total + st.st_size > cap:
                continue
            data = b""
            while len(data) < st.st_size and (chunk := os.read(fd, _COPY_CHUNK)):
                data += chunk
        except OSError:
            continue
        finally:
            os.close(fd)
        found.append((rel, data))
        total += len(data)
    header = json.dumps([[rel, len(data)] for rel, data in found]).encode() + b"\n"
    with os.fdopen(os.dup(out_fd), "wb") as fh:
        fh.write(header)
        for _, data in found:
            fh.write(data)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req_lo = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, _SIOCGIFFLAGS, req_lo))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def _report_error(errpipe: int, exc: BaseException) -> NoReturn:
    with contextlib.suppress(OSError):
        os.write(errpipe, f"{type(exc).__name__}: {exc}".encode()[:4000])
    os._exit(127)


def _drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _exec_program(req: dict[str, Any], errpipe: int) -> NoReturn:
    """Last steps before the program: drop to the run's uid, apply limits, exec."""
    try:
        if req["uid"] is not None:
            _drop_to(req["uid"])
        for which, soft, hard in req["rlimits"]:
            resource.setrlimit(which, (soft, hard))
        keep = int(req["nfds"])
        os.closerange(keep, errpipe)
        os.closerange(errpipe + 1, 65536)
        if req.get("inprocess") and _WARM is not None:
            _WARM.run(req["inprocess"], req["env"], errpipe)
        os.execve(req["argv"][0], req["argv"], req["env"])
    except BaseException as exc:
        _report_error(errpipe, exc)


def _init(req: dict[str, Any], errpipe: int, status_w: int, out_fd: int) -> NoReturn:
    """PID 1 of the run's namespace, once its root is built: start the program, reap
    orphans, report its end.

    The program is not PID 1 itself, so signals it does not handle act as usual.
    When it ends, everything else left in the namespace is killed, the files to
    collect are copied out (as the program's uid), and the end is reported.
    """
    try:
        libc = _libc()
        _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    except BaseException as exc:
        _report_error(errpipe, exc)
    pid = os.fork()
    if pid == 0:
        os.close(status_w)
        _exec_program(req, errpipe)
    os.close(errpipe)
    for fd in range(3, int(req["nfds"])):  # the program's extra channels are its own
        with contextlib.suppress(OSError):
            os.close(fd)
    while True:
        try:
            done, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if done == pid:
            break
    cpu = usage.ru_utime + usage.ru_stime
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)  # as PID 1: every other process of the namespace
    with contextlib.suppress(ChildProcessError):
        while True:
            os.wait4(-1, 0)
    root = req["root"]
    if root["collect"]:
        with contextlib.suppress(OSError, ValueError):
            _drop_to(req["uid"])
            _collect(out_fd, root["work"], list(root["collect"]), int(root["collect_bytes"]))
    # The run is over: its output pipes end here, before this namespace is torn
    # down (when this process exits), and the spawner reports the end as soon as
    # it reads this line.
    for fd in range(3):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.write(status_w, json.dumps({"status": status, "cpu": cpu}).encode())
    os._exit(0)


def _child(
    libc: ctypes.CDLL,
    req: dict[str, Any],
    fds: list[int],
    errpipe: int,
    status_w: int,
) -> NoReturn:
    """Between the spawner's fork and the program's exec. Never returns.

    In namespaces mode this process is born PID 1 of the run's new PID namespace
    (the spawner forks it so): it builds the run's root, then stays as its init.
    """
    try:
        # Python ignores these in itself; an exec'd program must get the defaults
        # (as subprocess's restore_signals does).
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        # Every fd we hold moves above the program's numbers first, so that giving
        # the program its 0, 1, 2, 3... never overwrites one still to be placed.
        # (The originals are closed: a stray copy of the error pipe would hold up the
        # spawner, which takes its end of file to mean the program has exec'd.)
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (errpipe, status_w, *fds)]
        for fd in (errpipe, status_w, *fds):
            os.close(fd)
        errpipe, status_w, *high = moved
        nfds = int(req["nfds"])
        program_fds, extra = high[:nfds], high[nfds:]
        for target, fd in enumerate(program_fds):
            os.dup2(fd, target)
        if not req["namespaces"]:
            os.chdir(req["cwd"])
            os.close(status_w)
            _exec_program(req, errpipe)
        if os.getpid() != 1:
            raise SetupError("the run's first process is not PID 1 of a new PID namespace")
        layout_fd, out_fd = extra[0], extra[1]
        # IPC: System V segments and semaphores would outlive the run on the host and
        # let runs talk to each other; UTS: a fixed host name, the same on every machine.
        if libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS) != 0:
            _check(-1, "unshare(mount, net, ipc, uts)")
        _check(libc.sethostname(b"sandbox", 7), "set the host name")
        _mount(libc, "none", "/", None, _MS_REC | _MS_PRIVATE)
        root = req["root"]
        _build_root(libc, root, req["uid"])
        _unpack_files(layout_fd, root["work"], req["uid"])
        os.close(layout_fd)
        _loopback_up()
        os.chdir(req["cwd"])
    except BaseException as exc:
        _report_error(errpipe, exc)
    _init(req, errpipe, status_w, out_fd)


def _send(sock: socket.socket, obj: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller is gone; nothing to tell
        sock.send(json.dumps(obj).encode())


def _fork_in_new_pid_namespace(libc: ctypes.CDLL, own_pid_ns: int) -> int:
    """``os.fork``, with the child PID 1 of a PID namespace of its own.

    ``unshare(CLONE_NEWPID)`` gives this process's next child a new namespace;
    ``setns`` back to our own then gives later children ours again (a plain run's,
    or the next run's new one). The run's first process being its PID 1 spares a
    fork of this process per run: an intermediate that would unshare for it.
    """
    _check(libc.unshare(_CLONE_NEWPID), "unshare(pid)")
    try:
        pid = os.fork()
    except BaseException:
        libc.setns(own_pid_ns, _CLONE_NEWPID)
        raise
    if pid != 0 and libc.setns(own_pid_ns, _CLONE_NEWPID) != 0:
        err = ctypes.get_errno()
        os.kill(pid, signal.SIGKILL)  # a run no one would watch: gone before it starts
        os.waitpid(pid, 0)
        raise SetupError(f"setns(pid) back to the spawner's own: {os.strerror(err)}")
    return pid


def _read_some(fd: int) -> bytes | None:
    """What a non-blocking pipe holds: None if nothing yet, empty at its end."""
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return None
    except OSError:
        return b""


class _Run:
    """One run the spawner watches: its child, the caller's channel, the child's pipes.

    A run starts when the child's error pipe ends: empty, the program has exec'd
    (the caller is sent ``{"pid"}``); with bytes, it could not start (``{"error"}``).
    In the meantime the spawner serves other requests.
    """

    def __init__(self, pid: int, chan: socket.socket, err_r: int, status_r: int) -> None:
        self.pid, self.chan, self.err_r, self.status_r = pid, chan, err_r, status_r
        self.pidfd = os.pidfd_open(pid)
        self.error = b""
        self.failed = False
        self.status = b""
        self.reported = False
        os.set_blocking(err_r, False)
        os.set_blocking(status_r, False)

    def read_error(self) -> bool:
        """Take what the error pipe holds; whether it has ended (the start is decided)."""
        while chunk := _read_some(self.err_r):
            self.error += chunk
        if chunk is None:
            return False
        os.close(self.err_r)
        self.err_r = -1
        if self.error:
            self.failed = True
            _send(self.chan, {"error": self.error.decode(errors="replace")})
        else:
            _send(self.chan, {"pid": self.pid})
        return True

    def read_status(self) -> bool:
        """Take what the status pipe holds; report the end if it is all there. Whether done."""
        chunk = _read_some(self.status_r)
        if chunk is None:
            return False
        self.status += chunk
        if not self.reported and not self.failed:
            try:
                end = json.loads(self.status)
            except ValueError:
                end = None
            if isinstance(end, dict) and "status" in end:
                # The run's PID 1 wrote this once every process of the run was gone.
                _send(self.chan, end)
                self.reported = True
        return not chunk or self.reported

    def ended(self, status: int, usage: Any) -> None:
        """The child is reaped (in namespaces mode, so is all of the run): tell the caller."""
        if self.err_r >= 0 and not self.read_error():
            # Every holder of the error pipe should be gone with the child.
            os.close(self.err_r)
            self.err_r, self.failed = -1, True
            _send(self.chan, {"error": "the run ended before its program started"})
        if not self.reported and not self.failed:
            self.read_status()  # what its PID 1 wrote, if it got that far
            if not self.reported:  # killed from outside (timeout): the child's own status
                _send(self.chan, {"status": status, "cpu": usage.ru_utime + usage.ru_stime})
        os.close(self.status_r)
        os.close(self.pidfd)
        self.chan.close()


def _start(
    libc: ctypes.CDLL, req: dict[str, Any], fds: list[int], chan: socket.socket, own_pid_ns: int
) -> _Run | None:
    """Fork the child; the run to watch, or None (the caller has been told why)."""
    try:
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
    except OSError as exc:
        for fd in fds:
            os.close(fd)
        _send(chan, {"error": f"cannot start the run: {exc}"})
        return None
    try:
        pid = _fork_in_new_pid_namespace(libc, own_pid_ns) if req["namespaces"] else os.fork()
    except (OSError, SetupError) as exc:
        for fd in (err_r, err_w, status_r, status_w, *fds):
            os.close(fd)
        _send(chan, {"error": f"cannot start the run: {exc}"})
        return None
    if pid == 0:
        os.close(err_r)
        os.close(status_r)
        _child(libc, req, fds, err_w, status_w)
    os.close(err_w)
    os.close(status_w)
    for fd in fds:
        os.close(fd)
    return _Run(pid, chan, err_r, status_r)


def _kill(pgid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)


def serve(control_fd: int) -> None:
    """Serve requests on ``control_fd`` until the caller closes it.

    One event loop: the control socket brings requests; a run's error pipe
    says when its program has started (or why it could not); its status pipe
    brings its PID 1's report of the end (sent on at once: the namespaces are
    torn down after it, off the caller's clock); its child's pidfd says when it
    is gone (then we reap it, and report if its PID 1 did not); and its
    channel's end-of-file says its caller gave up (then nothing would enforce
    the timeout: kill). No step waits on a run, so runs start side by side.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when we stop
    libc = _libc()
    own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    control = socket.socket(fileno=control_fd)
    poller = select.poll()
    poller.register(control, select.POLLIN)
    runs: dict[int, _Run] = {}  # by pid
    watched: dict[int, tuple[str, _Run]] = {}  # fd -> (what it is, its run)

    def watch(fd: int, what: str, run: _Run) -> None:
        watched[fd] = (what, run)
        poller.register(fd, select.POLLIN)

    def unwatch(fd: int) -> None:
        if watched.pop(fd, None) is not None:
            poller.unregister(fd)

    while True:
        for fd, _event in poller.poll():
            if fd == control.fileno():
                data, fds, _flags, _addr = socket.recv_fds(control, _MAX_MESSAGE, 16)
                if not data:
                    for run in runs.values():
                        _kill(run.pid)
                    return
                chan = socket.socket(fileno=fds[0])
                started = _start(libc, json.loads(data), fds[1:], chan, own_pid_ns)
                if started is None:
                    chan.close()
                    continue
                runs[started.pid] = started
                watch(started.err_r, "error", started)
                watch(started.pidfd, "gone", started)
                watch(started.chan.fileno(), "caller", started)
                continue
            if fd not in watched:
                continue  # handled earlier in this round (its run ended)
            what, run = watched[fd]
            if what == "error":
                if run.read_error():
                    unwatch(fd)
                    if not run.failed:
                        watch(run.status_r, "status", run)
            elif what == "status":
                if run.read_status():
                    unwatch(fd)
            elif what == "gone":
                done, status, usage = os.wait4(run.pid, os.WNOHANG)
                if done == 0:
                    continue  # not yet: a stale event of a number since reused
                _kill(run.pid)  # stragglers left in its process group (plain isolation)
                for other in (run.err_r, run.status_r, run.chan.fileno(), run.pidfd):
                    unwatch(other)
                run.ended(status, usage)
                del runs[run.pid]
            elif what == "caller":
                # The caller closed its end: it died or gave up on this run.
                _kill(run.pid)
                unwatch(fd)


__all__ = ["serve"]


def _load_warm(modules: list[str], scripts: dict[str, str], pytest_options: list[str]) -> Any:
    """``warm_exec`` from beside this file, under a name no program's module can take."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warm_exec.py")
    spec = importlib.util.spec_from_file_location("_duckfix_warm_exec", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.preload(modules, scripts, pytest_options)
    return module


if __name__ == "__main__":
    # No PR_SET_PDEATHSIG: it fires when the *thread* that started us ends. The
    # control socket's end-of-file tells us the caller is gone, whatever killed it.
    if len(sys.argv) > 2 and sys.argv[2] == "--preload":
        scripts = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
        pytest_options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else []
        _WARM = _load_warm([m for m in sys.argv[3].split(",") if m], scripts, pytest_options)
    serve(int(sys.argv[1]))
