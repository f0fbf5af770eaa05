"""clang-tidy and cppcheck on the C / C++ files a diff changes, where the project configures them.

Same contract as ruff: the project's own configuration, the lines the diff
adds, and nothing when the project has not chosen the tool.

- **clang-tidy** runs when the reviewed tree has a ``.clang-tidy`` in the
  file's folder or one above it (clang-tidy reads it from there itself).
- **cppcheck** runs when the tree ships a cppcheck project file (``*.cppcheck``,
  given as ``--project`` with ``--file-filter`` for the one file) or a
  suppressions file (a path naming cppcheck whose file name says ``suppress``:
  ``.cppcheck-suppressions``, ``tools/cppcheck/suppressions.txt``; given as
  ``--suppressions-list``, or ``--suppress-xml`` for ``.xml``), with
  ``--enable=warning,performance,portability`` and ``--inline-suppr``.

Both compile the file as :mod:`~duckfix.agents.review_checks.c_warnings` plans
it (the tree as of the reviewed revision, the project's flags from
``compile_commands.json`` or ``[review.c]``, a header through a file that
includes it) and run in :mod:`duckfix.sandbox` (the text is a patch's). Their
diagnostics come as ``FILE:LINE:COL: SEVERITY: MESSAGE [ID]`` (clang-tidy's
own format; cppcheck is given that ``--template``). Kept: those in the
reviewed file on added lines. Category ``clang-tidy/<check>`` or
``cppcheck/<id>``. ``error`` is an error, ``warning`` a warning, the rest
(cppcheck's ``style``, ``performance``, ``portability``) notes; cppcheck's
``information`` (a header it did not find) is dropped.

When a configured tool is missing, times out, or the file does not compile
for it (a compiler error, an unmatched ``#include``), the check raises
:class:`~duckfix.errors.CheckNotRun`: coverage, never a finding.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from duckfix.agents.review_checks.c_warnings import CompileJob, plan_compile
from duckfix.agents.review_checks.python_lint import NO_TEXT
from duckfix.agents.review_checks.tool import run_sandboxed, sandbox_path
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings
from duckfix.source_tree import SourceTree

__all__ = [
    "CPPCHECK_TEMPLATE",
    "Diagnostic",
    "applies_clang_tidy",
    "applies_cppcheck",
    "check_clang_tidy",
    "check_cppcheck",
    "parse_diagnostics",
]

CPPCHECK_TEMPLATE = "{file}:{line}:{column}: {severity}: {message} [{id}]"
_DIAG = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?:\d+:)? (?P<severity>[a-z ]+): (?P<message>.*?)"
    r"(?: \[(?P<id>[\w.,-]+)\])?$"
)
_C_SUFFIXES = (".c", ".h")
_CXX_HEADER = re.compile(r"\bstd::|^\s*(?:namespace\b|template\s*<)", re.MULTILINE)
_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "warning"}
_DROPPED = {"note", "information", "debug", "none"}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One line of a tool's output."""

    file: str
    line: int
    severity: str
    message: str
    id: str


def parse_diagnostics(output: str) -> list[Diagnostic]:
    """``FILE:LINE:COL: SEVERITY: MESSAGE [ID]`` lines; other lines (source, carets) skipped."""
    out: list[Diagnostic] = []
    for raw in output.splitlines():
        m = _DIAG.match(raw.rstrip())
        if m is not None:
            out.append(
                Diagnostic(
                    m.group("file"),
                    int(m.group("line")),
                    m.group("severity").strip(),
                    m.group("message").strip(),
                    m.group("id") or "",
                )
            )
    return out


# --- does the project configure the tool? ----------------------------------------------


def _tree(ctx: FileContext) -> SourceTree | None:
    return ctx.source_tree() if ctx.new_text is not None or ctx.repo is not None else None


def _clang_tidy_configs(tree: SourceTree, path: str) -> list[str]:
    folders = [str(p) for p in PurePosixPath(path).parents]
    wanted = [".clang-tidy" if f == "." else f"{f}/.clang-tidy" for f in folders]
    return [w for w in wanted if tree.exists(w)]


def applies_clang_tidy(ctx: FileContext) -> bool:
    """The reviewed tree has a ``.clang-tidy`` that covers ``ctx``'s file."""
    tree = _tree(ctx)
    return tree is not None and bool(_clang_tidy_configs(tree, ctx.path))


def _cppcheck_config(tree: SourceTree) -> tuple[str, str] | None:
    """(option, path) for the project's cppcheck project or suppressions file, if it ships one."""
    project = suppressions = None
    for path in tree.paths():
        name = PurePosixPath(path).name.lower()
        if name.endswith(".cppcheck") and project is None:
            project = path
        elif "cppcheck" in path.lower() and "suppress" in name and suppressions is None:
            suppressions = path
    if project is not None:
        return "--project", project
    if suppressions is not None:
        xml = suppressions.lower().endswith(".xml")
        return ("--suppress-xml" if xml else "--suppressions-list"), suppressions
    return None


def applies_cppcheck(ctx: FileContext) -> bool:
    """The reviewed tree ships a cppcheck project or suppressions file."""
    tree = _tree(ctx)
    return tree is not None and _cppcheck_config(tree) is not None


# --- running them ------------------------------------------------------------------------


