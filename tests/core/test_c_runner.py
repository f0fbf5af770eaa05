"""C and HLS C++ test benches in the sandbox: compile, run each case, report like a person would."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from duckfix.datasets.folder import load_task
from duckfix.errors import TaskError
from duckfix.models import Task, TestReport
from duckfix.runner import RunOptions, hls_include, run_tests

OPTIONS = RunOptions(case_timeout=3.0, hls_include=hls_include())

KERNEL = """\
#include "scale.h"
void scale(const double *in, double *out, int n, double k) {
    for (int i = 0; i < n; i++) out[i] = in[i] * k;
}
"""
HEADER = "void scale(const double *in, double *out, int n, double k);\n"
BENCH = """\
#include "duckfix_tb.h"
#include "scale.h"

DUCKFIX_CASE(doubles) {
    double in[3] = {1.0, 2.0, 3.0}, out[3];
    double want[3] = {2.0, 4.0, 6.0};
    scale(in, out, 3, 2.0);
    DUCKFIX_CHECK_ARRAY_NEAR(out, want, 3, 1e-12);
}

DUCKFIX_CASE(third) {
    double in[1] = {1.0}, out[1];
    scale(in, out, 1, 1.0 / 3.0);
    DUCKFIX_CHECK_NEAR(out[0], 0.33, 1e-9);
}

DUCKFIX_MAIN
"""


def _task(tmp_path: Path, kernel: str = KERNEL, bench: str = BENCH) -> Task:
    root = tmp_path / "scale"
    files = {
        "task.toml": 'id = "scale"\nlanguage = "c"\nentry_point = "scale"\nprogram = "scale.c"\n',
        "buggy/scale.c": kernel,
        "buggy/scale.h": HEADER,
        "tests/visible/tb.c": bench,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)


def test_cases_pass_and_fail_with_values_at_full_precision(tmp_path: Path) -> None:
    report = run_tests(_task(tmp_path), "visible", None, OPTIONS)
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["tests/visible/tb.c::doubles"].status == "passed"
    third = by_name["tests/visible/tb.c::third"]
    assert third.status == "failed"
    # A "%0.2f" dump would print 0.33 for both: full precision shows the gap.
    assert third.actual == "0.33333333333333331" and third.expected == "0.33000000000000002"
    assert "tb.c:14" in third.message


def test_only_runs_the_named_cases(tmp_path: Path) -> None:
    report = run_tests(
        _task(tmp_path), "visible", None, OPTIONS,
        only=["tests/visible/tb.c::third", "tests/visible/tb.c::nope"],
    )  # fmt: skip
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("tests/visible/tb.c::third", "failed"),
        ("tests/visible/tb.c::nope", "error"),
    ]


def test_an_out_of_bounds_write_is_the_sanitizers_error(tmp_path: Path) -> None:
    task = _task(tmp_path, KERNEL.replace("i < n", "i <= n"))
    report = run_tests(task, "visible", None, OPTIONS)
    doubles = next(o for o in report.outcomes if o.name.endswith("::doubles"))
    assert doubles.status == "error" and "AddressSanitizer" in doubles.message


def test_a_hang_is_a_timeout_and_a_compile_error_names_the_line(tmp_path: Path) -> None:
    looping = KERNEL.replace("i++", "i += 0")
    report = run_tests(
        _task(tmp_path / "a", looping), "visible", None, RunOptions(case_timeout=1.0)
    )
    assert {o.status for o in report.outcomes} == {"timeout"}
    broken = KERNEL.replace("out[i] = in[i] * k;", "out[i] = in[i] * k")
    report = run_tests(_task(tmp_path / "b", broken), "visible", None, OPTIONS)
    (outcome,) = report.outcomes
    assert outcome.status == "error" and "does not compile" in outcome.message
    assert "scale.c:3" in outcome.message


def test_a_task_without_a_bench_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="no test bench"):
        _task(tmp_path, bench="int main(void) { return 0; }\n")


@pytest.mark.skipif(hls_include() is None, reason="the hls extra (hls4ml) is not installed")
def test_the_hls_suite_example_runs_with_the_open_ap_types_headers() -> None:
    from duckfix.datasets.suites import load_suite

    task = next(t for t in load_suite("hls") if t.id == "vecsum")
    buggy = run_tests(task, "visible", None, OPTIONS)
    assert any(o.status == "failed" for o in buggy.outcomes)
    assert task.fixed is not None
    fixed = run_tests(task, "hidden", task.fixed, OPTIONS)
    assert fixed.outcomes and all(o.passed for o in fixed.outcomes)


def test_a_traced_run_reports_the_lines_each_case_ran(tmp_path: Path) -> None:
    from duckfix.models import Trace

    task = _task(tmp_path)
    report = run_tests(task, "visible", None, OPTIONS, trace=Trace(files=["scale.c"]))
    lines = {o.name.rsplit("::", 1)[1]: o.lines for o in report.outcomes}
    # The loop header, its body and the closing line of scale(), counted by gcov.
    assert lines["doubles"] == {"scale.c": [2, 3, 4]}
    assert lines["third"] == {"scale.c": [2, 3, 4]}
    assert all(o.values is None for o in report.outcomes)


def test_the_localizer_ranks_c_lines_from_gcov(tmp_path: Path) -> None:
    from duckfix.agents.localizer import localize

    found = localize(_task(tmp_path), None, OPTIONS)
    assert found.reproduced and found.traced == ["scale.c", "scale.h"]
    assert {(s.path, s.line) for s in found.suspects} == {("scale.c", n) for n in (2, 3, 4)}
    assert found.key_variables == []


# --------------------------------------------------------------------------
# The build cache: precompiled headers for kernels, kept bench objects.

HLS_KERNEL = """\
#include "mac.h"
acc_t mac(const data_t a[4], const data_t b[4]) {
    acc_t s = 0;
    for (int i = 0; i < 3; i++) s += a[i] * b[i];
    return s;
}
"""
HLS_FIXED = HLS_KERNEL.replace("i < 3", "i < 4")
HLS_HEADER = """\
#ifndef MAC_H
#define MAC_H
#include <ap_int.h>
typedef ap_int<8> data_t;
typedef ap_int<20> acc_t;
acc_t mac(const data_t a[4], const data_t b[4]);
#endif
"""
HLS_BENCH = """\
#include "duckfix_tb.h"
#include "mac.h"

