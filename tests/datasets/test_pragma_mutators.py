"""Pragma-bug mutators: each category on small kernels, and over the HLS suite.

The suite part checks what every mutant must be (it parses, it changes the
text, it is labelled right) and how many each category makes; the last test
runs the deterministic HLS review check on each mutant as a diff and records
which categories it catches.
"""

from __future__ import annotations

import difflib
from collections import Counter
from functools import cache

import pytest

from duckfix.agents.review_checks import hls
from duckfix.datasets.builder.categories import categories_for
from duckfix.datasets.builder.mutants import Mutant, line_of
from duckfix.datasets.builder.pragma_mutators import pragma_mutants
from duckfix.datasets.suites import load_suite
from duckfix.diff import parse_diff
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

pytest.importorskip("tree_sitter_cpp")

PRAGMA_CODES = [c.name for c in categories_for("hls") if c.kind == "pragma"]
KERNELS = {
    path: text
    for task in load_suite("hls")
    for path, text in (task.fixed or {}).items()
    if path.endswith(".cpp")
}


def of(text: str, category: str) -> list[Mutant]:
    return [m for m in pragma_mutants(text, "k.cpp") if m.category == category]


def described(mutants: list[Mutant]) -> list[tuple[int, str]]:
    return [(m.line, m.description) for m in mutants]


def new_line(text: str, m: Mutant) -> str:
    """The mutated file's line where the mutant starts."""
    return m.apply(text).splitlines()[m.line - 1]


# --- each category on a small kernel ---------------------------------------------------

FIR = """\
#define N 16
#define TAPS 8

static void load(const int src[N], int dst[N]) {
    for (int i = 0; i < N; i++) {
        dst[i] = src[i];
    }
}

void fir(const int x[N], const int c[TAPS], int y[N], int n) {
#pragma HLS INTERFACE mode=ap_memory port=x
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS ARRAY_PARTITION variable=c type=complete dim=1
    int acc = 0;
    int shreg[TAPS];
#pragma HLS ARRAY_PARTITION variable=shreg type=cyclic factor=4
    for (int t = 0; t < TAPS; t++) shreg[t] = 0;
SAMPLE:
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        shreg[0] = x[i];
    TAP:
        for (int t = 0; t < TAPS; t++) {
#pragma HLS UNROLL factor=2
            acc += shreg[t] * c[t];
        }
        y[i] = acc;
    }
    for (int k = 0; k < n; k++) {
        y[k] = 0;
    }
}
"""

SPMV = """\
#include "hls_stream.h"
#define N 64

static void produce(const int in[N], hls::stream<int> &s) {
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        s.write(in[i]);
    }
}

static void consume(hls::stream<int> &s, int out[N], int len) {
    for (int i = 0; i < len; i++) {
        out[i] = s.read();
    }
}

void top(const int in[N], int out[N], int len) {
    #pragma HLS DATAFLOW
    hls::stream<int> s;
    produce(in, s);
    consume(s, out, len);
}

void rows(const int ptr[9], const int val[64], int y[8]) {
    int start = ptr[0];
    for (int r = 0; r < 8; r++) {
        int end = ptr[r + 1];
        int sum = 0;
        for (int k = start; k < end; k++) {
            #pragma HLS PIPELINE II=1
            #pragma HLS UNROLL factor=2
            sum += val[k];
        }
        y[r] = sum;
        start = end;
    }
}
"""


# Each Chrysalis code's test makes the mistake its definition names (the Chrysalis
# dataset's README, "Bug Type Specification"); see datasets/builder/categories.py.


def test_apt_gives_a_partition_a_wrong_type() -> None:
    # APT: array partition type error (among cyclic, block and complete).
    found = of(FIR, "APT")
    assert described(found) == [
        (
            13,
            "type=complete -> type=block factor=2 (c is accessed at neighbouring elements "
            "in parallel)",
        ),
        (13, "type=complete -> type=cyclic (cyclic needs a factor)"),
        (13, "type=complete -> type=full (unknown type)"),
        (16, "type=cyclic -> type=block (shreg is accessed at neighbouring elements in parallel)"),
        (16, "type=cyclic -> type=cylic (unknown type)"),
    ]
    assert new_line(FIR, found[1]) == "#pragma HLS ARRAY_PARTITION variable=c type=cyclic dim=1"
    assert all(m.mutator == "partition_type" and m.kind == "pragma" for m in found)


