"""Patch templates: each family on tiny programs, exact output text, ranking and limits."""

from __future__ import annotations

import ast
from textwrap import dedent

import pytest

import duckfix.agents.templates as templates
from duckfix.agents.templates import PRIORS, Candidate, generate
from duckfix.models import Suspect


def src(text: str) -> str:
    return dedent(text).lstrip("\n")


class Found(list[Candidate]):
    """Candidates, with the files they were made for (a candidate holds only its edit)."""

    def __init__(self, cands: list[Candidate], files: dict[str, str]) -> None:
        super().__init__(cands)
        self.files = files

    def text(self, cand: Candidate) -> str:
        return cand.apply(self.files[cand.path])


def found(files: dict[str, str], suspects: list[Suspect]) -> Found:
    return Found(generate(files, suspects), files)


def at(source: str, *lines: int, path: str = "p.py") -> Found:
    return found({path: source}, [Suspect(path=path, line=n, score=1.0) for n in lines])


def sources(cands: Found, template: str | None = None) -> list[str]:
    return [cands.text(c) for c in cands if template is None or c.template == template]


def edited(cands: Found, prefix: str) -> set[str]:
    """The edited line of each candidate whose template starts with ``prefix``, stripped."""
    return {
        cands.text(c).splitlines()[c.line - 1].strip()
        for c in cands
        if c.template.startswith(prefix)
    }


def line_of(cands: Found, template: str, number: int) -> list[str]:
    """Line ``number`` of each candidate of ``template``, in order."""
    return [cands.text(c).splitlines()[number - 1] for c in cands if c.template == template]


# ----- the public API -----


def test_public_api() -> None:
    assert templates.__all__ == ["PRIORS", "Candidate", "generate"]
    assert all(0 < p <= 1 for p in PRIORS.values())
    assert PRIORS["compare-op"] > PRIORS["off-by-one"] > PRIORS["move-stmt"]
    assert PRIORS["insert-stmt"] < PRIORS["delete-stmt"]


def test_candidates_are_frozen() -> None:
    cand = at("x = a < b\n", 1)[0]
    with pytest.raises(ValueError):
        cand.line = 2  # type: ignore[misc]


# ----- expression templates -----

CMP = src("""
    def f(a, b):
        return a < b  # keep me
""")


def test_compare_op_nearest_first_and_comment_kept() -> None:
    cands = at(CMP, 2)
    assert line_of(cands, "compare-op", 2) == [
        "    return a <= b  # keep me",
        "    return a > b  # keep me",
        "    return a >= b  # keep me",
        "    return a != b  # keep me",
        "    return a == b  # keep me",
    ]
    first = cands[0]
    assert first.description == "replace `<` with `<=` on line 2"
    assert (first.line, first.size, first.prior, first.score) == (2, 1, 0.9, 0.9)
    assert cands.text(first).splitlines()[0] == CMP.splitlines()[0]


def test_compare_op_word_operators_and_spacing() -> None:
    cands = at("ok = x in s\nno = y is None\n", 1, 2)
    assert "ok = x not in s\n" in sources(cands, "compare-op")[0]
    assert "no = y is not None\n" in sources(cands, "compare-op")[1]
    assert "no = y == None\n" in sources(cands, "compare-op")[2]
    assert sources(at("t = a<b\n", 1), "compare-op")[0] == "t = a<=b\n"


def test_arith_op_keeps_the_tree_when_precedence_changes() -> None:
    cands = at("y = c - a * b\n", 1)
    assert "y = c - (a + b)\n" in sources(cands, "arith-op")
    assert "y = c + a * b\n" in sources(cands, "arith-op")
    cands = at("y = a * b + c\n", 1)
    assert "y = (a * b) ** c\n" in sources(cands, "arith-op")
    assert all(ast.parse(s) for s in sources(cands))


def test_arith_op_leaves_string_concatenation_alone() -> None:
    assert sources(at('s = t + "x"\n', 1), "arith-op") == []


def test_augmented_assignment() -> None:
    cands = at("def f(x):\n    x += 2\n    return x\n", 2)
    assert line_of(cands, "arith-op", 2)[:2] == ["    x -= 2", "    x *= 2"]


