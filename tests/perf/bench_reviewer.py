"""Whether the model reviewer vetoes patches that are correct on the hidden tests.

The reviewer's job is to send back overfitting patches; a veto of a correct
one costs a fix. This takes the plausible patches of an offline bench over the
built-in suite (``DUCKFIX_PERF_RESULTS`` names its results.jsonl; without it
the bench runs here first), asks the model reviewer about each one exactly as
the debug graph does (the offline review first; the model only on what that
accepts), and prints, against the hidden tests' judgement: correct patches
rejected (the target is none), wrong patches rejected, objections ignored
because their evidence is not code the patch adds, calls and seconds.

The model is ``DUCKFIX_PERF_MODEL`` (a catalogue name; default the 0.5B that
``make local`` installs). Skipped when llama.cpp's server or the model is not
installed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from duckfix.agents.llm_reviewer import review_with_model
from duckfix.agents.reviewer import review_patch
from duckfix.config import LLMSettings
from duckfix.datasets.suites import load_suite
from duckfix.llm import make_client
from duckfix.models import Patch, Task
from duckfix.pipelines.bench import BenchContext, run_bench
from duckfix.pipelines.debug import DebugContext
from duckfix.runner import RunOptions, run_tests

from tests.perf import local_model


def apply_diff(sources: dict[str, str], diff: str) -> dict[str, str]:
    """``sources`` with a bench result's unified diff applied (hunks in order, no fuzz)."""
    from unidiff import PatchSet

    out = dict(sources)
    for patched in PatchSet(diff):
        path = patched.target_file.removeprefix("b/")
        old = sources.get(patched.source_file.removeprefix("a/"), "").splitlines(keepends=True)
        new: list[str] = []
        at = 0
        for hunk in patched:
            new += old[at : hunk.source_start - 1]
            at = hunk.source_start - 1
            for line in hunk:
                if line.is_context or line.is_added:
                    new.append(line.value)
                if line.is_context or line.is_removed:
                    at += 1
        out[path] = "".join(new + old[at:])
    return out


def _plausible(tasks: dict[str, Task]) -> list[dict[str, object]]:
    """The results with a plausible patch: from DUCKFIX_PERF_RESULTS, or an offline run here."""
    given = os.environ.get("DUCKFIX_PERF_RESULTS")
    if given:
        rows = [json.loads(line) for line in Path(given).read_text().splitlines() if line]
    else:
        context = BenchContext(debug=DebugContext(options=RunOptions(), workers=2))
        results = run_bench(list(tasks.values()), context, 1)
        rows = [r.model_dump(mode="json") for r in results.values()]
    return sorted((r for r in rows if r["plausible"] and r["fix"]), key=lambda r: str(r["task_id"]))


def main() -> None:
    found = local_model()
    if found is None:
        return
    name, path = found
    tasks = {t.id: t for t in load_suite("builtin")}
    rows = _plausible(tasks)
    settings = LLMSettings(
        provider="local", model_path=str(path), server_threads=2, server_ctx=6144, timeout=600
    )
    llm = make_client(settings, read_cache=False)
    counts = {"correct": 0, "wrong": 0, "correct rejected": 0, "wrong rejected": 0, "ignored": 0}
    started = time.perf_counter()
    print(f"model {name}; {len(rows)} plausible patches")
    print(f"{'task':28} {'hidden':>7} {'verdict':>8}  note")
    for row in rows:
        task = tasks[str(row["task_id"])]
        diff = str(row["fix"])
        files = apply_diff(task.buggy, diff)
        patch = Patch.from_sources(task.buggy, files)
        kind = "correct" if row["correct"] else "wrong"
        counts[kind] += 1
        offline = review_patch(task, task.buggy, files)
        if offline.verdict == "reject":
            print(f"{task.id:28} {kind:>7} {'offline':>8}  {'; '.join(offline.reasons)[:80]}")
            continue
        baseline = run_tests(task, "visible", task.buggy, RunOptions())
        verdict = review_with_model(llm, task, patch, baseline.outcomes)
        if verdict.verdict == "reject":
            counts[f"{kind} rejected"] += 1
        counts["ignored"] += sum("ignored" in n for n in verdict.notes)
        note = "; ".join([*verdict.reasons, *verdict.notes])
        print(f"{task.id:28} {kind:>7} {verdict.verdict:>8}  {note[:100]}")
    seconds = time.perf_counter() - started
    usage = llm.agent_usage.get("reviewer")
    calls = usage.calls if usage else 0
    print(
        f"correct patches rejected: {counts['correct rejected']} of {counts['correct']} "
        f"(target 0); wrong patches rejected: {counts['wrong rejected']} of {counts['wrong']}; "
        f"objections ignored as ungrounded: {counts['ignored']}"
    )
    replies = llm.replies.get("reviewer", {})
    answered = sum(replies.values())
    well = replies.get("well_formed", 0) + replies.get("repaired", 0)
    print(
        f"reviewer calls {calls}, well-formed {well}/{answered}, "
        f"{seconds / max(calls, 1):.1f} s a call"
    )
