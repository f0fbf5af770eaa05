"""Review benchmark on a history: `duckfix bench review --fixes` figures, and its cost per commit.

The history is built here: a small C library with a compile_commands.json and
a checkpatch-like script, plus a Python tool, 40 commits in rounds of four:
one with a bug gcc sees (an assignment in a condition), one with a bug no rule
sees (an off-by-one in Python), one clean, then a commit fixing the first two
(a ``Fixes:`` trailer, a revert every other round). Expected recall: the gcc
bugs only, half the later-fixed commits. Printed: the benchmark's figures and
seconds per commit against a baseline measured in the same run (``git show``
of each commit: reading the commit with nothing checked).

``BENCH_REVIEW_REPO=PATH BENCH_REVIEW_RANGE=A..B`` runs it on a real
repository instead; ``BENCH_REVIEW_PROVIDER=local`` (or ``openai``) adds the
model reviewer, with the model the settings name (``DUCKFIX_LLM__...``), and
``BENCH_REVIEW_ONLY_FIXED=1`` reviews only the commits later fixed (the recall's
commits: a model run over a long history is hours on a CPU).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.agents.review_checks.test_checks_checkpatch import FAKE_CHECKPATCH as CHECKPATCH

ROUNDS = 10


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str], subject: str, *trailers: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    body = (
        f"{subject}\n\nPart of the benchmark history.\n\nSigned-off-by: Bench <bench@example.org>\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", body + "".join(f"{t}\n" for t in trailers))
    return git(repo, "rev-parse", "HEAD")


def build(repo: Path) -> tuple[str, str]:
    """The history; returns its range (root..tip)."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    db = [{"directory": str(repo), "file": str(repo / "src/lib.c"),
           "arguments": ["cc", "-Iinclude", "-c", "src/lib.c"]}]  # fmt: skip
    c_text = '#include "lib.h"\n'
    py_text = "def window(xs, n):\n    return xs[:n]\n"
    root = commit(repo, {"include/lib.h": "int lib_len;\n", "src/lib.c": c_text,
                         "scripts/checkpatch.pl": CHECKPATCH, "tools/win.py": py_text,
                         "compile_commands.json": json.dumps(db)}, "lib: start")  # fmt: skip
    for n in range(ROUNDS):
        c_text += (
            f"\nint lib_clear_{n}(int *len)\n{{\n\tif (*len = 0)\n\t\treturn 1;\n\treturn 0;\n}}\n"
        )
        c_bug = commit(repo, {"src/lib.c": c_text}, f"lib: add lib_clear_{n}")
        old_py = py_text
        py_text += f"\n\ndef head_{n}(xs):\n    return xs[1:{n + 2}]\n"
        py_bug = commit(repo, {"tools/win.py": py_text}, f"win: add head_{n}")
        commit(repo, {"docs/notes.md": f"Round {n}.\n"}, f"docs: note round {n}")
        c_text = c_text.replace(f"lib_clear_{n}(int *len)\n{{\n\tif (*len = 0)",
                                f"lib_clear_{n}(int *len)\n{{\n\tif (*len == 0)")  # fmt: skip
        commit(repo, {"src/lib.c": c_text}, f"lib: compare in lib_clear_{n}",
               f'Fixes: {c_bug[:12]} ("lib: add lib_clear_{n}")')  # fmt: skip
        if n % 2:
            git(repo, "revert", "--no-edit", py_bug)
            py_text = old_py
        else:
            py_text = py_text.replace(f"xs[1:{n + 2}]", f"xs[:{n + 2}]")
            commit(repo, {"tools/win.py": py_text}, f"win: start head_{n} at 0",
                   f"Fixes: {py_bug[:12]}")  # fmt: skip
    return root, git(repo, "rev-parse", "HEAD")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duckfix-bench-review-") as tmp:
        if os.environ.get("BENCH_REVIEW_REPO"):
            repo = Path(os.environ["BENCH_REVIEW_REPO"])
            rev_range = os.environ.get("BENCH_REVIEW_RANGE", "HEAD~30..HEAD")
        else:
            repo = Path(tmp) / "lib"
            root, _ = build(repo)
            rev_range = f"{root}..HEAD"
        env = {**os.environ, "DUCKFIX_HOME": str(Path(tmp) / "home")}
        extra = (
            ["--provider", provider]
            if (provider := os.environ.get("BENCH_REVIEW_PROVIDER"))
            else []
        )
        if os.environ.get("BENCH_REVIEW_ONLY_FIXED"):
            extra.append("--only-fixed")
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "duckfix", "bench", "review", "--repo", str(repo),
             "--range", rev_range, "--fixes", "--json", *extra],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"duckfix bench review: {done.stderr}")
        report = json.loads(done.stdout)
        shas = [c["sha"] for c in report["commits"]]
        baseline = []
        for sha in shas:
            began = time.perf_counter()
            git(repo, "show", "--stat", "-p", sha)
            baseline.append(time.perf_counter() - began)
    n = report["commits_reviewed"]
    print(f"history               {repo.name if 'BENCH_REVIEW_REPO' in os.environ else 'built'}"
          f" {rev_range if 'BENCH_REVIEW_REPO' in os.environ else ''} {n} commits"
          f" {' '.join(extra)}")  # fmt: skip
    print(
        f"findings              {report['findings']} "
        f"({report['findings_per_commit']:.2f} per commit)"
    )
    print(f"  by check            {report['by_check']}")
    print(f"  by severity         {report['by_severity']}")
    print(f"commits without one   {report['without_finding']:.0%}")
    print(f"could not run         {report['not_run'] or 'nothing'}")
    recall = report["recall"]
    print(
        f"later fixed           {report['later_fixed']}, with a finding on a fixed line "
        f"{report['fixed_with_finding']} (recall {'n/a' if recall is None else f'{recall:.0%}'})"
    )
    base = statistics.median(baseline)
    per = report["seconds_per_commit"]
    print(f"seconds per commit    {per:.3f} (median)  baseline git show {base:.3f}  "
          f"ratio {per / base:.0f}x   wall {wall:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
