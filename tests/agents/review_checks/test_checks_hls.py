"""HLS pragma and ap_int checks on the added lines of HLS C++ files.

Every test builds a real diff with git (``make_ctx``) of a small, realistic
kernel: a matrix multiply with ARRAY_PARTITION, a FIR with UNROLL, a DATAFLOW
pipeline over ``hls::stream`` channels, a top function with INTERFACE pragmas.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from duckfix.agents.review_checks import hls
from duckfix.agents.review_checks.hls_parse import evaluate, parse, split_pragma
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding

from tests.agents.review_checks.test_checks import SETTINGS, make_ctx

pytest.importorskip("tree_sitter_cpp")


def run(root: Path, new: str, old: str = "", path: str = "src/kernel.cpp") -> list[Finding]:
    return hls.check(make_ctx(root, path, old, new), SETTINGS)


def found(findings: list[Finding]) -> list[tuple[int, str, str]]:
    """(line, category, severity) of each finding."""
    return [(f.line, f.category, f.severity) for f in findings]


def line(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` that contains ``needle``."""
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


# --- ARRAY_PARTITION on a matrix multiply ----------------------------------------------

MATMUL = """\
#include "ap_int.h"
#define N 16

void matmul(const int a[N][N], const int b[N][N], int c[N][N]) {
    int la[N][N], lb[N][N];
{pragmas}
row:
    for (int i = 0; i < N; i++) {
    col:
        for (int j = 0; j < N; j++) {
#pragma HLS PIPELINE II=1
            int acc = 0;
            for (int k = 0; k < N; k++) acc += la[i][k] * lb[k][j];
            c[i][j] = acc;
        }
    }
}
"""


def matmul(*pragmas: str) -> str:
    return MATMUL.replace("{pragmas}", "\n".join(pragmas))


def test_array_partition_mistakes(tmp_path: Path) -> None:
    new = matmul(
        "#pragma HLS ARRAY_PARTITION variable=la type=cyclic factor=3 dim=2",
        "#pragma HLS array_partition variable=lb type=block factor=4 dim=3",
        "#pragma HLS ARRAY_PARTITION variable=la type=cyclc factor=4 dim=1",
        "#pragma HLS ARRAY_PARTITION variable=lb type=complete factor=4 dim=1",
        "#pragma HLS ARRAY_PARTITION variable=la type=cyclic dim=1",
        "#pragma HLS ARRAY_PARTITION variable=lc type=complete dim=1",
    )
    result = run(tmp_path / "r", new)
    first = line(new, "factor=3")
    assert found(result) == [
        (first, "hls/array-partition", "warning"),
        (first + 1, "hls/array-partition", "error"),
        (first + 2, "hls/array-partition", "error"),
        (first + 3, "hls/array-partition", "warning"),
        (first + 4, "hls/array-partition", "error"),
        (first + 5, "hls/unknown-variable", "error"),
    ]
    messages = [f.message for f in result]
    assert "factor=3 does not divide dimension 2 of la (size 16)" in messages[0]
    assert "dim=3 but lb has 2 dimensions" in messages[1]
    assert "unknown ARRAY_PARTITION type 'cyclc'" in messages[2]
    assert "ignored with complete" in messages[3]
    assert "needs factor=N" in messages[4]
    assert messages[5].startswith("no array named lc here")


def test_good_array_partitions_in_both_spellings(tmp_path: Path) -> None:
    new = matmul(
        "#pragma HLS ARRAY_PARTITION variable=la type=cyclic factor=4 dim=2",
        "#pragma HLS ARRAY_PARTITION variable = lb dim = 1 block factor = 8",
        "#pragma HLS array_partition variable=c complete dim=0",
        "#pragma HLS ARRAY_RESHAPE variable=a type=cyclic factor=2 dim=0",
        "#pragma HLS ARRAY_PARTITION variable=b cyclic factor=16 dim=1 // one bank per row",
    )
    assert run(tmp_path / "r", new) == []


def test_partitioning_a_scalar_is_an_error(tmp_path: Path) -> None:
    new = matmul("    ap_uint<8> scale = 2;", "#pragma HLS ARRAY_PARTITION variable=scale complete")
    result = run(tmp_path / "r", new)
    assert found(result) == [(line(new, "variable=scale"), "hls/array-partition", "error")]
    assert "scale is not an array" in result[0].message


