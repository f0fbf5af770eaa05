"""The git pre-push hook: which commits a push sends, and installing the hook.

git runs ``.git/hooks/pre-push REMOTE URL`` with one line per ref on stdin:
``<local ref> <local sha> <remote ref> <remote sha>``. What is reviewed per line:

* a delete (local sha all zeros): nothing;
* anything else: the commits reachable from the local sha that neither the
  remote sha (when this repository has it) nor any remote-tracking ref has,
  so a new branch reviews only its own commits and a force push only what is
  new, never history the remote already holds.

Under the pre-commit framework the refs come from ``PRE_COMMIT_FROM_REF`` and
``PRE_COMMIT_TO_REF`` instead of stdin.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from duckfix import gitenv
from duckfix.errors import RepositoryError, UsageError
from duckfix.pipelines.review.inputs import from_commits, from_range, new_commits

if TYPE_CHECKING:
    from duckfix.git_cli import GitRepo
    from duckfix.patches import Review

__all__ = [
    "HOOK_MARKER",
    "PushRef",
    "hook_script",
    "install_hook",
    "parse_push_lines",
    "refs_from_pre_commit",
    "reviews_for_push",
    "skip_requested",
    "uninstall_hook",
]

HOOK_MARKER = "# duckfix pre-push hook"
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class PushRef:
    """One line of git's pre-push input."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        return set(self.local_sha) == {"0"}

    @property
    def creates(self) -> bool:
        return set(self.remote_sha) == {"0"}


def parse_push_lines(text: str) -> list[PushRef]:
    """git's pre-push lines; blank lines are ignored, a malformed one is a :class:`UsageError`."""
    refs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or not (_SHA.match(parts[1]) and _SHA.match(parts[3])):
            raise UsageError(
                f"pre-push input line {number} is not '<local ref> <local sha> <remote ref> "
                f"<remote sha>': {line[:120]!r}"
            )
        refs.append(PushRef(*parts))
    return refs


def refs_from_pre_commit(environ: Mapping[str, str]) -> list[PushRef] | None:
    """The push the pre-commit framework describes in its variables, or None if it does not.

    pre-commit sets no range when the push sends a root commit (its "all files"
    case), only the refs: then the local ref is the tip, and all it has that no
    remote has is new.
    """
    to_ref = environ.get("PRE_COMMIT_TO_REF") or environ.get("PRE_COMMIT_LOCAL_BRANCH")
    if not to_ref:
        return None
    from_ref = environ.get("PRE_COMMIT_FROM_REF") or "0" * 40
    remote_branch = environ.get("PRE_COMMIT_REMOTE_BRANCH", "")
    return [
        PushRef(environ.get("PRE_COMMIT_LOCAL_BRANCH", to_ref), to_ref, remote_branch, from_ref)
    ]


def _short(ref: str) -> str:
    return ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


def reviews_for_push(repo: GitRepo, refs: list[PushRef], remote: str) -> list[Review]:
    """One review per pushed ref that sends commits the remote does not have yet."""
    reviews = []
    for ref in refs:
        if ref.deletes:
            continue
        exclude = [] if ref.creates else [ref.remote_sha]
        try:
            commits = new_commits(repo, ref.local_sha, exclude)
        except RepositoryError:
            continue  # a tag object or a ref git itself could not walk: nothing we can review
        if not commits:
            continue
        label = f"{_short(ref.local_ref)} -> {remote}/{_short(ref.remote_ref)}"
        base = _fork_point(repo, ref.local_sha, exclude)
        if base is None:
            review = from_commits(repo, commits, label)
        else:
            review = from_range(repo, f"{base}..{ref.local_sha}")
            review.label = label
        reviews.append(review)
    return reviews


def _fork_point(repo: GitRepo, tip: str, exclude: list[str]) -> str | None:
    """The one commit the remote has that ``tip``'s new commits grow from; None if not one.

    For a line of history it is the first new commit's parent (what
    :func:`from_commits` diffs from). When the new commits merge in a branch the
    remote has (``git merge main`` on a feature branch) it is that branch's tip,
    so the changes the remote already holds are not reviewed again.
    """
    try:
        known = repo.run("for-each-ref", "--format=%(objectname)", "refs/remotes").split()
        bases = repo.run("merge-base", "--all", tip, *exclude, *known).split()
    except RepositoryError:  # no common history, or a sha this repository lacks
        return None
    return bases[0] if len(bases) == 1 else None


