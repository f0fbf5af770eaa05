"""The results store: SQLAlchemy 2, SQLite (WAL) by default, any URL (PostgreSQL) alike.

Schema changes are named, append-only migrations: a migration, once released,
is never edited; a new one is added at the end. The ``_duckfix_migrations``
table records which have run.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from duckfix.environment import folder_problem
from duckfix.errors import ConfigError, NotFoundError, StoreError

__all__ = [
    "MIGRATIONS",
    "CachedResponse",
    "LLMUsageRecord",
    "RunRecord",
    "Store",
    "open_store",
    "timestamp",
]

Migration = Callable[[Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


_MIGRATION_LOCK = 0x6475636B666978  # "duckfix": the advisory lock held while migrating


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration, named after the function."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_runs_and_results(conn: Connection) -> None:
    conn.execute(
        text(
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                target TEXT NOT NULL,
                status TEXT NOT NULL,
                config TEXT NOT NULL,
                created_at TEXT NOT NULL,
                finished_at TEXT
            )
            """
        )
    )
    conn.execute(
        text(
            """
            CREATE TABLE results (
                run_id TEXT NOT NULL REFERENCES runs(id),
                item TEXT NOT NULL,
                status TEXT NOT NULL,
                data TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (run_id, item)
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX runs_kind_created ON runs (kind, created_at)"))


@migration
def m002_llm_usage_and_cache(conn: Connection) -> None:
    # run_id is not a foreign key: a client may be used outside any run
    # (``duckfix ask``, tests), and usage is still worth recording then.
    conn.execute(
        text(
            """
            CREATE TABLE llm_usage (
                run_id TEXT,
                agent TEXT,
                model TEXT NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                seconds REAL NOT NULL,
                cached INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX llm_usage_run ON llm_usage (run_id, created_at)"))
    conn.execute(
        text(
            """
            CREATE TABLE llm_cache (
                key TEXT PRIMARY KEY,
                model TEXT NOT NULL,
                response TEXT NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                created_at TEXT NOT NULL
            )
            """
        )
    )


@migration
def m003_llm_usage_task(conn: Connection) -> None:
    # Batch runs share one client; the task column gives calls and tokens per task.
    conn.execute(text("ALTER TABLE llm_usage ADD COLUMN task_id TEXT"))


@migration
def m004_mail(conn: Connection) -> None:
    # The mail bot's memory: every message it has seen, every series, every
    # reply it composed. States only move forward, so a second pass over the
    # same mailbox, or a restart after a crash, sends nothing twice.
    conn.execute(
        text(
            """
            CREATE TABLE mail_messages (
                message_id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                series_key TEXT,
                subject TEXT NOT NULL,
                sender TEXT NOT NULL,
                state TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX mail_messages_series ON mail_messages (series_key)"))
    conn.execute(
        text(
            """
            CREATE TABLE mail_series (
                key TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                sender TEXT NOT NULL,
                version INTEGER NOT NULL,
                total INTEGER NOT NULL,
                state TEXT NOT NULL,
                reason TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """
        )
    )
    conn.execute(
        text(
            """
            CREATE TABLE mail_replies (
                reply_id TEXT PRIMARY KEY,
                in_reply_to TEXT NOT NULL,
                series_key TEXT NOT NULL,
                kind TEXT NOT NULL,
                list_key TEXT NOT NULL,
                raw TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL,
                sent_at TEXT
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX mail_replies_state ON mail_replies (state, created_at)"))


@migration
def m005_run_reason(conn: Connection) -> None:
    # A run that failed says why in the store, not only on a terminal that is gone.
    conn.execute(text("ALTER TABLE runs ADD COLUMN reason TEXT NOT NULL DEFAULT ''"))


@migration
def m006_server_jobs(conn: Connection) -> None:
    # ``duckfix serve``: who may call it, the jobs it was given, what each
    # attempt at a job did, and the live events a client follows. A job is a
    # row before the 202 goes out; workers claim rows, renew a lease while they
    # run, and finish only if they still hold the attempt they claimed (so a
    # job taken over after its server died is never completed twice).
    conn.execute(
        text(
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                secret_sha256 TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                created_at TEXT NOT NULL,
                revoked_at TEXT
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX api_tokens_name ON api_tokens (name)"))
    conn.execute(
        text(
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                token_id TEXT NOT NULL REFERENCES api_tokens(id),
                state TEXT NOT NULL,
                request TEXT NOT NULL,
                created_at TEXT NOT NULL,
                started_at TEXT,
                finished_at TEXT,
                reason TEXT NOT NULL DEFAULT '',
                run_id TEXT,
                result TEXT,
                exit_code INTEGER,
                attempt INTEGER NOT NULL DEFAULT 0,
                lease_owner TEXT,
                lease_until DOUBLE PRECISION,
                cancel_requested INTEGER NOT NULL DEFAULT 0
            )
            """
        )
    )
    conn.execute(text("CREATE INDEX jobs_state_created ON jobs (state, created_at)"))
    conn.execute(text("CREATE INDEX jobs_token_created ON jobs (token_id, created_at)"))
    conn.execute(
        text(
            """
            CREATE TABLE job_attempts (
                job_id TEXT NOT NULL REFERENCES jobs(id),
                attempt INTEGER NOT NULL,
                owner TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                outcome TEXT,
                PRIMARY KEY (job_id, attempt)
            )
            """
        )
    )
    conn.execute(
        text(
            """
            CREATE TABLE job_events (
                job_id TEXT NOT NULL REFERENCES jobs(id),
                seq INTEGER NOT NULL,
                event TEXT NOT NULL,
                data TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (job_id, seq)
            )
            """
        )
    )


@dataclass(frozen=True)
class LLMUsageRecord:
    """One row of ``llm_usage``: what one model call (or cache hit) cost."""

    run_id: str | None
    agent: str | None
    model: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool
    created_at: str
    task_id: str | None = None


@dataclass(frozen=True)
class CachedResponse:
    """One row of ``llm_cache``: the answer text and what it cost when first asked."""

    response: str
    model: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs``."""

    id: str
    kind: str
    target: str
    status: str
    config: dict[str, Any]
    created_at: str
    finished_at: str | None
    reason: str = ""
    """Why a run failed or was interrupted (empty for a run that ended well)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def timestamp() -> str:
    """Now, as the store writes times: ISO 8601 in UTC, to the millisecond."""
    return _now()


class Store:
    """A connection pool to the results database, migrated on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot use database {url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(
                f"database {self._safe_url()}: {exc.__class__.__name__}: {exc}"
            ) from exc

    def transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Database errors become :class:`StoreError`.
        """
        return self._begin()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied, in order; return their names.

        Safe when several processes open a fresh database at once (the workers
        of a Ray run, two servers): the check and the migrations run in one
        transaction that holds the database's migration lock, so one process
        migrates and the others, once it commits, find nothing left to do.
        """
        if self._migrated():
            return []  # the usual open: no lock taken, no writer kept waiting
        done: list[str] = []
        with self._begin() as conn:
            self._lock_for_migration(conn)
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS _duckfix_migrations "
                    "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            )
            applied = {r[0] for r in conn.execute(text("SELECT name FROM _duckfix_migrations"))}
            for name, fn in MIGRATIONS:
                if name in applied:
                    continue
                fn(conn)
                conn.execute(
                    text("INSERT INTO _duckfix_migrations (name, applied_at) VALUES (:n, :t)"),
                    {"n": name, "t": _now()},
                )
                done.append(name)
        return done

    def _migrated(self) -> bool:
        """Whether every migration is already applied (read without a lock)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT name FROM _duckfix_migrations"))
                return {r[0] for r in rows} >= {name for name, _ in MIGRATIONS}
        except SQLAlchemyError:
            return False  # no table yet (or a database that cannot answer: migrate says why)

    def _lock_for_migration(self, conn: Connection) -> None:
        """Take the lock that makes one process at a time migrate, until the transaction ends."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            # The write lock now, not at the first write: two transactions that
            # both read first and then write would deadlock (SQLITE_BUSY at once,
            # whatever the busy timeout). pysqlite opens no transaction before DDL,
            # so this BEGIN is the transaction's; commit() ends it.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            # Concurrent CREATE TABLE IF NOT EXISTS of one table can still fail on
            # PostgreSQL (a unique violation in its catalog): take a lock first.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})

    def applied_migrations(self) -> list[str]:
        with self._begin() as conn:
            rows = conn.execute(text("SELECT name FROM _duckfix_migrations ORDER BY name"))
            return [r[0] for r in rows]

    def start_run(self, kind: str, target: str, config: dict[str, Any]) -> str:
        """Create a run and return its id."""
        run_id = f"{kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        with self._begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO runs (id, kind, target, status, config, created_at) "
                    "VALUES (:id, :kind, :target, 'running', :config, :t)"
                ),
                {
                    "id": run_id,
                    "kind": kind,
                    "target": target,
                    "config": _dump(config),
                    "t": _now(),
                },
            )
        return run_id

    def record(self, run_id: str, item: str, status: str, data: dict[str, Any]) -> None:
        """Store (or replace) the result of one item of a run."""
        self.record_many(run_id, [(item, status, data)])

    def record_many(self, run_id: str, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Store (or replace) the results of several items of a run, in one transaction.

        One commit for a part's many small items (a Chrysalis part's bug files), not one each.
        """
        now = _now()
        params = [
            {"r": run_id, "i": item, "s": status, "d": _dump(data), "t": now}
            for item, status, data in rows
        ]
        if not params:
            return
        with self._begin() as conn:
            conn.execute(text("DELETE FROM results WHERE run_id = :r AND item = :i"), params)
            conn.execute(
                text(
                    "INSERT INTO results (run_id, item, status, data, created_at) "
                    "VALUES (:r, :i, :s, :d, :t)"
                ),
                params,
            )

    def finish_run(self, run_id: str, status: str, reason: str = "") -> None:
        """End a run with ``status`` (and, for one that failed, the reason)."""
        with self._begin() as conn:
            conn.execute(
                text("UPDATE runs SET status = :s, reason = :r, finished_at = :t WHERE id = :id"),
                {"s": status, "r": reason, "t": _now(), "id": run_id},
            )

    def get_run(self, run_id: str) -> RunRecord:
        with self._begin() as conn:
            row = conn.execute(text("SELECT * FROM runs WHERE id = :id"), {"id": run_id}).first()
        if row is None:
            raise NotFoundError(f"no run {run_id!r} in {self._safe_url()}")
        return _run_record(row._mapping)

    def runs(self, kind: str | None = None, limit: int = 20) -> list[RunRecord]:
        query = "SELECT * FROM runs"
        if kind is not None:
            query += " WHERE kind = :kind"
        query += " ORDER BY created_at DESC LIMIT :limit"
        with self._begin() as conn:
            rows = conn.execute(text(query), {"kind": kind, "limit": limit})
            return [_run_record(r._mapping) for r in rows]

    def results(self, run_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Item -> (status, data) of every result stored for a run."""
        with self._begin() as conn:
            rows = conn.execute(
                text("SELECT item, status, data FROM results WHERE run_id = :r ORDER BY item"),
                {"r": run_id},
            )
            return {r[0]: (r[1], json.loads(r[2])) for r in rows}

    def record_llm_usage(
        self,
        *,
        run_id: str | None,
        agent: str | None,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        cached: bool,
        task_id: str | None = None,
    ) -> None:
        """Append one row to ``llm_usage``."""
        with self._begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO llm_usage (run_id, task_id, agent, model, prompt_tokens, "
                    "completion_tokens, seconds, cached, created_at) "
                    "VALUES (:r, :task, :a, :m, :p, :c, :s, :k, :t)"
                ),
                {
                    "r": run_id,
                    "task": task_id,
                    "a": agent,
                    "m": model,
                    "p": prompt_tokens,
                    "c": completion_tokens,
                    "s": seconds,
                    "k": int(cached),
                    "t": _now(),
                },
            )

    def llm_usage(self, run_id: str | None = None) -> list[LLMUsageRecord]:
        """The usage rows of one run (every row when ``run_id`` is None), oldest first."""
        query = "SELECT * FROM llm_usage"
        if run_id is not None:
            query += " WHERE run_id = :r"
        query += " ORDER BY created_at"
        with self._begin() as conn:
            rows = conn.execute(text(query), {"r": run_id})
            return [
                LLMUsageRecord(
                    run_id=m["run_id"],
                    agent=m["agent"],
                    model=m["model"],
                    prompt_tokens=m["prompt_tokens"],
                    completion_tokens=m["completion_tokens"],
                    seconds=m["seconds"],
                    cached=bool(m["cached"]),
                    task_id=m["task_id"],
                    created_at=m["created_at"],
                )
                for m in (r._mapping for r in rows)
            ]

    def cache_get(self, key: str) -> CachedResponse | None:
        """The cached response stored under ``key``, if any."""
        with self._begin() as conn:
            row = conn.execute(
                text(
                    "SELECT response, model, prompt_tokens, completion_tokens "
                    "FROM llm_cache WHERE key = :k"
                ),
                {"k": key},
            ).first()
        if row is None:
            return None
        return CachedResponse(
            response=row[0], model=row[1], prompt_tokens=row[2], completion_tokens=row[3]
        )

    def cache_put(self, key: str, entry: CachedResponse) -> None:
        """Store (or replace) the response under ``key``."""
        params = {
            "k": key,
            "m": entry.model,
            "r": entry.response,
            "p": entry.prompt_tokens,
            "c": entry.completion_tokens,
            "t": _now(),
        }
        # Delete-then-insert rather than an upsert: portable across SQLite and
        # PostgreSQL without dialect-specific syntax, as ``record`` does.
        with self._begin() as conn:
            conn.execute(text("DELETE FROM llm_cache WHERE key = :k"), params)
            conn.execute(
                text(
                    "INSERT INTO llm_cache (key, model, response, prompt_tokens, "
                    "completion_tokens, created_at) VALUES (:k, :m, :r, :p, :c, :t)"
                ),
                params,
            )

    def close(self) -> None:
        self.engine.dispose()


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


def _run_record(row: Any) -> RunRecord:
    return RunRecord(
        id=row["id"],
        kind=row["kind"],
        target=row["target"],
        status=row["status"],
        config=json.loads(row["config"]),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        reason=row["reason"],
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # The busy timeout first: switching a fresh file to WAL takes a lock that
    # another process opening it at the same moment may hold.
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_store(url: str) -> Store:
    """Open (creating and migrating if needed) the store at ``url``.

    A SQLite file's folder must be one duckfix can write in; when it is not
    (``DUCKFIX_HOME=/etc/passwd``), that is a setting to change, a
    :class:`ConfigError`, said before SQLite gives its vaguer error.
    """
    path = url.removeprefix("sqlite:///")
    if path != url and path and not path.startswith(":memory:"):
        folder = Path(path).parent
        with contextlib.suppress(OSError):  # folder_problem says why, if it matters
            folder.mkdir(parents=True, exist_ok=True)
        problem = folder_problem(folder, missing_ok=True)
        if problem is not None:
            raise ConfigError(
                f"cannot keep the database in {folder}: {problem}; "
                "set DUCKFIX_HOME (or --home) to a writable folder, or database_url"
            )
    return Store(url)
