"""``python -m duckfix.llama_server``: llama-cpp-python's server, extra buffer types switchable.

llama.cpp repacks weights into "extra buffer types" (AMX tiles, interleaved
Q4 blocks) when the CPU has the instructions. On some CPUs the first decode
then dies with a general-protection fault in ``libggml-cpu.so`` ("amx repack"
in the log). llama.cpp's own server has ``--no-repack``; llama-cpp-python's
does not expose the model parameter, so this launcher sets it
(``use_extra_bufts = False``) in the defaults every model is loaded with, then
hands over to llama-cpp-python's ``__main__`` with the other arguments.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["NO_EXTRA_BUFTS", "main", "without_extra_bufts"]

NO_EXTRA_BUFTS = "--no-extra-bufts"
"""This launcher's own flag; every other argument goes to llama-cpp-python's server."""


def without_extra_bufts(lib: Any) -> None:
    """Make ``lib.llama_model_default_params()`` (llama_cpp.llama_cpp) turn extra buffers off."""
    default = lib.llama_model_default_params

    def params() -> Any:
        made = default()
        made.use_extra_bufts = False
        return made

    lib.llama_model_default_params = params


def main(argv: list[str] | None = None) -> None:
    """Run the server; ``--no-extra-bufts`` first switches the extra buffer types off."""
    args = list(sys.argv[1:] if argv is None else argv)
    if NO_EXTRA_BUFTS in args:
        args.remove(NO_EXTRA_BUFTS)
        import llama_cpp.llama_cpp as lib

        without_extra_bufts(lib)
    from llama_cpp.server.__main__ import main as serve

    sys.argv = [sys.argv[0], *args]
    serve()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
