"""`duckfix review` as a user runs it: ranges, the index, patch files, stdin, every format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipelines.review.gitrepo import GitRepo

SCHEMA = Path(__file__).resolve().parents[1] / "pipelines" / "review" / "sarif-2.1.0.schema.json"

CLEAN = "def area(w, h):\n    return w * h\n"
# Built at run time so this file does not itself hold something that looks like a key.
TOKEN = "ghp_" + "A1b2C3d4" * 4 + "E5f6"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit(
        "Added a perimeter",  # not imperative
        {"geo.py": CLEAN + "\n\ndef perimeter(w, h):\n    return 2 * (w + h)   \n"},
    )
    return repo


def duckfix(
    args: list[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duckfix", "review", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_range_in_the_terminal(repo: GitRepo) -> None:
    done = duckfix(["--range", "HEAD~1..HEAD"], repo.root)
    assert done.returncode == 0, done.stderr  # warnings do not fail by default (block_on=error)
    out = done.stdout
    assert "geo.py" in out and "trailing" in out.lower() and "6 │" in out.replace("     ", " ")
    assert "Add" in out  # the imperative form is suggested for "Added"


def test_json_sarif_and_b4(repo: GitRepo) -> None:
    doc = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "json"], repo.root).stdout)
    rules = {f["category"] for f in doc["findings"]}
    assert "hygiene/trailing-whitespace" in rules and any(r.startswith("commit/") for r in rules)
    assert doc["counts"]["warning"] >= 2

    import jsonschema

    sarif = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "sarif"], repo.root).stdout)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    assert sarif["runs"][0]["results"]

    b4 = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "b4"], repo.root).stdout)
    assert [(x["tool"], x["status"]) for x in b4] == [("duckfix", "warn")]


def test_a_secret_fails_the_review_and_fail_on_is_honoured(repo: GitRepo) -> None:
    repo.commit("Add the key\n\nFor the API.", {"conf.py": f'TOKEN = "{TOKEN}"\n'})
    done = duckfix(["--range", "HEAD~1..HEAD"], repo.root)
    assert done.returncode == 1 and "conf.py" in done.stdout
    assert TOKEN not in done.stdout  # never repeat the secret
    assert duckfix(["--range", "HEAD~1..HEAD", "--fail-on", "never"], repo.root).returncode == 0
    warn = duckfix(["--range", "HEAD~2..HEAD~1", "--fail-on", "warning"], repo.root)
    assert warn.returncode == 1


def test_staged_changes_and_a_patch_on_stdin_and_in_a_file(repo: GitRepo, tmp_path: Path) -> None:
    repo.write({"geo.py": CLEAN + "breakpoint()\n"})
    repo.git("add", "geo.py")
    staged = duckfix(["--staged", "--format", "json"], repo.root)
    assert staged.returncode == 1  # a debugger left in is an error
    assert any(f["category"] == "leftovers/debugger" for f in json.loads(staged.stdout)["findings"])

    patch = repo.git("format-patch", "--stdout", "-1", "HEAD")
    piped = duckfix(["-", "--format", "json"], repo.root, stdin=patch)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["label"] == "Added a perimeter"
    (tmp_path / "p.patch").write_text(patch)
    outside = duckfix([str(tmp_path / "p.patch"), "--format", "json"], tmp_path)  # no repository
    assert outside.returncode == 0 and json.loads(outside.stdout)["findings"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say what to review"),
        (["--range", "nope..HEAD"], "is not a commit here"),
        (["missing.patch"], "missing.patch: no such file"),
        (["bad.patch"], "bad.patch: line 8: malformed hunk in x.py"),
        (["--range", "HEAD~1..HEAD", "--staged"], "say what to review"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(repo: GitRepo, args: list[str], message: str) -> None:
    (repo.root / "bad.patch").write_text(
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n-b\n+B\ngarbage\n"
    )
    done = duckfix(args, repo.root)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_not_a_repository(tmp_path: Path) -> None:
    done = duckfix(["--range", "HEAD~1..HEAD"], tmp_path)
    assert done.returncode == 2 and "not inside a git repository" in done.stderr


def test_several_patch_files_are_one_review_and_json_is_one_object(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.commit(
        "Add a volume\n\nFor boxes.", {"vol.py": "def volume(a, b, c):\n    return a*b*c\n"}
    )
    names = repo.git("format-patch", "-2", "HEAD", "-o", str(tmp_path / "series")).split()
    assert len(names) == 2
    done = duckfix([*names, "--json"], repo.root)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert isinstance(doc, dict) and len(doc["patches"]) == 2
    assert {p["label"] for p in doc["patches"]} == {"Added a perimeter", "Add a volume"}
    both = duckfix([names[0], "--json", "--format", "sarif"], repo.root)
    assert both.returncode == 2 and "choose one" in both.stderr
    twice = duckfix(["-", "-"], repo.root, stdin="")
    assert twice.returncode == 2 and "give it once" in twice.stderr


def test_piped_terminal_output_is_not_wrapped(repo: GitRepo) -> None:
    long_name = "a_function_with_a_name_long_enough_to_cross_eighty_columns_in_any_terminal"
    repo.commit("Add it\n\nLong.", {"long.py": f"def {long_name}():   \n    return 1\n"})
    done = duckfix(["--range", "HEAD~1..HEAD"], repo.root)
    assert any(long_name in line for line in done.stdout.splitlines())
    assert all(not line.endswith("…") for line in done.stdout.splitlines())
