"""The debug graph with a (fake) model: the agents' outputs feeding each other."""

from __future__ import annotations

import dataclasses
import json

from duckfix.llm import Budget, FakeProvider, LLMClient
from duckfix.pipelines.debug import DebugContext, build_graph, debug_task
from duckfix.pipelines.debug.graph import result_of
from duckfix.pipelines.debug.state import DebugInput
from duckfix.runner import RunOptions, run_tests

from tests.fakes import agent_model
from tests.pipelines.conftest import VOWELS, VOWELS_FIXED_FUNCTION, largest_task, vowels_task

CONTEXT = DebugContext(options=RunOptions(case_timeout=1.0), workers=2, llm_samples=1)

# An overfit that the offline reviewer cannot see: it lower-cases only the
# visible inputs' capital vowels it needed (A, E, I, O) and forgets U.
OVERFIT = VOWELS_FIXED_FUNCTION.replace(
    "    s = s.lower()\n",
    '    s = s.replace("A", "a").replace("E", "e").replace("I", "i").replace("O", "o")\n',
)


def proposals(*codes: str) -> str:
    return json.dumps(
        {
            "bug": "count_vowels misses upper-case vowels",
            "proposals": [
                {"function": "count_vowels", "path": "vowels.py", "code": c, "rationale": "fix"}
                for c in codes
            ],
        }
    )


def accept() -> str:
    return json.dumps({"verdict": "accept"})


def objection(concern: str, reason: str, evidence: str) -> str:
    return json.dumps(
        {"verdict": "reject", "concern": concern, "reason": reason, "evidence": evidence}
    )


def test_the_model_fixes_what_the_templates_cannot() -> None:
    task = vowels_task()
    script, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)])
    ctx = dataclasses.replace(CONTEXT, llm=llm)
    graph = build_graph()
    values = graph.invoke(DebugInput(task=task), {"configurable": {"thread_id": "m"}}, context=ctx)  # type: ignore[arg-type]
    assert values["llm_rounds"] == 1 and len(script.asked["fixer"]) == 1
    result = result_of(values)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and result.fix["vowels.py"] == VOWELS_FIXED_FUNCTION
    assert result.attempts[-1].template == "llm" and result.attempts[-1].outcome == "plausible"
    assert run_tests(task, "hidden", result.fix, CONTEXT.options).all_passed
    # The templates' failures went back to the localizer, then to the fixer.
    assert len(script.asked["localizer"]) == 1
    assert "failed: case 1: expected 2, got 1" in script.user("localizer")
    assert "failed: case 1: expected 2, got 1" in script.user("fixer")
    # With no answer from the model, reviewer and explainer worked offline.
    assert result.explanation is not None and result.explanation.source == "offline"


def test_templates_that_spend_the_budget_still_leave_the_model_its_round() -> None:
    # A budget the templates spend before they run out: the model is asked after
    # them all the same (its candidates are not counted), and its fix is taken.
    script, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)])
    offline = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, max_candidates=3))
    assert offline.status == "not_fixed" and offline.candidates == 3
    small = dataclasses.replace(CONTEXT, llm=llm, max_candidates=3)
    result = debug_task(vowels_task(), None, small)
    assert result.status == "fixed", result.stop_reason
    assert [a.template for a in result.attempts if not a.mutant][-1] == "llm"
    assert sum(a.template != "llm" for a in result.attempts) == 3
    assert len(script.asked["fixer"]) == 1


def test_llm_first_asks_localizer_and_fixer_once_the_mutants_ran() -> None:
    script, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)])
    result = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, llm=llm, llm_first=True))
    assert result.status == "fixed", result.stop_reason
    # The mutants localize first; the model's candidate is the first the fixer tries.
    assert next(a for a in result.attempts if not a.mutant).template == "llm"
    assert len(script.asked["localizer"]) == 1 and len(script.asked["fixer"]) == 1


LARGEST_WRONG = """\
def largest(xs):
    return xs[0]
"""


