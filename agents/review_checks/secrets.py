"""Credentials pasted into the lines a diff adds.

Every finding is an ``error`` (category ``secrets/<kind>``) and its message never
repeats the secret: at most the token's public prefix followed by ``****``.
The rule set, one per line of code (the first that matches a line wins, so a
token inside ``api_key = "..."`` is named by its kind):

- ``private-key``: ``-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----``
- ``aws-access-key``: ``AKIA``/``ASIA`` and 16 upper-case letters or digits
- ``github-token``: ``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 letters or
  digits; ``github_pat_`` and 22 or more
- ``slack-token``: ``xoxb-``, ``xoxa-``, ``xoxp-``, ``xoxr-``, ``xoxs-`` and 10 or more
- ``stripe-key``: ``sk_live_``/``rk_live_`` and 16 or more letters or digits
- ``google-api-key``: ``AIza`` and 35 letters, digits, ``_`` or ``-``
- ``openai-key``: ``sk-`` or ``sk-proj-`` (not inside a word) and 20 or more
  letters, digits, ``_`` or ``-`` with at least one digit (so kebab-case names pass)
- ``hardcoded-password``: a name ending in password, passwd, passphrase, secret,
  api_key, access_key, private_key, access_token, auth_token or api_token,
  assigned (``=`` or ``:``) a quoted literal of 8 or more characters without
  spaces that is not a placeholder (changeme, xxx, ``<...>``, ``${...}``,
  ``{{...}}``, ``$VAR``, ``%(...)s``, your..., example, placeholder, redacted,
  dummy, one repeated character, or the name itself). Values read from the
  environment are not literals and never match.

Test fixtures' fake keys are flagged too: a reviewer would ask about them as well.
"""

from __future__ import annotations

import re

from duckfix.config import ReviewSettings
from duckfix.models import Finding
from duckfix.patches import FileContext

__all__ = ["check"]

_ADVICE = "remove it from the patch, revoke it, and load it from the environment or a secret store"

# (kind, what it is, pattern); group "shown" is the public prefix a message may show.
_TOKENS: list[tuple[str, str, re.Pattern[str]]] = [
    ("private-key", "a private key",
     re.compile(r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?---")),
    ("aws-access-key", "an AWS access key id",
     re.compile(r"(?<![A-Z0-9])(?P<shown>AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])")),
    ("github-token", "a GitHub token",
     re.compile(r"(?<![\w])(?:(?P<shown>gh[pousr]_)[A-Za-z0-9]{36}|(?P<pat>github_pat_)\w{22,})")),
    ("slack-token", "a Slack token",
     re.compile(r"(?<![\w-])(?P<shown>xox[baprs]-)[A-Za-z0-9-]{10,}")),
    ("stripe-key", "a Stripe live key",
     re.compile(r"(?<![\w])(?P<shown>[sr]k_live_)[A-Za-z0-9]{16,}")),
    ("google-api-key", "a Google API key",
     re.compile(r"(?<![\w-])(?P<shown>AIza)[0-9A-Za-z_-]{35}(?![\w-])")),
    ("openai-key", "an API key",
     re.compile(r"(?<![\w-])(?P<shown>sk-(?:proj-)?)(?=[\w-]*\d)[A-Za-z0-9_-]{20,}")),
]  # fmt: skip

_NAMES = (
    r"password|passwd|passphrase|secret|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|(?:access|auth|api)[_-]?token"
)
_ASSIGNMENT = re.compile(
    rf"""(?<![\w.-])(?P<name>(?:[A-Za-z_][\w.-]*?)?(?i:{_NAMES}))["']?   # maybe a quoted key
        \s*(?::\s*[\w\[\], |.]+?\s*)?                   # a type annotation
        (?:=(?!=)|:)\s*                                 # = or : (not ==)
        [rRbBuU]?(?P<q>["'])(?P<value>[^"'\s]{{8,}})(?P=q)
    """,
    re.VERBOSE,
)
_PLACEHOLDER = re.compile(
    r"change_?-?me|xxx|\*\*\*|^<.*>$|\$\{|\{\{|^\$\w+$|%\(|^your|example|placeholder|redacted|dummy",
    re.IGNORECASE,
)


def check(ctx: FileContext, settings: ReviewSettings) -> list[Finding]:
    """Private keys, cloud and service tokens, and hard-coded passwords on added lines."""
    change = ctx.change
    if change.binary or change.status == "deleted":
        return []
    out: list[Finding] = []
    for line, text in change.added_lines.items():
        found = _token(text) or _password(text)
        if found:
            kind, message = found
            out.append(
                Finding(
                    path=change.path,
                    line=line,
                    severity="error",
                    category=f"secrets/{kind}",
                    message=message,
                )
            )
    return out


def _token(text: str) -> tuple[str, str] | None:
    for kind, what, pattern in _TOKENS:
        m = pattern.search(text)
        if m:
            shown = m.groupdict().get("shown") or m.groupdict().get("pat")
            masked = f" ({shown}****)" if shown else ""
            return kind, f"{what}{masked} is added here: {_ADVICE}"
    return None


def _password(text: str) -> tuple[str, str] | None:
    for m in _ASSIGNMENT.finditer(text):
        name, value = m.group("name"), m.group("value")
        if _PLACEHOLDER.search(value) or len(set(value)) == 1:
            continue
        if value.lower() == name.lower().rsplit(".", 1)[-1]:
            continue
        return (
            "hardcoded-password",
            f'{name} is set to a literal secret ("****"): {_ADVICE}',
        )
    return None
