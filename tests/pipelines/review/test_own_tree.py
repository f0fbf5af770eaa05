"""Every check reads the reviewed commit's own tree with the project's own settings and flags."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from duckfix.pipelines.review.inputs import from_range, open_repo
from duckfix.pipelines.review.run import ReviewOutcome, run_review
from duckfix.review_settings import CReviewSettings, ReviewSettings

from tests.pipelines.review.gitrepo import GitRepo

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
SETTINGS = ReviewSettings(checks=("hygiene", "python", "c", "commit"))


def review(repo: GitRepo, spec: str = "HEAD~1..HEAD", **settings: object) -> ReviewOutcome:
    git = open_repo(repo.root)
    return run_review(from_range(git, spec), dataclasses.replace(SETTINGS, **settings), git)


def categories(outcome: ReviewOutcome) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.category) for f in outcome.findings if f.path != "COMMIT_MSG"}


# --- Python: ruff with the project's configuration ------------------------------------


def test_a_project_with_fix_true_gets_ruffs_findings(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    config = '[tool.ruff]\nfix = true\n[tool.ruff.lint]\nextend-select = ["I"]\n'
    repo.commit("Start\n\nThe package.", {"pyproject.toml": config, "pkg/a.py": "A = 1\n"})
    repo.commit("Use os\n\nIt is needed.", {"pkg/a.py": "import sys\nimport os\n\nA = os.sep\n"})
    outcome = review(repo)
    assert categories(outcome) == {("pkg/a.py", 1, "python/I001"), ("pkg/a.py", 1, "python/F401")}
    assert outcome.not_run == []
    # ruff did not "fix" the work tree either.
    assert (repo.root / "pkg/a.py").read_text() == "import sys\nimport os\n\nA = os.sep\n"


def test_ruff_reads_the_commits_configuration_not_the_checkouts(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Start\n\nThe tool.", {"ruff.toml": '[lint]\nignore = ["F821"]\n'})
    repo.commit("Add m\n\nA module.", {"m.py": "x = undefined\n"})
    # Since then the checkout stopped ignoring F821 (and moved on a commit).
    repo.commit("Stricter\n\nNo more ignores.", {"ruff.toml": "[lint]\n"})
    assert categories(review(repo, "HEAD~2..HEAD~1")) == set()
    repo.write({"ruff.toml": '[lint]\nignore = ["F821"]\n'})  # an uncommitted edit
    assert categories(review(repo, "HEAD~1..HEAD")) == set()  # no Python changed
    repo.commit("Add n\n\nAnother.", {"n.py": "y = undefined\n", "ruff.toml": "[lint]\n"})
    repo.write({"ruff.toml": '[lint]\nignore = ["F821"]\n'})
    assert categories(review(repo)) == {("n.py", 1, "python/F821")}


def test_isort_knows_the_projects_own_packages_in_an_older_commit(tmp_path: Path) -> None:
    # As python-poetry/cleo: src layout, tests imported as a package, isort on.
    repo = GitRepo(tmp_path / "r")
    config = (
        '[tool.ruff.lint]\nextend-select = ["I"]\n'
        '[tool.ruff.lint.isort]\nknown-first-party = ["pkg"]\n'
    )
    start = {"pyproject.toml": config, "src/pkg/a.py": "A = 1\n", "tests/__init__.py": "",
             "tests/helpers.py": "H = 1\n"}  # fmt: skip
    repo.commit("Start\n\nThe package.", start)
    test = "from pkg.a import A\nfrom tests.helpers import H\n\n\ndef test_a() -> None:\n"
    test += "    assert A == H\n"
    repo.commit("Test a\n\nIt is one.", {"tests/test_a.py": test})
    repo.commit("Later\n\nThe checkout moves on.", {"src/pkg/b.py": "B = 2\n"})
    outcome = review(repo, "HEAD~2..HEAD~1")  # not the checkout: its files are copied out
    assert categories(outcome) == set() and outcome.not_run == []


def test_files_the_project_excludes_are_not_linted(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Start\n\nX.", {"ruff.toml": 'extend-exclude = ["gen"]\n'})
    repo.commit("Generate\n\nY.", {"gen/out.py": "x = undefined\n", "ok.py": "z = nope\n"})
    assert categories(review(repo)) == {("ok.py", 1, "python/F821")}


# --- C: the commit's headers, the project's flags ---------------------------------------

UNUSED = "int use(void)\n{\n\tint spare;\n\treturn api();\n}\n"


@needs_gcc
def test_a_file_compiles_against_the_commits_headers(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Start\n\nX.", {"include/api.h": "int old(void);\n"})
    repo.commit("Add api\n\nY.", {"include/api.h": "int api(void);\n"})
    repo.commit("Use api\n\nZ.", {"src/use.c": '#include "api.h"\n' + UNUSED})
    # The checkout has moved on: api() is gone from its header.
    repo.commit("Drop api\n\nW.", {"include/api.h": "int old(void);\n"})
    outcome = review(repo, "HEAD~2..HEAD~1")
    assert categories(outcome) == {("src/use.c", 4, "c/unused-variable")}
    assert outcome.not_run == []


DB_SOURCE = (
    "#ifndef FEATURE\n#error needs FEATURE\n#endif\n"
    '#include "config.h"\n'
    "int f(void)\n{\n\treturn WIDTH;\n}\n"
)


@needs_gcc
def test_compile_commands_json_gives_the_projects_flags(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("Start\n\nX.", {"src/f.c": DB_SOURCE, "gen/config.h": "#define WIDTH 4\n"})
    repo.commit("Warn\n\nY.", {"src/f.c": DB_SOURCE.replace("\treturn", "\tint spare;\n\treturn")})
    # Without the build's flags the file cannot be checked: said, not guessed at.
    outcome = review(repo)
    assert categories(outcome) == set()
    assert [(r.check, r.path) for r in outcome.not_run] == [("c", "src/f.c")]
    assert "FEATURE" in outcome.not_run[0].reason
    build = repo.root / "build"  # untracked build output, as CMake leaves it
    build.mkdir()
    entry = {
        "directory": str(build),
        "file": "../src/f.c",
        "arguments": ["cc", "-DFEATURE=1", "-I../gen", "-Werror", "-o", "f.o", "-c", "../src/f.c"],
    }
    (build / "compile_commands.json").write_text(json.dumps([entry]))
    outcome = review(repo)
    assert categories(outcome) == {("src/f.c", 7, "c/unused-variable")}
    assert outcome.not_run == []


@needs_gcc
def test_review_c_settings_and_a_header_through_a_file_that_includes_it(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    prelude = "#include <stddef.h>\ntypedef unsigned long u64;\n"
    header = "static inline u64 twice(u64 x)\n{\n\treturn 2 * x;\n}\n"
    repo.commit(
        "Start\n\nX.",
        {
            "compat.h": prelude,
            "lib/twice.h": header,
            "lib/user.c": '#include "compat.h"\n#include "twice.h"\nu64 g(void) { return 0; }\n',
        },
    )
    changed = header.replace("\treturn", "\tint spare;\n\treturn")
    repo.commit("Warn in a header\n\nY.", {"lib/twice.h": changed})
    # The header alone does not know u64; through lib/user.c (with -I.) it does.
    outcome = review(repo, c=CReviewSettings(include=(".",)))
    assert categories(outcome) == {("lib/twice.h", 3, "c/unused-variable")}
    # A header nobody includes, compiled alone after the prelude headers.
    repo.commit("Alone\n\nZ.", {"lib/alone.h": changed.replace("twice", "thrice")})
    outcome = review(repo, c=CReviewSettings(prelude=("compat.h",)))
    assert categories(outcome) == {("lib/alone.h", 3, "c/unused-variable")}
    outcome = review(repo)
    assert outcome.not_run and outcome.not_run[0].path == "lib/alone.h"
    assert categories(outcome) == set()
