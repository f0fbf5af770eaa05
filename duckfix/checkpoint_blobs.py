"""Large texts in SQLite checkpoints, stored once by content instead of in every checkpoint.

LangGraph's SQLite saver writes each checkpoint with every channel's value in
full, after every node. A debug run's state holds its task and program: a
program of megabytes, written twice per fix-and-validate round, fills the
database by gigabytes. :class:`BlobSerializer` swaps every string of at least
``BLOB_CHARS`` characters in what is written for a short reference to a row of
``checkpoint_blobs`` (keyed by the text's SHA-256, written once), and swaps
the texts back when a checkpoint is read. Smaller values are written exactly
as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

__all__ = ["BLOB_CHARS", "BlobSerializer"]

BLOB_CHARS = 64 * 1024
"""Strings at least this long are stored once, apart from the checkpoints."""
_MARK = "\x00duckfix-blob:"
_KEEP = 8  # texts kept in memory by hash, for reading and writing them again


class BlobSerializer(JsonPlusSerializer):
    """LangGraph's serializer, with long strings kept once in a table of their own."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        """Keep the texts in the SQLite database at ``path`` (``:memory:``: in this process)."""
        super().__init__(**kwargs)
        # A connection of its own: the saver's is used under the saver's lock, and
        # a blob must be committed before the checkpoint that names it.
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        self._hashes: dict[int, tuple[str, str]] = {}  # id(text) -> (text, hash)
        self._texts: OrderedDict[str, str] = OrderedDict()  # hash -> text
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS checkpoint_blobs (hash TEXT PRIMARY KEY, text TEXT)"
            )

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        return super().dumps_typed(_swap(obj, self._stored))

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        return _swap(super().loads_typed(data), self._loaded)

    def _stored(self, text: str) -> str:
        if len(text) < BLOB_CHARS:
            return text
        with self._lock:
            known = self._hashes.get(id(text))
            if known is not None and known[0] is text:
                return _MARK + known[1]
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            if digest not in self._texts:
                # Committed before the checkpoint that names it is written.
                with self._conn:
                    self._conn.execute(
                        "INSERT OR IGNORE INTO checkpoint_blobs (hash, text) VALUES (?, ?)",
                        (digest, text),
                    )
            self._remember(digest, text)
            # Holding the text keeps its id from being reused by another object.
            self._hashes = {k: v for k, v in self._hashes.items() if v[1] in self._texts}
            self._hashes[id(text)] = (text, digest)
        return _MARK + digest

    def _loaded(self, text: str) -> str:
        if not text.startswith(_MARK):
            return text
        digest = text.removeprefix(_MARK)
        with self._lock:
            found = self._texts.get(digest)
            if found is None:
                row = self._conn.execute(
                    "SELECT text FROM checkpoint_blobs WHERE hash = ?", (digest,)
                ).fetchone()
                if row is None:
                    return text  # not ours: a string that happens to look like a reference
                found = str(row[0])
            self._remember(digest, found)
        return found

    def _remember(self, digest: str, text: str) -> None:
        self._texts[digest] = text
        self._texts.move_to_end(digest)
        while len(self._texts) > _KEEP:
            self._texts.popitem(last=False)


def _swap(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` with ``change`` applied to every string in it; unchanged parts are shared."""
    if isinstance(value, str):
        return change(value)
    if type(value) is dict:
        items = {k: _swap(v, change) for k, v in value.items()}
        return items if any(items[k] is not v for k, v in value.items()) else value
    if type(value) in (list, tuple):
        seq = [_swap(v, change) for v in value]
        if all(a is b for a, b in zip(seq, value, strict=True)):
            return value
        return seq if type(value) is list else tuple(seq)
    if isinstance(value, BaseModel):
        fields = {n: getattr(value, n) for n in type(value).model_fields}
        changed = {n: new for n, v in fields.items() if (new := _swap(v, change)) is not v}
        return value.model_copy(update=changed) if changed else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
        changed = {n: new for n, v in fields.items() if (new := _swap(v, change)) is not v}
        return dataclasses.replace(value, **changed) if changed else value
    return value
