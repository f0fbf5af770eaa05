"""Keep a mutant only if it really is the bug its category says.

A logic mutant is run against the task's visible tests in the sandbox, as the
debug pipeline would see it: it must compile, and a test must now fail. A hang
is the evidence only for INF (an INF mutant that does not hang is not an INF
bug; any other mutant whose only failures are hangs is rejected). A mutant
whose tests all pass changes no output the tests check: equivalent, dropped.

A pragma mutant changes nothing C simulation sees; it is kept if the file
still parses and the edit is on a ``#pragma HLS`` line, as its category says
(a DATAFLOW mutant may instead change the region's code), and it is labelled
as needing synthesis or static checks to detect.
"""

from __future__ import annotations

import re
import time
from typing import Literal

from pydantic import BaseModel

from duckfix.datasets.builder.c_syntax import parses_as_before
from duckfix.datasets.builder.mutants import Mutant
from duckfix.models import Task, TestOutcome
from duckfix.runner import RunOptions, run_tests

__all__ = ["Verdict", "normalised", "validate_mutant", "validate_pragma"]

Reason = Literal[
    "kept",
    "does not compile",
    "equivalent",
    "only hangs",
    "does not hang",
    "no visible test fails",
    "does not parse",
    "not a pragma edit",
    "duplicate",
]


class Verdict(BaseModel):
    """What validation decided about one mutant, and the evidence."""

    kept: bool
    reason: Reason
    failing_test: str | None = None
    message: str = ""
    """The first failing test's message (or the compiler's), for the pair's record."""
    seconds: float = 0.0


_SPACE = re.compile(r"\s+")


def normalised(text: str) -> str:
    """``text`` with every run of whitespace collapsed, for spotting duplicate mutants."""
    return _SPACE.sub(" ", text).strip()


def validate_mutant(task: Task, mutant: Mutant, options: RunOptions) -> Verdict:
    """Run ``task``'s visible tests against its reference fix with ``mutant`` applied.

    ``options`` should carry a time scale from the reference fix's own runs
    (:func:`duckfix.runner.scaled_to`), so a mutant that loops costs seconds.
    """
    assert task.fixed is not None
    started = time.monotonic()
    program = {**task.fixed, mutant.file: mutant.apply(task.fixed[mutant.file])}
    report = run_tests(task, "visible", program, options)
    seconds = time.monotonic() - started
    failed = report.failed
    broken = [o for o in failed if o.message.startswith("does not compile")]
    if broken:
        return Verdict(
            kept=False, reason="does not compile", message=broken[0].message, seconds=seconds
        )
    hangs = [o for o in failed if o.status == "timeout"]
    wrong = [o for o in failed if o.status != "timeout"]
    if mutant.category == "INF":
        if not hangs:
            reason: Reason = "does not hang" if failed else "equivalent"
            return Verdict(kept=False, reason=reason, seconds=seconds)
        return _kept(hangs[0], seconds)
    if wrong:
        return _kept(wrong[0], seconds)
    if hangs:
        return Verdict(kept=False, reason="only hangs", message=hangs[0].message, seconds=seconds)
    if not report.outcomes:
        return Verdict(kept=False, reason="no visible test fails", seconds=seconds)
    return Verdict(kept=False, reason="equivalent", seconds=seconds)


def _kept(outcome: TestOutcome, seconds: float) -> Verdict:
    return Verdict(
        kept=True,
        reason="kept",
        failing_test=outcome.name,
        message=outcome.message[:500],
        seconds=seconds,
    )


def validate_pragma(text: str, mutant: Mutant) -> Verdict:
    """Keep a pragma mutant if the mutated file parses and a ``#pragma HLS`` line changed.

    dataflow-channel and RAMB mutants need only parse: they change the code a pragma
    governs (a DATAFLOW region's tasks, the order of an m_axi port's accesses); so do
    DFP's, which move the DATAFLOW line and may leave the pragmas in the same order.
    """
    started = time.monotonic()
    mutated = mutant.apply(text)
    if not _parses(text, mutated):
        return Verdict(kept=False, reason="does not parse", seconds=time.monotonic() - started)
    # These bugs leave the pragma alone and break its rules in code: a task run
    # conditionally, a channel read twice, an m_axi port read at falling addresses.
    if mutant.category not in _UNSEEN and not _pragma_lines_differ(text, mutated):
        return Verdict(kept=False, reason="not a pragma edit", seconds=time.monotonic() - started)
    return Verdict(kept=True, reason="kept", seconds=time.monotonic() - started)


_UNSEEN = ("dataflow-channel", "RAMB", "DFP")
"""Pragma categories whose edits a comparison of the pragma lines may not see."""


def _pragma_lines_differ(before: str, after: str) -> bool:
    def pragmas(text: str) -> list[str]:
        return [
            normalised(line)
            for line in text.splitlines()
            if line.lstrip().startswith("#pragma") and "HLS" in line.upper()
        ]

    return pragmas(before) != pragmas(after)


def _parses(before: str, after: str) -> bool:
    """Whether ``after`` has no more tree-sitter-cpp errors than ``before``.

    Without tree-sitter-cpp (the ``hls`` extra) the check cannot be made and
    passes: the mutators themselves only write well-formed pragma lines.
    """
    try:
        return parses_as_before(before, after)
    except ImportError:
        return True