def test_a_model_run_never_fixes_less_than_the_offline_run_with_its_budget() -> None:
    # Offline, the templates fix it after some candidates; with --llm-first and
    # a model whose every proposal is wrong, the same candidate budget still
    # reaches the templates' fix: model candidates do not use it up.
    offline = debug_task(largest_task(), None, CONTEXT)
    assert offline.status == "fixed"
    budget = dataclasses.replace(CONTEXT, max_candidates=offline.candidates, llm_samples=2)
    wrong = json.dumps(
        {
            "bug": "largest returns the first element",
            "proposals": [{"function": "largest", "path": "largest.py", "code": LARGEST_WRONG}],
        }
    )
    script, llm = agent_model(fixer=[wrong, wrong.replace("xs[0]", "xs[-1]")])
    result = debug_task(largest_task(), None, dataclasses.replace(budget, llm=llm, llm_first=True))
    assert result.status == "fixed", result.stop_reason
    assert result.fix == offline.fix
    model = [a for a in result.attempts if a.template == "llm"]
    assert model and all(a.outcome == "failed" for a in model)
    assert len(script.asked["fixer"]) == 2


def test_llm_first_weighs_the_patch_the_offline_order_finds_first() -> None:
    # The model's patch passes the visible tests and fails hidden ones; offline,
    # the templates find the right fix. With --llm-first the model's patch comes
    # first, and a run that compared it only with its own line's alternatives
    # took it. The run now tries the offline order up to its first plausible
    # patch too, and the comparison prefers that one.
    ctx = dataclasses.replace(CONTEXT, workers=1, max_mutants=0)
    offline = debug_task(largest_task(), None, ctx)
    assert offline.status == "fixed" and offline.fixed_by == "compare-op"
    overfit = "def largest(xs):\n    return max(xs[0], xs[-1])\n"
    wrong = json.dumps(
        {
            "bug": "largest returns the smallest item",
            "proposals": [{"function": "largest", "path": "largest.py", "code": overfit}],
        }
    )
    _, llm = agent_model(fixer=[wrong])
    result = debug_task(largest_task(), None, dataclasses.replace(ctx, llm=llm, llm_first=True))
    assert result.status == "fixed", result.stop_reason
    first = next(a for a in result.attempts if a.outcome == "plausible")
    assert first.template == "llm"
    assert result.fix == offline.fix
    assert (
        result.fix is not None
        and run_tests(largest_task(), "hidden", result.fix, ctx.options).all_passed
    )
    assert result.disagreements and "tried first: replace `<` with `>`" in result.disagreements[0]


def test_the_next_round_hears_the_explainer_on_the_failed_model_fix() -> None:
    wrong = VOWELS_FIXED_FUNCTION.replace("    s = s.lower()\n", "    s = s.upper()\n")
    script, llm = agent_model(fixer=[proposals(wrong), proposals(VOWELS_FIXED_FUNCTION)])
    ctx = dataclasses.replace(CONTEXT, llm=llm, llm_first=True, max_mutants=0)
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "fixed", result.stop_reason
    second = script.user("fixer", 1)
    assert "explainer, on the model's fix of vowels.py:3:" in second
    assert "s = s.upper()" in second  # what the failed change did, in its account


def test_a_second_round_that_repeats_the_failed_fix_is_asked_for_another() -> None:
    wrong = VOWELS_FIXED_FUNCTION.replace("    s = s.lower()\n", "    s = s.upper()\n")
    script, llm = agent_model(
        fixer=[proposals(wrong), proposals(wrong), proposals(VOWELS_FIXED_FUNCTION)]
    )
    ctx = dataclasses.replace(CONTEXT, llm=llm, llm_first=True, max_mutants=0)
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "fixed", result.stop_reason
    assert len(script.asked["fixer"]) == 3
    focused = script.asked["fixer"][2][-1]["content"]
    # Asked about the function alone, with the failed change and what it did.
    assert "# <-- suspect" in focused and "s = s.upper()" in focused


def test_the_model_localizer_points_the_templates_at_a_new_line() -> None:
    # Line 6 (`n += 1`) is blamed by the model; templates there are tried
    # before the model fixer is asked, and the suspects carry its reason.
    ranking = json.dumps({"lines": [{"line": 6, "reason": "n counts too few vowels"}]})
    _, llm = agent_model(localizer=[ranking], fixer=[proposals(VOWELS_FIXED_FUNCTION)])
    result = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed"
    top = result.suspects[0]
    assert (top.line, top.reason) == (6, "model: n counts too few vowels")
    assert top.score >= max(s.score for s in result.suspects)
    before_model = [a for a in result.attempts if a.template != "llm"]
    assert any(a.line == 6 for a in before_model)


