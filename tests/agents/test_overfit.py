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


CUBE_ROOT = '''\
def cube_root(n):
    """The largest r with r ** 3 <= n, for an int n >= 0, by bisection."""
    low, high = 0, n
    while low < high:
        mid = (low + high) // 2
        if mid ** 3 <= n:
            low = mid
        else:
            high = mid - 1
    return low
'''
# Both pass the visible tests and agree on every input near them; the first
# halves nothing, so its bisection walks down one by one and never ends on a
# large n (the fixer lists it first: it is the smaller edit).
LINEAR = CUBE_ROOT.replace("(low + high) // 2", "(low + high) // 1")
ROUNDED_UP = CUBE_ROOT.replace("(low + high) // 2", "(low + high + 1) // 2")


def cube_root_task() -> Task:
    cases = [(0, 0), (1, 1), (7, 1), (8, 2), (26, 2), (28, 3)]
    return Task(
        id="cube_root", entry_point="cube_root", program="cube_root.py",
        buggy={"cube_root.py": CUBE_ROOT},
        visible=TestSet(cases=[
            TestCase(args=[n], expected=r, name=f"case {i + 1}") for i, (n, r) in enumerate(cases)
        ]),
    )  # fmt: skip


def test_among_patches_that_agree_one_that_makes_an_operation_idle_goes_last() -> None:
    task = cube_root_task()
    patches = [{"cube_root.py": LINEAR}, {"cube_root.py": ROUNDED_UP}]
    found = compare_patches(task, task.buggy, patches, ["case 3", "case 5"], FAST, workers=2)
    assert found.disagree == 0 and found.changed == [0, 0] and found.crashed == [0, 0]
    assert found.idle == [1, 0]
    assert found.order == [1, 0]


def test_an_idle_operation_only_breaks_ties() -> None:
    # The idle patch is the right one here (the halving was the bug): what the
    # derived inputs show still decides, the idle operation only among equals.
    task = clip_task()
    idle = CLIP.replace("x > limit + 1", "x > limit * 1")
    found = compare_patches(task, task.buggy, [{"clip.py": HARD_CODED}, {"clip.py": idle}],
                            ["case 1"], FAST)  # fmt: skip
    assert found.idle == [0, 1] and found.order == [1, 0]


def test_without_derived_inputs_idle_patches_still_go_last() -> None:
    task = cube_root_task().model_copy(update={"visible": TestSet()})
    patches = [{"cube_root.py": LINEAR}, {"cube_root.py": ROUNDED_UP}]
    found = compare_patches(task, task.buggy, patches, [], FAST)
    assert found.order == [1, 0] and found.inputs == 0


# The original crashes on every input (a name never bound): no derived input
# counts against any patch, and only their agreement tells them apart.
SPAN = '''\
def span(xs):
    """The largest item minus the smallest."""
    return hi - min(xs)
'''


def test_among_patches_the_counts_cannot_tell_apart_the_shared_behaviour_goes_first() -> None:
    cases = [(([3, 1, 2],), 2), (([5, 5],), 0), (([1, 4],), 3)]
    task = Task(
        id="span", entry_point="span", program="span.py", buggy={"span.py": SPAN},
        visible=TestSet(cases=[
            TestCase(args=list(a), expected=e, name=f"case {i + 1}") for i, (a, e) in
            enumerate(cases)
        ]),
    )  # fmt: skip
    # The smallest patch passes the visible tests only because each list's
    # largest item is its first or its last; a template and the model's
    # rewrite write the fix.
    wrong = SPAN.replace("    return", "    hi = max(xs[0], xs[-1])\n    return")
    right = SPAN.replace("    return", "    hi = max(xs)\n    return")
    rewrite = SPAN.replace("return hi - min(xs)", "return max(xs) - min(xs)")
    patches = [{"span.py": wrong}, {"span.py": right}, {"span.py": rewrite}]
    failing = ["case 1", "case 2", "case 3"]
    origins = ["template", "template", "model"]
    found = compare_patches(task, task.buggy, patches, failing, FAST, origins=origins)
    assert found.changed == [0, 0, 0] and found.crashed == [0, 0, 0]
    assert found.disagree > 0
    assert found.order == [1, 2, 0]
    # Templates alone do not vote: many edits that disable the same logic agree.
    twice = [*patches[:2], {"span.py": wrong.replace("hi = ", "hi = 0 + ")}]
    found = compare_patches(task, task.buggy, twice, failing, FAST, origins=["template"] * 3)
    assert found.order == [0, 1, 2]
