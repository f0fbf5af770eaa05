"""Debuggers, debug prints, focused and skipped tests left in added lines."""

from __future__ import annotations

from pathlib import Path

from duckfix.agents.review_checks import leftovers

from tests.agents.review_checks.test_checks import SETTINGS, by_line, make_ctx


def _found(root: Path, path: str, new: str, old: str = "", **kw: bool) -> dict[int, list[str]]:
    return by_line(leftovers.check(make_ctx(root, path, old, new, **kw), SETTINGS))


def test_python_debuggers(tmp_path: Path) -> None:
    new = (
        "import pdb\n"
        "import ipdb\n"
        "def f(x):\n"
        "    breakpoint()\n"
        "    import pdb; pdb.set_trace()\n"
        "    return x\n"
    )
    found = leftovers.check(make_ctx(tmp_path / "r", "pkg/mod.py", "", new), SETTINGS)
    assert by_line(found) == {
        1: ["leftovers/debugger"],
        2: ["leftovers/debugger"],
        4: ["leftovers/debugger"],
        5: ["leftovers/debugger"],
    }
    assert {f.severity for f in found} == {"error"}


def test_only_added_lines_count(tmp_path: Path) -> None:
    old = "def f():\n    breakpoint()\n    return 1\n"
    new = "def f():\n    breakpoint()\n    return 2\n"
    assert _found(tmp_path / "r", "m.py", new, old) == {}


def test_comments_and_strings_are_not_code(tmp_path: Path) -> None:
    new = (
        "# print(x)\n"
        "# breakpoint()\n"
        'HELP = "call breakpoint() to stop; print(repr(x)) shows x"\n'
        "x = 1  # import pdb\n"
    )
    assert _found(tmp_path / "r", "m.py", new) == {}
    new = 'log("breakpoint()"); breakpoint()\n'
    assert _found(tmp_path / "r2", "m.py", new) == {1: ["leftovers/debugger"]}


def test_a_docstring_opened_above_the_hunk(tmp_path: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(10))
    old = f'"""Usage notes.\n\n{body}"""\n'
    new = old.replace("line 9\n", "line 9\n>>> breakpoint()\n")
    assert _found(tmp_path / "r", "m.py", new, old) == {}
    # Without the new file the scan starts at the hunk: the line looks like code.
    assert _found(tmp_path / "r2", "m.py", new, old, with_text=False) == {
        13: ["leftovers/debugger"]
    }


def test_debug_prints_but_not_cli_output(tmp_path: Path) -> None:
    new = (
        'print("DEBUG: state", state)\n'
        'print(f"{count=}")\n'
        "print(repr(value))\n"
        "print(value)  # debug\n"
        'print("usage: tool FILE")\n'
        'print(f"{total} files, {a == b}")\n'
        "log.print(repr(x))\n"
    )
    found = leftovers.check(make_ctx(tmp_path / "r", "tool/cli.py", "", new), SETTINGS)
    assert by_line(found) == {n: ["leftovers/debug-print"] for n in (1, 2, 3, 4)}
    assert {f.severity for f in found} == {"warning"}
    # Tests print as they like: pytest captures it.
    assert _found(tmp_path / "t", "tests/test_cli.py", new) == {}


def test_skipped_python_tests(tmp_path: Path) -> None:
    new = (
        "import pytest, unittest\n"
        "@pytest.mark.skip\n"
        "def test_a(): ...\n"
        "@pytest.mark.skip()\n"
        "def test_b(): ...\n"
        '@pytest.mark.skip(reason="flaky on CI, see #12")\n'
        "def test_c(): ...\n"
        "@unittest.skip\n"
        "def test_d(): ...\n"
        '@unittest.skip("needs a GPU")\n'
        "def test_e(): ...\n"
    )
    found = leftovers.check(make_ctx(tmp_path / "r", "tests/test_x.py", "", new), SETTINGS)
    assert by_line(found) == {n: ["leftovers/skipped-test"] for n in (2, 4, 8)}
    assert "reason" in found[0].message


def test_c_debug_prints(tmp_path: Path) -> None:
    new = (
        "#include <stdio.h>\n"
        "void f(int x) {\n"
        '    printf("DEBUG x=%d\\n", x);\n'
        '    fprintf(stderr, "debug: %d\\n", x);\n'
        '    printf("%d\\n", x);\n'
        '    // printf("DEBUG old\\n");\n'
        '    /* printf("DEBUG\\n"); */\n'
        "}\n"
    )
    found = _found(tmp_path / "r", "src/f.c", new)
    assert found == {3: ["leftovers/debug-print"], 4: ["leftovers/debug-print"]}


def test_javascript_leftovers(tmp_path: Path) -> None:
    new = (
        "describe.only('parser', () => {\n"
        "  it.only('parses', () => { debugger; });\n"
        "  fit('focused', () => {});\n"
        "  xit('later', () => {});\n"
        "  console.log('here', value);\n"
        "  // console.log('commented out');\n"
        "});\n"
    )
    found = leftovers.check(make_ctx(tmp_path / "r", "src/parser.spec.ts", "", new), SETTINGS)
    assert by_line(found) == {
        1: ["leftovers/focused-test"],
        2: ["leftovers/debugger", "leftovers/focused-test"],
        3: ["leftovers/focused-test"],
        4: ["leftovers/skipped-test"],
        5: ["leftovers/debug-print"],
    }
    severities = {f.category: f.severity for f in found}
    assert severities["leftovers/focused-test"] == "error"
    assert severities["leftovers/skipped-test"] == "warning"


def test_fit_outside_tests_is_a_function(tmp_path: Path) -> None:
    new = "const m = model.fit(x, y);\nfunction fit(a) { return a; }\nfit(data);\n"
    assert _found(tmp_path / "r", "src/ml.js", new) == {}


def test_unknown_languages_are_skipped(tmp_path: Path) -> None:
    assert _found(tmp_path / "r", "notes.txt", "breakpoint()\nconsole.log(x)\n") == {}
