"""Tokens: made by the command, kept hashed, listed without secrets, revoked for good."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from duckfix.errors import NotFoundError, UsageError
from duckfix.service.server.tokens import authenticate, create_token, list_tokens, revoke_token
from duckfix.store import open_store

from tests.service.server.conftest import duckfix


def test_the_command_prints_the_secret_once_and_stores_its_hash(tmp_path: Path) -> None:
    secret = duckfix(tmp_path, "tokens", "create", "ci-bot", "--scope", "review", "--scope",
                     "debug").strip()  # fmt: skip
    assert secret.startswith("dfx_") and len(secret) > 40
    store = open_store(f"sqlite:///{tmp_path / 'duckfix.db'}")
    with store.transaction() as conn:
        stored = conn.execute(text("SELECT secret_sha256, scopes FROM api_tokens")).one()
    assert stored[0] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored[1] == "debug,review"
    listed = json.loads(duckfix(tmp_path, "tokens", "list", "--json"))
    assert [t["name"] for t in listed] == ["ci-bot"] and secret not in json.dumps(listed)
    assert authenticate(store, secret) is not None
    duckfix(tmp_path, "tokens", "revoke", "ci-bot")
    assert authenticate(store, secret) is None
    assert json.loads(duckfix(tmp_path, "tokens", "list", "--json")) == []
    assert json.loads(duckfix(tmp_path, "tokens", "list", "--all", "--json"))[0]["revoked_at"]


def test_names_scopes_and_revocation(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db'}")
    record, secret = create_token(store, "alice", ("review",))
    assert record.allows("review") and not record.allows("debug") and not record.admin
    with pytest.raises(UsageError, match="exists"):
        create_token(store, "alice", ("review",))
    with pytest.raises(UsageError, match="scope"):
        create_token(store, "bob", ("root",))
    assert authenticate(store, secret + "x") is None
    revoke_token(store, "alice")
    with pytest.raises(NotFoundError):
        revoke_token(store, "alice")
    again, new_secret = create_token(store, "alice", ("admin",))  # a new token, a new id
    assert again.id != record.id and again.allows("bench") and again.admin
    assert authenticate(store, secret) is None
    found = authenticate(store, new_secret)
    assert found is not None and found.id == again.id
    assert [t.name for t in list_tokens(store, revoked=True)] == ["alice", "alice"]
