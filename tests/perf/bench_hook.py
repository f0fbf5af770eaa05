"""Pre-push hook cost as a user feels it: `git push` to a local bare remote, hook vs no hook.

Each push goes to a fresh bare remote that already holds the base history, so
both sides send the same commits from the same repository; "without" is the
same push with ``--no-verify`` (git runs no hook). Sides alternate so drift on
a busy machine hits both alike. No model: the default provider (``none``).

Cases: (a) 1 commit adding 200 lines of Python; (b) 20 commits adding 5,000
lines across 5 Python and 3 C files. Also: ``python -X importtime -m duckfix
hook pre-push`` with empty stdin (and on case (a)'s ref line), whether
LangGraph or the OpenAI client were imported, and ``duckfix hook pre-push`` run
alone on case (a)'s ref line, against a bare interpreter start.
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
TARGET_ADDED = 0.5
"""Seconds the hook may add to case (a)'s push."""
HEAVY = ("langgraph", "openai")

PY_FILES = [f"pkg/module_{i}.py" for i in range(5)]
C_FILES = [f"csrc/unit_{i}.c" for i in range(3)]


def py_block(tag: str, lines: int) -> str:
    """``lines`` lines of lint-clean Python: small typed functions, 5 lines each."""
    out = []
    for n in range(lines // 5):
        out += [
            "",
            "",
            f"def f_{tag}_{n}(x: int) -> int:",
            f'    """Scale ``x`` by {n}."""',
            f"    return x * {n} + {len(tag)}",
        ]
    return "\n".join(out) + "\n"


def c_block(tag: str, lines: int) -> str:
    """``lines`` lines of C that gcc -Wall -Wextra accepts: prototype, then definition."""
    out = []
    for n in range(lines // 5):
        out += [
            f"int g_{tag}_{n}(int x);",
            f"int g_{tag}_{n}(int x)",
            "{",
            f"    return x * {n} + 1;",
            "}",
        ]
    return "\n".join(out) + "\n"


class Workspace:
    """A repository with the hook installed, the base history, and the commits to push."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = root / "work"
        home = root / "home"
        home.mkdir()
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DUCKFIX_"))}
        kept = {k: v for k, v in kept.items() if not k.startswith("PRE_COMMIT_")}
        # A user's shell does not forbid bytecode caches: with this set (as some
        # CI and agent environments do) every push recompiles duckfix's ~230
        # modules from source, about 0.2 s of CPU that no user pays.
        kept.pop("PYTHONDONTWRITEBYTECODE", None)
        # No DUCKFIX_LLM__PROVIDER: unset means no model ("none" in the environment
        # reads as unset and is rejected).
        self.env = {
            **kept,
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "DUCKFIX_HOME": str(root / "duckfix-home"),
        }
        self.remotes = 0
        self.repo.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Bench")
        self.git("config", "user.email", "bench@example.com")
        self.git("remote", "add", "origin", str(root / "none.git"))

    def run(
        self, *args: str, input: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=cwd or self.repo,
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def git(self, *args: str) -> str:
        done = self.run("git", *args)
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {done.stderr}")
        return done.stdout.strip()

    def commit(self, files: dict[str, str], subject: str) -> str:
        for path, text in files.items():
            target = self.repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a") as fh:
                fh.write(text)
            self.git("add", path)
        message = f"{subject}\n\nPart of the benchmark history: lint-clean additions.\n"
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def install(self) -> None:
        done = self.run(sys.executable, "-m", "duckfix", "hook", "install")
        if done.returncode != 0:
            raise RuntimeError(f"duckfix hook install: {done.stderr}")

    def fresh_remote(self, base: str) -> Path:
        """A new bare remote holding ``base`` as main; origin points at it."""
        self.remotes += 1
        remote = self.root / f"remote-{self.remotes}.git"
        self.run("git", "init", "-q", "--bare", str(remote), cwd=self.root)
        self.git("remote", "set-url", "origin", str(remote))
        self.git("push", "-q", "--no-verify", "origin", f"{base}:refs/heads/main")
        return remote

    def push(self, base: str, tip: str, hook: bool) -> float:
        """Seconds for `git push origin tip:main` onto a remote at ``base``."""
        self.fresh_remote(base)
        args = ["git", "push", "-q", *([] if hook else ["--no-verify"])]
        started = time.perf_counter()
        done = self.run(*args, "origin", f"{tip}:refs/heads/main")
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(
                f"push {'with' if hook else 'without'} the hook failed: {done.stderr}"
            )
        return seconds


def build(ws: Workspace) -> dict[str, tuple[str, str]]:
    """The base history and each case's (base, tip)."""
    start = {path: py_block(f"base{i}", 100) for i, path in enumerate(PY_FILES)}
    start |= {path: c_block(f"base{i}", 100) for i, path in enumerate(C_FILES)}
    base = ws.commit(start, "Add the base modules")
    a_tip = ws.commit({PY_FILES[0]: py_block("a", 200)}, "Add the scaling helpers")
    ws.git("switch", "-q", "-c", "many", base)
    files = PY_FILES + C_FILES
    for n in range(20):
        path = files[n % len(files)]
        block = py_block if path.endswith(".py") else c_block
        tip = ws.commit({path: block(f"b{n}", 250)}, f"Add helper batch {n}")
    ws.git("switch", "-q", "main")
    return {"a": (base, a_tip), "b": (base, tip)}


def _median_pair(fn: Callable[[bool], float], repeats: int) -> tuple[float, float]:
    with_t, without_t = [], []
    for _ in range(repeats):
        without_t.append(fn(False))
        with_t.append(fn(True))
    return statistics.median(with_t), statistics.median(without_t)


def importtime(ws: Workspace, stdin: str) -> tuple[float, float, list[str], int]:
    """(wall s, total import s, heavy modules imported, modules imported) of the hook command."""
    started = time.perf_counter()
    done = ws.run(
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "duckfix",
        "hook",
        "pre-push",
        "origin",
        "url",
        input=stdin,
    )
    wall = time.perf_counter() - started
    total_us, names = 0, []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        total_us += int(self_us)
        names.append(name.strip())
    heavy = sorted({n for n in names if n.split(".")[0] in HEAVY})
    return wall, total_us / 1e6, heavy, len(names)


def _timed(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(repeats: int = REPEATS) -> None:
    with tempfile.TemporaryDirectory(prefix="duckfix-bench-hook-") as tmp:
        ws = Workspace(Path(tmp))
        cases = build(ws)
        ws.install()
        added_a = 0.0
        for name, (base, tip) in cases.items():
            stat = ws.git("diff", "--shortstat", base, tip)
            count = ws.git("rev-list", "--count", f"{base}..{tip}")
            ws.push(base, tip, True)  # warm the page cache and ruff's binary
            with_s, without_s = _median_pair(
                lambda hook, b=base, t=tip: ws.push(b, t, hook), repeats
            )
            print(f"case ({name})             {count} commit(s), {stat}")
            print(f"  push without hook    {without_s:7.3f} s (median of {repeats})")
            print(f"  push with hook       {with_s:7.3f} s")
            added, ratio = with_s - without_s, with_s / without_s
            print(f"  added by the hook    {added:7.3f} s   ratio {ratio:5.1f}")
            if name == "a":
                added_a = with_s - without_s

        base, tip = cases["a"]
        ws.fresh_remote(base)  # origin/main at base: the ref line's commits are new
        line = f"refs/heads/main {tip} refs/heads/main {base}\n"
        python = _timed(lambda: ws.run(sys.executable, "-c", "pass"), repeats)
        empty = _timed(
            lambda: ws.run(
                sys.executable, "-m", "duckfix", "hook", "pre-push", "origin", "url", input=""
            ),
            repeats,
        )
        alone = _timed(
            lambda: ws.run(
                sys.executable, "-m", "duckfix", "hook", "pre-push", "origin", "url", input=line
            ),
            repeats,
        )
        print("hook command alone (median)")
        print(f"  python -c pass                      {python:7.3f} s")
        print(f"  duckfix hook pre-push, empty stdin  {empty:7.3f} s")
        print(f"  duckfix hook pre-push, case (a)     {alone:7.3f} s")
        for label, stdin in (("empty stdin", ""), ("case (a)", line)):
            wall, total, heavy, count = importtime(ws, stdin)
            print(
                f"-X importtime, {label}: {count} modules, {total:.3f} s of imports "
                f"(wall {wall:.3f} s); langgraph/openai imported: "
                f"{', '.join(heavy) if heavy else 'no'}"
            )
    verdict = "met" if added_a < TARGET_ADDED else "NOT met"
    print(f"target: under {TARGET_ADDED} s added for (a): {verdict} ({added_a:.3f} s)")


if __name__ == "__main__":
    main()
