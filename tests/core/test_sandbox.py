"""The sandbox against hostile programs: each is contained, reported, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from duckfix import sandbox
from duckfix.errors import SandboxError
from duckfix.models import RunResult
from duckfix.sandbox import Limits

NAMESPACES = sandbox.isolation_mode() == "namespaces"
needs_namespaces = pytest.mark.skipif(
    not NAMESPACES, reason="needs root and kernel namespaces (namespaces isolation)"
)


def py(source: str, **kwargs: object) -> RunResult:
    """Run a Python program given as source text in the sandbox."""
    files = {"prog.py": textwrap.dedent(source)}
    extra = kwargs.pop("files", None)
    if isinstance(extra, dict):
        files.update(extra)
    args = kwargs.pop("args", [])
    assert isinstance(args, list)
    return sandbox.run([sys.executable, "prog.py", *args], files=files, **kwargs)  # type: ignore[arg-type]


def sandbox_processes(uid: int) -> list[int]:
    """Pids of live processes owned by ``uid`` (a run's own uid: runs may go on elsewhere)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                owner = entry.stat().st_uid
                with open(f"/proc/{entry.name}/stat") as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if owner == uid and state != "Z":
                found.append(int(entry.name))
    return found


def test_runs_a_program_in_a_copy_and_captures_output(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("from the tree\n")
    result = sandbox.run(
        [
            sys.executable,
            "-c",
            "import os; print(open('data.txt').read().strip(), os.getcwd(), sep='|')",
        ],
        tree=tmp_path,
    )
    assert result.ok, result.stderr
    text, cwd = result.stdout.strip().split("|")
    assert text == "from the tree"
    assert cwd != str(tmp_path)
    assert not Path(cwd).exists(), "the copy is deleted after the run"


def test_exit_code_stdin_and_collected_files() -> None:
    result = py(
        """
        import sys
        data = sys.stdin.read()
        open("out.txt", "w").write(data.upper())
        sys.exit(3)
        """,
        stdin=b"hello",
        collect=["out.txt", "missing.txt"],
    )
    assert result.ended == "exited" and result.exit_code == 3
    assert result.files == {"out.txt": b"HELLO"}


def test_deterministic_environment() -> None:
    result = py(
        """
        import os, time
        print(os.environ["PYTHONHASHSEED"], os.environ["TZ"], time.strftime("%Z"))
        print(hash("duckfix"))
        """
    )
    again = py('print(1)\nprint(hash("duckfix"))\n')
    assert result.stdout.splitlines()[0] == "0 UTC UTC"
    assert result.stdout.splitlines()[1] == again.stdout.splitlines()[1]


def test_infinite_loop_times_out() -> None:
    started = time.monotonic()
    result = py("while True:\n    pass\n", limits=Limits(timeout=1))
    assert result.ended == "timeout"
    assert "timed out" in result.describe()
    assert time.monotonic() - started < 5


def test_cpu_limit_is_reported() -> None:
    result = py("while True:\n    pass\n", limits=Limits(timeout=20, cpu_seconds=1))
    assert result.ended == "limit" and result.limit == "cpu", result


def test_allocating_20_gb_hits_the_memory_limit() -> None:
    result = py("b = bytearray(20 * 2**30)\nprint('allocated')\n")
    assert result.ended == "limit" and result.limit == "memory", result
    assert "allocated" not in result.stdout


def test_file_size_limit() -> None:
    result = py(
        "with open('big', 'wb') as f:\n    f.write(b'x' * (4 << 20))\n",
        limits=Limits(file_size_mb=1),
    )
    assert result.ended == "limit" and result.limit == "file_size", result


def test_one_gigabyte_of_stdout_is_capped_and_stopped() -> None:
    result = py(
        """
        import sys
        chunk = b"x" * (1 << 20)
        for _ in range(1024):
            sys.stdout.buffer.write(chunk)
        """
    )
    assert result.ended == "limit" and result.limit == "output", result.describe()
    assert result.stdout_truncated
    assert len(result.stdout) == Limits().output_bytes


def test_big_output_below_the_stop_threshold_is_truncated_not_stopped() -> None:
    result = py("print('y' * 3_000_000)\n", limits=Limits(output_bytes=1000))
    assert result.ok
    assert result.stdout_truncated and result.stdout == "y" * 1000


@pytest.mark.skipif(os.geteuid() == 0 and not NAMESPACES, reason="RLIMIT_NPROC does not bind root")
def test_fork_bomb_is_contained() -> None:
    result = py(
        "import os\nprint(os.getuid(), flush=True)\nwhile True:\n    os.fork()\n",
        limits=Limits(timeout=5, processes=30),
    )
    assert result.ended in ("limit", "timeout"), result.describe()
    if result.ended == "limit":
        assert result.limit == "processes"
    if NAMESPACES:
        assert sandbox_processes(int(result.stdout.split()[0])) == []


@needs_namespaces
def test_child_ignoring_sigterm_is_killed_at_timeout() -> None:
    result = py(
        """
        import os, signal, time
        print(os.getuid(), flush=True)
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                time.sleep(1)
        while True:
            pass
        """,
        limits=Limits(timeout=1),
    )
    assert result.ended == "timeout"
    assert sandbox_processes(int(result.stdout.split()[0])) == []


@needs_namespaces
def test_daemonised_grandchild_does_not_outlive_the_run(tmp_path: Path) -> None:
    result = py(
        """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                sys.stdout.close(); sys.stderr.close()
                time.sleep(60)
                os._exit(0)
            os._exit(0)
        print("parent done", os.getuid())
        """,
        limits=Limits(timeout=10),
    )
    assert result.ok and result.stdout.startswith("parent done")
    assert result.seconds < 5, "the run waited for the daemon"
    assert sandbox_processes(int(result.stdout.split()[-1])) == []


@needs_namespaces
def test_writes_to_home_and_the_callers_tree_leave_nothing(tmp_path: Path) -> None:
    real_home = Path(os.path.expanduser("~"))
    home_target = real_home / f"duckfix-sandbox-test-{os.getpid()}"
    tree_target = tmp_path / "escaped.txt"
    outside_tmp = Path("/tmp") / f"duckfix-escape-{os.getpid()}"
    result = py(
        """
        import os, sys
        for target in sys.argv[1:]:
            try:
                with open(target, "w") as fh:
                    fh.write("pwned")
                print("wrote", target)
            except OSError as exc:
                print("blocked", target, exc.errno)
        with open(os.path.expanduser("~/note"), "w") as fh:
            fh.write("home in the copy")
        """,
        args=[str(home_target), str(tree_target), str(outside_tmp)],
    )
    assert result.ok, result.stderr
    assert not home_target.exists()
    assert not tree_target.exists()
    assert not outside_tmp.exists()


@needs_namespaces
def test_network_is_cut_off() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(3)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            accepted.append(listener.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    result = py(
        """
        import socket, sys
        try:
            socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
            print("connected")
        except OSError as exc:
            print("blocked", type(exc).__name__)
        """,
        args=[str(port)],
    )
    thread.join()
    listener.close()
    assert result.network_isolated
    assert result.stdout.startswith("blocked"), result.stdout
    assert accepted == []


@needs_namespaces
def test_loopback_inside_the_sandbox_works() -> None:
    result = py(
        """
        import socket
        srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
        cli = socket.create_connection(srv.getsockname(), timeout=2)
        print("ok")
        """
    )
    assert result.stdout == "ok\n", result.stderr


def test_api_keys_and_tokens_never_reach_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    result = py(
        "import os\nprint(sorted(k for k in os.environ if 'KEY' in k or 'TOKEN' in k))\n",
        env={"MY_API_KEY": "x", "HARMLESS": "1"},
    )
    assert result.stdout == "[]\n"
    shown = py("import os\nprint(os.environ.get('HARMLESS'))\n", env={"HARMLESS": "1"})
    assert shown.stdout == "1\n"


def test_plain_isolation_still_limits_and_times_out() -> None:
    result = py("while True:\n    pass\n", limits=Limits(timeout=1), isolation="plain")
    assert result.ended == "timeout" and not result.network_isolated
    assert result.isolation == "plain"
    ok = py("print('hi')\n", isolation="plain")
    assert ok.ok and ok.stdout == "hi\n"


@pytest.mark.parametrize("warm", [False, True])
def test_a_run_ending_as_its_deadline_nears_is_not_lost(warm: bool) -> None:
    """A daemon of the run (its own session: plain mode cannot kill it) holds stdout and
    prints; the program ends a moment before its deadline, whose grace for the pipes
    runs past it. That run ended (or, on a slow machine, timed out): never an error."""
    source = """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            for _ in range(150):
                print("daemon", flush=True)
                time.sleep(0.01)
            os._exit(0)
        time.sleep(0.75)
        """
    result = py(source, limits=Limits(timeout=1), isolation="plain", warm=warm)
    assert result.ended in ("exited", "timeout"), result.describe()
    assert result.exit_code in (0, None)


def test_bad_requests_are_clear_errors() -> None:
    with pytest.raises(SandboxError, match="empty"):
        sandbox.run([])
    with pytest.raises(SandboxError, match="outside"):
        sandbox.run(["true"], files={"../evil": "x"})
    with pytest.raises(SandboxError, match="cannot start"):
        sandbox.run(["/nonexistent/binary"], isolation="plain")


def test_concurrent_runs_get_separate_slots() -> None:
    results: list[RunResult] = []

    def one() -> None:
        results.append(py("import os, time\ntime.sleep(0.3)\nprint(os.getuid())\n"))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results)
    if NAMESPACES:
        assert len({r.stdout for r in results}) == 4


def test_a_caller_killed_mid_run_takes_its_runs_down() -> None:
    """Nothing enforces the timeout once the caller is gone, so the run must end with it."""
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from duckfix import sandbox\n"
            "sandbox.run(['sleep', '60'], limits=sandbox.Limits(timeout=120), isolation='plain')\n",
        ],
    )
    deadline = time.monotonic() + 10
    sleepers: list[int] = []
    while time.monotonic() < deadline and not sleepers:
        time.sleep(0.1)
        sleepers = _children_named(caller.pid, "sleep")
    assert sleepers, "the run did not start"
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in sleepers):
        time.sleep(0.05)
    assert not any(_alive(p) for p in sleepers)