def test_the_reviewer_sends_an_overfit_back_and_the_fixer_hears_why() -> None:
    task = vowels_task()
    reject = objection(
        "overfitting",
        "only the capitals in the tests are lowered; U is forgotten",
        's = s.replace("A", "a")',
    )
    script, llm = agent_model(
        fixer=[proposals(OVERFIT), proposals(VOWELS_FIXED_FUNCTION)],
        reviewer=[reject, accept()],
    )
    result = debug_task(task, None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and result.fix["vowels.py"] == VOWELS_FIXED_FUNCTION
    rejected = [a for a in result.attempts if a.outcome == "rejected"]
    assert len(rejected) == 1 and "U is forgotten" in rejected[0].reason
    # The objection reached the localizer and the fixer's second request.
    assert "U is forgotten" in script.user("fixer", 1)
    assert "U is forgotten" in script.user("localizer", 1)
    assert len(script.asked["reviewer"]) == 2


def test_an_ungrounded_objection_is_noted_not_acted_on() -> None:
    made_up = objection("side_effect", "it deletes files", "os.remove(path)")
    _, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)], reviewer=[made_up])
    result = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed"
    assert not [a for a in result.attempts if a.outcome == "rejected"]
    assert result.review_notes and "it deletes files" in result.review_notes[0]


def test_a_model_that_objects_to_every_patch_does_not_pick_among_them() -> None:
    # Offline, the comparison puts `>` first of the plausible patches and it is
    # the fix. The model objects to it, quoting its line, then objects to the
    # next one too, without grounds: its objections tell the two apart no more
    # than they tell either from a fix, so the first is kept (the 1.5B coder
    # passed over a correct fix for a wrong one so).
    offline = debug_task(largest_task(), None, CONTEXT)
    assert offline.fixed_by == "compare-op"
    first = objection("side_effect", "it changes the list", "if x > best:")
    second = objection("side_effect", "it changes the list", "xs.sort()")
    script, llm = agent_model(reviewer=[first, second])
    result = debug_task(largest_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed", result.stop_reason
    assert result.fix == offline.fix
    assert len(script.asked["reviewer"]) == 2
    assert any("do not tell them apart" in n for n in result.review_notes)
    # A model that accepts the next patch does tell them apart: that one is taken.
    script, llm = agent_model(reviewer=[first, accept()])
    result = debug_task(largest_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed" and result.fix != offline.fix
    assert [a.outcome for a in result.attempts].count("rejected") == 1


def test_review_rounds_are_capped() -> None:
    reject = objection("other", "no", "n = 0")
    script, llm = agent_model(fixer=[proposals(OVERFIT)], reviewer=[reject] * 5)
    ctx = dataclasses.replace(CONTEXT, llm=llm, llm_review_rounds=0)
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "fixed" and script.asked["reviewer"] == []


def test_the_explainer_model_is_used_when_grounded_and_ignored_otherwise() -> None:
    grounded = json.dumps(
        {
            "summary": "Capital vowels were not counted.",
            "root_cause": "`count_vowels` compared each character with lower-case vowels only.",
            "why_fix_works": "`s.lower()` turns capitals into lower case first.",
        }
    )
    _, llm = agent_model(explainer=[grounded])
    result = debug_task(largest_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    # Nothing in that answer names what the largest fix changed: offline stays.
    assert result.status == "fixed" and result.explanation is not None
    assert result.explanation.source == "offline"

    _, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)], explainer=[grounded])
    result = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.explanation is not None and result.explanation.source == "model"
    assert result.explanation.root_cause.startswith("`count_vowels` compared")
    assert result.explanation.evidence  # the offline facts are kept


