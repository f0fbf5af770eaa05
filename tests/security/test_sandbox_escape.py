"""Programs that try to get out of the sandbox: read, write, reach or see the host.

Each test plays one attack, as a hostile task's program would, and checks what
the host sees afterwards. They need namespaces isolation (root, as CI runs).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from duckfix import sandbox
from duckfix.models import RunResult
from duckfix.sandbox import Limits

pytestmark = pytest.mark.skipif(
    sandbox.isolation_mode() != "namespaces",
    reason="needs root and kernel namespaces (namespaces isolation)",
)


def py(source: str, **kwargs: object) -> RunResult:
    return sandbox.run(  # type: ignore[arg-type]
        [sys.executable, "prog.py"], files={"prog.py": textwrap.dedent(source)}, **kwargs
    )


@contextlib.contextmanager
def unix_listener(path: Path) -> Iterator[list[int]]:
    """A Unix socket listening at ``path``; yields a list that counts connections."""
    accepted: list[int] = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o777)
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = server.accept()
                accepted.append(1)
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield accepted
    finally:
        stop.set()
        thread.join()
        server.close()
        path.unlink(missing_ok=True)


def test_host_unix_sockets_under_run_and_tmp_are_out_of_reach(tmp_path: Path) -> None:
    run_dir = Path("/run") / f"duckfix-test-{secrets.token_hex(4)}"
    run_dir.mkdir(mode=0o755)
    try:
        with (
            unix_listener(run_dir / "x.sock") as at_run,
            unix_listener(tmp_path / "y.sock") as at_tmp,
        ):
            # A sanity check that the listeners work for a process outside.
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(run_dir / "x.sock"))
            result = py(
                f"""
                import socket
                for path in ({str(run_dir / "x.sock")!r}, {str(tmp_path / "y.sock")!r}):
                    s = socket.socket(socket.AF_UNIX)
                    try:
                        s.connect(path)
                        print("connected", path)
                    except OSError as exc:
                        print("refused", type(exc).__name__)
                """
            )
            assert result.ok, result.stderr
            assert "connected" not in result.stdout
            assert result.stdout.count("refused") == 2
            assert len(at_run) == 1 and at_tmp == []  # the probe's connection only
    finally:
        for child in run_dir.iterdir():
            child.unlink()
        run_dir.rmdir()


def test_an_abstract_unix_socket_of_the_host_is_out_of_reach() -> None:
    name = f"\0duckfix-test-{secrets.token_hex(4)}"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name)
        server.listen(1)
        result = py(
            f"""
            import socket
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect({name!r})
                print("connected")
            except OSError as exc:
                print("refused", exc.errno)
            """
        )
    assert result.ok and "refused" in result.stdout, result.stdout + result.stderr


def test_no_writable_host_path_and_nothing_left_behind() -> None:
    marker = f"pwned-{secrets.token_hex(4)}"
    result = py(
        f"""
        import os
        wrote = []
        for top in ("/", "/run/lock", "/var/tmp", "/usr", "/usr/local", "/etc", {sys.prefix!r},
                    {sys.base_prefix!r}, "/dev/shm", "/tmp", "/home", os.getcwd()):
            try:
                with open(os.path.join(top, {marker!r}), "w") as fh:
                    fh.write("x")
                wrote.append(top)
            except OSError:
                pass
        print(sorted(wrote))
        """
    )
    assert result.ok, result.stderr
    wrote = eval(result.stdout)  # the program's own printout of a list of strings
    # Only the run's own temporary folders take writes, and they are not the host's.
    assert set(wrote) <= {"/dev/shm", "/tmp", "/home"} | {
        p for p in wrote if p.startswith("/sandbox") or "sandbox" in p
    }
    for top in ("/run/lock", "/var/tmp", "/tmp", "/dev/shm", "/usr/local", sys.prefix):
        assert not (Path(top) / marker).exists(), top


def test_the_run_sees_an_allow_list_of_the_host() -> None:
    home = os.path.expanduser("~")
    project = str(Path(__file__).resolve().parents[2])
    result = py(
        f"""
        import os
        for path in ("/run", "/var", "/srv", "/opt", "/mnt", "/media", "/root/.bash_history",
                     "/etc/shadow", "/etc/passwd-", "/etc/ssh", "/sys", {home!r} + "/.ssh",
                     {project!r} + "/duckfix", {project!r} + "/README.md"):
            print(path, os.path.exists(path))
        print("root", sorted(os.listdir("/")))
        print("etc", sorted(os.listdir("/etc")))
        print("dev", sorted(os.listdir("/dev")))
        """
    )
    assert result.ok, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    for path, seen in lines.items():
        if path.startswith("/"):
            assert seen == "False", f"{path} is visible in the sandbox"
    root = set(eval(lines["root"]))
    assert root <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev",
                    "proc", "tmp", "home", "sandbox", "duckfix-sandbox", ".duckfix-sandbox",
                    *(p.split("/")[1] for p in (sys.prefix, sys.base_prefix))}  # fmt: skip
    assert set(eval(lines["etc"])) <= {
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "hosts",
        "nsswitch.conf", "passwd", "group",
    }  # fmt: skip
    assert set(eval(lines["dev"])) <= {
        "null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr", "shm",
    }  # fmt: skip


def test_proc_is_the_runs_own() -> None:
    result = py(
        """
        import os
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        print(pids)
        try:
            print(open("/proc/1/environ", "rb").read())
        except OSError as exc:
            print("environ", type(exc).__name__)
        """
    )
    assert result.ok, result.stderr
    first, second = result.stdout.splitlines()
    assert eval(first) == [1, 2]  # its PID 1 and itself
    assert os.getpid() not in eval(first)
    assert second == "environ PermissionError"


def test_secrets_do_not_come_back_through_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = secrets.token_hex(8)
    monkeypatch.setenv("DUCKFIX_TEST_API_KEY", canary)
    result = py(
        """
        import os
        out = []
        for path in ("/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline"):
            try:
                out.append(open(path, "rb").read())
            except OSError:
                pass
        print(out)
        """
    )
    assert result.ok, result.stderr
    assert canary not in result.stdout


def test_setuid_programs_do_not_raise_privileges() -> None:
    result = py(
        """
        import os
        flags = os.statvfs("/usr").f_flag
        print(bool(flags & os.ST_NOSUID), bool(flags & os.ST_RDONLY), os.geteuid())
        """
    )
    assert result.ok, result.stderr
    nosuid, rdonly, euid = result.stdout.split()
    assert (nosuid, rdonly) == ("True", "True") and euid != "0"


def test_writing_without_end_hits_the_disk_cap_and_the_host_gets_nothing() -> None:
    before = os.statvfs("/tmp").f_bfree * os.statvfs("/tmp").f_frsize
    result = py(
        """
        import os
        chunk = b"x" * (1 << 20)
        n = 0
        try:
            for i in range(10_000):
                with open(f"junk-{i % 50}.bin" if i % 2 else f"/tmp/junk-{i % 50}.bin", "ab") as fh:
                    fh.write(chunk)
                n += 1
        finally:
            print(n, flush=True)
        """,
        limits=Limits(timeout=30, disk_mb=48),
    )
    written = int(result.stdout.split()[0])
    assert 30 <= written <= 48, result.stdout
    assert result.limit == "disk", result.describe() + result.stderr[-300:]
    after = os.statvfs("/tmp").f_bfree * os.statvfs("/tmp").f_frsize
    assert before - after < 32 << 20  # what the run wrote did not land on the host


def test_many_empty_files_stop_at_the_inode_cap() -> None:
    result = py(
        """
        import os
        n = 0
        try:
            while n < 1_000_000:
                open(f"f{n}", "w").close()
                n += 1
        except OSError as exc:
            print(n, exc.errno)
        """,
        limits=Limits(timeout=60, disk_mb=8),
    )
    count, errno = result.stdout.split()
    assert int(count) < 10_000 and errno == "28", result.stdout + result.stderr


def test_system_v_ipc_and_the_host_name_are_the_runs_own() -> None:
    if not os.path.exists("/proc/sysvipc/shm"):
        pytest.skip("no System V shared memory here")
    script = """
        import ctypes, os, socket
        libc = ctypes.CDLL(None, use_errno=True)
        key = 0x0D0CF1C5
        seg = libc.shmget(key, 4096, 0o1666)  # IPC_CREAT | 0666
        print(seg >= 0, socket.gethostname())
        """
    first = py(script)
    assert first.ok, first.stderr
    created, host = first.stdout.split()
    assert created == "True" and host == "sandbox"
    # Nothing of the first run's segment is left on the host.
    with open("/proc/sysvipc/shm") as fh:
        assert not any(line.split()[0] == str(0x0D0CF1C5) for line in fh.readlines()[1:])
