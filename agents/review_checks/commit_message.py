"""A commit message read the way kernel and git maintainers read one.

Findings sit on ``COMMIT_MSG`` at a line of :attr:`CommitInfo.message` (the
subject is line 1) and carry the commit's sha. Rules (category ``commit/<rule>``):

- ``subject-length`` (warning): longer than ``subject_length`` characters.
- ``subject-period`` (note): the subject ends with a period.
- ``imperative`` (warning): the subject's first word, after ``area: `` prefixes
  (``net: ``, ``pipelines/review: ``, ``fix(parser): ``), is a past, ``-s`` or
  ``-ing`` form of a common verb (Added, Fixes, Updating); the suggestion uses
  the imperative (Add, Fix, Update). Only listed verbs count, so nouns and
  adjectives that end in -ed or -ing pass.
- ``no-body`` (note): nothing but the subject and trailers, where the project's
  history has bodies (:mod:`duckfix.conventions`).
- ``blank-line`` (warning): the second line is not blank.
- ``signoff`` (error): no ``Signed-off-by:`` when the settings require one;
  (warning) trailers that do not include the author's address, unless the
  project's history shows sign-offs are not its rule, or the author is a bot.
- ``fixes`` (warning): a ``Fixes:`` trailer not of the form
  ``Fixes: <12+ hex digits> ("subject")`` (as many digits as the project's own
  tags use, when they use fewer); with a repository, one naming a commit it
  does not have, or quoting another subject than that commit's. Issue
  references (``Fixes: #12``, a URL, ``ABC-123``) are left alone.
- ``trailer`` (warning): a trailer key misspelled against the trailers the
  project uses or common ones (``Signed-of-by``, ``Reviewed-By``); the
  suggestion spells it right.
- ``subject-prefix`` (note): no ``area: `` prefix where nearly every subject
  of the project has one.
"""

from __future__ import annotations

import re
from pathlib import Path

from duckfix.conventions import KNOWN_TRAILERS, Conventions
from duckfix.findings import Finding, Severity
from duckfix.patches import COMMIT_MSG, CommitInfo
from duckfix.review_settings import ReviewSettings

__all__ = ["check"]

_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)?(?:[\w.\-/+*,{}]+(?:\([^)]*\))?!?:\s+)*")
_FIXES = re.compile(r'^(?P<sha>[0-9a-fA-F]{7,40}) \("(?P<subject>.*)"\)$')
_ISSUE = re.compile(r"^(?:#\d+|[A-Z][A-Z0-9]+-\d+|https?://|[\w.-]+/[\w.-]+#\d+)")
_EMAIL = re.compile(r"<([^<>]+)>")
_FIXES_FORM = 'Fixes: <first 12+ hex digits of the sha> ("<its subject>")'


_VERB_NAMES = (
    "add fix update remove change implement refactor move rename improve delete create "
    "replace introduce convert clean allow enable disable bump revert handle use support "
    "correct avoid ensure prevent simplify optimize document upgrade extend switch "
    "reduce increase restore rework rewrite"
)
"""Verbs that start subjects, in the imperative."""


def _verb_forms() -> dict[str, str]:
    """Past, third-person and -ing forms of verbs that start subjects -> the verb."""
    verbs = _VERB_NAMES.split()
    irregular = {
        "made": "make",
        "makes": "make",
        "making": "make",
        "dropped": "drop",
        "drops": "drop",
        "dropping": "drop",
        "rewrote": "rewrite",
        "rewritten": "rewrite",
        "splits": "split",
        "splitting": "split",
    }
    forms = dict(irregular)
    for verb in verbs:
        stem = verb[:-1] if verb.endswith("e") else verb
        if verb.endswith("y"):
            past, third = verb[:-1] + "ied", verb[:-1] + "ies"
        else:
            past = verb + "d" if verb.endswith("e") else verb + "ed"
            third = verb + "es" if verb.endswith(("s", "x", "z", "ch", "sh")) else verb + "s"
        forms.update({past: verb, third: verb, stem + "ing": verb})
    return forms


