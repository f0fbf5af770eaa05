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


def preload(
    modules: list[str],
    scripts: dict[str, str] | None = None,
    pytest_options: list[str] | None = None,
) -> list[str]:
    """Import ``modules`` now (once for every run to come); the ones that would not import.

    ``scripts`` maps the path a script will have in runs to where it is now: it
    is compiled here, and a run whose script there holds the very same bytes
    runs this code instead of compiling it again. ``pytest_options`` are the
    options the runs' pytest sessions start with (``-q``, the plugins they
    block): a session is rehearsed with them, and its configuration prepared.
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
        options = list(pytest_options or ["-q", "-p", "no:cacheprovider"])
        with contextlib.suppress(Exception):
            _rehearse_pytest(options)
        with contextlib.suppress(Exception):
            _prepare_pytest_config(options)
        with contextlib.suppress(Exception):
            _prepare_pytest_fixtures()
    # What is loaded now stays: the collector of every run need not walk it again.
    gc.collect()
    gc.freeze()
    return failed


_REHEARSAL = """\
import pytest


@pytest.fixture
def value(monkeypatch):
    monkeypatch.setenv("DUCKFIX_REHEARSAL", "1")
    return [1, 2]


def test_passes(value, capsys):
    print(value)
    assert capsys.readouterr().out == "[1, 2]\\n"


def test_fails(value):
    assert value == [1, 3], "differs"
"""


def _rehearse_pytest(options: list[str]) -> None:
    """One throwaway pytest session (a passing and a failing test), here, before any fork.

    A session imports modules, compiles patterns and fills caches on first use
    (assertion rewriting, failure reports, fixtures, argument parsing): a
    third of a session's time when every run is the first. What it leaves is
    pytest's own, the same whatever the run; its test module and folder go.
    """
    import linecache
    import shutil
    import tempfile

    import pytest

    # Caches of the environment, which a run's differs from ours in (TMPDIR).
    temp = (tempfile.tempdir, tempfile._name_sequence)  # type: ignore[attr-defined]
    folder = tempfile.mkdtemp(prefix="duckfix-warm-", dir="/tmp" if os.path.isdir("/tmp") else None)
    saved = (os.getcwd(), list(sys.path), set(sys.modules), os.dup(1), os.dup(2))
    try:
        with open(os.path.join(folder, "test_rehearsal.py"), "w") as fh:
            fh.write(_REHEARSAL)
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):  # its report goes nowhere
            os.dup2(null, fd)
        os.close(null)
        os.chdir(folder)
        with contextlib.suppress(BaseException):
            pytest.main([*options, "--rootdir=.", "test_rehearsal.py"])
    finally:
        cwd, path, modules, out, err = saved
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        os.chdir(cwd)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if getattr(sys.modules[name], "__file__", None) and str(
                sys.modules[name].__file__
            ).startswith(folder):
                del sys.modules[name]
        sys.path_importer_cache.pop(folder, None)
        linecache.clearcache()
        tempfile.tempdir, tempfile._name_sequence = temp  # type: ignore[attr-defined]
        shutil.rmtree(folder, ignore_errors=True)


_PYTEST_PROG = "pytest.main()"
"""The program name ``pytest.main`` gives its configuration (the plugin starts runs so)."""


def _prepare_pytest_config(options: list[str]) -> None:
    """Have the first pytest session of each run start from a configuration made here.

    ``_pytest.config.get_config`` (a plugin manager with pytest's built-in plugins
    registered, their options added) is a quarter of a session, and the same for
    every session that blocks the same plugins. It runs here once; each run's
    first call is given this one (its own copy, being a fork), with the run's own
    arguments and folder; any other call makes its own as usual.
    """
    import pathlib

    import _pytest.config as config_module

    made_by = config_module.get_config
    blocked = _blocked_plugins(options)
    prepared = [made_by(list(options), None, prog=_PYTEST_PROG)]

    def get_config(args: Any = None, plugins: Any = None, *, prog: str | None = None) -> Any:
        if not prepared or prog != _PYTEST_PROG or _blocked_plugins(args or ()) != blocked:
            return made_by(args, plugins, prog=prog)
        config = prepared.pop()
        config.invocation_params = config_module.Config.InvocationParams(
            args=args or (), plugins=plugins, dir=pathlib.Path.cwd()
        )
        return config

    config_module.get_config = get_config


def _prepare_pytest_fixtures() -> None:
    """Have sessions find the fixtures of pytest's own plugins from lists made here.

    At its start a session looks through every attribute of every plugin for
    fixtures (``FixtureManager.parsefactories``): a quarter of a warm session,
    and for pytest's own modules and plugin classes the same answer every time.
    It is found here, once: a session is shown just the fixtures of such a
    module, and skips an object of such a class that has none, as long as their
    attributes are the very objects seen here (a conftest may have changed them:
    then pytest looks through them as usual). Where pytest would warn about a
    fixture behind a wrapper, it always looks for itself.
    """
    import inspect
    import types

    from _pytest import compat, fixtures

    manager: Any = fixtures.FixtureManager
    parse = manager.parsefactories
    if "holder" not in inspect.signature(parse).parameters:
        return  # another pytest than the one this was written for: leave it be
    fixture_type = fixtures.FixtureFunctionDefinition

    def plain(value: object) -> bool:
        wrapped = manager._find_wrapped_fixture_def(None, value)
        return type(value) is not fixture_type and wrapped is None

    modules: dict[int, tuple[types.ModuleType, dict[str, Any], types.ModuleType]] = {}
    empty: dict[type, list[tuple[type, dict[str, Any]]]] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("_pytest") or not isinstance(module, types.ModuleType):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                bases = [b for b in value.__mro__ if b is not object]
                if all(plain(v) for b in bases for v in list(vars(b).values())):
                    empty[value] = [(b, dict(vars(b))) for b in bases]
        names = [a for a, v in vars(module).items() if type(v) is fixture_type]
        if all(type(v) is fixture_type or plain(v) for v in list(vars(module).values())):
            shown = types.ModuleType(name)
            shown.__dict__.update({a: module.__dict__[a] for a in names})
            modules[id(module)] = (module, dict(vars(module)), shown)
    unset = compat.NOTSET

    def parsefactories(
        self: Any, node_or_obj: Any = unset, nodeid: Any = unset, *, holder: Any = unset,
        node: Any = unset,
    ) -> None:  # fmt: skip
        if holder is not unset:
            known = modules.get(id(holder))
            if known is not None and known[0] is holder and _same(vars(holder), known[1]):
                holder = known[2]
            elif (bases := empty.get(type(holder))) and all(_same(vars(b), d) for b, d in bases):
                return
        parse(self, node_or_obj, nodeid, holder=holder, node=node)

    manager.parsefactories = parsefactories


_ABSENT = object()


def _same(now: Any, seen: dict[str, Any]) -> bool:
    """Whether a namespace holds exactly the objects it held when ``seen`` was taken."""
    return len(now) == len(seen) and all(now.get(k, _ABSENT) is v for k, v in seen.items())


def _blocked_plugins(args: Any) -> list[str]:
    """The ``-p no:NAME`` values of ``args``, read as pytest's ``consider_preparse`` does."""
    out, items, i = [], list(args), 0
    while i < len(items):
        opt, i = items[i], i + 1
        if not isinstance(opt, str):
            continue
        if opt == "-p":
            if i >= len(items):
                break
            value, i = str(items[i]), i + 1
        elif opt.startswith("-p"):
            value = opt[2:]
        else:
            continue
        if value.strip().startswith("no:"):
            out.append(value.strip())
    return out


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
