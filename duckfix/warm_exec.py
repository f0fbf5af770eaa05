"""Run a Python command line in this very process, as exec'ing a fresh interpreter would.

A warm spawner (``spawner.py`` started with modules to preload) imports pytest
and the harness's standard-library modules once, then forks for every run as
the cold one does: same namespaces, same root, same uid and limits. Where a
cold run's program child would ``exec`` ``python ...``, a warm one calls
:func:`run` instead, which gives the code what a fresh interpreter gives it
(environment, arguments, ``sys.path``, signal dispositions, standard streams, a
reseeded ``random``) and exits the way the interpreter would. What a run does
dies with its process; the next run forks from the untouched parent.

Standard library only, like the spawner; loaded by it under a private name.
"""

import atexit
import contextlib
import gc
import importlib
import io
import os
import runpy
import signal
import sys
import time
import traceback
import types
from typing import Any, NoReturn

_BASE_PATH: list[str] = []
_COMPILED: dict[str, tuple[bytes, Any]] = {}
"""Run path of a script -> (its source, its code): scripts compiled once, for every run."""


def preload(modules: list[str], scripts: dict[str, str] | None = None) -> list[str]:
    """Import ``modules`` now (once for every run to come); the ones that would not import.

    ``scripts`` maps the path a script will have in runs to where it is now: it
    is compiled here, and a run whose script there holds the very same bytes
    runs this code instead of compiling it again.
    """
    global _BASE_PATH
    _BASE_PATH = list(sys.path)
    for run_path, source_path in (scripts or {}).items():
        with contextlib.suppress(OSError, SyntaxError, ValueError):
            with open(source_path, "rb") as fh:
                source = fh.read()
            _COMPILED[run_path] = (source, compile(source, run_path, "exec", dont_inherit=True))
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    if "pytest" in sys.modules:
        # Its built-in plugins are imported per session otherwise (30 ms each run).
        from _pytest.config import default_plugins

        for plugin in default_plugins:
            with contextlib.suppress(Exception):
                importlib.import_module(f"_pytest.{plugin}")
    # What is loaded now stays: the collector of every run need not walk it again.
    gc.collect()
    gc.freeze()
    return failed


def run(spec: dict[str, Any], env: dict[str, str], errpipe: int) -> NoReturn:
    """Become the interpreter of ``spec`` (``mode`` script or module, ``target``, ``argv``).

    ``errpipe`` is closed at the moment an exec would have happened: from then on
    what goes wrong is the program's, reported as its exit status.
    """
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    # As CPython sets them at start-up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_IGN)
    sys.argv = list(spec["argv"])
    extra = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    first = [os.path.abspath(os.path.dirname(spec["target"]))] if spec["mode"] == "script" else []
    sys.path[:] = [*first, *extra, *_BASE_PATH]
    importlib.invalidate_caches()
    _fresh_streams()
    if "random" in sys.modules:
        sys.modules["random"].seed()  # a fresh interpreter seeds from the system
    os.close(errpipe)
    code = _main(spec)
    os._exit(code)


def _fresh_streams() -> None:
    """stdin, stdout and stderr on descriptors 0-2, as a new interpreter opens them."""

    def stream(fd: int, mode: str, errors: str, line_buffering: bool) -> io.TextIOWrapper:
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        return io.TextIOWrapper(
            buffered, encoding="utf-8", errors=errors, line_buffering=line_buffering
        )

    sys.stdin = sys.__stdin__ = stream(0, "r", "strict", False)  # type: ignore[misc]
    sys.stdout = sys.__stdout__ = stream(1, "w", "strict", False)  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = stream(2, "w", "backslashreplace", True)  # type: ignore[misc]


def _main(spec: dict[str, Any]) -> int:
    """Run the target as ``__main__``; the exit status the interpreter would end with."""
    code = 0
    try:
        if spec["mode"] == "module":
            runpy.run_module(spec["target"], run_name="__main__", alter_sys=True)
        else:
            _run_script(os.path.abspath(spec["target"]))
    except SystemExit as exc:
        code = _exit_status(exc)
    except KeyboardInterrupt:
        _finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)  # as CPython ends on an uncaught Ctrl-C
    except BaseException as exc:
        # As the interpreter prints it: from the program's first frame, not ours.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb)
        code = 1
    _finish()
    return code


def _run_script(path: str) -> None:
    """Run the script at ``path`` as ``__main__``, as ``python PATH`` would.

    Its code is the one compiled at preload when the file holds the same bytes.
    """
    with open(path, "rb") as fh:
        source = fh.read()
    cached = _COMPILED.get(path)
    if cached is not None and cached[0] == source:
        code = cached[1]
    else:
        code = compile(source, path, "exec", dont_inherit=True)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    exec(code, module.__dict__)


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _finish() -> None:
    """What the interpreter does on its way out: threads, atexit, flushing."""
    threading = sys.modules.get("threading")
    if threading is not None:
        with contextlib.suppress(BaseException):
            threading._shutdown()
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
