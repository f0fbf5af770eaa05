"""GCC's warnings on the added lines of C and C++ files."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from duckfix import sandbox
from duckfix.agents.review_checks import c_warnings
from duckfix.errors import CheckNotRun, SandboxError
from duckfix.hls_headers import hls_include
from duckfix.models import RunResult
from duckfix.review_settings import CReviewSettings

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


def test_a_missing_header_means_the_check_could_not_run(tmp_path: Path) -> None:
    new = '#include "nowhere.h"\nint f(void) { int unused; return 0; }\n'
    with pytest.raises(CheckNotRun, match=r"nowhere\.h"):
        c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", "", new), SETTINGS)


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
    with pytest.raises(CheckNotRun, match=r"does not compile here \(line 1: .*u32"):
        c_warnings.check(make_ctx(tmp_path / "r", "drv/f.c", old, new), SETTINGS)


def test_an_error_on_an_added_line_counts_only_with_the_projects_flags(tmp_path: Path) -> None:
    new = "int f(void)\n{\n\treturn missing_symbol;\n}\n"
    # With flags guessed here, an error may be the guess's: the check did not run.
    with pytest.raises(CheckNotRun, match=r"missing_symbol.*flags: best effort"):
        c_warnings.check(make_ctx(tmp_path / "r", "f.c", "", new), SETTINGS)
    own = dataclasses.replace(SETTINGS, c=CReviewSettings(flags=("-std=c11",)))
    found = c_warnings.check(make_ctx(tmp_path / "s", "f.c", "", new), own)
    assert [(f.line, f.severity, f.category) for f in found] == [(3, "error", "c/error")]


def test_gcc_missing_means_the_check_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = make_ctx(tmp_path / "r", "src/f.c", OLD, NEW)
    monkeypatch.setattr(shutil, "which", lambda name, **_: None)
    with pytest.raises(CheckNotRun, match="gcc is not installed"):
        c_warnings.check(ctx, SETTINGS)


# --- in the sandbox ------------------------------------------------------------------


class _Spy:
    """Records each ``sandbox.run`` call (command, keyword arguments, result)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[list[str], dict[str, Any], RunResult]] = []
        real = sandbox.run

        def run(cmd: list[str], **kwargs: Any) -> RunResult:
            result = real(cmd, **kwargs)
            self.calls.append((list(cmd), kwargs, result))
            return result

        monkeypatch.setattr(sandbox, "run", run)


def test_one_sandboxed_run_per_file_with_the_repository_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch)
    ctx = make_ctx(tmp_path / "r", "src/f.c", OLD, NEW, files={"include/api.h": "int api;\n"})
    found = c_warnings.check(ctx, SETTINGS)
    assert [(f.line, f.category) for f in found] == [(4, "c/unused-variable")]
    ((cmd, kwargs, run),) = spy.calls
    repo = str((tmp_path / "r").resolve())
    assert kwargs["read_only"] == [repo]
    assert cmd[-1] == f"{repo}/src/f.c"  # compiled where it is, so its own includes resolve
    assert ["-I", repo, "-I", f"{repo}/include", f"{repo}/src/f.c"] == [
        a for a in cmd if a in ("-iquote", "-I") or a.startswith(repo)
    ]
    assert run.isolation == sandbox.isolation_mode("auto")


def test_warnings_on_added_lines_come_through_the_sandbox_in_c_and_in_a_header(
    tmp_path: Path,
) -> None:
    old = "#ifndef Q_H\n#define Q_H\nstruct q { int n; };\n#endif\n"
    new = (
        "#ifndef Q_H\n#define Q_H\nstruct q { int n; };\n"
        "static inline int q_len(const struct q *q)\n{\n\tint spare;\n\treturn q->n;\n}\n"
        "#endif\n"
    )
    found = c_warnings.check(make_ctx(tmp_path / "r", "inc/q.h", old, new), SETTINGS)
    assert by_line(found) == {6: ["c/unused-variable"]}
    source = '#include "q.h"\nint f(struct q *q)\n{\n\tunsigned u = 0;\n\treturn q->n < u;\n}\n'
    ctx = make_ctx(tmp_path / "s", "inc/f.c", "", source, files={"inc/q.h": old})
    assert by_line(c_warnings.check(ctx, SETTINGS)) == {5: ["c/sign-compare"]}


@pytest.mark.skipif(hls_include() is None, reason="the hls extra is not installed")
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_an_hls_kernel_reads_the_ap_headers_through_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy(monkeypatch)
    new = (
        '#include "ap_int.h"\n\nap_uint<8> top(const ap_uint<8> in[4])\n{\n'
        "\tint spare;\n#pragma HLS PIPELINE II=1\n\treturn in[0];\n}\n"
    )
    found = c_warnings.check(make_ctx(tmp_path / "r", "hls/top.cpp", "", new), SETTINGS)
    assert [(f.line, f.category) for f in found] == [(5, "c/unused-variable")]
    ((_, kwargs, _),) = spy.calls
    assert os.path.realpath(str(hls_include())) in kwargs["read_only"]


def test_a_sandbox_that_cannot_run_the_compiler_means_the_check_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(cmd: list[str], **kwargs: Any) -> RunResult:
        raise SandboxError("all 256 sandbox slots are busy; run fewer jobs at once")

    monkeypatch.setattr(sandbox, "run", refuse)
    with pytest.raises(CheckNotRun, match=r"could not run in the sandbox .*slots are busy"):
        c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", OLD, NEW), SETTINGS)


@pytest.mark.parametrize(
    ("ended", "limit", "said"),
    [("timeout", None, "took longer than 30 s"), ("limit", "memory", "the memory limit")],
)
def test_a_compile_stopped_by_the_sandbox_means_the_check_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ended: str, limit: str | None, said: str
) -> None:
    def stopped(cmd: list[str], **kwargs: Any) -> RunResult:
        return RunResult.model_validate({"ended": ended, "limit": limit, "seconds": 30.0})

    monkeypatch.setattr(sandbox, "run", stopped)
    with pytest.raises(CheckNotRun, match=said):
        c_warnings.check(make_ctx(tmp_path / "r", "src/f.c", OLD, NEW), SETTINGS)