def test_bitwise_and_bool_ops() -> None:
    assert line_of(at("m = a & b\n", 1), "bitwise-op", 1) == ["m = a | b", "m = a ^ b"]
    assert line_of(at("m = a << 2\n", 1), "bitwise-op", 1) == ["m = a >> 2"]
    cands = at("if a and b and c:\n    pass\n", 1)
    assert line_of(cands, "bool-op", 1) == [
        "if a or b and c:",
        "if a and b or c:",
        "if a or b or c:",
    ]


def test_off_by_one_on_constants_bounds_and_adjustments() -> None:
    program = src("""
        def f(a, n):
            hi = len(a) - 1
            for i in range(n):
                if a[i] > hi:
                    return a[i:n]
            return 3
    """)
    lines = edited(at(program, 2, 3, 4, 5, 6), "off-by-one")
    assert {"hi = len(a)", "hi = len(a) - 2", "hi = len(a) - 0"} - lines == {"hi = len(a) - 0"}
    assert {"for i in range(n + 1):", "for i in range(n - 1):"} <= lines
    assert {"if a[i + 1] > hi:", "if a[i] > hi - 1:", "if a[i] > hi + 1:"} <= lines
    assert {"return a[i - 1:n]", "return a[i:n + 1]"} <= lines
    assert {"return 4", "return 2"} <= lines


def test_off_by_one_parenthesizes_what_it_extends() -> None:
    cands = at("m = (lo + hi) // 2\nok = a[i if j else k]\n", 1, 2)
    assert "m = (lo + hi + 1) // 2\nok = a[i if j else k]\n" in sources(cands, "off-by-one")
    assert "m = (lo + hi) // 2\nok = a[(i if j else k) + 1]\n" in sources(cands, "off-by-one")


def test_negate_condition() -> None:
    program = src("""
        def f(x, done, xs):
            while not done:
                if x > 0 and done:
                    assert x
                y = 1 if x else 2
                return [v for v in xs if v]
    """)
    got = edited(at(program, 2, 3, 4, 5, 6), "negate")
    assert {
        "while done:",
        "if not (x > 0 and done):",
        "if not (x > 0) and done:",
        "if x > 0 and not done:",
        "assert not x",
        "y = 1 if not x else 2",
        "return [v for v in xs if not v]",
    } <= got


def test_not_extended_over_the_whole_condition() -> None:
    cands = at("if not a < b and c:\n    pass\n", 1)
    assert "if not (a < b and c):\n    pass\n" in sources(cands, "negate-condition")
    assert "if a < b and c:\n    pass\n" in sources(cands, "negate-condition")


def test_drop_clause_with_braces_in_the_program() -> None:
    cands = at('if {"a": 1} and x or y:\n    pass\n', 1)
    assert line_of(cands, "drop-clause", 1) == [
        "if y:",
        'if {"a": 1} and x:',
        "if x or y:",
        'if {"a": 1} or y:',
    ]
    descriptions = [c.description for c in cands if c.template == "drop-clause"]
    assert descriptions[1] == "drop `y` from the condition on line 1"
    assert descriptions[2] == 'drop `{"a": 1}` from the condition on line 1'


def test_negate_value() -> None:
    cands = at("def f(c, n):\n    c[n] = c[0]\n", 2)
    assert line_of(cands, "negate-value", 2) == ["    c[n] = not c[0]"]
    assert line_of(at("x = a + 1\n", 1), "negate-value", 1) == []


def test_swap_operands() -> None:
    assert line_of(at("d = a - b\n", 1), "swap-operands", 1) == ["d = b - a"]
    assert line_of(at("d = (a + b) - c\n", 1), "swap-operands", 1) == [
        "d = c - (a + b)",
        "d = (b + a) - c",
    ]
    assert line_of(at("t = x in s\n", 1), "swap-operands", 1) == ["t = s in x"]
    assert line_of(at("p = a * b\n", 1), "swap-operands", 1) == []  # commutative


def test_swap_args_elements_and_indices() -> None:
    cands = at("r = f(a, b, c)\n", 1)
    assert line_of(cands, "swap-args", 1) == ["r = f(b, a, c)", "r = f(c, b, a)", "r = f(a, c, b)"]
    assert line_of(at("def g(x, y):\n    return x, y\n", 2), "swap-args", 2) == ["    return y, x"]
    assert line_of(at("v = t[i][j]\n", 1), "swap-args", 1) == ["v = t[j][i]"]
    assert line_of(at("r = f(*a, b)\n", 1), "swap-args", 1) == []