def test_apt_swaps_cyclic_and_block_where_the_access_does_not_decide() -> None:
    text = (
        "#define N 16\nint vecsum(const int in[N]) {\n"
        "#pragma HLS ARRAY_PARTITION variable=in cyclic factor=4\n    int acc = 0;\n"
        "    for (int i = 0; i < N; i++) {\n#pragma HLS PIPELINE II=1\n        acc += in[i];\n"
        "    }\n    return acc;\n}\n"
    )
    assert described(of(text, "APT")) == [
        (3, "cyclic -> block (the other interleaving)"),
        (3, "cyclic -> cylic (unknown type)"),
    ]


def test_fnd_moves_a_partition_factor_off_a_divisor_of_the_known_size() -> None:
    # FND: factor not divisible, for ARRAY_PARTITION (an UNROLL factor is another category).
    found = of(FIR, "FND")
    assert described(found) == [
        (13, "type=complete -> type=cyclic factor=3 (size 8)"),
        (16, "factor=4 -> factor=3 (size 8)"),
    ]
    assert new_line(FIR, found[1]) == (
        "#pragma HLS ARRAY_PARTITION variable=shreg type=cyclic factor=3"
    )
    assert [m.description for m in of(FIR, "unroll-trip-count") if m.line == 24] == [
        "factor=2 -> factor=3 (8 trips)"
    ]


def test_fnd_needs_a_size_the_file_defines() -> None:
    text = FIR.replace("#define N 16\n#define TAPS 8\n", '#include "fir.h"\n')
    assert of(text, "FND") == []


def test_did_sets_dim_out_of_range_or_to_another_dimension() -> None:
    # DID: an incorrect dim, out of the valid range or not the intended axis.
    found = of(FIR, "DID")
    assert described(found) == [(13, "dim=1 -> dim=2 (rank 1)"), (16, "+ dim=2 (rank 1)")]
    assert new_line(FIR, found[1]).endswith("type=cyclic factor=4 dim=2")
    two_d = "void f(int a[4][4]) {\n#pragma HLS ARRAY_PARTITION variable=a type=complete\n}\n"
    assert [new_line(two_d, m) for m in of(two_d, "DID")] == [
        "#pragma HLS ARRAY_PARTITION variable=a type=complete dim=2",
        "#pragma HLS ARRAY_PARTITION variable=a type=complete dim=3",
    ]


def test_dfp_moves_the_dataflow_pragma_away_from_its_regions_start() -> None:
    # DFP: dataflow position error.
    found = of(SPMV, "DFP")
    assert [d for _, d in described(found)] == [
        "DATAFLOW moved (into produce(), no tasks)",
        "DATAFLOW moved (into consume(), no tasks)",
        "DATAFLOW moved (after the region's first task)",
        "DATAFLOW moved (into rows(), no tasks)",
    ]
    moved = found[1].apply(SPMV)
    assert "    #pragma HLS DATAFLOW\n    hls::stream<int> s;" not in moved
    assert "int len) {\n    #pragma HLS DATAFLOW\n    for (int i = 0; i < len" in moved
    after = found[2].apply(SPMV)
    assert "    produce(in, s);\n    #pragma HLS DATAFLOW\n    consume(s, out, len);" in after
    nested = (
        "void t(int a[8], int b[8]) {\n#pragma HLS DATAFLOW\n    int c[8];\n"
        "    for (int i = 0; i < 2; i++)\n        for (int j = 0; j < 4; j++) {\n"
        "            c[4 * i + j] = a[4 * i + j];\n        }\n"
        "    for (int k = 0; k < 8; k++) {\n        b[k] = c[k];\n    }\n}\n"
    )
    assert [(m.line, m.description) for m in of(nested, "DFP")] == [
        (2, "DATAFLOW moved (into the loop at line 5, not the region's start)"),
        (2, "DATAFLOW moved (after the region's first task)"),
        (2, "DATAFLOW moved (into the loop at line 8, not the region's start)"),
    ]
    inner = of(nested, "DFP")[0].apply(nested).splitlines()
    assert inner[1:5] == [
        "    int c[8];",
        "    for (int i = 0; i < 2; i++)",
        "        for (int j = 0; j < 4; j++) {",
        "#pragma HLS DATAFLOW",
    ]


def test_dataflow_channel_runs_a_task_conditionally_or_twice() -> None:
    found = of(SPMV, "dataflow-channel")
    assert [d for _, d in described(found)] == [
        "+ if (len) (task produce() runs only when len)",
        "produce(in, s); called twice (produce()'s channels get two producers or consumers)",
        "+ if (len) (task consume() runs only when len)",
        "consume(s, out, len); called twice (consume()'s channels get two producers or consumers)",
    ]
    assert new_line(SPMV, found[0]) == "    if (len) produce(in, s);"
    twice = found[1].apply(SPMV)
    assert "    produce(in, s);\n    produce(in, s);\n    consume(" in twice


