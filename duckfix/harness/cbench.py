"""Compile and run C / C++ test benches, one case per process (runs inside the sandbox).

Standard library only. Reads a JSON spec (path in argv[1]): the compiler
flags, the program's sources, the benches, the cases wanted (or all), the
per-case timeout. For each bench it compiles the bench and
the program's sources (each to an object, as the compiler driver would; the
sources once for all benches) and links them, lists its cases (``bench
--list``) and runs each one (``bench --case NAME``), appending one JSON line per
case to the report channel: ``{"name", "status", "expected", "actual", "message",
"seconds"}``. A bench that does not compile gives one ``error`` line naming the
compiler's first complaint; a case that crashes or trips a sanitizer is an
``error`` carrying the sanitizer's report line; one that runs out of time is a
``timeout``. One ``{"build": bench, "steps": [...]}`` line per bench says how it
was built.

Two speed-ups come from the spec (``duckfix/cbuild_cache.py`` decides them):
``objects`` maps a bench to an object already compiled from it (with the same
flags), and ``pch`` maps a source to a header to take first with ``-include``,
its precompiled ``.gch`` next to it. A compile with the PCH that fails for any
reason is done again without it: a verdict never rests on the PCH.

With ``compile`` in the spec, the script only compiles: each job's source to
its object, with a ``-MD`` dependency file, one ``{"output", "ok", "message"}``
line per job. Nothing else runs in such a run, so its objects can be kept.

Where verdicts come from: the kernel under test is linked into each bench, so
nothing a bench prints or exits with is believed on its own. Each bench process
gets a fresh secret on a pipe it reads first thing (``duckfix_tb.h``) and
reports its cases and its case's end on another pipe, with that secret; this
script, which makes itself undumpable so its children (same uid) can neither
trace it nor open its descriptors, writes the results to the run's report
channel (descriptor 3) with the run's own secret (read from descriptor 4 before
anything else runs), and ends with ``{"finished": true}``. A run without that
last line cannot pass.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import subprocess
import sys
import time

_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


_REPORT_FD, _SECRET_FD = 3, 4
_PR_SET_DUMPABLE = 4
_SECRET = ""


def _channels() -> None:
    """Take the run's secret, keep the report channel to ourselves, and become undumpable."""
    global _SECRET
    data = b""
    while chunk := os.read(_SECRET_FD, 256):
        data += chunk
    os.close(_SECRET_FD)
    _SECRET = data.decode()
    os.set_inheritable(_REPORT_FD, False)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


def _emit(record: dict[str, object]) -> None:
    os.write(_REPORT_FD, (json.dumps({**record, "secret": _SECRET}) + "\n").encode())


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


_OBJ = "_duckfix/obj"