SCALED = src("""
    def _scaled(value, factor):
        return value * factor


    def area(width, height, scale):
        w = _scaled(scale, width)
        h = _scaled(scale, height)
        return w * h
""")


def test_swap_args_of_every_call_to_one_helper() -> None:
    cands = at(SCALED, 6)
    everywhere = [c for c in cands if "every call" in c.description]
    assert [c.description for c in everywhere] == [
        "swap the arguments `scale` and `width` of every call to `_scaled` (lines 6 and 7)"
    ]
    text = cands.text(everywhere[0])
    assert "w = _scaled(width, scale)" in text and "h = _scaled(height, scale)" in text
    # Right after the one-call swap at the line, as the same template.
    swaps = [c.description for c in cands if c.template == "swap-args"]
    assert swaps.index(everywhere[0].description) == 1


@pytest.mark.parametrize(
    "program",
    [
        SCALED.replace("    h = _scaled(scale, height)\n", "    h = height * scale\n"),  # one call
        SCALED.replace("_scaled(scale, height)", "_scaled(scale, height, 2)"),  # another arity
        SCALED.replace("_scaled(scale, width)", "_scaled(_scaled(scale, 2), width)"),  # nested
    ],
)
def test_swap_args_of_every_call_needs_like_calls_apart(program: str) -> None:
    assert not [c for c in at(program, 6) if "every call" in c.description]


def test_return_if_in_a_loop_of_a_predicate() -> None:
    # A search that gives up after the first neighbour it recurses into.
    program = src("""
        def reachable(graph, start, goal, seen):
            if start == goal:
                return True
            seen.add(start)
            for nxt in graph[start]:
                if nxt not in seen:
                    return reachable(graph, nxt, goal, seen)
            return False
    """)
    cands = at(program, 7)
    got = [cands.text(c) for c in cands if c.template == "return-if"]
    assert [t.splitlines()[6:8] for t in got] == [
        ["            if reachable(graph, nxt, goal, seen):", "                return True"],
        ["            if not reachable(graph, nxt, goal, seen):", "                return False"],
    ]
    for text in got:
        ast.parse(text)


@pytest.mark.parametrize(
    ("program", "line"),
    [
        # Not in a loop: the return is where the function ends anyway.
        ("def ok(xs):\n    if not xs:\n        return False\n    return check(xs)\n", 4),
        # Not a predicate: no True or False to return instead.
        ("def first(xs):\n    for x in xs:\n        return f(x)\n    return None\n", 3),
    ],
)
def test_return_if_needs_a_loop_and_a_predicate(program: str, line: int) -> None:
    assert not [c for c in at(program, line) if c.template == "return-if"]


def test_swap_chars_transposes_a_short_literal() -> None:
    program = 'def distance(n):\n    return f"{n} " + "mk"\n'
    got = line_of(at(program, 2), "swap-chars", 2)
    assert got == ['    return f"{n} " + "km"']
    program = "def sep():\n    return ':-='\n"
    assert line_of(at(program, 2), "swap-chars", 2) == ["    return '-:='", "    return ':=-'"]


@pytest.mark.parametrize(
    "literal",
    [
        '"a line of prose, far too long"',  # longer than a symbol or a code
        '"\\n;"',  # an escape: its text is not its value
        '"aa"',  # transposing equal characters changes nothing
        '"""ab"""',  # triple quoted
        "b'ab'",  # bytes
    ],
)
def test_swap_chars_leaves_other_literals_alone(literal: str) -> None:
    assert line_of(at(f"def f():\n    return {literal}\n", 2), "swap-chars", 2) == []


def test_replace_var_with_scope_and_kind() -> None:
    program = src("""
        def f(xs, i, j):
            total = 0
            k = i + 1
            return xs[i] + total
    """)
    cands = at(program, 4)
    got = line_of(cands, "replace-var", 4)
    # Plain values replace plain values, those used nearest the line first; the list
    # `xs` is no candidate for them.
    assert got == [
        "    return xs[total] + total",
        "    return xs[k] + total",
        "    return xs[j] + total",
        "    return xs[i] + i",
        "    return xs[i] + k",
        "    return xs[i] + j",
    ]