def test_no_dataflow_no_dfp() -> None:
    assert of(FIR, "DFP") == [] and of(FIR, "dataflow-channel") == []


def test_idap_streams_an_array_the_function_reads_at_random() -> None:
    # IDAP: an interface mode whose access pattern the code does not follow (a FIFO or
    # a stream is read once, in order).
    assert [d for _, d in described(of(FIR, "IDAP"))] == [
        "+ INTERFACE mode=ap_fifo port=c (c is not accessed once, in order)",
        "+ INTERFACE mode=ap_fifo port=y (y is not accessed once, in order)",
        "+ INTERFACE mode=axis port=c (c is not accessed once, in order)",
        "+ INTERFACE mode=axis port=y (y is not accessed once, in order)",
    ]
    text = (
        "void f(const int in[8], const int k[8], int out[8]) {\n"
        "#pragma HLS INTERFACE mode=bram port=in\n#pragma HLS INTERFACE mode=bram port=k\n"
        "    for (int i = 0; i < 8; i++) out[i] = in[i] * k[7 - i];\n}\n"
    )
    # in and out are accessed once in order: a FIFO fits them; k is read backwards.
    assert [new_line(text, m) for m in of(text, "IDAP")] == [
        "#pragma HLS INTERFACE mode=ap_fifo port=k",
        "#pragma HLS INTERFACE mode=axis port=k",
    ]


def test_partition_banks_halves_a_cyclic_factor() -> None:
    assert described(of(FIR, "partition-banks")) == [
        (16, "factor=4 -> factor=2 (fewer banks than shreg accesses per cycle)"),
    ]


RAMB_KERNEL = """\
#define N 64
void scale(const int in[N], int out[N], const int idx[N], int k) {
#pragma HLS INTERFACE mode=m_axi port=in
#pragma HLS INTERFACE mode=m_axi port=idx
    int sum = 0;
    for (int i = 0; i < N; i++) {
        out[i] = in[i] * k;
        sum += in[i];
    }
    for (int i = 1; i < N; i++) {
        out[i] = out[i - 1] + idx[i];
    }
    out[0] = sum;
}
"""


def test_ramb_reads_an_m_axi_port_out_of_order() -> None:
    # RAMB: an m_axi interface accessed non-sequentially, so its reads cannot burst.
    (ramb,) = of(RAMB_KERNEL, "RAMB")
    assert ramb.description == (
        "loop at line 6 reversed (m_axi port in accessed at falling addresses: no burst)"
    )
    assert new_line(RAMB_KERNEL, ramb) == "    for (int i = N - 1; i >= 0; i--) {"
    # The second loop's passes depend on each other (out[i - 1]): reversing it would
    # change the results, so it is left alone; the pragmas themselves stay.
    assert "for (int i = 1; i < N; i++)" in ramb.apply(RAMB_KERNEL)
    assert ramb.mutator == "burst_order"


def test_storage_binding_inserts_a_binding_after_the_declaration() -> None:
    found = of(FIR, "storage-binding")
    assert described(found) == [
        (16, "+ BIND_STORAGE variable=shreg type=ram_1p (shreg is used twice or more a cycle)"),
        (16, "+ BIND_STORAGE variable=shreg type=rom_1p (shreg is written)"),
    ]
    rom = found[1].apply(FIR)
    assert (
        "    int shreg[TAPS];\n#pragma HLS BIND_STORAGE variable=shreg type=rom_1p\n"
        "#pragma HLS ARRAY_PARTITION variable=shreg" in rom
    )
    assert of(FIR, "RAMB") == []  # no m_axi port in FIR


def test_storage_binding_changes_an_existing_binding() -> None:
    text = (
        "void f(const int in[8], int out[8]) {\n    int buf[8];\n"
        "#pragma HLS BIND_STORAGE variable=buf type=ram_2p impl=bram\n"
        "    for (int i = 0; i < 8; i++) buf[i] = in[i];\n"
        "    for (int i = 0; i < 8; i++) out[i] = buf[i];\n}\n"
    )
    (rom,) = of(text, "storage-binding")
    assert rom.description == "type=ram_2p -> type=rom_1p (buf is written)"
    assert new_line(text, rom) == "#pragma HLS BIND_STORAGE variable=buf type=rom_1p impl=bram"