DUCKFIX_CASE(ones) {
    data_t a[4] = {1, 1, 1, 1}, b[4] = {1, 2, 3, 0};
    DUCKFIX_CHECK_EQ(mac(a, b).to_int(), 6);
}

DUCKFIX_CASE(negative) {
    data_t a[4] = {-1, 2, -3, 4}, b[4] = {5, 6, 7, 8};
    DUCKFIX_CHECK_EQ(mac(a, b).to_int(), 18);
}

DUCKFIX_MAIN
"""
needs_hls = pytest.mark.skipif(hls_include() is None, reason="the hls extra is not installed")


def _hls_task(root: Path, kernel: str = HLS_KERNEL, header: str = HLS_HEADER) -> Task:
    files = {
        "task.toml": 'id = "mac"\nlanguage = "hls"\nentry_point = "mac"\nprogram = "mac.cpp"\n',
        "buggy/mac.cpp": kernel,
        "buggy/mac.h": header,
        "tests/visible/tb.cpp": HLS_BENCH,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)


def _cached(folder: Path | None) -> RunOptions:
    return RunOptions(
        case_timeout=5.0, hls_include=hls_include(), build_cache=str(folder) if folder else None
    )


def _verdicts(report: TestReport) -> list[tuple[str, str, str, object, object]]:
    return [(o.name, o.status, o.message, o.expected, o.actual) for o in report.outcomes]


def _steps(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The build steps cbench reported, as the runner logged them."""
    return [s for r in caplog.records if r.msg.startswith("built ") for s in r.args[1]]  # type: ignore[index, union-attr]


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Task, TestReport]:
    """A cache that has seen the mac task once, the task, and the plain build's report."""
    root = tmp_path_factory.mktemp("warm")
    task = _hls_task(root / "mac")
    plain = run_tests(task, "visible", None, _cached(None))
    assert [o.status for o in plain.outcomes] == ["passed", "failed"]
    cold = run_tests(task, "visible", None, _cached(root / "cache"))
    assert _verdicts(cold) == _verdicts(plain)
    return root / "cache", task, plain