class _Build:
    """Objects and binaries of one run: sources compiled once per language, benches linked."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.sources = [str(s) for s in spec["sources"]]
        self.libs = [str(x) for x in spec.get("libs", [])]
        self.pch = {str(k): str(v) for k, v in (spec.get("pch") or {}).items()}
        self.prebuilt = {str(k): str(v) for k, v in (spec.get("objects") or {}).items()}
        self.limit = float(spec["compile_timeout"])
        self.done: dict[tuple[str, str], tuple[str, str | None]] = {}
        os.makedirs(_OBJ, exist_ok=True)

    def bench(self, index: int, bench: str, binary: str) -> tuple[str | None, list[str], list]:
        """Build ``bench`` into ``binary``: (the first compile error or None, objects, steps)."""
        is_c = bench.endswith(".c") and all(s.endswith(".c") for s in self.sources)
        lang = "c" if is_c else "cxx"
        compiler = str(self.spec["cc"] if is_c else self.spec["cxx"])
        flags = [str(f) for f in (self.spec["cflags"] if is_c else self.spec["cxxflags"])]
        deadline = time.monotonic() + self.limit
        steps: list[dict[str, object]] = []
        # The driver compiles the bench first, then the sources in order: the first
        # error it would print is the first error of these compiles, in this order.
        prebuilt = self.prebuilt.get(bench)
        if prebuilt is not None and os.path.isfile(prebuilt):
            objects = [prebuilt]
            steps.append({"source": bench, "object": "prebuilt"})
        else:
            out = f"{_OBJ}/bench_{index}.o"
            started = time.monotonic()
            error, how = _compile_one(compiler, flags, bench, out, None, deadline, self.limit)
            steps.append({"source": bench, "object": "built", "pch": how,
                          "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
            if error is not None:
                return error, [], steps
            objects = [out]
        for i, source in enumerate(self.sources):
            if (lang, source) not in self.done:
                out = f"{_OBJ}/{lang}_{i}.o"
                pch = None if is_c else self.pch.get(source)
                started = time.monotonic()
                error, how = _compile_one(compiler, flags, source, out, pch, deadline, self.limit)
                self.done[lang, source] = (out, error)
                steps.append({"source": source, "object": "built", "pch": how,
                              "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
            out, error = self.done[lang, source]
            if error is not None:
                return error, [], steps
            objects.append(out)
        code, text = _run([compiler, *flags, *objects, "-o", binary, *self.libs], deadline)
        if code != 0:
            return _failure(code, text, compiler, self.limit), [], steps
        return None, objects, steps


def _run(argv: list[str], deadline: float) -> tuple[int | None, str]:
    """Exit code (None: out of time) and output of one compiler run; -1 if it cannot start."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",  # a source's stray bytes, quoted back in a diagnostic
            timeout=max(deadline - time.monotonic(), 0.01),
        )
    except subprocess.TimeoutExpired:
        return None, ""
    except OSError as exc:
        return -1, f"cannot run {argv[0]}: {exc}"
    return done.returncode, done.stderr or done.stdout


def _failure(code: int | None, text: str, compiler: str, limit: float) -> str:
    if code is None:
        return f"the compiler took more than {limit} s"
    if code == -1 and text.startswith("cannot run"):
        return text
    return _first_error(text)


def _compile_one(
    compiler: str,
    flags: list[str],
    source: str,
    output: str,
    pch: str | None,
    deadline: float,
    limit: float,
    extra: tuple[str, ...] = (),
) -> tuple[str | None, str | None]:
    """Compile ``source`` to ``output``: (the first error or None, what became of the PCH)."""
    argv = [compiler, *flags, "-c", source, "-o", output, *extra]
    how = None
    if pch is not None:
        if os.access(pch, os.R_OK) and os.access(pch + ".gch", os.R_OK):
            code, text = _run([*argv, "-Winvalid-pch", "-include", pch], deadline)
            if code == 0:
                return None, "rejected" if ".gch: not used because" in text else "used"
            how = "failed"  # whatever the cause, the plain build gives the verdict
        else:
            how = "unreadable"
    code, text = _run(argv, deadline)
    if code != 0:
        return _failure(code, text, compiler, limit), how
    return None, how


def _bench(
    argv: list[str], timeout: float, env: dict[str, str]
) -> tuple[int | None, str, list[dict]]:
    """Run a bench process: (exit code or None on a timeout, its stderr, its believed records).

    The records come from the bench's report pipe, and only those carrying the
    secret handed to this very process count.
    """
    secret = secrets.token_hex(16)
    secret_r, secret_w = os.pipe()
    report_r, report_w = os.pipe()
    os.write(secret_w, secret.encode())
    os.close(secret_w)
    channels = {"DUCKFIX_SECRET_FD": str(secret_r), "DUCKFIX_REPORT_FD": str(report_w)}
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            errors="replace", env={**env, **channels}, pass_fds=(secret_r, report_w),
        )  # fmt: skip
    finally:
        os.close(secret_r)
        os.close(report_w)
    os.set_blocking(report_r, False)
    report = bytearray()
    try:
        _, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        code = None
    finally:
        try:
            while len(report) < (1 << 20) and (chunk := os.read(report_r, 65536)):
                report += chunk
        except BlockingIOError:
            pass
        os.close(report_r)
    records = []
    for line in bytes(report).decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.pop("secret", None) == secret:
            records.append(record)
    return code, err or "", records


