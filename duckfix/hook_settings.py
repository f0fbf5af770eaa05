"""The pre-push hook's settings, read without pydantic: ``home`` and the ``[review]`` section.

Every push starts a fresh process, and on a push with no Python or C change
importing pydantic and building the settings' validators was half of what the
hook cost. The hook needs only the review's settings, so it reads them here,
through the same file and environment reader as :func:`duckfix.config.load_settings`
(:mod:`duckfix.settings_files`) and into the same dataclasses
(:mod:`duckfix.review_settings`).

This reader accepts only what it is sure of: values of the plain shapes
below, each of which pydantic accepts and turns into the same value. Anything
else answers None and the full :class:`~duckfix.config.Settings` decide, as
for every other command, with their messages: a setting outside the hook's
own (a model, a server, the mail bot), a ``DUCKFIX_*`` variable that is not
one of them (it may be a typo the full reader warns about), a flag, or a
value of another shape (``"5.0"`` for an integer, an unknown check).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from duckfix.review_settings import Before, CReviewSettings, Positive, ReviewSettings
from duckfix.settings_files import ENV_PREFIX, env_dotted, layered, nest, settings_file

__all__ = ["HOOK_LEAVES", "HookSettings", "hook_settings"]

_SECTIONS: dict[str, type] = {"review": ReviewSettings, "review.c": CReviewSettings}


def _hints(section: type) -> dict[str, Any]:
    hints = get_type_hints(section, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(section)}


def _leaves() -> dict[str, Any]:
    """Dotted name -> annotation of every setting this reader reads."""
    out: dict[str, Any] = {"home": Path}
    for prefix, section in _SECTIONS.items():
        for name, hint in _hints(section).items():
            if f"{prefix}.{name}" not in _SECTIONS:
                out[f"{prefix}.{name}"] = hint
    return out


HOOK_LEAVES = _leaves()
"""The settings the hook reads here (dotted name -> type); any other set means the full ones."""

_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}


class _Unsure(Exception):
    """A value this reader does not take: the full settings decide."""


@dataclass(frozen=True)
class HookSettings:
    """What the hook runs with when nothing outside these settings is set."""

    home: Path | None
    """``home`` when it was set (the hook itself does not use it without a model)."""
    review: ReviewSettings


def hook_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str],
    cwd: Path | None = None,
    config_file: Path | None = None,
    isolated: bool = False,
) -> HookSettings | None:
    """The hook's settings, or None when the full settings must be read (see the module)."""
    from duckfix.environment import OTHER_VARIABLES

    if any(v is not None for v in (flags or {}).values()):
        return None
    for name in environ:
        elsewhere = not name.startswith(ENV_PREFIX) or name in OTHER_VARIABLES
        if not elsewhere and env_dotted(name) not in HOOK_LEAVES:
            return None
    found = settings_file(cwd, config_file, isolated)
    leaves = set(HOOK_LEAVES)
    if found is not None and not _within(found[1], leaves):
        return None
    nullable = {name for name, hint in HOOK_LEAVES.items() if _nullable(hint)}
    merged, _ = layered(found, environ, {}, leaves, nullable)
    try:
        values = {name: _value(HOOK_LEAVES[name], value) for name, value in merged.items()}
        tree = nest(values)
        review = dict(tree.get("review", {}))
        c = CReviewSettings(**review.pop("c", {}))
        return HookSettings(home=tree.get("home"), review=ReviewSettings(**review, c=c))
    except _Unsure:
        return None


def _within(table: Mapping[str, Any], leaves: set[str], prefix: str = "") -> bool:
    """Whether every name the settings file sets is one of ``leaves``."""
    for key, value in table.items():
        name = prefix + key.replace("-", "_")
        if isinstance(value, Mapping):
            if not _within(value, leaves, name + "."):
                return False
        elif name not in leaves:
            return False
    return True


def _nullable(hint: Any) -> bool:
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    return type(None) in get_args(hint)


def _value(hint: Any, value: Any) -> Any:
    """``value`` as pydantic would make it for ``hint``; :class:`_Unsure` if not surely so."""
    checks: tuple[Any, ...] = ()
    if get_origin(hint) is Annotated:
        hint, *meta = get_args(hint)
        for marker in meta:
            if isinstance(marker, Before):
                try:
                    value = marker.func(value)
                except ValueError as exc:
                    raise _Unsure from exc
        checks = tuple(m for m in meta if isinstance(m, Positive))
    out = _shape(hint, value)
    if checks and out is not None and not out > 0:
        raise _Unsure
    return out


def _shape(hint: Any, value: Any) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _shape(inner, value)
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        raise _Unsure
    if origin is tuple:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise _Unsure
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in _BOOLS:
            return _BOOLS[value]
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
        elif isinstance(value, str) and _FLOAT.fullmatch(value):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is Path and isinstance(value, str) and value and "\0" not in value:
        return Path(value)
    raise _Unsure
