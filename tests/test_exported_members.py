"""The public API: everything in duckfix.__all__ exists, and nothing else is advertised."""

from __future__ import annotations

import duckfix
import duckfix.errors
import duckfix.models


def test_all_names_resolve() -> None:
    for name in duckfix.__all__:
        assert getattr(duckfix, name) is not None, name


def test_lazy_exports_match_all() -> None:
    assert set(duckfix.__all__) == set(duckfix._EXPORTS) | {"__version__"}


def test_module_all_lists_are_complete() -> None:
    for module in (duckfix.errors, duckfix.models):
        public = {
            n for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
        }  # fmt: skip
        assert public <= set(module.__all__), public - set(module.__all__)


def test_importing_duckfix_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, duckfix; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
