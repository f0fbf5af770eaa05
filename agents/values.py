"""Value evidence: the lines that wrote a failing test's wrong output, and the lines that fed them.

A wrong output was written somewhere, from values computed somewhere else.
Starting from the statements that produce the output, the lines it depends on
are followed backwards (a dynamic slice, cut to what the failing tests ran):

- **Python**: the output is what the entry point returned. A traced run of
  failing tests that returned a wrong value watches the suspect lines
  (:class:`duckfix.harness.cases.Tracer`); a line that assigned that very value
  wrote the wrong output. With the ``return`` statements the failing tests ran,
  they start the slice.
- **C / HLS**: the output is what the kernel writes through its non-``const``
  pointer and array parameters; the lines that store into them, among those the
  failing cases ran (gcov, per case), start the slice. Which element of it went
  wrong first (the bench's array checks report it) enters through the mutants
  instead (:mod:`duckfix.agents.mbfl`): a mutant that changes that element's value,
  or moves the first wrong element further along, shows its line feeds it.

From there each line brings in the lines that wrote the names it reads and the
conditions it runs under, one step further back each time. A line's score is
``DECAY ** steps``: 1 for a line that wrote the output, less the further back it
feeds it, none for a line the output does not depend on.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from duckfix import judge
from duckfix.agents.localizer import program_files
from duckfix.agents.printed import Root, printed_roots
from duckfix.agents.regions import around
from duckfix.deadline import Deadline
from duckfix.harness import cases
from duckfix.models import Suspect, Task, TestReport, Trace
from duckfix.runner import RunOptions, run_tests, scaled_to

__all__ = ["DECAY", "WATCHED", "c_slice", "python_slice", "value_scores"]

DECAY = 0.6
"""What a line's score loses per step back from the output."""
WATCHED = 40
"""Suspect lines watched in the traced run of the failing tests."""
_TESTS = 2
"""Failing tests traced for their values."""
Key = tuple[str, int]


def value_scores(
    task: Task,
    program: Mapping[str, str],
    ranked: Sequence[Suspect],
    traced: TestReport,
    baseline: TestReport,
    options: RunOptions,
    deadline: Deadline | None = None,
) -> dict[Key, float]:
    """Each line's value evidence in [0, 1] (module docstring); lines without any are left out.

    ``ranked`` are the spectrum's suspects (the lines failing tests ran) and
    ``traced`` the run they come from; ``baseline`` an untraced run of the same
    tests, whose failing outcomes carry the wrong values.
    """
    ran = {(s.path, s.line) for s in ranked}
    if task.language == "python":
        # Only the code around the lines the failing tests ran is parsed: a
        # program of megabytes would otherwise take most of a run's budget here.
        regions = {
            path: around(program[path], [s.line for s in ranked if s.path == path])
            for path in {p for p, _ in ran}
            if path in program
        }
        roots = _returning(regions, ran) | _writers(
            task, program, regions, ranked, baseline, options, deadline
        )
        if deadline is not None and deadline.passed:
            return {}
        return python_slice(regions, roots, ran)
    files = [p for p in program_files(task, program) if p in program]
    printed = printed_roots(program, files, ran, traced, baseline)
    return c_slice(program, files, task.entry_point, ran, printed or None)


# ----- Python -----


def _returning(program: Mapping[str, str], ran: set[Key]) -> set[Key]:
    """The ``return`` statements the failing tests ran."""
    found = set()
    for path in {p for p, _ in ran}:
        tree = _parse(program.get(path, ""))
        if tree is None:
            continue
        found |= {(path, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.Return)} & ran
    return found


def _writers(
    task: Task,
    program: Mapping[str, str],
    regions: Mapping[str, str],
    ranked: Sequence[Suspect],
    baseline: TestReport,
    options: RunOptions,
    deadline: Deadline | None,
) -> set[Key]:
    """The watched lines that assigned the exact wrong value a failing test returned."""
    wrong = [o for o in baseline.failed if o.status == "failed" and o.actual is not None]
    wrong = [o for o in wrong if not _trivial(o.actual)][:_TESTS]
    watch = [(s.path, s.line) for s in ranked if s.path.endswith(".py")][:WATCHED]
    if not wrong or not watch or (deadline is not None and deadline.passed):
        return set()
    files = sorted({p for p, _ in watch})
    report = run_tests(
        task,
        "visible",
        program,
        scaled_to(options, baseline),
        only=[o.name for o in wrong],
        trace=Trace(files=files, watch=watch),
    )
    actual = {o.name: o.actual for o in wrong}
    trees = {p: _parse(regions.get(p, "")) for p in files}
    found: set[Key] = set()
    for outcome in report.outcomes:
        if outcome.name not in actual or not outcome.values:
            continue
        for path, line in watch:
            seen = outcome.values.get(f"{path}:{line}", {})
            _, writes = _line_names(regions.get(path, ""), line, trees[path])
            for name in writes:
                value = seen.get(f"{name}@last", seen.get(name))
                if value is not None and _equals(value, actual[outcome.name]):
                    found.add((path, line))
    return found


