"""Patch templates for C and HLS C++: token edits that keep every other character."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckfix.agents.templates import generate
from duckfix.models import Suspect
from duckfix.runner import hls_include

needs_hls = pytest.mark.skipif(
    hls_include() is None, reason="no ap_int headers (pip install 'duckfix[hls]')"
)

KERNEL = """\
#include <ap_int.h>
#define N 8

ap_int<20> total(const ap_int<12> in[N], int m[4][4]) {
#pragma HLS PIPELINE II=1
    ap_int<20> acc = 0; // running sum
    for (int i = 0; i < N - 1; i++) {
        acc += in[i] * m[i][0];
    }
    if (acc > 0 && N > 1) acc = acc - 1;
    return clamp(acc, 0, 100);
}
"""


def _edits(line: int) -> dict[str, str]:
    found = generate({"k.cpp": KERNEL}, [Suspect(path="k.cpp", line=line, score=1.0)])
    return {c.description.split(": ", 1)[1]: c.apply(KERNEL).split("\n")[line - 1] for c in found}


def _typed(
    line: int, source: str, template: str, header: str | None = None
) -> list[tuple[str, str]]:
    """(description, new line) of one template's candidates at ``line``, in the order tried."""
    sources = {"k.cpp": source} | ({"k.h": header} if header is not None else {})
    found = generate(sources, [Suspect(path="k.cpp", line=line, score=1.0)])
    return [
        (c.description.split(": ", 1)[1], c.apply(source).split("\n")[line - 1])
        for c in found
        if c.template == template
    ]


def test_loop_bounds_and_comparisons() -> None:
    edits = _edits(7)
    assert edits["N - 1 -> N"] == "    for (int i = 0; i < N; i++) {"
    assert edits["< -> <="] == "    for (int i = 0; i <= N - 1; i++) {"
    assert "0 -> 1" in edits


def test_template_brackets_are_not_comparisons_and_comments_are_kept() -> None:
    edits = _edits(6)
    assert not any(k.startswith(("< ->", "> ->")) for k in edits)
    assert edits["0 -> ~0 (all ones)"] == "    ap_int<20> acc = ~0; // running sum"
    # The width is c-width's alone: no literal bump, no type name swapped for a variable.
    assert "20 -> 21" not in edits and not any(k.startswith("ap_int ->") for k in edits)
    assert edits["ap_int<20> -> ap_int<21>"] == "    ap_int<21> acc = 0; // running sum"


def test_operators_indices_assignments_and_booleans() -> None:
    body = _edits(8)
    assert body["+= -> ="] == "        acc = in[i] * m[i][0];"
    assert body["* -> /"] == "        acc += in[i] / m[i][0];"
    assert body["[i][0] -> [0][i]"] == "        acc += in[i] * m[0][i];"
    cond = _edits(10)
    assert cond["&& -> ||"] == "    if (acc > 0 || N > 1) acc = acc - 1;"


def test_arguments_swap_and_pragmas_are_never_edited() -> None:
    call = _edits(11)
    assert call["swap acc and 0 in clamp()"] == "    return clamp(0, acc, 100);"
    assert _edits(5) == {}


WIDTHS = """\
#include <ap_int.h>
typedef ap_int<20> acc_t;
void mac(const ap_int<8> a[4], const ap_uint<8> b[4], ap_int<20> *out) {
    ap_int<12> acc = 0;
    ap_fixed<16,6> gain = 0.5;
    ap_fixed<18,8> y;
    for (ap_uint<2> i = 0; i < 3; i++) acc += a[i] * b[i];
    *out = acc;
}
"""


