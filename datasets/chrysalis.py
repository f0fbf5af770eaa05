"""Load the public Chrysalis HLS bug dataset: designs, their injected bugs, each bug applied.

The layout, under a folder the user names (``HLS_Bug_Dataset`` or its parent)::

    HLS_Bug_Dataset/
        README*                                  optional; UTF-16 with a BOM in the original
        <suite>/<design>/Source_Code/<design>.cpp     the bug-free design
        <suite>/<design>/Bugs/bug_<TYPES>.txt         one file per injected bug set

A bug file holds JSON ``{"Error Specification": [{"Error Type": ..., "Original Code":
..., "Faulty Code": ...}, ...]}``. ``TYPES`` in its name are the category codes
(``bug_OOB.txt``, ``bug_FND_APT.txt``), but each entry's ``Error Type`` decides its
category: a code (``"OOB"``) or a longer name with the code in parentheses
(``"Out-of-Bounds Access (OOB)"``).

Each entry is one bug, applied on its own to the design's source by replacing
the first occurrence of its Original Code with its Faulty Code. When the exact
text is not there, the match ignores differences in whitespace (a run of
blanks and newlines matches any other run; leading and trailing whitespace is
ignored) and the matched span is replaced. A bug that still does not apply, a
bug file that is not valid JSON, or a design whose source is missing gives a
bug marked not applied with the reason; loading never stops at one bad bug.

Line endings are read as ``\\n`` (a CRLF source gives the same line numbers).

The folder is hostile input, read through :class:`SafeFolder`: a symbolic
link or special file among the entries looked at (suites, designs, bug
files, sources, READMEs), anywhere in a design's ``Source_Code`` folder (the
compiler of the review reads its headers) or a foreign hard link is refused
with a :class:`TaskError`, and so is a file read that is over ``max_bytes``.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from duckfix.datasets.builder.categories import CATEGORIES, CHRYSALIS_CODES
from duckfix.errors import NotFoundError, TaskError
from duckfix.safe_files import DEFAULT_MAX_BYTES, SafeFolder, read_file
from duckfix.textsearch import find_snippet

__all__ = [
    "BUGS_FOLDER",
    "CHRYSALIS_CODES",
    "DATASET_FOLDER",
    "SOURCE_FOLDER",
    "UNKNOWN",
    "ChrysalisBug",
    "ChrysalisDataset",
    "ChrysalisDesign",
    "LineRange",
    "apply_bug",
    "category_of",
    "changed_lines",
    "dataset_root",
    "decode_text",
    "design_bugs",
    "load_chrysalis",
    "read_text",
    "scan_chrysalis",
]

DATASET_FOLDER = "HLS_Bug_Dataset"
SOURCE_FOLDER = "Source_Code"
BUGS_FOLDER = "Bugs"
UNKNOWN = "unknown"
"""The category of a bug whose Error Type names no Chrysalis code."""

_KIND = {c.name: c.kind for c in CATEGORIES if c.name in CHRYSALIS_CODES}

_LAYOUT = (
    f"expected {DATASET_FOLDER}/<suite>/<design>/{SOURCE_FOLDER}/<design>.cpp and "
    f"{DATASET_FOLDER}/<suite>/<design>/{BUGS_FOLDER}/bug_<TYPES>.txt "
    f"(give the {DATASET_FOLDER} folder or the folder holding it)"
)
_SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".c")
_WHAT = "Chrysalis datasets"
_PAREN = re.compile(r"\(([^()]*)\)")
_WORD = re.compile(r"[A-Za-z]+")
_NUMBER = re.compile(r"(\d+)")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LineRange(_Frozen):
    """Lines of the faulty source a bug changed: 1-based, inclusive.

    A bug that only deletes lines changes no line of the faulty source; its
    range is then the one line that now stands where the deleted ones were.
    """

    start: int
    end: int
    deletion: bool = False
    """True when the bug only deleted lines (no line of the faulty source is new)."""

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.start <= line <= self.end


class ChrysalisBug(_Frozen):
    """One entry of a bug file, applied (or not) to its design's source."""

    suite: str
    design: str
    bug_file: str
    """The bug file's name, e.g. ``bug_FND_APT.txt``."""
    index: int
    """0-based position of the entry in the file's Error Specification."""
    category: str
    """A Chrysalis code (``OOB``, ``FND``...), or ``unknown``."""
    error_type: str = ""
    """The entry's Error Type as written."""
    source_name: str = ""
    """The source file's name, e.g. ``fir.cpp`` (the path of the review's diff)."""
    source_dir: Path | None = None
    """The design's Source_Code folder (its headers are there)."""
    original_code: str = ""
    faulty_code: str = ""
    original_source: str | None = None
    """The design's source as shipped; None when it could not be read."""
    faulty_source: str | None = None
    """The source with this bug applied; None when it does not apply."""
    changed: LineRange | None = None
    """Lines of ``faulty_source`` the bug changed."""
    applied: bool = False
    match: Literal["exact", "whitespace"] | None = None
    """How the Original Code was found in the source."""
    reason: str | None = None
    """Why the bug is not applied (None when it is)."""

    @property
    def label(self) -> str:
        """``suite/design/bug_file[index]``: how messages name this bug."""
        return f"{self.suite}/{self.design}/{self.bug_file}[{self.index}]"

    @property
    def kind(self) -> str:
        """``logic`` or ``pragma`` (the Chrysalis split), or ``unknown``."""
        return _KIND.get(self.category, UNKNOWN)


