"""A pytest plugin loaded in the sandbox: a per-test alarm, one JSON line per test outcome.

Run as the session's script (``python _duckfix/duckfix_pytest_plugin.py ARGS``): it
starts pytest with itself registered as a plugin, before any test module, conftest
or program is imported. (Registered as an object, not named with ``-p``: pytest
would read every installed distribution's entry points to look the name up, and
rewrite this file's asserts, on every run.) It reads the run's secret from
descriptor 4 at once and closes it, then writes each test's outcome, and last
``{"session": "finished"}``, as JSON lines on descriptor 3 (the run's report
channel), each carrying the secret. duckfix counts only such lines, and a run
without the last one cannot pass: a program that writes lines of its own, or
exits before the session ends, passes nothing.

Reads DUCKFIX_TEST_TIMEOUT (seconds per test) from the environment, and
optionally DUCKFIX_TRACE: a JSON file {"files": [...], "watch": [[path, line], ...]}.
Then each test's line also carries "lines" and "values" (see ``_duckfix/cases.py``):
what ran in the test's call phase, plus what ran while the test modules were
collected (that is where the program gets imported).
"""

import importlib.util
import json
import os
import signal
import sys

import pytest

_REPORT_FD, _SECRET_FD = 3, 4


def _take_secret():
    try:
        data = b""
        while chunk := os.read(_SECRET_FD, 256):
            data += chunk
        os.close(_SECRET_FD)
    except OSError:  # run by hand, without duckfix's channels
        return None
    os.set_inheritable(_REPORT_FD, False)
    return data.decode()


_SECRET = _take_secret()
_TIMEOUT = float(os.environ.get("DUCKFIX_TEST_TIMEOUT", "2"))
_TRACER = None
_LOADED = ({}, {})  # lines and values recorded while collecting
_TRACED = {}  # nodeid -> (lines, values) of its call phase
_COLLECTING = False
_merge = None


def _harness_module(name):
    """A harness script of ``_duckfix/``, under a name no program module can take."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_duckfix_harness_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestTimeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` cannot eat it."""

    __test__ = False


def _alarm(_signum, _frame):
    raise TestTimeout(f"no result after {_TIMEOUT:g}s")


def _emit(record):
    if _SECRET is None:
        print(json.dumps(record))
        return
    os.write(_REPORT_FD, (json.dumps({**record, "secret": _SECRET}, default=repr) + "\n").encode())


def pytest_configure(config):
    global _TRACER, _merge
    signal.signal(signal.SIGALRM, _alarm)
    spec = os.environ.get("DUCKFIX_TRACE")
    if spec:
        # Loaded only when tracing: an untraced run stays as light as before.
        cases = _harness_module("cases")
        _merge = cases.merge
        with open(spec) as fh:
            trace = json.load(fh)
        _TRACER = cases.Tracer(trace["files"], trace.get("watch", ()))


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
        elif report.when == "call" and status == "skipped":
            # A skip (or xfail) raised while the test ran may come from the program
            # under test, which must not be able to excuse itself from a test.
            status = "error"
            message = f"skipped while it ran: {message}"
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


def pytest_sessionfinish(session, exitstatus):
    _emit({"session": "finished", "exitstatus": int(exitstatus)})


if __name__ == "__main__":
    # As ``python -m pytest`` ends (its console_main), with this module as a plugin.
    raise SystemExit(int(pytest.main(sys.argv[1:], plugins=[sys.modules[__name__]])))