def test_widths_try_one_more_bit_then_the_files_widths_then_one_less() -> None:
    assert _typed(4, WIDTHS, "c-width") == [
        ("ap_int<12> -> ap_int<13>", "    ap_int<13> acc = 0;"),
        ("ap_int<12> -> ap_int<8>", "    ap_int<8> acc = 0;"),
        ("ap_int<12> -> ap_int<20>", "    ap_int<20> acc = 0;"),
        ("ap_int<12> -> ap_int<2>", "    ap_int<2> acc = 0;"),
        ("ap_int<12> -> ap_int<11>", "    ap_int<11> acc = 0;"),
    ]
    assert _typed(5, WIDTHS, "c-width") == [
        ("ap_fixed<16,6> -> ap_fixed<17,7>", "    ap_fixed<17,7> gain = 0.5;"),
        ("ap_fixed<16,6> -> ap_fixed<17,6>", "    ap_fixed<17,6> gain = 0.5;"),
        ("ap_fixed<16,6> -> ap_fixed<18,8>", "    ap_fixed<18,8> gain = 0.5;"),
        ("ap_fixed<16,6> -> ap_fixed<15,5>", "    ap_fixed<15,5> gain = 0.5;"),
        ("ap_fixed<16,6> -> ap_fixed<15,6>", "    ap_fixed<15,6> gain = 0.5;"),
    ]
    # A loop counter two bits wide never reaches 4: its width is worth a try too.
    loop = dict(_typed(7, WIDTHS, "c-width"))
    assert loop["ap_uint<2> -> ap_uint<3>"].startswith("    for (ap_uint<3> i = 0;")


def test_signedness_flips_ap_types_and_c_integers() -> None:
    assert _typed(4, WIDTHS, "c-signedness") == [
        ("ap_int<12> -> ap_uint<12>", "    ap_uint<12> acc = 0;"),
    ]
    assert _typed(6, WIDTHS, "c-signedness") == [
        ("ap_fixed<18,8> -> ap_ufixed<18,8>", "    ap_ufixed<18,8> y;"),
    ]
    source = "void f(void) {\n    unsigned int n = 0; short s = 1; uint32_t u = 2;\n}\n"
    assert _typed(2, source, "c-signedness") == [
        ("unsigned int -> int", "    int n = 0; short s = 1; uint32_t u = 2;"),
        (
            "short -> unsigned short",
            "    unsigned int n = 0; unsigned short s = 1; uint32_t u = 2;",
        ),
        ("uint32_t -> int32_t", "    unsigned int n = 0; short s = 1; int32_t u = 2;"),
    ]


def test_c_integers_only_widen() -> None:
    source = "void f(void) {\n    int n = (int)x; short int s = 1; int16_t h = 2;\n}\n"
    assert _typed(2, source, "c-width") == [
        ("int -> long long", "    long long n = (int)x; short int s = 1; int16_t h = 2;"),
        ("int -> long long", "    int n = (long long)x; short int s = 1; int16_t h = 2;"),
        ("short int -> int", "    int n = (int)x; int s = 1; int16_t h = 2;"),
        ("int16_t -> int32_t", "    int n = (int)x; short int s = 1; int32_t h = 2;"),
    ]


def test_casts_come_off_and_go_on_at_comparisons_and_shifts() -> None:
    source = "int f(int d, unsigned lim, int x, int k) {\n    if ((int)d < lim) return x >> k;\n}\n"
    # The shift count `k` is never cast: its sign does not change the shift.
    assert _typed(2, source, "c-signedness") == [
        ("int -> unsigned int", "    if ((unsigned int)d < lim) return x >> k;"),
        ("(int)d -> d", "    if (d < lim) return x >> k;"),
        ("lim -> (int)lim", "    if ((int)d < (int)lim) return x >> k;"),
        ("lim -> (unsigned)lim", "    if ((int)d < (unsigned)lim) return x >> k;"),
        ("x -> (unsigned)x", "    if ((int)d < lim) return (unsigned)x >> k;"),
        ("x -> (int)x", "    if ((int)d < lim) return (int)x >> k;"),
    ]


def test_types_a_prototype_fixes_and_loop_counters_are_left_alone() -> None:
    header = "ap_int<20> total(const ap_int<12> in[8]);\n"
    # The definition must keep matching the header's prototype, or it does not link.
    with_header = KERNEL.replace("#define N 8", '#include "k.h"')
    assert _typed(4, with_header, "c-width", header) == []
    assert _typed(4, KERNEL, "c-width") != []
    counter = "void f(int n) {\n    for (int i = 0; i < n; i++) {}\n}\n"
    assert _typed(2, counter, "c-width") == []
    assert _typed(2, counter, "c-signedness") == []
    byte = "void f(int n) {\n    for (uint8_t i = 0; i < 256; i++) {}\n}\n"
    assert _typed(2, byte, "c-width") == [
        ("uint8_t -> uint16_t", "    for (uint16_t i = 0; i < 256; i++) {}"),
    ]
    down = "void f(int n) {\n    for (unsigned i = n - 1; i >= 0; i--) {}\n}\n"
    assert _typed(2, down, "c-signedness") == [
        ("unsigned -> int", "    for (int i = n - 1; i >= 0; i--) {}"),
    ]