class ChrysalisDesign(_Frozen):
    """One design: its source file and its bug files."""

    suite: str
    name: str
    source: Path | None
    """The bug-free source, None when the design has none."""
    bug_files: list[str]


class ChrysalisDataset(_Frozen):
    """A loaded dataset: where it is, its README's title, its designs and every bug."""

    root: Path
    """The ``HLS_Bug_Dataset`` folder."""
    title: str | None = None
    """The README's first non-empty line, when there is a readable README."""
    designs: list[ChrysalisDesign]
    bugs: list[ChrysalisBug]
    problems: list[str] = []
    """What was odd about the dataset as a whole (designs without bug files, a bad README)."""


# --- reading ------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes in UTF-8 or, by their BOM, UTF-16 / UTF-32; undecodable bytes replaced.

    Chrysalis's README is UTF-16 with a BOM; other files may be UTF-8 with or
    without one. Newlines come back as ``\\n``.
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = data.decode("utf-32", "replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", "replace")  # the BOM says which byte order
    else:
        text = data.decode("utf-8-sig", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of one file (see :func:`decode_text`).

    A :class:`TaskError` when it is not a regular file, is over ``max_bytes``
    or cannot be read (:func:`duckfix.safe_files.read_file`).
    """
    return decode_text(read_file(path, max_bytes=max_bytes))


def dataset_root(path: Path) -> Path:
    """The ``HLS_Bug_Dataset`` folder at ``path`` or inside it.

    :class:`NotFoundError` when ``path`` does not exist; :class:`TaskError`
    naming the expected layout when it holds no design in that layout.
    """
    _check_given(path)
    with SafeFolder(path, what=_WHAT) as given:
        base = _base(given)
    return path / base if base else path


def _check_given(path: Path) -> None:
    if not path.exists():
        raise NotFoundError(f"{path}: no such folder; {_LAYOUT}")
    if not path.is_dir():
        raise TaskError(f"{path}: not a folder; {_LAYOUT}")


def _base(given: SafeFolder) -> str:
    """Where in the folder the user gave the designs are: ``HLS_Bug_Dataset`` or ``""``."""
    inner = given.kind(DATASET_FOLDER) == "folder"
    for candidate in (DATASET_FOLDER, "") if inner else ("",):
        if _design_folders(given, candidate):
            return candidate
    raise TaskError(f"{given.path}: not a Chrysalis HLS bug dataset; {_LAYOUT}")


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _folders(given: SafeFolder, rel: str) -> list[str]:
    # Entries are looked at, so a link among them is refused, not followed.
    found = given.names(rel, only=lambda name: not name.startswith((".", "__")))
    return sorted((name for name, kind in found if kind == "folder"), key=_natural)


def _natural(name: str) -> list[Any]:
    # bug_2 before bug_10, design2 before design10: the order a person lists them in.
    return [int(p) if p.isdigit() else p.lower() for p in _NUMBER.split(name)]


def _design_folders(given: SafeFolder, base: str) -> list[tuple[str, str]]:
    """``(suite, design folder relative to the given folder)`` of every design under ``base``."""
    out = []
    for suite in _folders(given, base):
        for design in _folders(given, _join(base, suite)):
            rel = _join(base, suite, design)
            sub = {given.kind(f"{rel}/{SOURCE_FOLDER}"), given.kind(f"{rel}/{BUGS_FOLDER}")}
            if "folder" in sub:
                out.append((suite, rel))
    return out


def _title(given: SafeFolder, base: str) -> str | None:
    # The README sits in HLS_Bug_Dataset; a parent the user named may hold it too.
    for folder in (base, "") if base else ("",):
        readmes = given.names(folder, only=lambda name: name.startswith("README"))
        for name, kind in readmes:
            if kind != "file":
                continue
            text = decode_text(given.read_bytes(_join(folder, name)))
            for line in text.splitlines():
                line = line.strip().lstrip("#").strip()
                if line:
                    return line
    return None


def _source_file(given: SafeFolder, design: str) -> str | None:
    """The design's source, relative to the given folder; None when it has none."""
    folder = f"{design}/{SOURCE_FOLDER}"
    name = design.rsplit("/", 1)[-1]
    if given.kind(folder) != "folder":
        return None
    exact = f"{folder}/{name}.cpp"
    if given.kind(exact) == "file":
        return exact
    # Some checkouts differ in case or suffix (fir.CPP, fir.cc); never a test bench.
    wanted = {f"{name}{s}".lower() for s in _SOURCE_SUFFIXES}
    files = [n for n, kind in given.names(folder) if kind == "file" and n.lower() in wanted]
    return f"{folder}/{min(files)}" if files else None


def load_chrysalis(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ChrysalisDataset:
    """Every design and bug of the dataset at ``path`` (``HLS_Bug_Dataset`` or its parent).

    Bugs come in suite, design, bug file (natural order) and entry order, each
    applied on its own to the design's source. Problems with one bug or one
    design are carried on the bugs (``applied=False``, ``reason``); only a
    ``path`` that is not such a dataset raises (:func:`dataset_root`), or one
    holding what :class:`SafeFolder` refuses: a link or special file among
    the entries looked at, a foreign hard link, a file read that is over
    ``max_bytes``, or any of these in a design's ``Source_Code`` folder (the
    compiler reads its headers).
    """
    found = scan_chrysalis(path, max_bytes=max_bytes)
    with SafeFolder(found.root, max_bytes=max_bytes, what=_WHAT) as root:
        bugs = [bug for design in found.designs for bug in _design_bugs(root, design)]
    return found.model_copy(update={"bugs": bugs})


def scan_chrysalis(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ChrysalisDataset:
    """The dataset at ``path`` as :func:`load_chrysalis` gives it, but without its bugs.

    Only folders are listed (and the README read): no bug file or source is
    opened, so a driver can hand the designs to workers that read them
    (:func:`design_bugs`). Raises as :func:`load_chrysalis` does for ``path``.
    """
    _check_given(path)
    with SafeFolder(path, max_bytes=max_bytes, what=_WHAT) as given:
        return _scan(given, path)


def design_bugs(
    root: Path,
    design: ChrysalisDesign,
    bug_files: list[str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[ChrysalisBug]:
    """The bugs of ``design`` (of the dataset whose ``HLS_Bug_Dataset`` folder is ``root``).

    ``bug_files``: only these of its bug files (default: all). The design's
    folder is walked from ``root`` by the same rules as :func:`load_chrysalis`,
    so a link put there after the scan is refused too.
    """
    with SafeFolder(root, max_bytes=max_bytes, what=_WHAT) as given:
        return _design_bugs(given, design, bug_files)


def _scan(given: SafeFolder, path: Path) -> ChrysalisDataset:
    base = _base(given)
    root = path / base if base else path
    problems: list[str] = []
    title = _title(given, base)
    designs: list[ChrysalisDesign] = []
    for suite, design in _design_folders(given, base):
        name = design.rsplit("/", 1)[-1]
        source = _source_file(given, design)
        bug_dir = f"{design}/{BUGS_FOLDER}"
        bug_files: list[str] = []
        if given.kind(bug_dir) == "folder":
            found = given.names(bug_dir, only=lambda n: n.endswith(".txt"))
            bug_files = sorted((n for n, kind in found if kind == "file"), key=_natural)
        designs.append(
            ChrysalisDesign(
                suite=suite,
                name=name,
                source=path / source if source else None,
                bug_files=bug_files,
            )
        )
        if not bug_files:
            problems.append(f"{suite}/{name}: no {BUGS_FOLDER}/*.txt bug files")
    return ChrysalisDataset(root=root, title=title, designs=designs, bugs=[], problems=problems)


def _design_bugs(
    root: SafeFolder, design: ChrysalisDesign, bug_files: list[str] | None = None
) -> list[ChrysalisBug]:
    """Read and apply ``design``'s bugs; ``root`` is the ``HLS_Bug_Dataset`` folder."""
    rel = f"{design.suite}/{design.name}"
    if design.source is not None:
        root.check_tree(f"{rel}/{SOURCE_FOLDER}")
    original: str | None = None
    missing: str | None = None
    if design.source is None:
        missing = f"{SOURCE_FOLDER}/{design.name}.cpp not found"
    else:
        original = decode_text(root.read_bytes(f"{rel}/{SOURCE_FOLDER}/{design.source.name}"))
    where = {
        "suite": design.suite,
        "design": design.name,
        "source_name": design.source.name if design.source else f"{design.name}.cpp",
        "source_dir": root.path / rel / SOURCE_FOLDER,
        "original_source": original,
    }
    bugs: list[ChrysalisBug] = []
    for bug_file in design.bug_files if bug_files is None else bug_files:
        text = decode_text(root.read_bytes(f"{rel}/{BUGS_FOLDER}/{bug_file}"))
        bugs += _bugs_of(bug_file, text, where, missing)
    return bugs


# --- bug files ----------------------------------------------------------------------


def _file_codes(name: str) -> list[str]:
    """The category codes a bug file's name gives (``bug_FND_APT.txt`` -> FND, APT)."""
    stem = Path(name).stem
    stem = stem[4:] if stem.lower().startswith("bug_") else stem
    return [p.upper() for p in stem.split("_") if p.upper() in CHRYSALIS_CODES]


def category_of(error_type: str, file_codes: list[str] | None = None) -> str:
    """The Chrysalis code an Error Type names, else the file name's only code, else ``unknown``.

    ``"OOB"``, ``"oob"``, ``"Out-of-Bounds (OOB)"`` and ``"OOB: out of bounds"`` are
    all ``OOB``; a code in parentheses wins over other words.
    """
    text = error_type.strip()
    if text.upper() in CHRYSALIS_CODES:
        return text.upper()
    inside: list[str] = [m.strip().upper() for m in _PAREN.findall(text)]
    code = next((c for c in inside if c in CHRYSALIS_CODES), None)
    if code is not None:
        return code
    # Whole upper-case words only: "Infinite loop" must not read as INF.
    found: list[str] = _WORD.findall(text)
    words = [w for w in found if w.isupper() and w in CHRYSALIS_CODES]
    if words:
        return words[0]
    if file_codes and len(set(file_codes)) == 1:
        return file_codes[0]
    return UNKNOWN


def _key(name: object) -> str:
    # "Error Specification", "error_specification", "ErrorSpecification": one key.
    return re.sub(r"[\s_-]", "", str(name)).lower()


def _field(entry: dict[str, Any], name: str) -> Any:
    return next((v for k, v in entry.items() if _key(k) == _key(name)), None)


def _code(value: Any) -> str | None:
    """A code field's text: a string, or a list of lines (some files split code so)."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    return value if isinstance(value, str) else None


def _entries(text: str) -> list[Any]:
    """The entries of a bug file; ValueError saying what is wrong."""
    try:
        # strict=False: hand-written files put raw newlines and tabs inside strings.
        doc = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"not valid JSON ({where}: {exc.msg})") from exc
    except RecursionError as exc:
        raise ValueError("not usable JSON: nested too deeply to parse") from exc
    except ValueError as exc:
        # An integer over Python's digit limit; the rest of the message is for programmers.
        raise ValueError(f"not usable JSON: {str(exc).split(':')[0]}") from exc
    spec = _field(doc, "Error Specification") if isinstance(doc, dict) else doc
    if isinstance(spec, dict):
        spec = [spec]
    if not isinstance(spec, list):
        raise ValueError('no "Error Specification" list in it')
    if not spec:
        raise ValueError('its "Error Specification" is empty')
    return spec


def _bugs_of(
    name: str, text: str, where: dict[str, Any], missing: str | None
) -> list[ChrysalisBug]:
    codes = _file_codes(name)
    try:
        entries = _entries(text)
    except ValueError as exc:
        why = str(exc)
        # One not-applied bug per code the name gives, so each category still counts it.
        return [
            ChrysalisBug(
                **where,
                bug_file=name,
                index=i,
                category=code,
                reason=why,
            )
            for i, code in enumerate(codes or [UNKNOWN])
        ]
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            out.append(
                ChrysalisBug(
                    **where,
                    bug_file=name,
                    index=index,
                    category=codes[index] if index < len(codes) else UNKNOWN,
                    reason=f"entry {index} is not a JSON object",
                )
            )
            continue
        error_type = _field(entry, "Error Type")
        error_type = error_type if isinstance(error_type, str) else ""
        original, faulty = (
            _code(_field(entry, "Original Code")),
            _code(_field(entry, "Faulty Code")),
        )
        bug = {
            **where,
            "bug_file": name,
            "index": index,
            "category": category_of(error_type, codes),
            "error_type": error_type,
            "original_code": original or "",
            "faulty_code": faulty or "",
        }
        if original is None or faulty is None:
            absent = "Original Code" if original is None else "Faulty Code"
            out.append(ChrysalisBug(**bug, reason=f"entry {index} has no {absent!r} text"))
        elif missing is not None:
            out.append(ChrysalisBug(**bug, reason=missing))
        else:
            out.append(ChrysalisBug(**bug, **apply_bug(where["original_source"], original, faulty)))
    return out


# --- applying a bug -----------------------------------------------------------------


def apply_bug(source: str, original: str, faulty: str) -> dict[str, Any]:
    """Replace ``original`` by ``faulty`` in ``source``: the fields a :class:`ChrysalisBug` gets.

    Tries the exact text first, then a match that ignores whitespace
    differences; returns ``applied``, ``match``, ``faulty_source``, ``changed``
    on success, ``applied=False`` and a ``reason`` otherwise.
    """
    original = original.replace("\r\n", "\n")
    faulty = faulty.replace("\r\n", "\n")
    if not original.strip():
        return {"reason": "the Original Code is empty"}
    span = find_snippet(source, original)
    if span is None:
        first = original.strip().splitlines()[0].strip()[:60]
        return {"reason": f"the Original Code is not in the source (it starts {first!r})"}
    at, end = span
    match: Literal["exact", "whitespace"] = "exact" if source[at:end] == original else "whitespace"
    # A loose match starts at the first word: the source keeps its own indentation.
    new = source[:at] + (faulty if match == "exact" else faulty.strip()) + source[end:]
    if new == source:
        return {"reason": "the Faulty Code is the same as the Original Code"}
    return {
        "applied": True,
        "match": match,
        "faulty_source": new,
        "changed": changed_lines(source, new),
    }


def changed_lines(old: str, new: str) -> LineRange | None:
    """The lines of ``new`` that differ from ``old`` (first to last), None when none do."""
    a, b = old.splitlines(), new.splitlines()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    changes = [(j1, j2) for tag, _, _, j1, j2 in ops if tag != "equal"]
    if not changes:
        return None
    added = [(j1, j2) for j1, j2 in changes if j2 > j1]
    if added:
        return LineRange(start=added[0][0] + 1, end=added[-1][1])
    # Only deletions: point at the line now standing where the first deleted one was.
    line = min(max(changes[0][0] + 1, 1), max(len(b), 1))
    return LineRange(start=line, end=line, deletion=True)
