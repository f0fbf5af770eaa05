"""Bearer tokens: made once, kept only as a hash, revocable, each with its scopes.

A token's secret is 32 random bytes (``secrets.token_urlsafe``), so a plain
SHA-256 of it is enough to store: nobody can guess such a secret from its
hash, and a fast hash keeps the check on every request cheap (a slow
password hash is for secrets people choose).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import text

from duckfix.errors import NotFoundError, UsageError
from duckfix.store import Store, timestamp

__all__ = [
    "SCOPES",
    "Scope",
    "TokenRecord",
    "authenticate",
    "create_token",
    "list_tokens",
    "revoke_token",
]

Scope = Literal["review", "debug", "bench", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
_PREFIX = "dfx_"  # says what a leaked string is, in a log or a secret scanner


@dataclass(frozen=True)
class TokenRecord:
    """One row of ``api_tokens``, without its hash."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None

    def allows(self, kind: str) -> bool:
        """May this token submit jobs of ``kind`` (``review``, ``debug``, ``bench``)?"""
        return "admin" in self.scopes or kind in self.scopes

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _record(row: object) -> TokenRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenRecord(
        id=m["id"],
        name=m["name"],
        scopes=tuple(m["scopes"].split(",")),
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def create_token(store: Store, name: str, scopes: tuple[str, ...]) -> tuple[TokenRecord, str]:
    """A new token named ``name``; returns it and its secret (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise UsageError("a token's name is 1 to 100 printable characters")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise UsageError(f"scope must be among {', '.join(SCOPES)}, not {', '.join(unknown)}")
    secret = _PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(uuid.uuid4().hex, name, tuple(sorted(set(scopes))), timestamp(), None)
    with store.transaction() as conn:
        taken = conn.execute(
            text("SELECT 1 FROM api_tokens WHERE name = :n AND revoked_at IS NULL"), {"n": name}
        ).first()
        if taken is not None:
            raise UsageError(f"a token named {name!r} exists; revoke it first or choose another")
        conn.execute(
            text(
                "INSERT INTO api_tokens (id, name, secret_sha256, scopes, created_at) "
                "VALUES (:id, :n, :h, :s, :t)"
            ),
            {"id": record.id, "n": name, "h": _hash(secret), "s": ",".join(record.scopes),
             "t": record.created_at},
        )  # fmt: skip
    return record, secret


def list_tokens(store: Store, *, revoked: bool = False) -> list[TokenRecord]:
    """Every token (the revoked ones too when ``revoked``), oldest first."""
    query = "SELECT * FROM api_tokens"
    if not revoked:
        query += " WHERE revoked_at IS NULL"
    with store.transaction() as conn:
        return [_record(r) for r in conn.execute(text(query + " ORDER BY created_at"))]


def revoke_token(store: Store, name: str) -> TokenRecord:
    """Revoke the live token named ``name``: from now on it gets 401."""
    with store.transaction() as conn:
        row = conn.execute(
            text("SELECT * FROM api_tokens WHERE name = :n AND revoked_at IS NULL"), {"n": name}
        ).first()
        if row is None:
            raise NotFoundError(f"no live token named {name!r} (duckfix tokens list)")
        now = timestamp()
        conn.execute(
            text("UPDATE api_tokens SET revoked_at = :t WHERE id = :id"),
            {"t": now, "id": row._mapping["id"]},
        )
    record = _record(row)
    return TokenRecord(record.id, record.name, record.scopes, record.created_at, now)


def authenticate(store: Store, secret: str) -> TokenRecord | None:
    """The live token whose secret this is, or None (unknown or revoked)."""
    with store.transaction() as conn:
        row = conn.execute(
            text("SELECT * FROM api_tokens WHERE secret_sha256 = :h AND revoked_at IS NULL"),
            {"h": _hash(secret)},
        ).first()
    return None if row is None else _record(row)