@needs_hls
def test_the_debugger_fixes_an_hls_kernel_with_them() -> None:
    from duckfix.datasets.suites import load_suite
    from duckfix.pipelines.debug import DebugContext, debug_task
    from duckfix.runner import RunOptions, hls_include, run_tests

    task = next(t for t in load_suite("hls") if t.id == "vecsum")
    options = RunOptions(case_timeout=5.0, hls_include=hls_include())
    result = debug_task(task, None, DebugContext(options=options, max_seconds=120))
    assert result.status == "fixed", result.stop_reason
    assert result.fix is not None
    assert run_tests(task, "hidden", result.fix, options).all_passed


# Eight 6-bit samples sum to -256..248: nine bits, one more than the accumulator has.
NARROW = {
    "task.toml": 'id = "sum8"\nlanguage = "hls"\nentry_point = "sum8"\nprogram = "sum8.cpp"\n',
    "buggy/sum8.h": ("#include <ap_int.h>\n#define N 8\nap_int<16> sum8(const ap_int<6> in[N]);\n"),
    "buggy/sum8.cpp": """\
#include "sum8.h"

ap_int<16> sum8(const ap_int<6> in[N]) {
    ap_int<8> acc = 0;
SUM:
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        acc += in[i];
    }
    return acc;
}
""",
    "tests/visible/tb.cpp": """\
#include "duckfix_tb.h"
#include "sum8.h"

DUCKFIX_CASE(small) {
    ap_int<6> in[N] = {1, 2, 3, 4, 5, 6, 7, 8};
    DUCKFIX_CHECK_EQ(sum8(in), 36);
}

DUCKFIX_CASE(high) {
    ap_int<6> in[N];
    for (int i = 0; i < N; i++) in[i] = 31;
    DUCKFIX_CHECK_EQ(sum8(in), 248);
}

DUCKFIX_CASE(low) {
    ap_int<6> in[N];
    for (int i = 0; i < N; i++) in[i] = -32;
    DUCKFIX_CHECK_EQ(sum8(in), -256);
}

DUCKFIX_MAIN
""",
    "tests/hidden/tb.cpp": """\
#include "duckfix_tb.h"
#include "sum8.h"

DUCKFIX_CASE(mixed) {
    ap_int<6> in[N] = {31, 31, 31, 31, 31, -1, 0, 5};
    DUCKFIX_CHECK_EQ(sum8(in), 159);
}

DUCKFIX_MAIN
""",
}


@needs_hls
def test_duckfix_debug_widens_a_narrow_accumulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from duckfix.datasets.folder import load_task
    from duckfix.runner import RunOptions, run_tests
    from duckfix.service.cli import cli

    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    for rel, text in NARROW.items():
        (tmp_path / "sum8" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sum8" / rel).write_text(text)
    result = CliRunner().invoke(cli, ["debug", str(tmp_path / "sum8"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "fixed", data["stop_reason"]
    outcomes = [a["outcome"] for a in data["attempts"]]
    plausible = data["attempts"][outcomes.index("plausible")]
    assert plausible["template"] == "c-width"
    assert plausible["description"] == "sum8.cpp:4: ap_int<8> -> ap_int<9>"
    # The smallest widening is kept over the wider ones tried after it.
    assert "    ap_int<9> acc = 0;\n" in data["fix"]["sum8.cpp"]
    # Found early: among the first mutants, one per suspect line.
    assert outcomes.index("plausible") < 6
    task = load_task(tmp_path / "sum8")
    options = RunOptions(case_timeout=5.0, hls_include=hls_include())
    assert run_tests(task, "hidden", data["fix"], options).all_passed


def test_the_explanation_quotes_the_sanitizer() -> None:
    from duckfix.agents.explainer import explain
    from duckfix.models import Patch, TestOutcome

    from tests.pipelines.conftest import largest_task

    before = {"k.c": "a[i] = 0;\n"}
    patch = Patch.from_sources(before, {"k.c": "a[i - 1] = 0;\n"})
    crash = TestOutcome(
        name="tb.c::edge", status="error",
        message="ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd",
    )  # fmt: skip
    found = explain(largest_task(), patch, crash, None)
    assert (
        "sanitizer: ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd"
        in found.evidence
    )
