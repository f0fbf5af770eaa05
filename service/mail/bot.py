"""One pass of the mail bot over a mailbox: ingest, group, apply, review, queue, send.

The steps, each recorded in the store before the next begins:

1. every message is parsed; one that is not a patch (or cannot be read) is
   recorded as skipped with the reason;
2. patches are grouped into series; a series not ready yet is ``waiting``, one
   whose wait ran out with patches missing is ``incomplete``;
3. a ready series is applied with ``git am`` in a temporary worktree; if a
   patch does not apply, one reply says which and why;
4. otherwise each patch is reviewed (the review pipeline on its commit, plus
   the series checks) and the replies are composed and *queued* in the same
   transaction that marks the series reviewed;
5. queued replies are sent (SMTP) or written to the outbox, each marked sent
   right after.

A second pass over the same mailbox finds every message known and every
series final, so it sends nothing; a pass after a crash finds the queue
where the crash left it and sends what was not sent.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from duckfix.config import Settings
from duckfix.errors import UsageError
from duckfix.service.mail.model import MailMessage, Series
from duckfix.service.mail.state import MailState, QueuedReply, reply_id_for
from duckfix.store import Store

if TYPE_CHECKING:
    from duckfix.pipelines.review.run import ReviewOutcome

__all__ = ["PassReport", "Sender", "read_source", "run_pass", "send_queued"]


Reviewer = Callable[[Path, Series, dict[int, str]], dict[int, "ReviewOutcome"]]
"""Reviews the applied patches of a series: patch number -> the review of its commit."""


class Sender(Protocol):
    """Where replies go: the outbox maildir, or an SMTP server."""

    def deliver(self, message: EmailMessage) -> object:  # pragma: no cover - protocol
        ...


@dataclass
class PassReport:
    """What one pass did, for the user."""

    read: int = 0
    new: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(subject or id, reason) of messages skipped in this pass."""
    series: dict[str, str] = field(default_factory=dict)
    """Series title -> what happened to it in this pass."""
    queued: int = 0
    sent: int = 0


def read_source(source: str, settings: Settings) -> tuple[str, list[tuple[str, bytes]]]:
    """(a name for the source, its raw messages): an mbox file, a maildir, or ``imap``."""
    from duckfix.service.mail import ingest

    if source == "imap":
        return f"imap:{settings.mail.imap_host}", list(ingest.read_imap(settings.mail))
    path = Path(source).expanduser()
    if path.is_dir():
        if not ((path / "cur").is_dir() or (path / "new").is_dir()):
            raise UsageError(f"{source}: a folder but not a maildir (no cur/ or new/ inside)")
        return str(path.resolve()), list(ingest.read_maildir(path))
    if path.is_file():
        return str(path.resolve()), list(ingest.read_mbox(path))
    raise UsageError(f"{source}: no such mbox file or maildir (or say 'imap')")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip("<> ") or "localhost"


def run_pass(
    source: str,
    settings: Settings,
    store: Store,
    *,
    now: datetime | None = None,
    review: Reviewer | None = None,
) -> PassReport:
    """Steps 1-4 for every message of ``source``; replies are queued, not sent.

    ``review`` reviews the applied patches (default: the review pipeline on
    each patch's commit, :func:`make_reviewer`).
    """
    from duckfix.service.mail import ingest
    from duckfix.service.mail import series as grouping

    if not settings.mail.repo:  # checked before anything is read or recorded
        raise UsageError("mail.repo is not set: the repository the patches are applied to")
    state = MailState(store)
    name, raws = read_source(source, settings)
    report = PassReport(read=len(raws))
    messages: list[MailMessage] = []
    for key, raw in raws:
        parsed = ingest.parse(raw)
        if isinstance(parsed, MailMessage):
            messages.append(parsed)
            continue
        ident = parsed.message_id or f"{name}#{key}"
        state.skip(ident, _subject_of(raw), name, parsed.reason)
        report.skipped.append((ident, parsed.reason))
    known = state.known()
    report.new = state.see(messages, name)
    all_series, strays = grouping.group(messages)
    # A series waits after its last message *arrived*: Date: is the author's
    # date (format-patch keeps it), which can be days old. The bot's first
    # sight of a message is the arrival time it can trust.
    arrived = state.first_seen()
    now = now or datetime.now(UTC)  # after the messages were recorded as seen
    for series in all_series:
        times = [arrived[m.message_id] for m in series.messages if m.message_id in arrived]
        if times:
            series.last_seen = max(times)
    for message, reason in strays:
        if known.get(message.message_id, "seen") == "seen":
            state.skip(message.message_id, message.raw_subject, name, reason)
            if message.message_id not in known:
                report.skipped.append((message.raw_subject, reason))
    for series in all_series:
        if state.series_state(series.key) in ("reviewed", "not_applied"):
            continue
        verdict = grouping.ready(series, now, settings.mail.wait_minutes)
        if verdict == "waiting":
            state.record_series(series, "waiting", "waiting for the series to settle")
            report.series[series.title] = "waiting"
        elif verdict == "incomplete":
            missing = ", ".join(str(n) for n in series.missing)
            why = f"incomplete: patch(es) {missing} of {series.total} never arrived"
            state.record_series(series, "incomplete", why)
            report.series[series.title] = why
        else:
            reviewer = review or make_reviewer(settings)
            report.series[series.title] = _review_series(series, settings, state, now, reviewer)
            report.queued += sum(1 for r in state.queued() if r.series_key == series.key)
    return report


