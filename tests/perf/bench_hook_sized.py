"""Pre-push hook cost on a real-sized repository: a few hundred files, a long history.

The repository is built here with ``git fast-import``: 320 files (160 Python
modules under a ruff configuration, 100 C sources and headers with a
compile_commands.json, 60 Markdown / YAML / text files) and 3,000 commits
touching them one by one, with signed-off messages. Then the hook is timed on
a push of:

(a) one realistic commit: two Python modules edited (a new function and a
    changed one, ~40 lines) — the issue's target is < 0.5 s added;
(b) one commit with no Python or C change (docs and CI YAML) — target < 0.3 s;
(c) one commit editing a Python module and a C source.

Each is the median of 5 pushes to a fresh bare remote, against the same push
with ``--no-verify`` (no hook) measured alternately in the same run; wall
seconds, and CPU seconds (user + system of every process the push ran: on a
machine others load, the figure that does not move with them).

Before / after: with ``DUCKFIX_BENCH_BEFORE=PYTHON`` (an interpreter whose
``duckfix`` is an older version, such as another checkout's .venv), the hook
is also run by that interpreter, alternately with this one, and both rows
are printed. Its bytecode goes to a folder of its own (PYTHONPYCACHEPREFIX),
so the other checkout is only read.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from duckfix.service.hook import hook_script

from tests.perf.bench_hook import Workspace

REPEATS = 5
HISTORY = 3000
TARGETS = {"a": 0.5, "b": 0.3}
PY = [f"src/pkg/mod_{i:03d}.py" for i in range(160)]
C = [f"csrc/unit_{i:02d}.c" for i in range(70)] + [f"include/unit_{i:02d}.h" for i in range(30)]
DOCS = [f"docs/page_{i:02d}.md" for i in range(50)]
DOCS += [f".github/workflows/ci_{i}.yml" for i in range(10)]
PYPROJECT = """[project]
name = "pkg"
version = "1.0"

[tool.ruff]
line-length = 100
fix = true

