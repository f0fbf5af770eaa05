"""The mail bot's memory in the store: messages, series and replies, each with a state.

States only move forward, in this order, so a repeated or resumed run never
goes back to a step it has done:

* message: ``seen`` → ``waiting`` (its series is not ready) → ``reviewed`` (no
  reply needed) or ``reply_queued`` → ``reply_sent``; or ``skipped`` (with the
  reason) at any point before ``reviewed``;
* series: ``waiting`` → ``incomplete`` / ``not_applied`` / ``reviewed``;
* reply: ``queued`` → ``sent``.

A reply is composed and queued in the same transaction that marks its series
reviewed, with a Message-ID derived from the message it answers; sending is a
separate step that reads the queue. A crash between the two leaves the reply
queued, and the next run sends it: once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection, text

from duckfix.service.mail.model import MailMessage, Series
from duckfix.store import Store

__all__ = [
    "MESSAGE_ORDER",
    "MailState",
    "QueuedReply",
    "SeriesRow",
    "reply_id_for",
]

MessageState = Literal["seen", "waiting", "skipped", "reviewed", "reply_queued", "reply_sent"]
SeriesState = Literal["waiting", "incomplete", "not_applied", "reviewed"]
MESSAGE_ORDER: dict[str, int] = {
    "seen": 0,
    "waiting": 1,
    "skipped": 2,
    "reviewed": 3,
    "reply_queued": 3,
    "reply_sent": 4,
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def reply_id_for(message_id: str, kind: str, domain: str) -> str:
    """The Message-ID of the bot's reply of ``kind`` to ``message_id``: the same on every run."""
    digest = hashlib.sha256(f"{kind}\0{message_id}".encode()).hexdigest()[:24]
    return f"duckfix.{kind}.{digest}@{domain}"


@dataclass(frozen=True)
class QueuedReply:
    """A reply composed and waiting to be sent."""

    reply_id: str
    in_reply_to: str
    series_key: str
    kind: str
    list_key: str
    raw: str


@dataclass(frozen=True)
class SeriesRow:
    """A series as ``duckfix mail status`` shows it."""

    key: str
    title: str
    sender: str
    version: int
    total: int
    state: str
    reason: str
    updated_at: str
    replies_queued: int
    replies_sent: int
    replies_in_outbox: int = 0
    """Replies written to the outbox for a human to send (not sent by the bot)."""


