"""GCC's warnings on the added lines of C and C++ files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from duckfix.agents.review_checks import c_warnings

from tests.agents.review_checks.test_checks import SETTINGS, by_line, make_ctx

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")

OLD = "int f(void)\n{\n\tint unused_old;\n\treturn 0;\n}\n"
NEW = "int f(void)\n{\n\tint unused_old;\n\tint unused_new;\n\treturn 0;\n}\n"


def test_unused_variable_on_an_added_line_only(tmp_path: Path) -> None:
    found = c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", OLD, NEW), SETTINGS)
    assert [(f.line, f.category, f.severity) for f in found] == [
        (4, "c/unused-variable", "warning")
    ]
    assert "unused_new" in found[0].message
    assert "-Wunused-variable" in found[0].message


def test_text_diagnostics_when_json_is_not_supported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcc = shutil.which("gcc")
    monkeypatch.setattr(c_warnings, "_JSON_UNSUPPORTED", {gcc})
    found = c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", OLD, NEW), SETTINGS)
    assert by_line(found) == {4: ["c/unused-variable"]}


def test_unknown_pragmas_are_quiet(tmp_path: Path) -> None:
    new = "void k(int *a)\n{\n#pragma HLS PIPELINE II=1\n\ta[0] = 1;\n}\n"
    assert c_warnings.check(make_ctx(tmp_path / "r", "hls/k.c", "", new), SETTINGS) == []


def test_a_missing_header_is_one_note(tmp_path: Path) -> None:
    new = '#include "nowhere.h"\nint f(void) { int unused; return 0; }\n'
    found = c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", "", new), SETTINGS)
    assert [(f.line, f.severity, f.category) for f in found] == [(1, "note", "c/not-checked")]
    assert found[0].message.startswith("could not check")
    assert "nowhere.h" in found[0].message


def test_headers_next_to_the_file_and_in_include_are_found(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "src/util.h": "#pragma once\nint util(int);\n",
        "include/api.h": "#pragma once\ntypedef int api_t;\n",
    }
    new = (
        '#include "util.h"\n#include <api.h>\n'
        "api_t g(void)\n{\n\tint spare;\n\treturn util(1);\n}\n"
    )
    ctx = make_ctx(tmp_path / "r", "src/g.c", "", new, files=files)
    assert by_line(c_warnings.check(ctx, SETTINGS)) == {5: ["c/unused-variable"]}


def test_cxx_files_use_gxx(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    new = "#include <vector>\nint n()\n{\n\tstd::vector<int> v;\n\tint spare = 0;\n\treturn 0;\n}\n"
    found = c_warnings.check(make_ctx(tmp_path / "r", "n.cpp", "", new), SETTINGS)
    assert [(f.line, f.category) for f in found] == [(5, "c/unused-variable")]
    assert "g++" in found[0].message


def test_a_header_on_its_own_is_not_warned_of_pragma_once(tmp_path: Path) -> None:
    new = "#pragma once\nstatic int counter;\nstatic inline int twice(int x) { return 2 * x; }\n"
    assert c_warnings.check(make_ctx(tmp_path / "r", "inc/t.h", "", new), SETTINGS) == []


def test_errors_on_untouched_lines_mean_missing_build_flags(tmp_path: Path) -> None:
    old = "u32 f(void)\n{\n\treturn 0;\n}\n"
    new = "u32 f(void)\n{\n\tint x = 1;\n\treturn 0;\n}\n"
    found = c_warnings.check(make_ctx(tmp_path / "r", "drv/f.c", old, new), SETTINGS)
    assert [(f.line, f.severity, f.category) for f in found] == [(3, "note", "c/not-checked")]
    assert "build flags" in found[0].message


def test_an_error_on_an_added_line(tmp_path: Path) -> None:
    new = "int f(void)\n{\n\treturn missing_symbol;\n}\n"
    found = c_warnings.check(make_ctx(tmp_path / "r", "f.c", "", new), SETTINGS)
    assert [(f.line, f.severity, f.category) for f in found] == [(3, "error", "c/error")]


def test_gcc_missing_is_one_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(tmp_path / "r", "src/f.c", OLD, NEW)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (note,) = c_warnings.check(ctx, SETTINGS)
    assert (note.line, note.severity) == (4, "note")
    assert "gcc is not installed" in note.message