def test_a_changed_dimension_is_reported_on_its_declaration(tmp_path: Path) -> None:
    old = matmul("#pragma HLS ARRAY_PARTITION variable=la type=cyclic factor=4 dim=2")
    new = old.replace("int la[N][N], lb[N][N];", "int la[N][N - 2], lb[N][N];")
    result = run(tmp_path / "r", new, old)
    assert found(result) == [(line(new, "int la[N][N - 2]"), "hls/array-partition", "warning")]
    assert "(size 14)" in result[0].message


def test_problems_on_untouched_lines_are_not_reported(tmp_path: Path) -> None:
    old = matmul("#pragma HLS ARRAY_PARTITION variable=la type=cyclic factor=3 dim=2")
    new = old.replace("int acc = 0;", "int acc = 0; // running sum")
    assert run(tmp_path / "r", new, old) == []
    # The same pragma added by the diff is reported.
    assert found(run(tmp_path / "s", new, matmul())) == [
        (line(new, "factor=3"), "hls/array-partition", "warning")
    ]


# --- UNROLL on a FIR -------------------------------------------------------------------

FIR = """\
#include "ap_int.h"
#define TAPS 11
typedef ap_int<16> coef_t;
typedef ap_int<38> acc_t;

void fir(ap_int<16> *y, ap_int<16> x, int n) {
    static ap_int<16> shift_reg[TAPS];
    const coef_t c[TAPS] = {53, 0, -91, 0, 313, 500, 313, 0, -91, 0, 53};
    acc_t acc = 0;
taps:
    for (int i = TAPS - 1; i >= 0; i--) {
{unroll}
        shift_reg[i] = i == 0 ? x : shift_reg[i - 1];
        acc += shift_reg[i] * c[i];
    }
    *y = acc.range(15, 0);
}
"""


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("#pragma HLS UNROLL factor=4", "hls/unroll-factor"),  # 11 taps
        ("#pragma HLS unroll factor=11", None),
        ("#pragma HLS UNROLL", None),
    ],
)
def test_unroll_factor_must_divide_the_trip_count(
    tmp_path: Path, pragma: str, expected: str | None
) -> None:
    new = FIR.replace("{unroll}", pragma)
    result = run(tmp_path / "r", new)
    if expected is None:
        assert result == []
    else:
        assert found(result) == [(line(new, "UNROLL"), expected, "warning")]
        assert "does not divide the loop's trip count 11" in result[0].message


def test_unroll_factor_on_a_loop_with_a_variable_bound_is_not_judged(tmp_path: Path) -> None:
    new = FIR.replace("{unroll}", "#pragma HLS UNROLL factor=4").replace(
        "i = TAPS - 1; i >= 0", "i = n - 1; i >= 0"
    )
    assert run(tmp_path / "r", new) == []


# --- PIPELINE bounds -------------------------------------------------------------------

SCALE = """\
#define MAX 64
const int ROWS = 8;

void scale(int in[MAX], int out[MAX], int n) {
    int half = MAX / 2;
    int count = n;
    for (int i = 0; i < {bound}; i++) {
#pragma HLS PIPELINE II=1
{body}
        out[i] = in[i] * 3;
    }
}
"""


@pytest.mark.parametrize(
    ("bound", "body", "rule_line"),
    [
        ("n", "", "for (int i"),
        ("count", "", "for (int i"),
        ("MAX", "        for (int j = 0; j < n; j++) out[j] += 1;", "for (int j"),
        ("MAX", "        while (in[i] > 0) in[i]--;", "while"),
        ("MAX", "        for (int j = i; j < MAX; j++) out[j] += 1;", "for (int j"),
    ],
)
def test_pipelined_loops_with_variable_bounds(
    tmp_path: Path, bound: str, body: str, rule_line: str
) -> None:
    new = SCALE.replace("{bound}", bound).replace("{body}", body)
    result = run(tmp_path / "r", new)
    assert found(result) == [(line(new, rule_line), "hls/pipeline-bound", "warning")]


@pytest.mark.parametrize(
    ("bound", "body"),
    [
        ("MAX", ""),
        ("ROWS", "        for (int j = 0; j < ROWS; j++) out[j] += 1;"),
        ("half", ""),  # a local set from constants and never changed: HLS folds it
        ("n", "#pragma HLS LOOP_TRIPCOUNT max=64"),
        ("sizeof(in) / sizeof(in[0])", ""),
        # k's loop is unrolled too, so in each copy j's bound is a constant
        ("MAX", "        for (int k = 1; k < 8; k <<= 1) for (int j = 0; j < k; j++) out[j]++;"),
    ],
)
def test_pipelined_loops_with_constant_bounds(tmp_path: Path, bound: str, body: str) -> None:
    new = SCALE.replace("{bound}", bound).replace("{body}", body)
    assert run(tmp_path / "r", new) == []


