"""A small helper process that forks sandboxed children, so the caller never has to.

Setting up namespaces and limits must happen between fork and exec, and a
``preexec_fn`` makes the kernel copy the whole calling process (its page tables:
milliseconds for a service holding a few hundred MB). This module runs as a
separate, small interpreter (standard library only) that does the forking:

- the caller sends one request per run over a control socket: the settings as
  JSON, plus its stdin / stdout / stderr ends and one end of a fresh socket pair;
- the server forks the child, which sets up isolation (with namespaces: a PID 1
  that forks the program and reports its exact end) and execs; the server sends
  back ``{"pid"}`` (or ``{"error"}``), then ``{"status", "cpu"}`` when the child
  ends, and kills the child's process group if the caller goes away first;
- the server ends when the caller's end of the control socket closes.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
from typing import Any, NoReturn

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT = 1, 2, 4, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
# open_tree / move_mount have the same numbers on every architecture (5.2+).
_SYS_OPEN_TREE, _SYS_MOVE_MOUNT = 428, 429
_OPEN_TREE_CLONE, _OPEN_TREE_CLOEXEC, _AT_RECURSIVE = 1, 0o2000000, 0x8000
_MOVE_MOUNT_F_EMPTY_PATH = 4
_AT_FDCWD = -100
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 1
_MAX_MESSAGE = 1 << 20


class SetupError(Exception):
    """Isolation could not be set up in the child."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc < 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def _isolate(libc: ctypes.CDLL, req: dict[str, Any]) -> None:
    """In the child: new mount and network namespaces, tmpfs covers, loopback up."""
    if libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET) != 0:
        _check(-1, "unshare(mount, net)")
    _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    # Clone what must stay reachable before the covers hide it, then put it back.
    clones: list[tuple[int, str, bool]] = []
    for path, read_only in req["keep"]:
        flags = _OPEN_TREE_CLONE | _OPEN_TREE_CLOEXEC | _AT_RECURSIVE
        fd = libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, path.encode(), flags)
        _check(fd, f"open_tree {path}")
        clones.append((fd, path, read_only))
    for i, path in enumerate(req["hidden"]):
        mode = b"mode=755" if i == 0 else b"mode=1777"  # HOME first: not writable
        rc = libc.mount(b"tmpfs", path.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, mode)
        _check(rc, f"cover {path}")
    for fd, path, read_only in clones:
        os.makedirs(path, mode=0o755, exist_ok=True)
        rc = libc.syscall(
            _SYS_MOVE_MOUNT, fd, b"", _AT_FDCWD, path.encode(), _MOVE_MOUNT_F_EMPTY_PATH
        )
        _check(rc, f"move_mount {path}")
        if read_only:
            flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_REC
            _check(libc.mount(b"none", path.encode(), None, flags, None), f"read-only {path}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req_lo = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, _SIOCGIFFLAGS, req_lo))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


_CLONE_NEWPID = 0x20000000


def _report_error(errpipe: int, exc: BaseException) -> NoReturn:
    with contextlib.suppress(OSError):
        os.write(errpipe, f"{type(exc).__name__}: {exc}".encode()[:4000])
    os._exit(127)


def _exec_program(req: dict[str, Any], errpipe: int) -> NoReturn:
    """Last steps before the program: drop to the run's uid, apply limits, exec."""
    try:
        if req["uid"] is not None:
            os.setgroups([])
            os.setgid(req["uid"])
            os.setuid(req["uid"])
        for which, soft, hard in req["rlimits"]:
            resource.setrlimit(which, (soft, hard))
        os.closerange(3, errpipe)
        os.closerange(errpipe + 1, 65536)
        os.execve(req["argv"][0], req["argv"], req["env"])
    except BaseException as exc:
        _report_error(errpipe, exc)


def _init(req: dict[str, Any], errpipe: int, status_w: int) -> NoReturn:
    """PID 1 of the run's namespace: start the program, reap orphans, report its end.

    The program is not PID 1 itself, so signals it does not handle act as usual;
    when this process exits, the kernel kills whatever is left in the namespace.
    """
    pid = os.fork()
    if pid == 0:
        os.close(status_w)
        _exec_program(req, errpipe)
    os.close(errpipe)
    while True:
        try:
            done, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if done == pid:
            cpu = usage.ru_utime + usage.ru_stime
            with contextlib.suppress(OSError):
                os.write(status_w, json.dumps({"status": status, "cpu": cpu}).encode())
            os._exit(0)


def _child(
    libc: ctypes.CDLL, req: dict[str, Any], fds: list[int], errpipe: int, status_w: int
) -> NoReturn:
    """Between the spawner's fork and the program's exec. Never returns."""
    try:
        # Python ignores these in itself; an exec'd program must get the defaults
        # (as subprocess's restore_signals does).
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.chdir(req["cwd"])
        if not req["namespaces"]:
            os.close(status_w)
            _exec_program(req, errpipe)
        _isolate(libc, req)
        os.chdir(req["cwd"])  # the copy was mounted back over the old cwd
        if libc.unshare(_CLONE_NEWPID) != 0:
            _check(-1, "unshare(pid)")
        init = os.fork()  # the first child in a new PID namespace is its PID 1
        if init == 0:
            _init(req, errpipe, status_w)
        # The spawner waits for this PID 1 to be gone, which the kernel allows only
        # once every process of the namespace is: then the run has left nothing.
        os.write(status_w, f"{init}\n".encode())
        os.close(errpipe)
        os.close(status_w)
        _, status = os.waitpid(init, 0)
        os._exit(0 if status == 0 else 1)
    except BaseException as exc:
        _report_error(errpipe, exc)


def _send(sock: socket.socket, obj: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller is gone; nothing to tell
        sock.send(json.dumps(obj).encode())


def _start(
    libc: ctypes.CDLL, req: dict[str, Any], fds: list[int], chan: socket.socket
) -> tuple[int, int] | None:
    """Fork the child; once the program has exec'd, return (pid, status pipe)."""
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(err_r)
        os.close(status_r)
        _child(libc, req, fds, err_w, status_w)
    os.close(err_w)
    os.close(status_w)
    for fd in fds:
        os.close(fd)
    error = b""
    while chunk := os.read(err_r, 4096):  # end of file: exec happened (close-on-exec)
        error += chunk
    os.close(err_r)
    if error:
        os.waitpid(pid, 0)
        os.close(status_r)
        _send(chan, {"error": error.decode(errors="replace")})
        return None
    _send(chan, {"pid": pid})
    return pid, status_r


def _init_pidfd(status_r: int) -> tuple[int | None, bytes]:
    """A pidfd on the run's PID 1 (named on the status pipe's first line), and what follows."""
    os.set_blocking(status_r, False)
    try:
        data = os.read(status_r, 4096)
    except BlockingIOError:
        return None, b""
    head, _, rest = data.partition(b"\n")
    if not head.strip().isdigit():
        return None, data
    try:
        return os.pidfd_open(int(head)), rest
    except OSError:  # already gone
        return None, rest


def _end(status: int, usage: Any, status_r: int, init_fd: int | None, early: bytes) -> Any:
    """How the run ended: its PID 1's report if there is one, else the child's own status."""
    if init_fd is not None:
        # Killed from outside, the namespace dies with its PID 1; wait for that.
        select.select([init_fd], [], [], 10)
        os.close(init_fd)
    data = early
    with contextlib.suppress(OSError):
        data += os.read(status_r, 4096)
    os.close(status_r)
    try:
        return json.loads(data)
    except ValueError:
        return {"status": status, "cpu": usage.ru_utime + usage.ru_stime}


def _kill(pgid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)


def serve(control_fd: int) -> None:
    """Serve requests on ``control_fd`` until the caller closes it.

    One event loop: the control socket brings requests, each child's pidfd says
    when it ended (then we reap it and report), and each channel's end-of-file
    says its caller gave up (then nothing would enforce the timeout: kill).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides when we stop
    libc = _libc()
    control = socket.socket(fileno=control_fd)
    poller = select.poll()
    poller.register(control, select.POLLIN)
    by_pidfd: dict[int, tuple[int, socket.socket, int, int | None, bytes]] = {}
    by_chan: dict[int, int] = {}  # channel fd -> pid
    while True:
        for fd, _event in poller.poll():
            if fd == control.fileno():
                data, fds, _flags, _addr = socket.recv_fds(control, _MAX_MESSAGE, 8)
                if not data:
                    for pid, *_rest in by_pidfd.values():
                        _kill(pid)
                    return
                chan = socket.socket(fileno=fds[0])
                started = _start(libc, json.loads(data), fds[1:], chan)
                if started is None:
                    chan.close()
                    continue
                pid, status_r = started
                pidfd = os.pidfd_open(pid)
                init_fd, early = _init_pidfd(status_r)
                by_pidfd[pidfd] = (pid, chan, status_r, init_fd, early)
                by_chan[chan.fileno()] = pid
                poller.register(pidfd, select.POLLIN)
                poller.register(chan, select.POLLIN)
            elif fd in by_pidfd:
                pid, chan, status_r, init_fd, early = by_pidfd.pop(fd)
                poller.unregister(fd)
                os.close(fd)
                _, status, usage = os.wait4(pid, 0)
                _kill(pid)  # stragglers left in its process group (plain isolation)
                if by_chan.pop(chan.fileno(), None) is not None:
                    poller.unregister(chan)
                _send(chan, _end(status, usage, status_r, init_fd, early))
                chan.close()
            elif fd in by_chan:
                # The caller closed its end: it died or gave up on this run.
                _kill(by_chan[fd])
                poller.unregister(fd)
                del by_chan[fd]


__all__ = ["serve"]

if __name__ == "__main__":
    # No PR_SET_PDEATHSIG: it fires when the *thread* that started us ends. The
    # control socket's end-of-file tells us the caller is gone, whatever killed it.
    serve(int(sys.argv[1]))
