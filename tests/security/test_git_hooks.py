"""git, run by duckfix, runs none of the repository's hooks and none of the commands its
configuration names: `duckfix mail run`, `duckfix review --range / --staged` and the
pre-push hook's own reads, end to end, on a repository armed with traps.

Each trap writes a canary file when it runs: hooks (post-checkout,
reference-transaction, the applypatch trio, post-commit, post-rewrite,
pre-auto-gc, post-index-change), a ``core.fsmonitor`` command, a filter driver
that ``.gitattributes`` names, a textconv and an external diff driver, and
``gpg.program`` (with ``log.showSignature`` and ``commit.gpgSign`` on). A
control test runs plain git on the same repository and sees the canaries, so
the traps are known to be live.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from duckfix import gitenv
from duckfix.pipelines.review.inputs import EMPTY_TREE

from tests.pipelines.review.gitrepo import GitRepo

LIST = "calc-devel@lists.example.org"
CALC = "def total(xs):\n    return sum(xs)\n"
HOOKS = (
    "post-checkout",
    "reference-transaction",
    "pre-applypatch",
    "post-applypatch",
    "applypatch-msg",
    "pre-commit",
    "commit-msg",
    "post-commit",
    "post-rewrite",
    "pre-auto-gc",
    "post-index-change",
)


def _script(path: Path, canary: Path, tail: str = "exit 0") -> str:
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> "{canary}"\n{tail}\n')
    path.chmod(0o755)
    return str(path)


def arm(repo: Path, traps: Path) -> Path:
    """Set every trap in ``repo``; the folder canaries will appear in (empty now)."""
    traps.mkdir()
    canaries = traps / "canaries"
    canaries.mkdir()
    hooks = Path(
        subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    hooks = hooks if hooks.is_absolute() else repo / hooks
    hooks.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        _script(hooks / name, canaries / name, "cat >/dev/null 2>&1\nexit 0")
    config = {
        "core.fsmonitor": _script(traps / "fsmonitor", canaries / "fsmonitor", "exit 1"),
        "filter.trap.clean": _script(traps / "clean", canaries / "filter-clean", "exec cat"),
        "filter.trap.smudge": _script(traps / "smudge", canaries / "filter-smudge", "exec cat"),
        "diff.trap.textconv": _script(traps / "textconv", canaries / "textconv", 'exec cat "$1"'),
        "diff.trap.command": _script(traps / "extdiff", canaries / "external-diff"),
        "diff.external": _script(traps / "diffext", canaries / "diff-external"),
        "gpg.program": _script(traps / "gpg", canaries / "gpg", "exit 1"),
        "log.showSignature": "true",
        "commit.gpgSign": "true",
        "gc.auto": "1",  # any loose object at all starts an automatic gc
    }
    for key, value in config.items():
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    # In .git/info/attributes, not committed: the traps apply to every commit.
    info = Path(
        subprocess.run(
            ["git", "rev-parse", "--git-path", "info"],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    info = info if info.is_absolute() else repo / info
    info.mkdir(parents=True, exist_ok=True)
    (info / "attributes").write_text("* filter=trap diff=trap\n")
    return canaries


def fake_signature(repo: GitRepo) -> str:
    """Give HEAD a (bogus) PGP signature: ``git log`` then asks ``gpg.program`` about it."""
    lines = repo.git("cat-file", "commit", "HEAD").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("committer ")) + 1
    lines[at:at] = [
        "gpgsig -----BEGIN PGP SIGNATURE-----",
        " ",
        " iQEzBAABCAAdFiEE",
        " -----END PGP SIGNATURE-----",
    ]
    sha = repo.git("hash-object", "-w", "-t", "commit", "--stdin", input="\n".join(lines)).strip()
    repo.git("update-ref", "HEAD", sha)
    return sha


def sprung(canaries: Path) -> list[str]:
    return sorted(p.name for p in canaries.iterdir())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No user or system git configuration; duckfix's state in the test's folder."""
    home = tmp_path / "home"
    home.mkdir()
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DUCKFIX_"))}
    return {
        **kept,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DUCKFIX_HOME": str(tmp_path / "duckfix-home"),
    }


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str]) -> tuple[GitRepo, str]:
    """The maintainer's repository (armed later), and a 3-patch series mailed to the list."""
    upstream = GitRepo(tmp_path / "upstream")
    upstream.commit("Add total\n\nThe sum of a list.", {"calc.py": CALC})
    work = tmp_path / "contrib"
    subprocess.run(["git", "clone", "-q", str(upstream.root), str(work)], check=True, env=env)
    contrib = GitRepo(work)
    sob = "\n\nSigned-off-by: Ada Lovelace <ada@example.org>"
    contrib.commit(
        "calc: add a mean\n\nCallers kept dividing by len() themselves." + sob,
        {"calc.py": CALC + "\n\ndef mean(xs):\n    return total(xs) / len(xs)\n"},
    )
    contrib.commit(
        "calc: trace the totals\n\nTo see what the callers pass." + sob,
        {"calc.py": CALC.replace("    return", '    print("DEBUG", xs)   \n    return')
         + "\n\ndef mean(xs):\n    return total(xs) / len(xs)\n"},
    )  # fmt: skip
    contrib.commit(
        "calc: count the items\n\nA patch may bring its own attributes." + sob,
        {"count.c": "int count(int n)\n{\n\tint spare;\n\treturn n;\n}\n",
         ".gitattributes": "*.c filter=trap diff=trap\n"},
    )  # fmt: skip
    mbox = contrib.git(
        "format-patch", "--stdout", "--thread", "--cover-letter", f"--to={LIST}", "-3"
    )
    return upstream, mbox


