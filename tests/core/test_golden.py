"""Golden-output runs: a C program's own main() in the sandbox, judged on its output outside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckfix import golden
from duckfix.datasets.folder import load_task
from duckfix.models import Task
from duckfix.runner import RunOptions, Trace, run_tests

OPTIONS = RunOptions(case_timeout=3.0, build_cache=None)

# A small "grade" tool: reads scores on stdin, prints each grade and a summary.
GRADES = r"""#include <stdio.h>
#include <stdlib.h>

static char grade(int score) {
    if (score >= 90) return 'A';
    if (score >= 80) return 'B';
    if (score >= 70) return 'C';
    return 'F';
}

int main(int argc, char **argv) {
    int pass = argc > 1 ? atoi(argv[1]) : 70;
    int score, n = 0, passed = 0;
    while (scanf("%d", &score) == 1) {
        n++;
        printf("%d %c\n", score, grade(score));
        if (score >= pass) passed++;
    }
    printf("%d of %d passed\n", passed, n);
    return passed == n ? 0 : 1;
}
"""
BUGGY = GRADES.replace("score >= 80", "score > 80")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def runs(*lines: dict[str, object]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


TOML = 'id = "grades"\nlanguage = "c"\nentry_point = "main"\nprogram = "grades.c"\n'


def grades_task(tmp_path: Path, buggy: str = BUGGY, extra_toml: str = "") -> Task:
    return load_task(
        write(
            tmp_path / "grades",
            {
                "task.toml": TOML + extra_toml,
                "buggy/grades.c": buggy,
                "fixed/grades.c": GRADES,
                "tests/visible/runs.jsonl": runs(
                    {"name": "boundary", "stdin": "95 80 72\n"},
                    {"name": "low", "args": ["50"], "stdin": "60 40\n"},
                    {"name": "given", "stdin": "91\n", "expected_stdout": "91 A\n1 of 1 passed\n"},
                    {
                        "name": "status",
                        "stdin": "10\n",
                        "expected_stdout": "10 F\n0 of 1 passed\n",
                        "expected_exit": 0,
                    },
                ),
            },
        )
    )


def test_a_run_fails_on_its_first_different_line_and_passes_otherwise(tmp_path: Path) -> None:
    report = run_tests(grades_task(tmp_path), "visible", None, OPTIONS)
    by_name = {o.name.split(":")[-1]: o for o in report.outcomes}
    boundary = by_name["boundary"]
    assert boundary.status == "failed"
    assert boundary.first_difference is not None
    assert boundary.first_difference.model_dump() == {
        "line": 2, "expected": "80 B", "actual": "80 C", "element": 2,
    }  # fmt: skip
    assert boundary.message == 'output differs at line 2: expected "80 B", got "80 C"'
    assert boundary.expected == "95 A\n80 B\n72 C\n3 of 3 passed\n"
    assert by_name["low"].passed and by_name["given"].passed
    # Same output, wrong exit status: the run fails, and says why.
    assert by_name["status"].status == "failed"
    assert by_name["status"].message.startswith("exit status 1, expected 0")


def test_the_reference_passes_and_its_output_is_recorded_once(tmp_path: Path) -> None:
    task = grades_task(tmp_path)
    fixed = run_tests(task, "visible", task.fixed, OPTIONS)
    assert [o.status for o in fixed.outcomes] == ["passed", "passed", "passed", "failed"]

    def never(*args: object) -> None:
        raise AssertionError("the reference ran again")

    recorded = golden.expectations(task, task.visible.runs, OPTIONS, never)  # type: ignore[arg-type]
    assert recorded["visible/runs.jsonl:low"].stdout == "60 F\n40 F\n1 of 2 passed\n"
    assert recorded["visible/runs.jsonl:low"].exit == 1


def test_the_reference_output_is_kept_on_disk_by_content(tmp_path: Path) -> None:
    # A reference no other test has (the output is kept in memory too, by the same key).
    unique = {"grades.c": GRADES + f"/* {tmp_path} */\n"}
    task = grades_task(tmp_path).model_copy(update={"fixed": unique})
    cached = RunOptions(case_timeout=3.0, build_cache=str(tmp_path / "cache"))
    run_tests(task, "visible", None, cached)
    kept = sorted((tmp_path / "cache" / "golden").glob("*.json"))
    assert len(kept) == 2  # the two runs without an expected output
    changed = task.model_copy(
        update={"fixed": {"grades.c": unique["grades.c"].replace("of", "out of")}}
    )
    report = run_tests(changed, "visible", changed.fixed, cached)
    assert report.outcomes[0].passed  # recorded afresh from the changed reference
    assert len(list((tmp_path / "cache" / "golden").glob("*.json"))) == 4


def test_a_reference_that_fails_a_run_is_an_error_not_an_expectation(tmp_path: Path) -> None:
    crash = GRADES.replace('printf("%d of %d passed\\n", passed, n);', "abort();")
    task = grades_task(tmp_path).model_copy(update={"fixed": {"grades.c": crash}})
    report = run_tests(task, "visible", None, OPTIONS)
    boundary = report.outcomes[0]
    assert boundary.status == "error"
    assert boundary.message.startswith("the reference program (fixed/) failed this run")


def test_a_run_out_of_time_and_a_crash(tmp_path: Path) -> None:
    head = "int main(int argc, char **argv) {"
    loops = GRADES.replace(head, head + "\n    if (argc > 1) for (;;) {}")
    report = run_tests(
        grades_task(tmp_path, buggy=loops), "visible", None, RunOptions(case_timeout=1.0)
    )
    low = next(o for o in report.outcomes if o.name.endswith(":low"))
    assert low.status == "timeout"
    overflow = GRADES.replace("n++;", "n++; { int a[2]; volatile int i = n + 5; a[i] = 1; }")
    report = run_tests(grades_task(tmp_path / "b", buggy=overflow), "visible", None, OPTIONS)
    assert all(o.status == "error" for o in report.outcomes)
    assert "runtime error: index 6 out of bounds" in report.outcomes[0].message


def test_traced_runs_carry_the_lines_each_run_ran(tmp_path: Path) -> None:
    task = grades_task(tmp_path)
    report = run_tests(task, "visible", None, OPTIONS, trace=Trace(files=["grades.c"]))
    by_name = {o.name.split(":")[-1]: o for o in report.outcomes}
    boundary = (by_name["boundary"].lines or {})["grades.c"]
    low = (by_name["low"].lines or {})["grades.c"]
    assert 8 in low and 8 not in boundary  # only "low" has a score under 70
    assert 14 in boundary and 14 in low


def test_only_names_runs(tmp_path: Path) -> None:
    task = grades_task(tmp_path)
    report = run_tests(task, "visible", None, OPTIONS, only=["visible/runs.jsonl:low", "nope"])
    assert [(o.name, o.status) for o in report.outcomes] == [
        ("visible/runs.jsonl:low", "passed"),
        ("nope", "error"),
    ]


INCLUDED_LIB = "int twice(int x) { return 2 * x; }\n"
INCLUDING_MAIN = '#include <stdio.h>\n#include "lib.c"\nint main(void) { printf("%d\\n", twice(21)); return 0; }\n'  # noqa: E501


def test_a_program_that_includes_a_c_file_builds_once(tmp_path: Path) -> None:
    root = write(
        tmp_path / "inc",
        {
            "task.toml": 'id = "inc"\nlanguage = "c"\nentry_point = "main"\nprogram = "main.c"\n',
            "buggy/main.c": INCLUDING_MAIN,
            "buggy/lib.c": INCLUDED_LIB,
            "tests/visible/runs.jsonl": runs({"name": "one", "expected_stdout": "42\n"}),
        },
    )
    report = run_tests(load_task(root), "visible", None, OPTIONS)
    assert report.outcomes[0].passed, report.outcomes
    # Named as a source too, lib.c would be compiled twice: still a clear failure, not a crash.
    toml = root / "task.toml"
    toml.write_text(toml.read_text() + '[build]\nsources = ["main.c", "lib.c"]\n')
    report = run_tests(load_task(root), "visible", None, OPTIONS)
    assert report.outcomes[0].status == "error"
    assert "does not compile" in report.outcomes[0].message


def test_unit_builds_the_sources_as_one_translation_unit(tmp_path: Path) -> None:
    # Two files sharing a static helper only build when they are one unit.
    root = write(
        tmp_path / "unit",
        {
            "task.toml": 'id = "unit"\nlanguage = "c"\nentry_point = "main"\nprogram = "b.c"\n'
            '[build]\nsources = ["a.c", "b.c"]\nunit = true\n',
            "buggy/a.c": "static int base(void) { return 40; }\n",
            "buggy/b.c": '#include <stdio.h>\nint main(void) { printf("%d\\n", base() + 2); }\n',
            "tests/visible/runs.jsonl": runs({"name": "one", "expected_stdout": "42\n"}),
        },
    )
    report = run_tests(load_task(root), "visible", None, OPTIONS)
    assert report.outcomes[0].passed, report.outcomes


SHIFT = r"""#include <stdio.h>
int main(void) {
    volatile int v = -3;
    printf("%d\n", v << 2);  /* undefined before C23; what every compiler does */
    return 0;
}
"""


def test_sanitize_off_lets_legacy_shifts_of_negative_values_pass(tmp_path: Path) -> None:
    files = {
        "task.toml": 'id = "shift"\nlanguage = "c"\nentry_point = "main"\nprogram = "shift.c"\n',
        "buggy/shift.c": SHIFT,
        "tests/visible/runs.jsonl": runs({"name": "one", "expected_stdout": "-12\n"}),
    }
    strict = run_tests(load_task(write(tmp_path / "on", files)), "visible", None, OPTIONS)
    assert strict.outcomes[0].status == "error"
    assert "runtime error: left shift of negative value" in strict.outcomes[0].message
    files["task.toml"] += "[build]\nsanitize = []\n"
    legacy = run_tests(load_task(write(tmp_path / "off", files)), "visible", None, OPTIONS)
    assert legacy.outcomes[0].passed, legacy.outcomes


def test_build_flags_reach_the_compiler(tmp_path: Path) -> None:
    files = {
        "task.toml": 'id = "flag"\nlanguage = "c"\nentry_point = "main"\nprogram = "m.c"\n'
        '[build]\nflags = ["-DGREETING=\\"hi\\""]\n',
        "buggy/m.c": "#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n",
        "tests/visible/runs.jsonl": runs({"name": "one", "expected_stdout": "hi\n"}),
    }
    report = run_tests(load_task(write(tmp_path / "f", files)), "visible", None, OPTIONS)
    assert report.outcomes[0].passed, report.outcomes


@pytest.mark.parametrize(
    ("expected", "actual", "difference"),
    [
        ("a\nb\n", "a\nc\n", (2, "b", "c", 1)),
        ("x 1 2\n", "x 1 3\n", (1, "x 1 2", "x 1 3", 3)),
        ("a\nb\n", "a\n", (2, "b", "", 1)),
        ("a\n", "a\nextra\n", (2, "", "extra", 1)),
        ("a", "a\n", (2, None, "", None)),
        ("x 1\n", "x 1 2\n", (1, "x 1", "x 1 2", 3)),
    ],
)
def test_first_difference(
    expected: str, actual: str, difference: tuple[int, str | None, str | None, int | None]
) -> None:
    found = golden.first_difference(expected, actual)
    assert (found.line, found.expected, found.actual, found.element) == difference


def test_cold_runs_give_the_same_verdicts(tmp_path: Path) -> None:
    task = grades_task(tmp_path)
    warm = run_tests(task, "visible", None, OPTIONS)
    cold = run_tests(
        task, "visible", None, RunOptions(case_timeout=3.0, build_cache=None, warm=False)
    )
    assert [(o.name, o.status) for o in cold.outcomes] == [
        (o.name, o.status) for o in warm.outcomes
    ]
