"""The C / HLS logic-bug mutators: each category on small kernels, and the whole HLS suite."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("tree_sitter_cpp")

from duckfix.datasets.builder.c_mutators import c_mutants
from duckfix.datasets.builder.categories import categories_for
from duckfix.datasets.builder.mutants import Mutant

SUITE = Path(__file__).resolve().parents[2] / "datasets" / "suites" / "hls"
KERNELS = sorted(SUITE.glob("*/fixed/*.cpp"))
LOGIC = {c.name for c in categories_for("hls") if c.kind == "logic"}


def _mutants(text: str, category: str | None = None) -> list[Mutant]:
    return [m for m in c_mutants(text, "k.cpp") if category is None or m.category == category]


def _texts(text: str, category: str) -> list[str]:
    return [m.apply(text) for m in _mutants(text, category)]


def _parse_errors(text: str) -> bool:
    import tree_sitter
    import tree_sitter_cpp

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))
    return parser.parse(text.encode()).root_node.has_error


SUM = """\
int sum(const int a[N], int n) {
    int acc = 0;
    for (int i = 0; i < N; i++) {
        acc += a[i];
    }
    return acc;
}
"""


# --- general categories ----------------------------------------------------------------


def test_off_by_one_moves_a_bound_start_or_index_offset() -> None:
    text = """\
int count(int n, const int x[8]) {
    int c = 0;
    for (int k = 0; k < n; k++) c = c + 2;
    return c + x[n - 1];
}
"""
    got = _texts(text, "off-by-one")
    assert text.replace("k < n;", "k <= n;") in got  # k is in no subscript: not OOB
    assert text.replace("k < n;", "k < n - 1;") in got
    assert text.replace("int k = 0;", "int k = 1;") in got
    assert text.replace("x[n - 1]", "x[n]") in got
    assert text.replace("x[n - 1]", "x[n - 2]") in got


def test_wrong_operator_and_compound_assignment() -> None:
    got = _texts(SUM, "wrong-operator")
    assert SUM.replace("acc += a[i]", "acc -= a[i]") in got
    assert SUM.replace("acc += a[i]", "acc = a[i]") in got
    text = "int f(int a, int b) {\n    return (a & b) + (a && b) + 0;\n}\n"
    got = _texts(text, "wrong-operator")
    assert text.replace("a & b", "a | b") in got
    assert text.replace("a && b", "a || b") in got
    assert text.replace("+ 0", "- 0") not in got  # neutral: the same value


def test_wrong_comparison() -> None:
    text = "int m(int a, int b) {\n    if (a < b) return a;\n    return a == b;\n}\n"
    got = _texts(text, "wrong-comparison")
    assert got == [text.replace("a < b", "a > b"), text.replace("a == b", "a != b")]


def test_wrong_variable_keeps_shape_type_and_constness() -> None:
    text = """\
void f(const int in[4], int out[4], int tmp[4], int n) {
    int a = 1, b = 2;
    float s = 0;
    out[0] = in[a] + b + n;
}
"""
    got = {m.description for m in _mutants(text, "wrong-variable")}
    assert "in[a] -> in[b]" in got and "in[a] -> in[n]" in got
    assert "out[0] -> tmp[0]" in got and "in[a] -> out[a]" in got
    assert "out[0] -> in[0]" not in got  # never store into a const array
    assert not any("-> s" in d or "[s]" in d for d in got)  # a float is not an int


def test_wrong_initial_value() -> None:
    got = _texts(SUM, "wrong-initial-value")
    assert got == [SUM.replace("int acc = 0;", "int acc = 1;")]
    text = "unsigned f() {\n    unsigned m = 0;\n    bool ok = true;\n    return m + ok;\n}\n"
    got = _texts(text, "wrong-initial-value")
    assert text.replace("m = 0;", "m = ~0;") in got
    assert text.replace("ok = true", "ok = false") not in got  # a zero start: ZERO's
    assert text.replace("ok = true", "ok = false") in _texts(text, "ZERO")


def test_missing_statement_keeps_the_line_or_leaves_a_semicolon() -> None:
    text = "void f(int c, int &x) {\n    x = 2;\n    if (c) x = 1;\n}\n"
    got = _texts(text, "missing-statement")
    assert got == [
        "void f(int c, int &x) {\n    \n    if (c) x = 1;\n}\n",
        "void f(int c, int &x) {\n    x = 2;\n    if (c) ;\n}\n",
    ]


def test_swapped_arguments_skip_a_scalar_for_an_array() -> None:
    text = "void g(int a[4], int b, int c);\nvoid f(int a[4], int b, int c) {\n    g(a, b, c);\n}\n"
    got = _texts(text, "swapped-arguments")
    assert got == [text.replace("g(a, b, c);", "g(a, c, b);")]


# --- Chrysalis categories --------------------------------------------------------------


def test_oob_runs_the_loop_one_further_or_reads_one_ahead() -> None:
    got = _texts(SUM, "OOB")
    assert SUM.replace("i < N", "i <= N") in got
    assert SUM.replace("a[i]", "a[i + 1]") in got


def test_init_removes_an_initialiser_or_a_clearing_store() -> None:
    got = _texts(SUM, "INIT")
    assert got == [SUM.replace("int acc = 0;", "int acc;")]
    text = """\
