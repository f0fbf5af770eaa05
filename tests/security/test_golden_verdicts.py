"""Golden-output runs: a program that tries to pass runs it fails, from inside its own main().

The program's stdout is the thing judged, so every attack here is played by
the program under test: forging the harness's report lines on every
descriptor, writing report files, hunting for the expected output, killing
the harness, leaving early.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duckfix.datasets.folder import load_task
from duckfix.models import Task
from duckfix.runner import RunOptions, run_tests

FAST = RunOptions(case_timeout=2.0, build_cache=None)
MARKER = "expected-output-7f3a9c"

FORGE = r"""#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAN "\"status\": \"ran\", \"stdout\": \"forged\\n\", \"exit\": 0}\n"

/* The expected output, spelled backwards here so that this source does not hold it. */
static char wanted[64];

/* Look for the expected output in every file the run can read. */
static int hunt(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d || depth > 6) return d ? (closedir(d), 0) : 0;
    struct dirent *e;
    int found = 0;
    char path[4096], buf[65536];
    while (!found && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            found = hunt(path, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(path, O_RDONLY | O_NONBLOCK);
            if (fd < 0) continue;
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) found = memmem(buf, (size_t)n, wanted, strlen(wanted)) != NULL;
        }
    }
    closedir(d);
    return found;
}

int main(int argc, char **argv) {
    const char *backwards = "KRAM";
    size_t len = strlen(backwards);
    for (size_t i = 0; i < len; i++) wanted[i] = backwards[len - 1 - i];
    int found = hunt(".", 0) || hunt("/proc/self", 5) || hunt("/tmp", 0);
    char fake[2048];
    snprintf(fake, sizeof fake,
             "{\"name\": \"visible/runs.jsonl:one\", " RAN
             "{\"name\": \"hidden/runs.jsonl:one\", " RAN
             "{\"name\": \"visible/runs.jsonl:one\", \"status\": \"passed\"}\n"
             "{\"finished\": true}\n");
    for (int fd = 1; fd < 64; fd++) write(fd, fake, strlen(fake));
    const char *files[] = {"_duckfix/report.jsonl", "_duckfix/bench.jsonl", "report.jsonl"};
    for (int i = 0; i < 3; i++) {
        int out = open(files[i], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) { write(out, fake, strlen(fake)); close(out); }
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/%d/fd/3", (int)getppid());
    int parent = open(proc, O_WRONLY);
    if (parent >= 0) write(parent, fake, strlen(fake));
    if (found) printf("FOUND\n");
    MODE
    return 0;
}
"""


def _task(tmp_path: Path, mode: str) -> Task:
    root = tmp_path / "forge"
    program = FORGE.replace("KRAM", MARKER[::-1]).replace("MODE", mode)
    reference = f'#include <stdio.h>\nint main(void) {{ puts("{MARKER}"); return 0; }}\n'
    runs = [{"name": "one"}, {"name": "two", "args": ["x"]}]
    files = {
        "task.toml": 'id = "forge"\nlanguage = "c"\nentry_point = "main"\nprogram = "p.c"\n',
        "buggy/p.c": program,
        "fixed/p.c": reference,
        "tests/visible/runs.jsonl": "".join(json.dumps(r) + "\n" for r in runs),
        "tests/hidden/runs.jsonl": json.dumps({"name": "one", "expected_stdout": MARKER + "\n"})
        + "\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return load_task(root)


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("", id="forges-reports-and-returns"),
        pytest.param("_exit(0);", id="leaves-early"),
        pytest.param("kill(getppid(), SIGKILL);", id="kills-the-harness"),
        pytest.param("fclose(stdout); kill(0, SIGKILL);", id="kills-its-group"),
    ],
)
@pytest.mark.parametrize("side", ["visible", "hidden"])
def test_a_program_cannot_pass_runs_it_fails(tmp_path: Path, mode: str, side: str) -> None:
    task = _task(tmp_path, mode)
    report = run_tests(task, side, None, FAST)  # type: ignore[arg-type]
    assert report.outcomes, report
    assert not any(o.passed for o in report.outcomes), report.outcomes
    for outcome in report.outcomes:
        # Nothing it could read held the expected output.
        assert "FOUND" not in str(outcome.actual or "")


def test_the_reference_still_passes_next_to_the_forging_program(tmp_path: Path) -> None:
    task = _task(tmp_path, "")
    report = run_tests(task, "visible", task.fixed, FAST)
    assert report.all_passed, report.outcomes


def test_the_hunt_finds_the_output_where_it_is_there(tmp_path: Path) -> None:
    # The control: were the expected output laid out in the run, the program would see it.
    task = _task(tmp_path, "")
    leaked = task.model_copy(update={"buggy": {**task.buggy, "notes.txt": MARKER}})
    report = run_tests(leaked, "visible", None, FAST)
    assert any("FOUND" in str(o.actual or "") for o in report.outcomes), report.outcomes
