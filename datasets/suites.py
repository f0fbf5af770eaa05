"""Resolve a suite name given by a user: ``builtin``, ``quixbugs:PATH``, or a folder of tasks."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from duckfix.errors import NotFoundError
from duckfix.models import Task
from duckfix.runner import RunOptions

__all__ = ["BUILTIN_SUITES", "load_suite", "suite_root"]

BUILTIN_SUITES = ("builtin", "hls")


def suite_root(name: str) -> Path:
    """The folder of a suite shipped with duckfix."""
    root = Path(str(resources.files("duckfix.datasets") / "suites" / name))
    if name not in BUILTIN_SUITES or not root.is_dir():
        raise NotFoundError(
            f"no built-in suite {name!r}; built-in suites: {', '.join(BUILTIN_SUITES)}"
        )
    return root


def load_suite(spec: str, options: RunOptions | None = None) -> list[Task]:
    """The tasks of a suite. ``quixbugs:PATH`` may run buggy programs to split its cases."""
    from duckfix.datasets.folder import load_task_folders

    if spec in BUILTIN_SUITES:
        return load_task_folders(suite_root(spec))
    if spec.startswith("quixbugs:"):
        from duckfix.datasets.quixbugs import load_quixbugs

        return load_quixbugs(Path(spec.removeprefix("quixbugs:")).expanduser(), options)
    path = Path(spec).expanduser()
    if not path.exists():
        raise NotFoundError(
            f"no suite {spec!r}: give 'builtin', 'quixbugs:PATH', or the path of a folder of tasks"
        )
    return load_task_folders(path)