def _trivial(value: Any) -> bool:
    """Values too common to say which line made them: None, booleans, 0, 1, -1, empty."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)) and value in (0, 1, -1):
        return True
    return isinstance(value, (list, dict, str)) and not value


def _equals(text: str, value: Any) -> bool:
    """Whether a watched value's repr is ``value`` (as the harness reports results)."""
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return False
    if isinstance(parsed, (tuple, set, frozenset)):
        parsed = list(parsed) if not isinstance(parsed, (set, frozenset)) else sorted(parsed)
    return judge.same(parsed, value)


def _line_names(source: str, line: int, tree: ast.Module | None) -> tuple[list[str], list[str]]:
    """(read, written) names of the statement on ``line``, as the harness's tracer sees them."""
    reads, writes = cases.line_names(source, line, tree)  # type: ignore[no-untyped-call]
    return [str(n) for n in reads], [str(n) for n in writes]


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def python_slice(
    program: Mapping[str, str], roots: Iterable[Key], ran: set[Key]
) -> dict[Key, float]:
    """Scores of the lines ``roots`` depend on, through names and conditions, among ``ran``."""
    graph: dict[Key, set[Key]] = {}
    for path in sorted({p for p, _ in ran}):
        tree = _parse(program.get(path, ""))
        if tree is not None:
            graph.update(_python_dependences(path, program[path], tree, ran))
    return _walk(graph, roots)


def _python_dependences(
    path: str, source: str, tree: ast.Module, ran: set[Key]
) -> dict[Key, set[Key]]:
    """Line -> the lines it depends on: writers of what it reads in its function, its conditions."""
    out: dict[Key, set[Key]] = {}
    for scope in ast.walk(tree):
        if not isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        statements: list[tuple[ast.stmt, frozenset[int]]] = []
        _statements(scope.body, frozenset(), statements)
        lines = [(s.lineno, under) for s, under in statements if (path, s.lineno) in ran]
        names = {line: _line_names(source, line, tree) for line, _ in lines}
        writers: dict[str, set[int]] = {}
        for line, (_, writes) in names.items():
            for name in writes:
                writers.setdefault(name.split(".")[0], set()).add(line)
        for line, under in lines:
            reads, _ = names[line]
            deps = {w for name in reads for w in writers.get(name.split(".")[0], ())}
            deps |= {c for c in under if (path, c) in ran}
            out[(path, line)] = {(path, d) for d in deps if d != line}
    return out


def _statements(
    body: list[ast.stmt], under: frozenset[int], out: list[tuple[ast.stmt, frozenset[int]]]
) -> None:
    """Each statement of ``body`` (nested functions aside) and the conditions it runs under."""
    for s in body:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        out.append((s, under))
        loop = isinstance(s, (ast.If, ast.While, ast.For, ast.AsyncFor))
        inner = under | {s.lineno} if loop else under
        for name in ("body", "orelse", "finalbody"):
            _statements(getattr(s, name, None) or [], inner, out)
        for handler in getattr(s, "handlers", None) or []:
            _statements(handler.body, under, out)


# ----- C and HLS C++ -----

_IDENT = re.compile(r"[A-Za-z_]\w*")
_ASSIGN = re.compile(r"(?<![=!<>])(?:[-+*/%&|^]|<<|>>)?=(?!=)")
_INCREMENT = re.compile(
    r"(?:\+\+|--)\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:\+\+|--)"
)
_CONTROL = re.compile(r"^\s*(?:\}\s*)?(?:else\s+)?(if|for|while|switch)\b")
_C_WORDS = frozenset({
    "if", "else", "for", "while", "do", "return", "break", "continue", "switch", "case",
    "default", "sizeof", "static", "const", "void", "int", "unsigned", "signed", "char", "short",
    "long", "float", "double", "bool", "struct", "typedef", "auto", "inline", "true", "false",
})  # fmt: skip


