"""Run JSON test cases against an entry point; one result line per case, written as it ends.

Usage (inside the sandbox): python _duckfix/cases.py SPEC.json
SPEC: {"module", "entry", "timeout", "start", "cases": [{"args", "expected"}], "results"}
"""

import itertools
import json
import math
import os
import signal
import sys
import time
import traceback

MAX_ITEMS = 100_000  # of a generator result, so an endless one cannot hang the harness


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in a program cannot eat it."""


def _alarm(_signum, _frame):
    raise CaseTimeout


def plain(value):
    """Turn a result into JSON-shaped data: tuples and generators to lists, sets sorted."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "__iter__") and hasattr(value, "__next__"):
        return [plain(v) for v in itertools.islice(value, MAX_ITEMS)]
    return repr(value)


def same(actual, expected):
    if isinstance(actual, float) or isinstance(expected, float):
        if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
            if math.isnan(actual) and math.isnan(expected):
                return True
            return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
        return False
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], expected[k]) for k in actual
        )
    return actual == expected


def short(value, limit=300):
    text = json.dumps(value, default=repr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_case(fn, case, timeout):
    args = json.loads(json.dumps(case["args"]))  # a fresh copy: programs mutate their inputs
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        actual = plain(fn(*args))
    except CaseTimeout:
        return {"status": "timeout", "message": f"no result after {timeout:g}s"}
    except RecursionError:
        return {"status": "error", "message": "RecursionError: maximum recursion depth exceeded"}
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            name = type(exc).__name__
            return {"status": "error", "message": f"{name} raised by the program"}
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"status": "error", "message": tb[:500]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - started
    try:
        json.dumps(actual)
    except (TypeError, ValueError):
        actual = repr(actual)
    if same(actual, case["expected"]):
        return {"status": "passed", "actual": actual, "seconds": seconds}
    message = f"expected {short(case['expected'])}, got {short(actual)}"
    return {"status": "failed", "actual": actual, "message": message, "seconds": seconds}


def main():
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    sys.path.insert(0, os.getcwd())
    out = os.open(spec["results"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def emit(record):
        os.write(out, (json.dumps(record, default=repr) + "\n").encode())

    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    try:
        module = __import__(spec["module"], fromlist=["_"])
        fn = getattr(module, spec["entry"])
    except BaseException as exc:
        message = "cannot load the program: " + traceback.format_exception_only(type(exc), exc)[-1]
        emit({"index": -1, "status": "error", "message": message.strip()[:500]})
        return 3
    for index in range(spec["start"], len(spec["cases"])):
        result = run_case(fn, spec["cases"][index], spec["timeout"])
        result["index"] = index
        emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
