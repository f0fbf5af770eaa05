"""A task's source cannot steer the precompiled-header compile, which runs outside the sandbox.

``cbuild_cache`` builds ``pch.h`` from the external headers a kernel source
includes before its code, and compiles it as the caller (root, here). Only
names the compiler looks up in its own and the HLS include folders may get
there: an absolute name or one with ``..`` ends the prefix instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from duckfix.cbuild_cache import scan_prefix

HOSTILE = [
    "#include </root/secret>",
    '#include "/root/secret"',
    "#include <../../../../root/secret>",
    '#include "../../../../root/secret"',
    "#include <ap_int.h/../../../../root/secret>",
    "#include <./../root/secret>",
    "#include </proc/self/environ>",
    "#include <//root/secret>",
]


@pytest.fixture
def hls(tmp_path: Path) -> Path:
    folder = tmp_path / "hls"
    folder.mkdir()
    for name in ("ap_int.h", "hls_stream.h"):
        (folder / name).write_text("")
    return folder


@pytest.mark.parametrize("line", HOSTILE)
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_hostile_include_never_reaches_pch_h(hls: Path, line: str, where: str) -> None:
    first, second = (
        (line, "#include <ap_int.h>") if where == "before" else ("#include <ap_int.h>", line)
    )
    files = {
        "k.cpp": '#include "k.h"\nint x;\n',
        "k.h": f"{first}\n{second}\n#include <hls_stream.h>\n",
    }
    prefix = scan_prefix(files, "k.cpp", [".", "_duckfix"], str(hls))
    headers = prefix.headers if prefix is not None else ()
    assert all(not h.startswith("/") and ".." not in h.split("/") for h in headers), headers
    assert not any("secret" in h or "proc" in h for h in headers), headers
