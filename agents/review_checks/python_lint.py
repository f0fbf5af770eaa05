"""Ruff's diagnostics on the lines a diff adds to a Python file.

The new file goes to ``ruff check --no-fix --force-exclude`` on stdin under its
path in the repository, run from a folder that holds the repository's ruff
configuration *as of the reviewed revision* (the checkout when it is at that
revision, else the configuration files copied out of git), so the project's
own configuration applies: selected rules, per-file ignores, excluded files,
``noqa`` comments; and ``fix = true`` in it changes nothing (``--no-fix``).
When ruff cannot run (missing, a configuration it rejects, or the file's text
is unknown) the check raises :class:`~duckfix.errors.CheckNotRun`.
Without one (no ``ruff.toml``, ``.ruff.toml`` or ``[tool.ruff]`` in a
``pyproject.toml`` from the file's folder upwards) the rule set is pinned to
``E4,E7,E9,F``: newer ruff releases enable far more by default, and a project
that never chose them should not hear about them in a review.

Severity: syntax errors, ``E9``, ``F821`` (undefined name) and ``F811``
(redefinition) are errors; other ``F`` rules warnings; the rest notes. Category
``python/<code>``. When ruff has a safe fix that edits only the flagged line,
the suggestion is that line fixed.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from duckfix.agents.review_checks.tool import run_tool
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding, Severity
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings
from duckfix.source_tree import SourceTree

__all__ = ["NO_TEXT", "check", "ruff_command"]

NO_TEXT = "the file's new text is not known here (the patch is not applied to this checkout)"
_CONFIG_NAMES = ("pyproject.toml", "ruff.toml", ".ruff.toml")


_DEFAULT_SELECT = "E4,E7,E9,F"
_ERRORS = {"F821", "F811", "E999", "invalid-syntax"}


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """Ruff's findings on the added lines of a ``.py`` file whose new text is known."""
    change = ctx.change
    added = change.added_lines
    if PurePosixPath(change.path).suffix not in (".py", ".pyi") or change.binary or not added:
        return []
    if ctx.new_text is None:
        raise CheckNotRun(NO_TEXT)
    diagnostics = _run_ruff(ctx.new_text, change.path, ctx.source_tree())
    last_row = ctx.new_text.count("\n") + 1
    out: list[Finding] = []
    for diag in diagnostics:
        row = diag.get("location", {}).get("row")
        code = diag.get("code") or "invalid-syntax"  # some ruff versions give syntax errors no code
        if code in _ERRORS and isinstance(row, int) and row >= last_row and row not in added:
            row = max(added)  # "unexpected EOF": blame the last line the diff adds
        if row not in added:
            continue
        fix: dict[str, Any] = diag["fix"] if isinstance(diag.get("fix"), dict) else {}
        message = f"{diag.get('message', '').rstrip('.')} (ruff {code})"
        if fix.get("message"):
            message += f": {fix['message']}"
        elif diag.get("url"):
            message += f"; see {diag['url']}"
        out.append(
            Finding(
                path=change.path,
                line=row,
                severity=_severity(code),
                category=f"python/{code}",
                message=message,
                suggestion=_suggestion(fix, row, added[row]),
            )
        )
    return out


_FINDING_RUFF = threading.Lock()


def ruff_command() -> tuple[str, ...]:
    """How ruff is started: its binary (found once), else ``ruff`` on the PATH."""
    # Files are checked on several threads, and the first look-up reads
    # sysconfig's variables, which Python 3.11 fills in without a lock (a
    # second thread saw None): one thread looks, the others wait for it.
    with _FINDING_RUFF:
        return _ruff_command()


@functools.cache
def _ruff_command() -> tuple[str, ...]:
    import importlib.util
    import shutil

    if importlib.util.find_spec("ruff") is not None:
        # The binary itself, not `python -m ruff`: a second interpreter per
        # file would cost the pre-push hook ~30 ms each.
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return (str(find_ruff_bin()),)
    if exe := shutil.which("ruff"):
        return (exe,)
    raise CheckNotRun("ruff is not installed; install it (pip install ruff)")


def _run_ruff(text: str, path: str, tree: SourceTree | None) -> list[dict[str, Any]]:
    import tempfile

    # --no-fix: a project with `fix = true` would otherwise get its fixed source
    # printed instead of diagnostics. --force-exclude: a file the project's
    # `exclude` leaves out is left out here too, as `ruff check` on the tree does.
    command = [*ruff_command(), "check", "--output-format", "json", "--no-cache", "--exit-zero"]
    command += ["--no-fix", "--force-exclude"]
    with tempfile.TemporaryDirectory(prefix="duckfix-ruff-") as scratch:
        cwd = _config_root(tree, path) or Path(scratch)
        if not _has_config(cwd, path):
            command += ["--select", _DEFAULT_SELECT]
        command += ["--stdin-filename", path, "-"]
        done = run_tool(command, text, what="ruff", cwd=cwd)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CheckNotRun(
            f"ruff exited with status {done.returncode} ({detail}); check its configuration"
        )
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise CheckNotRun("ruff's output is not JSON") from None
    if not isinstance(result, list):
        raise CheckNotRun("ruff's output is not a list of diagnostics")
    return [d for d in result if isinstance(d, dict)]


def _config_root(tree: SourceTree | None, path: str) -> Path | None:
    """A folder with the revision's ruff configuration for ``path`` (only those files copied)."""
    if tree is None:
        return None
    folders = {str(p) for p in PurePosixPath(path).parents}
    wanted = {
        name if folder == "." else f"{folder}/{name}"
        for folder in folders
        for name in _CONFIG_NAMES
    }
    # The package folders and their __init__.py too: ruff's isort tells the
    # project's own modules (`from tests.helpers import ...` in python-poetry/cleo)
    # by the packages it finds beside the configuration.
    tree.skeleton(lambda p: p.endswith((".py", ".pyi")))
    return tree.folder(lambda p: p in wanted or PurePosixPath(p).name == "__init__.py")


def _has_config(root: Path, path: str) -> bool:
    """A ruff configuration applies to ``path`` (as ruff looks: its folders, upwards)."""
    folder = (root / path).parent.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "ruff.toml").is_file() or (candidate / ".ruff.toml").is_file():
            return True
        pyproject = candidate / "pyproject.toml"
        try:
            if pyproject.is_file() and "[tool.ruff" in pyproject.read_text(errors="replace"):
                return True
        except OSError:
            continue
    return False


def _severity(code: str) -> Severity:
    if code in _ERRORS or code.startswith("E9"):
        return "error"
    return "warning" if code.startswith("F") else "note"


def _suggestion(fix: dict[str, Any], row: int, line: str) -> str | None:
    """The line with ruff's safe fix applied, when every edit stays inside that line."""
    edits = fix.get("edits") or []
    if fix.get("applicability") != "safe" or not edits:
        return None
    spans: list[tuple[int, int, str]] = []
    try:
        for edit in edits:
            start, end, content = edit["location"], edit["end_location"], edit["content"]
            if start["row"] != row or end["row"] != row or "\n" in content:
                return None
            spans.append((int(start["column"]) - 1, int(end["column"]) - 1, str(content)))
    except (KeyError, TypeError, ValueError):  # a fix shaped unlike ruff's documented JSON
        return None
    for begin, stop, content in sorted(spans, reverse=True):
        line = line[:begin] + content + line[stop:]
    return line
