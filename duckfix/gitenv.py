"""The environment duckfix runs git in: no hook, and no command the repository names.

duckfix runs git on repositories it does not own the configuration of: the
user's checkout (``duckfix review``, the pre-push hook) and the maintainer's
repository the mail bot applies patches in. Left alone, git would run that
repository's hooks (``post-checkout`` on ``worktree add``, the ``applypatch``
hooks and ``reference-transaction`` on ``am``), its ``core.fsmonitor`` command
(on any command that reads the index, ``diff --cached`` too), its filter
drivers (on checkout and apply, for files a patch may mark with
``.gitattributes``), ``gpg.program`` (signing ``am``'s commits, verifying under
``log.showSignature``) and a background ``gc`` / ``maintenance`` after ``am``.

Every git process duckfix starts gets :data:`SAFE_CONFIG` as command-line
configuration, which wins over every configuration file: through the
environment (``GIT_CONFIG_COUNT`` / ``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n``,
git 2.31+), so one place covers subprocess calls (:func:`safe_env`) and
GitPython (:func:`protect`). The pairs are also appended to
``GIT_CONFIG_PARAMETERS``, which is where ``git -c`` puts its own: git reads it
after ``GIT_CONFIG_COUNT`` and every version reads it, so neither an outer
``git -c`` (duckfix running as a hook) nor an older git undoes them. Commands
that print diffs add :data:`DIFF_OPTIONS` (external diff drivers and textconv
are not configuration git lets us switch off globally).

The user's own ``pre-push`` hook still runs when *they* push: that is git
running it, not duckfix.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import git

__all__ = [
    "DIFF_OPTIONS",
    "HOOKS_OFF",
    "SAFE_CONFIG",
    "config_vars",
    "filter_overrides",
    "protect",
    "safe_env",
]

HOOKS_OFF: Final = ("core.hooksPath", "/dev/null")
"""No hook runs: git looks for ``/dev/null/<hook>``, which cannot exist."""

SAFE_CONFIG: Final[tuple[tuple[str, str], ...]] = (
    HOOKS_OFF,
    ("core.fsmonitor", "false"),
    # git am signs its commits with gpg.program when commit.gpgSign is set, and
    # git log runs it to verify each commit under log.showSignature.
    ("commit.gpgSign", "false"),
    ("log.showSignature", "false"),
    # git am ends with automatic maintenance: a detached gc of the user's repository.
    ("maintenance.auto", "false"),
    ("gc.auto", "0"),
)
"""Configuration every git process duckfix starts runs with."""

DIFF_OPTIONS: Final = ("--no-ext-diff", "--no-textconv")
"""For commands that print a diff: no external diff driver, no textconv command."""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def config_vars(
    pairs: Iterable[tuple[str, str]] = SAFE_CONFIG, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables that add ``pairs`` to git's command-line configuration in ``environ``.

    Entries ``environ`` (default: this process's environment) already carries
    are kept; ``pairs`` come after them, so they win.
    """
    base = os.environ if environ is None else environ
    try:
        start = max(int(base.get("GIT_CONFIG_COUNT", "0")), 0)
    except ValueError:
        start = 0  # git itself refuses to run with a malformed count
    out: dict[str, str] = {}
    count = start
    for key, value in pairs:
        out[f"GIT_CONFIG_KEY_{count}"] = key
        out[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    out["GIT_CONFIG_COUNT"] = str(count)
    # 'key=value', the form every git version parses (2.31+ also reads 'key'='value').
    quoted = " ".join(_quote(f"{key}={value}") for key, value in pairs)
    before = base.get("GIT_CONFIG_PARAMETERS", "").strip()
    out["GIT_CONFIG_PARAMETERS"] = f"{before} {quoted}" if before else quoted
    return out


def safe_env(
    extra: Iterable[tuple[str, str]] = (), environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A whole environment for a git subprocess: ``environ`` plus :data:`SAFE_CONFIG` and ``extra``.

    ``extra`` pairs come last (an identity for ``git am``, :func:`filter_overrides`).
    """
    base = dict(os.environ if environ is None else environ)
    return {**base, **config_vars([*SAFE_CONFIG, *extra], base)}


def protect(repo: git.Repo) -> git.Repo:
    """``repo`` with every git command GitPython runs for it under :data:`SAFE_CONFIG`.

    Call it before the first command: GitPython keeps ``cat-file`` processes
    running once started, with the environment they started with.
    """
    repo.git.update_environment(**config_vars())
    return repo


def filter_overrides(repo: Path, timeout: float = 30.0) -> list[tuple[str, str]]:
    """Pairs that switch off every filter driver configured for ``repo``.

    A checkout or ``git am`` runs the ``clean`` / ``smudge`` / ``process`` command
    of each driver that ``.gitattributes`` names for a file, and a patch can add
    a ``.gitattributes``. An empty command is no filter; ``required=false`` keeps
    git from failing a file whose filter did not run. Commands that only read
    history (diff, log) run no filter and need none of this.
    """
    try:
        done = subprocess.run(
            ["git", "config", "--null", "--name-only", "--get-regexp", r"^filter\..+\."],
            cwd=repo,
            env=safe_env(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    drivers = sorted(
        {
            name.removeprefix("filter.").rpartition(".")[0]
            for name in done.stdout.decode("utf-8", "replace").split("\0")
            if name.startswith("filter.")
        }
        - {""}
    )
    pairs: list[tuple[str, str]] = []
    for driver in drivers:
        for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            pairs.append((f"filter.{driver}.{key}", value))
    return pairs
