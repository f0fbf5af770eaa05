"""The repository's own ``scripts/checkpatch.pl`` on each patch, its lines mapped to findings.

Kernel-style projects ship checkpatch (GPL-2.0) and configure it in a
``.checkpatch.conf`` at their top folder. It is run as a separate program,
never copied or imported: ``perl scripts/checkpatch.pl`` from the reviewed
tree, in :mod:`duckfix.sandbox` (the script comes from the tree under review),
with the project's ``.checkpatch.conf`` (``CHECKPATCH_CONFIG_DIR``) and, after
it, the options this check needs to read the output: ``--no-file`` (a project
may set ``-f`` for its own file checks), ``--terse --showfile --show-types
--no-summary --color=never``, and ``--no-tree`` (no kernel tree is laid out
in the sandbox).

Each line ``FILE:LINE: LEVEL:TYPE: message`` becomes a finding of category
``checkpatch/<TYPE>`` on that line of the new file; one about the commit
message (``-:N:``, a line of the patch) sits on the message line it quotes
(the subject when it cannot be told). ``ERROR`` is an error, ``WARNING`` a
warning, ``CHECK`` (``--strict``) a note. Findings off the lines the patch
shows are dropped by the review's merge, like any other.
"""

from __future__ import annotations

import re

from duckfix.agents.review_checks.tool import run_sandboxed, sandbox_path
from duckfix.errors import CheckNotRun
from duckfix.findings import Finding, Severity
from duckfix.patches import COMMIT_MSG, CommitInfo
from duckfix.source_tree import SourceTree

__all__ = ["SCRIPT", "applies", "check_patch", "parse_output"]

SCRIPT = "scripts/checkpatch.pl"
_CONFIG = ".checkpatch.conf"
_LINE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+): (?P<level>ERROR|WARNING|CHECK):(?P<type>\w+): ?(?P<msg>.*)$"
)
_LEVELS: dict[str, Severity] = {"ERROR": "error", "WARNING": "warning", "CHECK": "note"}
_OPTIONS = ["--no-file", "--terse", "--showfile", "--show-types", "--no-summary",
            "--color=never", "--no-tree"]  # fmt: skip
# What checkpatch can only judge by asking git about commits, and the sandbox
# has no repository to ask: without one it reports every commit id as
# unknown. The commit check verifies Fixes: and commit references instead.
_NEEDS_GIT = "UNKNOWN_COMMIT_ID,GIT_COMMIT_ID,BAD_FIXES_TAG"


def applies(tree: SourceTree | None) -> bool:
    """The reviewed tree ships ``scripts/checkpatch.pl``."""
    return tree is not None and tree.exists(SCRIPT)


def check_patch(
    patch: str, tree: SourceTree, commit: CommitInfo | None, files: set[str]
) -> list[Finding]:
    """checkpatch's findings on one patch (``git format-patch`` text, or a bare diff).

    ``files`` are the paths the patch changes (a line naming another file is
    about the commit message or is checkpatch's own confusion, and goes to
    ``COMMIT_MSG`` or nowhere). Raises :class:`CheckNotRun` when perl is
    missing or the script fails.
    """
    import shutil

    perl = shutil.which("perl", path=sandbox_path())
    if perl is None:
        raise CheckNotRun("perl is not installed")
    folder = tree.folder(lambda p: p.startswith("scripts/") or p == _CONFIG).resolve()
    command = [perl, str(folder / SCRIPT), *_OPTIONS, "--ignore", _NEEDS_GIT]
    if commit is None:
        command.append("--no-signoff")  # a bare diff has no message to sign
    command.append("-")
    env = {"LC_ALL": "C", "CHECKPATCH_CONFIG_DIR": str(folder)}
    done = run_sandboxed(command, patch, what="checkpatch", read_only=[str(folder)], env=env)
    findings = parse_output(done.stdout, patch, commit, files)
    if not findings and done.exit_code not in (0, 1):
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CheckNotRun(f"checkpatch exited with status {done.exit_code} ({detail})")
    return findings


def parse_output(
    output: str, patch: str, commit: CommitInfo | None, files: set[str]
) -> list[Finding]:
    """Findings from checkpatch's ``--terse --showfile --show-types`` lines."""
    patch_lines = patch.splitlines()
    message_lines = commit.message.splitlines() if commit is not None else []
    out: list[Finding] = []
    for raw in output.splitlines():
        m = _LINE.match(raw.strip())
        if m is None:
            continue
        kind, level, number = m.group("type"), m.group("level"), int(m.group("line"))
        message = f"{m.group('msg').strip()} (checkpatch {kind})"
        path = m.group("file")
        if path in files:
            out.append(_finding(path, number, level, kind, message, None))
        elif commit is not None and path in ("-", ""):  # a line of the patch: the message
            quoted = patch_lines[number - 1] if 1 <= number <= len(patch_lines) else ""
            line = _message_line(quoted, message_lines)
            out.append(_finding(COMMIT_MSG, line, level, kind, message, commit.sha))
    return out


def _finding(path: str, line: int, level: str, kind: str, message: str, sha: str | None) -> Finding:
    return Finding(
        path=path,
        line=line,
        severity=_LEVELS[level],
        category=f"checkpatch/{kind}",
        message=message,
        commit=sha,
    )


def _message_line(quoted: str, message_lines: list[str]) -> int:
    text = quoted.strip()
    if text.lower().startswith("subject:"):
        return 1
    for number, line in enumerate(message_lines, 1):
        if text and line.strip() == text:
            return number
    return 1
