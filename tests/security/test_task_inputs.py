"""Nothing outside a task is read through it (issue 11): each attack played through the CLI.

A task folder, a QuixBugs checkout, a Chrysalis dataset and the files given
to ``duckfix debug`` are hostile input. Each test plants a link, special file,
foreign hard link or oversized file (or text nested too deeply for Python's
parsers) and runs the real command: it must end with exit code 2 and one
line on stderr naming the offending path, and the canary, a random string in
a root-only file, must appear nowhere: not on stdout or stderr, not in any
file under DUCKFIX_HOME (the SQLite database included).
"""

from __future__ import annotations

import ast
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from duckfix import safe_files
from duckfix.datasets.parsing import MAX_AST_DEPTH, ast_depth
from duckfix.service.cli import cli

from tests.datasets.test_chrysalis import build_dataset
from tests.datasets.test_folder import write_task
from tests.datasets.test_quixbugs import FILES, write_layout

OTHER_UID = 54321
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def canary(tmp_path: Path) -> tuple[str, Path]:
    """A random string in a file only root may read."""
    secret = f"CANARY-{secrets.token_hex(16)}"
    path = tmp_path / "private" / "secret.txt"
    path.parent.mkdir(mode=0o700)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret, path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DUCKFIX_TASKS__MAX_FILE_MB", raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path / "home"


def invoke(args: list[str], seconds: float = 20.0) -> Result:
    """The CLI in-process, failing the test if it blocks (on a FIFO, say)."""
    box: dict[str, Result] = {}
    worker = threading.Thread(
        target=lambda: box.setdefault("result", CliRunner().invoke(cli, args)), daemon=True
    )
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"duckfix {' '.join(args)} blocked"
    return box["result"]


def assert_refused(result: Result | Any, *words: str, secret: str = "", home: Path) -> str:
    """Exit code 2, one line on stderr holding ``words``, and ``secret`` nowhere."""
    stderr = result.stderr.strip()
    assert result.exit_code == 2, (result.output, result.exception)
    assert len(stderr.splitlines()) == 1 and "Traceback" not in result.output, stderr
    for word in words:
        assert word in stderr, stderr
    if secret:
        assert secret not in result.stdout and secret not in result.stderr
        for path in home.rglob("*") if home.exists() else []:
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    return str(stderr)


def task(root: Path, name: str = "double") -> Path:
    return write_task(root, name)


# --- task folders -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["debug", "check"])
@pytest.mark.parametrize(
    "where", ["buggy/data.txt", "tests/visible/canary.txt", "fixed/notes.md", "tests/hidden/x.py"]
)
def test_a_link_to_a_private_file_is_refused(
    tmp_path: Path, home: Path, canary: tuple[str, Path], command: str, where: str
) -> None:
    secret, private = canary
    folder = task(tmp_path)
    (folder / where).symlink_to(private)
    args = ["debug", str(folder)] if command == "debug" else ["tasks", "check", str(folder)]
    message = assert_refused(invoke(args), where, "symbolic link", secret=secret, home=home)
    assert str(private) in message  # where it points, never what it holds


