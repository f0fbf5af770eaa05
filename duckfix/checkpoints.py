"""LangGraph checkpoints in the results database, so a long run resumes after a crash."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from duckfix.errors import ConfigError, StoreError

__all__ = ["open_checkpointer"]


def open_checkpointer(database_url: str, allowed: Iterable[type]) -> Any:
    """A checkpoint saver on the same database as the store.

    ``allowed`` lists the classes that checkpoints may hold; anything else is
    refused when a checkpoint is read back, so a tampered database cannot make
    us build arbitrary objects.
    """
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = JsonPlusSerializer(allowed_msgpack_modules=list(allowed))
    if database_url.startswith("sqlite:///"):
        from langgraph.checkpoint.sqlite import SqliteSaver

        from duckfix.checkpoint_blobs import BlobSerializer

        path = database_url.removeprefix("sqlite:///")
        if path and not path.startswith(":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path or ":memory:", check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # SQLite checkpoints hold every channel's value whole, step after step:
            # large texts (a program of megabytes) are kept once, by content.
            blobs = BlobSerializer(path or ":memory:", allowed_msgpack_modules=list(allowed))
            saver = SqliteSaver(conn, serde=blobs)
            saver.setup()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot keep checkpoints in {path}: {exc}") from exc
        return saver
    if database_url.startswith(("postgresql", "postgres")):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError as exc:
            raise ConfigError(
                "checkpoints in PostgreSQL need the postgres extra: pip install 'duckfix[postgres]'"
            ) from exc
        url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        import psycopg
        from psycopg.rows import dict_row

        conn_pg = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
        saver_pg = PostgresSaver(conn_pg, serde=serde)
        saver_pg.setup()
        return saver_pg
    raise ConfigError(f"no checkpoint store for database {database_url!r}")
