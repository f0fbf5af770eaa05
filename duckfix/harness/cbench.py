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

With ``runs`` in the spec (golden-output runs), there is no bench: the
sources, which hold the program's own ``main()``, are built once and each run
executes it with the run's arguments and stdin, reporting one ``{"name",
"status": "ran" | "timeout" | "error", "stdout", "exit", "message", "seconds"}``
line; stdout is cut at ``max_output`` bytes (more is an error) and the whole
process group goes at the end of each run. What the output should be is not
in the spec: the verdict is decided outside the sandbox (``duckfix/golden.py``).

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

import contextlib
import ctypes
import json
import os
import secrets
import subprocess
import sys
import threading
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

    def _toolchain(self, c_main: bool) -> tuple[str, str, list[str]]:
        """(language, compiler, flags): C only when the main file and every source are C."""
        is_c = c_main and all(s.endswith(".c") for s in self.sources)
        compiler = str(self.spec["cc"] if is_c else self.spec["cxx"])
        flags = [str(f) for f in (self.spec["cflags"] if is_c else self.spec["cxxflags"])]
        return ("c" if is_c else "cxx"), compiler, flags

    def bench(
        self, index: int, bench: str | None, binary: str
    ) -> tuple[str | None, list[str], list]:
        """Build ``bench`` (None: none, the sources have main()) into ``binary``: (the first
        compile error or None, objects, steps)."""
        lang, compiler, flags = self._toolchain(bench is None or bench.endswith(".c"))
        deadline = time.monotonic() + self.limit
        steps: list[dict[str, object]] = []
        # The driver compiles the bench first, then the sources in order: the first
        # error it would print is the first error of these compiles, in this order.
        prebuilt = self.prebuilt.get(bench) if bench is not None else None
        objects: list[str] = []
        if bench is not None and prebuilt is not None and os.path.isfile(prebuilt):
            objects = [prebuilt]
            steps.append({"source": bench, "object": "prebuilt"})
        elif bench is not None:
            out = f"{_OBJ}/bench_{index}.o"
            started = time.monotonic()
            error, how = _compile_one(compiler, flags, bench, out, None, deadline, self.limit)
            steps.append({"source": bench, "object": "built", "pch": how,
                          "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
            if error is not None:
                return error, [], steps
            objects = [out]
        error = self._sources(lang, compiler, flags, objects, steps, deadline)
        if error is not None:
            return error, [], steps
        code, text = _run([compiler, *flags, *objects, "-o", binary, *self.libs], deadline)
        if code != 0:
            return _failure(code, text, compiler, self.limit), [], steps
        return None, objects, steps

    def _sources(
        self, lang: str, compiler: str, flags: list[str], objects: list[str], steps: list,
        deadline: float,
    ) -> str | None:  # fmt: skip
        """Compile the program's sources once per language, adding their objects to ``objects``."""
        for i, source in enumerate(self.sources):
            if (lang, source) not in self.done:
                out = f"{_OBJ}/{lang}_{i}.o"
                pch = None if lang == "c" else self.pch.get(source)
                started = time.monotonic()
                error, how = _compile_one(compiler, flags, source, out, pch, deadline, self.limit)
                self.done[lang, source] = (out, error)
                steps.append({"source": source, "object": "built", "pch": how,
                              "seconds": round(time.monotonic() - started, 3)})  # fmt: skip
            out, error = self.done[lang, source]
            if error is not None:
                return error
            objects.append(out)
        return None

    def program(self, binary: str) -> tuple[str | None, list[str], list]:
        """Build the program's own ``main()`` into ``binary``: (error or None, objects, steps)."""
        return self.bench(-1, None, binary)


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


_STDERR_KEPT = 256 << 10


def _drain(stream: object, keep: int, into: bytearray, over: threading.Event) -> None:
    """Read ``stream`` to its end, keeping its first ``keep`` bytes; ``over`` if it had more."""
    while chunk := stream.read(65536):  # type: ignore[attr-defined]
        room = keep - len(into)
        if room > 0:
            into += chunk[:room]
        if len(chunk) > room:
            over.set()


def _feed(stream: object, data: bytes) -> None:
    try:
        stream.write(data)  # type: ignore[attr-defined]
        stream.close()  # type: ignore[attr-defined]
    except OSError:
        pass  # the program did not read all of its input: that is its business


def _run_program(
    binary: str, run: dict, timeout: float, env: dict[str, str], max_output: int
) -> dict[str, object]:
    """Run the program's own main() with a run's arguments and stdin: what it printed and how
    it ended. The verdict is not decided here (the expected output never enters the sandbox)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [binary, *[str(a) for a in run.get("args") or []]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, start_new_session=True,
    )  # fmt: skip
    out, err = bytearray(), bytearray()
    too_much, _ = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=_drain, args=(proc.stdout, max_output, out, too_much)),
        threading.Thread(target=_drain, args=(proc.stderr, _STDERR_KEPT, err, _)),
        threading.Thread(target=_feed, args=(proc.stdin, str(run.get("stdin") or "").encode())),
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    ended = "exited"
    deadline = started + timeout
    while proc.poll() is None:
        if too_much.is_set():
            ended = "output"
            break
        if time.monotonic() > deadline:
            ended = "timeout"
            break
        time.sleep(0.002)
    # The program's children would hold its pipes open: the whole group goes.
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, 9)
    code = proc.wait()
    for thread in threads:
        thread.join(timeout=2)
    seconds = time.monotonic() - started
    stderr = bytes(err).decode("utf-8", "replace")
    if ended == "timeout":
        return {"status": "timeout", "message": f"no result within {timeout:g} s",
                "seconds": seconds}  # fmt: skip
    if ended == "output" or too_much.is_set():
        return {"status": "error", "message": f"printed more than {max_output} bytes",
                "seconds": seconds}  # fmt: skip
    found = _sanitizer(stderr)
    if found is not None:
        return {"status": "error", "message": found, "seconds": seconds}
    if code < 0:
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        message = f"killed by signal {-code}" + (f": {tail[0][:300]}" if tail else "")
        return {"status": "error", "message": message, "seconds": seconds}
    return {
        "status": "ran",
        "stdout": bytes(out).decode("utf-8", "replace"),
        "exit": code,
        "stderr": stderr[-300:],
        "seconds": seconds,
    }


def _golden(spec: dict, build: _Build, env: dict[str, str]) -> None:
    """Build the program once and run each golden run; one record a run."""
    binary = "_duckfix/program"
    error, objects, steps = build.program(binary)
    _emit({"build": "program", "steps": steps})
    runs = [r for r in spec["runs"] if isinstance(r, dict)]
    covered = [os.path.normpath(str(s)) for s in spec.get("coverage") or []]
    for run in runs:
        name = str(run.get("name"))
        if error is not None:
            _emit({"name": name, "status": "error", "message": f"does not compile: {error}"})
            continue
        if covered:
            _clear_counts(objects)
        record = _run_program(binary, run, float(spec["timeout"]), env, int(spec["max_output"]))
        if covered:
            record["lines"] = _coverage(objects, covered)
        _emit({"name": name, **record})


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
    if spec.get("runs") is not None:
        _golden(spec, build, env)
        _emit({"finished": True})
        return
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
