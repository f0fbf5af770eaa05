"""Run every benchmark in tests/perf and print its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = set(sys.argv[1:])
    for name in names:
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"tests.perf.{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0] if module.__doc__ else ''}")
        module.main()
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
