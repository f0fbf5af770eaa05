"""Benchmarks, run by `make bench` (python -m tests.perf); never part of the test suite."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def local_model() -> tuple[str, Path] | None:
    """The model ``DUCKFIX_PERF_MODEL`` names (default the 0.5B) and its file; None to skip.

    Says why on stdout when llama.cpp's server or the model is not installed.
    """
    from duckfix.config import default_home
    from duckfix.model_catalog import find, model_path

    name = os.environ.get("DUCKFIX_PERF_MODEL", "qwen2.5-coder-0.5b")
    path = model_path(find(name), default_home())
    if find_spec("llama_cpp") is None or path is None:
        print(f"skipped: needs the local extra and `duckfix models install {name}`")
        return None
    return name, path