def test_a_pipelined_function_needs_unrollable_loops(tmp_path: Path) -> None:
    new = (
        "void sum(const int a[32], int *out, int n) {\n"
        "#pragma HLS PIPELINE\n"
        "    int s = 0;\n"
        "    for (int i = 0; i < n; i++) s += a[i];\n"
        "    for (int i = 0; i < 32; i++) s += a[i];\n"
        "    *out = s;\n"
        "}\n"
    )
    result = run(tmp_path / "r", new)
    assert found(result) == [(4, "hls/pipeline-bound", "warning")]
    assert "pipelined function sum()" in result[0].message


# --- DATAFLOW over streams -------------------------------------------------------------

TASKS = """\
#include "hls_stream.h"
#include "ap_int.h"
typedef ap_uint<32> word_t;

static void read_in(const word_t *in, hls::stream<word_t> &out, int n) {
    for (int i = 0; i < n; i++) out.write(in[i]);
}
static void compute(hls::stream<word_t> &in, hls::stream<word_t> &out, int n) {
    for (int i = 0; i < n; i++) out.write(in.read() * 3);
}
static void merge(hls::stream<word_t> &a, hls::stream<word_t> &b, word_t *out, int n) {
    for (int i = 0; i < n; i++) out[i] = a.read() + b.read();
}
static void write_out(hls::stream<word_t> &in, word_t *out, int n) {
    for (int i = 0; i < n; i++) out[i] = in.read();
}
"""


def dataflow(*body: str) -> str:
    return (
        TASKS
        + "void top(const word_t *in, word_t *out, int n) {\n"
        + "#pragma HLS INTERFACE m_axi port=in bundle=gmem0\n"
        + "#pragma HLS INTERFACE m_axi port=out bundle=gmem1\n"
        + "#pragma HLS DATAFLOW\n"
        + "    hls::stream<word_t> s1, s2, s3;\n"
        + "".join(f"    {b}\n" for b in body)
        + "}\n"
    )


def test_a_clean_dataflow_chain(tmp_path: Path) -> None:
    new = dataflow("read_in(in, s1, n);", "compute(s1, s2, n);", "write_out(s2, out, n);")
    assert run(tmp_path / "r", new) == []


def test_a_stream_with_two_producers_or_two_consumers(tmp_path: Path) -> None:
    new = dataflow(
        "read_in(in, s1, n);",
        "read_in(in, s1, n);",
        "compute(s1, s2, n);",
        "write_out(s2, out, n);",
        "write_out(s2, out, n);",
    )
    result = run(tmp_path / "r", new)
    second_writer = line(new, "read_in(in, s1, n);") + 1
    second_reader = line(new, "write_out(s2, out, n);") + 1
    assert (second_writer, "hls/dataflow", "error") in found(result)
    assert (second_reader, "hls/dataflow", "error") in found(result)
    messages = " ".join(f.message for f in result)
    assert "channel s1 is written by 2 tasks" in messages
    assert "channel s2 is read by 2 tasks" in messages


def test_a_bypass_around_a_task(tmp_path: Path) -> None:
    # s1 feeds compute (-> s2) and merge directly: merge waits on a stream that
    # skipped compute.
    new = dataflow(
        "hls::stream<word_t> s4;",
        "read_in(in, s1, n);",
        "read_in(in, s4, n);",
        "compute(s1, s2, n);",
        "merge(s2, s4, out, n);",
    )
    result = run(tmp_path / "r", new)
    assert found(result) == []  # two sources, no path through compute: not a bypass
    new = (
        TASKS
        + "static void split(hls::stream<word_t> &in, hls::stream<word_t> &a,"
        + " hls::stream<word_t> &b, int n) {\n"
        + "    for (int i = 0; i < n; i++) { word_t v = in.read(); a.write(v); b.write(v); }\n"
        + "}\n"
        + "void top(const word_t *in, word_t *out, int n) {\n"
        + "#pragma HLS DATAFLOW\n"
        + "    hls::stream<word_t> s0, s1, s2, s3;\n"
        + "    read_in(in, s0, n);\n"
        + "    split(s0, s1, s3, n);\n"
        + "    compute(s1, s2, n);\n"
        + "    merge(s2, s3, out, n);\n"
        + "}\n"
    )
    result = run(tmp_path / "s", new)
    assert found(result) == [(line(new, "merge(s2, s3"), "hls/dataflow", "warning")]
    assert "channel s3 goes from task split()" in result[0].message
    assert "around task compute()" in result[0].message


