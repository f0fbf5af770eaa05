"""Python mutators: each category, spans that keep the code's form, and the builtin suite."""

from __future__ import annotations

import ast
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from duckfix.datasets.builder.categories import categories_for
from duckfix.datasets.builder.mutants import Mutant, line_of
from duckfix.datasets.builder.py_mutators import python_mutants
from duckfix.errors import TaskError

BUILTIN = sorted(
    (Path(__file__).parents[2] / "datasets" / "suites" / "builtin").glob("*/fixed/*.py")
)
PYTHON_CATEGORIES = {c.name for c in categories_for("python") if c.kind == "logic"}


def mutated(text: str, category: str | None = None) -> list[str]:
    """Every mutant's whole program, optionally of one category."""
    return [
        m.apply(text)
        for m in python_mutants(text, "prog.py")
        if category is None or m.category == category
    ]


def edits(text: str, category: str) -> set[tuple[str, str]]:
    """(old span text, replacement) of each mutant in ``category``."""
    return {
        (text[m.start : m.end], m.replacement)
        for m in python_mutants(text, "prog.py")
        if m.category == category
    }


def check_all(text: str, mutants: list[Mutant]) -> None:
    """Invariants every mutant keeps: it parses, differs, and its fields agree with the text."""
    for m in mutants:
        new = m.apply(text)
        ast.parse(new)
        assert " ".join(new.split()) != " ".join(text.split()), m
        assert m.line == line_of(text, m.start)
        assert m.kind == "logic" and m.category in PYTHON_CATEGORIES, m
        assert m.description and " ".join(m.description.split()) == m.description
    keys = [(m.start, m.end, m.replacement) for m in mutants]
    assert len(keys) == len(set(keys)), "no duplicates"
    assert [(m.start, m.end) for m in mutants] == sorted((m.start, m.end) for m in mutants)


SUM = """\
def total(values, n):
    acc = 0
    for i in range(n):
        acc += values[i]
    return acc
"""


def test_off_by_one_range_and_index() -> None:
    assert edits(SUM, "off-by-one") == {
        ("n", "n + 1"),
        ("n", "n - 1"),
        ("i", "i + 1"),
        ("i", "i - 1"),
    }
    assert SUM.replace("range(n)", "range(n - 1)") in mutated(SUM, "off-by-one")
    assert SUM.replace("values[i]", "values[i + 1]") in mutated(SUM, "off-by-one")


def test_off_by_one_folds_a_constant_term_and_moves_both_range_bounds() -> None:
    text = "def f(a, n):\n    for i in range(1, n - 1):\n        a[i] = a[i - 1]\n"
    got = mutated(text, "off-by-one")
    for new in ("range(0, n - 1)", "range(2, n - 1)", "range(1, n)", "range(1, n - 2)"):
        assert text.replace("range(1, n - 1)", new) in got
    assert text.replace("a[i - 1]", "a[i]") in got
    assert text.replace("a[i - 1]", "a[i - 2]") in got
    assert not any("n - 1 + 1" in t or "i - 1 - 1" in t for t in got)


def test_off_by_one_slices_len_comparisons_and_not_dict_keys() -> None:
    text = (
        "def f(word, i):\n"
        "    seen = {}\n"
        "    seen[i] = word[1 : i + 1]\n"
        "    while i < len(word):\n"
        "        i += 1\n"
        "    return seen\n"
    )
    assert edits(text, "off-by-one") == {
        ("1", "2"),
        ("1", "0"),
        ("i + 1", "i"),
        ("i + 1", "i + 2"),
        ("len(word)", "len(word) - 1"),
    }, "seen[i] indexes a dict: no i + 1 there"
    assert text.replace("i < len(word)", "i < len(word) - 1") in mutated(text)


OPERATORS = """\
def f(a, b, flags):
    x = (a + b) * 2 // 3
    x += a << 1
    if a and not (b or flags):
        return x % 2
    return x & flags
"""


def test_wrong_operator() -> None:
    assert edits(OPERATORS, "wrong-operator") == {
        ("+", "-"),
        ("*", "/"),
        ("*", "+"),
        ("//", "/"),
        ("//", "%"),
        ("+=", "-="),
        ("<<", ">>"),
        ("and", "or"),
        ("or", "and"),
        ("not ", ""),
        ("%", "//"),
        ("&", "|"),
        ("&", "^"),
    }
    got = mutated(OPERATORS, "wrong-operator")
    assert OPERATORS.replace("if a and not (b or flags)", "if a and (b or flags)") in got
    assert OPERATORS.replace("(a + b) * 2 // 3", "(a + b) * 2 / 3") in got


