"""duckfix.git_cli: a repository read through git's command line, as the review and hook use it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from duckfix.errors import RepositoryError
from duckfix.git_cli import GitRepo
from duckfix.gitenv import DIFF_OPTIONS

from tests.pipelines.review.gitrepo import GitRepo as Fixture


@pytest.fixture
def repo(tmp_path: Path) -> Fixture:
    repo = Fixture(tmp_path / "proj")
    repo.commit("Start\n\nThe tool.", {"src/tool.py": "A = 1\n", "README.md": "# Tool\n"})
    repo.commit("Grow\n\nB too.", {"src/tool.py": "A = 1\nB = 2\n"})
    return repo


def test_opened_from_a_subfolder_and_bare(repo: Fixture, tmp_path: Path) -> None:
    opened = GitRepo.open(repo.root / "src")
    assert opened.top == repo.root.resolve() and opened.git_dir == (repo.root / ".git").resolve()
    assert opened.working_tree_dir == str(repo.root.resolve())
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(tmp_path / "b.git")],
                   check=True)  # fmt: skip
    bare = GitRepo.open(tmp_path / "b.git")
    assert bare.top is None and bare.working_tree_dir is None
    assert bare.blob("HEAD", "src/tool.py") == b"A = 1\nB = 2\n"


def test_not_a_repository_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    for where in (tmp_path / "plain", tmp_path / "missing"):
        with pytest.raises(RepositoryError, match="not inside a git repository"):
            GitRepo.open(where)


def test_revisions_blobs_and_the_index(repo: Fixture) -> None:
    git = GitRepo.open(repo.root)
    head = repo.git("rev-parse", "HEAD").strip()
    assert git.commit_sha("HEAD") == head and git.commit_sha(head[:10]) == head
    assert git.commit_sha("no-such-branch") is None
    assert git.blob("HEAD~1", "src/tool.py") == b"A = 1\n"
    assert git.blob("HEAD", "gone.py") is None
    repo.write({"src/tool.py": "A = 3\n"})
    repo.git("add", "src/tool.py")
    assert git.blob(":", "src/tool.py") == b"A = 3\n"  # the index, not HEAD
    assert git.succeeds("diff", "--quiet", "HEAD", "--", "README.md")
    assert not git.succeeds("diff", "--quiet", "--cached")


def test_git_errors_come_in_gits_words(repo: Fixture) -> None:
    git = GitRepo.open(repo.root)
    with pytest.raises(RepositoryError, match=r"git log nope: ambiguous argument 'nope'"):
        git.run("log", "nope")


def test_no_command_the_repositorys_configuration_names_runs(repo: Fixture) -> None:
    trap = repo.root.parent / "trap-ran"
    script = repo.root.parent / "trap.sh"
    script.write_text(f"#!/bin/sh\ntouch {trap}\nexit 0\n")
    script.chmod(0o755)
    repo.git("config", "core.fsmonitor", str(script))
    repo.git("config", "core.pager", str(script))
    repo.git("config", "diff.external", str(script))
    git = GitRepo.open(repo.root)
    # Commands that print diffs add DIFF_OPTIONS: no external driver, no textconv.
    git.run("diff", *DIFF_OPTIONS, "HEAD~1", "HEAD")
    git.run("status", "--porcelain")
    assert not trap.exists()
