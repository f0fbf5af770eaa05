"""Credentials pasted into the lines a diff adds.

Every finding is an ``error`` (category ``secrets/<kind>``) and its message never
repeats the secret: at most the token's public prefix followed by ``****``.
The rule set, one per line of code (the first that matches a line wins, so a
token inside ``api_key = "..."`` is named by its kind):

- ``private-key``: ``-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----``
- ``aws-access-key``: ``AKIA``/``ASIA`` and 16 upper-case letters or digits
- ``aws-secret-key``: 40 base64 characters (with at least one digit and one
  ``/`` or ``+`` or mixed case) within a few characters after a name that says
  AWS and secret (``AWS_SECRET_ACCESS_KEY = "..."``, ``aws_secret_access_key:``)
- ``github-token``: ``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 letters or
  digits; ``github_pat_`` and 22 or more
- ``gitlab-token``: ``glpat-``, ``gldt-``, ``glrt-``, ``glptt-``, ``glsoat-``,
  ``glcbt-`` and 20 or more letters, digits, ``_`` or ``-``; runner registration
  tokens ``GR1348941`` and 20 or more
- ``slack-token``: ``xoxb-``, ``xoxa-``, ``xoxp-``, ``xoxr-``, ``xoxs-``, ``xapp-``
  and 10 or more; incoming webhook URLs ``hooks.slack.com/services/T.../B.../...``
- ``stripe-key``: ``sk_live_``/``rk_live_`` and 16 or more letters or digits
- ``google-api-key``: ``AIza`` and 35 letters, digits, ``_`` or ``-``
- ``google-oauth-secret``: ``GOCSPX-`` and 28 letters, digits, ``_`` or ``-``
- ``openai-key``: ``sk-`` or ``sk-proj-`` (not inside a word) and 20 or more
  letters, digits, ``_`` or ``-`` with at least one digit (so kebab-case names pass)
- ``hardcoded-password``: a name ending in password, passwd, passphrase, secret,
  api_key, access_key, private_key, access_token, auth_token or api_token,
  assigned (``=`` or ``:``) a quoted literal of 8 or more characters without
  spaces that is not a placeholder (changeme, xxx, ``<...>``, ``${...}``,
  ``{{...}}``, ``$VAR``, ``%(...)s``, your..., example, placeholder, redacted,
  dummy, one repeated character, or the name itself). Values read from the
  environment are not literals and never match.
- ``high-entropy``: a quoted string of 20 or more base64 or hex characters whose
  Shannon entropy is high (over 4.0 bits a character for base64, 3.0 for hex,
  detect-secrets' thresholds) assigned to a name that says key, token, secret,
  credential, auth or password.

The rule set follows the token formats detect-secrets (Apache-2.0) and
gitleaks (MIT) document; it is written here rather than imported because
detect-secrets' import alone (it pulls in ``requests`` and ``yaml``) costs
0.2-0.5 s, the pre-push hook's whole budget. Each pattern is tried only on
lines holding one of its cheap keywords, so a clean line costs a few substring
tests.

Test fixtures' fake keys are flagged too: a reviewer would ask about them as well.
"""

from __future__ import annotations

import re

from duckfix.findings import Finding
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

__all__ = ["check"]

_ADVICE = "remove it from the patch, revoke it, and load it from the environment or a secret store"

# (kind, what it is, keywords, pattern): the pattern is tried only on a line
# holding one of the keywords (lower-cased); group "shown" is the public prefix
# a message may show.
_TOKENS: list[tuple[str, str, tuple[str, ...], re.Pattern[str]]] = [
    ("private-key", "a private key", ("private key",),
     re.compile(r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?---")),
    ("aws-access-key", "an AWS access key id", ("akia", "asia"),
     re.compile(r"(?<![A-Z0-9])(?P<shown>AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])")),
    ("aws-secret-key", "an AWS secret access key", ("aws",),
     re.compile(r"(?i:aws[\w.-]{0,30}?(?:secret|sk)[\w.-]{0,20})['\"]?\s*(?::\s*[\w\[\]]+\s*)?"
                r"(?:=|:|=>|,)\s*[rRbBuU]?['\"]?(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[/+A-Z])"
                r"(?=[A-Za-z0-9/+]*[a-z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")),
    ("github-token", "a GitHub token", ("gh", "github_pat_"),
     re.compile(r"(?<![\w])(?:(?P<shown>gh[pousr]_)[A-Za-z0-9]{36}|(?P<pat>github_pat_)\w{22,})")),
    ("gitlab-token", "a GitLab token", ("glpat-", "gldt-", "glrt-", "glptt-", "glsoat-",
                                         "glcbt-", "gr1348941"),
     re.compile(r"(?<![\w-])(?P<shown>gl(?:pat|dt|rt|ptt|soat|cbt)-|GR1348941)[\w-]{20,}")),
    ("slack-token", "a Slack token", ("xox", "xapp-", "hooks.slack.com"),
     re.compile(r"(?<![\w-])(?P<shown>xox[baprs]-|xapp-)[A-Za-z0-9-]{10,}"
                r"|(?P<hook>hooks\.slack\.com/services/)T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}")),
    ("stripe-key", "a Stripe live key", ("k_live_",),
     re.compile(r"(?<![\w])(?P<shown>[sr]k_live_)[A-Za-z0-9]{16,}")),
    ("google-api-key", "a Google API key", ("aiza",),
     re.compile(r"(?<![\w-])(?P<shown>AIza)[0-9A-Za-z_-]{35}(?![\w-])")),
    ("google-oauth-secret", "a Google OAuth client secret", ("gocspx-",),
     re.compile(r"(?<![\w-])(?P<shown>GOCSPX-)[0-9A-Za-z_-]{28}(?![\w-])")),
    ("openai-key", "an API key", ("sk-",),
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
        found = _token(text) or _password(text) or _high_entropy(text)
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
    lowered = text.lower()
    for kind, what, keywords, pattern in _TOKENS:
        if not any(k in lowered for k in keywords):
            continue
        m = pattern.search(text)
        if m:
            groups = m.groupdict()
            shown = groups.get("shown") or groups.get("pat") or groups.get("hook")
            if len(set(m.group()[len(shown or "") :].split("/")[-1])) <= 2:
                continue  # "glpat-xxxxxxxxxxxxxxxxxxxx": a placeholder, not a token
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


_SECRET_NAME = re.compile(
    r"(?i)(?:key|token|secret|credential|passw|pwd|auth)[\w.-]*[\"']?\s*(?::\s*[\w\[\], |.]+?\s*)?"
    r"(?:=(?!=)|:|=>)\s*[rRbBuU]?(?P<q>[\"'])(?P<value>[A-Za-z0-9+/=_-]{20,})(?P=q)"
)
_HEX = frozenset("0123456789abcdefABCDEF")


def _high_entropy(text: str) -> tuple[str, str] | None:
    """A long random-looking literal assigned to a name that says it is a secret."""
    for m in _SECRET_NAME.finditer(text):
        value = m.group("value")
        if _PLACEHOLDER.search(value):
            continue
        hexadecimal = set(value) <= _HEX
        if _entropy(value) > (3.0 if hexadecimal else 4.0):
            return (
                "high-entropy",
                f'a random-looking secret ("****", {len(value)} characters) is assigned '
                f"here: {_ADVICE}",
            )
    return None


def _entropy(value: str) -> float:
    """Shannon entropy of ``value``, in bits a character."""
    import math
    from collections import Counter

    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
