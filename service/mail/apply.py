"""Applying a series with ``git am`` in a temporary worktree of the configured repository.

The base is the series' ``base-commit:`` (``git format-patch --base``) when the
repository has that commit, else the configured branch or commit. The worktree
is detached at the base and removed afterwards, so the user's own checkout is
never touched. A patch that does not apply stops the series: the result names
it and carries ``git am``'s own words.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from duckfix import gitenv
from duckfix.errors import RepositoryError
from duckfix.service.mail.model import MailMessage, Series

__all__ = ["Applied", "applied_series", "series_base"]

# git am must not ask for, or use, the user's identity: the commits are ours and
# thrown away with the worktree. (Hooks, signing and the rest: gitenv.)
_IDENTITY = [("user.name", "duckfix"), ("user.email", "duckfix@localhost")]
_AM = ["am", "--quiet", "--keep-cr", "--no-3way"]


@dataclass
class Applied:
    """What applying a series gave."""

    base: str
    """The commit the series was applied to."""
    worktree: Path | None = None
    commits: dict[int, str] = field(default_factory=dict)
    """Patch number -> the commit ``git am`` made of it."""
    failed: MailMessage | None = None
    """The patch that did not apply."""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.failed is None


def _git(
    repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``repo``, in ``env`` (default: :func:`gitenv.safe_env`)."""
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        input=input,
        env=env if env is not None else gitenv.safe_env(),
        capture_output=True,
        timeout=300,
        check=False,
    )


def _commit_of(repo: Path, rev: str, env: dict[str, str] | None = None) -> str | None:
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", env=env)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def series_base(repo: Path, series: Series, default: str) -> str:
    """The commit the series applies to: its ``base-commit:`` if known here, else ``default``."""
    for message in series.messages:
        if message.base_commit and (sha := _commit_of(repo, message.base_commit)):
            return sha
    sha = _commit_of(repo, default)
    if sha is None:
        raise RepositoryError(f"{repo}: mail.base {default!r} is not a commit of this repository")
    return sha


@contextlib.contextmanager
def applied_series(repo: Path, series: Series, default_base: str) -> Iterator[Applied]:
    """Apply ``series`` in a temporary worktree (removed on exit); yields what happened."""
    if not (repo / ".git").exists() and _git(repo, "rev-parse", "--git-dir").returncode:
        raise RepositoryError(f"{repo}: mail.repo is not a git repository")
    base = series_base(repo, series, default_base)
    # Checking out and applying run the filter drivers .gitattributes names (and
    # a patch may add one): every driver configured here is switched off.
    env = gitenv.safe_env([*_IDENTITY, *gitenv.filter_overrides(repo)])
    folder = Path(tempfile.mkdtemp(prefix="duckfix-am-"))
    tree = folder / "tree"
    added = _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), base, env=env)
    if added.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise RepositoryError(f"{repo}: cannot make a worktree: {added.stderr.decode().strip()}")
    result = Applied(base=base, worktree=tree)
    try:
        for number in sorted(series.patches):
            patch = series.patches[number]
            done = _git(tree, *_AM, input=patch.raw, env=env)
            if done.returncode:
                words = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
                _git(tree, "am", "--abort", env=env)
                result.failed = patch
                result.reason = _first_lines(words)
                break
            head = _commit_of(tree, "HEAD", env)
            assert head is not None
            result.commits[number] = head
        yield result
    finally:
        _git(repo, "worktree", "remove", "--force", str(tree), env=env)
        _git(repo, "worktree", "prune", env=env)
        shutil.rmtree(folder, ignore_errors=True)


def _first_lines(text: str, limit: int = 12) -> str:
    # git am ends with advice on --continue / --skip / --abort, which is for a
    # person at a terminal, not for the author reading our reply.
    kept = [
        line
        for line in text.splitlines()
        if line.strip()
        and not line.startswith(("hint:", "When you have resolved", "If you prefer"))
        and "git am --" not in line
    ]
    return "\n".join(kept[:limit])
