"""Verdicts, decided outside the sandbox from what a run reports.

A test harness runs in the same process as the program under test, so
whatever the harness can write, the program can write too. Nothing a run
reports is taken as a verdict on its word:

- JSON cases: the harness reports the value the entry point returned; the
  expected value never enters the sandbox, and the comparison happens here.
- pytest tests and C test benches check their own assertions in the program's
  process; their records count only when they carry the run's secret (handed to
  the harness before the program's code runs, on a pipe that is then closed)
  and when the harness reports that it finished. A program that writes records,
  prints "passed" lines or exits early therefore passes nothing.

Reports are hostile input: lines are parsed with bounds on size, depth and
integer length, and a line that does not parse is dropped.
"""

from __future__ import annotations

import decimal
import json
import math
from typing import Any

__all__ = ["records", "same", "short"]

MAX_LINE = 8 << 20
"""Longest report line read; a longer one is dropped."""
MAX_DIGITS = 100_000
"""Longest integer read from a report (Python's own limit is 4,300 digits)."""
_CONTEXT = decimal.Context(prec=MAX_DIGITS + 10, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _int(text: str) -> int:
    # int(str) refuses more than 4,300 digits (quadratic time); Decimal is linear and
    # turns into an int without going through a decimal string.
    if len(text) > MAX_DIGITS:
        raise ValueError("integer too long")
    return int(text) if len(text) <= 4000 else int(_CONTEXT.create_decimal(text))


def records(report: bytes, secret: str | None = None) -> list[dict[str, Any]]:
    """The JSON objects of ``report``, one a line; with ``secret``, only those carrying it."""
    out = []
    for line in report.split(b"\n"):
        if not line.strip() or len(line) > MAX_LINE:
            continue
        try:
            record = json.loads(line, parse_int=_int)
        except (ValueError, RecursionError):
            continue  # a torn last line, or a line the program wrote to confuse us
        if not isinstance(record, dict):
            continue
        if secret is not None and record.pop("secret", None) != secret:
            continue
        out.append(record)
    return out


def same(actual: Any, expected: Any) -> bool:
    """Whether a reported value equals the expected one (floats to 1e-9, NaN equals NaN)."""
    try:
        return _same(actual, expected)
    except RecursionError:
        return False


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, float) or isinstance(expected, float):
        if isinstance(actual, int | float) and isinstance(expected, int | float):
            if math.isnan(actual) and math.isnan(expected):
                return True
            return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
        return False
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _same(actual[k], expected[k]) for k in actual
        )
    # Both sides were parsed from JSON here: plain data, no program-defined __eq__.
    return bool(actual == expected)


def short(value: Any, limit: int = 300) -> str:
    """``value`` as JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, default=repr)
    except (ValueError, RecursionError):
        text = _big(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _big(value: Any) -> str:
    if isinstance(value, int):
        return f"<an integer of {len(format(value, 'x')) * 4 * 0.30103:.0f} digits>"
    return f"<a {type(value).__name__} too deep or too long to show>"