[tool.ruff.lint]
extend-select = ["I", "B", "UP"]
"""


def py_module(i: int, rev: int) -> str:
    funcs = "".join(
        f'\n\ndef f_{i}_{n}(x: int) -> int:\n    """Scale ``x`` (revision {rev})."""\n'
        f"    return x * {n} + {rev}\n"
        for n in range(20)
    )
    return f'"""Module {i}."""\n\nfrom __future__ import annotations\n{funcs}'


def c_file(path: str, rev: int) -> str:
    if path.endswith(".h"):
        name = Path(path).stem.upper()
        return f"#ifndef {name}_H\n#define {name}_H\nint {Path(path).stem}_rev(void);\n#endif\n"
    body = "".join(f"int g_{n}(int x);\nint g_{n}(int x)\n{{\n\treturn x * {n} + {rev};\n}}\n\n"
                   for n in range(15))  # fmt: skip
    return f'#include "unit_00.h"\n\n{body}'


def fast_import(ws: Workspace) -> None:
    """The base tree and HISTORY commits, written through one git fast-import."""
    files = {p: py_module(i, 0) for i, p in enumerate(PY)}
    files |= {p: c_file(p, 0) for p in C}
    files |= {p: f"# Page {p}\n\nSome prose, one paragraph a line.\n" for p in DOCS}
    files["pyproject.toml"] = PYPROJECT
    db = [{"directory": str(ws.repo), "file": str(ws.repo / p), "arguments":
           ["cc", "-Iinclude", "-std=gnu11", "-c", p]} for p in C if p.endswith(".c")]  # fmt: skip
    files["compile_commands.json"] = json.dumps(db)
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(f"data {len(raw)}\n".encode() + raw + b"\n")

    every = PY + C + DOCS
    for n in range(HISTORY + 1):
        stream.append(b"commit refs/heads/main\n")
        who = f"Dev {n % 7} <dev{n % 7}@example.org>"
        stream.append(f"committer {who} {1600000000 + n * 600} +0000\n".encode())
        subject = (
            "Start the project" if n == 0 else f"pkg: adjust {Path(every[n % len(every)]).stem}"
        )
        data(f"{subject}\n\nWhy: round {n} of the history.\n\nSigned-off-by: {who}\n")
        changed = files if n == 0 else {}
        if n:
            path = every[n % len(every)]
            if path in PY:
                changed = {path: py_module(PY.index(path), n)}
            elif path in C:
                changed = {path: c_file(path, n)}
            else:
                changed = {path: f"# Page\n\nRevision {n}.\n"}
        for path, text in changed.items():
            stream.append(f"M 100644 inline {path}\n".encode())
            data(text)
    done = subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=ws.repo, input=b"".join(stream),
        env=ws.env, capture_output=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(done.stderr.decode())
    ws.git("reset", "-q", "--hard", "main")


def edit(ws: Workspace, files: dict[str, str], subject: str) -> str:
    for path, text in files.items():
        (ws.repo / path).parent.mkdir(parents=True, exist_ok=True)
        (ws.repo / path).write_text(text)
        ws.git("add", path)
    message = f"{subject}\n\nA realistic change.\n\nSigned-off-by: Bench <bench@example.com>"
    ws.git("commit", "-q", "-m", message)
    return ws.git("rev-parse", "HEAD")


def realistic_py(path: str) -> str:
    text = (Path(path)).read_text()
    guard = "    if x < 0:\n        raise ValueError(x)\n"
    text = text.replace("    return x * 3 +", guard + "    return x * 3 +")
    return text + "".join(
        f'\n\ndef window_{n}(xs: list[int], size: int) -> list[int]:\n'
        f'    """The last ``size`` items of ``xs``."""\n'
        f"    if size <= 0:\n        return []\n    return xs[-size:]\n"
        for n in range(5)
    )  # fmt: skip


def main(repeats: int = REPEATS) -> None:
    with tempfile.TemporaryDirectory(prefix="duckfix-bench-hook-sized-") as tmp:
        ws = Workspace(Path(tmp))
        fast_import(ws)
        base = ws.git("rev-parse", "HEAD")
        count = ws.git("rev-list", "--count", "HEAD")
        print(f"repository            {len(ws.git('ls-files').split())} files, {count} commits")
        cases = {
            "a": edit(
                ws,
                {p: realistic_py(str(ws.repo / p)) for p in PY[:2]},
                "pkg: validate scale inputs, add windows",
            ),
        }
        ws.git("reset", "-q", "--hard", base)
        docs = {DOCS[0]: "# Page\n\nA new paragraph of prose that runs on as prose does.\n",
                DOCS[-1]: "name: ci\non: [push]\njobs: {}\n"}  # fmt: skip
        cases["b"] = edit(ws, docs, "docs: explain the windows")
        ws.git("reset", "-q", "--hard", base)
        c_path = C[0]
        c_text = (ws.repo / c_path).read_text() + "int g_new(int x)\n{\n\treturn x + 1;\n}\n"
        cases["c"] = edit(ws, {PY[3]: realistic_py(str(ws.repo / PY[3])), c_path: c_text},
                          "pkg: add g_new and windows")  # fmt: skip
        ws.git("reset", "-q", "--hard", base)
        ws.install()
        hooks = {"": sys.executable}
        if before := os.environ.get("DUCKFIX_BENCH_BEFORE"):
            hooks = {"before": before, "after": sys.executable}
            ws.env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for name, tip in cases.items():
            stat = ws.git("diff", "--shortstat", base, tip)
            runs: dict[str | None, list[tuple[float, float]]] = {None: []}
            for label, python in hooks.items():
                use_hook(ws, python)
                ws.push(base, tip, True)  # warm the page cache, bytecode and ruff's binary
                runs[label] = []
            for _ in range(repeats):
                runs[None].append(timed_push(ws, base, tip, False))
                for label, python in hooks.items():
                    use_hook(ws, python)
                    runs[label].append(timed_push(ws, base, tip, True))
            wall = {h: statistics.median(w for w, _ in runs[h]) for h in runs}
            cpu = {h: statistics.median(c for _, c in runs[h]) for h in runs}
            print(f"case ({name})  {stat}")
            for label in hooks:
                added, name_ = wall[label] - wall[None], f"{label} " if label else ""
                target = TARGETS.get(name)
                verdict = "" if target is None else (
                    f"  target < {target} s: {'met' if added < target else 'NOT met'}")  # fmt: skip
                print(f"  {name_}wall: without hook {wall[None]:6.3f} s  "
                      f"with {wall[label]:6.3f} s  added {added:6.3f} s (median of {repeats})"
                      f"{verdict}")  # fmt: skip
                spent = cpu[label] - cpu[None]
                print(f"  {name_}cpu:  without hook {cpu[None]:6.3f} s  "
                      f"with {cpu[label]:6.3f} s  added {spent:6.3f} s")  # fmt: skip
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average at the end: {load} (on {os.cpu_count()} cores)")


def use_hook(ws: Workspace, python: str) -> None:
    """Make ``python -m duckfix`` the interpreter the installed pre-push hook runs."""
    (ws.repo / ".git" / "hooks" / "pre-push").write_text(hook_script(python))


def timed_push(ws: Workspace, base: str, tip: str, hook: bool) -> tuple[float, float]:
    """(wall s, CPU s of every process the push ran) for one push."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = ws.push(base, tip, hook)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ws.push also made the fresh remote (an init and a push); those are in both sides alike.
    return wall, cpu


if __name__ == "__main__":
    main()
