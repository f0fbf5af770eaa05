"""Run JSON test cases' inputs through an entry point; one result line per case, as it ends.

Usage (inside the sandbox): python _duckfix/cases.py SPEC.json
SPEC: {"module", "entry", "timeout", "start", "cases": [{"args"}],
       "trace": {"files": [path, ...], "watch": [[path, line], ...]} (optional)}

Each line goes to descriptor 3, the run's report channel: ``{"index", "status",
"actual", "seconds"}`` with status ``ran`` (the entry point returned ``actual``),
``error`` or ``timeout``. This script never sees a case's expected value and
decides no verdict: the program under test runs in this very process and could
write anything here, so duckfix compares ``actual`` with ``expected`` outside
the sandbox (``duckfix.judge``).

With "trace", each result line also carries "lines" ({path: [line, ...]}, the
lines of the traced files that ran in that case, import of the program
included) and "values" ({"path:line": {name: repr}}, see Tracer). The tracer
lives here, and the pytest plugin imports it from ``_duckfix.cases``, so the
harness stays stdlib-only files.

Why our own tracer and not coverage.py (``python -m tests.perf bench_localizer``
measures both): coverage.py's C tracer costs less per traced line (5.7x over
untraced in process against our 10x), but every process that records with it
first pays about 70 ms to import and start it, and the built-in suite's
programs run far too little for that to pay back: ``localize`` over its 48
tasks took 52.6 s with our tracer and 55.7 s with coverage.py (median task
84 ms against 150 ms, slower on all 48), at identical lines and ranks. And a
watched run needs our tracer anyway: both would want the one ``sys.settrace``
slot.
"""

import ast
import itertools
import json
import os
import reprlib
import signal
import sys
import time
import traceback
import types

MAX_ITEMS = 100_000  # of a generator result, so an endless one cannot hang the harness
REPORT_FD = 3  # the run's report channel (duckfix.sandbox.run(report=True))


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in a program cannot eat it."""


def _alarm(_signum, _frame):
    raise CaseTimeout


def plain(value):
    """Turn a result into JSON-shaped data: tuples and generators to lists, sets sorted."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "__iter__") and hasattr(value, "__next__"):
        return [plain(v) for v in itertools.islice(value, MAX_ITEMS)]
    return repr(value)


# ----- line tracing (spec["trace"], optional) -----

VALUE_CHARS = 200  # longest value repr kept
WATCH_CAP = 10_000  # reaches of a watched line after which its values stop updating
_MISSING = object()
_SKIP_TYPES = (
    types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
)  # fmt: skip


def _short_repr():
    r = reprlib.Repr()
    # Bounded effort per value: a watched line inside a hot loop is repr'd on every reach.
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 12, 12, 8, 8
    r.maxfrozenset, r.maxdeque, r.maxarray = 8, 12, 12
    r.maxstring, r.maxlong, r.maxother = 120, 60, VALUE_CHARS
    return r


_REPR = _short_repr()


def value_text(value):
    try:
        text = _REPR.repr(value)
    except Exception as exc:  # a program's __repr__ may raise anything
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def _own_lines(node):
    """The lines a statement owns: all of a simple one, the header of a compound one."""
    first = getattr(node, "body", None) or getattr(node, "cases", None)
    start = node.lineno
    if first and isinstance(first, list):
        child = first[0]
        child_line = child.pattern.lineno if hasattr(child, "pattern") else child.lineno
        return range(start, max(start, child_line - 1) + 1)
    return range(start, (node.end_lineno or start) + 1)


