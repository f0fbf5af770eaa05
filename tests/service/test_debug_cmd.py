"""`duckfix debug` as a user runs it, in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.service.cli import cli

from tests.datasets.test_folder import write_task
from tests.pipelines.conftest import LARGEST

TESTS = """\
from largest import largest


def test_first():
    assert largest([3, 1, 2]) == 3


def test_single():
    assert largest([7]) == 7
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DUCKFIX_CASE_TIMEOUT", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "largest.py").write_text(LARGEST)
    (tmp_path / "test_largest.py").write_text(TESTS)
    (tmp_path / "cases.jsonl").write_text(
        '{"args": [[3, 1, 2]], "expected": 3}\n{"args": [[5]], "expected": 5}\n'
    )
    return tmp_path


def test_debug_a_program_with_a_pytest_file(project: Path) -> None:
    result = CliRunner().invoke(cli, ["debug", "largest.py", "--tests", "test_largest.py"])
    assert result.exit_code == 0, result.output
    assert "suspect lines" in result.output
    assert "+        if x > best:" in result.output
    assert "candidates" in result.output and "run again with --apply" in result.output
    assert (project / "largest.py").read_text() == LARGEST, "untouched without --apply"


def test_apply_writes_the_fix_and_json_reports_it(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["debug", "largest.py", "--cases", "cases.jsonl", "--apply", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "fixed" and data["applied"] is True
    assert data["run_id"].startswith("debug-")
    # Said first, on stderr, so that a run killed outright can still be resumed.
    run_id = data["run_id"]
    assert result.stderr.splitlines()[0] == (
        f"duckfix: run {run_id} (resume with: duckfix debug --resume {run_id})"
    )
    assert "x > best" in (project / "largest.py").read_text()
    again = CliRunner().invoke(cli, ["debug", "largest.py", "--cases", "cases.jsonl"])
    assert again.exit_code == 0 and "nothing to fix" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["debug", "largest.py"], "--tests test_file.py or --cases"),
        (["debug", "largest.py", "--tests", "nope.py"], "test file nope.py does not exist"),
        (["debug", "missing.py", "--tests", "test_largest.py"], "missing.py does not exist"),
        (["debug", "broken.py", "--cases", "cases.jsonl"], "broken.py:1: syntax error"),
        (["debug", "largest.py", "--tests", "test_broken.py"], "test_broken.py:3: syntax error"),
        (["debug", "largest.py", "--cases", "bad.jsonl"], "bad.jsonl:1: not valid JSON"),
        (["debug", "--resume", "debug-nope"], "no run 'debug-nope'"),
        (["debug"], "give a task folder or a program file"),
        (
            ["debug", "largest.py", "--cases", "cases.jsonl", "--provider", "openai"],
            "llm.model is not set",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project: Path, args: list[str], message: str) -> None:
    (project / "broken.py").write_text("def largest(xs)\n    return 1\n")
    (project / "test_broken.py").write_text(
        "from largest import largest\n\ndef test_a(:\n    pass\n"
    )
    (project / "bad.jsonl").write_text("{args: [1]}\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_task_folder_and_an_unfixable_program(project: Path) -> None:
    write_task(project / "suite", "double")
    fixed = CliRunner().invoke(cli, ["debug", str(project / "suite" / "double")])
    assert fixed.exit_code == 0, fixed.output
    (project / "odd.py").write_text("def odd(n):\n    return 'never right'\n")
    (project / "odd.jsonl").write_text(
        '{"args": [3], "expected": "three"}\n{"args": [5], "expected": "five"}\n'
    )
    stuck = CliRunner().invoke(
        cli, ["debug", "odd.py", "--cases", "odd.jsonl", "--max-candidates", "5"]
    )
    assert stuck.exit_code == 1, stuck.output
    assert "candidates" in stuck.output


def test_installed_command_end_to_end(project: Path) -> None:
    exe = Path(sys.executable).with_name("duckfix")
    run = subprocess.run(
        [str(exe), "debug", "largest.py", "--tests", "test_largest.py", "--apply"],
        capture_output=True, text=True, cwd=project, env=os.environ.copy(),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "fix written to largest.py" in run.stdout
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_largest.py"],
        capture_output=True, text=True, cwd=project,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout


def test_debug_with_a_model_over_http_and_its_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug no template can fix, fixed by an OpenAI-compatible endpoint (mocked over HTTP)."""
    import respx

    from tests.fakes import chat_reply
    from tests.pipelines.conftest import VOWELS, VOWELS_FIXED_FUNCTION

    (project / "vowels.py").write_text(VOWELS)
    (project / "vowels.jsonl").write_text(
        "\n".join(
            json.dumps({"args": [a], "expected": e})
            for a, e in (("Apple", 2), ("abc", 1), ("XYZ", 0), ("EIEIO", 5))
        )
        + "\n"
    )
    monkeypatch.setenv("DUCKFIX_LLM__BASE_URL", "http://llm.test/v1")
    monkeypatch.setenv("DUCKFIX_LLM__MODEL", "test-model")
    answer = {
        "bug": "upper-case vowels are not counted",
        "proposals": [
            {
                "function": "count_vowels",
                "path": "vowels.py",
                "code": VOWELS_FIXED_FUNCTION,
                "rationale": "count upper-case vowels too",
            }
        ],
    }
    args = ["debug", "vowels.py", "--cases", "vowels.jsonl", "--provider", "openai", "--json"]
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("http://llm.test/v1/chat/completions").mock(
            return_value=chat_reply(json.dumps(answer), 50, 20, "test-model")
        )
        first = CliRunner().invoke(cli, args)
        assert first.exit_code == 0, first.output
        data = json.loads(first.stdout)
        assert data["status"] == "fixed" and "s.lower()" in data["fix"]["vowels.py"]
        sent = route.call_count
        assert sent >= 1 and data["llm_usage"]["calls"] == sent
        again = CliRunner().invoke(cli, args)
        assert again.exit_code == 0, again.output
        assert route.call_count == sent, "a repeated run is answered from the cache"
        fresh = CliRunner().invoke(cli, [*args, "--no-cache"])
        assert fresh.exit_code == 0 and route.call_count > sent
    offline = CliRunner().invoke(cli, ["debug", "vowels.py", "--cases", "vowels.jsonl"])
    assert offline.exit_code == 1, "templates alone cannot write the missing statement"


def test_apply_never_writes_through_a_link(tmp_path: Path) -> None:
    from duckfix.errors import UsageError
    from duckfix.service.debug_cmd import _write_fix

    canary = tmp_path / "canary.txt"
    canary.write_text("keep me\n")
    program = tmp_path / "prog.py"
    program.symlink_to(canary)  # swapped in while the run went on
    with pytest.raises(UsageError, match="cannot write the fix"):
        _write_fix(program, "def f():\n    return 1\n")
    assert canary.read_text() == "keep me\n"
    program.unlink()
    program.write_text("old\n")
    _write_fix(program, "new\n")
    assert program.read_text() == "new\n"


# A llama.cpp server as `--provider local` starts it, played by a script: it
# answers each agent (told by its system prompt) and logs the request bodies.
LOCAL_CHAT_SERVER = """
import http.server, json, os, sys
args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
ANSWERS = json.loads(os.environ["ANSWERS"])

class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send({"object": "list", "data": [{"id": "m"}]})

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(os.environ["REQUESTS"], "a") as log:
            log.write(json.dumps(request) + "\\n")
        system = request["messages"][0]["content"]
        agent = next(a for a, opening in (
            ("fixer", "You repair"), ("localizer", "You locate"), ("reviewer", "You review"),
            ("explainer", "You explain")) if system.startswith(opening))
        self._send({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWERS[agent]}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}})

    def log_message(self, *a):
        pass

http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def test_llm_first_with_a_local_chat_model_asks_every_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On main, --provider local --llm-first made 0 model calls: every local
    # model was taken for a base model. A GGUF with a chat template is a chat model.
    import duckfix.llm_local as local
    from duckfix.model_catalog import find

    from tests.core.test_gguf import CHATML, write_gguf
    from tests.pipelines.conftest import VOWELS, VOWELS_FIXED_FUNCTION

    home = tmp_path / "home"
    model = find("qwen2.5-coder-0.5b")
    model.path(home).parent.mkdir(parents=True)
    write_gguf(model.path(home), CHATML)
    with model.path(home).open("r+b") as fh:
        fh.truncate(model.size)
    server = tmp_path / "server.py"
    server.write_text(LOCAL_CHAT_SERVER)
    real = local.LocalServer.__init__

    def with_script(self: local.LocalServer, *args: object, **kw: object) -> None:
        real(self, *args, **{**kw, "command": [sys.executable, str(server)]})  # type: ignore[arg-type]

    monkeypatch.setattr(local.LocalServer, "__init__", with_script)
    fixed = {
        "bug": "count_vowels misses upper-case vowels",
        "proposals": [{"function": "count_vowels", "code": VOWELS_FIXED_FUNCTION}],
    }
    answers = {
        "fixer": json.dumps(fixed),
        "localizer": json.dumps({"lines": [{"line": 4, "reason": "only lower-case"}]}),
        "reviewer": json.dumps({"verdict": "accept"}),
        "explainer": json.dumps(
            {"summary": "s.lower() fixes it", "root_cause": "s was not lowered",
             "why_fix_works": "s = s.lower() counts both cases"}
        ),
    }  # fmt: skip
    requests = tmp_path / "requests.jsonl"
    monkeypatch.setenv("ANSWERS", json.dumps(answers))
    monkeypatch.setenv("REQUESTS", str(requests))
    monkeypatch.setenv("DUCKFIX_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vowels.py").write_text(VOWELS)
    (tmp_path / "vowels.jsonl").write_text(
        "".join(
            json.dumps({"args": [a], "expected": e}) + "\n" for a, e in [("Apple", 2), ("xyz", 0)]
        )
    )
    args = ["debug", "vowels.py", "--cases", "vowels.jsonl", "--provider", "local", "--llm-first"]
    try:
        result = CliRunner().invoke(cli, [*args, "--json"])
    finally:
        local.stop_all()
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "fixed" and data["llm_usage"]["calls"] >= 3
    sent = [json.loads(line) for line in requests.read_text().splitlines()]
    agents = {r["messages"][0]["content"].split()[1] for r in sent}
    assert agents == {"repair", "locate", "review", "explain"}
    # llama.cpp refuses nothing here; what matters is that every request is bounded.
    assert all(r.get("max_tokens") for r in sent)
