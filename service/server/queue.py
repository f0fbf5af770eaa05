"""The job queue, in the store: submit, claim, lease, fence, cancel, events.

A job is a row of ``jobs``. Workers of any number of server processes claim
rows: on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED`` (claimers pass
each other by), on SQLite with one ``UPDATE … WHERE state = 'queued'``
whose row count says whether this claimer won. Each claim bumps ``attempt``
and writes a lease (owner, expiry) that the worker renews while it runs.
Renewing and finishing name the attempt they hold, so a worker whose job was
taken over (its lease ran out: its server died, or hung) can neither renew
nor finish it: a job is completed once. ``job_attempts`` keeps every claim and
how it ended, which is how that is checked.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from duckfix.errors import StoreError
from duckfix.store import Store, timestamp

__all__ = ["FINAL_STATES", "Claim", "EventRecord", "JobQueue", "JobRecord"]

FINAL_STATES = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class JobRecord:
    """One row of ``jobs``, with its owner's token name."""

    id: str
    kind: str
    token_id: str
    token: str
    state: str
    request: dict[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    reason: str
    run_id: str | None
    result: Any
    exit_code: int | None
    attempt: int
    cancel_requested: bool


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: its attempt number fences everything the worker writes."""

    job_id: str
    kind: str
    attempt: int
    request: dict[str, Any]
    run_id: str | None
    taken_over: bool
    """The job was running under an owner whose lease expired (that server died)."""
    cancel_requested: bool


@dataclass(frozen=True)
class EventRecord:
    """One row of ``job_events``: ``seq`` counts from 1 per job."""

    seq: int
    event: str
    data: dict[str, Any]


_JOB_COLUMNS = (
    "j.id, j.kind, j.token_id, t.name AS token, j.state, j.request, j.created_at, "
    "j.started_at, j.finished_at, j.reason, j.run_id, j.result, j.exit_code, j.attempt, "
    "j.cancel_requested"
)
_FROM = "FROM jobs j JOIN api_tokens t ON t.id = j.token_id"


def _job(row: Any) -> JobRecord:
    m = row._mapping
    return JobRecord(
        id=m["id"],
        kind=m["kind"],
        token_id=m["token_id"],
        token=m["token"],
        state=m["state"],
        request=json.loads(m["request"]),
        created_at=m["created_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        reason=m["reason"],
        run_id=m["run_id"],
        result=None if m["result"] is None else json.loads(m["result"]),
        exit_code=m["exit_code"],
        attempt=m["attempt"],
        cancel_requested=bool(m["cancel_requested"]),
    )


class JobQueue:
    """The jobs of a store, for the API (submit, read, cancel) and the workers (the rest)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._postgres = store.engine.dialect.name == "postgresql"

    # -- the API's side -------------------------------------------------------------

    def submit(self, kind: str, token_id: str, request: dict[str, Any]) -> JobRecord:
        """A new queued job, committed when this returns."""
        job_id = uuid.uuid4().hex
        with self.store.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO jobs (id, kind, token_id, state, request, created_at) "
                    "VALUES (:id, :k, :tok, 'queued', :req, :t)"
                ),
                {"id": job_id, "k": kind, "tok": token_id, "req": json.dumps(request),
                 "t": timestamp()},
            )  # fmt: skip
            _add_event(conn, job_id, "state", {"state": "queued"})
        job = self.get(job_id)
        assert job is not None  # just committed
        return job

    def get(self, job_id: str) -> JobRecord | None:
        with self.store.transaction() as conn:
            row = conn.execute(text(f"SELECT {_JOB_COLUMNS} {_FROM} WHERE j.id = :id"),
                               {"id": job_id}).first()  # fmt: skip
        return None if row is None else _job(row)

    def jobs(
        self,
        *,
        token_id: str | None = None,
        token_name: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        limit: int = 50,
    ) -> list[JobRecord]:
        """Jobs, newest first, filtered by owner (id or name), kind and state."""
        where: list[str] = []
        params: dict[str, object] = {"limit": limit}
        for column, value in (("j.token_id", token_id), ("t.name", token_name),
                              ("j.kind", kind), ("j.state", state)):  # fmt: skip
            if value is not None:
                name = f"p{len(params)}"
                where.append(f"{column} = :{name}")
                params[name] = value
        query = f"SELECT {_JOB_COLUMNS} {_FROM}"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY j.created_at DESC, j.id LIMIT :limit"
        with self.store.transaction() as conn:
            return [_job(r) for r in conn.execute(text(query), params)]

    def cancel(self, job_id: str) -> JobRecord | None:
        """Cancel a job: a queued one now, a running one at its next step (its worker ends it)."""
        with self.store.transaction() as conn:
            now = timestamp()
            done = conn.execute(
                text(
                    "UPDATE jobs SET state = 'cancelled', finished_at = :t, reason = :r "
                    "WHERE id = :id AND state = 'queued'"
                ),
                {"id": job_id, "t": now, "r": "cancelled before it started"},
            ).rowcount
            if done:
                _add_event(conn, job_id, "end", {"state": "cancelled"})
            else:
                conn.execute(
                    text(
                        "UPDATE jobs SET cancel_requested = 1 WHERE id = :id AND state = 'running'"
                    ),
                    {"id": job_id},
                )
        return self.get(job_id)

    def events(self, job_id: str, after: int = 0, limit: int = 500) -> list[EventRecord]:
        """The job's events with a sequence number above ``after``, in order."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                text(
                    "SELECT seq, event, data FROM job_events WHERE job_id = :id AND seq > :a "
                    "ORDER BY seq LIMIT :n"
                ),
                {"id": job_id, "a": after, "n": limit},
            )
            return [EventRecord(r[0], r[1], json.loads(r[2])) for r in rows]

    def ping(self) -> None:
        """Raise StoreError unless the store answers a query."""
        with self.store.transaction() as conn:
            conn.execute(text("SELECT 1 FROM jobs WHERE 1 = 0"))

    # -- the workers' side ----------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> Claim | None:
        """The oldest queued job, else one whose lease expired; None when there is neither."""
        return self._claim(owner, lease_seconds, expired=False) or self._claim(
            owner, lease_seconds, expired=True
        )

    def _claim(self, owner: str, lease_seconds: float, *, expired: bool) -> Claim | None:
        now = time.time()
        pick = (
            "SELECT id, attempt FROM jobs WHERE state = 'running' AND lease_until < :now "
            if expired
            else "SELECT id, attempt FROM jobs WHERE state = 'queued' "
        ) + "ORDER BY created_at, id LIMIT 1"
        update = (
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = :o, "
            "lease_until = :u, started_at = COALESCE(started_at, :t) "
            "WHERE id = :id AND attempt = :a AND "
            + ("state = 'running' AND lease_until < :now" if expired else "state = 'queued'")
        )
        for _ in range(5):  # on SQLite another claimer may win the row: pick again
            with self.store.transaction() as conn:
                row = conn.execute(
                    text(pick + (" FOR UPDATE SKIP LOCKED" if self._postgres else "")),
                    {"now": now},
                ).first()
                if row is None:
                    return None
                job_id, attempt = row[0], row[1]
                won = conn.execute(
                    text(update),
                    {"o": owner, "u": now + lease_seconds, "t": timestamp(), "id": job_id,
                     "a": attempt, "now": now},
                ).rowcount  # fmt: skip
                if not won:
                    continue
                conn.execute(
                    text(
                        "INSERT INTO job_attempts (job_id, attempt, owner, started_at) "
                        "VALUES (:id, :a, :o, :t)"
                    ),
                    {"id": job_id, "a": attempt + 1, "o": owner, "t": timestamp()},
                )
                if expired:
                    conn.execute(
                        text(
                            "UPDATE job_attempts SET outcome = 'lost', finished_at = :t "
                            "WHERE job_id = :id AND attempt = :a AND outcome IS NULL"
                        ),
                        {"id": job_id, "a": attempt, "t": timestamp()},
                    )
                state = conn.execute(
                    text("SELECT kind, request, run_id, cancel_requested FROM jobs WHERE id = :id"),
                    {"id": job_id},
                ).one()
                running = {"state": "running", "attempt": attempt + 1, "resumed": expired}
                _add_event(conn, job_id, "state", running)
            return Claim(
                job_id=job_id,
                kind=state[0],
                attempt=attempt + 1,
                request=json.loads(state[1]),
                run_id=state[2],
                taken_over=expired,
                cancel_requested=bool(state[3]),
            )
        return None

    def renew(self, claim: Claim, lease_seconds: float) -> tuple[bool, bool]:
        """Extend the lease: (still held, cancel requested)."""
        with self.store.transaction() as conn:
            held = conn.execute(
                text(
                    "UPDATE jobs SET lease_until = :u "
                    "WHERE id = :id AND attempt = :a AND state = 'running'"
                ),
                {"u": time.time() + lease_seconds, "id": claim.job_id, "a": claim.attempt},
            ).rowcount
            if not held:
                return False, False
            cancel = conn.execute(
                text("SELECT cancel_requested FROM jobs WHERE id = :id"), {"id": claim.job_id}
            ).scalar_one()
        return True, bool(cancel)

    def set_run_id(self, claim: Claim, run_id: str) -> None:
        """Remember the run a job recorded (what a takeover resumes)."""
        with self.store.transaction() as conn:
            conn.execute(
                text("UPDATE jobs SET run_id = :r WHERE id = :id AND attempt = :a"),
                {"r": run_id, "id": claim.job_id, "a": claim.attempt},
            )

    def finish(
        self,
        claim: Claim,
        state: str,
        *,
        result: Any = None,
        reason: str = "",
        exit_code: int | None = None,
    ) -> bool:
        """End the job if this claim still holds it; False (nothing written) if it does not."""
        assert state in FINAL_STATES
        with self.store.transaction() as conn:
            now = timestamp()
            done = conn.execute(
                text(
                    "UPDATE jobs SET state = :s, result = :res, reason = :r, exit_code = :x, "
                    "finished_at = :t, lease_owner = NULL, lease_until = NULL "
                    "WHERE id = :id AND attempt = :a AND state = 'running'"
                ),
                {"s": state, "res": None if result is None else json.dumps(result),
                 "r": reason, "x": exit_code, "t": now, "id": claim.job_id,
                 "a": claim.attempt},
            ).rowcount  # fmt: skip
            if not done:
                return False
            conn.execute(
                text(
                    "UPDATE job_attempts SET outcome = :s, finished_at = :t "
                    "WHERE job_id = :id AND attempt = :a"
                ),
                {"s": state, "t": now, "id": claim.job_id, "a": claim.attempt},
            )
            _add_event(conn, claim.job_id, "end", {"state": state, "reason": reason})
        return True

    def release(self, owner: str) -> int:
        """Let the jobs ``owner`` runs be taken over at once (its server is stopping)."""
        with self.store.transaction() as conn:
            return int(
                conn.execute(
                    text(
                        "UPDATE jobs SET lease_until = 0 "
                        "WHERE lease_owner = :o AND state = 'running'"
                    ),
                    {"o": owner},
                ).rowcount
            )

    def add_event(self, claim: Claim, event: str, data: dict[str, Any]) -> None:
        """Append an event to a job this claim still holds (dropped if it does not)."""
        for _ in range(5):
            try:
                with self.store.transaction() as conn:
                    held = conn.execute(
                        text("SELECT 1 FROM jobs WHERE id = :id AND attempt = :a"),
                        {"id": claim.job_id, "a": claim.attempt},
                    ).first()
                    if held is not None:
                        _add_event(conn, claim.job_id, event, data)
                return
            except StoreError as exc:  # two writers took the same number: take the next
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
        raise StoreError(f"job {claim.job_id}: could not number an event")


def _add_event(conn: Connection, job_id: str, event: str, data: dict[str, Any]) -> None:
    conn.execute(
        text(
            "INSERT INTO job_events (job_id, seq, event, data, created_at) "
            "SELECT :id, COALESCE(MAX(seq), 0) + 1, :e, :d, :t FROM job_events WHERE job_id = :id"
        ),
        {"id": job_id, "e": event, "d": json.dumps(data, default=str), "t": timestamp()},
    )
