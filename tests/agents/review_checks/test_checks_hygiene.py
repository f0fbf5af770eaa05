"""Whitespace, conflict markers, final newlines and long lines on added lines."""

from __future__ import annotations

from pathlib import Path

from duckfix.agents.review_checks import hygiene
from duckfix.review_settings import ReviewSettings

from tests.agents.review_checks.test_checks import SETTINGS, by_line, make_ctx


def test_trailing_whitespace_on_added_lines_only(tmp_path: Path) -> None:
    old = "keep = 1   \nx = 1\n"
    new = "keep = 1   \nx = 2\t \n"
    found = hygiene.check(make_ctx(tmp_path / "r", "a.py", old, new), SETTINGS)
    assert [(f.line, f.category, f.severity) for f in found] == [
        (2, "hygiene/trailing-whitespace", "warning")
    ]
    assert found[0].suggestion == "x = 2"
    assert "remove" in found[0].message


def test_markdown_hard_break_is_not_trailing_whitespace(tmp_path: Path) -> None:
    new = "line one  \nline two\n"
    assert hygiene.check(make_ctx(tmp_path / "r", "README.md", "", new), SETTINGS) == []


def test_mixed_indentation(tmp_path: Path) -> None:
    new = " \tint a;\n\t    int b; /* tab, then spaces to align */\n"
    found = hygiene.check(make_ctx(tmp_path / "c", "x.c", "", new), SETTINGS)
    assert by_line(found) == {1: ["hygiene/mixed-indent"]}
    py = "if x:\n\t    y = 1\n"
    found = hygiene.check(make_ctx(tmp_path / "p", "x.py", "", py), SETTINGS)
    assert by_line(found) == {2: ["hygiene/mixed-indent"]}


def test_conflict_markers(tmp_path: Path) -> None:
    old = "a = 1\n"
    new = "<<<<<<< HEAD\na = 1\n=======\na = 2\n>>>>>>> topic\n"
    found = hygiene.check(make_ctx(tmp_path / "r", "a.py", old, new), SETTINGS)
    assert {f.line for f in found} == {1, 3, 5}
    assert {(f.category, f.severity) for f in found} == {("hygiene/conflict-marker", "error")}


def test_heading_underline_is_not_a_conflict_marker(tmp_path: Path) -> None:
    new = "Install\n=======\n\nRun it.\n"
    assert hygiene.check(make_ctx(tmp_path / "r", "doc.rst", "", new), SETTINGS) == []
    # kmod's NEWS: no suffix to say it is prose.
    news = "kmod 34\n=======\n\n- Improvements\n"
    assert hygiene.check(make_ctx(tmp_path / "n", "NEWS", "", news), SETTINGS) == []


def test_missing_newline_at_end_of_file(tmp_path: Path) -> None:
    found = hygiene.check(make_ctx(tmp_path / "r", "a.txt", "a\n", "a\nb"), SETTINGS)
    assert [(f.line, f.category, f.severity) for f in found] == [
        (2, "hygiene/no-newline-at-eof", "note")
    ]
    assert hygiene.check(make_ctx(tmp_path / "ok", "a.txt", "a\n", "a\nb\n"), SETTINGS) == []


def test_missing_newline_that_the_diff_did_not_cause(tmp_path: Path) -> None:
    old = "a\nb\nlast"
    ctx = make_ctx(tmp_path / "r", "a.txt", old, "A\nb\nlast")
    assert ctx.change.hunks[-1].no_newline_at_end  # shown after the context line "last"
    assert hygiene.check(ctx, SETTINGS) == []
    # Now the changed line is the last one: the diff adds it without a newline.
    ctx = make_ctx(tmp_path / "r2", "a.txt", old, "a\nb\nLAST")
    assert by_line(hygiene.check(ctx, SETTINGS)) == {3: ["hygiene/no-newline-at-eof"]}


def test_long_lines_are_measured_in_display_columns(tmp_path: Path) -> None:
    settings = ReviewSettings(max_line_length=10)
    new = "é" * 10 + "\n" + "x" * 11 + "\n"  # the first is 20 bytes but 10 characters
    found = hygiene.check(make_ctx(tmp_path / "r", "a.txt", "", new), settings)
    assert [(f.line, f.category, f.severity) for f in found] == [
        (2, "hygiene/line-too-long", "note")
    ]
    assert "11 columns" in found[0].message
    # A tab advances to the next multiple of 8, a wide character takes two columns:
    # 6 characters, but 8 + 8 + 2 + 2 * 2 = 22 columns (checkpatch would flag it too).
    wide = "\t\tab" + "漢字" + "\n"
    found = hygiene.check(make_ctx(tmp_path / "w", "a.c", "", wide), settings)
    assert ["line is 22 columns" in f.message for f in found] == [True]
    assert hygiene.columns("\t\tx") == 17 and hygiene.columns("e\u0301") == 1


def test_prose_is_not_measured_unless_asked(tmp_path: Path) -> None:
    paragraph = "A paragraph of Markdown is one long line by convention." * 4 + "\n"
    assert hygiene.check(make_ctx(tmp_path / "m", "README.md", "", paragraph), SETTINGS) == []
    assert hygiene.check(make_ctx(tmp_path / "r", "doc/x.rst", "", paragraph), SETTINGS) == []
    strict = ReviewSettings(prose_line_length=80)
    found = hygiene.check(make_ctx(tmp_path / "s", "README.md", "", paragraph), strict)
    assert [f.category for f in found] == ["hygiene/line-too-long"]
    # A .c file is not prose.
    code = "/* " + "x" * 120 + " */\n"
    found = hygiene.check(make_ctx(tmp_path / "c", "a.c", "", code), SETTINGS)
    assert [f.category for f in found] == ["hygiene/line-too-long"]


def test_generated_files_get_only_the_conflict_marker_rule(tmp_path: Path) -> None:
    lock = 'name = "x"  \n' + "hash = " + "0" * 140 + "\n<<<<<<< HEAD\n"
    found = hygiene.check(make_ctx(tmp_path / "l", "poetry.lock", "", lock), SETTINGS)
    assert [f.category for f in found] == ["hygiene/conflict-marker"]
    marked = "// Code generated by protoc. DO NOT EDIT.\nint x;   \n"
    assert hygiene.check(make_ctx(tmp_path / "g", "x.pb.c", "", marked), SETTINGS) == []


def test_binary_and_deleted_files_are_skipped(tmp_path: Path) -> None:
    binary = make_ctx(tmp_path / "b", "blob.bin", b"\x00a \n", b"\x00b \n<<<<<<< x\n")
    assert binary.change.binary
    assert hygiene.check(binary, SETTINGS) == []
    deleted = make_ctx(tmp_path / "d", "gone.py", "x = 1  \n", None)
    assert deleted.change.status == "deleted"
    assert hygiene.check(deleted, SETTINGS) == []
