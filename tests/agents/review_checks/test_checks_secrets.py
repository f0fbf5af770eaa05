"""Credentials on added lines, reported without repeating them.

The fake tokens are assembled at run time so this file does not itself look
like it leaks credentials to scanners.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.agents.review_checks import secrets
from duckfix.findings import Finding

from tests.agents.review_checks.test_checks import SETTINGS, make_ctx

BEGIN = "-----" + "BEGIN"
TOKENS = {
    "private-key": (f"{BEGIN} RSA PRIVATE KEY-----", None),
    "aws-access-key": ("AKIA" + "IOSFODNN7EXAMPLE", "AKIA****"),
    "github-token": ("ghp_" + "r4Nd0mT0k3n" * 3 + "abc", "ghp_****"),
    "slack-token": ("xoxb-" + "1234567890-abcdefABCDEF", "xoxb-****"),
    "stripe-key": ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "sk_live_****"),
    "google-api-key": ("AIza" + "SyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUvW", "AIza****"),
    "google-oauth-secret": ("GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4", "GOCSPX-****"),
    "gitlab-token": ("glpat-" + "Zx9Qw8Er7Ty6Ui5Op4As", "glpat-****"),
    "openai-key": ("sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t", "sk-proj-****"),
}
TOKEN_LINES = {kind: f'value = "{token}"' for kind, (token, _) in TOKENS.items()}
TOKEN_LINES["private-key"] = TOKENS["private-key"][0]
TOKEN_LINES["github-pat"] = 'GH = "github_pat_' + "11ABCDEFG0" * 4 + '"'
TOKEN_LINES["openai-legacy"] = "OPENAI = 'sk-" + "T3stKeyT3stKeyT3stKey12" + "'"
TOKEN_LINES["password"] = 'db_password = "' + "hunter2" + 'hunter2"'
TOKEN_LINES["json-secret"] = '    "client_secret": "' + "9f8e7d6c" + 'b5a4",'
TOKEN_LINES["annotated"] = 'API_KEY: str = "' + "live-0af3" + '19c2d"'
# AWS's own documentation example: a real key has this shape, "EXAMPLE" or not.
TOKEN_LINES["aws-secret"] = (
    'AWS_SECRET_ACCESS_KEY = "' + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + 'EXAMPLEKEY"'
)
TOKEN_LINES["aws-secret-yaml"] = (
    "  aws_secret_access_key: " + "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
)
TOKEN_LINES["slack-webhook"] = (
    'HOOK = "https://'
    + "hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/"
    + 'q8W9e0R1t2Y3u4I5o6P7a8S9"'
)
TOKEN_LINES["entropy"] = 'session_token = "' + "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY" + '="'


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[Finding]]:
    new = "\n".join(TOKEN_LINES.values()) + "\n"
    ctx = make_ctx(tmp_path_factory.mktemp("secrets"), "settings.py", "", new)
    out: dict[int, list[Finding]] = {}
    for f in secrets.check(ctx, SETTINGS):
        out.setdefault(f.line, []).append(f)
    return out


EXPECTED = {
    **{kind: kind for kind in TOKENS},
    "github-pat": "github-token",
    "openai-legacy": "openai-key",
    "password": "hardcoded-password",
    "json-secret": "hardcoded-password",
    "annotated": "hardcoded-password",
    "aws-secret": "aws-secret-key",
    "aws-secret-yaml": "aws-secret-key",
    "slack-webhook": "slack-token",
    "entropy": "high-entropy",
}


@pytest.mark.parametrize("name", list(TOKEN_LINES))
def test_each_secret_kind_is_found_and_not_repeated(
    findings: dict[int, list[Finding]], name: str
) -> None:
    line = list(TOKEN_LINES).index(name) + 1
    (found,) = findings[line]
    assert found.category == f"secrets/{EXPECTED[name]}"
    assert found.severity == "error"
    assert found.suggestion is None  # a suggestion would carry the secret
    text = TOKEN_LINES[name]
    if name != "private-key":  # the key's body is on the lines after this one
        quoted = '"' in text or "'" in text
        secret = (text.split('"')[-2] if '"' in text else text.split("'")[-2]) if quoted else text
        assert secret[8:] not in found.message
    assert "revoke" in found.message
    if name in TOKENS and TOKENS[name][1]:
        assert f"({TOKENS[name][1]})" in found.message


def test_placeholders_and_lookalikes_pass(tmp_path: Path) -> None:
    new = (
        'password = "changeme"\n'
        'password = "<your password>"\n'
        'PASSWORD = "${DB_PASSWORD}"\n'
        'api_key = os.environ["API_KEY"]\n'
        'secret = ""\n'
        'api_key = "xxxxxxxxxxxx"\n'
        'password = "short"\n'
        'password_hint = "the name of your first pet"\n'
        'secret = "Please enter the shared secret"\n'
        "if password == 'hunter2hunter2': pass\n"
        'branch = "task-Ab3dEf6hIj9kLm2nOp5qRs8t"\n'
        'css = "sk-spinner-double-bounce-wrapper"\n'
        'ID = "AKIA" + suffix\n'
        'sort_key = "name_of_the_field_to_sort_by"\n'
        'cache_key = "user-profile-settings-v2"\n'
        'token = "glpat-' + "x" * 20 + '"\n'
        'aws_region = "eu-west-1"\n'
        'AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]\n'
        "commit = 'e83c5163316f89bfbde7d9ab23ca2e25604af290'  # a sha, no secret name\n"
    )
    assert secrets.check(make_ctx(tmp_path / "r", "conf.py", "", new), SETTINGS) == []


def test_untouched_and_binary_lines_are_skipped(tmp_path: Path) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    ctx = make_ctx(tmp_path / "r", "a.py", f'KEY = "{key}"\nx = 1\n', f'KEY = "{key}"\nx = 2\n')
    assert secrets.check(ctx, SETTINGS) == []
    blob = make_ctx(tmp_path / "b", "k.bin", b"\x00", b"\x00" + key.encode())
    assert blob.change.binary
    assert secrets.check(blob, SETTINGS) == []
