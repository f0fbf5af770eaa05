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
    # Several at once, in one transaction, replacing as one by one does.
    store.record_many(run_id, [("lcm", "ok", {"seconds": 0.1}), ("abs", "ok", {})])
    store.record_many(run_id, [])
    assert store.results(run_id)["lcm"] == ("ok", {"seconds": 0.1})
    assert set(store.results(run_id)) == {"gcd", "lcm", "abs"}
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


_OPENER = """
import os, sys, time
from pathlib import Path
from duckfix.store import Store
url, folder = sys.argv[1], Path(sys.argv[2])
(folder / f"ready-{os.getpid()}").touch()
while not (folder / "go").exists():  # every process is up: all open at once
    time.sleep(0.005)
Store(url).close()
"""


def _open_at_once(url: str, folder: Path, count: int = 6) -> None:
    """``count`` processes open the store at ``url`` at the same moment; all must succeed."""
    import subprocess
    import sys
    import time

    procs = [
        subprocess.Popen([sys.executable, "-c", _OPENER, url, str(folder)], stderr=subprocess.PIPE)
        for _ in range(count)
    ]
    deadline = time.monotonic() + 120
    while len(list(folder.glob("ready-*"))) < count and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    (folder / "go").touch()
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * count, "\n".join(errors)


def _migration_rows(url: str) -> list[str]:
    store = Store(url)
    with store.engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT name FROM _duckfix_migrations"))]
    store.close()
    return sorted(rows)


def test_processes_opening_a_fresh_sqlite_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _open_at_once(url, tmp_path)
    assert _migration_rows(url) == sorted(name for name, _ in MIGRATIONS)


def test_processes_opening_a_fresh_postgresql_database_at_once_migrate_it_once(
    postgres_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE fresh_at_once"))
    engine.dispose()
    url = postgres_url.replace("/postgres?", "/fresh_at_once?")
    _open_at_once(url, tmp_path)
    assert _migration_rows(url) == sorted(name for name, _ in MIGRATIONS)