def test_a_task_under_an_if(tmp_path: Path) -> None:
    new = dataflow(
        "read_in(in, s1, n);",
        "if (n > 0)",
        "    compute(s1, s2, n);",
        "write_out(s2, out, n);",
    )
    result = run(tmp_path / "r", new)
    assert found(result) == [(line(new, "    compute(s1"), "hls/dataflow", "warning")]
    assert "task compute() runs only under an if" in result[0].message


def test_array_channels_and_loop_tasks(tmp_path: Path) -> None:
    body = (
        "void top(const int in[64], int out[64]) {\n"
        "#pragma HLS DATAFLOW\n"
        "    int buf[64];\n"
        "produce:\n"
        "    for (int i = 0; i < 64; i++) buf[i] = in[i] + 1;\n"
        "    for (int i = 0; i < 64; i++) buf[i] += 2;\n"
        "consume:\n"
        "    for (int i = 0; i < 64; i++) out[i] = buf[i];\n"
        "}\n"
    )
    result = run(tmp_path / "r", body)
    assert found(result) == [(6, "hls/dataflow", "error")]
    assert "produce (line 5)" in result[0].message
    good = body.replace("    for (int i = 0; i < 64; i++) buf[i] += 2;\n", "")
    assert run(tmp_path / "s", good) == []


# --- INTERFACE and variables named by pragmas -----------------------------------------

TOP = """\
#include "ap_int.h"
void vadd(const int a[1024], int *out, int size, hls::stream<int> &events) {
{pragmas}
    int buf[1024];
    for (int i = 0; i < 1024; i++) out[i] = a[i] + 1;
}
"""


def top(*pragmas: str) -> str:
    return TOP.replace("{pragmas}", "\n".join(pragmas))


def test_interface_modes_that_do_not_fit(tmp_path: Path) -> None:
    new = top(
        "#pragma HLS INTERFACE s_axilite port=a",
        "#pragma HLS INTERFACE mode=m_axi port=size",
        "#pragma HLS INTERFACE m_axi port=out depth=1024",
        "#pragma HLS ARRAY_PARTITION variable=out type=cyclic factor=4",
        "#pragma HLS INTERFACE s_axilite port=events",
    )
    result = run(tmp_path / "r", new)
    first = line(new, "s_axilite port=a")
    assert found(result) == [
        (first, "hls/interface", "warning"),
        (first + 1, "hls/interface", "error"),
        (first + 3, "hls/interface", "error"),
        (first + 4, "hls/interface", "error"),
    ]
    assert "array argument a on s_axilite alone" in result[0].message
    assert "m_axi needs a pointer or array argument" in result[1].message
    assert "out is an m_axi argument" in result[2].message
    assert "events is a stream" in result[3].message


def test_interfaces_that_fit(tmp_path: Path) -> None:
    new = top(
        "#pragma HLS INTERFACE m_axi port=a offset=slave bundle=gmem",
        "#pragma HLS INTERFACE s_axilite port=a bundle=control",
        "#pragma HLS INTERFACE m_axi port=out bundle=gmem",
        "#pragma HLS INTERFACE s_axilite port=size",
        "#pragma HLS INTERFACE axis port=&events",
        "#pragma HLS INTERFACE s_axilite port=return",
        "#pragma HLS ARRAY_PARTITION variable=buf type=cyclic factor=4",
        "#pragma HLS BIND_STORAGE variable=buf type=ram_2p impl=bram",
    )
    assert run(tmp_path / "r", new) == []


def test_pragmas_naming_what_is_not_there(tmp_path: Path) -> None:
    new = top(
        "#pragma HLS INTERFACE m_axi port=b",
        "#pragma HLS STREAM variable=evnts depth=16",
        "#pragma HLS BIND_STORAGE variable=buff type=ram_2p impl=bram",
    )
    result = run(tmp_path / "r", new)
    first = line(new, "port=b")
    assert found(result) == [
        (first, "hls/unknown-variable", "error"),
        (first + 1, "hls/unknown-variable", "error"),
        (first + 2, "hls/unknown-variable", "error"),
    ]
    assert result[0].message.startswith("no argument named b in vadd()")
    assert result[1].message.startswith("no variable named evnts here")