def test_replace_var_every_use_on_a_line() -> None:
    program = "def f(a, lo, mid):\n    a[lo], a[mid] = a[mid], a[lo]\n"
    got = line_of(at(program, 2), "replace-var", 2)
    assert "    a[mid], a[mid] = a[mid], a[mid]" in got


def test_replace_var_reads_only_names_already_bound_and_targets_last() -> None:
    # A checksum over the wrong buffer: `header` read where `payload` was meant.
    program = src("""
        def checksum(header, payload):
            digest = _fold(header[1:])
            trailer = payload[-4:]
            return digest ^ _fold(trailer[0:])
    """)
    # `trailer` is not bound yet where line 2 reads: reading it there raises
    # every time, so it never replaces `header`.
    assert line_of(at(program, 2), "replace-var", 2) == ["    digest = _fold(payload[1:])"]
    program = src("""
        def checksum(header, payload):
            digest = _fold(header)
            size = len(header) + len(payload)
            return digest % size
    """)
    # The value read is replaced first, the name bound (`size` for `digest`) after.
    got = line_of(at(program, 2), "replace-var", 2)
    assert got == ["    digest = _fold(payload)", "    size = _fold(header)"]


def test_replace_var_reads_a_name_a_loop_binds_further_down() -> None:
    program = src("""
        def running(xs):
            out = []
            for x in xs:
                out.append(x + carry)
                carry = x
            return out
    """)
    got = line_of(at(program, 4), "replace-var", 4)
    assert "        out.append(x + x)" in got  # `x` for `carry`, and the reverse:
    assert "        out.append(carry + carry)" in got  # bound on the loop's next pass


def test_replace_attribute_of_the_same_object() -> None:
    program = src("""
        class Box:
            def __init__(self):
                self.size = 0
                self.cap = 4

            def full(self):
                return self.size >= self.cap
    """)
    got = line_of(at(program, 7), "replace-var", 7)
    assert got == ["        return self.cap >= self.cap", "        return self.size >= self.size"]


def test_return_value() -> None:
    program = src("""
        def f(a, b):
            seen = []
            return a + b
    """)
    got = line_of(at(program, 3), "return-value", 3)
    assert got[:2] == ["    return a", "    return b"]
    program = "def ok(stack):\n    return True\n"
    got = line_of(at(program, 2), "return-value", 2)
    assert got == ["    return False", "    return stack", "    return not stack"]


def test_init_value() -> None:
    program = src("""
        import math

        def f(n, found=False):
            best, count = 0, []
            dist = [0] * n
            return best, count, dist, found
    """)
    got = edited(at(program, 3, 4, 5), "init-value")
    assert {
        "def f(n, found=True):",
        "best, count = math.inf, []",
        "best, count = -math.inf, []",
        "best, count = 0, [0]",
        "best, count = 0, None",
        "dist = [math.inf] * n",
    } <= got
    assert 'x = float("inf")\n' in sources(at("x = 0\n", 1), "init-value")


# ----- statement templates -----

BLOCK = src("""
    def f(xs):
        total = 0
        for x in xs:
            total += x  # add
            total *= 2
        return total
""")


def test_delete_and_pass_for_a_lone_statement() -> None:
    cands = at(BLOCK, 4)
    assert "    for x in xs:\n        total *= 2\n" in sources(cands, "delete-stmt")[0]
    lone = "def f(x):\n    if x:\n        x = 1\n    return x\n"
    assert sources(at(lone, 3), "delete-stmt") == [
        "def f(x):\n    if x:\n        pass\n    return x\n"
    ]
    assert sources(at("import os\n", 1), "delete-stmt") == []


def test_duplicate_and_move() -> None:
    cands = at(BLOCK, 4)
    assert sources(cands, "duplicate-stmt") == [
        BLOCK.replace("        total += x  # add\n", "        total += x  # add\n" * 2)
    ]
    moved = BLOCK.replace(
        "        total += x  # add\n        total *= 2\n",
        "        total *= 2\n        total += x  # add\n",
    )
    assert sources(cands, "move-stmt") == [moved]
    assert [c.description for c in cands if c.template == "move-stmt"] == [
        "move line 4 below line 5"
    ]