class MailState:
    """Reads and moves the states of messages, series and replies (one store, any process)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- messages ----------------------------------------------------------------

    def known(self) -> dict[str, str]:
        """Message-ID -> state of every message seen so far."""
        with self.store.transaction() as conn:
            rows = conn.execute(text("SELECT message_id, state FROM mail_messages"))
            return {r[0]: r[1] for r in rows}

    def first_seen(self) -> dict[str, datetime]:
        """Message-ID -> when the bot first read it (its arrival, as far as the bot knows)."""
        with self.store.transaction() as conn:
            rows = conn.execute(text("SELECT message_id, created_at FROM mail_messages"))
            return {r[0]: datetime.fromisoformat(r[1]) for r in rows}

    def see(self, messages: Iterable[MailMessage], source: str) -> int:
        """Record messages not seen before as ``seen``; returns how many were new."""
        known = self.known()
        new = 0
        with self.store.transaction() as conn:
            for m in messages:
                if m.message_id in known:
                    continue
                known[m.message_id] = "seen"
                new += 1
                conn.execute(
                    text(
                        "INSERT INTO mail_messages (message_id, source, series_key, subject, "
                        "sender, state, reason, created_at, updated_at) "
                        "VALUES (:m, :src, NULL, :s, :f, 'seen', '', :t, :t)"
                    ),
                    {"m": m.message_id, "src": source, "s": m.raw_subject[:500],
                     "f": m.sender[:300], "t": _now()},
                )  # fmt: skip
        return new

    def skip(self, message_id: str, subject: str, source: str, reason: str) -> None:
        """Record a message the bot will not review, with why (only if not reviewed already)."""
        with self.store.transaction() as conn:
            row = conn.execute(
                text("SELECT state FROM mail_messages WHERE message_id = :m"), {"m": message_id}
            ).first()
            if row is None:
                conn.execute(
                    text(
                        "INSERT INTO mail_messages (message_id, source, series_key, subject, "
                        "sender, state, reason, created_at, updated_at) "
                        "VALUES (:m, :src, NULL, :s, '', 'skipped', :r, :t, :t)"
                    ),
                    {"m": message_id, "src": source, "s": subject[:500], "r": reason, "t": _now()},
                )
            elif MESSAGE_ORDER[row[0]] < MESSAGE_ORDER["skipped"]:
                self._move(conn, message_id, "skipped", reason)

    def _move(
        self,
        conn: Connection,
        message_id: str,
        state: MessageState,
        reason: str = "",
        series_key: str | None = None,
    ) -> None:
        conn.execute(
            text(
                "UPDATE mail_messages SET state = :s, reason = :r, updated_at = :t, "
                "series_key = COALESCE(:k, series_key) WHERE message_id = :m"
            ),
            {"s": state, "r": reason, "t": _now(), "k": series_key, "m": message_id},
        )

    # -- series ------------------------------------------------------------------

    def series_state(self, key: str) -> str | None:
        """The state of series ``key``, or None if it was never recorded."""
        with self.store.transaction() as conn:
            row = conn.execute(
                text("SELECT state FROM mail_series WHERE key = :k"), {"k": key}
            ).first()
            return None if row is None else str(row[0])

    def record_series(self, series: Series, state: SeriesState, reason: str = "") -> None:
        """Create or move series ``series.key`` (never back from a final state)."""
        current = self.series_state(series.key)
        if current in ("reviewed", "not_applied"):
            return
        with self.store.transaction() as conn:
            params = {
                "k": series.key, "title": series.title[:500], "f": series.sender_address,
                "v": series.version, "n": series.total, "s": state, "r": reason, "t": _now(),
            }  # fmt: skip
            if current is None:
                conn.execute(
                    text(
                        "INSERT INTO mail_series (key, title, sender, version, total, state, "
                        "reason, created_at, updated_at) "
                        "VALUES (:k, :title, :f, :v, :n, :s, :r, :t, :t)"
                    ),
                    params,
                )
            else:
                conn.execute(
                    text(
                        "UPDATE mail_series SET state = :s, reason = :r, total = :n, "
                        "updated_at = :t WHERE key = :k"
                    ),
                    params,
                )
            for m in series.messages:
                row = conn.execute(
                    text("SELECT state FROM mail_messages WHERE message_id = :m"),
                    {"m": m.message_id},
                ).first()
                if row is not None and row[0] == "seen":
                    self._move(conn, m.message_id, "waiting", reason, series.key)

    def finish_series(
        self,
        series: Series,
        state: Literal["reviewed", "not_applied"],
        replies: list[QueuedReply],
        reason: str = "",
    ) -> None:
        """In one transaction: queue ``replies``, mark each message and the series done."""
        self.record_series(series, "waiting")
        answered = {r.in_reply_to for r in replies}
        with self.store.transaction() as conn:
            for r in replies:
                exists = conn.execute(
                    text("SELECT 1 FROM mail_replies WHERE reply_id = :i"), {"i": r.reply_id}
                ).first()
                if exists:
                    continue
                conn.execute(
                    text(
                        "INSERT INTO mail_replies (reply_id, in_reply_to, series_key, kind, "
                        "list_key, raw, state, created_at, sent_at) "
                        "VALUES (:i, :p, :k, :kind, :l, :raw, 'queued', :t, NULL)"
                    ),
                    {"i": r.reply_id, "p": r.in_reply_to, "k": r.series_key, "kind": r.kind,
                     "l": r.list_key, "raw": r.raw, "t": _now()},
                )  # fmt: skip
            for m in series.messages:
                target: MessageState = "reply_queued" if m.message_id in answered else "reviewed"
                self._move(conn, m.message_id, target, reason, series.key)
            conn.execute(
                text(
                    "UPDATE mail_series SET state = :s, reason = :r, updated_at = :t WHERE key = :k"
                ),
                {"s": state, "r": reason, "t": _now(), "k": series.key},
            )

    # -- replies -----------------------------------------------------------------

    def queued(self) -> list[QueuedReply]:
        """Replies composed but not sent yet, oldest first."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT reply_id, in_reply_to, series_key, kind, list_key, raw "
                    "FROM mail_replies WHERE state = 'queued' ORDER BY created_at, reply_id"
                )
            )
            return [QueuedReply(*r) for r in rows]

    def sent(self, reply: QueuedReply, via: str = "smtp") -> None:
        """Mark ``reply`` delivered (``sent`` by SMTP or ``in_outbox``) and what it answers."""
        state = "in_outbox" if via == "outbox" else "sent"
        with self.store.transaction() as conn:
            conn.execute(
                text(
                    "UPDATE mail_replies SET state = :s, sent_at = :t "
                    "WHERE reply_id = :i AND state = 'queued'"
                ),
                {"s": state, "t": _now(), "i": reply.reply_id},
            )
            self._move(conn, reply.in_reply_to, "reply_sent")

    # -- status ------------------------------------------------------------------

    def series_rows(self) -> list[SeriesRow]:
        """Every series with its state and reply counts, newest first."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.key, s.title, s.sender, s.version, s.total, s.state, s.reason, "
                    "s.updated_at, "
                    "(SELECT COUNT(*) FROM mail_replies r WHERE r.series_key = s.key "
                    " AND r.state = 'queued'), "
                    "(SELECT COUNT(*) FROM mail_replies r WHERE r.series_key = s.key "
                    " AND r.state = 'sent'), "
                    "(SELECT COUNT(*) FROM mail_replies r WHERE r.series_key = s.key "
                    " AND r.state = 'in_outbox') "
                    "FROM mail_series s ORDER BY s.updated_at DESC, s.key"
                )
            )
            return [SeriesRow(*r) for r in rows]

    def skipped(self) -> list[tuple[str, str, str]]:
        """(Message-ID, subject, reason) of every skipped message."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT message_id, subject, reason FROM mail_messages "
                    "WHERE state = 'skipped' ORDER BY updated_at"
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]