def test_pragma_variable_misspells_or_names_a_scalar_or_another_functions_array() -> None:
    assert [d for _, d in described(of(FIR, "pragma-variable"))] == [
        "port=x -> port=X (no such name)",
        "port=n -> port=ns (no such name)",
        "variable=c -> variable=C (no such name)",
        "variable=c -> variable=n (a scalar)",  # acc is declared after the pragma
        "variable=c -> variable=src (an array of load())",
        "variable=shreg -> variable=acc (a scalar)",
        "variable=shreg -> variable=shregs (no such name)",
        "variable=shreg -> variable=src (an array of load())",
    ]
    text = "void f(int state_in[4]) {\n#pragma HLS INTERFACE mode=bram port=state_in\n}\n"
    (typo,) = [m for m in of(text, "pragma-variable")]
    assert new_line(text, typo) == "#pragma HLS INTERFACE mode=bram port=statein"


def test_sma_maps_a_scalar_to_an_array_interface() -> None:
    # SMA: a scalar mapped to an array interface (bram, ap_memory, m_axi, ap_fifo, axis).
    assert [d for _, d in described(of(FIR, "SMA"))] == [
        "mode=s_axilite -> mode=axis (n is a scalar)",
        "mode=s_axilite -> mode=m_axi (n is a scalar)",
    ]
    assert [new_line(SPMV, m) for m in of(SPMV, "SMA")] == [
        "    #pragma HLS INTERFACE mode=axis port=len",  # added: top() had no pragma for it
        "    #pragma HLS INTERFACE mode=m_axi port=len",
    ]


def test_ams_maps_an_array_to_a_scalar_interface() -> None:
    # AMS: an array mapped to a scalar interface (ap_none, ap_vld, s_axilite).
    assert [d for _, d in described(of(FIR, "AMS"))] == [
        "+ INTERFACE mode=ap_none port=c (c is an array)",
        "+ INTERFACE mode=ap_none port=y (y is an array)",
        "+ INTERFACE mode=s_axilite port=c (c is an array)",
        "+ INTERFACE mode=s_axilite port=y (y is an array)",
        "mode=ap_memory -> mode=ap_none (x is an array)",
        "mode=ap_memory -> mode=s_axilite (x is an array)",
    ]
    # load() is static (never a top function): no INTERFACE is added there. A stream
    # is neither an array nor a scalar.
    text = (
        "void f(hls::stream<int> &s, int n) {\n#pragma HLS INTERFACE axis port=s\n"
        "#pragma HLS INTERFACE s_axilite port=n\n}\n"
    )
    assert of(text, "AMS") == []


def test_mlp_nests_one_pipeline_in_another() -> None:
    # MLP: multi-level pipelining, a PIPELINE inside (or around) a pipelined loop.
    found = of(SPMV, "MLP")
    assert described(found) == [
        (5, "+ PIPELINE II=1 (produce() pipelined around the pipelined loop at line 5)"),
        (25, "+ PIPELINE II=1 (rows() pipelined around the pipelined loop at line 29)"),
        (27, "+ PIPELINE II=1 (around the pipelined loop at line 29)"),
    ]
    nest = found[2].apply(SPMV)
    assert (
        "    for (int r = 0; r < 8; r++) {\n        #pragma HLS PIPELINE II=1\n"
        "        int end = ptr[r + 1];" in nest
    )
    assert "for (int k = start; k < end; k++) {\n            #pragma HLS PIPELINE" in nest
    # FIR: the function pipelined around SAMPLE (after its INTERFACE and ARRAY_PARTITION
    # lines), and TAP pipelined inside SAMPLE.
    assert described(of(FIR, "MLP")) == [
        (14, "+ PIPELINE II=1 (fir() pipelined around the pipelined loop at line 19)"),
        (24, "+ PIPELINE II=1 (inside the pipelined loop at line 19)"),
    ]


def test_pipeline_variable_loop_pipelines_a_nest_with_a_variable_bound() -> None:
    found = of(SPMV, "pipeline-variable-loop")
    assert described(found) == [
        (12, "+ PIPELINE II=1 (consume() pipelined; the loop at line 12 has a variable bound)"),
        (27, "PIPELINE II=1 moved (to the outer loop; the loop at line 29 has a variable bound)"),
    ]
    moved = found[1].apply(SPMV)
    assert "for (int k = start; k < end; k++) {\n            #pragma HLS UNROLL" in moved


