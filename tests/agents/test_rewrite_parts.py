"""Smaller versions of a model's rewrite: each change alone, and its additions only."""

from __future__ import annotations

from duckfix.agents.rewrite_parts import MAX_CHANGES, smaller_rewrites

OLD = """\
def binomial(n, k):
    table = [[1]]
    for row in range(1, n + 1):
        current = []
        for col in range(min(row, k) + 1):
            above = cell(table, row - 1, col)
            current.append(above_left + above)
        table.append(current)
    return table[n][k]
"""


def test_a_line_added_in_place_of_another_is_tried_with_the_other_kept() -> None:
    # The model wrote the left-out line and dropped its neighbour ("Fixed line").
    new = OLD.replace(
        "above = cell(table, row - 1, col)\n",
        "above_left = cell(table, row - 1, col - 1)  # Fixed line\n",
    )
    ((text, what),) = smaller_rewrites(OLD, new)
    assert what == "its added lines, every other line kept"
    assert text == OLD.replace(
        "            above = cell",
        "            above_left = cell(table, row - 1, col - 1)  # Fixed line\n"
        "            above = cell",
    )


def test_each_change_of_a_rewrite_is_tried_alone() -> None:
    new = OLD.replace("    table = [[1]]\n", "    table = [[1]]\n    k = min(k, n)\n").replace(
        "return table[n][k]", "return table[n][k] if k >= 0 else 0"
    )
    found = dict((what, text) for text, what in smaller_rewrites(OLD, new))
    assert found["its change at line 3 alone"] == OLD.replace(
        "    table = [[1]]\n", "    table = [[1]]\n    k = min(k, n)\n"
    )
    assert found["its change at line 9 alone"] == OLD.replace(
        "return table[n][k]", "return table[n][k] if k >= 0 else 0"
    )
    # A `return` put in place of a `return` replaces it (never two returns), so
    # "additions only" is the rewrite itself, already tried.
    assert len(found) == 2


def test_comments_and_blank_lines_are_no_changes() -> None:
    new = OLD.replace("    table = [[1]]\n", "    # the first row\n\n    table = [[1]]  # row 0\n")
    assert smaller_rewrites(OLD, new) == []
    assert smaller_rewrites(OLD, OLD) == []


def test_a_rewrite_of_many_places_is_left_whole() -> None:
    lines = OLD.splitlines(keepends=True)
    new = "".join(
        line + ("    pass\n" if i % 2 and i < 2 * MAX_CHANGES + 3 else "")
        for i, line in enumerate(lines)
    )
    assert sum(line.strip() == "pass" for line in new.splitlines()) > MAX_CHANGES
    assert smaller_rewrites(OLD, new) == []