def _chain(node):
    """``a.b.c`` for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def line_names(source, line, tree=None):
    """(read, written) variable names of the statement owning ``line``, in source order.

    ``tree`` is ``source`` parsed, when the caller has it (one parse per file).
    """
    if tree is None:
        tree = _parsed(source)
    if tree is None:
        return [], []
    owner = None
    for node in ast.walk(tree):  # breadth first: a deeper statement overrides its parent
        if isinstance(node, ast.stmt) and line in _own_lines(node):
            owner = node
    if owner is None or isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [], []
    reads, writes = [], []
    # Only the statement's own expressions, not the bodies of a compound one.
    roots = [
        c for c in ast.iter_child_nodes(owner) if not isinstance(c, (ast.stmt, ast.excepthandler))
    ]
    roots = [c for c in roots if type(c).__name__ != "match_case"]
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # xs.append(v): the variable is xs, not the bound method
            stack.extend(reversed([node.func.value, *node.args, *node.keywords]))
            continue
        name = _chain(node) if isinstance(node, (ast.Attribute, ast.Name)) else None
        if name is not None:
            store = isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del))
            target = writes if store else reads
            if name not in target:
                target.append(name)
            if isinstance(node, ast.Attribute):
                continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return [n for n in reads if n not in writes], writes


def _parsed(source):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _lookup(frame, name):
    head, *rest = name.split(".")
    f_locals = frame.f_locals
    value = f_locals[head] if head in f_locals else frame.f_globals.get(head, _MISSING)
    for attr in rest:
        # Instance dicts only: a property would run program code from inside the tracer.
        try:
            value = vars(value).get(attr, _MISSING)
        except TypeError:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    if isinstance(value, _SKIP_TYPES):
        return _MISSING
    return value


class Tracer:
    """Executed lines of chosen files, and variable values at watched lines, per test.

    A ``sys.settrace`` global function that returns None for code from any other
    file, so other frames cost one dict lookup per call. Values: at a watched
    line, the names it reads are taken as the line starts and the names it
    assigns just after it ran (at the frame's next event); key
    ``name`` holds the first reach, ``name@last`` the last one (when reached more
    than once; up to WATCH_CAP reaches), ``@hits`` how often the line ran.
    """

    def __init__(self, files, watch=(), root=None):
        self.root = os.path.realpath(root or os.getcwd())
        self.seen = {path: set() for path in files}
        self.by_filename = {}  # co_filename -> local trace function, or None for other files
        self.watch = {}  # path -> {line: (key, reads, writes)}
        trees = {}  # path -> (source, tree): each watched file is read and parsed once
        for path, line in watch:
            if path not in trees:
                try:
                    with open(os.path.join(self.root, path), encoding="utf-8") as fh:
                        source = fh.read()
                except OSError:
                    source = None
                trees[path] = (source, _parsed(source) if source is not None else None)
            source, tree = trees[path]
            if source is None:
                continue
            reads, writes = line_names(source, int(line), tree)
            self.watch.setdefault(path, {})[int(line)] = (f"{path}:{line}", reads, writes)
        self.values = {}
        self.hits = {}
        self.pending = {}  # frame -> (key, names its last watched line assigns)

    def start(self):
        sys.settrace(self._global)

    def stop(self):
        sys.settrace(None)

    def lines(self):
        """{path: [line, ...]} recorded since the last take, which it leaves in place."""
        return {p: sorted(s) for p, s in self.seen.items() if s}

    def take(self):
        """(lines, values) recorded since the last take; recording starts afresh."""
        lines = self.lines()
        values = {
            key: {**self.values.get(key, {}), "@hits": str(hits)} for key, hits in self.hits.items()
        }
        for s in self.seen.values():
            s.clear()
        self.values, self.hits = {}, {}
        self.pending.clear()  # the watchers hold this very dict
        return lines, values

    def _global(self, frame, _event, _arg):
        code = frame.f_code
        local = self.by_filename.get(code.co_filename, _MISSING)
        if local is _MISSING:
            local = self.by_filename[code.co_filename] = self._resolve(code.co_filename)
        return local

    def _resolve(self, filename):
        try:
            path = os.path.relpath(os.path.realpath(filename), self.root)
        except ValueError:
            return None
        seen = self.seen.get(path)
        if seen is None:
            return None
        if path in self.watch:
            return self._watcher(seen, self.watch[path])
        add = seen.add

        def local(frame, event, _arg):
            if event == "line":
                add(frame.f_lineno)
            return local

        return local

    def _watcher(self, seen, lines):
        pending = self.pending

        def local(frame, event, _arg):
            if frame in pending:
                key, writes = pending.pop(frame)
                if event != "exception":  # the assignment did not happen
                    self._record(key, frame, writes)
            if event == "line":
                n = frame.f_lineno
                seen.add(n)
                spec = lines.get(n)
                if spec is not None:
                    key, reads, writes = spec
                    self.hits[key] = self.hits.get(key, 0) + 1
                    self._record(key, frame, reads)
                    if writes:
                        pending[frame] = (key, writes)
            return local

        return local

    def _record(self, key, frame, names):
        if self.hits.get(key, 0) > WATCH_CAP:
            return
        store = self.values.setdefault(key, {})
        for name in names:
            value = _lookup(frame, name)
            if value is _MISSING:
                continue
            text = value_text(value)
            if name not in store:
                store[name] = text
            else:
                store[name + "@last"] = text


def merge(lines, values, load_lines, load_values):
    """A test's record plus what ran while the program was imported (which every test needs)."""
    for path, numbers in load_lines.items():
        lines[path] = sorted(set(numbers) | set(lines.get(path, ())))
    for key, found in load_values.items():
        values.setdefault(key, found)
    return lines, values


# ----- running the cases -----


def run_case(fn, case, timeout, tracer=None):
    args = json.loads(json.dumps(case["args"]))  # a fresh copy: programs mutate their inputs
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    if tracer is not None:
        tracer.start()
    try:
        actual = plain(fn(*args))
    except CaseTimeout:
        return {"status": "timeout", "message": f"no result after {timeout:g}s"}
    except RecursionError:
        return {"status": "error", "message": "RecursionError: maximum recursion depth exceeded"}
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            name = type(exc).__name__
            return {"status": "error", "message": f"{name} raised by the program"}
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"status": "error", "message": tb[:500]}
    finally:
        if tracer is not None:
            tracer.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - started
    return {"status": "ran", "actual": actual, "seconds": seconds}