def test_a_member_of_a_class_declared_elsewhere_is_not_judged(tmp_path: Path) -> None:
    new = (
        '#include "filter.h"\n'
        "void Filter::run(int x) {\n"
        "#pragma HLS ARRAY_PARTITION variable=taps complete\n"
        "    taps[0] = x;\n"
        "}\n"
        "struct Local { int regs[8]; void go() {\n"
        "#pragma HLS ARRAY_PARTITION variable=regs complete\n"
        "} };\n"
    )
    assert run(tmp_path / "r", new) == []


# --- top functions ---------------------------------------------------------------------

KERNEL = """\
#include <stdio.h>
#include <stdlib.h>
int fact(int n) {
{helper}
    return n;
}
int kernel(int n, int *out) {
#pragma HLS INTERFACE s_axilite port=n
{body}
    *out = fact(n);
    return 0;
}
"""


@pytest.mark.parametrize(
    ("helper", "body", "severity", "words"),
    [
        ("", "    if (n > 1) return n * kernel(n - 1, out);", "error", "calls itself"),
        ("", "    int *tmp = (int *)malloc(n * sizeof(int));", "error", "malloc()"),
        ("", "    int *tmp = new int[16];", "error", "new in top function"),
        ("    free(0);", "", "error", "called from top function kernel()"),
        ("", '    FILE *f = fopen("log.txt", "w");', "warning", "system call"),
        ("", '    printf("n=%d\\n", n);', "note", "only runs in C simulation"),
        ("", '    std::cout << "n=" << n << std::endl;', "note", "console output"),
    ],
)
def test_what_a_top_function_cannot_do(
    tmp_path: Path, helper: str, body: str, severity: str, words: str
) -> None:
    new = KERNEL.replace("{helper}", helper).replace("{body}", body)
    result = run(tmp_path / "r", new)
    target = (helper or body).strip()
    assert found(result) == [(line(new, target), "hls/top-function", severity)]
    assert words in result[0].message


def test_simulation_only_code_and_non_top_functions_are_left_alone(tmp_path: Path) -> None:
    body = (
        "#ifndef __SYNTHESIS__\n"
        '    printf("n=%d\\n", n);\n'
        "    int *dbg = (int *)malloc(4);\n"
        "    free(dbg);\n"
        "#endif"
    )
    new = KERNEL.replace("{helper}", "").replace("{body}", body)
    assert run(tmp_path / "r", new) == []
    # A test bench may allocate, recurse and print: it has no INTERFACE pragma.
    bench = (
        '#include "ap_int.h"\n'
        "int main() {\n"
        "    int *data = (int *)malloc(64);\n"
        '    printf("%d\\n", main());\n'
        "    ap_uint<8> v = 1;\n"
        "    return 0;\n"
        "}\n"
    )
    assert run(tmp_path / "s", bench, path="src/kernel_tb.cpp") == []


# --- ap_int shifts and narrowing -------------------------------------------------------

ARITH = """\
#include "ap_int.h"
void pack(ap_uint<8> lo, ap_uint<8> hi, ap_int<16> wide, ap_uint<16> *out) {
    char c = 1;
    short s = 2;
    int x = 3;
    ap_int<8> narrow;
    ap_int<16> table[4];
    hls::stream<int> events;
{body}
}
"""


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("    *out = hi << 8 | lo;", "hls/shift-width"),
        ("    x = x << 32;", "hls/shift-width"),
        ("    s <<= 16;", "hls/shift-width"),
        ("    ap_int<8> y = wide;", "hls/narrowing"),
        ("    narrow = wide;", "hls/narrowing"),
        ("    narrow = table[2];", "hls/narrowing"),
    ],
)
def test_shifts_and_narrowing_that_lose_bits(tmp_path: Path, body: str, rule: str) -> None:
    new = ARITH.replace("{body}", body)
    result = run(tmp_path / "r", new)
    assert found(result) == [(line(new, body.strip()), rule, "warning")]


@pytest.mark.parametrize(
    "body",
    [
        "    *out = (ap_uint<16>(hi) << 8) | lo;",
        "    *out = hi << 7;",
        "    x = c << 8;",  # char is promoted to int before the shift
        "    x = s << 16;",
        "    events << x;",
        "    narrow = wide.range(7, 0);",
        "    narrow = (ap_int<8>)wide;",
        "    wide = narrow;",
        "    ap_int<16> y = lo;",
    ],
)
def test_shifts_and_assignments_that_keep_their_bits(tmp_path: Path, body: str) -> None:
    assert run(tmp_path / "r", ARITH.replace("{body}", body)) == []


