"""Where reviews come from: ranges, the index, bare diffs, format-patch e-mails and mboxes."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.errors import PatchError, RepositoryError
from duckfix.pipelines.review.context import gather
from duckfix.pipelines.review.inputs import (
    from_commits,
    from_range,
    from_staged,
    from_text,
    is_patch_mail,
    new_commits,
    open_repo,
)

from tests.pipelines.review.gitrepo import GitRepo

PROGRAM = """\
def total(xs):
    s = 0
    for x in xs:
        s += x
    return s


def mean(xs):
    return total(xs) / len(xs)
"""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Add the sums", {"calc.py": PROGRAM})
    repo.commit(
        "Guard mean against empty input\n\nAn empty list divided by zero.\n\n"
        "Signed-off-by: Ada Lovelace <ada@example.org>",
        {
            "calc.py": PROGRAM.replace(
                "    return total(xs) / len(xs)",
                "    if not xs:\n        return 0.0\n    return total(xs) / len(xs)",
            )
        },
    )
    repo.commit(
        "Start at one", {"calc.py": (repo.root / "calc.py").read_text().replace("s = 0", "s = 1")}
    )
    return repo


def test_a_range_has_its_commits_and_the_files_at_its_end(repo: GitRepo) -> None:
    git = open_repo(repo.root)
    review = from_range(git, "HEAD~2..HEAD")
    assert [c.subject for c in review.commits] == ["Guard mean against empty input", "Start at one"]
    assert review.commits[0].trailers == [("Signed-off-by", "Ada Lovelace <ada@example.org>")]
    assert review.commits[0].author == "Ada Lovelace <ada@example.org>"
    (change,) = review.files
    assert change.added_lines == {2: "    s = 1", 9: "    if not xs:", 10: "        return 0.0"}
    (ctx,) = gather(review, git)
    assert ctx.new_text == (repo.root / "calc.py").read_text()
    # One hunk (the changes are within git's context of each other): its first change.
    assert [e.name if e else None for e in ctx.enclosing] == ["total"]


def test_one_revision_means_that_commit(repo: GitRepo) -> None:
    review = from_range(open_repo(repo.root), "HEAD")
    assert [c.subject for c in review.commits] == ["Start at one"]


@pytest.mark.parametrize("spec", ["nope..HEAD", "HEAD...HEAD~1", "HEAD~9..HEAD"])
def test_a_bad_range_is_a_clear_error(repo: GitRepo, spec: str) -> None:
    with pytest.raises(RepositoryError):
        from_range(open_repo(repo.root), spec)


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not inside a git repository"):
        open_repo(tmp_path)


def test_staged_changes_are_read_from_the_index(repo: GitRepo) -> None:
    repo.write({"calc.py": PROGRAM.replace("s += x", "s += x  # staged"), "new.py": "N = 1\n"})
    repo.git("add", "calc.py", "new.py")
    repo.write({"calc.py": "worktree only\n"})  # not staged: must not be seen
    git = open_repo(repo.root)
    review = from_staged(git)
    assert sorted(c.path for c in review.files) == ["calc.py", "new.py"]
    texts = {c.path: c.new_text for c in gather(review, git)}
    assert "# staged" in (texts["calc.py"] or "") and texts["new.py"] == "N = 1\n"


def test_new_commits_and_a_review_of_them(repo: GitRepo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "HEAD~1:refs/heads/main")
    repo.git("fetch", "-q", "origin")
    git = open_repo(repo.root)
    shas = new_commits(git, "HEAD")
    assert len(shas) == 1
    review = from_commits(git, shas, "push")
    assert [c.subject for c in review.commits] == ["Start at one"]
    assert review.files[0].added_lines == {2: "    s = 1"}
    root_review = from_commits(
        git, [repo.git("rev-list", "--max-parents=0", "HEAD").strip()], "root"
    )
    assert root_review.files[0].status == "added"


def _format_patch(repo: GitRepo, *args: str) -> str:
    return repo.git("format-patch", "--stdout", *args)


def test_a_format_patch_mail_splits_message_and_diff(repo: GitRepo) -> None:
    text = _format_patch(repo, "-1", "HEAD~1")
    assert is_patch_mail(text)
    (review,) = from_text(text, "guard.patch")
    (commit,) = review.commits
    assert commit.subject == "Guard mean against empty input"
    assert commit.body.startswith("An empty list divided by zero.")
    assert commit.trailers == [("Signed-off-by", "Ada Lovelace <ada@example.org>")]
    assert commit.author == "Ada Lovelace <ada@example.org>"
    assert review.files[0].added_lines == {9: "    if not xs:", 10: "        return 0.0"}


def test_an_empty_body_and_a_series_with_a_cover_letter(repo: GitRepo) -> None:
    text = _format_patch(repo, "--cover-letter", "--subject-prefix=PATCH v2", "HEAD~2")
    reviews = from_text(text, "series.mbox")
    assert [r.label for r in reviews] == ["Guard mean against empty input", "Start at one"]
    assert reviews[1].commits[0].body == ""  # "---" right after the headers


def test_a_mail_is_reviewed_against_the_work_tree_only_when_applied(repo: GitRepo) -> None:
    git = open_repo(repo.root)
    patch = _format_patch(repo, "-1", "HEAD")  # the work tree is at HEAD: applied
    (review,) = from_text(patch, "applied.patch", git)
    assert gather(review, git)[0].new_text == (repo.root / "calc.py").read_text()
    repo.write({"calc.py": "something else entirely\n"})  # no longer holds the patch
    assert gather(review, git)[0].new_text is None


def test_bad_text_inputs() -> None:
    with pytest.raises(PatchError, match="empty"):
        from_text("  \n", "stdin")
    with pytest.raises(PatchError, match="no diff found"):
        from_text("just some words\n", "notes.txt")
    with pytest.raises(PatchError, match="no patch in it"):
        from_text("From: a@b\nSubject: hello\n\nno diff here\n", "mail.eml")
