"""The pre-push hook's own settings reader against the full one, on good and bad input.

The hook reads ``home`` and ``[review]`` without pydantic (duckfix/hook_settings.py).
Whatever it accepts must be what the full settings give; whatever it does not
accept it hands to them, so that a bad value gets the full settings' message.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from duckfix.config import load_settings
from duckfix.errors import ConfigError
from duckfix.hook_settings import HOOK_LEAVES, hook_settings
from duckfix.review_settings import ReviewSettings

GOOD_FILES = [
    "",
    "[review]\nmax_line_length = 120\nstrict = true\nblock_on = 'warning'\n",
    "[review]\nchecks = ['hygiene', 'secrets', 'commit']\ntime_limit = 5\nprose_line_length = 80\n",
    "[review]\nsignoff = false\nhistory = 50\ntab_width = 4\nconventions = false\n"
    "[review.c]\nflags = ['-DHAVE_CONFIG_H', '-std=gnu11']\ninclude = ['include']\n"
    "prelude = ['compat.h']\ncompile_commands = 'build/compile_commands.json'\n",
    "[review]\ntime_limit = 2.5\nmax-per-file = 3\nmodel_tokens = 1000\n",
]
GOOD_ENV = [
    {},
    {"DUCKFIX_REVIEW__MAX_LINE_LENGTH": "90", "DUCKFIX_REVIEW__STRICT": "true"},
    {"DUCKFIX_REVIEW__CHECKS": "hygiene, python", "DUCKFIX_REVIEW__TIME_LIMIT": "2.5"},
    {"DUCKFIX_REVIEW__C__FLAGS": "-DA -DB", "DUCKFIX_REVIEW__PROSE_LINE_LENGTH": "none"},
    {"DUCKFIX_REVIEW__SIGNOFF": "1", "DUCKFIX_REVIEW__BLOCK_ON": "note", "DUCKFIX_SKIP": "0"},
    {"DUCKFIX_REVIEW__C__INCLUDE": "inc,lib/inc", "DUCKFIX_REVIEW__C__COMPILE_COMMANDS": ""},
]
BAD = [
    ("[review]\nmax_line_length = 0\n", {}),
    ("[review]\nmax_line_length = 'wide'\n", {}),
    ("[review]\nmax_line_length = 99.5\n", {}),
    ("[review]\nblock_on = 'fatal'\n", {}),
    ("[review]\nchecks = ['hygiene', 'spelling']\n", {}),
    ("[review]\nstrict = 'maybe'\n", {}),
    ("[review]\nstrict = 2\n", {}),
    ("[review]\ntime_limit = nan\n", {}),
    ("[review]\ntime_limit = inf\n", {}),
    ("[review]\ntime_limit = -1\n", {}),
    ("[review]\nprose_line_length = 0\n", {}),
    ("[review.c]\nflags = 5\n", {}),
    ("[review.c]\nflags = [1, 2]\n", {}),
    ("[review]\ncolour = 'red'\n", {}),
    ("home = 5\n", {}),
    ("", {"DUCKFIX_REVIEW__MAX_LINE_LENGTH": "-3"}),
    ("", {"DUCKFIX_REVIEW__MAX_LINE_LENGTH": "1e3"}),
    ("", {"DUCKFIX_REVIEW__TIME_LIMIT": "nan"}),
    ("", {"DUCKFIX_REVIEW__TIME_LIMIT": "soon"}),
    ("", {"DUCKFIX_REVIEW__STRICT": "perhaps"}),
    ("", {"DUCKFIX_REVIEW__CHECKS": "hygiene,lint"}),
    ("", {"DUCKFIX_REVIEW__BLOCK_ON": "ERROR"}),
    ("", {"DUCKFIX_REVIEW__HISTORY": "none"}),
    ("[review]\nmax_line_length = 80\n", {"DUCKFIX_REVIEW__MAX_LINE_LENGTH": "0"}),
]
# Set, and read by the full settings only: the hook hands them over.
ELSEWHERE = [
    ("[llm]\nprovider = 'none'\n", {}),
    ("[server]\nurl = 'http://127.0.0.1:8421'\n", {}),
    ("", {"DUCKFIX_SANDBOX__TIMEOUT": "5"}),
    ("", {"DUCKFIX_REVIEW_STRICT": "1"}),  # a typo the full settings warn about
    ("", {"DUCKFIX_REVIEW__MAX_LINE_LENGTH": "100.0"}),  # a shape only pydantic judges
]


def both(tmp_path: Path, text: str, env: dict[str, str]) -> tuple[object, object]:
    """(the hook's reading or None, the full settings or their error message)."""
    (tmp_path / "duckfix.toml").write_text(text)
    try:
        full: object = load_settings(environ=env, cwd=tmp_path)[0]
    except ConfigError as exc:
        full = str(exc)
    try:
        light: object = hook_settings(environ=env, cwd=tmp_path)
    except ConfigError as exc:
        light = str(exc)
    return light, full


@pytest.mark.parametrize("text", GOOD_FILES)
@pytest.mark.parametrize("env", GOOD_ENV)
def test_good_settings_read_the_same(tmp_path: Path, text: str, env: dict[str, str]) -> None:
    light, full = both(tmp_path, text, env)
    assert light is not None, "the hook's own settings need no other reader"
    assert light.review == full.review  # type: ignore[attr-defined]
    assert isinstance(light.review, ReviewSettings)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "env"), BAD)
def test_a_bad_value_is_left_to_the_full_settings_and_their_message(
    tmp_path: Path, text: str, env: dict[str, str]
) -> None:
    light, full = both(tmp_path, text, env)
    assert isinstance(full, str) and full.startswith(("setting ", str(tmp_path)))
    assert light is None


@pytest.mark.parametrize(("text", "env"), ELSEWHERE)
def test_anything_else_set_is_left_to_the_full_settings(
    tmp_path: Path, text: str, env: dict[str, str]
) -> None:
    assert both(tmp_path, text, env)[0] is None


def test_home_and_files_are_found_as_the_full_settings_find_them(tmp_path: Path) -> None:
    inner = tmp_path / "pkg" / "src"
    inner.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.duckfix.review]\nmax_line_length = 79\n")
    env = {"DUCKFIX_HOME": str(tmp_path / "home")}
    light = hook_settings(environ=env, cwd=inner)
    full = load_settings(environ=env, cwd=inner)[0]
    assert light is not None and light.review == full.review
    assert light.review.max_line_length == 79 and light.home == full.home
    assert hook_settings(environ=env, cwd=inner, isolated=True).review == ReviewSettings()  # type: ignore[union-attr]
    assert hook_settings({"jobs": 3}, environ=env, cwd=inner) is None


def test_every_review_setting_is_read_by_the_hook() -> None:
    sources = load_settings(environ={}, isolated=True)[1]
    full = {name for name in sources if name.startswith("review.") or name == "home"}
    assert set(HOOK_LEAVES) == full
    assert {f.name for f in dataclasses.fields(ReviewSettings)} == {
        n.split(".")[1] for n in HOOK_LEAVES if n.startswith("review.")
    }
