"""The environment a command runs in: stray ``DUCKFIX_*`` variables, and usable folders.

Both are checked where a command starts, before any work:

- a ``DUCKFIX_*`` variable that is neither a setting nor one duckfix reads on
  purpose would be ignored without a word (``DUCKFIX_LLM_PROVIDER`` for
  ``DUCKFIX_LLM__PROVIDER`` is the usual slip); it is named in a warning, with
  the variable it probably meant;
- a folder duckfix writes into (its home, ``DUCKFIX_SANDBOX_DIR``) must be a
  folder it can create files in, or the command stops with one line saying
  which folder and why, rather than with a traceback half-way through a run.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from duckfix.errors import ConfigError

__all__ = [
    "OTHER_VARIABLES",
    "SANDBOX_DIR_VARIABLE",
    "check_sandbox_dir",
    "folder_problem",
    "stray_variables",
]

SANDBOX_DIR_VARIABLE = "DUCKFIX_SANDBOX_DIR"

OTHER_VARIABLES: dict[str, str] = {
    SANDBOX_DIR_VARIABLE: "the folder sandboxed runs are copied into (duckfix/sandbox.py)",
    "DUCKFIX_SKIP": "1 skips the pre-push review (service/hook.py)",
    "DUCKFIX_DEBUG": "1 shows the traceback of an internal error, like --debug (service/cli.py)",
    "DUCKFIX_SMTP_PASSWORD": "the default of mail.smtp_password_env",
    "DUCKFIX_IMAP_PASSWORD": "the default of mail.imap_password_env",
    "DUCKFIX_TOKEN": "the default of server.token_env (a client's bearer token)",
    # Set by the runner for the harness inside the sandbox; a duckfix started in
    # there (its own test suite, say) sees them.
    "DUCKFIX_TEST_TIMEOUT": "the pytest plugin's seconds per test (sandbox only)",
    "DUCKFIX_TRACE": "the pytest plugin's tracing spec (sandbox only)",
    "DUCKFIX_SECRET_FD": "where a C bench reads its secret (sandbox only)",
    "DUCKFIX_REPORT_FD": "where a C bench reports its cases (sandbox only)",
    "DUCKFIX_REHEARSAL": "set, and unset again, by the warm spawner's rehearsal session",
}
"""``DUCKFIX_*`` variables duckfix reads on purpose that are not settings."""


def stray_variables(
    environ: Mapping[str, str], settings_env: Mapping[str, str], also: Iterable[str] = ()
) -> list[str]:
    """One warning per ``DUCKFIX_*`` variable in ``environ`` that nothing reads.

    ``settings_env`` maps each setting's variable to its dotted name
    (:func:`duckfix.config.env_names`); ``also`` names variables the settings
    in force point at (``mail.smtp_password_env``), which are read too.
    """
    prefix = "DUCKFIX_"
    known_settings = {name.upper() for name in settings_env}
    sections = {dotted.rpartition(".")[0] for dotted in settings_env.values()} - {""}
    read = {*OTHER_VARIABLES, *also}
    candidates = sorted(known_settings | {n for n in read if n.startswith(prefix)})
    warnings: list[str] = []
    for name in sorted(environ):
        if not name.startswith(prefix) or name in read:
            continue
        # Settings are matched without regard to case (settings_files.layered).
        if name.upper() in known_settings:
            continue
        tail = name[len(prefix) :].upper()
        # Compared without the shared prefix, which would make every pair look alike.
        close = difflib.get_close_matches(tail, [c[len(prefix) :] for c in candidates], n=1)
        if tail.lower().replace("__", ".") in sections:
            hint = f"a section's settings are set one by one, as {prefix}{tail}__<NAME>"
        elif close:
            meant = prefix + close[0]
            dotted = settings_env.get(meant)
            hint = f"did you mean {meant}" + (f" (setting {dotted})?" if dotted else "?")
        else:
            hint = "`duckfix config` lists the settings"
        warnings.append(f"duckfix: warning: ignoring {name}, which duckfix does not read; {hint}")
    return warnings


def folder_problem(path: Path, *, missing_ok: bool = False) -> str | None:
    """Why duckfix cannot create files in the folder ``path``; None when it can.

    With ``missing_ok`` a folder that does not exist yet is fine if it could be
    made: its nearest existing parent is checked instead. The reason names the
    folder it is about, which may be that parent.
    """
    target = path
    while missing_ok and target.parent != target and not _exists(target):
        target = target.parent
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return f"{target} does not exist"
    except OSError as exc:
        return f"{target} cannot be looked at ({exc.strerror})"
    if not stat.S_ISDIR(mode):
        kind = "a file" if stat.S_ISREG(mode) else "a special file"
        return f"{target} is {kind}, not a folder"
    # A real attempt, not os.access: root passes every access check, yet cannot
    # create files in /proc/1 or on a read-only mount.
    try:
        probe = tempfile.mkdtemp(prefix=".duckfix-probe-", dir=target)
    except OSError as exc:
        return f"cannot create files in {target} ({exc.strerror})"
    os.rmdir(probe)
    return None


def check_sandbox_dir(environ: Mapping[str, str]) -> None:
    """Refuse a ``DUCKFIX_SANDBOX_DIR`` that is not an existing folder duckfix can write in.

    The sandbox makes each run's copy there; it does not create the folder
    itself. An empty value means unset (the system's temporary folder).
    """
    value = environ.get(SANDBOX_DIR_VARIABLE) or ""
    if not value:
        return
    problem = folder_problem(Path(value))
    if problem is not None:
        raise ConfigError(
            f"{SANDBOX_DIR_VARIABLE}={value} is not usable: {problem}; "
            "point it at an existing writable folder, or unset it"
        )


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:
        return False
    return True
