"""Parsing diffs: every kind of change git makes, and malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.diff import FileChange, parse_diff, unquote_path
from duckfix.errors import PatchError

from tests.pipelines.review.gitrepo import GitRepo


@pytest.fixture
def changes(tmp_path: Path) -> dict[str, FileChange]:
    repo = GitRepo(tmp_path / "r")
    repo.commit(
        "init",
        {
            "keep.py": "a = 1\nb = 2\nc = 3\n",
            "gone.txt": "bye\n",
            "old name.txt": "same\ncontent\n",
            "edit then move.py": "x = 1\ny = 2\nz = 3\nw = 4\n",
            "blob.bin": b"\x00\x01\x02",
            "run.sh": "echo hi\n",
        },
    )
    (repo.root / "gone.txt").unlink()
    repo.git("mv", "old name.txt", "neu\u00e4 name.txt")
    repo.git("mv", "edit then move.py", "moved.py")
    repo.write(
        {
            "keep.py": "a = 1\nb = 20\nc = 3\nd = 4",  # no newline at the end
            "moved.py": "x = 1\ny = 2\nz = 3\nw = 40\n",
            "new.c": "int main(void) { return 0; }\n",
            "blob.bin": b"\x00\x01\x03",
        }
    )
    (repo.root / "run.sh").chmod(0o755)
    repo.commit("change everything")
    text = repo.git("diff", "-M", "HEAD~1", "HEAD")
    return {c.path: c for c in parse_diff(text)}


def test_added_deleted_modified(changes: dict[str, FileChange]) -> None:
    new = changes["new.c"]
    assert new.status == "added" and new.old_path is None
    assert new.added_lines == {1: "int main(void) { return 0; }"}
    assert changes["gone.txt"].status == "deleted"
    keep = changes["keep.py"]
    assert keep.status == "modified" and keep.added_lines == {2: "b = 20", 4: "d = 4"}
    assert keep.hunks[-1].no_newline_at_end
    assert keep.shown_lines == {1, 2, 3, 4}


def test_renames_with_and_without_changes_and_quoted_paths(changes: dict[str, FileChange]) -> None:
    pure = changes["neu\u00e4 name.txt"]
    assert pure.status == "renamed" and pure.old_path == "old name.txt"
    assert pure.similarity == 100 and pure.hunks == []
    edited = changes["moved.py"]
    assert edited.status == "renamed" and edited.old_path == "edit then move.py"
    assert edited.added_lines == {4: "w = 40"}


def test_binary_and_mode_only(changes: dict[str, FileChange]) -> None:
    blob = changes["blob.bin"]
    assert blob.binary and blob.hunks == []
    mode = changes["run.sh"]
    assert mode.mode_only and (mode.old_mode, mode.new_mode) == ("100644", "100755")


def test_unquote_path() -> None:
    assert unquote_path('"b/\\303\\244 x.txt"') == "b/\u00e4 x.txt"
    assert unquote_path('"tab\\there"') == "tab\there"
    assert unquote_path("plain.txt") == "plain.txt"


def test_a_plain_unified_diff_without_git_headers() -> None:
    text = "--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    (change,) = parse_diff(text)
    assert change.path == "f.py" and change.status == "modified"
    assert change.added_lines == {2: "y = 3"}
    assert change.hunks[0].diff_line == 3


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (" x = 1\n-y = 2\n+y = 3\ngarbage here\n", "line 7: malformed hunk in f.py"),
        (" x = 1\n", "line 3: malformed hunk in f.py: it ends before"),
    ],
)
def test_a_malformed_hunk_names_file_and_line(body: str, where: str) -> None:
    text = "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n" + body
    with pytest.raises(PatchError, match=where):
        parse_diff("\n" * 0 + text, "my.patch")
