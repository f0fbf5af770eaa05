"""Unified diffs as the review sees them: files, hunks, and the lines each adds.

Parsing is unidiff's; on top of it this module reads what git puts in the
extended header (modes, renames and copies with their similarity, binary
files), unquotes C-quoted paths (``"b/\\303\\244.txt"`` is ``b/ä.txt``), and turns
a malformed hunk into a :class:`~duckfix.errors.PatchError` that names the file
and the line of the diff, never a traceback.

Line numbers are the *new* file's for added and context lines (what a finding
is anchored on) and the old file's for removed lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from duckfix.errors import PatchError

__all__ = [
    "FileChange",
    "Hunk",
    "HunkLine",
    "parse_diff",
    "unquote_path",
]

Status = Literal["added", "deleted", "modified", "renamed", "copied"]
Kind = Literal["+", "-", " "]
_KINDS: dict[str, Kind] = {"+": "+", "-": "-", " ": " "}


@dataclass(frozen=True, slots=True)
class HunkLine:
    """One line of a hunk: ``kind`` is ``+``, ``-`` or space."""

    kind: Kind
    text: str
    """Without its kind character and line ending."""
    old: int | None
    """Line number in the old file (None for an added line)."""
    new: int | None
    """Line number in the new file (None for a removed line)."""


@dataclass(slots=True)
class Hunk:
    """One ``@@`` block."""

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    section: str
    """The text after the second ``@@``: git's guess at the enclosing function."""
    lines: list[HunkLine] = field(default_factory=list)
    diff_line: int = 0
    """Line of the ``@@`` header in the diff text (1-based), for messages."""
    no_newline_at_end: bool = False
    """The new side's last line has no newline (``\\ No newline at end of file`` after it)."""

    @property
    def added(self) -> list[HunkLine]:
        """The lines this hunk adds."""
        return [line for line in self.lines if line.kind == "+"]

    @property
    def new_lines(self) -> range:
        """The new file's lines this hunk shows (context and added)."""
        return range(self.new_start, self.new_start + self.new_length)


@dataclass(slots=True)
class FileChange:
    """What a diff does to one file."""

    path: str
    """The new path (the old one for a deleted file)."""
    old_path: str | None
    """The old path; None for an added file."""
    status: Status
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None
    """Percent similarity of a rename or copy."""
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def added_lines(self) -> dict[int, str]:
        """New line number -> text of every line the diff adds."""
        return {ln.new: ln.text for h in self.hunks for ln in h.lines if ln.new and ln.kind == "+"}

    @property
    def shown_lines(self) -> set[int]:
        """New line numbers the diff shows (added or context): where a finding may sit."""
        return {ln.new for h in self.hunks for ln in h.lines if ln.new is not None}

    @property
    def mode_only(self) -> bool:
        """Only the file mode changed."""
        return self.status == "modified" and not self.hunks and self.old_mode != self.new_mode

    def enclosing_hunk(self, line: int) -> Hunk | None:
        """The hunk whose new side shows ``line``."""
        return next((h for h in self.hunks if line in h.new_lines), None)


# --- paths --------------------------------------------------------------------------