_VERBS = _verb_forms()


def check(
    commit: CommitInfo,
    repo: Path | None,
    settings: ReviewSettings,
    conventions: Conventions | None = None,
) -> list[Finding]:
    """Subject, body, sign-off and trailers of one commit's message, as the project writes them."""
    conv = conventions or Conventions()
    lines = commit.message.split("\n")
    out: list[Finding] = []

    def add(
        line: int, severity: Severity, rule: str, message: str, suggestion: str | None = None
    ) -> None:
        out.append(
            Finding(
                path=COMMIT_MSG,
                line=line,
                severity=severity,
                category=f"commit/{rule}",
                message=message,
                suggestion=suggestion,
                commit=commit.sha,
            )
        )

    subject = lines[0]
    if len(subject) > settings.subject_length:
        add(
            1,
            "warning",
            "subject-length",
            f"subject is {len(subject)} characters long, over {settings.subject_length}: "
            "shorten it and move the details to the body",
        )
    if subject.endswith(".") and not subject.endswith(".."):
        add(1, "note", "subject-period", "subject ends with a period: drop it", subject.rstrip("."))
    imperative = _imperative(subject)
    if imperative is not None:
        word, fixed = imperative
        add(
            1,
            "warning",
            "imperative",
            f"subject is not in the imperative mood ({word!r}): say what the commit does, "
            'as a command ("Add x", not "Added x")',
            fixed,
        )
    if len(lines) > 1 and lines[1].strip():
        add(
            2,
            "warning",
            "blank-line",
            "the second line is not blank: leave one blank line between subject and body",
        )
    plain = not subject.startswith(("Merge ", "Revert ", "fixup! ", "squash! "))
    if conv.bodies_expected and not _has_prose(commit) and plain:
        add(
            1,
            "note",
            "no-body",
            "the message has no body: say why the change is needed and what it affects",
        )
    if conv.subject_style == "area" and plain and not _has_prefix(subject):
        add(
            1,
            "note",
            "subject-prefix",
            "nearly every subject here starts with the area it changes ('area: ...'): "
            "start this one so too",
        )

    trailers = commit.trailers
    signoffs = [value for key, value in trailers if key.lower() == "signed-off-by"]
    if not signoffs and settings.signoff:
        add(
            len(lines) - (lines[-1] == ""),
            "error",
            "signoff",
            "no Signed-off-by: trailer, and this project requires one: "
            f"commit with 'git commit -s' (Signed-off-by: {commit.author or 'Name <email>'})",
        )
    author = _email(commit.author)
    # A sign-off from another address is a slip where sign-offs are the rule (or
    # nothing is known); where the history has few, it is a tool's doing.
    dco = settings.signoff or not conv.known or conv.signoff_expected
    bot = "[bot]" in commit.author
    if dco and not bot and signoffs and author and not any(_email(s) == author for s in signoffs):
        add(
            _line_of(lines, "Signed-off-by", signoffs[0]),
            "warning",
            "signoff",
            f"no Signed-off-by: for the author's address <{author}>: the author must sign "
            "off too ('git commit -s --amend')",
        )
    for value in (value for key, value in trailers if key.lower() == "fixes"):
        if not _ISSUE.match(value):
            for severity, message, suggestion in _check_fixes(value, repo, conv.fixes_sha_length):
                add(_line_of(lines, "Fixes", value), severity, "fixes", message, suggestion)
    for key, value in trailers:
        right = _spelled(key, conv)
        if right is not None:
            add(
                _line_of(lines, key, value),
                "warning",
                "trailer",
                f"{key}: is not a trailer this project uses; did you mean {right}:?",
                f"{right}: {value}",
            )
    return out


def _spelled(key: str, conv: Conventions) -> str | None:
    """The right spelling of a misspelled trailer key; None when ``key`` is fine or unknown."""
    known = conv.spelling(key)
    if known is not None:
        # Only case differs: wrong when it is not how the project itself writes it.
        return known if known != key and key not in conv.trailers else None
    if "-" not in key:
        return None  # "Note:", "Example:": prose, not a misspelled trailer
    from difflib import get_close_matches

    names = list(dict.fromkeys([*conv.trailers, *KNOWN_TRAILERS]))
    close = get_close_matches(key.lower(), [n.lower() for n in names], n=1, cutoff=0.85)
    return next((n for n in names if close and n.lower() == close[0]), None)


