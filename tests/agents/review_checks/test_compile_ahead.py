"""Many compiles in one sandbox: the same diagnostics as single runs, for fewer sandbox starts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from duckfix import sandbox
from duckfix.agents.review_checks import c_warnings, compile_ahead
from duckfix.agents.review_checks.compile_ahead import Compile, compiled_ahead, take
from duckfix.agents.review_checks.tool import run_sandboxed, sandbox_path

from tests.agents.review_checks.test_checks import SETTINGS, make_ctx

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")

GCC = shutil.which("gcc", path=sandbox_path()) or "gcc"
OPTIONS = ("-fdiagnostics-format=json", "-fsyntax-only", "-Wall", "-x", "c", "-")


def compile_of(source: str, *read_only: str) -> Compile:
    return Compile((GCC, *OPTIONS), source, tuple(read_only))


def single(run: Compile) -> str:
    done = run_sandboxed(list(run.command), run.stdin, what="gcc", env=compile_ahead.ENV)
    return done.stderr


def counted(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    runs: list[list[str]] = []
    real = sandbox.run

    def run(cmd: Any, **kw: Any) -> Any:
        runs.append(list(cmd))
        return real(cmd, **kw)

    monkeypatch.setattr(sandbox, "run", run)
    return runs


def test_a_batch_gives_each_compile_what_a_single_run_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = [
        "int f(void) { int unused; return 0; }\n",
        "int g(int x) { return x + ; }\n",  # an error
        "int h(void) { return 1; }\n",  # nothing to say
    ]
    runs = [compile_of(s) for s in sources]
    expected = [single(run) for run in runs]
    assert "unused" in expected[0] and "error" in expected[1] and expected[2] == "[]\n"
    started = counted(monkeypatch)
    with compiled_ahead(runs):
        assert len(started) == 1  # one sandbox for the three
        assert [take(run) for run in runs] == expected
        assert [take(run) for run in runs] == [None] * 3  # each is given once
    with compiled_ahead([*runs, runs[0]]):
        assert len(started) == 2  # the one asked for twice runs once
        assert [take(runs[0]), take(runs[0]), take(runs[0])] == [expected[0], expected[0], None]
    assert take(runs[1]) is None  # what was not taken is gone with the block


def test_each_compile_sees_an_empty_folder_as_a_single_run_does() -> None:
    # Read from stdin, a source finds quoted includes in the working folder first:
    # the batch's own files (the other inputs, its script) must not be found there.
    peeks = [compile_of(f'#include "{name}"\nint x;\n') for name in ("in0", "batch.sh", "err0")]
    with compiled_ahead(peeks):
        found = [take(run) for run in peeks]
    assert all(text is not None and "No such file or directory" in text for text in found)


def test_a_compile_the_batch_cannot_finish_runs_on_its_own_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compile_ahead, "TIMEOUT", 0.5)
    sleep = shutil.which("sleep", path=sandbox_path())
    assert sleep is not None
    slow = Compile((sleep, "5"), "", ())
    fast = compile_of("int f(void) { return 0; }\n")
    with compiled_ahead([slow, fast]):
        assert take(slow) is None and take(fast) == "[]\n"


def test_the_check_takes_its_compile_from_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = "int f(void)\n{\n\treturn 0;\n}\n"
    contexts = [
        make_ctx(
            tmp_path / f"r{i}", "src/f.c", old, old.replace("\treturn", f"\tint u{i};\n\treturn")
        )
        for i in range(3)
    ]
    alone = [c_warnings.check(ctx, SETTINGS) for ctx in contexts]
    assert [[f.category for f in found] for found in alone] == [["c/unused-variable"]] * 3
    runs = [c_warnings.compile_of(ctx, SETTINGS) for ctx in contexts]
    assert all(run is not None for run in runs)
    started = counted(monkeypatch)
    with compiled_ahead([run for run in runs if run is not None]):
        batched = [c_warnings.check(ctx, SETTINGS) for ctx in contexts]
    assert batched == alone and len(started) == 1
