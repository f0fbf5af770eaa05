"""The pre-push hook as a user meets it: installed in a real repository, run by real `git push`.

Every test pushes to a bare repository in ``tmp_path`` and looks at what the
user sees (the exit code and stderr of ``git push``) and at what the remote
received (``git ls-remote``). git reads no user or system configuration here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from duckfix.errors import UsageError
from duckfix.service.hook import HOOK_MARKER, PushRef, parse_push_lines, refs_from_pre_commit

ZERO = "0" * 40
SKIP_ADVICE = ("git push --no-verify", "DUCKFIX_SKIP=1")


def fake_token() -> str:
    """A GitHub-token-shaped string, built here so that this file does not hold one."""
    return "ghp" + "_" + "Ab1" * 12


CLEAN = 'def add(a: int, b: int) -> int:\n    """Sum."""\n    return a + b\n'
SECRET = f'"""Settings."""\n\nTIMEOUT = 5\nGITHUB_TOKEN = "{fake_token()}"\n'
SECRET_LINE = 4


class Repo:
    """A work tree with ``origin`` pointing at a bare repository, and git run as a user would."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.path = root / "work"
        self.remote = root / "remote.git"
        self.env = env
        self.remote.mkdir()
        self.git("init", "-q", "--bare", cwd=self.remote)
        self.path.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test User")
        self.git("config", "user.email", "test@example.com")
        self.git("remote", "add", "origin", str(self.remote))

    def run(
        self, *args: str, cwd: Path | None = None, input: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=cwd or self.path,
            env={**self.env, **env},
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def git(self, *args: str, cwd: Path | None = None, **env: str) -> str:
        done = self.run("git", *args, cwd=cwd, **env)
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout

    def push(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("git", "push", *args, **env)

    def duckfix(
        self, *args: str, input: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "duckfix", *args, input=input, **env)

    def install(self, *flags: str) -> subprocess.CompletedProcess[str]:
        return self.duckfix("hook", "install", *flags)

    def commit(self, path: str, text: str, subject: str, *, amend: bool = False) -> str:
        (self.path / path).write_text(text)
        self.git("add", path)
        message = f"{subject}\n\nWhy: the tests of the pre-push hook need history.\n"
        self.git("commit", "-q", *(["--amend"] if amend else []), "-m", message)
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev).strip()

    def remote_sha(self, branch: str) -> str | None:
        """What the remote's branch points at (None: it has no such branch)."""
        out = self.git("ls-remote", str(self.remote), f"refs/heads/{branch}")
        return out.split()[0] if out.strip() else None

    @property
    def hooks(self) -> Path:
        return self.path / ".git" / "hooks"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return user_env(tmp_path)


def user_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every command: no user git config, no model, nothing inherited."""
    home = tmp_path / "home"
    home.mkdir()
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT_", "DUCKFIX_"))
    }
    return {
        **kept,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        # No DUCKFIX_LLM__PROVIDER: its default is no model ("none" in the
        # environment reads as unset and fails validation).
        "DUCKFIX_HOME": str(tmp_path / "duckfix-home"),
    }


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Repo:
    """A repository whose first commit is on the remote already, with no hook yet."""
    repo = Repo(tmp_path, env)
    repo.commit("calc.py", CLEAN, "Add the calculator")
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def hooked(repo: Repo) -> Repo:
    done = repo.install()
    assert done.returncode == 0, done.stderr
    return repo


def assert_blocked_on_secret(
    done: subprocess.CompletedProcess[str], path: str, *, pre_commit: bool = False
) -> None:
    assert done.returncode != 0, done.stderr
    assert path in done.stderr
    assert "secrets/github-token" in done.stderr
    assert f"{SECRET_LINE} │" in done.stderr, "the line of the finding is shown"
    assert "push blocked" in done.stderr
    assert fake_token() not in done.stderr, "the report must not spread the secret"
    for advice in SKIP_ADVICE:
        if pre_commit and advice.startswith("DUCKFIX_SKIP"):
            advice = "SKIP=duckfix git push"  # pre-commit skips a hook by its id
        assert advice in done.stderr


# -- pushing ---------------------------------------------------------------------------------


def test_a_clean_push_is_allowed(hooked: Repo) -> None:
    more = CLEAN + "\n\ndef sub(a: int, b: int) -> int:\n    return a - b\n"
    sha = hooked.commit("calc.py", more, "Add subtraction")
    done = hooked.push("origin", "main")
    assert done.returncode == 0, done.stderr
    assert "push blocked" not in done.stderr
    assert hooked.remote_sha("main") == sha


def test_a_secret_blocks_the_push_and_the_remote_does_not_get_it(hooked: Repo) -> None:
    before = hooked.remote_sha("main")
    hooked.commit("settings.py", SECRET, "Add the settings")
    done = hooked.push("origin", "main")
    assert_blocked_on_secret(done, "settings.py")
    assert "failed to push" in done.stderr, "git itself says the push did not happen"
    assert hooked.remote_sha("main") == before


def test_an_aws_secret_access_key_alone_blocks_the_push(hooked: Repo) -> None:
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"  # AWS's documentation example
    hooked.commit("aws.py", f'AWS_SECRET_ACCESS_KEY = "{key}"\n', "Add the key")
    done = hooked.push("origin", "main")
    assert done.returncode != 0 and "secrets/aws-secret-key" in done.stderr
    assert key not in done.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [(("--no-verify",), {}), ((), {"DUCKFIX_SKIP": "1"})],
    ids=["no-verify", "DUCKFIX_SKIP"],
)
def test_a_blocked_push_goes_through_when_skipped(
    hooked: Repo, args: tuple[str, ...], extra: dict[str, str]
) -> None:
    sha = hooked.commit("settings.py", SECRET, "Add the settings")
    assert hooked.push("origin", "main").returncode != 0
    done = hooked.push(*args, "origin", "main", **extra)
    assert done.returncode == 0, done.stderr
    assert "secrets/" not in done.stderr
    assert hooked.remote_sha("main") == sha


def test_a_new_branch_reviews_only_its_own_commits(hooked: Repo) -> None:
    hooked.commit("settings.py", SECRET, "Add the settings")
    assert hooked.push("--no-verify", "origin", "main").returncode == 0
    hooked.git("switch", "-q", "-c", "feature")
    sha = hooked.commit("notes.py", '"""Notes."""\n\nTEXT = "fine"  \n', "Add notes")
    # Warnings block too here, so the trailing blank on the new line is caught,
    # and the old secret would be if the old history were reviewed again.
    done = hooked.push("origin", "feature", DUCKFIX_REVIEW__BLOCK_ON="warning")
    assert done.returncode != 0
    assert "notes.py" in done.stderr and "settings.py" not in done.stderr
    assert hooked.remote_sha("feature") is None
    hooked.commit("notes.py", '"""Notes."""\n\nTEXT = "fine"\n', "Add notes", amend=True)
    done = hooked.push("origin", "feature", DUCKFIX_REVIEW__BLOCK_ON="warning")
    assert done.returncode == 0, done.stderr
    assert "settings.py" not in done.stderr
    assert hooked.remote_sha("feature") == hooked.head() != sha


def test_merging_pushed_history_into_a_branch_does_not_review_it_again(hooked: Repo) -> None:
    hooked.git("switch", "-q", "-c", "feature")
    hooked.commit("notes.py", '"""Notes."""\n\nTEXT = "fine"  \n', "Add notes")
    hooked.git("switch", "-q", "main")
    hooked.commit("settings.py", SECRET, "Add the settings")
    assert hooked.push("--no-verify", "origin", "main").returncode == 0
    hooked.git("switch", "-q", "feature")
    hooked.git("merge", "-q", "--no-edit", "main")
    done = hooked.push("origin", "feature", DUCKFIX_REVIEW__BLOCK_ON="warning")
    assert done.returncode != 0, "the branch's own commit is still reviewed"
    assert "notes.py" in done.stderr and "settings.py" not in done.stderr
    done = hooked.push("origin", "feature")
    assert done.returncode == 0, done.stderr
    assert "settings.py" not in done.stderr
    assert hooked.remote_sha("feature") == hooked.head()


def test_deleting_a_remote_branch_reviews_nothing(hooked: Repo) -> None:
    hooked.git("switch", "-q", "-c", "b")
    hooked.commit("settings.py", SECRET, "Add the settings")
    assert hooked.push("--no-verify", "origin", "b").returncode == 0
    hooked.git("switch", "-q", "main")
    done = hooked.push("origin", "--delete", "b")
    assert done.returncode == 0, done.stderr
    assert "duckfix" not in done.stderr
    assert hooked.remote_sha("b") is None


def test_a_force_push_reviews_the_rewritten_commit(hooked: Repo) -> None:
    hooked.commit("notes.py", '"""Notes."""\n', "Add notes")
    assert hooked.push("origin", "main").returncode == 0
    pushed = hooked.remote_sha("main")
    hooked.commit("settings.py", SECRET, "Add notes and settings", amend=True)
    done = hooked.push("--force", "origin", "main")
    assert_blocked_on_secret(done, "settings.py")
    assert hooked.remote_sha("main") == pushed
    hooked.git("rm", "-q", "--cached", "settings.py")
    sha = hooked.commit("notes.py", '"""Notes, again."""\n', "Add notes", amend=True)
    done = hooked.push("--force", "origin", "main")
    assert done.returncode == 0, done.stderr
    assert hooked.remote_sha("main") == sha


def test_one_bad_ref_among_several_blocks_the_push(hooked: Repo) -> None:
    hooked.git("switch", "-q", "-c", "a")
    hooked.commit("notes.py", '"""Notes."""\n', "Add notes")
    hooked.git("switch", "-q", "-c", "b", "main")
    hooked.commit("settings.py", SECRET, "Add the settings")
    done = hooked.push("origin", "a", "b")
    assert_blocked_on_secret(done, "settings.py")
    assert "b -> origin/b" in done.stderr
    assert hooked.remote_sha("a") is None and hooked.remote_sha("b") is None


def test_a_tag_push_reviews_the_commits_it_sends(hooked: Repo) -> None:
    hooked.git("tag", "-a", "v1", "-m", "Release 1")  # on history the remote has
    done = hooked.push("origin", "v1")
    assert done.returncode == 0, done.stderr
    assert "duckfix" not in done.stderr
    hooked.commit("settings.py", SECRET, "Add the settings")
    hooked.git("tag", "-a", "v2", "-m", "Release 2")
    assert_blocked_on_secret(hooked.push("origin", "v2"), "settings.py")


def test_a_check_that_cannot_run_is_never_a_note_on_a_push(hooked: Repo) -> None:
    # gcc cannot build this file without the project's flags (u32 is unknown):
    # that is the user's setup, not the push's business.
    sha = hooked.commit("drv.c", "u32 f(void)\n{\n\treturn 0;\n}\n", "Add the driver")
    done = hooked.push("origin", "main")
    assert done.returncode == 0, done.stderr
    assert "could not" not in done.stderr and "drv.c" not in done.stderr
    assert hooked.remote_sha("main") == sha
    # Under review.strict it blocks, and says why.
    hooked.commit("duckfix.toml", "[review]\nstrict = true\n", "Be strict")
    hooked.commit("drv.c", "u32 f(void)\n{\n\treturn 1;\n}\n", "Change the driver")
    done = hooked.push("origin", "main")
    assert done.returncode != 0
    assert "c could not run on drv.c" in done.stderr and "review.strict" in done.stderr


def test_notes_come_with_a_command_to_paste(hooked: Repo) -> None:
    base = hooked.head()
    sha = hooked.commit("calc.py", CLEAN + "x = 1\n" + "# " + "y" * 120 + "\n", "Add a long line")
    done = hooked.push("origin", "main")
    assert done.returncode == 0, done.stderr
    command = f"duckfix review --range {base[:12]}..{sha[:12]}"
    assert command in done.stderr
    shown = hooked.duckfix(*command.split()[1:])
    assert "line-too-long" in shown.stdout


def test_empty_input_exits_0_and_prints_nothing(repo: Repo) -> None:
    done = repo.duckfix("hook", "pre-push", "origin", str(repo.remote), input="")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_hook_command_reads_git_lines_on_stdin(repo: Repo) -> None:
    old = repo.head()
    new = repo.commit("settings.py", SECRET, "Add the settings")
    line = f"refs/heads/main {new} refs/heads/main {old}\n"
    done = repo.duckfix("hook", "pre-push", "origin", str(repo.remote), input=line)
    assert done.returncode == 1
    assert_blocked_on_secret(done, "settings.py")
    bad = repo.duckfix("hook", "pre-push", "origin", "", input="refs/heads/main\n")
    assert bad.returncode == 2 and "line 1" in bad.stderr


# -- the pre-commit framework ----------------------------------------------------------------


@pytest.mark.parametrize("form", ["sha", "parent"])
def test_pre_commit_variables_give_the_range(repo: Repo, form: str) -> None:
    base = repo.head()
    secret = repo.commit("settings.py", SECRET, "Add the settings")
    clean = repo.commit("notes.py", '"""Notes."""\n', "Add notes")
    # pre-commit names a new branch's start as "<first new commit>^".
    start = base if form == "sha" else f"{secret}^"
    done = repo.duckfix(
        "hook",
        "pre-push",
        PRE_COMMIT_FROM_REF=start,
        PRE_COMMIT_TO_REF=clean,
        PRE_COMMIT_REMOTE_NAME="upstream",
    )
    assert_blocked_on_secret(done, "settings.py", pre_commit=True)
    assert "-> upstream/" in done.stderr
    done = repo.duckfix("hook", "pre-push", PRE_COMMIT_FROM_REF=secret, PRE_COMMIT_TO_REF=clean)
    assert done.returncode == 0, done.stderr
    assert "settings.py" not in done.stderr


def test_pre_commit_without_a_range_reviews_the_local_branch(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A push that sends a root commit: pre-commit names the refs but no range."""
    repo = Repo(tmp_path, env)
    repo.commit("calc.py", CLEAN, "Add the calculator")
    repo.commit("settings.py", SECRET, "Add the settings")
    refs = {
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_NAME": "origin",
        "PRE_COMMIT_REMOTE_URL": str(repo.remote),
    }
    assert_blocked_on_secret(
        repo.duckfix("hook", "pre-push", **refs), "settings.py", pre_commit=True
    )


# -- installing ------------------------------------------------------------------------------


FOREIGN = "#!/bin/sh\necho foreign >&2\nexit 0\n"


def write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def test_install_refuses_to_overwrite_a_foreign_hook(repo: Repo) -> None:
    write_hook(repo.hooks / "pre-push", FOREIGN)
    done = repo.install()
    assert done.returncode == 2
    assert "--force" in done.stderr and "--chain" in done.stderr
    assert (repo.hooks / "pre-push").read_text() == FOREIGN
    assert repo.install("--force", "--chain").returncode == 2


def test_install_force_keeps_a_backup(repo: Repo) -> None:
    write_hook(repo.hooks / "pre-push", FOREIGN)
    done = repo.install("--force")
    assert done.returncode == 0, done.stderr
    assert (repo.hooks / "pre-push.duckfix-backup").read_text() == FOREIGN
    assert HOOK_MARKER in (repo.hooks / "pre-push").read_text()
    repo.commit("settings.py", SECRET, "Add the settings")
    done = repo.push("origin", "main")
    assert_blocked_on_secret(done, "settings.py")
    assert "foreign" not in done.stderr, "the replaced hook no longer runs"


RECORDER = """#!/bin/sh
echo "args: $1 $2" >> "{log}"
cat >> "{log}"
exit {code}
"""


def test_install_chain_runs_the_old_hook_first_with_gits_input(repo: Repo, tmp_path: Path) -> None:
    log = tmp_path / "seen.txt"
    write_hook(repo.hooks / "pre-push", RECORDER.format(log=log, code=0))
    done = repo.install("--chain")
    assert done.returncode == 0, done.stderr
    assert (repo.hooks / "pre-push.local").exists()
    old = repo.head()
    new = repo.commit("notes.py", '"""Notes."""\n', "Add notes")
    done = repo.push("origin", "main")
    assert done.returncode == 0, done.stderr
    seen = log.read_text()
    assert f"args: origin {repo.remote}" in seen
    assert f"refs/heads/main {new} refs/heads/main {old}" in seen
    # duckfix still reviews after the chained hook, with the same lines.
    repo.commit("settings.py", SECRET, "Add the settings")
    assert_blocked_on_secret(repo.push("origin", "main"), "settings.py")
    assert seen.count("args:") == 1 < log.read_text().count("args:")
    # DUCKFIX_SKIP skips duckfix, not the user's own hook.
    done = repo.push("origin", "main", DUCKFIX_SKIP="1")
    assert done.returncode == 0, done.stderr
    assert log.read_text().count("args:") == 3


def test_a_chained_hook_that_fails_blocks_a_clean_push(repo: Repo, tmp_path: Path) -> None:
    write_hook(repo.hooks / "pre-push", RECORDER.format(log=tmp_path / "seen.txt", code=1))
    assert repo.install("--chain").returncode == 0
    before = repo.remote_sha("main")
    repo.commit("notes.py", '"""Notes."""\n', "Add notes")
    done = repo.push("origin", "main")
    assert done.returncode != 0
    assert repo.remote_sha("main") == before


def test_reinstalling_updates_in_place(repo: Repo, tmp_path: Path) -> None:
    write_hook(repo.hooks / "pre-push", RECORDER.format(log=tmp_path / "seen.txt", code=0))
    assert repo.install("--chain").returncode == 0
    hook = repo.hooks / "pre-push"
    first = hook.read_text()
    hook.write_text(first.replace(sys.executable, "/old/venv/bin/python"))
    done = repo.install()
    assert done.returncode == 0, done.stderr
    assert "updated" in done.stdout
    assert hook.read_text() == first, "rewritten, still chaining the old hook"
    assert os.access(hook, os.X_OK)
    ours = sorted(p.name for p in repo.hooks.glob("pre-push*") if p.suffix != ".sample")
    assert ours == ["pre-push", "pre-push.local"]
    assert repo.install("--force").returncode == 0, "our own hook is not foreign"
    assert not (repo.hooks / "pre-push.duckfix-backup").exists()


def test_install_honours_core_hooks_path(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", "githooks")
    sub = repo.path / "src"
    sub.mkdir()
    done = repo.run(sys.executable, "-m", "duckfix", "hook", "install", cwd=sub)
    assert done.returncode == 0, done.stderr
    assert (repo.path / "githooks" / "pre-push").exists()
    assert not (repo.hooks / "pre-push").exists()
    repo.commit("settings.py", SECRET, "Add the settings")
    assert_blocked_on_secret(repo.push("origin", "main"), "settings.py")


def test_install_into_another_repository(repo: Repo, tmp_path: Path) -> None:
    done = repo.run(
        sys.executable, "-m", "duckfix", "hook", "install", "--repo", str(repo.path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert HOOK_MARKER in (repo.hooks / "pre-push").read_text()


# -- reading git's lines, without git --------------------------------------------------------


A, B = "a" * 40, "b" * 40


def test_parse_push_lines() -> None:
    text = (
        f"\nrefs/heads/main {A} refs/heads/main {B}\n\n  \nrefs/heads/x {ZERO} refs/heads/x {B}\n"
    )
    assert parse_push_lines(text) == [
        PushRef("refs/heads/main", A, "refs/heads/main", B),
        PushRef("refs/heads/x", ZERO, "refs/heads/x", B),
    ]
    main, gone = parse_push_lines(text)
    assert not main.deletes and not main.creates and gone.deletes
    assert parse_push_lines(f"refs/heads/n {A} refs/heads/n {ZERO}")[0].creates
    assert parse_push_lines("") == [] == parse_push_lines("\n\n")
    sha256 = "c" * 64
    assert parse_push_lines(f"HEAD {sha256} refs/heads/m {'0' * 64}")[0].local_sha == sha256


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"refs/heads/main {A} refs/heads/main {B}\nrefs/heads/main {A} refs/heads/main\n", 2),
        (f"\n\nrefs/heads/main {A} refs/heads/main {B} extra\n", 3),
        (f"refs/heads/main {A[:39]} refs/heads/main {B}\n", 1),
        (f"refs/heads/main {A.upper()} refs/heads/main {B}\n", 1),
        ("garbage\n", 1),
    ],
)
def test_parse_push_lines_rejects_malformed_lines(text: str, line: int) -> None:
    with pytest.raises(UsageError, match=f"line {line} "):
        parse_push_lines(text)


def test_refs_from_pre_commit() -> None:
    assert refs_from_pre_commit({}) is None
    assert refs_from_pre_commit({"PRE_COMMIT_FROM_REF": A}) is None
    (ref,) = refs_from_pre_commit({"PRE_COMMIT_FROM_REF": A, "PRE_COMMIT_TO_REF": B}) or []
    assert (ref.local_sha, ref.remote_sha) == (B, A) and not ref.deletes
    (new,) = refs_from_pre_commit({"PRE_COMMIT_TO_REF": B}) or []
    assert new.creates
    root = {"PRE_COMMIT_LOCAL_BRANCH": "HEAD", "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    assert refs_from_pre_commit(root) == [PushRef("HEAD", "HEAD", "refs/heads/main", ZERO)]


def test_uninstall_restores_the_hook_duckfix_replaced_or_chained(repo: Repo) -> None:
    for how, kept in (("--force", "pre-push.duckfix-backup"), ("--chain", "pre-push.local")):
        write_hook(repo.hooks / "pre-push", FOREIGN)
        assert repo.install(how).returncode == 0
        assert (repo.hooks / kept).exists()
        done = repo.duckfix("hook", "uninstall")
        assert done.returncode == 0, done.stderr
        assert "is back in its place" in done.stdout
        assert (repo.hooks / "pre-push").read_text() == FOREIGN and not (repo.hooks / kept).exists()
    again = repo.duckfix("hook", "uninstall")
    assert again.returncode == 2 and "is not duckfix's hook; it was left as it is" in again.stderr
    (repo.hooks / "pre-push").unlink()
    assert repo.install().returncode == 0
    done = repo.duckfix("hook", "uninstall")
    assert done.returncode == 0 and done.stdout.strip().endswith("removed")
    assert not (repo.hooks / "pre-push").exists()
    gone = repo.duckfix("hook", "uninstall")
    assert gone.returncode == 2 and "no pre-push hook is installed" in gone.stderr


def test_under_pre_commit_args_tune_the_hook_and_skip_is_named_its_way(repo: Repo) -> None:
    base = repo.head()
    tip = repo.commit("calc.py", CLEAN + "x = 1   \n", "Add a trailing space")  # a warning only
    refs = {"PRE_COMMIT": "1", "PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    assert repo.duckfix("hook", "pre-push", **refs).returncode == 0, "warnings pass by default"
    done = repo.duckfix("hook", "pre-push", "--fail-on", "warning", **refs)
    assert done.returncode == 1
    assert "at or above 'warning' (--fail-on)" in done.stderr
    assert "SKIP=duckfix git push" in done.stderr and "DUCKFIX_SKIP" not in done.stderr
    secret = repo.commit("settings.py", SECRET, "Add the settings")
    refs["PRE_COMMIT_TO_REF"] = secret
    never = repo.duckfix("hook", "pre-push", "--fail-on", "never", **refs)
    assert never.returncode == 0, never.stderr


def test_run_outside_a_push_it_says_it_reviewed_nothing(repo: Repo) -> None:
    done = repo.duckfix("hook", "pre-push", input="", PRE_COMMIT="1")
    assert done.returncode == 0
    assert "reviewed nothing: no commits are being pushed" in done.stderr
    assert "--from-ref" in done.stderr


def test_json_says_what_was_found_and_whether_the_push_is_blocked(repo: Repo) -> None:
    base = repo.head()
    tip = repo.commit("settings.py", SECRET, "Add the settings")
    line = f"refs/heads/main {tip} refs/heads/main {base}\n"
    done = repo.duckfix("hook", "pre-push", "--json", "origin", str(repo.remote), input=line)
    assert done.returncode == 1
    doc = json.loads(done.stdout)  # stdout is the document alone
    assert doc["blocked"] is True and doc["block_on"] == "error" and doc["remote"] == "origin"
    assert doc["why"] == "1 finding(s) at or above 'error' (review.block_on)"
    (finding,) = [f for f in doc["findings"] if f["category"] == "secrets/github-token"]
    assert finding["path"] == "settings.py" and finding["line"] == SECRET_LINE
    assert doc["counts"]["error"] == 1 and len(doc["patches"]) == 1
    assert "push blocked" in done.stderr and "│" not in done.stderr, "findings only in JSON"
    clean = repo.commit("calc.py", CLEAN + "\n\ndef neg(a: int) -> int:\n    return -a\n", "Neg")
    line = f"refs/heads/main {clean} refs/heads/main {tip}\n"
    passed = repo.duckfix("hook", "pre-push", "--json", input=line)
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["blocked"] is False
    nothing = repo.duckfix("hook", "pre-push", "--json", input="")
    assert json.loads(nothing.stdout) | {"patches": [], "blocked": False} == json.loads(
        nothing.stdout
    )


# -- the hook's own start: no click, no pydantic, the same settings --------------------------


def test_a_push_is_reviewed_without_importing_click_or_pydantic(repo: Repo, tmp_path: Path) -> None:
    base = repo.head()
    repo.commit("notes.md", "# Notes\n\nA line of prose.\n", "Add notes")
    tip = repo.commit("calc.py", CLEAN + "x = 1   \n", "Add a trailing space")
    line = f"refs/heads/main {tip} refs/heads/main {base}\n"
    seen = tmp_path / "modules.txt"
    # The command as `python -m duckfix` runs it, with what it imported written at exit.
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(seen)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "sys.argv = ['duckfix', 'hook', 'pre-push', 'origin', 'url']\n"
        "from duckfix.service.entry import main\nmain()\n"
    )
    done = repo.run(sys.executable, "-c", code, input=line)
    assert done.returncode == 0, done.stderr
    assert "hygiene/trailing-whitespace" in done.stderr, "the warning is shown"
    imported = set(seen.read_text().split())
    assert {"duckfix.agents.review_checks.hygiene", "duckfix.agents.review_checks.python_lint",
            "duckfix.service.hook_run"} <= imported  # fmt: skip
    assert not {"click", "pydantic", "pydantic_core"} & imported


def test_the_hook_reads_the_review_settings_and_says_what_is_wrong_with_them(repo: Repo) -> None:
    base = repo.head()
    tip = repo.commit("calc.py", CLEAN + "# " + "x" * 30 + "\n", "Add a comment")
    line = f"refs/heads/main {tip} refs/heads/main {base}\n"
    (repo.path / "duckfix.toml").write_text("[review]\nmax_line_length = 20\nblock_on = 'note'\n")
    done = repo.duckfix("hook", "pre-push", "origin", str(repo.remote), input=line)
    assert done.returncode == 1, "a line over 20 columns is a note, and notes block"
    assert "at or above 'note' (review.block_on)" in done.stderr
    bad = repo.duckfix("hook", "pre-push", input=line, DUCKFIX_REVIEW__MAX_LINE_LENGTH="0")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "Error: setting review.max_line_length (from env): Input should be greater than 0"
    )
    review = repo.duckfix(
        "review", "--range", f"{base}..{tip}", DUCKFIX_REVIEW__MAX_LINE_LENGTH="0"
    )
    assert review.returncode == 2 and bad.stderr == review.stderr, "the same message"
    typo = repo.duckfix("hook", "pre-push", input=line, DUCKFIX_REVIEW__MAX_LINE_LENGHT="10")
    assert "DUCKFIX_REVIEW__MAX_LINE_LENGHT" in typo.stderr, "a stray variable is still named"
