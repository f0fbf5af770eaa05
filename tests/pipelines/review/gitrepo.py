"""A temporary git repository for review tests: write files, commit, make patches."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitRepo:
    """A real repository in a temporary folder, driven with the git command line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Ada Lovelace")
        self.git("config", "user.email", "ada@example.org")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, input=input, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, files: dict[str, str | bytes]) -> None:
        for rel, content in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    def commit(self, message: str, files: dict[str, str | bytes] | None = None) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()
