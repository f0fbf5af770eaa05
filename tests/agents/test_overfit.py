"""Overfitting: plausible patches compared on inputs derived from the visible tests."""

from __future__ import annotations

from duckfix.agents.overfit import compare_patches, derived_inputs
from duckfix.models import Task, TestCase, TestSet
from duckfix.runner import RunOptions

FAST = RunOptions(case_timeout=2.0)

CLIP = '''\
def clip(x, limit):
    """x, but never more than limit."""
    if x > limit + 1:
        return limit
    return x
'''
RIGHT = CLIP.replace("x > limit + 1", "x > limit")
# Passes every visible test too, but only because every visible limit that
# matters is 3: it changes what the program does wherever the limit is not.
HARD_CODED = CLIP.replace(
    "    if x > limit + 1:\n        return limit\n    return x\n", "    return min(x, 3)\n"
)


def clip_task() -> Task:
    cases = [((4, 3), 3), ((1, 3), 1), ((10, 3), 3), ((0, 5), 0)]
    return Task(
        id="clip", entry_point="clip", program="clip.py", buggy={"clip.py": CLIP},
        visible=TestSet(cases=[
            TestCase(args=list(a), expected=e, name=f"case {i + 1}") for i, (a, e) in
            enumerate(cases)
        ]),
    )  # fmt: skip


def test_derived_inputs_keep_the_visible_shapes_and_leave_the_visible_inputs_out() -> None:
    cases = [TestCase(args=[[3, 1, 2], 4], expected=0), TestCase(args=[[], 0], expected=0)]
    derived = derived_inputs(cases, [True, False])
    assert derived and all(len(args) == 2 for args, _ in derived)
    assert all(isinstance(args[0], list) and isinstance(args[1], int) for args, _ in derived)
    assert [[3, 1, 2], 4] not in [args for args, _ in derived]
    assert ([[2, 1, 3], 4], True) in derived  # a permutation, near the failing case
    assert ([[], 1], False) in derived  # a neighbouring value, near the passing one


def test_the_patch_that_changes_behaviour_only_where_needed_goes_first() -> None:
    task = clip_task()
    patches = [{"clip.py": HARD_CODED}, {"clip.py": RIGHT}]
    found = compare_patches(task, task.buggy, patches, ["case 1"], FAST, workers=2)
    assert found.order == [1, 0]
    # The hard-coded one changes outputs next to cases the original got right.
    assert found.changed[1] == 0 and found.changed[0] > 0
    assert found.disagree > 0 and found.inputs >= found.disagree
    assert found.example.startswith("clip(") and "patch 1:" in found.example


def test_patches_that_agree_everywhere_keep_the_fixers_order() -> None:
    task = clip_task()
    same = RIGHT.replace("x > limit", "limit < x")
    found = compare_patches(task, task.buggy, [{"clip.py": same}, {"clip.py": RIGHT}], ["case 1"],
                            FAST)  # fmt: skip
    assert found.order == [0, 1] and found.disagree == 0 and found.example == ""