def _job(ctx: FileContext, settings: ReviewSettings, tool: str) -> tuple[CompileJob, SourceTree]:
    if ctx.new_text is None:
        raise CheckNotRun(NO_TEXT)
    tree = ctx.source_tree()
    if tree is None:
        raise CheckNotRun(f"{tool} reads the project's configuration: no repository here")
    suffix = PurePosixPath(ctx.path).suffix.lower()
    cxx = suffix not in _C_SUFFIXES or (suffix == ".h" and bool(_CXX_HEADER.search(ctx.new_text)))
    job = plan_compile(ctx, settings, cxx)
    if job.main is None:
        raise CheckNotRun(f"{tool} reads files: the patch is not applied to this checkout")
    return job, tree


def _exe(name: str) -> str:
    # Looked up where the sandbox looks: the one found must be one it can run.
    exe = shutil.which(name, path=sandbox_path())
    if exe is None:
        raise CheckNotRun(f"{name} is not installed, and the repository configures it")
    return exe


def _findings(
    ctx: FileContext,
    job: CompileJob,
    diags: list[Diagnostic],
    tool: str,
    is_error: Callable[[Diagnostic], bool],
) -> list[Finding]:
    added = ctx.change.added_lines
    broken = next((d for d in diags if is_error(d)), None)
    if broken is not None:
        raise CheckNotRun(
            f"{tool}: the file does not compile here ({job.where(broken.file, broken.line)}: "
            f"{broken.message}; flags: {job.source})"
        )
    out: list[Finding] = []
    for d in diags:
        if d.severity in _DROPPED or not job.is_target(d.file) or d.line not in added:
            continue
        out.append(
            Finding(
                path=ctx.path,
                line=d.line,
                severity=_SEVERITY.get(d.severity, "note"),
                category=f"{tool}/{d.id or d.severity}",
                message=f"{d.message} ({tool} {d.id})" if d.id else f"{d.message} ({tool})",
            )
        )
    return out


def _compile_flags(job: CompileJob) -> list[str]:
    """The job's compiler arguments without the file compiled."""
    return [a for a in job.arguments if a != job.main]


def check_clang_tidy(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """clang-tidy's findings (the project's ``.clang-tidy``) on the added lines of a C/C++ file."""
    if not ctx.change.added_lines:
        return []
    exe = _exe("clang-tidy")
    job, tree = _job(ctx, settings, "clang-tidy")
    folder = tree.folder(lambda p: PurePosixPath(p).name == ".clang-tidy")
    assert job.main is not None
    command = [exe, "--quiet"]
    if job.main != job.target:  # a header through its includer: its own lines only
        command.append(f"--header-filter=^{re.escape(job.target)}$")
    command += [job.main, "--", *_compile_flags(job)]
    read_only = [os.path.realpath(p) for p in {*job.read_only, str(folder)}]
    done = run_sandboxed(command, "", what="clang-tidy", read_only=read_only, env={"LC_ALL": "C"})
    diags = parse_diagnostics(done.stdout + "\n" + done.stderr)
    return _findings(
        ctx, job, diags, "clang-tidy", lambda d: d.severity in ("error", "fatal error")
    )


def _cppcheck_flags(job: CompileJob) -> list[str]:
    """The job's macros, include folders and forced headers as cppcheck spells them."""
    out: list[str] = []
    args = _compile_flags(job)
    for i, arg in enumerate(args):
        value = args[i + 1] if i + 1 < len(args) else ""
        if arg.startswith(("-D", "-U")) and len(arg) > 2:
            out.append(arg)
        elif arg in ("-I", "-iquote", "-isystem", "-idirafter") and value:
            out += ["-I", value]
        elif arg.startswith("-I") and len(arg) > 2:
            out.append(arg)
        elif arg == "-include" and value:
            out.append(f"--include={value}")
        elif arg.startswith("-std="):
            out.append(f"--std={arg[5:]}")
    return out


def check_cppcheck(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """cppcheck's findings (the project's project or suppressions file) on the added lines."""
    if not ctx.change.added_lines:
        return []
    exe = _exe("cppcheck")
    job, tree = _job(ctx, settings, "cppcheck")
    config = _cppcheck_config(tree)
    if config is None:
        return []
    option, config_path = config
    folder = tree.folder(lambda p: p == config_path)
    command = [exe, "--quiet", "--enable=warning,performance,portability", "--inline-suppr"]
    command += [f"--template={CPPCHECK_TEMPLATE}", f"{option}={folder / config_path}"]
    assert job.main is not None
    if option == "--project":
        command.append(f"--file-filter={job.main}")
    else:
        command += [f"--language={'c++' if job.cxx else 'c'}", *_cppcheck_flags(job), job.main]
    read_only = [os.path.realpath(p) for p in {*job.read_only, str(folder)}]
    done = run_sandboxed(command, "", what="cppcheck", read_only=read_only, env={"LC_ALL": "C"})
    if done.exit_code != 0:  # cppcheck exits 0 with findings unless told otherwise
        detail = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or [""])[-1]
        raise CheckNotRun(f"cppcheck exited with status {done.exit_code} ({detail})")
    diags = parse_diagnostics(done.stderr + "\n" + done.stdout)
    broken = ("syntaxError", "internalError", "preprocessorErrorDirective")
    return _findings(ctx, job, diags, "cppcheck", lambda d: d.id in broken)
