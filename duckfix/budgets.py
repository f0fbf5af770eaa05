"""What one debug run may spend unless told otherwise.

Candidates decide: a run stops after ``MAX_CANDIDATES`` validated candidate
patches (mutants run to localize the fault count among them), so the same
task gets the same fixes on an idle machine and on a busy one. Seconds are a
safety cap, ``MAX_SECONDS`` of wall-clock time from the command's start
(``--max-seconds``, :mod:`duckfix.deadline`): large enough that no run of
ordinary size reaches it, there to end a run that would otherwise go on for
hours (a program whose every candidate loops until its timeout).

This module imports nothing, so the command line can show the defaults
without loading the debugger.
"""

from __future__ import annotations

__all__ = ["MAX_CANDIDATES", "MAX_MUTANTS", "MAX_SECONDS"]

MAX_CANDIDATES = 400
"""Candidate patches validated per run (``--max-candidates``)."""
MAX_SECONDS = 600.0
"""Wall-clock seconds per run (``--max-seconds``): the safety cap, not the budget."""
MAX_MUTANTS = 60
"""Of the candidates, at most this many are run first as mutants to localize the fault."""
