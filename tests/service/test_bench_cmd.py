"""`duckfix bench` and `duckfix bench report` on a small folder suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duckfix.models import Task
from duckfix.pipelines import bench
from duckfix.pipelines.debug import DebugContext
from duckfix.service.cli import cli

from tests.datasets.test_folder import write_task


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DUCKFIX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DUCKFIX_CASE_TIMEOUT", "1")
    folder = tmp_path / "suite"
    write_task(folder, "double")
    write_task(
        folder,
        "unfixable",
        **{"buggy/double.py": "def double(n):\n    return str(n) * 3\n"},
    )
    return folder


def run_json(args: list[str]) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_bench_runs_judges_and_reports(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["bench", str(suite), "--out", str(out), "--max-candidates", "60"]
    )
    assert result.exit_code == 0, result.output
    assert "bench " in result.output and "all" in result.output
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    by_id = {r["task_id"]: r for r in lines}
    assert by_id["double"]["plausible"] and by_id["double"]["correct"]
    assert not by_id["unfixable"]["plausible"]
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    report = CliRunner().invoke(cli, ["bench", "report", run_id, "--out", str(tmp_path / "rep")])
    assert report.exit_code == 0, report.output
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| all | 2 | 1 | 1 |" in md and "```diff" in md
    page = (tmp_path / "rep" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "<td>double</td>" in page
    png = (tmp_path / "rep" / "fixes_by_category.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_a_resumed_bench_equals_an_uninterrupted_one(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run_json(["--jobs", "1", "bench", str(suite), "--json", "--max-candidates", "60"])
    real = bench.bench_task

    def crash_on_second(task: Task, context: DebugContext) -> bench.BenchResult:
        if task.id == "unfixable":
            raise RuntimeError("the machine went down")
        return real(task, context)

    monkeypatch.setattr(bench, "bench_task", crash_on_second)
    out = tmp_path / "o"
    crashed = CliRunner().invoke(
        cli, ["--jobs", "1", "bench", str(suite), "--out", str(out), "--max-candidates", "60"]
    )
    assert crashed.exit_code == 3, "a bug of ours: one line, exit 3"
    assert "internal error: RuntimeError: the machine went down" in crashed.output
    assert len((out / "results.jsonl").read_text().splitlines()) == 1, "kept what finished"
    monkeypatch.setattr(bench, "bench_task", real)
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    resumed = run_json(["bench", "--resume", run_id, "--json", "--jobs", "1"])
    assert len((out / "results.jsonl").read_text().splitlines()) == 2, "only the rest ran"

    def strip(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k not in ("seconds", "run_id")} for r in rows]

    assert strip(resumed) == strip(whole)


def test_bench_bad_input(suite: Path) -> None:
    for args, message in (
        (["bench", "nowhere"], "no suite 'nowhere'"),
        (["bench", "report", "bench-nope"], "no run 'bench-nope'"),
        (["bench", "--resume", "bench-nope"], "no run 'bench-nope'"),
        (["bench", str(suite), "--task", "zzz"], "no task zzz"),
        (["bench", str(suite), "--limit", "0"], "0 is not in the range x>=1"),
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output


def _model_answer(request: object) -> object:
    """An OpenAI-compatible endpoint answering each agent in kind."""
    import httpx

    from tests.fakes import agent_of, chat_reply

    assert isinstance(request, httpx.Request)
    agent = agent_of(json.loads(request.content)["messages"])
    content = {
        "localizer": {"lines": [{"line": 2, "reason": "the return expression is wrong"}]},
        "fixer": {
            "bug": "double repeats the digits",
            "proposals": [{"function": "double", "code": "def double(n):\n    return n * 2\n"}],
        },
        "reviewer": {"verdict": "accept"},
        "explainer": {
            "summary": "double multiplied the text.",
            "root_cause": "`str(n) * 3` repeats the digits instead of doubling n.",
            "why_fix_works": "`n * 2` doubles the number.",
        },
    }[agent]
    return chat_reply(json.dumps(content), prompt=40, completion=10, model="test-model")


def test_bench_with_a_model_counts_calls_per_task_and_replays_from_the_cache(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import respx

    from duckfix.config import load_settings
    from duckfix.store import Store

    monkeypatch.setenv("DUCKFIX_LLM__BASE_URL", "http://llm.test/v1")
    monkeypatch.setenv("DUCKFIX_LLM__MODEL", "test-model")
    args = ["bench", str(suite), "--provider", "openai", "--max-candidates", "60"]
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("http://llm.test/v1/chat/completions").mock(side_effect=_model_answer)
        first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")])
        assert first.exit_code == 0, first.output
        sent = route.call_count
        assert "by model" in first.output and f"{sent} requests sent" in first.output
        lines = (tmp_path / "a" / "results.jsonl").read_text().splitlines()
        by_id = {r["task_id"]: r for r in map(json.loads, lines)}
        # The template fixed `double`; only the model could fix `unfixable`.
        assert by_id["unfixable"]["correct"] and by_id["unfixable"]["fixed_by"] == "llm"
        assert by_id["double"]["correct"] and by_id["double"]["fixed_by"] != "llm"
        assert sum(r["llm_calls"] for r in by_id.values()) == sent
        assert by_id["unfixable"]["llm_calls"] > by_id["double"]["llm_calls"] > 0
        assert by_id["unfixable"]["llm_tokens"] == 50 * by_id["unfixable"]["llm_calls"]
        # What each agent's replies were worth, per task and in the table.
        fixer = by_id["unfixable"]["agents"]["fixer"]
        assert fixer["well_formed"] >= 1 and fixer["invalid"] == 0
        assert fixer["used"] >= 1 and fixer["useful"] == 1
        assert by_id["unfixable"]["agents"]["explainer"]["used"] == 1
        assert (
            sum(a["calls"] for a in by_id["unfixable"]["agents"].values())
            == (by_id["unfixable"]["llm_calls"])
        )
        assert "model value per agent" in first.output and "well-formed" in first.output
        settings, _ = load_settings()
        run_id = json.loads((tmp_path / "a" / "run.json").read_text())["run_id"]
        rows = Store(settings.database).llm_usage(run_id)
        assert {r.task_id for r in rows} == {"double", "unfixable"}
        assert len(rows) == sent and not any(r.cached for r in rows)

        again = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")])
        assert again.exit_code == 0, again.output
        assert route.call_count == sent, "a repeated run sends no request"
        assert f"0 requests sent, {sent} answered from the cache" in again.output
        lines = (tmp_path / "b" / "results.jsonl").read_text().splitlines()
        assert all(json.loads(x)["llm_calls"] == 0 for x in lines)
        assert {json.loads(x)["correct"] for x in lines} == {True}


def test_sigterm_ends_a_bench_waiting_on_the_model_and_it_resumes(
    suite: Path, tmp_path: Path
) -> None:
    # Two tasks at once, both asking a model that takes ten minutes to answer:
    # SIGTERM must end the run now (exit 130, like Ctrl-C), not after the calls,
    # and --resume then finishes both tasks.
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.openai_server import canned_server

    with canned_server(latency=600.0) as server:
        env = {
            **os.environ,
            "DUCKFIX_LLM__PROVIDER": "openai",
            "DUCKFIX_LLM__BASE_URL": server.base_url,
            "DUCKFIX_LLM__MODEL": "slow",
        }
        bench = [sys.executable, "-m", "duckfix", "bench"]
        args = [str(suite), "--llm-first", "--jobs", "2", "--max-candidates", "60", "--json"]
        proc = subprocess.Popen(
            [*bench, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        while server.requests < 2 and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)  # the model would answer after 600 s
        assert proc.returncode == 130, err
        assert "interrupted; continue with: duckfix bench --resume" in err
        assert not [line for line in out.splitlines() if '"task_id"' in line]
        run_id = err.rsplit("--resume ", 1)[1].split()[0]
        server.latency = 0.0
        done = subprocess.run(
            [*bench, "--resume", run_id, "--json"], env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    finished = {
        json.loads(line)["task_id"] for line in done.stdout.splitlines() if "task_id" in line
    }
    assert finished == {"double", "unfixable"}