# --- when the check runs ---------------------------------------------------------------


def test_files_without_hls_are_skipped(tmp_path: Path) -> None:
    plain = "int add(int a, int b) {\n    return a + b << 40;\n}\n"
    assert run(tmp_path / "r", plain, path="src/add.c") == []
    pragma = "void k(int a[4]) {\n#pragma HLS ARRAY_PARTITION variable=q complete\n}\n"
    assert run(tmp_path / "s", pragma, path="docs/k.txt") == []


def test_without_tree_sitter_the_check_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tree_sitter_cpp", None)  # import fails
    new = matmul("#pragma HLS ARRAY_PARTITION variable=la type=cyclic factor=3 dim=2")
    with pytest.raises(CheckNotRun, match=r"install duckfix\[hls\]"):
        run(tmp_path / "r", new)
    # No added pragma: nothing to say.
    ap_only = "#include <ap_int.h>\nap_uint<4> f(ap_uint<4> x) { return x << 4; }\n"
    assert run(tmp_path / "s", ap_only) == []


# --- the parser's pieces ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("16", 16),
        ("N * 2 - 1", 31),
        ("(1 << 4) / 3", 5),
        ("0x10u + 010", 24),
        ("-7 / 2", -3),
        ("N / 0", None),
        ("sizeof(int)", None),
        ("UNKNOWN + 1", None),
    ],
)
def test_constant_expressions(text: str, value: int | None) -> None:
    assert evaluate(text, {"N": 16}.get) == value


def test_pragma_options_in_every_spelling() -> None:
    assert split_pragma("HLS ARRAY_PARTITION variable = A dim = 1 cyclic factor = 16") == (
        "array_partition",
        {"variable": "A", "dim": "1", "factor": "16"},
        ["cyclic"],
    )
    assert split_pragma("hls interface port=&src axis /* in */") == (
        "interface",
        {"port": "&src"},
        ["axis"],
    )
    assert split_pragma("omp parallel for") is None


@pytest.mark.parametrize(
    ("header", "trips"),
    [
        ("for (int i = 0; i < 10; i++)", 10),
        ("for (int i = 0; i <= 10; i += 2)", 6),
        ("for (int i = N - 1; i >= 0; --i)", 16),
        ("for (i = 3; 12 > i; i = i + 3)", 3),
        ("for (int i = 0; i != 7; i += 2)", None),
        ("for (int i = 0; i < n; i++)", None),
    ],
)
def test_trip_counts(header: str, trips: int | None) -> None:
    model = parse(f"#define N 16\nvoid f(int n) {{\n    int i;\n    {header} {{ }}\n}}\n")
    (loop,) = model.functions[0].loops
    assert model.trip_count(loop) == trips


# --- storage bindings ---------------------------------------------------------------------

SMOOTH = """\
void smooth(const int in[64], int out[64]) {
    int coef[4] = {1, 2, 2, 1};
    int hist[64];
    for (int i = 0; i < 64; i++) {
#pragma HLS PIPELINE II=1
        hist[i] = in[i];
        out[i] = in[i] * coef[i % 4];
    }
}
"""


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("#pragma HLS BIND_STORAGE variable=hist type=rom_1p", ["hls/storage"]),
        ("#pragma HLS RESOURCE variable=hist core=ROM_2P", ["hls/storage"]),
        # A ROM the code only reads, and a RAM it writes, are what designers mean.
        ("#pragma HLS BIND_STORAGE variable=coef type=rom_1p", []),
        ("#pragma HLS BIND_STORAGE variable=hist type=ram_2p", []),
    ],
)
def test_a_rom_that_the_code_writes(tmp_path: Path, pragma: str, expected: list[str]) -> None:
    new = SMOOTH.replace("    int hist[64];\n", f"    int hist[64];\n{pragma}\n")
    findings = run(tmp_path, new, SMOOTH)
    assert [f.category for f in findings] == expected
    if expected:
        (finding,) = findings
        assert finding.line == line(new, "#pragma HLS") and finding.severity == "error"
        assert "written at line 7" in finding.message


def test_writes_count_compound_assignments_and_increments(tmp_path: Path) -> None:
    new = SMOOTH.replace("hist[i] = in[i];", "hist[i] += in[i];\n        hist[0]++;").replace(
        "    int hist[64];\n",
        "    int hist[64];\n#pragma HLS BIND_STORAGE variable=hist type=rom_1p\n",
    )
    assert [f.category for f in run(tmp_path, new, SMOOTH)] == ["hls/storage"]
