"""The files of a reviewed revision: the commit's, never the checkout's."""

from __future__ import annotations

import os
from pathlib import Path

from duckfix.source_tree import SourceTree

from tests.pipelines.review.gitrepo import GitRepo


def _repo(tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo = GitRepo(tmp_path / "r")
    first = repo.commit("one", {"inc/api.h": "int old_api(void);\n", "README": "hi\n"})
    repo.commit("two", {"inc/api.h": "int new_api(void);\n", "src/m.c": "int m;\n"})
    return repo, first, repo.git("rev-parse", "HEAD").strip()


def test_an_older_commit_is_copied_out_of_git(tmp_path: Path) -> None:
    repo, first, _ = _repo(tmp_path)
    tree = SourceTree(repo.root, first)
    assert not tree.checkout_matches()
    assert tree.paths() == ["README", "inc/api.h"]
    assert tree.read("inc/api.h") == b"int old_api(void);\n"
    assert tree.read("src/m.c") is None  # not there yet at that commit
    folder = tree.folder(lambda p: p.endswith(".h"))
    assert folder != repo.root
    assert (folder / "inc/api.h").read_text() == "int old_api(void);\n"
    assert not (folder / "README").exists()  # only what was asked for
    assert tree.folder() == folder and (folder / "README").read_text() == "hi\n"
    assert os.stat(folder).st_mode & 0o111 == 0o111  # the sandbox's uid can pass through
    tree.close()
    assert not folder.exists()


def test_the_checkout_stands_in_only_when_it_is_that_commit_unchanged(tmp_path: Path) -> None:
    repo, _, head = _repo(tmp_path)
    assert SourceTree(repo.root, head).folder() == repo.root
    repo.write({"inc/api.h": "int edited(void);\n"})  # a change not committed
    tree = SourceTree(repo.root, head)
    folder = tree.folder()
    assert folder != repo.root
    assert (folder / "inc/api.h").read_text() == "int new_api(void);\n"
    tree.close()


def test_grep_finds_files_of_the_revision(tmp_path: Path) -> None:
    repo, first, head = _repo(tmp_path)
    assert SourceTree(repo.root, head).grep("new_api", [".h"]) == ["inc/api.h"]
    assert SourceTree(repo.root, first).grep("new_api", [".h"]) == []
    assert SourceTree(repo.root, head).grep("int m", [".c", ".h"]) == ["src/m.c"]


def test_links_are_never_copied_out(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    (repo.root / "secret.h").symlink_to("/etc/passwd")
    repo.commit("a link", {"a.h": "int a;\n"})
    tree = SourceTree(repo.root, repo.git("rev-parse", "HEAD").strip())
    assert tree.paths() == ["a.h"]
    repo.write({"a.h": "int changed;\n"})
    folder = tree.folder()
    assert not (folder / "secret.h").exists() and not (folder / "secret.h").is_symlink()
    tree.close()


def test_the_index(tmp_path: Path) -> None:
    repo, _, _ = _repo(tmp_path)
    repo.write({"inc/api.h": "int staged(void);\n"})
    repo.git("add", "inc/api.h")
    repo.write({"inc/api.h": "int unstaged(void);\n"})
    tree = SourceTree(repo.root, ":")
    assert tree.read("inc/api.h") == b"int staged(void);\n"
    assert (tree.folder() / "inc/api.h").read_text() == "int staged(void);\n"
    tree.close()
