"""Context for each changed file: its whole new text and the function around each hunk.

The new text comes from where the review's patch lives: the range's last
commit, the index (``:``), or the work tree (``WORKTREE``: a diff or e-mail given
as a file, used only when the work tree's file really holds the diff's added
lines where the diff puts them, i.e. the patch is applied). A file the patch
adds needs none of these: its whole text is in the patch. Without a text,
checks that need the whole file (ruff, the compiler) say they could not run
on it (coverage, not a finding) and the rest look at the hunks alone.

Every context of one review shares the review's :class:`~duckfix.source_tree.SourceTree`:
the files as of the reviewed revision, which checks read their configuration
and headers from; :func:`close` removes what it copied out.

The enclosing function of a hunk is found with :mod:`ast` for Python and, for
C-like files, by scanning up from the hunk for a line at column 0 that opens a
function (the same guess ``git diff`` prints after ``@@``), then matching braces.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from duckfix.diff import FileChange, Hunk
from duckfix.patches import Enclosing, FileContext, Review

if TYPE_CHECKING:
    from duckfix.git_cli import GitRepo

__all__ = ["MAX_FILE_BYTES", "close", "enclosing_function", "gather", "read_new_text"]

MAX_FILE_BYTES = 2 << 20
"""Larger files are reviewed from their hunks only."""

# A line at column 0 that opens a function: an optional return type, the name
# (C++ qualified names too), and a "(" with no ";" after it on the line.
_C_FUNCTION = re.compile(
    r"^(?:[A-Za-z_][\w\s\*&:<>,~]*?[\s\*&])?(~?[A-Za-z_]\w*(?:::~?\w+)*)\s*\([^;]*$"
)
_NOT_FUNCTIONS = frozenset({"if", "for", "while", "switch", "return", "sizeof", "do", "else"})
_C_EXTENSIONS = (
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".cxx",
    ".hpp",
    ".hh",
    ".java",
    ".js",
    ".ts",
    ".go",
    ".rs",
)


def gather(review: Review, repo: GitRepo | None = None) -> list[FileContext]:
    """A :class:`FileContext` per changed file, in the diff's order."""
    from duckfix.source_tree import tree_for

    tree = tree_for(review.repo, review.revision)
    out = []
    for change in review.files:
        text = read_new_text(review, change, repo)
        enclosing = enclosing_functions(change.path, text, change.hunks) if text else []
        out.append(FileContext(change, text, enclosing, review.repo, tree))
    return out


def close(contexts: list[FileContext]) -> None:
    """Remove what the contexts' trees copied out of git."""
    for tree in {id(c.tree): c.tree for c in contexts if c.tree is not None}.values():
        tree.close()


def read_new_text(review: Review, change: FileChange, repo: GitRepo | None) -> str | None:
    """The new file's text, or None when it cannot be known (or is binary / deleted / huge)."""
    if change.binary or change.status == "deleted":
        return None
    if review.revision is None or review.revision == "WORKTREE":
        text = _text_in_place(review, change)
        return text if text is not None else _added_text(change)
    return _text_at(review, change, repo)


def _added_text(change: FileChange) -> str | None:
    """The whole text of a file the patch adds, from its one hunk (nothing else is needed)."""
    if change.status != "added" or len(change.hunks) != 1:
        return None
    hunk = change.hunks[0]
    if any(line.kind != "+" for line in hunk.lines):
        return None
    text = "\n".join(line.text for line in hunk.lines)
    return text if hunk.no_newline_at_end or not text else text + "\n"


def _text_in_place(review: Review, change: FileChange) -> str | None:
    """The work tree's text of the file, when it holds the patch (the patch is applied)."""
    if review.revision is None:
        return None
    data = _worktree_bytes(review.repo, change.path)
    if data is None or len(data) > MAX_FILE_BYTES or b"\0" in data[:8000]:
        return None
    text = data.decode("utf-8", "replace")
    return text if _holds_the_diff(text, change) else None


def _text_at(review: Review, change: FileChange, repo: GitRepo | None) -> str | None:
    """The file's text at the review's commit or in the index."""
    assert review.revision is not None
    if repo is None:
        return None
    data = _blob_bytes(repo, review.revision, change.path)
    if data is None or len(data) > MAX_FILE_BYTES or b"\0" in data[:8000]:
        return None
    return data.decode("utf-8", "replace")


def _worktree_bytes(top: Path | None, path: str) -> bytes | None:
    if top is None:
        return None
    target = (top / path).resolve()
    if not target.is_relative_to(top.resolve()) or not target.is_file():
        return None
    try:
        return target.read_bytes()
    except OSError:
        return None


def _blob_bytes(repo: GitRepo, revision: str, path: str) -> bytes | None:
    from duckfix.errors import RepositoryError

    try:
        return repo.blob(revision, path)
    except RepositoryError:
        return None


def _holds_the_diff(text: str, change: FileChange) -> bool:
    lines = text.splitlines()
    for number, added in change.added_lines.items():
        if number > len(lines) or lines[number - 1].rstrip("\r") != added.rstrip("\r"):
            return False
    return True


def _first_changed(hunk: Hunk) -> int:
    """The new line of the hunk's first change (for a removal, the line after it)."""
    last = hunk.new_start - 1
    for line in hunk.lines:
        if line.kind == "+" and line.new is not None:
            return line.new
        if line.kind == "-":
            return max(last + 1, 1)
        if line.new is not None:
            last = line.new
    return hunk.new_start


def enclosing_function(path: str, text: str, hunk: Hunk) -> Enclosing | None:
    """The innermost function (or class) of the new file around the hunk's first change."""
    return enclosing_functions(path, text, [hunk])[0]


def enclosing_functions(path: str, text: str, hunks: Sequence[Hunk]) -> list[Enclosing | None]:
    """:func:`enclosing_function` of each hunk; a Python file is parsed once for all."""
    lines = [_first_changed(h) for h in hunks]
    if path.endswith((".py", ".pyi")):
        spans = _python_definitions(text)
        return [_innermost(spans, line) for line in lines]
    if path.endswith(_C_EXTENSIONS):
        return [_brace_enclosing(text, line) for line in lines]
    return [None for _ in lines]


def _python_definitions(text: str) -> list[Enclosing]:
    """Every function and class of a Python file, with its lines (decorators included)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            out.append(Enclosing(node.name, start, node.end_lineno or node.lineno))
    return out


def _innermost(spans: Sequence[Enclosing], line: int) -> Enclosing | None:
    best: Enclosing | None = None
    for span in spans:
        if span.start <= line <= span.end and (best is None or span.start >= best.start):
            best = span
    return best


def _brace_enclosing(text: str, line: int) -> Enclosing | None:
    lines = text.splitlines()
    for start in range(min(line, len(lines)), 0, -1):
        m = _C_FUNCTION.match(lines[start - 1])
        if not m or m.group(1) in _NOT_FUNCTIONS or lines[start - 1].rstrip().endswith(";"):
            continue
        end = _closing_brace(lines, start)
        if end is not None and end >= line:
            return Enclosing(m.group(1), start, end)
        if end is not None:
            return None  # the nearest function above ended before the hunk
    return None


def _closing_brace(lines: list[str], start: int) -> int | None:
    depth, opened = 0, False
    for number in range(start, len(lines) + 1):
        code = lines[number - 1].split("//", 1)[0]
        for ch in code:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return number
    return None
