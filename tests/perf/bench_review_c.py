"""Time to review a commit that changes a few C / C++ files: the gcc check and the whole CLI.

A repository with two C sources, a C header and an HLS C++ kernel (``ap_int``);
one commit adds a function with an unused variable to each. Measured: the
``c`` check alone on each file (in-process, after one warm-up), and
``duckfix review --range HEAD~1..HEAD`` as a user runs it, with every check and
with the ``c`` check alone. No model.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPEATS = 7

FILES = {
    "src/queue.c": '#include "queue.h"\n\nint queue_len(const struct queue *q)\n{\n'
    "\treturn q->tail - q->head;\n}\n",
    "src/queue.h": "#ifndef QUEUE_H\n#define QUEUE_H\nstruct queue { int head, tail; };\n"
    "int queue_len(const struct queue *q);\n#endif\n",
    "src/util.c": "#include <string.h>\n\nsize_t util_len(const char *s)\n{\n"
    "\treturn strlen(s);\n}\n",
    "hls/acc.cpp": '#include "ap_int.h"\n\nap_uint<16> acc(const ap_uint<8> in[16])\n{\n'
    "\tap_uint<16> sum = 0;\n\tfor (int i = 0; i < 16; i++) {\n#pragma HLS PIPELINE II=1\n"
    "\t\tsum += in[i];\n\t}\n\treturn sum;\n}\n",
}
ADDED = {
    "src/queue.c": "\nint queue_empty(const struct queue *q)\n{\n\tint spare;\n"
    "\treturn q->tail == q->head;\n}\n",
    "src/queue.h": "int queue_empty(const struct queue *q);\n",
    "src/util.c": "\nint util_same(const char *a, const char *b)\n{\n\tint spare;\n"
    "\treturn strcmp(a, b) == 0;\n}\n",
    "hls/acc.cpp": "\nap_uint<8> top(const ap_uint<8> in[16])\n{\n\tint spare;\n"
    "\treturn in[0];\n}\n",
}


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def build(root: Path, env: dict[str, str]) -> Path:
    """The repository: FILES committed, then a commit adding ADDED to them."""
    repo = root / "repo"
    repo.mkdir()
    _git(repo, env, "init", "-q", "-b", "main")
    for path, text in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "-m", "Add the queue, the helpers and the kernel")
    for path, text in ADDED.items():
        target = repo / path
        if path.endswith(".h"):  # before the #endif
            body = target.read_text().replace("#endif\n", text + "#endif\n")
            target.write_text(body)
        else:
            target.write_text(target.read_text() + text)
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "-m", "Add an emptiness test and a comparison")
    return repo


def _median(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(repeats: int = REPEATS) -> None:
    from duckfix.agents.review_checks import c_warnings
    from duckfix.pipelines.review.context import gather
    from duckfix.pipelines.review.inputs import from_range, open_repo
    from duckfix.review_settings import ReviewSettings

    with tempfile.TemporaryDirectory(prefix="duckfix-bench-review-c-") as tmp:
        root = Path(tmp)
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DUCKFIX_"))}
        env = {
            **kept,
            "HOME": str(root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com",
            "DUCKFIX_HOME": str(root / "duckfix-home"),
        }
        repo = build(root, env)
        settings = ReviewSettings()
        review = from_range(open_repo(repo), "HEAD~1..HEAD")
        contexts = gather(review, open_repo(repo))
        print(f"c check per file (in-process, median of {repeats}, after one warm-up)")
        total = 0.0
        for ctx in contexts:
            found = c_warnings.check(ctx, settings)
            seconds = _median(lambda c=ctx: c_warnings.check(c, settings), repeats)
            total += seconds
            what = ", ".join(sorted({f.category for f in found})) or "nothing"
            print(f"  {ctx.path:14} {seconds * 1000:7.1f} ms   {what}")
        print(f"  all {len(contexts)} files      {total * 1000:7.1f} ms")

        def review_cmd(run_env: dict[str, str]) -> None:
            done = subprocess.run(
                [sys.executable, "-m", "duckfix", "review", "--range", "HEAD~1..HEAD"],
                cwd=repo,
                env=run_env,
                capture_output=True,
                text=True,
                check=False,
            )
            if "unused" not in done.stdout:
                raise RuntimeError(f"the review found no unused variable: {done.stdout}")

        review_cmd(env)  # warm the page cache
        whole = _median(lambda: review_cmd(env), repeats)
        only_c = {**env, "DUCKFIX_REVIEW__CHECKS": "c"}
        c_alone = _median(lambda: review_cmd(only_c), repeats)
        print(f"duckfix review --range HEAD~1..HEAD (median of {repeats})")
        print(f"  every check          {whole:7.3f} s")
        print(f"  the c check alone    {c_alone:7.3f} s")


if __name__ == "__main__":
    main()
