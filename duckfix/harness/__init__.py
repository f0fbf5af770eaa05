"""Scripts copied into the sandbox to run test cases; standard library only.

They run under the program's interpreter without importing duckfix, so a run
starts fast and a broken duckfix install cannot change a verdict.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["harness_files"]


def harness_files() -> dict[str, str]:
    """Run-layout path -> text of every harness script."""
    base = resources.files(__name__)
    return {
        "_duckfix/cases.py": (base / "cases.py").read_text(),
        "_duckfix/duckfix_pytest_plugin.py": (base / "pytest_plugin.py").read_text(),
        "_duckfix/cbench.py": (base / "cbench.py").read_text(),
        "_duckfix/duckfix_tb.h": (base / "duckfix_tb.h").read_text(),
    }