def _children_named(ancestor: int, name: str) -> list[int]:
    """Pids of processes called ``name`` descending from ``ancestor``."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    head, tail = fh.read().rsplit(")", 1)
            except OSError:
                continue
            pid = int(entry.name)
            names[pid] = head.split("(", 1)[1]
            parents[pid] = int(tail.split()[1])
    found = []
    for pid, comm in names.items():
        if comm != name:
            continue
        p = pid
        while p > 1:
            p = parents.get(p, 0)
            if p == ancestor:
                found.append(pid)
                break
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_signals_start_at_their_defaults() -> None:
    """Python ignores SIGPIPE and SIGXFSZ in itself; sandboxed programs get the defaults."""
    pipe = sandbox.run(["sh", "-c", "yes | head -c 4"])
    assert pipe.ok and pipe.stdout == "y\ny\n" and "Broken pipe" not in pipe.stderr
    interrupted = sandbox.run(["sh", "-c", "kill -INT $$; echo survived"])
    assert interrupted.signal == "SIGINT" and "survived" not in interrupted.stdout


@pytest.mark.parametrize("isolation", ["auto", "plain"])
def test_report_channel_and_secret(isolation: sandbox.Isolation) -> None:
    result = py(
        """
        import os
        secret = os.read(4, 100)
        os.write(3, b"report:" + secret)
        print("out", len(os.read(4, 100)))  # read once, then end of file
        """,
        report=True,
        secret=b"s3cr3t",
        isolation=isolation,
    )
    assert result.ok, result.stderr
    assert result.report == b"report:s3cr3t"
    assert result.stdout.split() == ["out", "0"]


def test_a_secret_needs_a_report_channel() -> None:
    with pytest.raises(SandboxError, match="report"):
        sandbox.run([sys.executable, "-c", "pass"], secret=b"x")


@needs_namespaces
def test_collected_files_are_read_as_the_runs_uid_never_through_links() -> None:
    result = py(
        """
        import os
        os.symlink("/etc/passwd", "link.txt")
        os.mkdir("d")
        os.symlink("/proc/1", "d/up")
        open("plain.txt", "w").write("mine")
        """,
        collect=["link.txt", "d/up/environ", "plain.txt", "missing.txt"],
    )
    assert result.ok, result.stderr
    assert result.files == {"plain.txt": b"mine"}


def test_a_missing_sandbox_folder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUCKFIX_SANDBOX_DIR", "/nonexistent/duckfix")
    with pytest.raises(SandboxError, match="DUCKFIX_SANDBOX_DIR"):
        sandbox.run([sys.executable, "-c", "pass"], isolation="plain")


def test_a_tree_with_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("print(1)\n")
    (tmp_path / "data.txt").symlink_to("/etc/hostname")
    with pytest.raises(SandboxError, match="symbolic link"):
        sandbox.run([sys.executable, "prog.py"], tree=tmp_path)


def test_plain_mode_collects_without_following_folder_links(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("host data")
    result = py(
        f"""
        import os
        os.symlink({str(tmp_path)!r}, "up")
        os.mkdir("d")
        open("d/ok.txt", "w").write("mine")
        """,
        collect=["up/secret.txt", "d/ok.txt"],
        isolation="plain",
    )
    assert result.ok, result.stderr
    assert result.files == {"d/ok.txt": b"mine"}


WARM_PROBE = """
import json, os, sys
print(json.dumps([sys.argv, os.getcwd(), sys.path[0], os.environ.get("X"), sorted(os.environ)]))
"""


def test_a_warm_run_sees_what_a_new_interpreter_would() -> None:
    cold = py(WARM_PROBE, args=["a b"], env={"X": "1"})
    warm = py(WARM_PROBE, args=["a b"], env={"X": "1"}, warm=True)
    assert cold.ok and warm.ok, cold.stderr + warm.stderr
    assert cold.stdout == warm.stdout


def test_a_warm_run_leaves_nothing_to_the_next() -> None:
    spoil = """
        import json, sys
        json.dumps = None
        sys.modules["pytest"].main = None
        open("/tmp/left", "w").write("x")
        """
    assert py(spoil, warm=True).ok
    check = py(
        """
        import json, os, sys
        import pytest
        print(json.dumps([1]), pytest.main is not None, os.path.exists("/tmp/left"))
        """,
        warm=True,
    )
    assert check.ok, check.stderr
    assert check.stdout.split() == ["[1]", "True", "False"]


@pytest.mark.parametrize(
    ("source", "code", "err"),
    [
        ("import sys\nprint('out')\nsys.exit(3)\n", 3, ""),
        ("raise ValueError('boom')\n", 1, "ValueError: boom"),
        ("import sys\nsys.exit('bye')\n", 1, "bye"),
        ("print('unflushed', end='')\n", 0, ""),
    ],
)
def test_a_warm_run_ends_as_the_interpreter_would(source: str, code: int, err: str) -> None:
    cold, warm = py(source), py(source, warm=True)
    assert (cold.exit_code, warm.exit_code) == (code, code)
    assert cold.stdout == warm.stdout
    assert err in warm.stderr and err in cold.stderr


def test_a_warm_ctrl_c_ends_the_run_by_sigint() -> None:
    result = py("raise KeyboardInterrupt\n", warm=True)
    assert result.signal == "SIGINT", result.describe()


@needs_namespaces
def test_a_warm_run_is_as_isolated_as_a_cold_one() -> None:
    result = py(
        """
        import os
        print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), os.getuid() != 0,
              os.path.exists("/run"))
        """,
        warm=True,
    )
    assert result.ok, result.stderr
    assert result.stdout.strip() == "[1, 2] True False"


@needs_namespaces
@pytest.mark.parametrize("warm", [False, True])
def test_each_namespaced_run_has_a_pid_namespace_of_its_own_and_a_plain_run_none(
    warm: bool,
) -> None:
    """A spawner forks each namespaced run straight into a new PID namespace, then
    gives its next child its own again: runs in between must not share one."""
    probe = "import os\nprint(os.getpid(), sum(p.isdigit() for p in os.listdir('/proc')))\n"
    for isolation in ("namespaces", "plain", "namespaces", "namespaces", "plain"):
        result = py(probe, isolation=isolation, warm=warm)
        assert result.ok, result.stderr
        pid, seen = map(int, result.stdout.split())
        if isolation == "namespaces":
            assert (pid, seen) == (2, 2)  # its PID 1 and itself, nothing of an earlier run
        else:
            assert pid > 2 and seen > 2  # the host's PID namespace


@pytest.mark.parametrize(
    "source", ["def f(:\n", "def g():\n    raise KeyError('k')\n\ng()\n", "import nosuchmodule\n"]
)
def test_a_warm_error_reads_as_a_cold_one(source: str) -> None:
    cold, warm = py(source), py(source, warm=True)
    assert (cold.exit_code, cold.stderr) == (warm.exit_code, warm.stderr)
