"""The review graph: the same findings as the direct path, plus the reviewer model within limits."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from duckfix.llm import FakeProvider, LLMClient, Message
from duckfix.pipelines.review.graph import ReviewContext, review_patch
from duckfix.pipelines.review.inputs import from_range, open_repo
from duckfix.pipelines.review.run import run_review
from duckfix.review_settings import ReviewSettings

from tests.pipelines.review.gitrepo import GitRepo

BEFORE = "def parse(text):\n    parts = text.split(',')\n    return [p.strip() for p in parts]\n"
AFTER = (
    "import os\n\n\ndef parse(text):\n    parts = text.split(',')   \n"
    "    os.system('rm -rf /tmp/cache')\n    return [p.strip() for p in parts]\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Add parse", {"parse.py": BEFORE, "notes.txt": "one\n"})
    repo.commit("Clear the cache while parsing", {"parse.py": AFTER, "notes.txt": "one\ntwo\n"})
    return repo


def _model(answer: dict[str, object], delay: float = 0.0) -> tuple[FakeProvider, LLMClient]:
    def respond(messages: list[Message]) -> str:
        time.sleep(delay)
        return json.dumps(answer)

    fake = FakeProvider(responder=respond)
    return fake, LLMClient(fake)


def test_the_graph_without_a_model_matches_the_direct_path(repo: GitRepo) -> None:
    git = open_repo(repo.root)
    settings = ReviewSettings()
    direct = run_review(from_range(git, "HEAD~1..HEAD"), settings, git)
    graph = review_patch(
        from_range(git, "HEAD~1..HEAD"), ReviewContext(settings=settings, repo=git)
    )
    assert direct.findings and graph.findings == direct.findings
    assert graph.checks == direct.checks and "model" not in graph.checks


def test_the_model_finds_what_rules_cannot_and_its_stray_lines_are_dropped(repo: GitRepo) -> None:
    answer = {
        "findings": [
            {"line": 6, "severity": "error", "kind": "side effect",
             "message": "parse() deletes a cache folder: parsing must not touch the disk"},
            {"line": 40, "severity": "warning", "kind": "bug", "message": "not there"},
        ]
    }  # fmt: skip
    fake, llm = _model(answer)
    git = open_repo(repo.root)
    outcome = review_patch(from_range(git, "HEAD~1..HEAD"), ReviewContext(repo=git, llm=llm))
    model = [f for f in outcome.findings if f.category.startswith("model/")]
    assert [(f.path, f.line, f.severity, f.category) for f in model] == [
        ("parse.py", 6, "error", "model/side-effect")
    ]
    assert any("dropped: on lines the diff does not show" in n for n in outcome.omitted)
    assert "model" in outcome.checks
    # One request per file with hunks, each showing that file only, with the commit message.
    shown = sorted(m[1]["content"].split("## ")[2].split("\n")[0] for m, _ in fake.history)
    assert shown == ["notes.txt (modified)", "parse.py (modified)"]
    assert all("Clear the cache while parsing" in m[1]["content"] for m, _ in fake.history)


def test_files_over_the_token_budget_are_listed_not_silently_skipped(repo: GitRepo) -> None:
    fake, llm = _model({"findings": []})
    git = open_repo(repo.root)
    tight = ReviewSettings(model_tokens=400)  # notes.txt's prompt fits, parse.py's does not
    outcome = review_patch(
        from_range(git, "HEAD~1..HEAD"), ReviewContext(settings=tight, repo=git, llm=llm)
    )
    assert len(fake.history) == 1  # only the smaller file went to the model
    assert any(n.startswith("parse.py: not shown to the model") for n in outcome.omitted)


def test_a_slow_model_is_cut_at_the_time_limit_with_the_rule_findings_kept(repo: GitRepo) -> None:
    release = threading.Event()
    fake = FakeProvider(responder=lambda m: (release.wait(30), json.dumps({"findings": []}))[1])
    git = open_repo(repo.root)
    started = time.monotonic()
    context = ReviewContext(repo=git, llm=LLMClient(fake), deadline=time.monotonic() + 1.0)
    outcome = review_patch(from_range(git, "HEAD~1..HEAD"), context)
    waited = time.monotonic() - started
    release.set()
    assert waited < 20  # it did not wait for the model's 30 s
    assert any("not reviewed by the model within the time limit" in n for n in outcome.omitted)
    assert any(f.category == "hygiene/trailing-whitespace" for f in outcome.findings)