def test_a_link_to_proc_self_environ_is_refused(tmp_path: Path, canary: tuple[str, Path]) -> None:
    # /proc/self/environ is the environment the process started with, so the
    # canary goes into a real process's environment.
    secret, _ = canary
    folder = task(tmp_path)
    (folder / "buggy" / "env.txt").symlink_to("/proc/self/environ")
    env = {**os.environ, "DUCKFIX_HOME": str(tmp_path / "home"), "LEAK": secret}
    done = subprocess.run(
        [sys.executable, "-m", "duckfix", "debug", str(folder), "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "buggy/env.txt: a symbolic link" in done.stderr
    assert secret not in done.stdout + done.stderr
    for path in (tmp_path / "home").rglob("*"):
        assert not path.is_file() or secret.encode() not in path.read_bytes()


def test_a_linked_folder_is_refused(tmp_path: Path, home: Path, canary: tuple[str, Path]) -> None:
    secret, private = canary
    folder = task(tmp_path)
    (folder / "buggy" / "lib").symlink_to(private.parent, target_is_directory=True)
    assert_refused(
        invoke(["debug", str(folder)]), "buggy/lib: a symbolic link", secret=secret, home=home
    )
    (folder / "buggy" / "lib").unlink()
    (folder / "tests" / "visible").rename(tmp_path / "elsewhere")
    (folder / "tests" / "visible").symlink_to(tmp_path / "elsewhere")
    assert_refused(invoke(["tasks", "check", str(folder)]), "tests/visible: a symbolic", home=home)


def test_a_linked_task_in_a_suite_is_refused(
    tmp_path: Path, home: Path, canary: tuple[str, Path]
) -> None:
    secret, _ = canary
    suite = tmp_path / "suite"
    task(suite, "a")
    outside = task(tmp_path / "outside", "b")
    (outside / "buggy" / "data.txt").write_text(secret)
    (suite / "b").symlink_to(outside)
    for args in (["tasks", "list", str(suite)], ["tasks", "check", str(suite)]):
        assert_refused(invoke(args), "suite/b: a symbolic link", secret=secret, home=home)


def test_the_folder_typed_may_itself_be_a_link(tmp_path: Path, home: Path) -> None:
    folder = task(tmp_path / "real")
    (tmp_path / "alias").symlink_to(folder)
    result = invoke(["tasks", "list", str(tmp_path / "alias"), "--json"])
    assert result.exit_code == 0, result.output


def test_a_hard_link_to_another_users_file_is_refused(
    tmp_path: Path, home: Path, canary: tuple[str, Path]
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file away")
    secret, private = canary
    os.chown(private, OTHER_UID, OTHER_UID)
    folder = task(tmp_path)
    os.link(private, folder / "buggy" / "notes.txt")
    for args in (["debug", str(folder)], ["tasks", "check", str(folder)]):
        assert_refused(
            invoke(args), "buggy/notes.txt: a hard link", f"uid {OTHER_UID}",
            secret=secret, home=home,
        )  # fmt: skip


@pytest.mark.parametrize("where", ["buggy/pipe", "tests/visible/cases2.jsonl", "task.toml"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, home: Path, where: str) -> None:
    folder = task(tmp_path)
    (folder / where).unlink(missing_ok=True)
    os.mkfifo(folder / where)
    for args in (["debug", str(folder)], ["tasks", "check", str(folder)]):
        assert_refused(invoke(args), where, "FIFO", home=home)


def test_a_huge_sparse_file_is_refused_unread(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = task(tmp_path)
    with open(folder / "buggy" / "big.bin", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    read: list[int] = []
    real = safe_files._read_upto
    monkeypatch.setattr(safe_files, "_read_upto", lambda fd, n: read.append(n) or real(fd, n))
    started = time.monotonic()
    assert_refused(invoke(["debug", str(folder)]), "buggy/big.bin: 300 MB, over", home=home)
    assert time.monotonic() - started < 10
    assert all(n <= safe_files.DEFAULT_MAX_BYTES + 1 for n in read)


def test_a_program_over_the_limit_is_refused_and_the_setting_raises_it(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = task(tmp_path)
    source = "def double(n):\n    return n + 2\n"
    (folder / "buggy" / "double.py").write_text(source + "#" * (6 * 1024 * 1024) + "\n")
    for args in (["debug", str(folder)], ["tasks", "check", str(folder)]):
        assert_refused(
            invoke(args), "buggy/double.py: 6 MB, over the 5 MB limit", "tasks.max_file_mb",
            home=home,
        )  # fmt: skip
    monkeypatch.setenv("DUCKFIX_TASKS__MAX_FILE_MB", "7")
    assert invoke(["tasks", "list", str(folder)]).exit_code == 0


# --- a program given on its own ---------------------------------------------------


def test_single_files_given_to_debug(tmp_path: Path, home: Path, canary: tuple[str, Path]) -> None:
    secret, private = canary
    (tmp_path / "double.py").write_text("def double(n):\n    return n + 2\n")
    (tmp_path / "test_double.py").write_text(
        "from double import double\n\ndef test_two():\n    assert double(3) == 6\n"
    )
    (tmp_path / "conftest.py").symlink_to(private)
    assert_refused(
        invoke(["debug", "double.py", "--tests", "test_double.py"]),
        "conftest.py: a symbolic link", secret=secret, home=home,
    )  # fmt: skip
    os.mkfifo(tmp_path / "cases.jsonl")
    assert_refused(
        invoke(["debug", "double.py", "--cases", "cases.jsonl"]), "cases.jsonl: a FIFO", home=home
    )
    os.mkfifo(tmp_path / "piped.py")
    assert_refused(
        invoke(["debug", "piped.py", "--tests", "test_double.py"]), "piped.py: a FIFO", home=home
    )
    with open(tmp_path / "huge.py", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    assert_refused(
        invoke(["debug", "huge.py", "--tests", "test_double.py"]), "huge.py: 300 MB", home=home
    )


# --- a QuixBugs checkout ----------------------------------------------------------


@pytest.fixture
def quixbugs(tmp_path: Path) -> Path:
    root = tmp_path / "QuixBugs"
    write_layout(root, FILES)
    return root


@pytest.mark.parametrize(
    "where",
    [
        "python_programs/node.py",
        "correct_python_programs/add_one.py",
        "json_testcases/add_one.json",
        "python_testcases/graph_helpers.py",
        "conftest.py",
    ],
)
def test_quixbugs_links_are_refused(
    quixbugs: Path, home: Path, canary: tuple[str, Path], where: str
) -> None:
    secret, private = canary
    (quixbugs / where).unlink()
    (quixbugs / where).symlink_to(private)
    for args in (
        ["tasks", "list", f"quixbugs:{quixbugs}"],
        ["tasks", "check", f"quixbugs:{quixbugs}"],
    ):
        assert_refused(invoke(args), f"{where}: a symbolic link", secret=secret, home=home)


def test_quixbugs_folders_fifos_hard_links_and_sizes(
    quixbugs: Path, tmp_path: Path, home: Path, canary: tuple[str, Path]
) -> None:
    secret, private = canary
    suite = f"quixbugs:{quixbugs}"
    tests = quixbugs / "json_testcases"
    tests.rename(tmp_path / "cases")
    tests.symlink_to(tmp_path / "cases")
    assert_refused(invoke(["tasks", "check", suite]), "json_testcases: a symbolic link", home=home)
    tests.unlink()
    (tmp_path / "cases").rename(tests)
    os.mkfifo(quixbugs / "python_testcases" / "test_pipe.py")
    assert_refused(invoke(["tasks", "list", suite]), "test_pipe.py: a FIFO", home=home)
    (quixbugs / "python_testcases" / "test_pipe.py").unlink()
    with open(quixbugs / "json_testcases" / "shout.json", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    assert_refused(invoke(["tasks", "check", suite]), "shout.json: 300 MB", home=home)
    (quixbugs / "json_testcases" / "shout.json").write_text('["hi", "HI"]\n')
    if os.geteuid() == 0:
        os.chown(private, OTHER_UID, OTHER_UID)
        os.link(private, quixbugs / "python_programs" / "secret.py")
        assert_refused(
            invoke(["tasks", "check", suite]), "secret.py: a hard link", secret=secret, home=home
        )


# --- text nested too deeply, numbers too long -------------------------------------

MINUS = "def double(n):\n    return " + "-" * 200_000 + "n\n"
PLUS = "def double(n):\n    return n" + "+1" * 300_000 + "\n"
BINOPS = "def double(n):\n    return n" + "+0" * 900 + "\n"  # the parser takes this one
DEEP_JSON = '{"args": ' + "[" * 100_000 + "]" * 100_000 + ', "expected": 4}\n'
BIG_INT = '{"args": [' + "7" * 5000 + '], "expected": 4}\n'
DEEP_TOML = 'id = "double"\nentry_point = "double"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n"


@pytest.mark.parametrize(
    ("rel", "text", "words"),
    [
        ("buggy/double.py", MINUS, "buggy/double.py: nested too deeply to parse"),
        ("buggy/double.py", PLUS, "buggy/double.py: nested too deeply to parse"),
        ("buggy/double.py", BINOPS, "buggy/double.py:2: nested 905 levels deep"),
        ("tests/hidden/test_more.py", PLUS, "test_more.py: nested too deeply to parse"),
        ("tests/visible/cases.jsonl", DEEP_JSON, "cases.jsonl:1: nested too deeply to parse"),
        ("tests/visible/cases.jsonl", BIG_INT, "cases.jsonl:1: a number with more than 4300"),
        ("task.toml", DEEP_TOML, "task.toml: nested too deeply to parse"),
    ],
    ids=["minus", "plus", "binops", "test-file", "json-depth", "json-int", "toml-depth"],
)
@pytest.mark.parametrize("command", ["debug", "check"])
def test_nesting_and_long_numbers_are_one_line(
    tmp_path: Path, home: Path, rel: str, text: str, words: str, command: str
) -> None:
    folder = task(tmp_path)
    (folder / rel).write_text(text)
    args = ["debug", str(folder)] if command == "debug" else ["tasks", "check", str(folder)]
    assert_refused(invoke(args), words, home=home)


def test_cases_given_to_debug_are_checked_too(tmp_path: Path, home: Path) -> None:
    (tmp_path / "double.py").write_text("def double(n):\n    return n + 2\n")
    for text, words in ((DEEP_JSON, "nested too deeply"), (BIG_INT, "more than 4300 digits")):
        (tmp_path / "cases.jsonl").write_text(text)
        result = invoke(["debug", "double.py", "--cases", "cases.jsonl"])
        assert_refused(result, "cases.jsonl:1: ", words, home=home)
    (tmp_path / "deep.py").write_text(BINOPS.replace("double", "deep"))
    (tmp_path / "cases.jsonl").write_text('{"args": [1], "expected": 2}\n')
    assert_refused(invoke(["debug", "deep.py", "--cases", "cases.jsonl"]), "levels deep", home=home)


@pytest.mark.parametrize(
    ("line", "words"),
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"), ("[[1], " + "9" * 5000 + "]", "4300")],
    ids=["depth", "int"],
)
def test_quixbugs_json_cases_are_checked(quixbugs: Path, home: Path, line: str, words: str) -> None:
    (quixbugs / "json_testcases" / "shout.json").write_text(line + "\n")
    result = invoke(["tasks", "check", f"quixbugs:{quixbugs}"])
    assert_refused(result, "json_testcases/shout.json:1", words, home=home)


def test_a_program_at_the_depth_limit_is_debugged_to_the_end(tmp_path: Path, home: Path) -> None:
    # Deep, but no deeper than allowed: every stage (localize, fix, review,
    # explain) must walk it without running out of stack. The deep function
    # is never called, so the fault stays where it is.
    def program(terms: int) -> str:
        pad = "def _pad():\n    return 0" + " + 0" * terms + "\n"
        return "def double(n):\n    return n + 2\n\n\n" + pad

    terms = next(t for t in range(200) if ast_depth(ast.parse(program(t + 1)))[0] > MAX_AST_DEPTH)
    assert ast_depth(ast.parse(program(terms)))[0] == MAX_AST_DEPTH
    folder = task(tmp_path)
    (folder / "buggy" / "double.py").write_text(program(terms))
    (folder / "fixed" / "double.py").write_text(program(terms).replace("n + 2", "n * 2"))
    result = invoke(["debug", str(folder), "--max-seconds", "20"], seconds=60)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output


# --- a Chrysalis dataset and patches ----------------------------------------------


def test_chrysalis_links_are_refused(tmp_path: Path, home: Path, canary: tuple[str, Path]) -> None:
    secret, private = canary
    root = build_dataset(tmp_path / "data")
    header = next(root.glob("*/*/Source_Code")) / "secret.h"
    header.symlink_to(private)
    result = invoke(["review", "--hls-dataset", str(root)])
    assert_refused(result, "Source_Code/secret.h: a symbolic link", secret=secret, home=home)
    header.unlink()
    bug = next(root.glob("*/*/Bugs/*.txt"))
    bug.unlink()
    bug.symlink_to(private)
    result = invoke(["review", "--hls-dataset", str(root)])
    assert_refused(result, f"Bugs/{bug.name}: a symbolic link", secret=secret, home=home)


def test_a_patch_that_is_a_fifo_or_huge_does_not_hang(tmp_path: Path, home: Path) -> None:
    os.mkfifo(tmp_path / "fix.patch")
    assert_refused(invoke(["review", "fix.patch"]), "fix.patch: a FIFO", home=home)
    with open(tmp_path / "big.patch", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    assert_refused(invoke(["review", "big.patch"]), "big.patch: 300 MB, over the 64 MB", home=home)


def test_mail_sources_do_not_block_or_load_whole(tmp_path: Path) -> None:
    from duckfix.service.mail.ingest import MAX_BYTES, parse, read_maildir, read_mbox

    box = tmp_path / "maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    os.mkfifo(box / "new" / "1.fifo")
    with open(box / "new" / "2.huge", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)
    found = dict(read_maildir(box))  # the FIFO is passed over, not opened
    assert list(found) == ["2.huge"] and len(found["2.huge"]) == MAX_BYTES + 1
    assert parse(found["2.huge"]).reason.startswith("too large")  # type: ignore[union-attr]
    with open(tmp_path / "one.mbox", "wb") as fh:
        fh.write(b"Subject: x\n")
        fh.truncate(300 * 1024 * 1024)
    ((_, raw),) = read_mbox(tmp_path / "one.mbox")
    assert len(raw) == MAX_BYTES + 1