def test_a_base_model_gets_a_completion_prompt_and_only_the_fixer_asks_it() -> None:
    body = VOWELS_FIXED_FUNCTION.split(":\n", 1)[1] + "\n\n# trailing prose the model adds"
    script, llm = agent_model(style="completion", fixer=[body])
    result = debug_task(vowels_task(), None, dataclasses.replace(CONTEXT, llm=llm))
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and result.fix["vowels.py"] == VOWELS_FIXED_FUNCTION
    prompt = script.user("fixer")
    assert VOWELS.rstrip() in prompt and prompt.endswith("def count_vowels(s):\n")
    assert "expected 2, got 1" in prompt
    assert set(script.asked) == {"fixer"}


def test_model_rounds_are_capped_and_the_run_ends_not_fixed() -> None:
    # Valid answers that change nothing (the buggy function as it is): no candidate,
    # after two focused requests about that function alone in each round.
    script, llm = agent_model(fixer=[proposals(VOWELS)] * 6)
    ctx = dataclasses.replace(CONTEXT, llm=llm, llm_rounds=2)
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "not_fixed" and "candidates were tried" in result.stop_reason
    assert len(script.asked["fixer"]) == 6 and len(script.asked["localizer"]) == 2
    assert ["# <-- suspect" in m[-1]["content"] for m in script.asked["fixer"]] == [
        False, True, True, False, True, True,
    ]  # fmt: skip


def test_a_spent_budget_ends_the_model_path_quietly() -> None:
    fake = FakeProvider()
    ctx = dataclasses.replace(CONTEXT, llm=LLMClient(fake, budget=Budget(max_calls=0)))
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "not_fixed" and fake.history == []


def test_max_seconds_holds_while_the_model_answers_slowly() -> None:
    # The model takes 60 s an answer; the run has 8 s. On main the budget was
    # checked only between steps, and a run went 310 s on a 240 s budget.
    import time

    from duckfix.llm import OpenAIProvider

    from tests.core.test_llm import _SlowServer

    server = _SlowServer(delay=60)
    try:
        provider = OpenAIProvider(base_url=server.base, model="m", api_key="k", timeout=120)
        ctx = dataclasses.replace(
            CONTEXT, llm=LLMClient(provider), llm_first=True, max_seconds=8.0, max_mutants=0
        )
        began = time.monotonic()
        result = debug_task(vowels_task(), None, ctx)
        took = time.monotonic() - began
    finally:
        server.close()
    assert server.requests >= 1  # the model was asked, and its call was cut
    assert took <= 8.0 * 1.1, f"{took:.1f} s on an 8 s budget"
    assert result.status == "not_fixed" and "8 seconds" in result.stop_reason


def test_fixed_by_names_the_accepted_patch_not_the_last_plausible_one() -> None:
    # After the first plausible patch more candidates on its line are tried and
    # compared: the last plausible attempt need not be the patch that was kept
    # (a bench credited a model's fix to replace-var so).
    task = vowels_task()
    _, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)])
    ctx = dataclasses.replace(CONTEXT, llm=llm)
    values = build_graph().invoke(
        DebugInput(task=task), {"configurable": {"thread_id": "f"}}, context=ctx
    )  # type: ignore[arg-type]
    accepted = values["accepted"].candidate.template
    later = values["attempts"][-1].model_copy(update={"template": "replace-var"})
    result = result_of({**values, "attempts": [*values["attempts"], later]})
    assert result.fixed_by == accepted == "llm"


def test_a_patch_only_the_model_objected_to_is_kept_when_nothing_else_passes() -> None:
    # The 1.5B vetoed correct fixes with reasons that sounded grounded; a run
    # with a model must never fix less than the offline run would.
    wrong = objection("side_effect", "lower() changes the caller's string", "s = s.lower()")
    script, llm = agent_model(fixer=[proposals(VOWELS_FIXED_FUNCTION)], reviewer=[wrong] * 3)
    ctx = dataclasses.replace(CONTEXT, llm=llm, llm_rounds=1)
    result = debug_task(vowels_task(), None, ctx)
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None and result.fix["vowels.py"] == VOWELS_FIXED_FUNCTION
    rejected = [a for a in result.attempts if a.outcome == "rejected"]
    assert len(rejected) == 1 and "caller's string" in rejected[0].reason
    assert any("caller's string" in n and "kept" in n for n in result.review_notes)
    assert len(script.asked["reviewer"]) == 1  # not asked again about the same patch
