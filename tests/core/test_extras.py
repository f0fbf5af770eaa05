"""The base install without the agents extra, as a user of `pip install duckfix` meets it.

Each command runs in its own interpreter where the extra's packages cannot be
imported (as if they were not installed): review and the hook work, and a
command that needs the extra says which one to install, in one line, exit 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duckfix.extras import EXTRA_OF

from tests.datasets.test_folder import write_task
from tests.service import test_hook
from tests.service.test_hook import SECRET, Repo

# The hook tests' fixtures: an environment with no user configuration, and a
# repository whose first commit the remote has.
env = test_hook.env
repo = test_hook.repo

# The interpreter hides the extra's packages, then runs the command line.
_BASE_ONLY = (
    "import sys\n"
    "for name in {names!r}:\n"
    "    sys.modules[name] = None  # import fails: ModuleNotFoundError\n"
    "from duckfix.service.cli import main\n"
    "main()\n"
)


def base_only(
    repo: Repo, *args: str, hidden: tuple[str, ...] = tuple(EXTRA_OF)
) -> subprocess.CompletedProcess[str]:
    code = _BASE_ONLY.format(names=hidden)
    return repo.run(sys.executable, "-c", code, *args)


def assert_needs_agents(done: subprocess.CompletedProcess[str], module: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (
        f"Error: this command needs the 'agents' extra ({module} is not installed): "
        "pip install 'duckfix[agents]'"
    )


def test_review_and_the_hook_work_without_the_agents_extra(repo: Repo) -> None:
    base = repo.head()
    tip = repo.commit("settings.py", SECRET, "Add the settings")
    done = base_only(repo, "review", "--range", f"{base}..{tip}", "--format", "json")
    assert done.returncode == 1, done.stderr  # a secret: an error finding
    assert "secrets/github-token" in done.stdout
    pushed = f"refs/heads/main {tip} refs/heads/main {base}\n"
    hook = repo.run(sys.executable, "-c", _BASE_ONLY.format(names=tuple(EXTRA_OF)),
                    "hook", "pre-push", "origin", str(repo.remote), input=pushed)  # fmt: skip
    assert hook.returncode == 1 and "push blocked" in hook.stderr, hook.stderr
    assert "Traceback" not in done.stderr + hook.stderr


def test_debug_without_the_extra_says_what_to_install(repo: Repo) -> None:
    (repo.path / "prog.py").write_text("def double(n):\n    return n + 2\n")
    (repo.path / "test_prog.py").write_text(
        "from prog import double\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    done = base_only(repo, "debug", "prog.py", "--tests", "test_prog.py")
    assert_needs_agents(done, "langgraph")


@pytest.mark.parametrize("module", ["pytest"])
def test_tasks_check_without_pytest_says_what_to_install(
    repo: Repo, tmp_path: Path, module: str
) -> None:
    write_task(tmp_path / "suite", "double")
    done = base_only(repo, "tasks", "check", str(tmp_path / "suite"), hidden=(module,))
    assert_needs_agents(done, module)