void f(int out[8]) {
    int buf[8];
    for (int i = 0; i < 8; i++) {
#pragma HLS UNROLL
        buf[i] = 0;
    }
    for (int i = 0; i < 8; i++) out[i] = buf[i];
}
"""
    got = _texts(text, "INIT")
    assert got == [text.replace("        buf[i] = 0;\n", "        \n")]  # the loop holds a pragma


def test_shft_shifts_by_the_operands_width() -> None:
    # Chrysalis SHFT: a bit shift by an out-of-bounds amount (the type's width or more).
    text = "int f(int x, int k) {\n    return x << k;\n}\n"
    assert _texts(text, "SHFT") == [text.replace("x << k", "x << 32")]
    narrow = "int f(ap_uint<12> v, int k) {\n    ap_uint<12> w = v;\n    return w >> k;\n}\n"
    assert _texts(narrow, "SHFT") == [narrow.replace("w >> k", "w >> 12")]
    literal = "long f(int k) {\n    return 1L << k;\n}\n"
    assert _texts(literal, "SHFT") == [literal.replace("1L << k", "1L << 64")]
    assert _texts("int f(int x) {\n    return x << 32;\n}\n", "SHFT") == []  # already


def test_wrong_shift_flips_the_direction_or_shifts_one_more() -> None:
    text = "int f(int x, int k) {\n    return x << k;\n}\n"
    assert _texts(text, "wrong-shift") == [
        text.replace("x << k", "x >> k"),
        text.replace("x << k", "x << (k + 1)"),
    ]


def test_inf_removes_or_reverses_the_step() -> None:
    got = _texts(SUM, "INF")
    assert SUM.replace("i++)", ")") in got
    assert SUM.replace("i++", "i--") in got
    text = (
        "int f(int k) {\n    int c = 0;\n    for (int j = k; j > 0; j >>= 1) c++;\n    return c;\n}"
    )
    assert text.replace("j > 0", "j >= 0") in _texts(text, "INF")


def test_use_makes_a_narrow_unsigned_value_sign_extend() -> None:
    # Chrysalis USE: unintended sign extension of a narrow value widened.
    text = """\
int f(const unsigned char px[4], ap_int<12> v) {
    unsigned char b = px[0];
    uint16_t h = px[1];
    ap_uint<8> m = 3;
    unsigned u = 7;
    int d = v - 1;
    return b + h + m + (int)(unsigned char)d + u;
}
"""
    got = _texts(text, "USE")
    assert got == [
        text.replace("unsigned char b", "signed char b"),
        text.replace("uint16_t h", "int16_t h"),
        text.replace("ap_uint<8> m", "ap_int<8> m"),
        text.replace("(unsigned char)d", "(signed char)d"),
    ]
    # A byte 0xF0 read through the mutant is -16, not 240: the sign bit extended.
    assert all("const unsigned char px[4]" in t and "unsigned u" in t for t in got)


def test_signedness_mixes_int_and_unsigned() -> None:
    text = """\
int f(ap_int<12> v) {
    ap_uint<8> m = 3;
    int d = v - 1;
    if (d < 0) return 0;
    return m + d;
}
"""
    got = _texts(text, "signedness")
    assert text.replace("int d =", "unsigned d =") in got
    assert text.replace("d < 0", "(unsigned)d < 0") in got
    assert text.replace("ap_uint<8> m", "ap_int<8> m") not in got  # USE's: a narrow one
    assert all("ap_int<12> v" in t for t in got)  # parameters and widths untouched


UNROLLED = """\
void f(const int a[16], int y[16]) {
    for (int i = 0; i < 16; i += 4) {
        y[i] = a[i] * 3;
        y[i + 1] = a[i + 1] * 3;
        y[i + 2] = a[i + 2] * 3;
        y[i + 3] = a[i + 3] * 3;
    }
}
"""


def test_mlu_repeats_or_omits_an_iteration_of_a_manually_unrolled_body() -> None:
    # Chrysalis MLU: an error in manual unrolling, an iteration omitted.
    got = _texts(UNROLLED, "MLU")
    assert UNROLLED.replace("a[i + 2] * 3", "a[i + 1] * 3") in got  # a[i + 2] never read
    assert UNROLLED.replace("y[i] = a[i] * 3", "y[i] = a[i + 1] * 3") in got
    assert UNROLLED.replace("        y[i + 3] = a[i + 3] * 3;\n", "        \n") in got
    assert len(got) == 9  # each of 4 copies in each of its 2 subscripts, the last deleted
    assert _texts(SUM, "MLU") == []


def test_zero_initialises_to_zero_what_starts_non_zero() -> None:
    # Chrysalis ZERO: a variable initialised to zero instead of its non-zero initialiser.
    text = """\