def _subject_of(raw: bytes) -> str:
    try:
        msg = email.message_from_bytes(raw[:65536], policy=email.policy.default)
        return str(msg.get("Subject", ""))[:300]
    except Exception:  # a message too broken to read even its subject
        return ""


def _review_series(
    series: Series,
    settings: Settings,
    state: MailState,
    now: datetime,
    review: Reviewer,
) -> str:
    from duckfix.service.mail import reply as compose
    from duckfix.service.mail.apply import applied_series

    mail = settings.mail
    if not mail.repo:
        raise UsageError("mail.repo is not set: the repository the patches are applied to")
    repo = Path(mail.repo).expanduser()
    domain = _domain(mail.from_address)
    list_key = mail.list_address or "default"
    state.record_series(series, "waiting", "")
    with applied_series(repo, series, mail.base) as applied:
        if not applied.ok:
            assert applied.failed is not None
            rid = reply_id_for(applied.failed.message_id, "apply", domain)
            msg = compose.compose_apply_failure(
                applied.failed, applied.reason, settings=mail, now=now, message_id=rid,
                base=applied.base,
            )  # fmt: skip
            queued = QueuedReply(rid, applied.failed.message_id, series.key, "apply", list_key,
                                 msg.as_string())  # fmt: skip
            state.finish_series(
                series, "not_applied", [queued], f"does not apply: {applied.reason}"
            )
            return "not applied"
        assert applied.worktree is not None
        results = review(applied.worktree, series, applied.commits)
    from duckfix.conventions import Conventions, conventions_for
    from duckfix.service.mail.series_checks import check_series

    # Each review read its commit's message already: the series checks use it.
    commits = {n: o.review.commits[0] for n, o in results.items() if o.review.commits}
    conventions = (
        conventions_for(repo, applied.base, settings.review.history)
        if settings.review.conventions
        else Conventions()
    )
    extra = check_series(series, commits, mail, conventions)
    replies: list[QueuedReply] = []
    per_patch: list[tuple[str, int]] = []
    for number, patch in sorted(series.patches.items()):
        outcome = results.get(number)
        # Only the checks that ran are named: one that could not run is the
        # bot's business (mail status), never the author's.
        findings, checks = (outcome.findings, outcome.ran_checks) if outcome else ([], [])
        sha = applied.commits.get(number)
        findings = findings + [f for f in extra if f.commit == sha]
        per_patch.append((patch.raw_subject, len(findings)))
        if not findings:
            continue
        rid = reply_id_for(patch.message_id, "review", domain)
        msg = compose.compose_reply(
            patch, findings, checks=[*checks, "series"], settings=mail, now=now, message_id=rid
        )
        replies.append(QueuedReply(rid, patch.message_id, series.key, "review", list_key,
                                   msg.as_string()))  # fmt: skip
    if mail.summary_reply and series.cover is not None:
        rid = reply_id_for(series.cover.message_id, "summary", domain)
        msg = compose.compose_summary(
            series.cover, per_patch, settings=mail, now=now, message_id=rid
        )
        replies.append(QueuedReply(rid, series.cover.message_id, series.key, "summary", list_key,
                                   msg.as_string()))  # fmt: skip
    found = sum(n for _, n in per_patch)
    state.finish_series(series, "reviewed", replies, f"{found} finding(s)")
    return f"reviewed: {found} finding(s), {len(replies)} repl{'y' if len(replies) == 1 else 'ies'}"


def make_reviewer(settings: Settings) -> Reviewer:
    """The review of each applied patch: the review pipeline on its commit."""
    from duckfix.pipelines.review.inputs import from_commits, open_repo
    from duckfix.service.review_cmd import run_reviews

    def review(worktree: Path, series: Series, commits: dict[int, str]) -> dict[int, ReviewOutcome]:
        repo = open_repo(worktree)
        numbers = sorted(commits)
        reviews = [from_commits(repo, [commits[n]], series.patches[n].raw_subject) for n in numbers]
        if settings.mail.server:  # the team's server reviews (mail.server)
            from duckfix.service.remote.review import commit_reviews

            outcomes = commit_reviews(settings, settings.mail.server, repo, reviews)
        else:
            outcomes = run_reviews(reviews, settings, repo)
        return dict(zip(numbers, outcomes, strict=True))

    return review


def send_queued(
    state: MailState,
    sender: Sender,
    wait: Callable[[str], Any] | None = None,
) -> int:
    """Send every queued reply (oldest first), marking each sent right after; returns how many."""
    from duckfix.service.mail.reply import POLICY

    sent = 0
    for reply in state.queued():
        if wait is not None:
            wait(reply.list_key)
        message = email.message_from_string(reply.raw, policy=POLICY)
        assert isinstance(message, EmailMessage)
        sender.deliver(message)
        state.sent(reply, getattr(sender, "via", "smtp"))
        sent += 1
    return sent
