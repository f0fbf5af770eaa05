"""Loading a folder in the Chrysalis HLS bug dataset layout: designs, bugs applied, problems.

The folder is built here from three toy designs of our own, in two suites
(nothing of Chrysalis itself is copied): ``Kernels/vadd`` (a header next to the
source; an exact ARRAY_PARTITION factor bug and a loop-bound bug whose Original
Code differs from the source in whitespace), ``Kernels/matmul`` (one file with
two entries, FND and APT, and an INIT bug that deletes a line) and
``Extra/shift`` (a shift bug, a bug whose Original Code is not in the source,
and a bug file that is not valid JSON). The README is UTF-16 with a BOM, as in
the original. :func:`build_dataset` is shared with the CLI's tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckfix.datasets.chrysalis import (
    CHRYSALIS_CODES,
    ChrysalisBug,
    LineRange,
    apply_bug,
    category_of,
    changed_lines,
    design_bugs,
    load_chrysalis,
    read_text,
    scan_chrysalis,
)
from duckfix.errors import NotFoundError, TaskError

VADD = """\
#include "vadd.h"

void vadd(const int a[16], const int b[16], int out[16]) {
    int buf[16];
#pragma HLS ARRAY_PARTITION variable=buf type=cyclic factor=4 dim=1
    for (int i = 0; i < 16; i++) {
#pragma HLS PIPELINE II=1
        buf[i] = a[i] + b[i];
    }
    for (int i = 0; i < 16; i++) {
        out[i] = buf[i];
    }
}
"""
VADD_H = "#pragma once\nvoid vadd(const int a[16], const int b[16], int out[16]);\n"
MATMUL = """\
void matmul(const int a[4][4], const int b[4][4], int c[4][4]) {
    int buf_a[4][4];
#pragma HLS ARRAY_PARTITION variable=buf_a type=complete dim=2
    int sum;
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 4; k++) {
            buf_a[i][k] = a[i][k];
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
#pragma HLS PIPELINE II=1
            sum = 0;
            for (int k = 0; k < 4; k++) {
                sum += buf_a[i][k] * b[k][j];
            }
            c[i][j] = sum;
        }
    }
}
"""
SHIFT = """\
unsigned int shift(unsigned int x, int n) {
#pragma HLS INLINE off
    unsigned int y = x << 4;
    return y >> n;
}
"""
TITLE = "Chrysalis-style HLS bugs (a toy copy)"


def spec(*entries: tuple[str, str, str]) -> str:
    """A bug file: one Error Specification entry per (type, original, faulty)."""
    rows = [{"Error Type": t, "Original Code": o, "Faulty Code": f} for t, o, f in entries]
    return json.dumps({"Error Specification": rows}, indent=2)


FILES = {
    "Kernels/vadd/Source_Code/vadd.cpp": VADD,
    "Kernels/vadd/Source_Code/vadd.h": VADD_H,
    "Kernels/vadd/Bugs/bug_FND.txt": spec(("FND", "factor=4 dim=1", "factor=3 dim=1")),
    "Kernels/vadd/Bugs/bug_OOB.txt": spec(
        (
            "Out-of-Bounds Access (OOB)",
            # Other spacing and indentation than the source: matched ignoring whitespace.
            "for (int i = 0;  i < 16;\ti++) {\n  out[i] = buf[i];",
            "for (int i = 0; i <= 16; i++) {\n        out[i] = buf[i];",
        )
    ),
    "Kernels/matmul/Source_Code/matmul.cpp": MATMUL,
    "Kernels/matmul/Bugs/bug_FND_APT.txt": spec(
        ("FND", "type=complete dim=2", "type=cyclic factor=3 dim=2"),
        ("Array Partition Type (APT)", "type=complete dim=2", "type=diagonal dim=2"),
    ),
    "Kernels/matmul/Bugs/bug_INIT.txt": spec(("INIT", "            sum = 0;\n", "")),
    "Extra/shift/Source_Code/shift.cpp": SHIFT,
    "Extra/shift/Bugs/bug_SHFT.txt": spec(("SHFT", "x << 4", "x << 40")),
    "Extra/shift/Bugs/bug_ZERO.txt": spec(("ZERO", "return y / n;", "return y / 0;")),
    "Extra/shift/Bugs/bug_BUF.txt": '{"Error Specification": [{"Error Type": "BUF", ',
}

EXPECTED = {  # category -> (bugs, applied, flagged on the right line)
    "OOB": (1, 1, 0),
    "INIT": (1, 1, 0),
    "SHFT": (1, 1, 1),
    "ZERO": (1, 0, 0),
    "BUF": (1, 0, 0),
    "APT": (1, 1, 1),
    "FND": (2, 2, 2),
}
"""What the review finds in the dataset :func:`build_dataset` writes (the CLI's tests check it)."""


def build_dataset(parent: Path) -> Path:
    """Write the toy dataset as ``parent/HLS_Bug_Dataset``; return that folder."""
    root = parent / "HLS_Bug_Dataset"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # Python's "utf-16" writes a BOM first, as the original README has.
    (root / "README.md").write_bytes(f"\n# {TITLE}\n\nDesigns and bugs.\n".encode("utf-16"))
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return build_dataset(tmp_path)


def by_label(bugs: list[ChrysalisBug]) -> dict[str, ChrysalisBug]:
    return {b.label: b for b in bugs}


def test_designs_bugs_and_the_utf16_readme(root: Path) -> None:
    data = load_chrysalis(root)
    assert data.root == root and data.title == TITLE and data.problems == []
    assert [(d.suite, d.name) for d in data.designs] == [
        ("Extra", "shift"),
        ("Kernels", "matmul"),
        ("Kernels", "vadd"),
    ]
    assert [b.label for b in data.bugs] == [
        "Extra/shift/bug_BUF.txt[0]",
        "Extra/shift/bug_SHFT.txt[0]",
        "Extra/shift/bug_ZERO.txt[0]",
        "Kernels/matmul/bug_FND_APT.txt[0]",
        "Kernels/matmul/bug_FND_APT.txt[1]",
        "Kernels/matmul/bug_INIT.txt[0]",
        "Kernels/vadd/bug_FND.txt[0]",
        "Kernels/vadd/bug_OOB.txt[0]",
    ]
    counts: dict[str, list[int]] = {}
    for bug in data.bugs:
        counts.setdefault(bug.category, [0, 0])
        counts[bug.category][0] += 1
        counts[bug.category][1] += bug.applied
    assert counts == {k: [bugs, applied] for k, (bugs, applied, _) in EXPECTED.items()}


def test_the_parent_folder_is_accepted_too(root: Path) -> None:
    data = load_chrysalis(root.parent)
    assert data.root == root and len(data.bugs) == 8 and data.title == TITLE


def test_an_exact_replacement(root: Path) -> None:
    bug = by_label(load_chrysalis(root).bugs)["Kernels/vadd/bug_FND.txt[0]"]
    assert bug.applied and bug.match == "exact" and bug.reason is None
    assert bug.category == "FND" and bug.kind == "pragma" and bug.error_type == "FND"
    assert bug.original_source == VADD and bug.source_name == "vadd.cpp"
    assert bug.source_dir == root / "Kernels" / "vadd" / "Source_Code"
    assert bug.faulty_source == VADD.replace("factor=4 dim=1", "factor=3 dim=1")
    assert bug.changed is not None and (bug.changed.start, bug.changed.end) == (5, 5)


def test_a_replacement_matched_with_whitespace_normalised(root: Path) -> None:
    bug = by_label(load_chrysalis(root).bugs)["Kernels/vadd/bug_OOB.txt[0]"]
    assert bug.applied and bug.match == "whitespace" and bug.category == "OOB"
    assert bug.faulty_source is not None
    lines = bug.faulty_source.splitlines()
    # The source's own indentation before the span is kept; only line 10 changes.
    assert lines[9] == "    for (int i = 0; i <= 16; i++) {"
    assert lines[10] == "        out[i] = buf[i];"
    assert bug.changed is not None and (bug.changed.start, bug.changed.end) == (10, 10)


def test_a_multi_entry_file_gives_one_bug_per_entry_each_applied_alone(root: Path) -> None:
    bugs = by_label(load_chrysalis(root).bugs)
    fnd, apt = bugs["Kernels/matmul/bug_FND_APT.txt[0]"], bugs["Kernels/matmul/bug_FND_APT.txt[1]"]
    assert (fnd.category, apt.category) == ("FND", "APT")
    assert apt.error_type == "Array Partition Type (APT)"
    assert fnd.faulty_source is not None and apt.faulty_source is not None
    assert "cyclic factor=3" in fnd.faulty_source and "diagonal" not in fnd.faulty_source
    assert "type=diagonal dim=2" in apt.faulty_source and "factor=3" not in apt.faulty_source


def test_a_deletion_points_at_the_line_after_the_cut(root: Path) -> None:
    bug = by_label(load_chrysalis(root).bugs)["Kernels/matmul/bug_INIT.txt[0]"]
    assert bug.applied and bug.changed is not None and bug.changed.deletion
    assert bug.faulty_source is not None and "sum = 0;" not in bug.faulty_source
    assert (bug.changed.start, bug.changed.end) == (13, 13)
    assert bug.faulty_source.splitlines()[12].strip().startswith("for (int k")


def test_an_original_not_in_the_source_and_a_malformed_file_are_reported(root: Path) -> None:
    bugs = by_label(load_chrysalis(root).bugs)
    zero = bugs["Extra/shift/bug_ZERO.txt[0]"]
    assert not zero.applied and zero.faulty_source is None and zero.changed is None
    assert zero.reason is not None and "not in the source" in zero.reason
    broken = bugs["Extra/shift/bug_BUF.txt[0]"]
    assert not broken.applied and broken.category == "BUF"
    assert broken.reason is not None and broken.reason.startswith("not valid JSON (line 1")


def test_a_missing_source_marks_every_bug_of_the_design(root: Path) -> None:
    (root / "Kernels" / "vadd" / "Source_Code" / "vadd.cpp").unlink()
    bugs = [b for b in load_chrysalis(root).bugs if b.design == "vadd"]
    assert len(bugs) == 2 and not any(b.applied for b in bugs)
    assert {b.reason for b in bugs} == {"Source_Code/vadd.cpp not found"}
    assert {b.category for b in bugs} == {"FND", "OOB"}  # entries are still read


def test_odd_entries_and_a_design_without_bug_files(root: Path) -> None:
    bugs_dir = root / "Extra" / "shift" / "Bugs"
    (bugs_dir / "bug_MLU.txt").write_text(json.dumps({"Error Specification": ["text"]}))
    (bugs_dir / "bug_USE.txt").write_text(json.dumps({"error_specification": {"Error Type": "x"}}))
    (bugs_dir / "bug_AMS_SMA.txt").write_text('{"Errors": []}')
    lines = ["unsigned int y = x << 4;", "    return y >> n;"]  # code as a list of lines
    bug_did = {"Error Type": "DID", "Original Code": lines, "Faulty Code": [lines[0], "return 0;"]}
    (bugs_dir / "bug_DID.txt").write_text(json.dumps({"Error Specification": [bug_did]}))
    (root / "Extra" / "empty" / "Source_Code").mkdir(parents=True)
    data = load_chrysalis(root)
    bugs = by_label(data.bugs)
    assert bugs["Extra/shift/bug_MLU.txt[0]"].reason == "entry 0 is not a JSON object"
    use = bugs["Extra/shift/bug_USE.txt[0]"]
    # An Error Type naming no code falls back on the file name's one code.
    assert use.category == "USE" and use.reason == "entry 0 has no 'Original Code' text"
    # An unreadable file counts once per code its name gives.
    assert bugs["Extra/shift/bug_AMS_SMA.txt[0]"].category == "AMS"
    assert bugs["Extra/shift/bug_AMS_SMA.txt[1]"].category == "SMA"
    assert bugs["Extra/shift/bug_AMS_SMA.txt[1]"].reason == 'no "Error Specification" list in it'
    did = bugs["Extra/shift/bug_DID.txt[0]"]
    assert did.applied and did.match == "exact" and did.changed == LineRange(start=4, end=4)
    assert data.problems == ["Extra/empty: no Bugs/*.txt bug files"]


def test_a_scan_lists_the_designs_and_each_design_reads_its_own_bugs(root: Path) -> None:
    loaded = load_chrysalis(root)
    # The scan opens no bug file: one that became unreadable still lists.
    (root / "Extra/shift/Bugs/bug_SHFT.txt").write_text("{ not json")
    scanned = scan_chrysalis(root)
    assert scanned.bugs == [] and scanned.designs == loaded.designs
    assert (scanned.root, scanned.title, scanned.problems) == (root, TITLE, [])
    vadd = next(d for d in scanned.designs if d.name == "vadd")
    assert design_bugs(root, vadd) == [b for b in loaded.bugs if b.design == "vadd"]
    (only,) = design_bugs(root, vadd, ["bug_OOB.txt"])
    assert only.label == "Kernels/vadd/bug_OOB.txt[0]" and only.applied
    shift = next(d for d in scanned.designs if d.name == "shift")
    (unreadable,) = design_bugs(root, shift, ["bug_SHFT.txt"])
    assert not unreadable.applied and "not valid JSON" in str(unreadable.reason)


def test_a_link_put_in_after_the_scan_is_refused_where_the_bugs_are_read(
    root: Path, tmp_path: Path
) -> None:
    scanned = scan_chrysalis(root)
    (secret := tmp_path / "secret.h").write_text("int secret;\n")
    (root / "Kernels/vadd/Source_Code/secret.h").symlink_to(secret)
    vadd = next(d for d in scanned.designs if d.name == "vadd")
    with pytest.raises(TaskError, match=r"Source_Code/secret\.h: a symbolic link"):
        design_bugs(root, vadd)


@pytest.mark.parametrize(
    "readme",
    [
        "Toy bugs\n".encode("utf-8-sig"),
        b"Toy bugs \xe9\xff\n",  # Latin-1: not UTF-8, read with replacements
        b"\xfe\xff" + "Toy bugs\n".encode("utf-16-be"),
    ],
    ids=["utf-8 with BOM", "latin-1", "utf-16 big-endian"],
)
def test_a_readme_in_another_encoding_does_not_crash(root: Path, readme: bytes) -> None:
    (root / "README.md").write_bytes(readme)
    title = load_chrysalis(root).title
    assert title is not None and title.startswith("Toy bugs")


def test_read_text_decodes_by_bom(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes("a\r\nb".encode("utf-16"))
    assert read_text(path) == "a\nb"


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such folder"):
        load_chrysalis(tmp_path / "nope")
    (tmp_path / "somewhere" / "else").mkdir(parents=True)
    with pytest.raises(TaskError, match=r"expected HLS_Bug_Dataset/<suite>/<design>/Source_Code"):
        load_chrysalis(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(TaskError, match="not a folder"):
        load_chrysalis(tmp_path / "file.txt")


@pytest.mark.parametrize(
    ("error_type", "codes", "expected"),
    [
        ("OOB", [], "OOB"),
        ("  fnd ", [], "FND"),
        ("Out-of-Bounds Access (OOB)", [], "OOB"),
        ("Incorrect Data Access Pattern (IDAP)", ["APT"], "IDAP"),
        ("SHFT: shift amount", [], "SHFT"),
        ("Infinite loop", [], "unknown"),  # the word "Infinite" is not the code INF
        ("Infinite loop", ["INF"], "INF"),
        ("something", ["FND", "APT"], "unknown"),
    ],
)
def test_category_of(error_type: str, codes: list[str], expected: str) -> None:
    assert category_of(error_type, codes) == expected


def test_codes_are_the_chrysalis_taxonomy() -> None:
    assert CHRYSALIS_CODES[:8] == ("OOB", "INIT", "SHFT", "INF", "USE", "MLU", "ZERO", "BUF")
    assert len(CHRYSALIS_CODES) == 18 and "ILNU" in CHRYSALIS_CODES


def test_apply_bug_refuses_what_changes_nothing() -> None:
    assert apply_bug("a\n", "  \n", "b") == {"reason": "the Original Code is empty"}
    same = apply_bug("x = 1;\n", "x  =  1;", "x = 1;")
    assert same == {"reason": "the Faulty Code is the same as the Original Code"}
    assert changed_lines("a\nb\n", "a\nb\n") is None
