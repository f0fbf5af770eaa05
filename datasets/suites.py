"""Resolve a suite name given by a user: ``builtin``, ``hls``, ``golden-c``, ``quixbugs:PATH``,
or a folder of tasks."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from duckfix.errors import NotFoundError
from duckfix.models import Task
from duckfix.runner import RunOptions
from duckfix.safe_files import DEFAULT_MAX_BYTES

__all__ = ["BUILTIN_SUITES", "load_suite", "suite_root"]

BUILTIN_SUITES = ("builtin", "hls", "golden-c")
_FOLDERS = {"golden-c": "golden_c"}  # a suite name may hold '-'; a package folder may not


def suite_root(name: str) -> Path:
    """The folder of a suite shipped with duckfix."""
    folder = _FOLDERS.get(name, name)
    root = Path(str(resources.files("duckfix.datasets") / "suites" / folder))
    if name not in BUILTIN_SUITES or not root.is_dir():
        raise NotFoundError(
            f"no built-in suite {name!r}; built-in suites: {', '.join(BUILTIN_SUITES)}"
        )
    return root


def load_suite(
    spec: str, options: RunOptions | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Task]:
    """The tasks of a suite. ``quixbugs:PATH`` may run buggy programs to split its cases.

    Every suite, the built-in ones too, is read by the loaders' rules: files
    over ``max_bytes`` (``tasks.max_file_mb``), links and special files refused.
    """
    from duckfix.datasets.folder import load_task_folders

    if spec in BUILTIN_SUITES:
        return load_task_folders(suite_root(spec), max_bytes=max_bytes)
    if spec.startswith("quixbugs:"):
        from duckfix.datasets.quixbugs import load_quixbugs

        root = Path(spec.removeprefix("quixbugs:")).expanduser()
        return load_quixbugs(root, options, max_bytes=max_bytes)
    path = Path(spec).expanduser()
    if not path.exists():
        raise NotFoundError(
            f"no suite {spec!r}: give 'builtin', 'quixbugs:PATH', or the path of a folder of tasks"
        )
    return load_task_folders(path, max_bytes=max_bytes)
