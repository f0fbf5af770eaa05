"""Validations per second: template candidates run against visible tests, cold vs warm.

Cold: every run starts a new interpreter in the sandbox (and, for pytest tasks,
imports pytest). Warm (the default): the run forks from a process that has its
harness's modules imported (for pytest tasks: pytest, with a session rehearsed
and its configuration and fixture lists prepared; ``sandbox.run(warm=True)``),
with the same isolation. Both sides validate the
same candidates of the same tasks, alternating task by task; the ratio is what
the issue's targets ask for (≥ 5x pytest, ≥ 3x JSON cases).

Beside runs per second, the CPU milliseconds a run costs (this process and every
process of the runs, the spawners included): on a machine other work is
loading, wall-clock rates follow the load, CPU time much less. A second table
splits that CPU between this process, the spawners and the runs' own processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import resource
import time

from duckfix.agents.fixer import validate_batch
from duckfix.agents.templates import Candidate, generate
from duckfix.datasets.suites import load_suite
from duckfix.models import Suspect, Task
from duckfix.runner import RunOptions, hls_include, run_tests, scaled_to

CANDIDATES = 24
"""Candidates validated per task and side."""
WORKERS = 2
TASKS = {
    "JSON cases": ("builtin", ["lower_bound", "caesar_shift", "run_length_encode", "house_robber"]),
    "pytest": ("builtin", ["lru_cache", "trie", "min_stack", "ring_buffer"]),
    "C bench": ("hls", ["vecsum"]),
}


def _setup(
    task: Task, options: RunOptions
) -> tuple[list[Candidate], list[str], list[str], RunOptions]:
    report = run_tests(task, "visible", None, options)
    failing = [o.name for o in report.failed]
    passing = [o.name for o in report.passed]
    fixed = task.fixed or task.buggy
    path = task.program
    # Suspects: the lines the fix changes first, then the rest; enough candidates
    # that most fail, as a real round does.
    old, new = task.buggy[path].splitlines(), fixed[path].splitlines()
    changed = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b] or [1]
    lines = changed + [n for n in range(1, len(old) + 1) if n not in changed]
    suspects = [Suspect(path=path, line=n, score=1.0 / (i + 1)) for i, n in enumerate(lines)]
    candidates = list(generate(task.buggy, suspects))[:CANDIDATES]
    return candidates, failing, passing, scaled_to(options, report)


@dataclasses.dataclass
class Cpu:
    """CPU seconds so far: this process, the sandbox's spawners, the runs they reaped."""

    caller: float = 0.0
    spawners: float = 0.0
    runs: float = 0.0

    @property
    def total(self) -> float:
        return self.caller + self.spawners + self.runs

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.caller - other.caller, self.spawners - other.spawners, self.runs - other.runs
        )

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.caller + other.caller, self.spawners + other.spawners, self.runs + other.runs
        )


def cpu_now() -> Cpu:
    """CPU used so far by this process and its children, live ones included (the
    sandbox's spawners, which reap every run; a spawner that ended counts as runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = Cpu(caller=own.ru_utime + own.ru_stime, runs=ended.ru_utime + ended.ru_stime)
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid():  # utime, stime, cutime, cstime
                cpu.spawners += (int(fields[11]) + int(fields[12])) / tick
                cpu.runs += (int(fields[13]) + int(fields[14])) / tick
    return cpu


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _rate(tasks: list[Task], options: RunOptions) -> tuple[tuple[float, Cpu], ...]:
    """(Validations per second, CPU ms per validation) over ``tasks``: cold, then warm."""
    seconds = {False: 0.0, True: 0.0}
    cpu = {False: Cpu(), True: Cpu()}
    count = {False: 0, True: 0}
    for task in tasks:
        base = dataclasses.replace(options, warm=True)
        candidates, failing, passing, scaled = _setup(task, base)
        for warm in (False, True):
            opts = dataclasses.replace(scaled, warm=warm)
            started, used = time.perf_counter(), cpu_now()
            results = validate_batch(
                task, dict(task.buggy), candidates, failing, passing, opts, WORKERS
            )
            seconds[warm] += time.perf_counter() - started
            cpu[warm] += cpu_now() - used
            count[warm] += sum(r.runs for r in results)
    return tuple(
        (
            count[w] / seconds[w],
            Cpu(*(1000 * x / count[w] for x in (cpu[w].caller, cpu[w].spawners, cpu[w].runs))),
        )
        for w in (False, True)
    )


def main() -> None:
    options = RunOptions(case_timeout=2.0, hls_include=hls_include())
    print(f"start: {load()}")
    print(
        f"{'tests':12} {'cold runs/s':>11} {'warm runs/s':>11} {'ratio':>6}"
        f" {'cold cpu ms':>11} {'warm cpu ms':>11} {'ratio':>6}"
    )
    splits: list[str] = []
    for label, (suite, names) in TASKS.items():
        if suite == "hls" and options.hls_include is None:
            print(f"{label:12} skipped: the hls extra is not installed")
            continue
        tasks = [t for t in load_suite(suite) if t.id in names]
        if len(tasks) != len(names):
            missing = sorted(set(names) - {t.id for t in tasks})
            raise SystemExit(f"bench_validate: no task {', '.join(missing)} in suite {suite!r}")
        (cold, cold_cpu), (warm, warm_cpu) = _rate(tasks, options)
        print(
            f"{label:12} {cold:11.1f} {warm:11.1f} {warm / cold:6.2f}"
            f" {cold_cpu.total:11.1f} {warm_cpu.total:11.1f} {cold_cpu.total / warm_cpu.total:6.2f}"
        )
        for side, cpu in (("cold", cold_cpu), ("warm", warm_cpu)):
            splits.append(
                f"{label:12} {side:>4} {cpu.caller:8.1f} {cpu.spawners:9.1f} {cpu.runs:7.1f}"
            )
    # Where a run's CPU goes: this process (writing the run's files, reading its
    # results), the spawners (a fork per run), the run's own processes (set-up of
    # its namespaces and root, then the harness: a new interpreter, or a fork).
    print(f"\nCPU ms per run\n{'tests':12} {'side':>4} {'caller':>8} {'spawners':>9} {'runs':>7}")
    print("\n".join(splits))
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