_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_path(path: str) -> str:
    """A path as git wrote it, C-quoted or not, as text (octal escapes are UTF-8 bytes)."""
    path = path.strip()
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = bytearray()
    body, i = path[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            raw += ch.encode()
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            raw.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        else:
            raw.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return raw.decode("utf-8", "surrogateescape")


def _strip_prefix(path: str | None) -> str | None:
    if path is None:
        return None
    path = unquote_path(path)
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


# --- the parser ---------------------------------------------------------------------

_HEADER_VALUE = re.compile(
    r"^(old mode|new mode|deleted file mode|new file mode|similarity index|"
    r"rename from|rename to|copy from|copy to) (.*)$"
)


def _header_fields(info: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for raw in info:
        m = _HEADER_VALUE.match(raw.rstrip("\n"))
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def parse_diff(text: str, source: str = "the diff") -> list[FileChange]:
    """The files a unified (or git) diff changes; :class:`PatchError` if it is malformed.

    ``source`` names where the text came from, for error messages.
    """
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise PatchError(_locate(text, source, str(exc))) from exc
    except (ValueError, IndexError) as exc:  # unidiff is not always polite
        raise PatchError(f"{source}: not a unified diff ({exc})") from exc
    header_lines = _hunk_header_lines(text)
    out: list[FileChange] = []
    for pf in patch:
        info = [str(x) for x in (pf.patch_info or [])]
        fields = _header_fields(info)
        old = _strip_prefix(pf.source_file)
        new = _strip_prefix(pf.target_file)
        if "rename from" in fields:
            old, new = unquote_path(fields["rename from"]), unquote_path(fields["rename to"])
        if "copy from" in fields:
            old, new = unquote_path(fields["copy from"]), unquote_path(fields["copy to"])
        status: Status
        if "copy from" in fields:
            status = "copied"
        elif "rename from" in fields or pf.is_rename:
            status = "renamed"
        elif pf.is_added_file or "new file mode" in fields:
            status, old = "added", None
        elif pf.is_removed_file or "deleted file mode" in fields:
            status = "deleted"
        else:
            status = "modified"
        path = new if new is not None else old
        if path is None:
            raise PatchError(f"{source}: a file entry names no path")
        similarity = fields.get("similarity index", "").rstrip("%")
        change = FileChange(
            path=path,
            old_path=None if status == "added" else (old or path),
            status=status,
            binary=bool(pf.is_binary_file),
            old_mode=fields.get("old mode") or fields.get("deleted file mode"),
            new_mode=fields.get("new mode") or fields.get("new file mode"),
            similarity=int(similarity) if similarity.isdigit() else None,
        )
        for hunk in pf:
            h = Hunk(
                old_start=hunk.source_start,
                old_length=hunk.source_length,
                new_start=hunk.target_start,
                new_length=hunk.target_length,
                section=(hunk.section_header or "").strip(),
                diff_line=header_lines.pop(0) if header_lines else 0,
            )
            for line in hunk:
                kind = line.line_type
                if kind == "\\":
                    # "\ No newline at end of file" follows the line it is about.
                    if h.lines and h.lines[-1].kind in "+ ":
                        h.no_newline_at_end = True
                    continue
                marker = _KINDS.get(kind)
                if marker is None:
                    continue
                text = line.value.rstrip("\r\n")
                h.lines.append(HunkLine(marker, text, line.source_line_no, line.target_line_no))
            change.hunks.append(h)
        out.append(change)
    return out


def _hunk_header_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if line.startswith("@@ ")]


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _locate(text: str, source: str, detail: str) -> str:
    """Where a diff stops making sense: the file and the diff's line, in words."""
    current = "?"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("+++ "):
            current = _strip_prefix(line[4:].split("\t")[0]) or current
        elif line.startswith("diff --git "):
            current = _strip_prefix(line.split(" ")[-1]) or current
        m = _HUNK.match(line)
        if m:
            old_left = int(m.group(2) or 1)
            new_left = int(m.group(4) or 1)
            start = i + 1
            j = i + 1
            while (old_left > 0 or new_left > 0) and j < len(lines):
                body = lines[j]
                if body.startswith("\\"):
                    j += 1
                    continue
                kind = body[:1]
                if kind == " " or body == "":
                    old_left, new_left = old_left - 1, new_left - 1
                elif kind == "-":
                    old_left -= 1
                elif kind == "+":
                    new_left -= 1
                else:
                    return (
                        f"{source}: line {j + 1}: malformed hunk in {current} "
                        f"(the hunk at line {start} expects more lines; got {body[:60]!r})"
                    )
                j += 1
            if old_left > 0 or new_left > 0:
                return (
                    f"{source}: line {start}: malformed hunk in {current}: "
                    "it ends before the line counts in its header"
                )
            if old_left < 0 or new_left < 0:
                return (
                    f"{source}: line {start}: malformed hunk in {current}: "
                    "more lines than its header counts"
                )
            i = j
            continue
        i += 1
    return f"{source}: not a valid unified diff: {detail}"
