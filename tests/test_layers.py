"""The rooms import one way: service → pipelines → agents / datasets → duckfix (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# room folder -> the duckfix subpackages it may import
ALLOWED = {
    "duckfix": set(),
    "agents": {"duckfix.agents"},
    "datasets": {"duckfix.datasets"},
    "pipelines": {"duckfix.pipelines", "duckfix.agents", "duckfix.datasets"},
    "service": {"duckfix.service", "duckfix.pipelines", "duckfix.agents", "duckfix.datasets"},
}
ROOMS = ("duckfix.agents", "duckfix.datasets", "duckfix.pipelines", "duckfix.service")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_a_room_imports_only_the_rooms_below_it(room: str) -> None:
    wrong = []
    for path in sorted((ROOT / room).rglob("*.py")):
        if "suites" in path.parts:  # task programs, not duckfix code
            continue
        for name in _imports(path):
            target = next((r for r in ROOMS if name == r or name.startswith(r + ".")), None)
            # `python -m duckfix` is the one way up: the entry point itself.
            entry = path.name == "__main__.py" and target == "duckfix.service"
            if target is not None and target not in ALLOWED[room] and not entry:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []
