"""Reviews on a server: what ``duckfix review --server`` and the hook send, and their answer.

The server's result is what ``duckfix review --json`` prints. The other
formats need each patch's files and commits (where a finding's code line and
message are read from): the client parses them from the very input it sent,
and rebuilds the review outcomes a local run would have, so the terminal,
SARIF and b4 renderers, the exit code and the hook's messages are the local
ones, run on the same data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from duckfix.errors import ServerError, ServerUnavailable, UsageError

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.git_cli import GitRepo
    from duckfix.patches import Review
    from duckfix.pipelines.review.run import ReviewOutcome
    from duckfix.service.remote.client import ServerClient

__all__ = [
    "RemoteReview",
    "commit_reviews",
    "outcomes_from_json",
    "push_reviews",
    "review_body",
    "run_remote",
]


@dataclass
class RemoteReview:
    """What a client sends for one review, and the reviews it parsed to read the answer."""

    body: dict[str, Any]
    reviews: list[Review]


def _options(settings: Settings, fail_on: str | None) -> dict[str, Any]:
    """The client's review settings, sent along: the server reviews as this run would."""
    return {
        "checks": list(settings.review.checks),
        "fail_on": fail_on or settings.review.block_on,
        "strict": settings.review.strict,
        "no_model": settings.llm.provider == "none",
    }


def review_body(
    settings: Settings,
    fail_on: str | None,
    *,
    texts: Sequence[tuple[str, str]] = (),
    rev_range: str | None = None,
    repo: Path | None = None,
) -> RemoteReview:
    """The request for one patch text (``(text, label)``) or one range of ``repo``.

    A range goes as the repository's path and the range: the server reads the
    commits from its own disk (the path must be under its ``server.repo_roots``),
    as a local run reads them, so nothing of the history is lost on the way.
    """
    from duckfix.pipelines.review import inputs

    if rev_range is not None:
        git_repo = inputs.open_repo(repo or Path.cwd())
        review = inputs.from_range(git_repo, rev_range)
        body = {"repo": _top(git_repo), "range": rev_range, "label": rev_range}
        return RemoteReview({**body, **_options(settings, fail_on)}, [review])
    if len(texts) != 1:
        raise UsageError("--server reviews one PATCH (or -) at a time; send the others in turn")
    text, label = texts[0]
    reviews = inputs.from_text(text, label)  # a bad patch is refused here, before any request
    field = "mbox" if inputs.is_patch_mail(text) else "diff"
    return RemoteReview({field: text, "label": label, **_options(settings, fail_on)}, reviews)


def _top(git_repo: GitRepo) -> str:
    return str(Path(git_repo.top or git_repo.git_dir).resolve())


def run_remote(
    client: ServerClient, body: dict[str, Any], progress: Any = None
) -> tuple[dict[str, Any], int]:
    """Submit the review, follow it to its end: the ``--json`` document and the exit code."""
    job = client.submit("/v1/reviews", json=body)
    try:
        if progress is None:
            done = client.follow(job)
        else:
            with progress:
                done = client.follow(job, progress.on_event)
    except ServerUnavailable:
        client.cancel(job["id"])  # nobody waits for it any more
        raise
    result = done.get("result")
    if not isinstance(result, dict):
        raise ServerError(f"{client.url}: job {done['id']} succeeded without a review result")
    return result, int(done.get("exit_code") or 0)


def outcomes_from_json(document: dict[str, Any], reviews: Sequence[Review]) -> list[ReviewOutcome]:
    """The outcomes a local run would have, from the server's ``--json`` document.

    Findings, coverage and omissions come from the server; each patch's files
    and commits from ``reviews``, the client's parse of what it sent (one
    review per patch, in the same order).
    """
    from duckfix.coverage import CheckRun
    from duckfix.findings import finding_from_dict
    from duckfix.pipelines.review.run import ReviewOutcome

    patches = document.get("patches") or []
    if len(patches) != len(reviews):
        raise ServerError(
            f"the server reviewed {len(patches)} patch(es) where this client parsed {len(reviews)}"
        )
    outcomes = []
    for doc, review in zip(patches, reviews, strict=True):
        coverage = [
            CheckRun(check=c["check"], path=path, status="ran")
            for c in doc["coverage"]
            for path in c["ran"]
        ]
        coverage += [
            CheckRun(check=c["check"], path=n["path"], status="not-run", reason=n["reason"])
            for c in doc["coverage"]
            for n in c["not_run"]
        ]
        outcomes.append(
            ReviewOutcome(
                review=review,
                findings=[finding_from_dict(f) for f in doc["findings"]],
                checks=list(document.get("checks") or []),
                omitted=list(doc.get("omitted") or []),
                coverage=coverage,
            )
        )
    return outcomes


def push_reviews(
    settings: Settings, url: str, git_repo: GitRepo, reviews: Sequence[Review], fail_on: str | None
) -> list[ReviewOutcome] | None:
    """The hook's reviews on ``url``, each a range of this repository (the server's disk too).

    None when a review is no range (a push of a root commit): the hook
    reviews it here as it would without a server. A server that does not
    answer within ``review.time_limit`` (down, slow, unreachable) is said on
    one line, and the push is reviewed here with the checks that need no
    model, so a push never waits on a server for long.
    """
    from duckfix.service.remote.client import ServerClient

    if any(".." not in (review.range_spec or "") for review in reviews):
        return None
    limit = settings.review.time_limit
    started = time.monotonic()
    outcomes: list[ReviewOutcome] = []
    try:
        with ServerClient.from_settings(settings, url, deadline=started + limit) as client:
            for review in reviews:
                body = {"repo": _top(git_repo), "range": review.range_spec,
                        "label": review.label, **_options(settings, fail_on)}  # fmt: skip
                document, _code = run_remote(client, body)
                outcomes += outcomes_from_json(document, [review])
        return outcomes
    except ServerUnavailable as exc:
        click.echo(
            f"duckfix: no answer from the server within {limit:g} s (review.time_limit; {exc}); "
            "reviewed here without the model",
            err=True,
        )
    return _local_without_model(settings, git_repo, reviews)


def commit_reviews(
    settings: Settings, url: str, git_repo: GitRepo, reviews: Sequence[Review]
) -> list[ReviewOutcome]:
    """The mail bot's reviews on ``url``: each commit sent as its own patch e-mail.

    The commits are in the bot's scratch worktree, which no server shares, so
    each goes as ``git format-patch`` prints it. A server that does not answer
    within ``review.time_limit`` per patch is said on stderr and in each
    outcome's omissions, and the patches are reviewed here without the model;
    any other refusal (a bad token, a scope) stops the pass, with its one line.
    """
    from duckfix.service.remote.client import ServerClient, server_url

    url = server_url(settings, url) or url
    limit = settings.review.time_limit * max(1, len(reviews))
    outcomes: list[ReviewOutcome] = []
    try:
        with ServerClient.from_settings(settings, url, deadline=time.monotonic() + limit) as client:
            for review in reviews:
                sha = review.commits[0].sha if review.commits else None
                mail = git_repo.run("format-patch", "-1", "--stdout", "--no-signature", sha or "")
                body = {"mbox": mail, "label": review.label, **_options(settings, None)}
                document, _code = run_remote(client, body)
                outcomes += [_on_commit(o, sha) for o in outcomes_from_json(document, [review])]
        return outcomes
    except ServerUnavailable as exc:
        said = f"no answer from the server within {limit:g} s ({exc}); reviewed without the model"
        click.echo(f"duckfix: mail: {said}", err=True)
    local = _local_without_model(settings, git_repo, reviews)
    for outcome in local:
        outcome.omitted.append(said)
    return local


def _on_commit(outcome: ReviewOutcome, sha: str | None) -> ReviewOutcome:
    """A patch e-mail names no commit: its message's findings get the applied commit's sha."""
    outcome.findings = [
        replace(f, commit=sha) if f.path == "COMMIT_MSG" and f.commit is None else f
        for f in outcome.findings
    ]
    return outcome


def _local_without_model(
    settings: Settings, git_repo: GitRepo, reviews: Sequence[Review]
) -> list[ReviewOutcome]:
    from duckfix.service.review_cmd import run_reviews

    local = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"provider": "none"})}
    )
    return run_reviews(reviews, local, git_repo)
