"""Ruff's diagnostics on the lines a diff adds to a Python file.

The new file goes to ``ruff check`` on stdin under its path in the repository
(run from the repository's top folder), so the project's own ruff
configuration applies: selected rules, per-file ignores, ``noqa`` comments.
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
from pathlib import Path, PurePosixPath
from typing import Any

from duckfix.agents.review_checks.tool import ToolFailed, run_tool
from duckfix.config import ReviewSettings
from duckfix.models import Finding, Severity
from duckfix.patches import FileContext

__all__ = ["check"]


_DEFAULT_SELECT = "E4,E7,E9,F"
_ERRORS = {"F821", "F811", "E999", "invalid-syntax"}


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """Ruff's findings on the added lines of a ``.py`` file whose new text is known."""
    change = ctx.change
    added = change.added_lines
    if (
        PurePosixPath(change.path).suffix not in (".py", ".pyi")
        or ctx.new_text is None
        or change.binary
        or not added
    ):
        return []
    first = min(added)
    try:
        diagnostics = _run_ruff(ctx.new_text, change.path, ctx.repo)
    except ToolFailed as exc:
        return [
            Finding(
                path=change.path,
                line=first,
                severity="note",
                category="python/ruff",
                message=f"could not lint with ruff: {exc}",
            )
        ]
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


@functools.cache
def ruff_command() -> tuple[str, ...]:
    """How ruff is started: its binary (found once), else ``ruff`` on the PATH."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("ruff") is not None:
        # The binary itself, not `python -m ruff`: a second interpreter per
        # file would cost the pre-push hook ~30 ms each.
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return (str(find_ruff_bin()),)
    if exe := shutil.which("ruff"):
        return (exe,)
    raise ToolFailed("ruff is not installed; install it (pip install ruff)")


def _run_ruff(text: str, path: str, repo: Path | None) -> list[dict[str, Any]]:
    import tempfile

    command = [*ruff_command(), "check", "--output-format", "json", "--no-cache", "--exit-zero"]
    with tempfile.TemporaryDirectory(prefix="duckfix-ruff-") as scratch:
        cwd = repo if repo is not None and repo.is_dir() else Path(scratch)
        if not _has_config(cwd, path):
            command += ["--select", _DEFAULT_SELECT]
        command += ["--stdin-filename", path, "-"]
        done = run_tool(command, text, what="ruff", cwd=cwd)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ToolFailed(
            f"ruff exited with status {done.returncode} ({detail}); check its configuration"
        )
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ToolFailed("ruff's output is not JSON") from None
    if not isinstance(result, list):
        raise ToolFailed("ruff's output is not a list of diagnostics")
    return [d for d in result if isinstance(d, dict)]


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
