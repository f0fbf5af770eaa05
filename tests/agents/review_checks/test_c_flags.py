"""The project's own compiler flags for a file: compile_commands.json, [review.c], a best effort.

The tree looks like a Meson / CMake project built out of tree: sources under
``src/``, headers under ``include/``, a prelude header every file needs first,
a ``build/`` folder with a generated ``config.h`` and the
``compile_commands.json`` the build wrote (through ccache, with -Werror, an
output file and a compiler plugin the review must not load).
"""

from __future__ import annotations

import json
from pathlib import Path

from duckfix.agents.review_checks.c_flags import setup_for
from duckfix.review_settings import CReviewSettings

NONE = CReviewSettings()


def make_tree(root: Path, with_db: bool = True) -> Path:
    for rel, text in {
        "include/kmod/lib.h": "int lib(void);\n",
        "shared/prelude.h": "#define _GNU_SOURCE 1\n",
        "src/lib.c": '#include "kmod/lib.h"\nint lib(void) { return 0; }\n',
        "src/other.c": "int other;\n",
        "tools/inc/tool.h": "int tool;\n",
        "build/config.h": "#define HAVE_ZSTD 0\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if with_db:
        args = ["ccache", "cc", "-DHAVE_CONFIG_H", "-D", "VERSION=\"34\"", "-I../include",
                "-isystem", "/usr/include", "-include", "../shared/prelude.h", "-I.",
                "-std=gnu11", "-Werror", "-Wno-unused-parameter", "-fplugin=/tmp/evil.so",
                "-o", "src/lib.o", "-MF", "src/lib.d", "-c", "../src/lib.c"]  # fmt: skip
        db = [{"directory": str(root / "build"), "file": "../src/lib.c", "arguments": args}]
        (root / "build/compile_commands.json").write_text(json.dumps(db))
    return root


def test_a_files_own_entry_gives_the_builds_flags(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "kmod")
    setup = setup_for("src/lib.c", root, root, NONE)
    assert setup.source == "build/compile_commands.json (its entry)" and setup.own
    assert setup.flags == ['-DHAVE_CONFIG_H', '-DVERSION="34"', "-std=gnu11",
                           "-Wno-unused-parameter"]  # fmt: skip
    # Include folders inside the source root are read from the reviewed tree; the
    # build folder (generated config.h) from where it is.
    assert ("-I", str(root / "include")) in setup.includes
    assert ("-I", str(root / "build")) in setup.includes
    assert setup.prelude == [str(root / "shared/prelude.h")]
    assert setup.known_files == frozenset({"src/lib.c"})


def test_the_reviewed_tree_is_read_not_the_checkout(tmp_path: Path) -> None:
    checkout = make_tree(tmp_path / "checkout")
    tree = make_tree(tmp_path / "copy", with_db=False)  # the commit's files, copied out of git
    setup = setup_for("src/lib.c", tree, checkout, NONE)
    assert ("-I", str(tree / "include")) in setup.includes
    assert setup.prelude == [str(tree / "shared/prelude.h")]


def test_a_file_the_build_does_not_list_borrows_a_neighbours_flags_untrusted(
    tmp_path: Path,
) -> None:
    root = make_tree(tmp_path / "kmod")
    setup = setup_for("src/new.c", root, root, NONE)
    assert setup.source == "build/compile_commands.json (as src/lib.c)"
    assert "-DHAVE_CONFIG_H" in setup.flags
    assert not setup.own  # good for warnings, not to call errors the patch's


def test_review_c_settings_without_a_database(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "proj", with_db=False)
    settings = CReviewSettings(flags=("-DHAVE_CONFIG_H", "-Werror"), include=("include",),
                               prelude=("shared/prelude.h",))  # fmt: skip
    setup = setup_for("src/other.c", root, root, settings)
    assert setup.source == "review.c settings" and setup.own
    assert setup.flags == ["-DHAVE_CONFIG_H"]
    assert setup.includes == [("-I", str(root)), ("-I", str(root / "include"))]
    assert "-include" in setup.arguments() and str(root / "shared/prelude.h") in setup.arguments()


def test_a_best_effort_names_the_include_folders_and_is_not_trusted(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "proj", with_db=False)
    setup = setup_for("src/other.c", root, root, NONE)
    assert setup.source.startswith("best effort") and not setup.own
    folders = {folder for _, folder in setup.includes}
    assert folders == {str(root), str(root / "include"), str(root / "tools/inc")}
