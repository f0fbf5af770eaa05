"""The code around a few lines of a large file, cut out without parsing the file whole."""

from __future__ import annotations

import ast

from duckfix.agents.regions import WHOLE_FILE_CHARS, around, parse


def helpers(count: int, start: int = 0) -> str:
    return "".join(
        f"def helper_{i}(xs):\n    total = {i}\n    for x in xs:\n        total += x\n"
        f"    return total\n\n\n"
        for i in range(start, start + count)
    )


BIG = helpers(3000)
ENTRY = "@cache\ndef entry(xs):\n    if not xs:\n        return 0\n    return helper_7(xs) - 1\n"


def kept(masked: str, source: str) -> list[int]:
    """Line numbers whose text was kept (blank lines aside)."""
    pairs = zip(masked.splitlines(), source.splitlines(), strict=True)
    return [n for n, (a, b) in enumerate(pairs, 1) if a == b and b.strip()]


def test_small_files_come_back_whole() -> None:
    small = helpers(3)
    assert len(small) < WHOLE_FILE_CHARS
    assert around(small, [2]) is small


def test_a_large_file_keeps_the_statements_around_the_lines_and_blanks_the_rest() -> None:
    source = BIG + ENTRY + helpers(10, 3000)
    assert len(source) > WHOLE_FILE_CHARS
    line = BIG.count("\n") + 5  # `return helper_7(xs) - 1`
    masked = around(source, [line])
    # Offsets, line numbers and columns are the file's own.
    assert len(masked) == len(source) and masked.count("\n") == source.count("\n")
    first = BIG.count("\n") + 1
    assert kept(masked, source) == list(range(first, first + 5))  # the decorator too
    tree = ast.parse(masked)
    (entry,) = tree.body
    assert isinstance(entry, ast.FunctionDef) and entry.name == "entry"
    assert entry.lineno == first + 1 and entry.decorator_list


def test_lines_are_taken_best_first_until_the_budget() -> None:
    source = BIG + ENTRY
    lines = [2 + 7 * i for i in range(3000)]  # `total = i` of each helper
    masked = around(source, lines, budget=700)
    assert 0 < len(kept(masked, source)) < 60
    assert kept(masked, source)[:5] == [1, 2, 3, 4, 5]


def test_inside_a_long_function_only_its_header_and_nearby_statements_are_kept() -> None:
    body = "".join(f"    if n > {i % 5}:\n        acc += {i}\n" for i in range(20000))
    source = "def mix(xs):\n    acc = 0\n    n = len(xs)\n" + body + "    return acc\n"
    line = 3 + 2 * 15000 + 1  # an `if` deep inside
    masked = around(source, [line])
    lines = kept(masked, source)
    assert lines[0] == 1 and line in lines and len(lines) < 200
    assert parse(masked) is not None


def test_a_statement_start_inside_a_string_is_widened_until_it_parses() -> None:
    text = 'HELP = """\nUsage:\ndef fake():\n    pass\n"""\n'
    source = BIG + text + ENTRY
    line = BIG.count("\n") + 4  # `    pass`, inside the string
    masked = around(source, [line])
    assert parse(masked) is not None
    assert BIG.count("\n") + 1 in kept(masked, source)  # `HELP = """` came back in


def test_a_file_with_lone_carriage_returns_is_kept_whole() -> None:
    source = BIG.replace("\n", "\r")
    assert around(source, [2]) is source