def _duckfix(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duckfix", *args],
        env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_traps_are_live_for_plain_git(
    project: tuple[GitRepo, str], tmp_path: Path, env: dict[str, str]
) -> None:
    """The control: git without duckfix's environment springs the traps."""
    upstream, mbox = project
    canaries = arm(upstream.root, tmp_path / "traps")
    tree = tmp_path / "plain-tree"
    upstream.git("worktree", "add", "--detach", str(tree), "HEAD")
    (tmp_path / "series.mbox").write_text(mbox)
    # The cover letter is dropped; the first patch's commit fails on the gpg trap.
    am = ["git", "am", "--empty=drop", str(tmp_path / "series.mbox")]
    subprocess.run(am, cwd=tree, env=env, capture_output=True, check=False)
    upstream.git("diff", EMPTY_TREE, "HEAD")
    upstream.git("log", "-1")
    assert {
        "post-checkout",
        "reference-transaction",
        "fsmonitor",
        "filter-smudge",
        "applypatch-msg",
        "pre-applypatch",
        "gpg",
        "external-diff",
    } <= set(sprung(canaries)), sprung(canaries)


def test_mail_run_applies_and_reviews_a_series_without_springing_a_trap(
    project: tuple[GitRepo, str], tmp_path: Path, env: dict[str, str]
) -> None:
    upstream, mbox = project
    canaries = arm(upstream.root, tmp_path / "traps")
    (tmp_path / "list.mbox").write_text(mbox)
    env = {
        **env,
        "DUCKFIX_MAIL__REPO": str(upstream.root),
        "DUCKFIX_MAIL__LIST_ADDRESS": LIST,
        "DUCKFIX_MAIL__FROM_ADDRESS": "review-bot@example.org",
        "DUCKFIX_MAIL__WAIT_MINUTES": "0",
    }
    done = _duckfix(["mail", "run", str(tmp_path / "list.mbox")], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert sprung(canaries) == []
    # The job still worked: the series applied and was reviewed (the debug print,
    # the unused variable), and the worktree is gone again.
    assert "reviewed" in done.stdout, done.stdout
    assert "did not apply" not in done.stdout
    replies = list((tmp_path / "duckfix-home").rglob("new/*"))
    text = "\n".join(p.read_text(errors="replace") for p in replies)
    assert "DEBUG" in text and "spare" in text, done.stdout
    worktrees = upstream.git("worktree", "list", "--porcelain")
    assert worktrees.count("worktree ") == 1


@pytest.fixture
def reviewed(tmp_path: Path) -> GitRepo:
    """A repository whose last commit is signed, names a Fixes: commit and leaves a debugger."""
    repo = GitRepo(tmp_path / "proj")
    first = repo.commit("Add total\n\nThe sum of a list.", {"calc.py": CALC})
    repo.commit(
        f'Fix the total of nothing\n\nIt crashed.\n\nFixes: {first[:12]} ("Add total")',
        {"calc.py": CALC + "breakpoint()\n"},
    )
    fake_signature(repo)
    return repo


def test_review_range_springs_no_trap(
    reviewed: GitRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    canaries = arm(reviewed.root, tmp_path / "traps")
    done = _duckfix(["review", "--range", "HEAD~1..HEAD", "--format", "json"], env, reviewed.root)
    assert done.returncode == 1, done.stderr  # the debugger left in is an error
    assert "leftovers/debugger" in {f["category"] for f in json.loads(done.stdout)["findings"]}
    assert sprung(canaries) == []


def test_review_staged_springs_no_trap(
    reviewed: GitRepo, tmp_path: Path, env: dict[str, str]
) -> None:
    reviewed.write({"calc.py": CALC + "import pdb\n"})
    reviewed.git("add", "calc.py")
    canaries = arm(reviewed.root, tmp_path / "traps")
    done = _duckfix(["review", "--staged", "--format", "json"], env, reviewed.root)
    assert done.returncode == 1, done.stderr
    assert "leftovers/debugger" in {f["category"] for f in json.loads(done.stdout)["findings"]}
    assert sprung(canaries) == []


def test_the_pre_push_hooks_own_reads_spring_no_trap(tmp_path: Path, env: dict[str, str]) -> None:
    repo = GitRepo(tmp_path / "proj")
    base = repo.commit("Add total\n\nThe sum of a list.", {"calc.py": CALC})
    repo.commit("Add a mean\n\nFor the report.", {"calc.py": CALC + "breakpoint()\n"})
    tip = fake_signature(repo)
    canaries = arm(repo.root, tmp_path / "traps")
    line = f"refs/heads/main {tip} refs/heads/main {base}\n"
    done = _duckfix(["hook", "pre-push", "origin", "url"], env, repo.root, stdin=line)
    assert done.returncode == 1 and "leftovers/debugger" in done.stderr, done.stderr
    assert sprung(canaries) == []


def test_hook_install_still_finds_the_users_hooks_path(tmp_path: Path, env: dict[str, str]) -> None:
    """The installed hook goes where the user's git looks, core.hooksPath honoured."""
    repo = GitRepo(tmp_path / "proj")
    repo.git("config", "core.hooksPath", "githooks")
    done = _duckfix(["hook", "install"], env, repo.root)
    assert done.returncode == 0, done.stderr
    assert (repo.root / "githooks" / "pre-push").is_file()


def test_safe_env_comes_after_what_the_environment_has() -> None:
    """An outer `git -c` (duckfix running as a hook) or GIT_CONFIG_COUNT cannot undo it."""
    outer = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": "/elsewhere",
        "GIT_CONFIG_PARAMETERS": "'core.hookspath'='/outer' 'user.name'='O'\\''Neil'",
        "PATH": os.environ["PATH"],
    }
    env = gitenv.safe_env(environ=outer)
    assert env["GIT_CONFIG_KEY_0"] == "core.hooksPath" and env["GIT_CONFIG_VALUE_0"] == "/elsewhere"
    assert env["GIT_CONFIG_KEY_1"] == "core.hooksPath" and env["GIT_CONFIG_VALUE_1"] == "/dev/null"

    def value(key: str) -> str:
        return subprocess.run(
            ["git", "config", "--get", key], env=env, capture_output=True, text=True, check=False
        ).stdout.strip()

    assert value("core.hooksPath") == "/dev/null"
    assert value("core.fsmonitor") == "false"
    assert value("user.name") == "O'Neil"  # the outer entries still parse


def test_filter_overrides_name_every_configured_driver(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.git("config", "filter.lfs.process", "git-lfs filter-process")
    repo.git("config", "filter.a.b.smudge", "cat")
    pairs = dict(gitenv.filter_overrides(repo.root))
    assert pairs["filter.lfs.process"] == "" and pairs["filter.lfs.required"] == "false"
    assert pairs["filter.a.b.smudge"] == "" and pairs["filter.a.b.clean"] == ""
