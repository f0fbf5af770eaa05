"""Coverage as users see it: which checks ran where, and which could not, never as findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from tests.pipelines.review.gitrepo import GitRepo
from tests.service.test_review_cmd import SCHEMA, duckfix

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
BROKEN = "u32 f(void)\n{\n\treturn 0;\n}\n"  # u32: a type the build's flags would bring


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Start\n\nThe driver.", {"drv.c": BROKEN, "tool.py": "A = 1\n"})
    repo.commit(
        "Grow the driver\n\nIt needs a counter.",
        {"drv.c": BROKEN.replace("\treturn", "\tint n = 0;\n\treturn"), "tool.py": "A = 2\n"},
    )
    return repo


@needs_gcc
def test_a_check_that_could_not_run_is_coverage_in_every_format(repo: GitRepo) -> None:
    terminal = duckfix(["--range", "HEAD~1..HEAD"], repo.root)
    assert terminal.returncode == 0, terminal.stderr
    assert "no findings in 2 files" in terminal.stdout
    coverage = next(line for line in terminal.stdout.splitlines() if line.startswith("coverage:"))
    assert "python 1" in coverage and "could not run: c on 1 file (drv.c: " in coverage
    assert "u32" in coverage

    doc = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "json"], repo.root).stdout)
    assert doc["findings"] == []
    c = next(entry for entry in doc["coverage"] if entry["check"] == "c")
    assert c["ran"] == [] and [n["path"] for n in c["not_run"]] == ["drv.c"]
    python = next(entry for entry in doc["coverage"] if entry["check"] == "python")
    assert python == {"check": "python", "ran": ["tool.py"], "not_run": []}

    log = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "sarif"], repo.root).stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    (run,) = log["runs"]
    assert run["results"] == []
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and note["descriptor"] == {"id": "c"}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "drv.c"
    assert run["invocations"][0]["executionSuccessful"] is True

    (b4,) = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "b4"], repo.root).stdout)
    (entry,) = json.loads(b4["details"])
    assert b4["status"] == "pass" and entry["status"] == "pass"
    assert entry["description"].startswith("not a finding: c could not run on drv.c")


@needs_gcc
def test_strict_makes_could_not_run_an_error(repo: GitRepo) -> None:
    repo.commit("Settings\n\nCI wants every check.", {"duckfix.toml": "[review]\nstrict = true\n"})
    repo.commit("Again\n\nMore.", {"drv.c": BROKEN.replace("return 0", "return 1")})
    done = duckfix(["--range", "HEAD~1..HEAD", "--format", "sarif"], repo.root)
    assert done.returncode == 1
    assert "could not run (review.strict)" in done.stderr and "drv.c" in done.stderr
    (run,) = json.loads(done.stdout)["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_repo_reads_that_repositorys_settings(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("Settings\n\nOnly hygiene.", {"duckfix.toml": '[review]\nchecks = ["hygiene"]\n'})
    repo.commit("More\n\nX.", {"tool.py": "A = undefined_name\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = duckfix(
        ["--range", "HEAD~1..HEAD", "--repo", str(repo.root), "--format", "json"], elsewhere
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["checks"] == ["hygiene"]


def test_a_patch_outside_its_repository(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit(
        "Add and change\n\nBoth.",
        {"new.py": "B = undefined_name\n", "tool.py": "A = also_undefined\n"},
    )
    patch = repo.git("format-patch", "--stdout", "-1", "HEAD")
    (tmp_path / "p.patch").write_text(patch)
    done = duckfix([str(tmp_path / "p.patch"), "--format", "json"], tmp_path)
    doc = json.loads(done.stdout)
    # The new file's whole text is in the patch: ruff checks it.
    assert [(f["path"], f["category"]) for f in doc["findings"]] == [("new.py", "python/F821")]
    python = next(entry for entry in doc["coverage"] if entry["check"] == "python")
    assert python["ran"] == ["new.py"]
    assert python["not_run"] == [
        {"path": "tool.py", "reason": "the file's new text is not known here "
         "(the patch is not applied to this checkout)"}
    ]  # fmt: skip


def test_json_is_one_object_for_an_mbox(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("Third\n\nX.", {"tool.py": "A = 3\n"})
    mbox = repo.git("format-patch", "--stdout", "HEAD~2..HEAD")
    (tmp_path / "s.mbox").write_text(mbox)
    doc = json.loads(duckfix([str(tmp_path / "s.mbox"), "--format", "json"], repo.root).stdout)
    assert isinstance(doc, dict) and doc["label"] == "s.mbox"
    assert [p["label"] for p in doc["patches"]] == ["Grow the driver", "Third"]
    single = json.loads(duckfix(["--range", "HEAD~1..HEAD", "--format", "json"], repo.root).stdout)
    assert list(single) == list(doc)
