"""Model value per agent with a local chat model, against the offline run of the same tasks.

Runs the built-in missing-statement and infinite-loop tasks twice with the same
candidate budget: offline (templates only), then with the local model
(``--llm-first``), and prints, per agent, replies well-formed / used / useful,
calls, tokens and seconds per task, and the two runs' fixes side by side.

The model is ``DUCKFIX_PERF_MODEL`` (a catalogue name; default the 0.5B, which
``make local`` installs; the 1.5B takes ~40 s a call on 2 idle cores). Skipped
when llama.cpp's server or the model is not installed. ``DUCKFIX_PERF_TASKS``
(comma-separated ids) narrows the tasks.
"""

from __future__ import annotations

import dataclasses
import os
import time

from duckfix.config import LLMSettings
from duckfix.datasets.suites import load_suite
from duckfix.llm import make_client
from duckfix.models import Task
from duckfix.pipelines.agent_value import summarize_agents
from duckfix.pipelines.bench import BenchContext, BenchResult, run_bench
from duckfix.pipelines.debug import DebugContext
from duckfix.runner import RunOptions

from tests.perf import local_model

CATEGORIES = ("missing-statement", "infinite-loop")
MAX_CANDIDATES = 400
MAX_SECONDS = 420.0


def _run(tasks: list[Task], context: DebugContext) -> tuple[list[BenchResult], float]:
    started = time.perf_counter()
    results = run_bench(tasks, BenchContext(debug=context), 1)
    return sorted(results.values(), key=lambda r: r.task_id), time.perf_counter() - started


def main() -> None:
    found = local_model()
    if found is None:
        return
    name, path = found
    wanted = {t for t in os.environ.get("DUCKFIX_PERF_TASKS", "").split(",") if t}
    tasks = sorted(
        (t for t in load_suite("builtin") if t.category in CATEGORIES),
        key=lambda t: t.id,
    )
    tasks = [t for t in tasks if not wanted or t.id in wanted]
    base = DebugContext(
        options=RunOptions(), max_candidates=MAX_CANDIDATES, max_seconds=MAX_SECONDS, workers=2
    )
    offline, offline_s = _run(tasks, base)
    settings = LLMSettings(
        provider="local", model_path=str(path), server_threads=2, server_ctx=6144, timeout=300
    )
    llm = make_client(settings, read_cache=False)
    model, model_s = _run(tasks, dataclasses.replace(base, llm=llm, llm_first=True))
    print(f"model {name}; {len(tasks)} tasks; budget {MAX_CANDIDATES} candidates, "
          f"{MAX_SECONDS:g} s a task")  # fmt: skip
    print(f"{'task':26} {'offline':>9} {'model':>9} {'by model':>9} {'calls':>6}")
    for off, mod in zip(offline, model, strict=True):
        print(
            f"{off.task_id:26} {_verdict(off):>9} {_verdict(mod):>9} "
            f"{'yes' if mod.fixed_by == 'llm' and mod.correct else '':>9} {mod.llm_calls:>6}"
        )
    fixed_off = sum(r.correct for r in offline)
    fixed_mod = sum(r.correct for r in model)
    by_model = sum(r.correct and r.fixed_by == "llm" for r in model)
    beyond = sum(m.correct and not o.correct for o, m in zip(offline, model, strict=True))
    cannot = sum(not r.correct for r in offline)
    ratio = fixed_mod / max(fixed_off, 1)
    print(f"correct: offline {fixed_off}, model run {fixed_mod} (ratio {ratio:.2f})")
    print(
        f"fixes the templates cannot make, made by the model run: {beyond} of {cannot}; "
        f"patches written by the model: {by_model}"
    )
    print(f"wall time: offline {offline_s:.0f} s, model run {model_s:.0f} s "
          f"(ratio {model_s / max(offline_s, 1e-9):.1f})")  # fmt: skip
    print(f"{'agent':10} {'well-formed':>12} {'used':>5} {'useful':>7} {'calls/t':>8} "
          f"{'tokens/t':>9} {'s/t':>7}")  # fmt: skip
    for row in summarize_agents([r.agents for r in model]):
        useful = f"{row.useful}/{row.judged}" if row.judged else "-"
        print(
            f"{row.agent:10} {row.well_formed:>11.0%} {row.used:>5} {useful:>7} "
            f"{row.calls_per_task:>8.1f} {row.tokens_per_task:>9.0f} {row.seconds_per_task:>7.1f}"
            + (f"  ({row.unchanged} changed nothing)" if row.unchanged else "")
        )


def _verdict(r: BenchResult) -> str:
    return "correct" if r.correct else "plausible" if r.plausible else "no"