ILNU_KERNEL = """\
void mm(const int a[16][16], int b[16][16]) {
    for (int i = 0; i < 16; i++) {
#pragma HLS UNROLL factor=4
        for (int j = 0; j < 16; j++) {
#pragma HLS UNROLL
            b[i][j] = a[i][j] * 2;
        }
    }
}
"""


def test_ilnu_unrolls_a_loop_whose_inner_loop_is_not_fully_unrolled() -> None:
    # ILNU: inner loops not fully unrolled under an UNROLL.
    found = of(ILNU_KERNEL, "ILNU")
    assert [m.description for m in found] == [
        "#pragma HLS UNROLL removed (inside the UNROLL at line 2)",
        "+ factor=8 (loop at 4 inside the UNROLL at line 2)",
    ]
    assert new_line(ILNU_KERNEL, found[1]) == "#pragma HLS UNROLL factor=8"
    assert "#pragma HLS UNROLL\n" not in found[0].apply(ILNU_KERNEL)
    # A loop over a loop that is not fully unrolled gets an UNROLL of its own.
    assert described(of(SPMV, "ILNU")) == [
        (27, "+ UNROLL (the loop at line 29 is not fully unrolled)"),
    ]


def test_unroll_trip_count_unrolls_what_cannot_be_unrolled_as_asked() -> None:
    assert described(of(SPMV, "unroll-trip-count")) == [
        (13, "+ UNROLL (variable bound)"),
        (27, "+ UNROLL factor=3 (8 trips)"),
        (31, "factor=2 removed (full unroll of a variable bound)"),
    ]
    text = (
        "#define N 12\nvoid f(int a[N], int n) {\n    for (int i = 0; i < N; i++) {\n"
        "#pragma HLS UNROLL\n        a[i] = 0;\n    }\n"
        "    for (int i = 0; i < n; i++) {\n#pragma HLS PIPELINE II=1\n        a[i] = 1;\n"
        "    }\n}\n"
    )
    assert [new_line(text, m) for m in of(text, "unroll-trip-count")] == [
        "#pragma HLS UNROLL factor=5",
        "#pragma HLS UNROLL",
    ]


def test_inserted_lines_keep_the_files_indentation() -> None:
    # SPMV indents its pragmas with the code: a new line takes the code's indentation.
    (unroll,) = [m for m in of(SPMV, "unroll-trip-count") if m.line == 27]
    assert unroll.replacement == "        #pragma HLS UNROLL factor=3\n"
    # FIR writes them in column 0: so do the mutators.
    (trips,) = [m for m in of(FIR, "unroll-trip-count") if m.line == 6]
    assert trips.replacement == "#pragma HLS UNROLL factor=3\n"


def test_offsets_are_characters_not_bytes() -> None:
    text = "// café, naïve\n" + FIR
    for m in pragma_mutants(text, "k.cpp"):
        assert m.apply(text).startswith("// café, naïve\n")
    (first,) = [m for m in of(text, "APT") if "full" in m.description]
    assert text[first.start : first.end] == "complete"


def test_the_same_text_gives_the_same_mutants_without_duplicates() -> None:
    first, again = pragma_mutants(SPMV, "k.cpp"), pragma_mutants(SPMV, "k.cpp")
    assert first == again
    keys = [(m.start, m.end, m.replacement) for m in first]
    assert len(keys) == len(set(keys))
    order = [PRAGMA_CODES.index(m.category) for m in first]
    assert order == sorted(order)


def test_code_without_pragmas_gives_none() -> None:
    assert pragma_mutants("int add(int a, int b) { return a + b; }\n", "k.cpp") == []


# --- the HLS suite ---------------------------------------------------------------------


@cache
def suite() -> dict[str, list[Mutant]]:
    """Each kernel's mutants, made once for the tests below."""
    return {path: pragma_mutants(text, path) for path, text in KERNELS.items()}


def _errors(text: str) -> int:
    import tree_sitter
    import tree_sitter_cpp

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))
    count, stack = 0, [parser.parse(text.encode()).root_node]
    while stack:
        node = stack.pop()
        count += node.type == "ERROR" or node.is_missing
        stack.extend(node.children)
    return count


