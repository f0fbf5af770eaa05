"""Task folders whose program is megabytes of real-looking code with one bug in the entry point.

Used by the budget tests: a debug run on them must end within its
``--max-seconds`` and in bounded memory, however big the program is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

__all__ = ["c_task", "long_function_task", "python_task"]

# Helper bodies vary by index so the file is not one line repeated: each has
# loops, branches, arithmetic and comparisons, the stuff templates edit.
_PY_HELPER = '''\
def {name}(values, seed={seed}):
    """Fold values into a checksum, weighting every {step}th element."""
    total = seed
    for index, value in enumerate(values):
        if value % {mod} == 0:
            total += value * {mul}
        elif index > {step}:
            total -= value // {div}
        else:
            total ^= index
    return total % {prime}


'''

_PY_ENTRY = '''\
def window_sums(values, width):
    """Sums of every window of ``width`` consecutive values, left to right."""
    sums = []
    for start in range(len(values) - width):
        sums.append(sum(values[start : start + width]))
    return sums
'''

_PY_FIXED_ENTRY = _PY_ENTRY.replace("len(values) - width)", "len(values) - width + 1)")


def _window_sums(values: list[int], width: int) -> list[int]:
    return [sum(values[i : i + width]) for i in range(len(values) - width + 1)]


def _cases(inputs: list[tuple[list[int], int]]) -> str:
    return "".join(
        json.dumps({"args": [v, w], "expected": _window_sums(v, w)}) + "\n" for v, w in inputs
    )


_VISIBLE = [([1, 2, 3, 4], 2), ([5, 5, 5], 3), ([1, 2], 3), ([9, -1, 4, 0, 2, 7], 4), ([], 1)]
_HIDDEN = [([3, 1, 4, 1, 5, 9, 2, 6], 3), ([7], 1), ([2, 2], 1), ([0, 1, 0, 1, 0], 2)]


def _helpers(size: int) -> Iterator[str]:
    written, i = 0, 0
    while written < size:
        text = _PY_HELPER.format(
            name=f"checksum_{i:06d}",
            seed=i % 97,
            step=2 + i % 7,
            mod=2 + i % 5,
            mul=1 + i % 9,
            div=1 + i % 4,
            prime=1_000_003 + 2 * (i % 50),
        )
        written += len(text)
        i += 1
        yield text


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _toml(task_id: str, language: str, entry: str, program: str) -> str:
    return (
        f'id = "{task_id}"\nlanguage = "{language}"\nentry_point = "{entry}"\n'
        f'program = "{program}"\ncategory = "off-by-one"\n'
        f'description = "A big program with one bug in {entry}."\n'
    )


def python_task(root: Path, size: int = 4_500_000) -> Path:
    """A task whose ``window_sums.py`` is ``size`` bytes: helpers, then the buggy entry point."""
    body = "".join(_helpers(size - len(_PY_ENTRY)))
    return _write(
        root,
        {
            "task.toml": _toml("big_python", "python", "window_sums", "window_sums.py"),
            "buggy/window_sums.py": body + _PY_ENTRY,
            "fixed/window_sums.py": body + _PY_FIXED_ENTRY,
            "tests/visible/cases.jsonl": _cases(_VISIBLE),
            "tests/hidden/cases.jsonl": _cases(_HIDDEN),
        },
    )


def long_function_task(root: Path, size: int = 4_500_000) -> Path:
    """A task whose entry point is one function of ``size`` bytes, every line of it run.

    ``mix(values)`` folds the values through tens of thousands of straight-line
    statements; the bug is one ``>`` written ``>=`` near the end.
    """
    head = (
        'def mix(values):\n    """Fold values into one number."""\n'
        "    acc = 0\n    n = len(values)\n"
    )
    tail = "    return acc\n"
    count = (size - len(head) - len(tail)) // len(_mix_step(99_999, ">"))
    # The bug sits where the second visible input holds an 8 and compares it to 8.
    bug = next(i for i in range(count - 1, 0, -1) if i % 11 == 8 and i % 6 == 1 and i % 5 < 6)
    steps = [_mix_step(i, ">=" if i == bug else ">") for i in range(count)]
    fixed_steps = [_mix_step(i, ">") for i in range(count)]
    inputs = [[1, 2, 3], [9, 8, 7, 6, 5, 4], [0], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [12, 0, 8]]

    def cases(chosen: list[list[int]]) -> str:
        return "".join(json.dumps({"args": [v], "expected": _mix(v, count)}) + "\n" for v in chosen)

    return _write(
        root,
        {
            "task.toml": _toml("long_function", "python", "mix", "mix.py"),
            "buggy/mix.py": head + "".join(steps) + tail,
            "fixed/mix.py": head + "".join(fixed_steps) + tail,
            "tests/visible/cases.jsonl": cases(inputs[:3]),
            "tests/hidden/cases.jsonl": cases(inputs[3:]),
        },
    )


def _mix_step(i: int, op: str) -> str:
    return (
        f"    if n > {i % 5} and values[{i} % n] {op} {i % 11}:\n"
        f"        acc = (acc * 31 + {i % 13}) % 1000003\n"
    )


def _mix(values: list[int], count: int) -> int:
    """What the fixed ``mix`` returns, without compiling megabytes of it."""
    acc, n = 0, len(values)
    for i in range(count):
        if n > i % 5 and values[i % n] > i % 11:
            acc = (acc * 31 + i % 13) % 1000003
    return acc


_C_HELPER = """\
int filter_{i:06d}(const int *values, int n) {{
    int acc = {seed};
    for (int k = 0; k < n; k++) {{
        if (values[k] % {mod} == 0)
            acc += values[k] * {mul};
        else if (k > {step})
            acc -= values[k] / {div};
        else
            acc ^= k;
    }}
    return acc % {prime};
}}