def _copy(cache: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cache"
    shutil.copytree(cache, target, symlinks=True)  # keeps sizes and times: still current
    return target


@needs_hls
@pytest.mark.slow
def test_a_second_build_takes_the_pch_and_the_kept_bench_object(
    warm: tuple[Path, Task, TestReport], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, task, plain = warm
    caplog.set_level(logging.DEBUG, logger="duckfix.cbuild")
    again = run_tests(task, "visible", None, _cached(cache))
    assert _verdicts(again) == _verdicts(plain)
    steps = {s["source"]: s for s in _steps(caplog)}
    assert steps["tests/visible/tb.cpp"]["object"] == "prebuilt"
    assert steps["mac.cpp"]["pch"] == "used"
    # A candidate that changes the kernel only: the same bench object, the same PCH.
    caplog.clear()
    fixed = {**task.buggy, "mac.cpp": HLS_FIXED}
    candidate = run_tests(task, "visible", fixed, _cached(cache))
    steps = {s["source"]: s for s in _steps(caplog)}
    assert steps["tests/visible/tb.cpp"]["object"] == "prebuilt"
    assert steps["mac.cpp"]["pch"] == "used"
    assert [o.status for o in candidate.outcomes] == ["passed", "passed"]
    assert _verdicts(candidate) == _verdicts(run_tests(task, "visible", fixed, _cached(None)))


@needs_hls
@pytest.mark.slow
def test_a_kernel_that_fails_to_compile_says_the_same_with_the_cache(
    warm: tuple[Path, Task, TestReport], tmp_path: Path
) -> None:
    cache, task, _ = warm
    broken = {**task.buggy, "mac.cpp": HLS_KERNEL.replace("return s;", "return t;")}
    with_cache = run_tests(task, "visible", broken, _cached(cache))
    assert _verdicts(with_cache) == _verdicts(run_tests(task, "visible", broken, _cached(None)))
    assert "does not compile" in with_cache.outcomes[0].message
    assert "mac.cpp:5" in with_cache.outcomes[0].message


@needs_hls
@pytest.mark.slow
def test_a_header_change_rebuilds_the_bench_object(
    warm: tuple[Path, Task, TestReport], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, task, plain = warm
    cache = _copy(cache, tmp_path)
    caplog.set_level(logging.DEBUG, logger="duckfix.cbuild")
    wider = {**task.buggy, "mac.h": HLS_HEADER.replace("ap_int<20>", "ap_int<24>")}
    report = run_tests(task, "visible", wider, _cached(cache))
    assert _verdicts(report) == _verdicts(plain)
    assert "tests/visible/tb.cpp: object compiled and kept" in caplog.messages


@needs_hls
@pytest.mark.slow
def test_damaged_or_stale_entries_fall_back_to_a_plain_build(
    warm: tuple[Path, Task, TestReport], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, task, plain = warm
    cache = _copy(cache, tmp_path)
    caplog.set_level(logging.DEBUG, logger="duckfix.cbuild")
    (entry,) = (p for p in (cache / "pch").iterdir() if p.is_dir())
    # A truncated PCH and a damaged object: both noticed, both made again.
    gch = entry / "pch.h.gch"
    gch.write_bytes(gch.read_bytes()[:4096])
    (obj,) = (cache / "obj").glob("*.o")
    obj.write_bytes(b"\0" * 100)
    report = run_tests(task, "visible", None, _cached(cache))
    assert _verdicts(report) == _verdicts(plain)
    assert any(m.startswith("built a PCH of ap_int.h") for m in caplog.messages)
    assert "tests/visible/tb.cpp: object compiled and kept" in caplog.messages
    assert gch.stat().st_size > 1 << 20
    # A PCH the compiler cannot take, its meta made to match: GCC falls back to the
    # header's text (here an #error), the failed compile is redone without the PCH.
    caplog.clear()
    (entry / "pch.h").write_text("#error not this one\n")
    gch.write_bytes(b"not a PCH")
    meta = json.loads((entry / "meta.json").read_text())
    meta.update(gch_size=gch.stat().st_size, gch_mtime_ns=gch.stat().st_mtime_ns)
    (entry / "meta.json").write_text(json.dumps(meta))
    report = run_tests(task, "visible", None, _cached(cache))
    assert _verdicts(report) == _verdicts(plain)
    steps = {s["source"]: s for s in _steps(caplog)}
    assert steps["mac.cpp"]["pch"] == "failed"
    # Stale: a header the PCH was built from has changed since (its recorded stamp).
    caplog.clear()
    meta["deps"][0][2] += 1
    (entry / "meta.json").write_text(json.dumps(meta))
    report = run_tests(task, "visible", None, _cached(cache))
    assert _verdicts(report) == _verdicts(plain)
    assert any(m.startswith("built a PCH of ap_int.h") for m in caplog.messages)


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything under it read-only, even for root (immutable)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "-R", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("cannot make a folder read-only for root here (chattr)")
        undo = ["chattr", "-R", "-i", str(folder)]
    else:
        subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)
        undo = ["chmod", "-R", "u+w", str(folder)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


@needs_hls
@pytest.mark.slow
def test_a_read_only_or_absent_cache_folder_still_builds(
    warm: tuple[Path, Task, TestReport], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache, task, plain = warm
    cache = _copy(cache, tmp_path)
    caplog.set_level(logging.DEBUG, logger="duckfix.cbuild")
    with _read_only(cache):
        report = run_tests(task, "visible", None, _cached(cache))
        assert _verdicts(report) == _verdicts(plain)
        steps = {s["source"]: s for s in _steps(caplog)}
        assert steps["tests/visible/tb.cpp"]["object"] == "prebuilt"
        assert steps["mac.cpp"]["pch"] == "used"
        # What the cache lacks is built in the run, and nothing is written.
        caplog.clear()
        wider = {**task.buggy, "mac.h": HLS_HEADER.replace("ap_int<20>", "ap_int<24>")}
        report = run_tests(task, "visible", wider, _cached(cache))
        assert _verdicts(report) == _verdicts(plain)
        steps = {s["source"]: s for s in _steps(caplog)}
        assert steps["tests/visible/tb.cpp"]["object"] == "built"
    # A folder that cannot be made: no cache at all.
    (tmp_path / "file").write_text("")
    report = run_tests(task, "visible", None, _cached(tmp_path / "file" / "cache"))
    assert _verdicts(report) == _verdicts(plain)


@needs_hls
def test_the_run_cannot_write_into_the_cache(warm: tuple[Path, Task, TestReport]) -> None:
    from duckfix import sandbox

    if sandbox.isolation_mode() != "namespaces":
        pytest.skip("plain isolation runs as the caller and can write what the caller can")
    cache, _, _ = warm
    (entry,) = (p for p in (cache / "pch").iterdir() if p.is_dir())
    before = (entry / "pch.h").read_text()
    run = sandbox.run(
        ["sh", "-c", f"cat {entry}/pch.h && echo '#error' > {entry}/pch.h"], read_only=[str(entry)]
    )
    assert "ap_int.h" in run.stdout and not run.ok
    assert (entry / "pch.h").read_text() == before


def test_the_prefix_scan_stops_where_a_pch_could_change_what_the_compiler_sees(
    tmp_path: Path,
) -> None:
    from duckfix.cbuild_cache import Prefix, scan_prefix

    hls = tmp_path / "hls"
    hls.mkdir()
    for name in ("ap_int.h", "ap_fixed.h", "hls_stream.h"):
        (hls / name).write_text("")
    idirs = [".", "_duckfix", "tests/visible"]

    def scan(header: str, **more: str) -> Prefix | None:
        files = {"k.cpp": '#include "k.h"\nint x;\n', "k.h": header, **more}
        return scan_prefix(files, "k.cpp", idirs, str(hls))

    found = scan("#ifndef K_H\n#define K_H\n#include <stdint.h>\n#include <ap_int.h>\n"
                 "#define N 4\n#include <hls_stream.h>\ntypedef int t;\n#endif\n")  # fmt: skip
    assert found is not None
    assert found.headers == ("stdint.h", "ap_int.h", "hls_stream.h")
    assert found.moved == {"K_H", "N"}
    # Code, a conditional or a pragma before the HLS header: no PCH.
    assert scan("int y;\n#include <ap_int.h>\n") is None
    assert scan("#ifdef X\n#include <ap_int.h>\n#endif\n") is None
    assert scan("#pragma pack(1)\n#include <ap_int.h>\n") is None
    # A header after the first line of code is not in the prefix.
    found = scan("#include <ap_fixed.h>\ntypedef int t;\n#include <ap_int.h>\n")
    assert found is not None and found.headers == ("ap_fixed.h",)
    # A run file of that name is the program's own header, not the HLS one.
    assert scan("#include <ap_int.h>\n", **{"ap_int.h": "typedef int ap;\n"}) is None
    # Comments and continuations are not code.
    found = scan("/* a\n comment */ // more\n#include \\\n<ap_int.h>\n")
    assert found is not None and found.headers == ("ap_int.h",)


@needs_hls
@pytest.mark.slow
def test_a_define_the_headers_read_or_a_shadowing_file_means_no_pch(
    warm: tuple[Path, Task, TestReport],
) -> None:
    from duckfix.cbuild_cache import open_cache

    cache_dir, task, _ = warm
    cache = open_cache(cache_dir)
    assert cache is not None
    hls = str(hls_include())
    # The runner's C++ flags for this task, so the PCH of the warm cache is the one found.
    flags = ["-std=gnu++17", "-g1", "-O1", "-fno-omit-frame-pointer",
             "-fsanitize=address,undefined", "-fno-sanitize=shift-base", "-Wno-unknown-pragmas",
             "-Wno-unused-label",
             "-I", ".", "-I", "_duckfix", "-isystem", hls, "-I", "tests/visible"]  # fmt: skip
    files = {**task.buggy, **task.visible.benches}
    assert cache.pch(files, "mac.cpp", "g++", flags, hls, 60) is not None
    # AP_INT_MAX_W is read by ap_int.h: defined first, it would change the header.
    early = {
        **files,
        "mac.h": HLS_HEADER.replace("#include", "#define AP_INT_MAX_W 4096\n#include"),
    }
    assert cache.pch(early, "mac.cpp", "g++", flags, hls, 60) is None
    # ap_int.h includes <ap_common.h>: a run file of that name would be found first.
    assert cache.pch({**files, "ap_common.h": ""}, "mac.cpp", "g++", flags, hls, 60) is None
