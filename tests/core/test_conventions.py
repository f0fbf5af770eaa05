"""Conventions learned from a project's history, and the commit rules that follow them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from duckfix.agents.review_checks import commit_message
from duckfix.conventions import MIN_COMMITS, conventions_for, describe, learn_from_messages
from duckfix.patches import CommitInfo
from duckfix.review_settings import ReviewSettings
from duckfix.service.cli import cli

from tests.pipelines.review.gitrepo import GitRepo

SETTINGS = ReviewSettings()
SOB = "Signed-off-by: Ada <ada@example.org>"


def kernel_style(n: int = 30) -> list[str]:
    """A list's history: area prefixes, bodies, sign-offs, Helped-by, 10-digit Fixes: tags."""
    out = []
    for i in range(n):
        trailers = [SOB, "Helped-by: Bob <bob@example.org>"] if i % 2 else [SOB]
        if i % 5 == 0:
            trailers.insert(0, f'Fixes: {i:010x} ("net: an older change")')
        out.append(f"net: change {i}\n\nWhy change {i} is needed.\n\n" + "\n".join(trailers))
    return out


def squash_style(n: int = 30) -> list[str]:
    """A GitHub project's history: squash merges, no bodies, no sign-offs, no Fixes:."""
    return [f"Bump dependency {i} (#{100 + i})" for i in range(n)]


def test_learned_from_a_lists_history() -> None:
    c = learn_from_messages(kernel_style())
    assert c.known and c.commits == 30
    assert c.trailers["Signed-off-by"] == 30 and c.trailers["Helped-by"] == 15
    assert c.signoff_expected and c.uses_fixes and c.fixes_sha_length == 10
    assert c.bodies_expected and c.subject_style == "area"
    text = "\n".join(describe(c))
    assert "Helped-by (15)" in text and "at least 10 hex digits" in text


def test_learned_from_a_squash_merging_project() -> None:
    c = learn_from_messages(squash_style())
    assert not c.signoff_expected and not c.uses_fixes and not c.bodies_expected
    assert c.subject_style is None


def test_too_little_history_teaches_nothing() -> None:
    c = learn_from_messages(squash_style(MIN_COMMITS - 1))
    assert not c.known and c.bodies_expected and c.uses_fixes
    assert "too few" in describe(c)[0]


def rules(message: str, history: list[str], author: str = "Ada <ada@example.org>") -> set[str]:
    subject, _, body = message.partition("\n\n")
    commit = CommitInfo(subject, body, author, "c0ffee")
    found = commit_message.check(commit, None, SETTINGS, learn_from_messages(history))
    return {f"{f.category}@{f.line}" for f in found}


def test_rules_follow_the_history() -> None:
    bare = "Bump dependency 99 (#199)"
    assert "commit/no-body@1" in rules(bare, kernel_style())
    assert "commit/no-body@1" not in rules(bare, squash_style())
    # A sign-off from another address: a slip where sign-offs are the rule, a bot's doing elsewhere.
    other = "Add x\n\nBecause.\n\nSigned-off-by: Bot <support@example.com>"
    assert "commit/signoff@5" in rules(other, kernel_style())
    assert "commit/signoff@5" not in rules(other, squash_style())
    assert "commit/signoff@5" not in rules(other, kernel_style(), "dependabot[bot] <x@y>")
    # The project's own Fixes: length is well-formed; shorter is not.
    ten = f'net: fix y\n\nWhy.\n\nFixes: {"a" * 10} ("net: an older change")\n{SOB}'
    assert not any(r.startswith("commit/fixes") for r in rules(ten, kernel_style()))
    assert any(r.startswith("commit/fixes") for r in rules(ten, squash_style()))
    # No area prefix where every subject has one.
    assert "commit/subject-prefix@1" in rules("Change z\n\nWhy.\n\n" + SOB, kernel_style())
    assert "commit/subject-prefix@1" not in rules("Change z\n\nWhy.", squash_style())


def test_trailers_the_project_uses_are_understood_and_misspellings_are_not() -> None:
    fine = f"net: x\n\nWhy.\n\nHelped-by: Bob <b@x>\nAssisted-by: a tool\n{SOB}"
    assert not any("trailer" in r for r in rules(fine, kernel_style()))
    typo = "net: x\n\nWhy.\n\nReviewed-By: Bob <b@x>\nSigned-of-by: Ada <ada@example.org>"
    subject, _, body = typo.partition("\n\n")
    commit = CommitInfo(subject, body, "Ada <ada@example.org>", "c0ffee")
    found = commit_message.check(commit, None, SETTINGS, learn_from_messages(kernel_style()))
    fixed = {f.suggestion for f in found if f.category == "commit/trailer"}
    assert fixed == {"Reviewed-by: Bob <b@x>", "Signed-off-by: Ada <ada@example.org>"}


def test_read_from_a_repository_before_the_reviewed_commits(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    for i, message in enumerate(squash_style(25)):
        repo.commit(message, {"f.txt": f"{i}\n"})
    learned = conventions_for(repo.root, "HEAD", 300)
    assert learned.commits == 25 and not learned.bodies_expected
    assert conventions_for(repo.root, "HEAD~20", 300).commits == 5
    assert not conventions_for(tmp_path, "HEAD", 300).known  # not a repository


def test_explain_conventions_prints_what_was_learned(tmp_path: Path, monkeypatch: object) -> None:
    repo = GitRepo(tmp_path / "r")
    for i, message in enumerate(kernel_style(22)):
        repo.commit(message, {"f.txt": f"{i}\n"})
    result = CliRunner().invoke(cli, ["review", "--explain-conventions", "--repo", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert "Helped-by (11)" in result.output and "expected from every author" in result.output
