"""What each agent's model replies were worth in one bench task: well-formed, used, useful.

Running is not earning: a reply can be well-formed and ignored, or used and
wrong. Per agent and task, :func:`agent_values` counts

* **well-formed**: structured replies that validated at once, after the repair
  turn, or not at all (from the client's count); a fixer sample whose every
  answer was in the form asked but changed nothing, or repeated a fix already
  run, is well-formed and counted apart as **unchanged** (the model found no
  fix: a different failure from a reply that cannot be read);
* **used**: replies that changed what the run did — fixer proposals that became
  candidates and were tried; localizer re-rankings that put a model-named line
  in the suspects; reviewer objections acted on (a rejection); model
  explanations shown instead of the offline one;
* **useful**: used replies that helped — a model candidate that was plausible;
  a re-ranking that named a line the reference fix changes (the true line),
  ranked above where the spectrum alone had it; a rejection of a patch that is
  not correct on the hidden tests (a rejected patch is gone by the end of the
  run, so a rejection in a task whose accepted fix is correct counts as not
  useful, and one in a task with no accepted fix is not judged);
* calls, tokens and seconds, from the client's per-agent usage.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from duckfix.models import Task
from duckfix.pipelines.debug.state import DebugResult

__all__ = [
    "AGENT_ORDER",
    "AgentRow",
    "AgentValue",
    "agent_values",
    "summarize_agents",
    "true_lines",
]


class AgentValue(BaseModel):
    """One agent's replies in one task, and what they were worth."""

    calls: int = 0
    tokens: int = 0
    seconds: float = 0.0
    well_formed: int = 0
    repaired: int = 0
    invalid: int = 0
    unchanged: int = 0
    used: int = 0
    useful: int = 0
    judged: int = 0
    """Used replies whose usefulness could be judged (the denominator of useful)."""


def true_lines(task: Task) -> set[tuple[str, int]]:
    """(path, line) of the buggy program's lines the reference fix removes or changes."""
    import difflib

    out: set[tuple[str, int]] = set()
    for path, old in task.buggy.items():
        new = (task.fixed or {}).get(path)
        if new is None or new == old:
            continue
        matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if tag != "equal":
                # An insertion blames the line it goes before (and the one above it).
                out |= {(path, n) for n in range(max(1, i1), max(i1 + 1, i2) + 1)}
    return out


def agent_values(task: Task, result: DebugResult, correct: bool) -> dict[str, AgentValue]:
    """Per agent that was asked, what its replies were worth in this task."""
    out: dict[str, AgentValue] = {}
    for agent, usage in result.llm_agents.items():
        out[agent] = AgentValue(
            calls=usage.calls, tokens=usage.total_tokens, seconds=round(usage.seconds, 2)
        )
    for agent, counts in result.llm_replies.items():
        value = out.setdefault(agent, AgentValue())
        value.well_formed = counts.get("well_formed", 0)
        value.repaired = counts.get("repaired", 0)
        value.invalid = counts.get("invalid", 0)
        value.unchanged = counts.get("unchanged", 0)
    if "fixer" in out:
        tried = [a for a in result.attempts if a.template == "llm" and a.outcome != "rejected"]
        fixer = out["fixer"]
        fixer.used = fixer.judged = len(tried)
        fixer.useful = sum(a.outcome == "plausible" for a in tried)
    if "localizer" in out:
        named = [s for s in result.suspects if s.reason.startswith("model:")]
        truth = true_lines(task)
        localizer = out["localizer"]
        localizer.used = 1 if named else 0
        localizer.judged = localizer.used if truth else 0
        first_true = next(
            (i for i, s in enumerate(result.suspects) if (s.path, s.line) in truth), None
        )
        helped = first_true is not None and first_true < len(named)
        localizer.useful = 1 if named and truth and helped else 0
    if "reviewer" in out:
        rejected = [
            a for a in result.attempts
            if a.outcome == "rejected" and a.reason.startswith("model reviewer")
        ]  # fmt: skip
        reviewer = out["reviewer"]
        reviewer.used = len(rejected)
        if result.fix is not None:  # judged against the correctness of what was accepted
            reviewer.judged = len(rejected)
            reviewer.useful = 0 if correct else len(rejected)
    if "explainer" in out:
        explainer = out["explainer"]
        used = result.explanation is not None and result.explanation.source == "model"
        explainer.used = explainer.judged = int(used)
        explainer.useful = int(used and correct)
    return out


class AgentRow(BaseModel):
    """One agent's value over a bench run: a row of the table ``bench`` prints."""

    agent: str
    tasks: int
    """Tasks in which the agent was asked."""
    replies: int
    """Structured replies (well-formed + repaired + invalid + unchanged)."""
    well_formed: float
    """Share of replies in the form asked, at once or after the repair turn (0..1)."""
    repaired: int
    unchanged: int
    """Fixer samples in the form asked that changed nothing new, every try."""
    used: int
    useful: int
    judged: int
    calls_per_task: float
    tokens_per_task: float
    seconds_per_task: float


AGENT_ORDER = ("localizer", "fixer", "reviewer", "explainer")


def summarize_agents(values: Sequence[dict[str, AgentValue]]) -> list[AgentRow]:
    """Per agent, its values summed over the tasks (``values``: one dict per task)."""
    order = {a: i for i, a in enumerate(AGENT_ORDER)}
    names = sorted({a for v in values for a in v}, key=lambda a: (order.get(a, len(order)), a))
    rows = []
    for name in names:
        mine = [v[name] for v in values if name in v]
        replies = sum(v.well_formed + v.repaired + v.invalid + v.unchanged for v in mine)
        good = sum(v.well_formed + v.repaired + v.unchanged for v in mine)
        n = len(mine)
        rows.append(
            AgentRow(
                agent=name,
                tasks=n,
                replies=replies,
                well_formed=good / replies if replies else 1.0,
                repaired=sum(v.repaired for v in mine),
                unchanged=sum(v.unchanged for v in mine),
                used=sum(v.used for v in mine),
                useful=sum(v.useful for v in mine),
                judged=sum(v.judged for v in mine),
                calls_per_task=sum(v.calls for v in mine) / n,
                tokens_per_task=sum(v.tokens for v in mine) / n,
                seconds_per_task=sum(v.seconds for v in mine) / n,
            )
        )
    return rows
