"""The ``duckfix`` command's entry point (the console script and ``python -m duckfix``).

The pre-push hook runs without click when it can (:func:`duckfix.service.hook_run.fast_main`):
this module imports nothing else, so a push does not pay for the command line
it does not use. Everything else is the click group in :mod:`duckfix.service.cli`.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run ``duckfix`` with ``argv`` (default: the process's arguments)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:2] == ["hook", "pre-push"]:
        from duckfix.service.hook_run import fast_main

        code = fast_main(args)
        if code is not None:
            sys.exit(code)
    from duckfix.service.cli import main as click_main

    click_main(argv)