def _line(record):
    """One report line; a value JSON cannot hold (or too deep to write) becomes its repr."""
    try:
        return json.dumps(record, default=repr)
    except (ValueError, RecursionError):
        record = {**record, "actual": value_text(record.get("actual"))}
        return json.dumps(record, default=repr)


def main():
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    sys.path.insert(0, os.getcwd())
    # Results leave on the report channel; the program's own children do not get it.
    os.set_inheritable(REPORT_FD, False)
    sys.set_int_max_str_digits(0)  # a big integer result is a result, not an error

    def emit(record):
        os.write(REPORT_FD, (_line(record) + "\n").encode())

    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    trace = spec.get("trace")
    tracer = Tracer(trace["files"], trace.get("watch", ())) if trace else None
    if tracer is not None:
        tracer.start()
    try:
        module = __import__(spec["module"], fromlist=["_"])
        fn = getattr(module, spec["entry"])
    except BaseException as exc:
        if tracer is not None:
            tracer.stop()
        message = "cannot load the program: " + _error_line(exc)
        record = {"index": -1, "status": "error", "message": message.strip()[:500]}
        if tracer is not None:
            record["lines"], record["values"] = tracer.take()
        emit(record)
        return 3
    if tracer is not None:
        tracer.stop()
        load_lines, load_values = tracer.take()
    for index in range(spec["start"], len(spec["cases"])):
        result = run_case(fn, spec["cases"][index], spec["timeout"], tracer)
        result["index"] = index
        if tracer is not None:
            result["lines"], result["values"] = merge(*tracer.take(), load_lines, load_values)
        emit(result)
    return 0


def _error_line(exc):
    if isinstance(exc, SyntaxError) and exc.lineno:
        # format_exception_only puts the location on lines of its own; keep it.
        where = f" ({os.path.relpath(exc.filename or '?')}, line {exc.lineno})"
        return f"{type(exc).__name__}: {exc.msg}{where}"
    return traceback.format_exception_only(type(exc), exc)[-1]


if __name__ == "__main__":
    sys.exit(main())
