"""duckfix: multi-agent debugging and code review.

The public API is listed in ``__all__``; names load on first use so that the
command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "DuckfixError": "duckfix.errors",
    "Task": "duckfix.models",
    "TestCase": "duckfix.models",
    "TestOutcome": "duckfix.models",
    "TestReport": "duckfix.models",
    "RunResult": "duckfix.models",
    "Suspect": "duckfix.models",
    "Patch": "duckfix.models",
    "Finding": "duckfix.findings",
    "Explanation": "duckfix.models",
    "Usage": "duckfix.models",
    "Settings": "duckfix.config",
    "load_settings": "duckfix.config",
    "Limits": "duckfix.sandbox",
    "run_tests": "duckfix.runner",
    "RunOptions": "duckfix.runner",
}

__all__ = [
    "DuckfixError",
    "Explanation",
    "Finding",
    "Limits",
    "Patch",
    "RunOptions",
    "RunResult",
    "Settings",
    "Suspect",
    "Task",
    "TestCase",
    "TestOutcome",
    "TestReport",
    "Usage",
    "__version__",
    "load_settings",
    "run_tests",
]

if TYPE_CHECKING:
    from duckfix.config import Settings, load_settings
    from duckfix.errors import DuckfixError
    from duckfix.models import (
        Explanation,
        Finding,
        Patch,
        RunResult,
        Suspect,
        Task,
        TestCase,
        TestOutcome,
        TestReport,
        Usage,
    )
    from duckfix.runner import RunOptions, run_tests
    from duckfix.sandbox import Limits


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'duckfix' has no attribute {name!r}")