def c_slice(
    program: Mapping[str, str],
    files: Sequence[str],
    entry: str,
    ran: set[Key],
    printed: Mapping[Key, Root] | None = None,
) -> dict[Key, float]:
    """Scores of the lines the entry point's outputs depend on, among ``ran``.

    ``printed`` (a golden-output run's wrong line, :mod:`duckfix.agents.printed`)
    names the lines that printed it, and the names their wrong value came from,
    in place of the entry point's output parameters.
    """
    outputs = set() if printed else _outputs(program, files, entry)
    graph: dict[Key, set[Key]] = {}
    roots: set[Key] = set(printed or ())
    for path in files:
        lines = program[path].split("\n")
        here = {line for p, line in ran if p == path}
        writes, reads = {}, {}
        for number in sorted(here):
            code = _code(lines[number - 1])
            writes[number], reads[number] = _c_names(code)
            if writes[number] & outputs:
                roots.add((path, number))
        writers: dict[str, set[int]] = {}
        for number, names in writes.items():
            for name in names:
                writers.setdefault(name, set()).add(number)
        blocks = _c_conditions(lines, here)
        for number in here:
            read = (printed or {}).get((path, number)) or reads[number]
            deps = {w for name in read for w in writers.get(name, ())}
            deps |= blocks.get(number, set())
            graph[(path, number)] = {(path, d) for d in deps if d != number}
    return _walk(graph, roots)


def _outputs(program: Mapping[str, str], files: Sequence[str], entry: str) -> set[str]:
    """Names of the entry point's parameters it may write: non-``const`` pointers and arrays."""
    definition = re.compile(rf"\b{re.escape(entry)}\s*\(([^)]*)\)\s*(?:const\s*)?\{{", re.S)
    for path in files:
        found = definition.search(program[path])
        if found is None:
            continue
        names = set()
        for param in found.group(1).split(","):
            if "const" in param.split() or ("*" not in param and "[" not in param):
                continue
            idents = [w for w in _IDENT.findall(param.split("[")[0]) if w not in _C_WORDS]
            if idents:
                names.add(idents[-1])
        return names
    return set()


def _code(line: str) -> str:
    return re.sub(r"//.*$|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"", "", line)


def _c_names(code: str) -> tuple[set[str], set[str]]:
    """(written, read) names of one line of C: the target of an assignment or increment."""
    if code.lstrip().startswith("#"):
        return set(), set()
    written: set[str] = set()
    read = {w for w in _IDENT.findall(code) if w not in _C_WORDS}
    header = _CONTROL.match(code)
    parts = [code] if header is None or header.group(1) != "for" else code.split(";")
    for part in parts:
        found = _ASSIGN.search(part)
        if found is not None:
            target = [w for w in _IDENT.findall(part[: found.start()]) if w not in _C_WORDS]
            if target:
                # `a[i] = ...` and `T x = ...` write their first (a) or last (x) name.
                written.add(target[0] if "[" in part[: found.start()] else target[-1])
        for match in _INCREMENT.finditer(part):
            written.add(match.group(1) or match.group(2))
    calls = re.findall(r"\b([A-Za-z_]\w*)\s*\(([^()]*)\)", code)
    for name, args in calls:
        if name not in _C_WORDS:
            # A call may write through any array or pointer it is given.
            written |= {a.strip() for a in args.split(",") if _IDENT.fullmatch(a.strip())}
    return written, read - (written - read)


def _c_conditions(lines: list[str], here: set[int]) -> dict[int, set[int]]:
    """Line -> the ``if`` / loop headers (that ran) whose braces enclose it."""
    out: dict[int, set[int]] = {}
    stack: list[int | None] = []
    pending: int | None = None
    for number, text in enumerate(lines, 1):
        code = _code(text)
        if _CONTROL.match(code):
            pending = number
        under = {h for h in stack if h is not None and h in here}
        if pending is not None and pending != number and "{" not in code:
            under.add(pending)  # the one statement of a brace-less body
        out[number] = under
        for ch in code:
            if ch == "{":
                stack.append(pending)
                pending = None
            elif ch == "}" and stack:
                stack.pop()
        if code.strip().endswith(";") and pending is not None and pending != number:
            pending = None
    return out


# ----- both -----


def _walk(graph: Mapping[Key, set[Key]], roots: Iterable[Key]) -> dict[Key, float]:
    """``DECAY ** steps`` from the nearest root, over ``graph``'s edges (breadth first)."""
    steps: dict[Key, int] = {}
    frontier = sorted(r for r in roots if r in graph)
    for root in frontier:
        steps[root] = 0
    depth = 0
    while frontier:
        depth += 1
        nxt = []
        for key in frontier:
            for dep in sorted(graph.get(key, ())):
                if dep not in steps:
                    steps[dep] = depth
                    nxt.append(dep)
        frontier = nxt
    return {key: DECAY**n for key, n in steps.items()}
