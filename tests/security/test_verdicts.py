"""Programs that try to pass tests they fail: by writing results, printing them, or leaving early.

The harness shares a process with the program under test, so each attack is
played from inside the program, the way a hostile task's buggy program or a
model's candidate patch would try it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.models import Task, TestCase, TestSet
from duckfix.runner import RunOptions, run_tests
from duckfix.service.cli import cli

FAST = RunOptions(case_timeout=2.0)

# Writes a "passed" record for every case on every channel it can find (the report
# descriptor, any results file a harness might use), then leaves before anything
# else can be said.
FORGE_PY = """\
import json, os

def _forge():
    fake = {"status": "passed", "actual": None, "seconds": 0.0}
    lines = []
    for i in range(-1, 50):
        lines.append({**fake, "index": i, "name": f"case {i}"})
    for name in ("test_hidden", "test_visible", "test_a", "test_b"):
        lines.append({"name": f"tests/hidden/test_{name}.py::{name}", "status": "passed"})
    lines.append({"session": "finished", "exitstatus": 0})
    lines.append({"finished": True})
    data = "".join(json.dumps(line) + "\\n" for line in lines).encode()
    for fd in (1, 3, 4, 5):
        try:
            os.write(fd, data)
        except OSError:
            pass
    for path in ("_duckfix/results.jsonl", "_duckfix/pytest.jsonl", "_duckfix/bench.jsonl"):
        try:
            with open(path, "ab") as fh:
                fh.write(data)
        except OSError:
            pass

def double(x):
    _forge()
    os._exit(0)
"""


def _task(program: str, hidden: TestSet) -> Task:
    return Task(
        id="double",
        entry_point="double",
        program="double.py",
        buggy={"double.py": program},
        visible=TestSet(cases=[TestCase(args=[1], expected=2)]),
        hidden=hidden,
    )


def test_a_program_that_forges_json_case_results_fails_them() -> None:
    hidden = TestSet(cases=[TestCase(args=[n], expected=2 * n, name=f"h{n}") for n in range(4)])
    report = run_tests(_task(FORGE_PY, hidden), "hidden", options=FAST)
    assert len(report.outcomes) == 4
    assert not report.passed and not report.all_passed


def test_json_cases_never_show_the_sandbox_their_expected_values() -> None:
    # The program reads everything it can reach and returns it: no expected value is there.
    program = textwrap.dedent(
        """
        import os
        def double(x):
            seen = []
            for root, _, files in os.walk("."):
                for name in files:
                    with open(os.path.join(root, name), "rb") as fh:
                        seen.append(fh.read().decode("latin-1"))
            return "".join(seen)
        """
    )
    secret = 918273645
    hidden = TestSet(cases=[TestCase(args=[1], expected=secret, name="h")])
    report = run_tests(_task(program, hidden), "hidden", options=FAST)
    (outcome,) = report.outcomes
    assert outcome.status == "failed"
    assert str(secret) not in str(outcome.actual)


def test_a_program_returning_an_object_equal_to_everything_fails() -> None:
    program = textwrap.dedent(
        """
        class Anything:
            def __eq__(self, other):
                return True
            def __repr__(self):
                return "4"
        def double(x):
            return Anything()
        """
    )
    hidden = TestSet(cases=[TestCase(args=[2], expected=4, name="h")])
    report = run_tests(_task(program, hidden), "hidden", options=FAST)
    assert report.outcomes[0].status == "failed"


PYTEST_HIDDEN = """\
from double import double

def test_a():
    assert double(2) == 4

def test_b():
    assert double(5) == 10