def test_every_mutant_of_the_suite_parses_and_is_labelled() -> None:
    assert len(KERNELS) == 18
    names = {
        "APT": "partition_type",
        "FND": "factor_divisor",
        "DID": "partition_dim",
        "DFP": "dataflow_position",
        "IDAP": "interface_access",
        "RAMB": "burst_order",
        "SMA": "interface_mode",
        "AMS": "interface_mode",
        "MLP": "pipeline_nest",
        "ILNU": "unroll_nest",
        "partition-banks": "partition_banks",
        "storage-binding": "storage_binding",
        "pragma-variable": "pragma_variable",
        "dataflow-channel": "dataflow_channel",
        "pipeline-variable-loop": "pipeline_variable_loop",
        "unroll-trip-count": "unroll_trip_count",
    }
    for path, mutants in suite().items():
        text = KERNELS[path]
        before = _errors(text)
        assert len({(m.start, m.end, m.replacement) for m in mutants}) == len(mutants)
        for m in mutants:
            new = m.apply(text)
            assert new != text and _errors(new) <= before, (path, m)
            assert m.kind == "pragma" and m.file == path and m.mutator == names[m.category]
            assert m.line == line_of(text, m.start)


def test_mutants_per_category_over_the_suite() -> None:
    counts = Counter(m.category for mutants in suite().values() for m in mutants)
    assert dict(counts) == {
        "APT": 72,
        "FND": 2,
        "DID": 42,
        "DFP": 3,
        "IDAP": 54,
        "RAMB": 1,
        "SMA": 14,
        "AMS": 92,
        "MLP": 40,
        "ILNU": 10,
        "partition-banks": 2,
        "storage-binding": 23,
        "pragma-variable": 76,
        "dataflow-channel": 4,
        "pipeline-variable-loop": 1,
        "unroll-trip-count": 6,
    }


_SETTINGS = ReviewSettings()


def _detects(path: str, old: str, new: str, baseline: set[tuple[str, str]]) -> bool:
    """Whether the HLS check finds something new on the diff from ``old`` to ``new``."""
    body = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    (change,) = parse_diff(f"diff --git a/{path} b/{path}\n{body}")
    found = hls.check(FileContext(change, new_text=new), _SETTINGS)
    return bool({(f.category, f.message) for f in found} - baseline)


def _claimed(m: Mutant) -> bool:
    """Mutants the check's docstring says it catches (its rules, on this file's facts)."""
    d, c = m.description, m.category
    return (
        c in ("FND", "pipeline-variable-loop", "dataflow-channel")
        or (c == "DID" and "rank" in d)
        or (c == "APT" and ("unknown type" in d or "needs a factor" in d))
        or (c == "pragma-variable" and ("no such name" in d or "an array of" in d))
        or (c == "unroll-trip-count" and "trips" in d)
        or (c == "AMS" and "s_axilite" in d)
        or (c == "storage-binding" and "rom_1p" in d)
    )


def detection_by_category() -> dict[str, tuple[int, int]]:
    """Category -> (mutants the HLS check detects, mutants) over the suite."""
    out: dict[str, list[int]] = {c: [0, 0] for c in PRAGMA_CODES}
    missed = []
    for path, mutants in suite().items():
        text = KERNELS[path]
        (change,) = parse_diff(
            f"diff --git a/{path} b/{path}\n"
            + "".join(difflib.unified_diff([], text.splitlines(True), "/dev/null", f"b/{path}"))
        )
        baseline = {
            (f.category, f.message) for f in hls.check(FileContext(change, text), _SETTINGS)
        }
        for m in mutants:
            hit = _detects(path, text, m.apply(text), baseline)
            out[m.category][0] += hit
            out[m.category][1] += 1
            if _claimed(m) and not hit:
                missed.append((path, m.line, m.category, m.description))
    assert missed == []
    return {c: (hit, total) for c, (hit, total) in out.items()}


def test_what_the_deterministic_hls_check_detects() -> None:
    found = detection_by_category()
    print("\npragma mutants the HLS check detects:")
    for code, (hit, total) in found.items():
        print(f"  {code:22} {hit:3}/{total}")
    # Rules the check has: every such mutant is caught.
    for code in ("FND", "pipeline-variable-loop", "dataflow-channel"):
        assert found[code][0] == found[code][1], code
    # No rule for interface access patterns, bursts, the DATAFLOW pragma's place, an
    # UNROLL over a partly unrolled loop, nor a RAM with too few ports (synthesis judges
    # them): the check stays silent on those.
    for code in ("IDAP", "RAMB", "DFP", "ILNU", "partition-banks"):
        assert found[code][0] == 0, code
    assert 0 < found["storage-binding"][0] < found["storage-binding"][1]
    for code in ("APT", "DID", "SMA", "AMS", "MLP", "pragma-variable", "unroll-trip-count"):
        assert found[code][0] > 0, code