def test_wrong_operator_skips_concatenation_and_repetition() -> None:
    text = 'def f(s, n):\n    s += "x"\n    row = [0] * n\n    return s + "!" + str(row)\n'
    assert edits(text, "wrong-operator") == set()


COMPARE = """\
def f(x, items, seen):
    if x < 0 or x >= len(items):
        return x == 1
    if x is not None and x not in seen:
        return x in items
    return x != 2
"""


def test_wrong_comparison() -> None:
    assert edits(COMPARE, "wrong-comparison") == {
        ("<", "<="),
        ("<", ">"),
        (">=", ">"),
        (">=", "<="),
        ("==", "!="),
        ("is not", "is"),
        ("not in", "in"),
        ("in", "not in"),
        ("!=", "=="),
    }
    got = mutated(COMPARE, "wrong-comparison")
    assert COMPARE.replace("x is not None", "x is None") in got
    assert COMPARE.replace("x not in seen", "x in seen") in got


def test_wrong_variable_uses_only_locals_bound_before_the_read() -> None:
    text = (
        "import math\n"
        "\n"
        "def f(items, n):\n"
        "    total = 0\n"
        "    for i in range(n):\n"
        "        total += items[i] * math.pi\n"
        "    late = total\n"
        "    return len(items) + late\n"
    )
    mutants = [m for m in python_mutants(text, "p.py") if m.category == "wrong-variable"]
    assert mutants
    for m in mutants:
        assert m.replacement in {"items", "n", "total", "i", "late"}, "no builtins, no modules"
        assert text[m.start : m.end] != "math"
        assert m.mutator == "variable"
    # late is bound after the loop: never read inside it.
    loop = slice(text.index("for i"), text.index("    late"))
    assert not any(m.replacement == "late" and loop.start <= m.start < loop.stop for m in mutants)
    # A list never stands in for an index, nor an index for a list.
    reads = {(text[m.start : m.end], m.replacement) for m in mutants}
    assert ("i", "items") not in reads and ("items", "i") not in reads
    assert ("i", "n") in reads
    assert text.replace("items[i]", "items[n]") in mutated(text, "wrong-variable")


def test_wrong_variable_never_in_module_code_or_for_self() -> None:
    text = (
        "limit = 3\n"
        "other = limit + 1\n"
        "class C:\n"
        "    def m(self, a, b):\n"
        "        return self.k + a - b\n"
    )
    reads = edits(text, "wrong-variable")
    assert reads == {("a", "b"), ("b", "a")}


def test_wrong_initial_value() -> None:
    text = (
        "import math\n"
        "\n"
        "def f(xs, n):\n"
        "    count = 0\n"
        "    found = False\n"
        '    best = float("inf")\n'
        "    low, high = -1, len(xs) - 1\n"
        "    dp = [0] * (n + 1)\n"
        "    name = 'abc'\n"
        "    count = 5\n"
        "    return count, found, best, low, high, dp, name, math.inf\n"
    )
    assert edits(text, "wrong-initial-value") == {
        ("0", "1"),
        ("False", "True"),
        ('float("inf")', "0"),
        ("-1", "0"),
        ("len(xs) - 1", "len(xs)"),
        ("len(xs) - 1", "len(xs) - 2"),
        ("'abc'", "''"),
    }, "count = 5 is not a first assignment"
    got = mutated(text, "wrong-initial-value")
    assert text.replace("count = 0", "count = 1") in got
    assert text.replace("dp = [0] * (n + 1)", "dp = [1] * (n + 1)") in got
    descriptions = {m.description for m in python_mutants(text, "p.py")}
    assert "found = False -> found = True" in descriptions


def test_wrong_initial_value_of_attributes_in_init() -> None:
    text = (
        "class Node:\n"
        "    def __init__(self):\n"
        "        self.size = 0\n"
        "        self.ok = True\n"
        "        self.size = 4\n"
    )
    assert edits(text, "wrong-initial-value") == {("0", "1"), ("True", "False")}


def test_missing_statement_deletes_lines_and_leaves_pass_in_an_empty_block() -> None:
    text = (
        "import os\n"
        "\n"
        "def f(items):\n"
        '    """Docstring."""\n'
        "    out = []\n"
        "    for x in items:\n"
        "        if x < 0:\n"
        "            continue  # skip negatives\n"
        "        out.append(x)\n"
        "    return out\n"
        "\n"
        "def g(x):\n"
        "    return x\n"
    )
    got = mutated(text, "missing-statement")
    assert text.replace("    out = []\n", "") in got
    assert text.replace("        out.append(x)\n", "") in got
    assert text.replace("continue  # skip negatives", "pass") in got
    assert len(got) == 3, "not the docstring, the import, a final return, a function's only line"


