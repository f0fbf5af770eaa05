"""A pytest plugin loaded in the sandbox: a per-test alarm, one JSON line per test outcome.

Loaded with ``-p _duckfix.pytest_plugin``; reads DUCKFIX_RESULTS (the output file)
and DUCKFIX_TEST_TIMEOUT (seconds per test) from the environment.
"""

import json
import os
import signal

import pytest

_TIMEOUT = float(os.environ.get("DUCKFIX_TEST_TIMEOUT", "2"))
_OUT = None


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
    signal.signal(signal.SIGALRM, _alarm)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


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
        _emit(
            {
                "name": report.nodeid,
                "status": status,
                "message": message,
                "seconds": report.duration,
            }
        )


def pytest_collectreport(report):
    if report.failed:
        _emit(
            {
                "name": report.nodeid or "collection",
                "status": "error",
                "message": str(report.longrepr)[-800:],
            }
        )
