"""SIGTERM as an interrupt, and sections an interrupt must not split."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import os, signal, sys
    from duckfix import interrupts
    from duckfix.errors import Terminated

    interrupts.install()
    steps = []
    try:
        with interrupts.held():
            os.kill(os.getpid(), signal.SIG{sig})
            for _ in range(1000):  # the handler has had every chance to run
                pass
            steps.append("kept")
        steps.append("after")
    except Terminated:
        steps.append("terminated")
    except KeyboardInterrupt:
        steps.append("interrupted")
    print(",".join(steps))
    """
)


def _run(sig: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(sig=sig)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_sigterm_inside_a_held_section_is_raised_when_it_ends() -> None:
    done = _run("TERM")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kept,terminated"


def test_ctrl_c_inside_a_held_section_is_raised_when_it_ends() -> None:
    done = _run("INT")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kept,interrupted"


def test_outside_a_held_section_sigterm_is_raised_at_once() -> None:
    program = PROGRAM.replace("with interrupts.held():", "if True:")
    done = subprocess.run(
        [sys.executable, "-c", program.format(sig="TERM")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "terminated"


WORKERS = textwrap.dedent(
    """
    import os, signal, threading, time
    from duckfix import interrupts, sandbox
    from duckfix.errors import Terminated

    interrupts.install()
    ended = {}

    def model_call():
        try:
            interrupts.wait_for(lambda: time.sleep(600))  # a model answering slowly
            ended["model"] = "returned"
        except Terminated:
            ended["model"] = "terminated"

    def validations():
        try:
            while True:  # a worker validating candidates one after another
                sandbox.run(["/bin/true"], files={}, isolation="plain")
        except Terminated:
            ended["tests"] = "terminated"

    workers = [threading.Thread(target=f) for f in (model_call, validations)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    except Terminated:
        pass
    for w in workers:
        w.join(60)
    print(ended.get("model"), ended.get("tests"), any(w.is_alive() for w in workers))
    """
)


def test_sigterm_stops_the_worker_threads_too() -> None:
    # A bench or dataset build works in threads; the interrupt reaches only the
    # main thread, which then waits for the workers: they must stop at their
    # next test run, and a model call must be given up, not awaited.
    done = subprocess.run(
        [sys.executable, "-c", WORKERS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["terminated", "terminated", "False"]