def test_insert_a_statement_of_the_same_function_reindented() -> None:
    cands = at(BLOCK, 5)
    inserted = [c for c in cands if c.template == "insert-stmt"]
    assert [c.description for c in inserted[:2]] == [
        "insert `total += x` (from line 4) before line 5",
        "insert `total += x` (from line 4) after line 5",
    ]
    assert cands.text(inserted[1]) == BLOCK.replace(
        "        total *= 2\n", "        total *= 2\n        total += x  # add\n"
    )
    # Copied into a shallower block, the text is re-indented.
    assert BLOCK.replace("    return total\n", "    total *= 2\n    return total\n") in sources(
        at(BLOCK, 6), "insert-stmt"
    )


def test_dedent_the_tail_of_a_block() -> None:
    program = src("""
        def f(xs):
            total = 0
            for x in xs:
                total += x
                return total
    """)
    fixed = program.replace("        return total\n", "    return total\n")
    cands = at(program, 5)
    assert sources(cands, "dedent-stmt") == [fixed]
    assert cands[0].template != "dedent-stmt"


def test_indent_into_the_block_above() -> None:
    program = src("""
        def f(xs):
            for x in xs:
                y = x
            print(y)
    """)
    assert sources(at(program, 4), "indent-stmt") == [
        program.replace("    print(y)\n", "        print(y)\n")
    ]


def test_moves_that_do_not_compile_are_dropped() -> None:
    program = src("""
        def f(xs):
            for x in xs:
                print(x)
                return x
    """)
    assert len(sources(at(program, 4), "dedent-stmt")) == 1
    # The same move for a `break` leaves it outside its loop: it does not compile.
    program = program.replace("return x", "break")
    assert sources(at(program, 4), "dedent-stmt") == []
    cands = at(program, 2, 3, 4)
    for cand in cands:
        compile(cands.text(cand), "p.py", "exec")


# ----- edits keep everything else -----


def test_unicode_before_the_edit_column() -> None:
    program = 'def f(n):\n    if "naïve ☃" and n < 3:  # ünïcode\n        return n\n'
    cands = at(program, 2)
    assert cands.text(cands[0]) == program.replace("n < 3", "n <= 3")
    offby = sources(cands, "off-by-one")
    assert program.replace("n < 3", "n < 4") in offby


def test_crlf_and_missing_final_newline_are_kept() -> None:
    program = "def f(a):\r\n    a = a + 1\r\n    return a"
    cands = at(program, 3)
    assert "def f(a):\r\n    a = a + 1\r\n    return a - 1" in sources(cands)
    dup = sources(at(program, 2), "duplicate-stmt")
    assert dup == ["def f(a):\r\n    a = a + 1\r\n    a = a + 1\r\n    return a"]
    deleted = sources(at(program, 3), "delete-stmt")
    assert deleted == ["def f(a):\r\n    a = a + 1\r\n"]
    # `return a` copied below itself (insert-control proposes the same file first).
    assert "def f(a):\r\n    a = a + 1\r\n    return a\r\n    return a" in sources(at(program, 2))


def test_only_the_edited_lines_change() -> None:
    program = src("""
        # a comment   with  odd   spacing
        def f(a,b):   # trailing
            x=a<b     # tight
            return x
    """)
    cands = at(program, 3)
    for cand in cands:
        if cand.template.endswith("-stmt") or cand.template.startswith(("insert-", "define-")):
            continue  # statement templates add or move whole lines
        before, after = program.splitlines(), cands.text(cand).splitlines()
        assert len(before) == len(after)
        assert [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y] == [2]


# ----- ranking, uniqueness, limits -----


def test_candidates_parse_are_unique_and_ordered_by_score() -> None:
    program = BLOCK
    suspects = [Suspect(path="p.py", line=4, score=0.5), Suspect(path="p.py", line=3, score=1.0)]
    cands = found({"p.py": program}, suspects)
    assert cands
    assert len({cands.text(c) for c in cands}) == len(cands)
    assert program not in {cands.text(c) for c in cands}
    for cand in cands:
        ast.parse(cands.text(cand))
        assert cand.prior == PRIORS[cand.template]
        assert cand.score in (cand.prior * 1.0, cand.prior * 0.5)
    scores = [c.score for c in cands]
    assert scores == sorted(scores, reverse=True)
    assert cands[0].line == 3
    assert generate({"p.py": program}, suspects) == cands


