"""The [build] table of C tasks: defaults, sources found or named, and flags that are refused."""

from __future__ import annotations

import pytest

from duckfix.build_config import BuildConfig, check_flag, included_sources, parse_build
from duckfix.errors import TaskError

PROGRAM = {
    "main.c": '#include <stdio.h>\n#include "lexer.c"\n#include "util.h"\nint main(void) {}\n',
    "lexer.c": '#include "tables/keywords.c"\nint lex(void) { return 0; }\n',
    "tables/keywords.c": "const char *kw[] = {0};\n",
    "util.c": '#include "util.h"\nint util(void) { return 1; }\n',
    "util.h": "int util(void);\n",
}


def test_defaults_sanitize_and_compile_every_source_no_other_includes() -> None:
    config = BuildConfig()
    assert config.sanitize == ["address", "undefined"] and not config.unit and config.flags == []
    assert config.sanitizer_flags() == ["-fsanitize=address,undefined"]
    # lexer.c is #included by main.c, and keywords.c by lexer.c (next to it, in tables/).
    assert config.source_list(PROGRAM) == ["main.c", "util.c"]
    assert included_sources(PROGRAM, set(PROGRAM)) == {"lexer.c", "tables/keywords.c"}


def test_named_sources_and_no_sanitizers() -> None:
    config = parse_build({"sources": ["lexer.c"], "sanitize": []}, "task.toml", PROGRAM)
    assert config.source_list(PROGRAM) == ["lexer.c"]
    assert config.sanitizer_flags() == []


def test_the_table_is_part_of_cache_keys() -> None:
    assert BuildConfig().key() != BuildConfig(sanitize=[]).key()
    assert BuildConfig(flags=["-DX"]).key() != BuildConfig(flags=["-DY"]).key()


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"sources": ["nothere.c"]}, "build.sources: 'nothere.c' is not a file of the program"),
        ({"sources": ["../up.c"]}, "a plain path inside the side folder"),
        ({"sources": ["util.h"]}, "a source ends in .c"),
        ({"sources": []}, "name at least one source"),
        ({"sanitize": ["thread"]}, "build.sanitize.0:"),
        ({"unit": "yes"}, "build.unit:"),
        ({"flag": ["-O2"]}, "build.flag: unknown key; known: sources, unit, flags, sanitize"),
        ({"flags": ["-B/tmp/evil"]}, "build.flags: '-B/tmp/evil': not an allowed flag"),
        ({"flags": "-O2"}, "build.flags:"),
    ],
)
def test_a_bad_table_is_one_line_naming_the_key(table: dict[str, object], says: str) -> None:
    with pytest.raises(TaskError) as caught:
        parse_build(table, "t/task.toml", PROGRAM)
    message = str(caught.value)
    assert message.startswith("t/task.toml: build.") and says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "flag",
    [
        "-I/usr/include/secret",  # a host folder
        "-I../other-task",
        "-iquote/etc",
        "-isystem/root",
        "-include/etc/passwd",
        "-I",  # the value would be the next flag
        "@/etc/passwd",  # reads more flags from a host file
        "/etc/passwd",  # a bare name is an input file
        "extra.c",
        "-B/tmp",  # where the driver finds cc1, as, ld
        "-B",
        "-wrapper",
        "-wrapper=gdb,--args",
        "-fplugin=/tmp/evil.so",
        "-fplugin-arg-evil-x=1",
        "--sysroot=/",
        "--sysroot",
        "-specs=/tmp/evil.specs",
        "-L/tmp",
        "-Wl,-T,/etc/passwd",  # linker pass-through
        "-Wa,-adhln=/tmp/out",
        "-Wp,-MD,/tmp/deps",
        "-Xlinker",
        "-fprofile-use=/tmp/x",
        "-fprofile-generate",
        "-fdump-tree-all",
        "-fsanitize=thread",  # sanitizers belong to 'sanitize'
        "-fdebug-prefix-map=/=/x",
        "-o",
        "-oout",
        "-save-temps",
        "-x",
        "-E",
        "-imacros/etc/passwd",
        "-isysroot/",
        "-D\nX",
        "",
    ],
)
def test_flags_that_reach_outside_the_task_are_refused(flag: str) -> None:
    assert check_flag(flag) is not None
    with pytest.raises(TaskError):
        parse_build({"flags": [flag]}, "task.toml", PROGRAM)


@pytest.mark.parametrize(
    "flag",
    [
        "-DNDEBUG", "-DSIZE=64", '-DNAME="a/b"', "-UDEBUG", "-Iinclude", "-Isrc/include",
        "-isystemthird_party", "-std=c99", "-std=gnu++17", "-O2", "-Os", "-g", "-g3", "-w",
        "-Wall", "-Wno-unused-variable", "-Werror=return-type", "-Wformat=2", "-fwrapv",
        "-fno-strict-aliasing", "-fno-sanitize=shift-base", "-fmax-errors=5", "-march=native",
        "-mno-red-zone", "-lm", "-pthread", "-pedantic", "-ansi",
    ],
)  # fmt: skip
def test_flags_that_only_change_the_compile_are_taken(flag: str) -> None:
    assert check_flag(flag) is None, check_flag(flag)
    assert parse_build({"flags": [flag]}, "task.toml", PROGRAM).flags == [flag]
