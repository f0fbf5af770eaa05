"""A git repository driven through the ``git`` command line, under :func:`duckfix.gitenv.safe_env`.

The review reads git with a handful of plumbing commands (``rev-parse``,
``rev-list``, ``diff``, ``log``, ``cat-file``); running them directly costs
nothing to import, where a git library costs the pre-push hook a sixth of a
second before it has read anything. Every command runs with no hook and no
command the repository's configuration names (:mod:`duckfix.gitenv`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from duckfix import gitenv
from duckfix.errors import RepositoryError

__all__ = ["GitRepo"]

_TIMEOUT = 300.0


class GitRepo:
    """One repository: its top folder (None when bare) and its git folder."""

    def __init__(self, top: Path | None, git_dir: Path) -> None:
        self.top = top
        self.git_dir = git_dir

    @property
    def working_tree_dir(self) -> str | None:
        """The top folder as text, None for a bare repository."""
        return str(self.top) if self.top is not None else None

    @classmethod
    def open(cls, path: Path | str = ".") -> GitRepo:
        """The repository holding ``path``; :class:`RepositoryError` if there is none."""
        where = Path(path)
        if not where.is_dir():
            raise RepositoryError(f"{path}: not inside a git repository")
        done = _run(where, ["rev-parse", "--absolute-git-dir", "--is-bare-repository"])
        if done.returncode:
            raise RepositoryError(f"{path}: not inside a git repository")
        git_dir, bare = done.stdout.decode("utf-8", "surrogateescape").splitlines()[:2]
        if bare.strip() == "true":
            return cls(None, Path(git_dir))
        top = _run(where, ["rev-parse", "--show-toplevel"])
        if top.returncode:
            raise RepositoryError(f"{path}: not inside a git repository")
        return cls(Path(top.stdout.decode("utf-8", "surrogateescape").strip()), Path(git_dir))

    @property
    def cwd(self) -> Path:
        return self.top if self.top is not None else self.git_dir

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """``git ARGS``'s standard output; :class:`RepositoryError` with git's words if it fails."""
        done = _run(self.cwd, list(args), env)
        if done.returncode:
            detail = done.stderr.decode("utf-8", "replace").strip().removeprefix("fatal: ")
            raise RepositoryError(f"git {' '.join(args[:3])}: {detail or 'failed'}")
        return done.stdout.decode("utf-8", "replace")

    def succeeds(self, *args: str) -> bool:
        """Whether ``git ARGS`` exits 0 (its output is thrown away)."""
        return _run(self.cwd, list(args)).returncode == 0

    def commit_sha(self, rev: str) -> str | None:
        """The full sha of commit ``rev``; None when it names no commit here."""
        done = _run(self.cwd, ["rev-parse", "--verify", "-q", f"{rev}^{{commit}}"])
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def blob(self, revision: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``revision`` (``:`` is the index); None when absent."""
        spec = f":{path}" if revision == ":" else f"{revision}:{path}"
        done = _run(self.cwd, ["cat-file", "blob", spec])
        return done.stdout if done.returncode == 0 else None


def _run(
    cwd: Path, args: list[str], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=dict(env) if env is not None else gitenv.safe_env(),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RepositoryError(f"git {' '.join(args[:3])} did not finish in time") from exc
    except OSError as exc:
        raise RepositoryError(f"git could not run: {exc.strerror or exc}") from exc