def hook_script(python: str, chain: Path | None = None) -> str:
    """The ``pre-push`` script: runs ``chain`` first (if any), then duckfix, with git's input."""
    lines = [
        "#!/bin/sh",
        HOOK_MARKER,
        "# Installed by `duckfix hook install`; delete this file to uninstall.",
        "# Skip once: git push --no-verify, or DUCKFIX_SKIP=1 git push",
        # git's ref lines are read once and handed to each hook in turn.
        "input=$(cat)",
    ]
    if chain is not None:
        lines.append(f'printf "%s\\n" "$input" | {_quote(str(chain))} "$@" || exit $?')
    # DUCKFIX_SKIP skips duckfix only: a chained hook still runs (--no-verify skips all).
    lines.append('if [ "${DUCKFIX_SKIP:-0}" = 1 ]; then exit 0; fi')
    lines.append(f'printf "%s\\n" "$input" | exec {_quote(python)} -m duckfix hook pre-push "$@"')
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def hooks_path(repo: GitRepo) -> Path:
    """Where git looks for this repository's hooks (``core.hooksPath`` honoured)."""
    top = Path(repo.working_tree_dir or repo.git_dir)
    # The one git command asked without HOOKS_OFF: it is where the user's own
    # pushes look for hooks, not ours. rev-parse --git-path reads, runs nothing.
    env = {
        **os.environ,
        **gitenv.config_vars([p for p in gitenv.SAFE_CONFIG if p != gitenv.HOOKS_OFF]),
    }
    where = repo.run("rev-parse", "--git-path", "hooks", env=env)
    return top / where.strip()


def install_hook(repo: GitRepo, *, force: bool = False, chain: bool = False) -> tuple[Path, str]:
    """Write the pre-push hook; returns its path and what was done, in words.

    An existing hook that is not ours is left alone unless ``force`` (it is
    replaced, after a copy is kept next to it) or ``chain`` (it is moved to
    ``pre-push.local`` and run before duckfix, with the same input).
    """
    folder = hooks_path(repo)
    target = folder / "pre-push"
    chained: Path | None = None
    done = "installed"
    if target.exists():
        current = target.read_text(errors="replace")
        if HOOK_MARKER in current:
            done = "updated"
            old_chain = folder / "pre-push.local"
            chained = old_chain if old_chain.exists() and "pre-push.local" in current else None
        elif chain:
            chained = folder / "pre-push.local"
            if chained.exists():
                raise UsageError(f"{chained} exists already; move it away and run this again")
            target.rename(chained)
            done = f"installed; your hook was moved to {chained} and runs first"
        elif force:
            backup = folder / "pre-push.duckfix-backup"
            target.rename(backup)
            done = f"installed; your hook was kept as {backup}"
        else:
            raise UsageError(
                f"{target} exists and is not duckfix's; use --chain to run it before duckfix, "
                "or --force to replace it"
            )
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(hook_script(sys.executable, chained))
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target, done


def uninstall_hook(repo: GitRepo) -> tuple[Path, str]:
    """Remove duckfix's pre-push hook and put back the hook it replaced; returns what was done.

    A hook that is not duckfix's is never touched: it is the user's.
    """
    folder = hooks_path(repo)
    target = folder / "pre-push"
    if not target.exists():
        raise UsageError(f"{target} does not exist: no pre-push hook is installed")
    if HOOK_MARKER not in target.read_text(errors="replace"):
        raise UsageError(f"{target} is not duckfix's hook; it was left as it is")
    target.unlink()
    for kept, how in (("pre-push.local", "chained"), ("pre-push.duckfix-backup", "replaced")):
        earlier = folder / kept
        if earlier.exists():
            earlier.rename(target)
            return target, f"removed; the hook duckfix had {how} is back in its place"
    return target, "removed"


def skip_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """``DUCKFIX_SKIP=1``: the user asked to push without a review."""
    return environ.get("DUCKFIX_SKIP", "").strip() in ("1", "true", "yes")