def _run_case(binary: str, case: str, timeout: float, env: dict[str, str]) -> dict[str, object]:
    started = time.monotonic()
    code, stderr, records = _bench([binary, "--case", case], timeout, env)
    seconds = time.monotonic() - started
    if code is None:
        return {"status": "timeout", "message": f"no result within {timeout:g} s",
                "seconds": seconds}  # fmt: skip
    record = next((r for r in records if r.get("case") == case), {})
    found = _sanitizer(stderr)
    if found is not None:
        return {"status": "error", "message": found, "seconds": seconds}
    if code == 0 and record.get("status") == "passed":
        return {"status": "passed", "seconds": seconds}
    if record.get("status") == "failed":
        return {
            "status": "failed",
            "expected": record.get("expected"),
            "actual": record.get("actual"),
            "message": record.get("message", ""),
            "seconds": seconds,
        }
    if code < 0:
        message = f"killed by signal {-code}"
    else:
        message = f"exited with code {code} without a result"
    tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
    return {
        "status": "error",
        "message": message + (f": {tail[0][:300]}" if tail else ""),
        "seconds": seconds,
    }


def _counts(objects: list[str]) -> list[str]:
    """The .gcda files of ``objects`` (gcov names them after the object)."""
    return [o[: -len(".o")] + ".gcda" for o in objects if o.endswith(".o")]


def _coverage(objects: list[str], wanted: list[str]) -> dict[str, list[int]]:
    """Lines of the ``wanted`` sources that ran, from the .gcda files of ``objects``."""
    data = [path for path in _counts(objects) if os.path.exists(path)]
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


def _clear_counts(objects: list[str]) -> None:
    for path in _counts(objects):
        if os.path.exists(path):
            os.remove(path)


def _compile_only(spec: dict) -> None:
    limit = float(spec["compile_timeout"])
    for job in spec["compile"]:
        started = time.monotonic()
        os.makedirs(os.path.dirname(str(job["output"])) or ".", exist_ok=True)
        error, _ = _compile_one(
            str(job["compiler"]), [str(f) for f in job["flags"]], str(job["source"]),
            str(job["output"]), None, started + limit, limit, ("-MD", "-MF", str(job["deps"])),
        )  # fmt: skip
        seconds = time.monotonic() - started
        record = {"output": job["output"], "ok": error is None, "message": error or ""}
        _emit({**record, "seconds": seconds})


def main() -> None:
    _channels()
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    if spec.get("compile") is not None:
        _compile_only(spec)
        _emit({"finished": True})
        return
    wanted = set(spec["only"]) if spec.get("only") is not None else None
    env = dict(os.environ)
    # LeakSanitizer needs ptrace, which the sandbox does not give; memory is
    # capped by ASan itself since the address-space limit is off for its builds.
    env["ASAN_OPTIONS"] = (
        f"detect_leaks=0:hard_rss_limit_mb={int(spec['memory_mb'])}:abort_on_error=0"
    )
    env["UBSAN_OPTIONS"] = "print_stacktrace=0:halt_on_error=1"
    build = _Build(spec)
    for index, bench in enumerate(spec["benches"]):
        binary = f"_duckfix/bench_{index}"
        error, objects, steps = build.bench(index, bench, binary)
        _emit({"build": bench, "steps": steps})
        if error is not None:
            _emit({"name": bench, "status": "error", "message": f"does not compile: {error}"})
            continue
        code, _, listed = _bench([binary, "--list"], 10, env)
        cases = next((r["cases"] for r in listed if isinstance(r.get("cases"), list)), None)
        if code != 0 or not cases:
            message = "the bench lists no cases (is DUCKFIX_MAIN there?)"
            _emit({"name": bench, "status": "error", "message": message})
            continue
        covered = [os.path.normpath(str(s)) for s in spec.get("coverage") or []]
        for case in (str(c) for c in cases):
            name = f"{bench}::{case}"
            if wanted is not None and name not in wanted:
                continue
            if covered:
                _clear_counts(objects)
            record = {"name": name, **_run_case(binary, case, float(spec["timeout"]), env)}
            if covered:
                # gcov's counts are written at exit: a case that crashed has none.
                record["lines"] = _coverage(objects, covered)
            _emit(record)
    _emit({"finished": True})


if __name__ == "__main__":
    main()