float f(const float x[8], int n) {
    int prod = 1;
    float best = x[0];
    float scale = 2.5f;
    int none = 0;
    const int k = 3;
    for (int i = 1; i < n; i++) best = best > x[i] ? best : x[i] * scale;
    return best + prod + none + k;
}
"""
    assert _texts(text, "ZERO") == [
        text.replace("int prod = 1;", "int prod = 0;"),
        text.replace("float best = x[0];", "float best = 0;"),
        text.replace("float scale = 2.5f;", "float scale = 0.0f;"),
    ]
    assert text.replace("int prod = 1;", "int prod = 0;") not in _texts(text, "wrong-initial-value")


def test_divide_by_zero_moves_the_divisor_or_drops_the_guard() -> None:
    text = """\
int f(int s, int n) {
    int q = s / N + s % 4;
    if (n == 0)
        return 0;
    else
        return s / n;
}
"""
    got = _texts(text, "divide-by-zero")
    assert got == [
        text.replace(
            "if (n == 0)\n        return 0;\n    else\n        return s / n;", "return s / n;"
        ),
        text.replace("s / n", "s / (n - 1)"),
    ]


SPLIT = """\
#define N 8
#define H (N / 2)
void f(const int in[N], int lo[H], int hi[H], int out[N], int p) {
    int pong[2][N];
    int half[N];
    for (int i = 0; i < N; i++) {
        pong[p][i] = in[i];
        half[i] = in[i];
    }
    for (int i = 0; i < H; i++) {
        lo[i] = half[i];
        hi[i] = half[i + H];
        out[i] = pong[p][i];
    }
    out[N - 1] = half[5];
}
"""


def test_buf_copies_from_the_wrong_half_of_a_split_buffer() -> None:
    # Chrysalis BUF: copying from the wrong half of a split buffer.
    got = _texts(SPLIT, "BUF")
    assert got == [
        SPLIT.replace("lo[i] = half[i];", "lo[i] = half[i + H];"),
        SPLIT.replace("hi[i] = half[i + H];", "hi[i] = half[i];"),
        SPLIT.replace("out[i] = pong[p][i];", "out[i] = pong[1 - p][i];"),
        SPLIT.replace("out[i] = pong[p][i];", "out[i] = pong[p][i + H];"),
        SPLIT.replace("half[5]", "half[1]"),
    ]
    # The first loop copies the whole buffer: no half to mistake; stores are no copies out.
    assert not any("half[i] = in[i + H]" in t or "pong[1 - p][i] = in" in t for t in got)


def test_short_buffer_and_shift_register() -> None:
    text = """\
void f(int x, int w[3], int sr[8]) {
    int buf[N];
    for (int i = 7; i > 0; i--) {
        sr[i] = sr[i - 1];
    }
    w[0] = w[1];
    w[1] = x;
}
"""
    assert _texts(text, "short-buffer") == [text.replace("buf[N]", "buf[N - 1]")]
    got = _texts(text, "shift-register")
    assert text.replace("int i = 7; i > 0; i--", "int i = 1; i <= 7; i++") in got
    assert text.replace("int i = 7; i > 0; i--", "int i = 7; i >= 0; i--") in got
    assert text.replace("w[0] = w[1];\n    w[1] = x;", "w[1] = x;\n    w[0] = w[1];") in got
    assert _texts(text, "BUF") == []  # neither is a split buffer's wrong half
    swap = (
        "void f(int a[4], int i, int l) {\n    int t = a[i];\n    a[i] = a[l];\n    a[l] = t;\n}\n"
    )
    assert _texts(swap, "shift-register") == []  # a swap through a temporary is no shift


def test_arrays_passed_whole_keep_their_row_length() -> None:
    text = """\
void g(int w[3][3]);
void f(const int img[8][10]) {
    int line[2][10];
    int win[3][3];
    g(win);
    line[0][0] = img[0][0];
}
"""
    variables = {m.description for m in _mutants(text, "wrong-variable")}
    assert not any("g(line)" in d or "g(img)" in d for d in variables)
    buffers = _texts(text, "short-buffer")
    assert text.replace("win[3][3]", "win[2][3]") in buffers
    assert text.replace("win[3][3]", "win[3][2]") not in buffers  # g wants rows of 3
    assert text.replace("line[2][10]", "line[2][10 - 1]") not in buffers
    assert text.replace("line[2][10]", "line[2][9]") in buffers


# --- what no mutant may touch ----------------------------------------------------------


def test_pragmas_comments_and_template_arguments_are_never_edited() -> None:
    text = """\
