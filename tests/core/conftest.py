"""Fixtures shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh SQLite store in the test's folder."""
    return open_store(f"sqlite:///{tmp_path / 'duckfix.db'}")