def test_ties_follow_the_suspect_order() -> None:
    program = "a = x < y\nb = x < y\n"
    suspects = [Suspect(path="p.py", line=2, score=1.0), Suspect(path="p.py", line=1, score=1.0)]
    cands = generate({"p.py": program}, suspects)
    assert [c.line for c in cands[:2]] == [2, 2]


def test_limits() -> None:
    suspects = [Suspect(path="p.py", line=n, score=1.0) for n in (2, 3, 4, 5, 6)]
    everything = generate({"p.py": BLOCK}, suspects)
    assert len(everything) > 20
    assert generate({"p.py": BLOCK}, suspects, limit=7) == everything[:7]
    capped = generate({"p.py": BLOCK}, suspects, per_line=2)
    assert len(capped) == 10
    one_line = generate({"p.py": BLOCK}, suspects[1:2])
    assert generate({"p.py": BLOCK}, suspects[1:2], per_line=3) == one_line[:3]
    assert generate({"p.py": BLOCK}, suspects, limit=0) == []


def test_bad_input_gives_no_candidates() -> None:
    assert generate({"p.py": "def f(:\n"}, [Suspect(path="p.py", line=1, score=1.0)]) == []
    assert generate({"p.py": "x = 1\n"}, [Suspect(path="q.py", line=1, score=1.0)]) == []
    assert generate({"p.py": "x = 1\n"}, [Suspect(path="p.py", line=9, score=1.0)]) == []
    assert generate({"p.py": "x = 1\n"}, []) == []


def test_several_files() -> None:
    files = {"a.py": "x = 1 < 2\n", "pkg/b.py": "y = 3 > 4\n"}
    suspects = [Suspect(path="pkg/b.py", line=1, score=0.9), Suspect(path="a.py", line=1, score=0)]
    cands = found(files, suspects)
    assert cands[0].path == "pkg/b.py" and cands.text(cands[0]) == "y = 3 >= 4\n"
    assert {c.path for c in cands} == {"a.py", "pkg/b.py"}


def test_a_large_file_gets_the_candidates_its_suspect_function_alone_would() -> None:
    filler = "".join(
        f"def helper_{i}(xs):\n    total = {i}\n    for x in xs:\n        total += x\n"
        f"    return total\n\n\n"
        for i in range(3000)
    )
    big = filler + BLOCK + filler
    shift = filler.count("\n")
    alone = found({"p.py": BLOCK}, [Suspect(path="p.py", line=4, score=1.0)])
    inside = found({"p.py": big}, [Suspect(path="p.py", line=4 + shift, score=1.0)])
    assert [c.template for c in inside] == [c.template for c in alone]
    assert [inside.text(c)[len(filler) : -len(filler)] for c in inside] == sources(alone)
    assert all(c.end - c.start < 200 for c in inside)  # an edit, not a copy of the file


# ----- a left-out statement: what define-var, insert-reset and insert-push offer -----


def inserted(cands: Found, template: str) -> set[str]:
    """The statements ``template`` inserts, stripped."""
    out = set()
    for c in cands:
        if c.template == template:
            old = cands.files[c.path].splitlines()
            new = cands.text(c).splitlines()
            out |= {line.strip() for line in new if line not in old}
    return out


def test_define_var_sizes_a_table_by_a_parameter_or_an_earlier_name() -> None:
    program = src("""
        def stairs(steps, stride):
            width = stride * 2
            for k in range(1, steps + 1):
                ways[k] = ways[k - 1] + (ways[k - width] if k >= width else 1)
            return ways[steps]
    """)
    made = inserted(at(program, 4), "define-var")
    assert {"ways = [0] * (steps + 1)", "ways = [0] * steps", "ways = [0] * width"} <= made
    assert not any("[0] * k" in m for m in made)  # a loop's variable sizes nothing