def test_missing_statement_keeps_a_one_line_block_valid() -> None:
    text = "def f(x):\n    if x: return 1\n    return 0\n"
    assert mutated(text, "missing-statement") == [text.replace("return 1", "pass")]


def test_swapped_arguments() -> None:
    text = "def f(a, b, m):\n    return pow(a, b, m) + max(a, b) + divmod(a, a)\n"
    assert edits(text, "swapped-arguments") == {("a, b", "b, a"), ("b, m", "m, b")}
    assert text.replace("pow(a, b, m)", "pow(b, a, m)") in mutated(text, "swapped-arguments")


def test_spans_keep_comments_and_spacing() -> None:
    text = "def f(a,  b):\n    x  =  a+b   # sum ; keep\n    return  x*2  # twice\n"
    got = mutated(text)
    assert text.replace("a+b", "a-b") in got
    assert text.replace("x*2", "x/2") in got
    for new in got:
        assert "# sum ; keep" in new or "x  =  a+b" not in new
        assert new.endswith("  # twice\n")


def test_non_ascii_text_before_a_site_gives_character_offsets() -> None:
    text = (
        "def f(a, b):\n"
        '    """Grüße — ünïcode docstring 🦆."""\n'
        '    label = "héllo wörld 🦆"; ok = a < b  # ✓\n'
        "    return ok, label\n"
    )
    mutants = python_mutants(text, "p.py")
    compare = [m for m in mutants if m.category == "wrong-comparison"]
    assert {text[m.start : m.end] for m in compare} == {"<"}
    assert text.replace("a < b", "a <= b") in [m.apply(text) for m in compare]
    assert all(m.line == 3 for m in compare)
    check_all(text, mutants)


def test_never_touches_docstrings_imports_decorators_annotations_or_main() -> None:
    text = (
        '"""Module doc: range(10), a < b, x + 1."""\n'
        "from functools import lru_cache\n"
        "import math as m\n"
        "\n"
        "@lru_cache(maxsize=2 + 1)\n"
        "def f(n: int = 0, xs: list[int] | None = None) -> dict[str, int]:\n"
        '    """Doc: i < n and not x."""\n'
        "    y: list[int] = n + 1\n"
        '    return f"{n + 1 < y}"\n'
        "\n"
        'if __name__ == "__main__":\n'
        "    print(f(3) + 1)\n"
    )
    value = text.index("= n + 1") + 2
    mutants = python_mutants(text, "p.py")
    assert {m.category for m in mutants} == {
        "wrong-operator",
        "wrong-variable",
        "wrong-initial-value",
        "missing-statement",
    }
    for m in mutants:
        if m.category == "missing-statement":
            assert text[m.start : m.end] == "    y: list[int] = n + 1\n"
        else:
            assert value <= m.start <= m.end <= value + 5, (m, text[m.start : m.end])


def test_every_mutant_parses_differs_and_the_order_is_stable() -> None:
    for text in (SUM, OPERATORS, COMPARE, SUM.replace("\n", "\r\n"), SUM.replace("    ", "\t")):
        first = python_mutants(text, "p.py")
        assert first == python_mutants(text, "p.py")
        check_all(text, first)


def test_invalid_escapes_neither_warn_nor_fail_and_threads_keep_the_filters() -> None:
    text = 'import re\n\ndef f(s, n):\n    return re.match("\\d+", s) and n < 3\n'
    before = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert edits(text, "wrong-comparison") == {("<", "<="), ("<", ">")}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: python_mutants(text, "p.py"), range(8)))
    assert all(r == results[0] for r in results)
    assert warnings.filters == before


def test_invalid_python_is_a_task_error() -> None:
    with pytest.raises(TaskError, match=r"broken\.py"):
        python_mutants("def f(:\n", "broken.py")


def test_builtin_suite_gives_every_category_and_every_mutant_parses() -> None:
    assert len(BUILTIN) >= 45
    counts: Counter[str] = Counter()
    for path in BUILTIN:
        text = path.read_text(encoding="utf-8")
        mutants = python_mutants(text, path.name)
        assert mutants, path
        check_all(text, mutants)
        counts.update(m.category for m in mutants)
    assert set(counts) == PYTHON_CATEGORIES, counts


def test_a_hundred_line_program_is_fast() -> None:
    parts = ["min_heap", "kmp_search", "bellman_ford"]
    text = "\n\n".join(
        next(p for p in BUILTIN if p.parent.parent.name == name).read_text() for name in parts
    )
    assert text.count("\n") >= 100
    best = min(timed(text) for _ in range(3))
    assert best < 0.25, f"{best * 1000:.0f} ms"  # about 20 ms unloaded; slack for a busy CI box


def timed(text: str) -> float:
    start = time.perf_counter()
    python_mutants(text, "big.py")
    return time.perf_counter() - start
