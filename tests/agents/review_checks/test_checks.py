"""The deterministic checks together, and the helper their tests share.

Each check has its own ``test_checks_<check>.py``; every test there builds a real
diff with git in a temporary repository and parses it with ``parse_diff``.
"""

from __future__ import annotations

from pathlib import Path

from duckfix.agents.review_checks import FILE_CHECKS, run_file_checks
from duckfix.diff import parse_diff
from duckfix.findings import Finding
from duckfix.patches import FileContext
from duckfix.review_settings import ReviewSettings

from tests.pipelines.review.gitrepo import GitRepo

SETTINGS = ReviewSettings()


def make_ctx(
    root: Path,
    path: str,
    old: str | bytes | None,
    new: str | bytes | None,
    *,
    files: dict[str, str | bytes] | None = None,
    with_text: bool = True,
) -> FileContext:
    """The context of ``path`` changing from ``old`` to ``new`` (None: absent) in a real repo.

    ``files`` are committed alongside, unchanged (configs, headers). The diff is
    ``git diff --cached`` of the change, parsed with ``parse_diff``.
    """
    repo = GitRepo(root)
    repo.commit("init", {**(files or {}), **({path: old} if old is not None else {})})
    if new is None:
        (repo.root / path).unlink()
    else:
        repo.write({path: new})
    repo.git("add", "-A")
    diff = repo.git("diff", "--cached", "--no-color", "--no-ext-diff", "--", path)
    (change,) = parse_diff(diff)
    text = new if isinstance(new, str) and with_text else None
    return FileContext(change, new_text=text, repo=repo.root)


def by_line(findings: list[Finding]) -> dict[int, list[str]]:
    """Line -> categories found there."""
    out: dict[int, list[str]] = {}
    for f in findings:
        out.setdefault(f.line, []).append(f.category)
    return out


def test_all_file_checks_on_one_python_file(tmp_path: Path) -> None:
    old = "import sys\n\n\ndef main():\n    return sys.argv\n"
    new = (
        "import sys\n\n\ndef main():\n"
        "    breakpoint()  \n"  # a debugger with trailing whitespace
        '    token = "ghp_' + "a1B2" * 9 + '"\n'
        "    return undefined_name\n"
    )
    ctx = make_ctx(tmp_path / "r", "app.py", old, new)
    found = run_file_checks(ctx, SETTINGS, FILE_CHECKS)
    assert by_line(found) == {
        5: ["hygiene/trailing-whitespace", "leftovers/debugger"],
        6: ["secrets/github-token", "python/F841"],
        7: ["python/F821"],
    }
    assert all(f.path == "app.py" and f.message for f in found)


def test_checks_find_nothing_in_a_clean_change(tmp_path: Path) -> None:
    old = "def add(a, b):\n    return a + b\n"
    new = old + '\n\ndef main():\n    print("usage: add A B")\n'
    ctx = make_ctx(tmp_path / "r", "tool.py", old, new)
    assert run_file_checks(ctx, SETTINGS, FILE_CHECKS) == []
