"""``duckfix review --server`` and the hook on a server: the same output as a local run.

Each test runs the installed command twice on the same input, once here and
once through a live ``duckfix serve``, and compares what the user sees:
stdout, the exit code, and for the hook its lines on stderr.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.pipelines.review.gitrepo import GitRepo
from tests.service.remote.conftest import clean_env, run_duckfix
from tests.service.server.conftest import LiveServer
from tests.service.test_hook import SECRET, Repo, fake_token

CLEAN = "def area(w, h):\n    return w * h\n"
LEFTOVER = 'def area(w, h):\n    print("here", w[0])  # debug\n    return w * h\n'
ZERO = "0" * 40


@pytest.fixture
def patch(tmp_path: Path) -> Path:
    """A diff with a leftover debug print, outside any repository (as a downloaded patch)."""
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit("Print the area's inputs", {"geo.py": LEFTOVER})
    out = tmp_path / "work"
    out.mkdir()
    (out / "change.diff").write_text(repo.git("diff", "HEAD~1", "HEAD"))
    return out / "change.diff"


def both(server: LiveServer, cwd: Path, token: str, *args: str, input: str | None = None) -> tuple:
    """The command run locally and with --server: (local, remote) completed processes."""
    env = clean_env(cwd.parent / "home", DUCKFIX_TOKEN=token, DUCKFIX_LLM__PROVIDER="")
    env.pop("DUCKFIX_LLM__PROVIDER")
    local = run_duckfix(cwd, env, *args, input=input)
    remote = run_duckfix(cwd, env, *args, "--server", server.url, input=input)
    return local, remote


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ((), 0),
        (("--json",), 0),
        (("--format", "sarif"), 0),
        (("--format", "b4"), 0),
        (("--fail-on", "note"), 1),
        (("--fail-on", "note", "--json"), 1),
    ],
)
def test_a_patch_file_reviewed_on_the_server_prints_what_a_local_run_prints(
    server: LiveServer, patch: Path, flags: tuple[str, ...], code: int
) -> None:
    local, remote = both(server, patch.parent, server.token(f"r{len(flags)}-{code}-{flags[-1:]}"),
                         "review", patch.name, *flags)  # fmt: skip
    assert local.returncode == code, local.stderr
    assert remote.returncode == code, remote.stderr
    assert remote.stdout == local.stdout
    assert "leftovers/debug-print" in remote.stdout
    # Both say the run they recorded, the remote one on the server.
    assert remote.stderr.startswith("duckfix: run review-"), remote.stderr


def test_stdin_and_a_patch_email_go_to_the_server_too(server: LiveServer, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "proj")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit("Print the area's inputs\n\nWhy: to see them.", {"geo.py": LEFTOVER})
    mail = repo.git("format-patch", "-1", "--stdout")
    work = tmp_path / "work"
    work.mkdir()
    local, remote = both(server, work, server.token("mailer"), "review", "-", input=mail)
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert "Print the area's inputs" in remote.stdout


def test_a_range_is_read_by_the_server_from_the_shared_disk(
    server: LiveServer, shared: Path
) -> None:
    repo = GitRepo(shared / "ranged")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit("Print the area's inputs", {"geo.py": LEFTOVER})
    args = ("review", "--range", "HEAD~1..HEAD", "--fail-on", "note")
    local, remote = both(server, repo.root, server.token("ranger"), *args)
    assert remote.returncode == local.returncode == 1, remote.stderr
    assert remote.stdout == local.stdout
    local, remote = both(server, repo.root, server.token("ranger-json"), *args, "--json")
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_a_range_outside_the_servers_roots_is_one_line(server: LiveServer, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "private")
    repo.commit("Add area", {"geo.py": CLEAN})
    repo.commit("Print", {"geo.py": LEFTOVER})
    env = clean_env(tmp_path / "home", DUCKFIX_TOKEN=server.token("outsider"))
    done = run_duckfix(repo.root, env, "review", "--range", "HEAD~1..HEAD", "--server", server.url)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "422" in done.stderr, done.stderr
    assert "server.repo_roots" in done.stderr and "Traceback" not in done.stderr


def test_server_url_and_token_env_come_from_the_settings(server: LiveServer, patch: Path) -> None:
    team = server.token("team")
    env = clean_env(patch.parent / "home", DUCKFIX_SERVER__URL=server.url,
                    DUCKFIX_SERVER__TOKEN_ENV="TEAM_TOKEN", TEAM_TOKEN=team)  # fmt: skip
    done = run_duckfix(patch.parent, env, "review", patch.name, "--json")
    assert done.returncode == 0, done.stderr
    assert [f["category"] for f in json.loads(done.stdout)["findings"]] == ["leftovers/debug-print"]
    # The job is on the server, under the token named by token_env.
    with server.client(env["TEAM_TOKEN"]) as client:
        jobs = client.get("/v1/jobs").json()["jobs"]
    assert [j["token"] for j in jobs] == ["team"]


def test_refusals_are_one_line_and_exit_2(
    server: LiveServer, patch: Path, closed_port: int
) -> None:
    home = patch.parent / "home"
    revoked = server.token("gone")
    from duckfix.service.server.tokens import revoke_token
    from duckfix.store import open_store

    store = open_store(server.database)
    revoke_token(store, "gone")
    store.close()
    big = patch.parent / "big.diff"
    added = "".join(f"+x{i} = {i}\n" for i in range(120_000))
    big.write_text(f"--- a/big.py\n+++ b/big.py\n@@ -0,0 +1,120000 @@\n{added}")
    cases = [
        ({}, patch.name, server.url, "DUCKFIX_TOKEN"),  # no token at all
        ({"DUCKFIX_TOKEN": revoked}, patch.name, server.url, "401"),
        ({"DUCKFIX_TOKEN": server.token("big")}, big.name, server.url, "413"),
        ({"DUCKFIX_TOKEN": "x"}, patch.name, f"http://127.0.0.1:{closed_port}", "cannot reach"),
        ({"DUCKFIX_TOKEN": "x"}, patch.name, "ftp://example", "http://"),
    ]
    for extra, name, url, said in cases:
        done = run_duckfix(patch.parent, clean_env(home, **extra), "review", name, "--server", url)
        assert done.returncode == 2, (said, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr
        assert said in done.stderr and "Traceback" not in done.stderr


# -- the pre-push hook ------------------------------------------------------------------


@pytest.fixture
def pushing(shared: Path, tmp_path: Path) -> Repo:
    """A repository on the disk the server shares, its first commit pushed, the hook installed."""
    root = shared / tmp_path.name
    root.mkdir()
    repo = Repo(root, clean_env(tmp_path / "home"))
    repo.commit("calc.py", CLEAN, "Add the calculator")
    repo.git("push", "-q", "origin", "main")
    assert repo.install().returncode == 0
    return repo


def _push_lines(repo: Repo) -> str:
    return f"refs/heads/main {repo.head()} refs/heads/main {repo.head('origin/main')}\n"


def test_the_hook_on_a_server_blocks_as_the_local_hook_does(
    server: LiveServer, pushing: Repo
) -> None:
    pushing.commit("settings.py", SECRET, "Add the settings")
    lines = _push_lines(pushing)
    local = pushing.duckfix("hook", "pre-push", "origin", input=lines)
    token = server.token(f"hook-{pushing.path.parent.name}")
    remote = pushing.duckfix("hook", "pre-push", "origin", input=lines,
                             DUCKFIX_SERVER__URL=server.url, DUCKFIX_TOKEN=token)  # fmt: skip
    assert local.returncode == remote.returncode == 1
    assert remote.stderr == local.stderr
    assert "secrets/github-token" in remote.stderr
    assert fake_token() not in remote.stderr, "the secret is masked on the server too"
    # A real push through the installed hook: blocked, the remote never gets it.
    done = pushing.push("origin", "main", DUCKFIX_SERVER__URL=server.url, DUCKFIX_TOKEN=token)
    assert done.returncode != 0 and "push blocked" in done.stderr
    with server.client(token) as client:
        assert len(client.get("/v1/jobs").json()["jobs"]) == 2


@pytest.mark.parametrize("kind", ["down", "silent"])
def test_the_hook_falls_back_to_local_checks_when_the_server_does_not_answer(
    pushing: Repo, kind: str, closed_port: int, silent_port: int
) -> None:
    pushing.commit("settings.py", SECRET, "Add the settings")
    lines = _push_lines(pushing)
    local = pushing.duckfix("hook", "pre-push", "origin", input=lines)
    port = closed_port if kind == "down" else silent_port
    remote = pushing.duckfix(
        "hook", "pre-push", "origin", input=lines, DUCKFIX_TOKEN="x",
        DUCKFIX_SERVER__URL=f"http://127.0.0.1:{port}", DUCKFIX_REVIEW__TIME_LIMIT="2",
    )  # fmt: skip
    said, _, rest = remote.stderr.partition("\n")
    assert said.startswith("duckfix: no answer from the server within 2 s"), remote.stderr
    assert "reviewed here without the model" in said
    assert rest == local.stderr
    assert remote.returncode == local.returncode == 1


# -- the mail bot -----------------------------------------------------------------------


def _bot_review(settings: Any, repo: GitRepo, sha: str) -> Any:
    from duckfix.service.mail.bot import make_reviewer

    series = SimpleNamespace(patches={1: SimpleNamespace(raw_subject="[PATCH] Print the area")})
    return make_reviewer(settings)(repo.root, series, {1: sha})[1]  # type: ignore[arg-type]


def test_the_mail_bot_reviews_on_the_server_set_in_its_table(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    from duckfix.config import Settings

    repo = GitRepo(tmp_path / "list-tree")
    repo.commit("Add area", {"geo.py": CLEAN})
    sha = repo.commit("Print the area's inputs\n\nWhy: to see them.", {"geo.py": LEFTOVER})
    monkeypatch.setenv("DUCKFIX_TOKEN", server.token("mail-bot"))
    here = Settings()
    local = _bot_review(here, repo, sha)

    def with_server(url: str) -> Any:
        return here.model_copy(update={"mail": here.mail.model_copy(update={"server": url})})

    remote = _bot_review(with_server(server.url), repo, sha)
    assert remote.findings == local.findings and remote.findings
    assert remote.review.commits[0].sha == sha
    with server.client(os.environ["DUCKFIX_TOKEN"]) as client:
        jobs = client.get("/v1/jobs").json()["jobs"]
    assert [j["state"] for j in jobs] == ["succeeded"]
    # The server away: reviewed here without the model, and the outcome says so.
    away = _bot_review(with_server(f"http://127.0.0.1:{closed_port}"), repo, sha)
    assert away.findings == local.findings
    assert any("no answer from the server" in note for note in away.omitted)
