"""A pytest plugin loaded in the sandbox: a per-test alarm, one JSON line per test outcome.

Loaded with ``-p _duckfix.pytest_plugin``; reads DUCKFIX_RESULTS (the output file)
and DUCKFIX_TEST_TIMEOUT (seconds per test) from the environment, and optionally
DUCKFIX_TRACE: a JSON file {"files": [...], "watch": [[path, line], ...]}. Then
each test's line also carries "lines" and "values" (see ``_duckfix/cases.py``):
what ran in the test's call phase, plus what ran while the test modules were
collected (that is where the program gets imported).
"""

import json
import os
import signal

import pytest

_TIMEOUT = float(os.environ.get("DUCKFIX_TEST_TIMEOUT", "2"))
_OUT = None
_TRACER = None
_LOADED = ({}, {})  # lines and values recorded while collecting
_TRACED = {}  # nodeid -> (lines, values) of its call phase
_COLLECTING = False
_merge = None


class TestTimeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` cannot eat it."""

    __test__ = False


def _alarm(_signum, _frame):
    raise TestTimeout(f"no result after {_TIMEOUT:g}s")


def _emit(record):
    global _OUT
    if _OUT is None:
        _OUT = os.open(os.environ["DUCKFIX_RESULTS"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(_OUT, (json.dumps(record) + "\n").encode())


def pytest_configure(config):
    global _TRACER, _merge
    signal.signal(signal.SIGALRM, _alarm)
    spec = os.environ.get("DUCKFIX_TRACE")
    if spec:
        # Imported only when tracing: an untraced run stays as light as before.
        from _duckfix.cases import Tracer, merge

        _merge = merge
        with open(spec) as fh:
            trace = json.load(fh)
        _TRACER = Tracer(trace["files"], trace.get("watch", ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    global _LOADED, _COLLECTING
    if _TRACER is None:
        yield
        return
    _COLLECTING = True
    _TRACER.start()
    try:
        yield
    finally:
        _TRACER.stop()
        _COLLECTING = False
        _LOADED = _TRACER.take()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
    if _TRACER is not None:
        _TRACER.start()
    try:
        yield
    finally:
        if _TRACER is not None:
            _TRACER.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        if _TRACER is not None:
            _TRACED[item.nodeid] = _merge(*_TRACER.take(), *_LOADED)


def _with_trace(record, nodeid):
    if _TRACER is None:
        return record
    if nodeid in _TRACED:
        record["lines"], record["values"] = _TRACED.pop(nodeid)
    elif _COLLECTING:
        # A module that failed to collect: what ran of the program so far (its import).
        record["lines"] = _TRACER.lines()
        record["values"] = {}
    else:  # a test whose setup failed: its call never ran, the import did
        record["lines"], record["values"] = _LOADED
    return record


def _message(report):
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:500]
    return str(report.longrepr)[-500:]


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        status = report.outcome
        message = _message(report)
        if status == "failed" and "TestTimeout" in str(report.longrepr):
            status = "timeout"
            message = f"no result after {_TIMEOUT:g}s"
        elif report.when == "setup" and status == "failed":
            status = "error"
        record = {
            "name": report.nodeid,
            "status": status,
            "message": message,
            "seconds": report.duration,
        }
        _emit(_with_trace(record, report.nodeid))


def pytest_collectreport(report):
    if report.failed:
        record = {
            "name": report.nodeid or "collection",
            "status": "error",
            "message": str(report.longrepr)[-800:],
        }
        _emit(_with_trace(record, None))