def _has_prefix(subject: str) -> bool:
    m = _PREFIX.match(subject)
    return m is not None and bool(m.group())


def _imperative(subject: str) -> tuple[str, str] | None:
    """The first word if it is a listed non-imperative form, and the subject fixed."""
    prefix = _PREFIX.match(subject)
    start = prefix.end() if prefix else 0
    m = re.compile(r"[A-Za-z]+\b").match(subject, start)
    if not m or m.group().lower() not in _VERBS:
        return None
    word = m.group()
    verb = _VERBS[word.lower()]
    verb = verb.capitalize() if word[0].isupper() else verb
    return word, subject[: m.start()] + verb + subject[m.end() :]


def _has_prose(commit: CommitInfo) -> bool:
    """The body says something besides its trailers."""
    trailer_lines = {f"{k}: {v}" for k, v in commit.trailers}
    return any(
        line.strip() and re.sub(r":\s+", ": ", line.strip(), count=1) not in trailer_lines
        for line in commit.body.splitlines()
    )


def _email(who: str) -> str | None:
    m = _EMAIL.search(who)
    return m.group(1).strip().lower() if m else None


def _line_of(lines: list[str], key: str, value: str) -> int:
    """The message line (1-based) of trailer ``key: value``, searched from the end."""
    for i in range(len(lines) - 1, -1, -1):
        m = re.match(r"^\s*([A-Za-z][A-Za-z0-9-]*):\s+(.*)$", lines[i])
        if m and m.group(1).lower() == key.lower() and m.group(2).strip() == value:
            return i + 1
    return 1


def _check_fixes(
    value: str, repo: Path | None, digits: int = 12
) -> list[tuple[Severity, str, str | None]]:
    """What is wrong with one ``Fixes:`` trailer's value, each with a fixed trailer if known.

    ``digits``: the fewest hex digits a well-formed sha has (the project's habit, 12 at most).
    """
    m = _FIXES.match(value)
    if m is not None and len(m.group("sha")) < digits:
        m = None
    loose = re.match(r"[0-9a-fA-F]{7,40}\b", value)
    sha = m.group("sha") if m else loose.group() if loose else None
    malformed = f"malformed Fixes: trailer; write {_FIXES_FORM}"
    if repo is None or sha is None:
        return [] if m else [("warning", malformed, None)]
    try:
        actual = _git(repo, "log", "-1", "--format=%s", f"{sha}^{{commit}}", "--")
        expected = _git(repo, "log", "-1", "--abbrev=12", '--format=Fixes: %h ("%s")', sha, "--")
    except OSError as exc:
        return [("note", f"could not check the Fixes: trailer ({exc})", None)]
    problems: list[tuple[Severity, str, str | None]] = []
    if m is None:
        problems.append(("warning", malformed, expected))
    if actual is None:
        problems.append(
            ("warning", f"Fixes: names a commit this repository does not have ({sha})", None)
        )
    elif m is not None and m.group("subject") != actual:
        problems.append(
            (
                "warning",
                f'Fixes: quotes a subject that is not commit {sha[:12]}\'s ("{actual}")',
                expected,
            )
        )
    return problems


def _git(repo: Path, *args: str) -> str | None:
    """One line of ``git`` output in ``repo``; None when git says no (an unknown commit).

    Raises :class:`OSError` when git cannot be run at all.
    """
    import subprocess

    from duckfix.gitenv import safe_env

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=repo,
            env=safe_env(),
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=30,
        )
    except subprocess.SubprocessError as exc:  # a timeout
        raise OSError(f"git {args[0]} did not finish") from exc
    return done.stdout.rstrip("\n") if done.returncode == 0 and done.stdout.strip() else None