def test_define_var_reads_a_parameter_nothing_else_reads() -> None:
    program = src("""
        def flip_pairs(pairs):
            out = []
            for a, b in todo:
                out.append((b, a))
            return out
    """)
    made = inserted(at(program, 3), "define-var")
    assert {"todo = list(pairs)", "todo = pairs"} <= made


def test_define_var_takes_the_element_a_loop_turn_is_about() -> None:
    program = src("""
        def clamp_down(levels):
            out = list(levels)
            for i in range(1, len(out)):
                if out[i - 1] < cur:
                    out[i] = out[i - 1]
            return out
    """)
    assert "cur = out[i]" in inserted(at(program, 4), "define-var")


def test_define_var_binds_two_left_out_names_in_one_statement() -> None:
    program = src("""
        def valley(depths):
            while left < right:
                mid = (left + right) // 2
                if depths[mid] > depths[mid + 1]:
                    left = mid + 1
                else:
                    right = mid
            return left
    """)
    made = inserted(at(program, 2), "define-var")
    assert "left, right = 0, len(depths) - 1" in made


def test_define_var_leaves_a_closures_names_alone() -> None:
    program = src("""
        def reach(graph, start):
            seen = set()

            def walk(node):
                seen.add(node)
                for nxt in graph.get(node, []):
                    if nxt not in seen:
                        walk(nxt)
                return marker

            walk(start)
            return seen
    """)
    made = inserted(at(program, 5, 9), "define-var")
    assert made and all(m.startswith("marker = ") for m in made)


def test_insert_reset_sets_the_element_at_a_loops_variable() -> None:
    program = src("""
        def can_pay(coins, amount):
            ok = [True] + [False] * amount
            for c in coins:
                for total in range(amount, 0, -1):
                    if c <= total and ok[total - c]:
                        pass
            return ok[amount]
    """)
    made = inserted(at(program, 5), "insert-reset")
    assert {"ok[total] = True", "ok[total - c] = True", "ok[total] = False"} <= made


def test_insert_push_for_a_stack_popped_but_never_pushed() -> None:
    program = src("""
        def depth_ok(tokens):
            stack = []
            for tok in tokens:
                if tok == "<":
                    pass
                elif tok == ">":
                    if not stack:
                        return False
                    stack.pop()
            return not stack
    """)
    cands = at(program, 4)
    made = inserted(cands, "insert-push")
    assert "stack.append(tok)" in made
    fixed = program.replace("            pass\n", "            stack.append(tok)\n")
    assert fixed in sources(cands, "insert-push")
    # A list the function already adds to gets no push.
    assert not inserted(at(program.replace("pass", "stack.append(1)"), 4), "insert-push")


def test_define_var_for_a_total_only_ever_added_to() -> None:
    program = src("""
        def score(marks):
            for m in marks:
                if m > 0:
                    points += m
            return points
    """)
    assert "points = 0" in inserted(at(program, 4), "define-var")


def test_define_var_measures_both_sides_of_a_grid() -> None:
    program = src("""
        def border_sum(grid):
            total = 0
            for r in range(height):
                for c in range(width):
                    if r in (0, height - 1) or c in (0, width - 1):
                        total += grid[r][c]
            return total
    """)
    assert "height, width = len(grid), len(grid[0])" in inserted(at(program, 5), "define-var")


def test_define_var_knows_a_parameter_the_body_assigns_again() -> None:
    program = src("""
        def halve_until_odd(n, steps):
            n //= 1
            while n % 2 == 0:
                n >>= 1
                steps += 1
            return n, steps
    """)
    assert not inserted(at(program, 2, 3, 4, 5), "define-var")


def test_define_var_leaves_comprehension_and_nested_parameters_alone() -> None:
    program = src("""
        def finite(n, rows):
            def root(x):
                while parent[x] != x:
                    x = parent[x]
                return x

            parent = list(range(n))
            cells = [[None if d < 0 else d for d in row] for row in rows]
            return cells, root(0), limit
    """)
    made = inserted(at(program, 4, 8, 9), "define-var")
    # Only the name nothing binds: not `d` or `row` (the comprehension binds them)
    # nor `x` (the nested function's own parameter, rebound in its loop).
    assert made and all(m.startswith("limit = ") for m in made)
