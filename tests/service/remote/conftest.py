"""A live ``duckfix serve`` for the clients' tests, reviewing repositories under a shared root."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.server.conftest import LiveServer


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder whose repositories the server may read (the disk it shares with clients)."""
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[LiveServer]:
    live = LiveServer(
        tmp_path_factory.mktemp("serve"),
        env={"DUCKFIX_SERVER__MAX_UPLOAD_MB": "1", "DUCKFIX_SERVER__REPO_ROOTS": str(shared),
             "DUCKFIX_SERVER__RATE_BURST": "500", "DUCKFIX_SERVER__RATE_PER_MINUTE": "6000"},
    ).start()  # fmt: skip
    yield live
    live.stop()


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A client's environment: nothing of duckfix, git or pre-commit inherited."""
    kept = {k: v for k, v in os.environ.items()
            if not k.startswith(("GIT_", "PRE_COMMIT_", "DUCKFIX_"))}  # fmt: skip
    return {**kept, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "DUCKFIX_HOME": str(home / "duckfix"), **extra}  # fmt: skip


def run_duckfix(
    cwd: Path, env: dict[str, str], *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "duckfix", *args],
        cwd=cwd, env=env, input=input, capture_output=True, text=True, timeout=120,
        stdin=None if input is not None else subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that takes connections and never answers (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])
