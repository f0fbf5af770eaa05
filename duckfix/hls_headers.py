"""Where the open ``ap_int`` / ``ap_fixed`` / ``hls_stream`` headers are.

A module of its own because the review's compiler check needs it on the
pre-push hook's path, where importing the runner (and the sandbox) would
cost a tenth of a second.
"""

from __future__ import annotations

from pathlib import PurePosixPath

__all__ = ["hls_include"]


def hls_include(configured: str | None = None) -> str | None:
    """The ``ap_types`` headers folder: the configured one, else the ``hls4ml`` package's.

    The package is located without being imported (importing it loads numpy
    and more); None when neither is there.
    """
    if configured:
        return configured
    from importlib.util import find_spec

    spec = find_spec("hls4ml")
    if spec is None or spec.origin is None:
        return None
    folder = PurePosixPath(spec.origin).parent / "templates" / "vivado" / "ap_types"
    return str(folder)
