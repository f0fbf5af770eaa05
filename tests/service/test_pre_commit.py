"""duckfix as a hook of the real pre-commit framework, in a repository of a user's.

pre-commit clones this project as a hook repository (its
``.pre-commit-hooks.yaml``), makes a virtualenv and pip-installs duckfix's
base install into it, as it does for every user; the environment is made
once for the module. Then `git push` goes through pre-commit's pre-push
hook, and the user sees what pre-commit prints.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.test_hook import CLEAN, SECRET, Repo, user_env

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This project's files as they are now, committed to a repository pre-commit can clone."""
    root = tmp_path_factory.mktemp("duckfix-hook-repo")
    for rel in _git(PROJECT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split(
        "\0"
    ):
        source = PROJECT / rel
        if rel and source.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / rel)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "duckfix")
    return root, _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache: the hook environment is made once for every test here."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def env(tmp_path: Path, pre_commit_home: Path) -> dict[str, str]:
    base = user_env(tmp_path)
    # pip's own cache (the user's) keeps the install of the hook's environment short.
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    return {**base, "PRE_COMMIT_HOME": str(pre_commit_home), "PIP_CACHE_DIR": cache}


def _config(path: Path, rev: str, args: list[str] | None = None) -> str:
    lines = [
        "repos:",
        f"  - repo: {path}",
        f"    rev: {rev}",
        "    hooks:",
        "      - id: duckfix",
    ]
    if args is not None:
        lines.append(f"        args: [{', '.join(args)}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def user_repo(
    tmp_path: Path, env: dict[str, str], hook_repository: tuple[Path, str]
) -> Iterator[Repo]:
    """A user's repository with pre-commit's pre-push hook, its first commit on the remote."""
    repo = Repo(tmp_path, env)
    path, rev = hook_repository
    (repo.path / ".pre-commit-config.yaml").write_text(_config(path, rev))
    repo.git("add", ".pre-commit-config.yaml")
    repo.commit("calc.py", CLEAN, "Add the calculator")
    repo.git("push", "-q", "--no-verify", "origin", "main")
    done = repo.run(*PRE_COMMIT, "install", "--hook-type", "pre-push")
    assert done.returncode == 0, done.stderr + done.stdout
    # The first run makes the hook's environment (a clone and a pip install).
    done = repo.run(*PRE_COMMIT, "install-hooks")
    assert done.returncode == 0, done.stderr + done.stdout
    yield repo


def test_the_hook_environment_holds_the_base_install_only(
    user_repo: Repo, pre_commit_home: Path
) -> None:
    envs = [p for p in pre_commit_home.glob("repo*/py_env-*") if p.is_dir()]
    assert len(envs) == 1, envs
    listed = user_repo.run(str(envs[0] / "bin" / "python"), "-m", "pip", "list", "--format=freeze")
    names = {line.split("==")[0].lower() for line in listed.stdout.splitlines()}
    assert "duckfix" in names and "ruff" in names
    assert not names & {"matplotlib", "numpy", "langgraph", "openai", "pytest"}


def test_a_push_with_a_secret_is_blocked_and_skip_lets_it_through(user_repo: Repo) -> None:
    tip = user_repo.commit("settings.py", SECRET, "Add the settings")
    done = user_repo.push("origin", "main")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "duckfix review" in out and "Failed" in out
    assert "secrets/github-token" in out
    assert "push anyway with: git push --no-verify   (or SKIP=duckfix git push)" in out
    assert user_repo.remote_sha("main") != tip
    done = user_repo.push("origin", "main", SKIP="duckfix")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Skipped" in done.stdout + done.stderr
    assert user_repo.remote_sha("main") == tip


def test_args_tune_the_hook(user_repo: Repo, hook_repository: tuple[Path, str]) -> None:
    tip = user_repo.commit("calc.py", CLEAN + "x = 1   \n", "Add a trailing space")
    assert user_repo.push("--dry-run", "origin", "main").returncode == 0, "a warning passes"
    path, rev = hook_repository
    config = user_repo.path / ".pre-commit-config.yaml"
    config.write_text(_config(path, rev, ["--fail-on", "warning"]))
    user_repo.git("add", ".pre-commit-config.yaml")
    user_repo.git("commit", "-q", "-m", "Block on warnings\n\nThe team wants them fixed first.")
    done = user_repo.push("origin", "main")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "finding(s) at or above 'warning' (--fail-on)" in out
    assert user_repo.remote_sha("main") != tip


def test_run_by_hand_outside_a_push_says_it_reviewed_nothing(user_repo: Repo) -> None:
    done = user_repo.run(*PRE_COMMIT, "run", "--hook-stage", "pre-push", "--all-files")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "duckfix: reviewed nothing: no commits are being pushed" in out