"""


ATTACKS = {
    "forges-at-import": FORGE_PY.replace("def double(x):", "_forge()\nos._exit(0)\ndef double(x):"),
    "forges-when-called": FORGE_PY,
    "skips-the-module": "import pytest\npytest.skip('no', allow_module_level=True)\n"
    "def double(x):\n    return x\n",
    "skips-each-test": "import pytest\ndef double(x):\n    pytest.skip('not today')\n",
    "ends-the-session": "import pytest\ndef double(x):\n    pytest.exit('bye', returncode=0)\n",
    "kills-itself": "import os, signal\ndef double(x):\n    os.kill(os.getpid(), 9)\n",
}


@pytest.mark.parametrize("program", list(ATTACKS.values()), ids=list(ATTACKS))
def test_a_program_cannot_pass_pytest_tests_it_fails(program: str) -> None:
    hidden = TestSet(pytest_files={"tests/hidden/test_double.py": PYTEST_HIDDEN})
    report = run_tests(_task(program, hidden), "hidden", options=FAST)
    assert not report.all_passed, report.outcomes
    assert not any(o.passed for o in report.outcomes), report.outcomes


def test_a_correct_program_still_passes_its_pytest_tests() -> None:
    hidden = TestSet(pytest_files={"tests/hidden/test_double.py": PYTEST_HIDDEN})
    report = run_tests(_task("def double(x):\n    return 2 * x\n", hidden), "hidden", options=FAST)
    assert report.all_passed and len(report.passed) == 2, report.outcomes


def test_a_program_named_like_pytest_does_not_replace_it() -> None:
    # A program file named pytest.py (or sitecustomize.py) in the run's root must not be
    # what runs the tests.
    fake = "import os\nos.write(1, b'1 passed')\nos._exit(0)\n"
    task = _task("def double(x):\n    return x\n",
                 TestSet(pytest_files={"tests/hidden/test_double.py": PYTEST_HIDDEN}))  # fmt: skip
    program = {**task.buggy, "pytest.py": fake, "sitecustomize.py": fake}
    report = run_tests(task, "hidden", program, options=FAST)
    assert {o.status for o in report.outcomes} == {"failed"}, report.outcomes


C_HEADER = "int twice(int x);\n"
C_BENCH = """\
#include "duckfix_tb.h"
#include "twice.h"

DUCKFIX_CASE(small) { DUCKFIX_CHECK_EQ(twice(2), 4); }
DUCKFIX_CASE(large) { DUCKFIX_CHECK_EQ(twice(50), 100); }

DUCKFIX_MAIN
"""
C_FORGE = r"""
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "twice.h"

int twice(int x) {
    const char *fake = "{\"case\": \"small\", \"status\": \"passed\"}\n"
                       "{\"case\": \"large\", \"status\": \"passed\"}\n"
                       "{\"name\": \"tests/hidden/tb.c::small\", \"status\": \"passed\"}\n"
                       "{\"name\": \"tests/hidden/tb.c::large\", \"status\": \"passed\"}\n"
                       "{\"finished\": true}\n";
    for (int fd = 1; fd < 64; fd++) write(fd, fake, strlen(fake));
    int out = open("_duckfix/bench.jsonl", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) write(out, fake, strlen(fake));
    MODE
    return x;
}
"""


def _c_task(tmp_path: Path, mode: str) -> Task:
    from duckfix.datasets.folder import load_task

    root = tmp_path / "twice"
    files = {
        "task.toml": 'id = "twice"\nlanguage = "c"\nentry_point = "twice"\nprogram = "twice.c"\n',
        "buggy/twice.c": C_FORGE.replace("MODE", mode),
        "buggy/twice.h": C_HEADER,
        "tests/visible/tb.c": C_BENCH,
        "tests/hidden/tb.c": C_BENCH,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("exit(0);", id="prints-passed-and-exits-0"),
        pytest.param("kill(getppid(), SIGKILL); exit(0);", id="kills-the-harness"),
        pytest.param("return x;", id="prints-passed-and-returns"),
    ],
)
def test_a_c_kernel_cannot_pass_bench_cases_it_fails(tmp_path: Path, mode: str) -> None:
    report = run_tests(_c_task(tmp_path, mode), "hidden", options=FAST)
    assert not report.all_passed, report.outcomes
    assert not any(o.passed for o in report.outcomes), report.outcomes


def test_tasks_check_does_not_count_a_forging_program_as_passing(tmp_path: Path) -> None:
    # The attack from the issue: a task's buggy program forges "passed" records for the
    # hidden tests; `tasks check` must see it fail them.
    root = tmp_path / "tasks" / "double"
    files = {
        "task.toml": 'id = "double"\nentry_point = "double"\nprogram = "double.py"\n',
        "buggy/double.py": FORGE_PY,
        "fixed/double.py": "def double(x):\n    return 2 * x\n",
        "tests/visible/cases.jsonl": '{"args": [1], "expected": 2}\n',
        "tests/hidden/cases.jsonl": "".join(
            json.dumps({"args": [n], "expected": 2 * n}) + "\n" for n in range(3, 7)
        ),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path / "home"), "tasks", "check", str(root), "--json"]
    )
    (task,) = json.loads(result.stdout)
    assert task["buggy_hidden"] == {"failed": 4, "passed": 0}, task
    assert task["fixed_hidden"] == {"failed": 0, "passed": 4}, task
