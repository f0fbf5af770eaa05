"""Commit messages: subject, body, sign-off, and Fixes: trailers against a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.agents.review_checks import commit_message
from duckfix.findings import Finding
from duckfix.patches import COMMIT_MSG, CommitInfo
from duckfix.review_settings import ReviewSettings

from tests.agents.review_checks.test_checks import SETTINGS
from tests.pipelines.review.gitrepo import GitRepo

ADA = "Ada Lovelace <ada@example.org>"
WHY = "The parser dropped the last token when the input had no newline."


def _check(
    subject: str, body: str = WHY, repo: Path | None = None, **settings: object
) -> list[Finding]:
    commit = CommitInfo(subject=subject, body=body, author=ADA, sha="c0ffee" * 6 + "abcd")
    return commit_message.check(commit, repo, ReviewSettings(**settings) if settings else SETTINGS)


def _rules(found: list[Finding]) -> list[tuple[int, str, str]]:
    return [(f.line, f.category, f.severity) for f in found]


def test_a_good_message_passes() -> None:
    body = f"{WHY}\n\nSigned-off-by: {ADA}"
    assert _check("parser: keep the last token", body, signoff=True) == []


def test_findings_name_the_message_and_the_commit() -> None:
    (found,) = _check("Fix the parser.")
    assert (found.path, found.line, found.commit) == (COMMIT_MSG, 1, "c0ffee" * 6 + "abcd")
    assert (found.category, found.severity) == ("commit/subject-period", "note")
    assert found.suggestion == "Fix the parser"


def test_long_subject() -> None:
    found = _check("parser: " + "keep the last token " * 4)
    assert _rules(found) == [(1, "commit/subject-length", "warning")]
    assert _check("x" * 72) == []


@pytest.mark.parametrize(
    ("subject", "fixed"),
    [
        ("Added a cache", "Add a cache"),
        ("net: Fixes a leak in the socket code", "net: Fix a leak in the socket code"),
        ("pipelines/review: fixed the anchor line", "pipelines/review: fix the anchor line"),
        ("Adding tests", "Add tests"),
        ("Updated the docs", "Update the docs"),
        ("Updates the docs", "Update the docs"),
        ("fix(parser): removed dead code", "fix(parser): remove dead code"),
        ("Changes the default", "Change the default"),
        ("Simplified the loop", "Simplify the loop"),
        ("[PATCH v2 1/3] Removing a flag", "[PATCH v2 1/3] Remove a flag"),
    ],
)
def test_imperative_mood(subject: str, fixed: str) -> None:
    (found,) = _check(subject)
    assert (found.category, found.severity, found.suggestion) == (
        "commit/imperative",
        "warning",
        fixed,
    )


@pytest.mark.parametrize(
    "subject",
    ["Add a cache", "Speed up parsing", "Embedded: add board", "String handling: use memchr"],
)
def test_imperative_and_lookalikes_pass(subject: str) -> None:
    assert _check(subject) == []


def test_body() -> None:
    assert _rules(_check("Add a cache", "")) == [(1, "commit/no-body", "note")]
    found = _check("Add a cache", f"Signed-off-by: {ADA}")
    assert _rules(found) == [(1, "commit/no-body", "note")]
    assert "why" in found[0].message


def test_second_line_not_blank() -> None:
    found = _check("Add a cache\nfor the parser")
    assert _rules(found) == [(2, "commit/blank-line", "warning")]


def test_signoff_required_and_matching() -> None:
    found = _check("Add a cache", WHY, signoff=True)
    assert _rules(found) == [(3, "commit/signoff", "error")]
    assert "git commit -s" in found[0].message
    other = f"{WHY}\n\nSigned-off-by: Bob <bob@example.org>"
    assert _rules(_check("Add a cache", other)) == [(5, "commit/signoff", "warning")]
    both = f"{other}\nSigned-off-by: Ada L. <ADA@example.org>"
    assert _check("Add a cache", both, signoff=True) == []


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    git = GitRepo(tmp_path / "r")
    git.commit("init", {"a.txt": "a\n"})
    sha = git.commit("parser: handle empty input", {"a.txt": "b\n"})
    return git.root, sha


def test_fixes_naming_an_existing_commit(repo: tuple[Path, str]) -> None:
    root, sha = repo
    body = f'{WHY}\n\nFixes: {sha[:12]} ("parser: handle empty input")'
    assert _check("parser: keep the last token", body, root) == []


def test_fixes_naming_a_missing_commit(repo: tuple[Path, str]) -> None:
    root, _ = repo
    body = f'{WHY}\n\nFixes: {"1234abcd" * 2} ("parser: handle empty input")'
    (found,) = _check("parser: keep the last token", body, root)
    assert _rules([found]) == [(5, "commit/fixes", "warning")]
    assert "does not have" in found.message


def test_fixes_quoting_the_wrong_subject(repo: tuple[Path, str]) -> None:
    root, sha = repo
    body = f'{WHY}\n\nFixes: {sha[:12]} ("parser: handle the empty input")'
    (found,) = _check("parser: keep the last token", body, root)
    assert _rules([found]) == [(5, "commit/fixes", "warning")]
    assert '"parser: handle empty input"' in found.message
    assert found.suggestion == f'Fixes: {sha[:12]} ("parser: handle empty input")'


def test_malformed_fixes(repo: tuple[Path, str]) -> None:
    root, sha = repo
    body = f"{WHY}\n\nSigned-off-by: {ADA}\nFixes: {sha[:8]}"
    (found,) = _check("parser: keep the last token", body, root)
    assert _rules([found]) == [(6, "commit/fixes", "warning")]
    assert '("<its subject>")' in found.message
    assert found.suggestion == f'Fixes: {sha[:12]} ("parser: handle empty input")'
    # Without a repository the form is all that can be checked.
    (found,) = _check("parser: keep the last token", body)
    assert "malformed" in found.message
    assert _check("parser: keep the last token", f"{WHY}\n\nFixes: #42", root) == []
