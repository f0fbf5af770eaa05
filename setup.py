"""Package list for setuptools; everything else is in pyproject.toml.

The suites under datasets/suites/ are data, but their folders have names Python
could import (builtin/lower_bound/buggy), and setuptools warns about every such
folder shipped as data unless it is listed as a package. Listing them here keeps
installs quiet and makes their inclusion explicit.
"""

from pathlib import Path

from setuptools import setup

ROOMS = {
    "duckfix": "duckfix",
    "duckfix.agents": "agents",
    "duckfix.pipelines": "pipelines",
    "duckfix.datasets": "datasets",
    "duckfix.service": "service",
}


def packages() -> list[str]:
    here = Path(__file__).parent
    found = []
    for name, folder in ROOMS.items():
        root = here / folder
        for init in sorted(root.rglob("__init__.py")):
            parts = init.parent.relative_to(root).parts
            found.append(".".join((name, *parts)))
    suites = here / "datasets" / "suites"
    for folder in sorted(p for p in suites.rglob("*") if p.is_dir()):
        parts = folder.relative_to(here / "datasets").parts
        if "__pycache__" not in parts and all(p.isidentifier() for p in parts):
            found.append(".".join(("duckfix.datasets", *parts)))
    found.append("duckfix.datasets.suites")
    return sorted(set(found))


setup(packages=packages())
