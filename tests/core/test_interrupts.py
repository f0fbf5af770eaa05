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
