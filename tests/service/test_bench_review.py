"""``duckfix bench review``: each commit of a history reviewed, and recall on later-fixed commits.

The history looks like a small C project on a mailing list: a
compile_commands.json, a checkpatch-like script in scripts/, commits signed
off, and later commits that name earlier ones in ``Fixes:`` trailers or revert
them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from duckfix.pipelines.review.history import buggy_lines, later_fixes, reason_kind
from duckfix.pipelines.review.inputs import open_repo

from tests.agents.review_checks.test_checks_checkpatch import FAKE_CHECKPATCH
from tests.pipelines.review.gitrepo import GitRepo

pytestmark = pytest.mark.skipif(
    shutil.which("gcc") is None or shutil.which("perl") is None, reason="needs gcc and perl"
)

RING = """#include "ring.h"

int ring_put(struct ring *r, int v)
{
\tif (r->len == RING_SIZE)
\t\treturn -1;
\tr->buf[r->len++] = v;
\treturn 0;
}
"""
HEADER = "#define RING_SIZE 8\nstruct ring {\n\tint buf[RING_SIZE];\n\tint len;\n};\n"
SIGNED = "\n\nSigned-off-by: Ada Lovelace <ada@example.org>\n"


def message(subject: str, body: str, *trailers: str) -> str:
    return f"{subject}\n\n{body}{SIGNED}" + "".join(f"{t}\n" for t in trailers)


@pytest.fixture
def history(tmp_path: Path) -> dict[str, str]:
    repo = GitRepo(tmp_path / "ring")
    db = [{"directory": str(repo.root), "file": str(repo.root / "src/ring.c"),
           "arguments": ["cc", "-Iinclude", "-std=gnu11", "-c", "src/ring.c"]}]  # fmt: skip
    start = {
        "include/ring.h": HEADER,
        "src/ring.c": RING,
        "scripts/checkpatch.pl": FAKE_CHECKPATCH,
        "compile_commands.json": json.dumps(db),
        "tools/stats.py": "def mean(xs):\n    return sum(xs) / len(xs)\n",
    }
    shas = {"root": repo.commit(message("ring: start", "The ring buffer."), start)}
    # Buggy 1: an assignment where a comparison was meant; gcc -Wparentheses sees it.
    clear = (
        "\nint ring_clear(struct ring *r)\n{\n\tif (r->len = 0)\n\t\treturn 1;\n\treturn 0;\n}\n"
    )
    shas["assign"] = repo.commit(
        message("ring: add ring_clear", "Empty the ring when asked."), {"src/ring.c": RING + clear}
    )
    # Buggy 2: a FIXME the project's checkpatch flags, later removed by a fix.
    ring2 = (repo.root / "src/ring.c").read_text() + "\n/* FIXME: locking */\nint ring_busy;\n"
    shas["fixme"] = repo.commit(message("ring: track busy rings", "For the stats."),
                                {"src/ring.c": ring2})  # fmt: skip
    # Buggy 3: an off-by-one that no rule sees; reverted later.
    shas["offbyone"] = repo.commit(
        message("stats: skip the warm-up sample", "The first sample is noise."),
        {"tools/stats.py": "def mean(xs):\n    xs = xs[2:]\n    return sum(xs) / len(xs)\n"},
    )
    shas["clean"] = repo.commit(
        message("stats: add a docstring", "Say what it does."),
        {"tools/stats.py": '"""Statistics."""\n\n\n' + (repo.root / "tools/stats.py").read_text()},
    )
    fixed = (repo.root / "src/ring.c").read_text().replace("r->len = 0)", "r->len == 0)")
    shas["fix1"] = repo.commit(
        message("ring: compare in ring_clear", "It assigned.",
                f'Fixes: {shas["assign"][:12]} ("ring: add ring_clear")'),
        {"src/ring.c": fixed},
    )  # fmt: skip
    fixed = fixed.replace("/* FIXME: locking */\n", "")
    shas["fix2"] = repo.commit(
        message("ring: drop a stale note", "Locking is done by the caller.",
                f"Fixes: {shas['fixme'][:12]}"),
        {"src/ring.c": fixed},
    )  # fmt: skip
    repo.git("revert", "--no-edit", shas["offbyone"])
    shas["revert"] = repo.git("rev-parse", "HEAD").strip()
    shas["top"] = str(repo.root)
    return shas


def bench(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duckfix", "bench", "review", *args],
        capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "DUCKFIX_HOME": str(home)},
    )  # fmt: skip


def test_fixes_and_reverts_name_the_buggy_commits_and_their_lines(history: dict[str, str]) -> None:
    git = open_repo(Path(history["top"]))
    named = later_fixes(git, [history[k] for k in ("assign", "fixme", "offbyone", "clean")],
                        f"{history['root']}..HEAD")  # fmt: skip
    assert named == {
        history["assign"]: [history["fix1"]],
        history["fixme"]: [history["fix2"]],
        history["offbyone"]: [history["revert"]],
    }
    # Lines as numbered in the buggy commit's own file: where its findings sit.
    assert buggy_lines(git, history["assign"], [history["fix1"]]) == {"src/ring.c": [13]}
    assert buggy_lines(git, history["fixme"], [history["fix2"]]) == {"src/ring.c": [18]}
    assert buggy_lines(git, history["offbyone"], [history["revert"]]) == {"tools/stats.py": [2]}


def test_the_benchmark_reports_findings_coverage_and_recall(
    history: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    args = ["--repo", history["top"], "--range", f"{history['root']}..HEAD", "--fixes", "--json"]
    done = bench(args, home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    by_sha = {c["sha"]: c for c in report["commits"]}
    assert report["commits_reviewed"] == 7  # the fixes and the revert too
    assert report["later_fixed"] == 3 and report["fixed_with_finding"] == 2
    assert report["recall"] == pytest.approx(2 / 3)
    assign = by_sha[history["assign"]]
    assert assign["hit"] is True and assign["fixed_by"] == [history["fix1"]]
    assert {(f["path"], f["line"], f["category"]) for f in assign["findings"]} >= {
        ("src/ring.c", 13, "c/parentheses")
    }
    assert by_sha[history["fixme"]]["hit"] is True  # checkpatch's FIXME on line 18
    assert by_sha[history["offbyone"]]["hit"] is False
    assert by_sha[history["clean"]]["hit"] is None and by_sha[history["clean"]]["findings"] == []
    assert 0 < report["without_finding"] < 1
    assert report["by_check"]["c"] >= 1 and report["by_check"]["checkpatch"] >= 1
    assert report["not_run"] == {}  # the project's flags: every C file compiled
    assert report["seconds_per_commit"] > 0
    # The run is in the store, one result per commit.
    from duckfix.store import open_store

    runs = open_store(f"sqlite:///{home / 'duckfix.db'}")
    [run] = runs.runs(kind="bench-review")
    assert len(runs.results(run.id)) == 7

    only = json.loads(bench([*args, "--only-fixed"], home).stdout)
    assert only["commits_reviewed"] == 3 and only["recall"] == pytest.approx(2 / 3)


def test_the_terminal_report_and_bad_input(history: dict[str, str], tmp_path: Path) -> None:
    done = bench(["--repo", history["top"], "--range", "HEAD~2..HEAD", "--fixes"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "commits reviewed        2" in done.stdout
    assert "later fixed             0" in done.stdout
    bad = bench(["--repo", history["top"], "--range", "HEAD", "--only-fixed"], tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_reasons_are_counted_without_their_details() -> None:
    assert reason_kind("the file does not compile here (line 3: 'u32' undeclared)") == (
        "the file does not compile here"
    )
    assert reason_kind("gcc is not installed") == "gcc is not installed"
    assert reason_kind("checkpatch exited with status 2 (Bad option)") == (
        "checkpatch exited with status 2"
    )
