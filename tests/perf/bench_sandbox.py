"""Sandbox overhead: a trivial Python program through duckfix.sandbox vs plain subprocess.run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duckfix import sandbox

RUNS = 200
PROGRAM = "print(sum(range(100)))\n"


def _plain(workdir: Path) -> None:
    subprocess.run([sys.executable, "prog.py"], cwd=workdir, capture_output=True, check=True)


def _sandboxed(workdir: Path) -> None:
    result = sandbox.run([sys.executable, "prog.py"], tree=workdir)
    assert result.ok, result.describe()


def _median(fn: object, workdir: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn(workdir)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(runs: int = RUNS) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "prog.py").write_text(PROGRAM)
        _plain(workdir)
        _sandboxed(workdir)  # first call probes the isolation mode
        # Alternate run by run, so drift on a busy machine (or a VM's neighbours)
        # hits both sides alike; the medians are compared.
        plain_t, sandbox_t = [], []
        for _ in range(runs):
            plain_t.append(_median(_plain, workdir, 1))
            sandbox_t.append(_median(_sandboxed, workdir, 1))
    plain, boxed = statistics.median(plain_t), statistics.median(sandbox_t)
    mode = sandbox.isolation_mode()
    print(f"runs per side        {runs}")
    print(f"isolation            {mode}")
    print(f"subprocess.run       {plain * 1000:7.2f} ms (median)")
    print(f"duckfix sandbox      {boxed * 1000:7.2f} ms (median)")
    print(f"overhead             {(boxed - plain) * 1000:7.2f} ms")
    print(f"ratio                {boxed / plain:7.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
