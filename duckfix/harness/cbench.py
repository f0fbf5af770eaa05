"""Compile and run C / C++ test benches, one case per process (runs inside the sandbox).

Standard library only. Reads a JSON spec (path in argv[1]): the compiler
flags, the program's sources, the benches, the cases wanted (or all), the
per-case timeout, the results file. For each bench it compiles the bench with
the program's sources, lists its cases (``bench --list``) and runs each one
(``bench --case NAME``), appending one JSON line per case to the results file:
``{"name", "status", "expected", "actual", "message", "seconds"}``. A bench
that does not compile gives one ``error`` line naming the compiler's first
complaint; a case that crashes or trips a sanitizer is an ``error`` carrying
the sanitizer's report line; one that runs out of time is a ``timeout``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


def _emit(path: str, record: dict[str, object]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def _first_error(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        if " error: " in line or line.startswith("error:") or "fatal error" in line:
            return line.strip()[:500]
    return (lines[0] if lines else "the compiler failed with no message")[:500]


def _sanitizer(text: str) -> str | None:
    for line in text.splitlines():
        if any(marker in line for marker in _SANITIZER_MARKERS):
            return line.strip()[:500]
    return None


def _compile(spec: dict, bench: str, binary: str) -> str | None:
    sources = [str(s) for s in spec["sources"]]
    is_c = bench.endswith(".c") and all(s.endswith(".c") for s in sources)
    compiler = spec["cc"] if is_c else spec["cxx"]
    flags = [str(f) for f in (spec["cflags"] if is_c else spec["cxxflags"])]
    libs = [str(x) for x in spec.get("libs", [])]
    argv = [str(compiler), *flags, bench, *sources, "-o", binary, *libs]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=float(spec["compile_timeout"])
        )
    except subprocess.TimeoutExpired:
        return f"the compiler took more than {spec['compile_timeout']} s"
    except OSError as exc:
        return f"cannot run {compiler}: {exc}"
    if done.returncode != 0:
        return _first_error(done.stderr or done.stdout)
    return None


def _run_case(binary: str, case: str, timeout: float, env: dict[str, str]) -> dict[str, object]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [binary, "--case", case],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        return {
            "status": "timeout",
            "message": f"no result within {timeout:g} s",
            "seconds": time.monotonic() - started,
        }
    seconds = time.monotonic() - started
    record: dict[str, object] = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
    found = _sanitizer(done.stderr)
    if found is not None:
        return {"status": "error", "message": found, "seconds": seconds}
    if done.returncode == 0 and record.get("status") == "passed":
        return {"status": "passed", "seconds": seconds}
    if record.get("status") == "failed":
        return {
            "status": "failed",
            "expected": record.get("expected"),
            "actual": record.get("actual"),
            "message": record.get("message", ""),
            "seconds": seconds,
        }
    if done.returncode < 0:
        message = f"killed by signal {-done.returncode}"
    else:
        message = f"exited with code {done.returncode} without a result"
    tail = done.stderr.strip().splitlines()[-1:] if done.stderr.strip() else []
    return {
        "status": "error",
        "message": message + (f": {tail[0][:300]}" if tail else ""),
        "seconds": seconds,
    }


def _coverage(binary: str, wanted: list[str]) -> dict[str, list[int]]:
    """Lines of the ``wanted`` sources that ran, from the .gcda files ``binary`` wrote."""
    folder, _, name = binary.rpartition("/")
    data = [os.path.join(folder, f) for f in os.listdir(folder or ".") if f.startswith(name + "-")
            and f.endswith(".gcda")]  # fmt: skip
    if not data:
        return {}
    done = subprocess.run(
        ["gcov", "--json-format", "--stdout", *data],
        capture_output=True, text=True, timeout=60, cwd=".",
    )  # fmt: skip
    lines: dict[str, set[int]] = {}
    for chunk in done.stdout.splitlines():
        if not chunk.startswith("{"):
            continue
        try:
            report = json.loads(chunk)
        except ValueError:
            continue
        for entry in report.get("files", []):
            path = os.path.normpath(entry.get("file", ""))
            if path in wanted:
                ran = {int(x["line_number"]) for x in entry.get("lines", []) if x.get("count")}
                lines.setdefault(path, set()).update(ran)
    return {path: sorted(ns) for path, ns in lines.items()}


def _clear_counts(binary: str) -> None:
    folder, _, name = binary.rpartition("/")
    for f in os.listdir(folder or "."):
        if f.startswith(name + "-") and f.endswith(".gcda"):
            os.remove(os.path.join(folder, f))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    results = spec["results"]
    wanted = set(spec["only"]) if spec.get("only") is not None else None
    env = dict(os.environ)
    # LeakSanitizer needs ptrace, which the sandbox does not give; memory is
    # capped by ASan itself since the address-space limit is off for its builds.
    env["ASAN_OPTIONS"] = (
        f"detect_leaks=0:hard_rss_limit_mb={int(spec['memory_mb'])}:abort_on_error=0"
    )
    env["UBSAN_OPTIONS"] = "print_stacktrace=0:halt_on_error=1"
    for index, bench in enumerate(spec["benches"]):
        binary = f"_duckfix/bench_{index}"
        error = _compile(spec, bench, binary)
        if error is not None:
            _emit(
                results, {"name": bench, "status": "error", "message": f"does not compile: {error}"}
            )
            continue
        listed = subprocess.run(
            [binary, "--list"], capture_output=True, text=True, timeout=10, env=env
        )
        cases = [c.strip() for c in listed.stdout.splitlines() if c.strip()]
        if listed.returncode != 0 or not cases:
            _emit(
                results,
                {
                    "name": bench,
                    "status": "error",
                    "message": "the bench lists no cases (is DUCKFIX_MAIN there?)",
                },
            )
            continue
        covered = [os.path.normpath(str(s)) for s in spec.get("coverage") or []]
        for case in cases:
            name = f"{bench}::{case}"
            if wanted is not None and name not in wanted:
                continue
            if covered:
                _clear_counts(binary)
            record = {"name": name, **_run_case(binary, case, float(spec["timeout"]), env)}
            if covered:
                # gcov's counts are written at exit: a case that crashed has none.
                record["lines"] = _coverage(binary, covered)
            _emit(results, record)


if __name__ == "__main__":
    main()
