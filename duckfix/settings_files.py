"""Where settings come from, before any of them is validated: the file, the environment, flags.

The file is ``duckfix.toml`` or the ``[tool.duckfix]`` table of ``pyproject.toml``,
whichever is found first walking up from the working directory. Environment
variables are ``DUCKFIX_<FIELD>``, with ``__`` between nested names
(``DUCKFIX_SANDBOX__TIMEOUT=5``). Flags come from the CLI as dotted names.

This module imports no pydantic: :mod:`duckfix.config` (every setting, one
pydantic model) and :mod:`duckfix.hook_settings` (the pre-push hook's few)
both read through it, so the two cannot read a file or a variable differently.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from duckfix.errors import ConfigError

__all__ = [
    "ENV_PREFIX",
    "default_home",
    "env_dotted",
    "find_config_file",
    "flatten",
    "layered",
    "nest",
    "read_config_file",
    "settings_file",
]

ENV_PREFIX = "DUCKFIX_"


def default_home() -> Path:
    """``$DUCKFIX_HOME``, else the per-user data folder (XDG)."""
    if env := os.environ.get("DUCKFIX_HOME"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "duckfix"


def find_config_file(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``duckfix.toml`` or pyproject with ``[tool.duckfix]``, and its table."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError as exc:  # the working folder was removed under us
        raise ConfigError(
            f"the current folder cannot be read ({exc.strerror}): cd elsewhere"
        ) from exc
    for folder in (here, *here.parents):
        own = folder / "duckfix.toml"
        if own.is_file():
            return own, read_toml(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = read_toml(pyproject).get("tool")
            table = tool.get("duckfix") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return pyproject, table
    return None


def read_config_file(path: Path) -> tuple[Path, dict[str, Any]]:
    """The settings table of a file the user named: duckfix.toml, or any TOML's [tool.duckfix]."""
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file")
    data = read_toml(path)
    if path.name == "duckfix.toml":
        return path, data
    tool = data.get("tool")
    table = tool.get("duckfix") if isinstance(tool, dict) else None
    if isinstance(table, dict):
        return path, table
    if path.name == "pyproject.toml":
        raise ConfigError(f"--config {path}: it has no [tool.duckfix] table")
    return path, data


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        # TOML is UTF-8 by definition; tomllib lets the decoder's error through.
        line = bytes(exc.object[: exc.start]).count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line} is not UTF-8; save the file as UTF-8, as TOML requires"
        ) from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: arrays or tables nest too deeply to read") from exc
    except ValueError as exc:
        # The one other ValueError tomllib lets out: an integer over Python's digit limit.
        raise ConfigError(f"{path}: a number has more digits than a setting can hold") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = prefix + key.replace("-", "_")
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = out
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def env_dotted(variable: str) -> str | None:
    """The dotted setting name a ``DUCKFIX_*`` variable would set (``review.strict``), else None."""
    if not variable.startswith(ENV_PREFIX):
        return None
    return variable[len(ENV_PREFIX) :].lower().replace("__", ".")


def settings_file(
    cwd: Path | None = None, config_file: Path | None = None, isolated: bool = False
) -> tuple[Path, dict[str, Any]] | None:
    """The settings file in force and its table: ``config_file``, else the nearest one;
    none when ``isolated``."""
    if isolated:
        return None
    if config_file is not None:
        return read_config_file(config_file)
    return find_config_file(cwd)


def layered(
    found: tuple[Path, dict[str, Any]] | None,
    environ: Mapping[str, str],
    flags: Mapping[str, Any],
    leaves: set[str],
    nullable: set[str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every set value by dotted name (file < environment < flags), and where each came from.

    ``leaves`` are the settings there are; a name in the file or the flags that
    is not one is a :class:`ConfigError`. ``nullable`` are those that may be
    unset, which an empty or ``none`` variable does.
    """
    layers: list[tuple[str, dict[str, Any]]] = []
    if found is not None:
        path, table = found
        values = flatten(table)
        unknown = sorted(set(values) - leaves)
        if unknown:
            raise ConfigError(
                f"{path}: unknown setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(leaves))}"
            )
        layers.append((f"file {path}", values))
    env: dict[str, Any] = {}
    for name, value in environ.items():
        dotted = env_dotted(name)
        if dotted in leaves:
            # "none" unsets a setting that may be unset (DUCKFIX_LLM__MODEL=none);
            # for the others it is a value (DUCKFIX_LLM__PROVIDER=none).
            empty = value.strip().lower() in ("", "none", "null")
            env[dotted] = None if empty and dotted in nullable else value
    layers.append(("env", env))
    given = {k: v for k, v in flags.items() if v is not None}
    unknown_flags = sorted(set(given) - leaves)
    if unknown_flags:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown_flags)}")
    layers.append(("flag", given))
    merged: dict[str, Any] = {}
    sources = dict.fromkeys(sorted(leaves), "default")
    for source, values in layers:
        for name, value in values.items():
            merged[name] = value
            sources[name] = source
    return merged, sources