"""

_C_ENTRY = """\
int window_max(const int *values, int n, int width) {
    int best = values[0];
    for (int start = 0; start + width < n; start++) {
        int sum = 0;
        for (int k = 0; k < width; k++)
            sum += values[start + k];
        if (start == 0 || sum > best)
            best = sum;
    }
    return best;
}
"""

_C_FIXED_ENTRY = _C_ENTRY.replace("start + width < n", "start + width <= n")

_C_BENCH = """\
#include "duckfix_tb.h"
#include "window.h"

DUCKFIX_CASE(rising) {
    int v[4] = {1, 2, 3, 4};
    DUCKFIX_CHECK_EQ(window_max(v, 4, 2), 7);
}

DUCKFIX_CASE(whole) {
    int v[3] = {5, 5, 5};
    DUCKFIX_CHECK_EQ(window_max(v, 3, 3), 15);
}

DUCKFIX_CASE(first) {
    int v[4] = {9, 1, 1, 1};
    DUCKFIX_CHECK_EQ(window_max(v, 4, 2), 10);
}

DUCKFIX_MAIN
"""


def c_task(root: Path, size: int = 2_000_000) -> Path:
    """A C task whose ``window.c`` is ``size`` bytes of helpers, then the buggy entry point."""
    parts: list[str] = ['#include "window.h"\n\n']
    written, i = 0, 0
    while written < size - len(_C_ENTRY):
        text = _C_HELPER.format(
            i=i,
            seed=i % 97,
            mod=2 + i % 5,
            mul=1 + i % 9,
            step=2 + i % 7,
            div=1 + i % 4,
            prime=1_000_003 + 2 * (i % 50),
        )
        parts.append(text)
        written += len(text)
        i += 1
    body = "".join(parts)
    header = "int window_max(const int *values, int n, int width);\n"
    return _write(
        root,
        {
            "task.toml": _toml("big_c", "c", "window_max", "window.c"),
            "buggy/window.c": body + _C_ENTRY,
            "buggy/window.h": header,
            "fixed/window.c": body + _C_FIXED_ENTRY,
            "fixed/window.h": header,
            "tests/visible/tb.c": _C_BENCH,
            "tests/hidden/tb.c": _C_BENCH,
        },
    )
