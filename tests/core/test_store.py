"""The results store on SQLite (WAL) and on a real PostgreSQL server on a Unix socket."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from duckfix.errors import ConfigError, NotFoundError, StoreError
from duckfix.store import MIGRATIONS, Store, open_store


def exercise(store: Store) -> None:
    """What every backend must do the same way."""
    assert store.applied_migrations() == sorted(name for name, _ in MIGRATIONS)
    assert store.migrate() == []  # idempotent
    run_id = store.start_run("tasks-check", "builtin", {"jobs": 2})
    store.record(run_id, "gcd", "ok", {"seconds": 0.5})
    store.record(run_id, "lcm", "bad", {"problems": ["x"]})
    store.record(run_id, "gcd", "bad", {"seconds": 0.7})  # replaced, not duplicated
    assert store.results(run_id) == {
        "gcd": ("bad", {"seconds": 0.7}),
        "lcm": ("bad", {"problems": ["x"]}),
    }
    store.finish_run(run_id, "failed")
    record = store.get_run(run_id)
    assert record.status == "failed" and record.config == {"jobs": 2}
    assert record.finished_at is not None
    assert [r.id for r in store.runs("tasks-check")] == [run_id]
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        store.get_run("nope")


def test_sqlite_store_in_wal_mode(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'deep' / 'duckfix.db'}")
    exercise(store)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()
    again = open_store(f"sqlite:///{tmp_path / 'deep' / 'duckfix.db'}")
    assert len(again.runs()) == 1, "data survives reopening"


def test_migrations_are_applied_once_and_in_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(name[0] == "m" and name[1:4].isdigit() for name in names)
    first = Store(url)
    assert first.applied_migrations() == names
    assert Store(url).migrate() == []


def test_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    # A folder that cannot hold the database is a setting to change (exit 2).
    with pytest.raises(ConfigError, match=f"{blocker} is a file, not a folder"):
        open_store(f"sqlite:///{blocker / 'sub' / 'x.db'}")
    with pytest.raises(StoreError, match="cannot use database"):
        open_store("nosuchdialect://x")


@pytest.mark.postgres
def test_postgresql_store(postgres_url: str) -> None:
    store = open_store(postgres_url)
    assert store.engine.dialect.name == "postgresql"
    exercise(store)
    store.close()