#define N 8
// a < b and x + 1 in a comment
ap_int<20> f(const ap_int<12> in[N]) {
#pragma HLS ARRAY_PARTITION variable=in cyclic factor=4
    ap_int<20> acc = 0; /* i < N */
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        acc += in[i] * ap_int<12>(3);
    }
    return acc;
}
"""
    keep = [
        "#define N 8\n",
        "// a < b and x + 1 in a comment\n",
        "#pragma HLS ARRAY_PARTITION variable=in cyclic factor=4\n",
        "/* i < N */",
        "#pragma HLS PIPELINE II=1\n",
        "ap_int<12> in[N]",
        "<12>(3)",
    ]
    mutants = _mutants(text)
    assert mutants
    for m in mutants:
        for piece in keep:
            assert piece in m.apply(text), (m.description, piece)
        assert "<20>" in m.apply(text)


def test_offsets_count_characters_after_non_ascii_text() -> None:
    text = "// Größe ≤ N — the sum\nint f(int a, int b) {\n    return a + b;\n}\n"
    (m,) = [m for m in _mutants(text, "wrong-operator")]
    assert text[m.start : m.end] == "+"
    assert m.apply(text) == text.replace("a + b", "a - b")
    assert m.line == 3
    assert m.description == "a + b -> a - b"


def test_every_mutant_is_labelled_and_differs() -> None:
    for m in _mutants(SUM):
        assert m.kind == "logic" and m.category in LOGIC and m.mutator and m.file == "k.cpp"
        assert " ".join(m.apply(SUM).split()) != " ".join(SUM.split())
        assert m.line == SUM.count("\n", 0, m.start) + 1


def test_importing_the_module_does_not_load_tree_sitter() -> None:
    code = "import sys, duckfix.datasets.builder.c_mutators; print('tree_sitter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the built-in HLS suite ------------------------------------------------------------


@pytest.fixture(scope="module")
def suite_mutants() -> dict[Path, list[Mutant]]:
    return {path: c_mutants(path.read_text(), path.name) for path in KERNELS}


def test_the_suite_has_eighteen_kernels() -> None:
    assert len(KERNELS) == 18


def test_every_suite_mutant_parses_and_differs(suite_mutants: dict[Path, list[Mutant]]) -> None:
    for path, mutants in suite_mutants.items():
        text = path.read_text()
        assert mutants, path
        spans = [(m.start, m.end, m.replacement) for m in mutants]
        assert len(spans) == len(set(spans)), path
        for m in mutants:
            new = m.apply(text)
            assert not _parse_errors(new), (path.name, m.description)
            assert " ".join(new.split()) != " ".join(text.split())
            lines = [line for line in text.splitlines() if line.lstrip().startswith("#")]
            assert all(line in new.splitlines() for line in lines), (path.name, m.description)


def test_every_category_appears_over_the_suite(suite_mutants: dict[Path, list[Mutant]]) -> None:
    seen = Counter(m.category for mutants in suite_mutants.values() for m in mutants)
    assert set(seen) == LOGIC, LOGIC - set(seen)


def test_mutants_are_deterministic(suite_mutants: dict[Path, list[Mutant]]) -> None:
    for path in KERNELS[:4]:
        assert c_mutants(path.read_text(), path.name) == suite_mutants[path]


def test_a_long_kernel_is_mutated_quickly() -> None:
    text = "\n".join(p.read_text() for p in KERNELS[:5])  # ~200 lines
    c_mutants(text, "big.cpp")  # warm the parser
    start = time.perf_counter()
    assert c_mutants(text, "big.cpp")
    assert time.perf_counter() - start < 1.0  # ~0.1 s; slack for a loaded machine


@pytest.mark.parametrize(
    ("kernel", "category"),
    [("viterbi_step", "USE"), ("conv2d", "BUF"), ("aes_round", "ZERO"), ("aes_round", "MLU")],
)
def test_a_mutant_compiles_with_gxx(kernel: str, category: str, tmp_path: Path) -> None:
    from shutil import which

    from duckfix.runner import hls_include

    include = hls_include()
    if include is None or not Path(include).is_dir() or which("g++") is None:
        pytest.skip("needs g++ and the ap_types headers")
    source = SUITE / kernel / "fixed" / f"{kernel}.cpp"
    text = source.read_text()
    mutant = [m for m in c_mutants(text, source.name) if m.category == category][-1]
    target = tmp_path / source.name
    target.write_text(mutant.apply(text))
    cmd = ["g++", "-fsyntax-only", "-std=gnu++17", "-isystem", include, "-I", str(source.parent)]
    done = subprocess.run([*cmd, str(target)], capture_output=True, text=True)
    assert done.returncode == 0, (mutant.description, done.stderr[-2000:])
