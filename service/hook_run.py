"""What ``duckfix hook pre-push`` does, and the way in that skips click.

Every ``git push`` starts this command in a fresh process, so its start is
part of every push. When git (or pre-commit) runs it with the arguments the
installed hook passes, and only the review's settings are set
(:mod:`duckfix.hook_settings`), :func:`fast_main` runs it without importing
click or pydantic; anything else (``--help``, ``--server``, another setting,
a value only the full settings can judge) goes through the click command in
:mod:`duckfix.service.hook_cmd`, which runs the same :func:`run_pre_push`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duckfix.config import Settings
    from duckfix.hook_settings import HookSettings

__all__ = ["FAIL_ON", "PrePush", "fast_main", "light_settings", "parse_pre_push", "run_pre_push"]

FAIL_ON = ("error", "warning", "note", "never")
"""``--fail-on``'s choices."""


@dataclass(frozen=True)
class PrePush:
    """The command's arguments and options."""

    remote: str = "origin"
    url: str = ""
    fail_on: str | None = None
    as_json: bool = False
    server: str | None = None


def parse_pre_push(args: Sequence[str]) -> PrePush | None:
    """``REMOTE URL`` with ``--fail-on X`` and ``--json`` anywhere; None for anything else.

    None hands the arguments to click, which knows every option, says what is
    wrong with them, and prints ``--help``.
    """
    positional: list[str] = []
    fail_on: str | None = None
    as_json = False
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--json":
            as_json = True
        elif arg.startswith("--fail-on="):
            fail_on = arg.partition("=")[2]
        elif arg == "--fail-on" and rest:
            fail_on = rest.pop(0)
        elif arg.startswith("-"):
            return None
        else:
            positional.append(arg)
    if len(positional) > 2 or (fail_on is not None and fail_on not in FAIL_ON):
        return None
    return PrePush(*positional, fail_on=fail_on, as_json=as_json)  # type: ignore[arg-type]


def fast_main(args: Sequence[str]) -> int | None:
    """Run ``hook pre-push`` without click if it can be (see the module); None if not."""
    if list(args[:2]) != ["hook", "pre-push"]:
        return None
    options = parse_pre_push(args[2:])
    if options is None:
        return None
    light = light_settings()
    if light is None:
        return None
    from duckfix import interrupts
    from duckfix.errors import DuckfixError

    interrupts.install()
    try:
        return run_pre_push(options, light, _full_settings)
    except DuckfixError as exc:
        _say(f"Error: {exc}")  # as click shows a DuckfixError (service/cli.py)
        return exc.exit_code
    except KeyboardInterrupt:
        _say("duckfix: interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("DUCKFIX_DEBUG", "") not in ("", "0"):
            raise
        from duckfix.service.jobs import internal_error_line

        _say(internal_error_line(exc))
        return 3


def light_settings(
    flags: dict[str, Any] | None = None, config_file: str | None = None, isolated: bool = False
) -> HookSettings | None:
    """The hook's own settings (``--config``, ``--isolated`` and flags as the group gives them);
    None: the full settings are needed, or will say what is wrong."""
    from duckfix.errors import ConfigError
    from duckfix.hook_settings import hook_settings

    try:
        return hook_settings(
            flags,
            environ=os.environ,
            config_file=Path(config_file) if config_file else None,
            isolated=isolated,
        )
    except ConfigError:
        return None  # the full settings say so, in their words, when they are read


def _full_settings() -> Settings:
    from duckfix.service.cli import State

    return State().settings()[0]


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_pre_push(options: PrePush, light: HookSettings | None, full: Callable[[], Settings]) -> int:
    """Review the commits git is about to push (git's ref lines on stdin); the exit code.

    ``light`` are the hook's own settings when they are all that is set; else
    ``full()`` reads every setting (a model, a server).
    """
    from duckfix.service.hook import parse_push_lines, refs_from_pre_commit, skip_requested

    remote = options.remote
    if skip_requested():
        _say("duckfix: review skipped (DUCKFIX_SKIP=1)")
        _print_json(options.as_json, remote, [], skipped=True)
        return 0
    refs = refs_from_pre_commit(os.environ)
    if refs is None:
        refs = parse_push_lines(sys.stdin.read())
    remote = os.environ.get("PRE_COMMIT_REMOTE_NAME", remote)
    under_pre_commit = _under_pre_commit(os.environ)
    if not refs:
        # git itself may call the hook with nothing to send: then silence. Run by
        # hand (pre-commit run --hook-stage pre-push) there is no push to review,
        # and "Passed" alone would suggest there was.
        if under_pre_commit:
            _say(
                "duckfix: reviewed nothing: no commits are being pushed "
                "(give pre-commit --from-ref and --to-ref to review a range)"
            )
        _print_json(options.as_json, remote, [])
        return 0
    if options.server is not None:
        light = None
    # Every push pays for this command's start: the review's modules load on a
    # second thread while git lists what the push sends.
    preload = threading.Thread(target=_preload, args=(light is None,), daemon=True)
    preload.start()
    from duckfix.pipelines.review.inputs import open_repo
    from duckfix.service.hook import reviews_for_push

    repo = open_repo(Path.cwd())
    reviews = reviews_for_push(repo, refs, remote)
    preload.join()
    if not reviews:
        _print_json(options.as_json, remote, [])
        return 0
    from duckfix.pipelines.review.run import blocking, not_run, run_review

    if light is not None:
        from duckfix.environment import check_sandbox_dir

        check_sandbox_dir(os.environ)  # as the full settings check it
        settings = light.review
        outcomes = [run_review(r, settings, repo) for r in reviews]
    else:
        full_settings = full()
        settings = full_settings.review
        outcomes = _reviewed_with_full_settings(full_settings, options, repo, reviews)
    fail_on = options.fail_on
    block_on = fail_on or settings.block_on
    stopped = [] if block_on == "never" else blocking(outcomes, block_on)
    # A push is interrupted only by what matters: warnings and worse are shown
    # in full, notes alone get one line with a command that shows them. A check
    # that could not run is the user's setup, not the push's: said only under
    # review.strict, where it blocks.
    # With --json the findings are in the document; stderr keeps the verdict.
    shown = [] if options.as_json else [o for o in outcomes if blocking([o], "warning")]
    for outcome in [] if options.as_json else outcomes:
        if outcome in shown or not outcome.findings:
            continue
        where = outcome.review.range_spec or "HEAD~1..HEAD"
        _say(
            f"duckfix: {len(outcome.findings)} note(s); see them with: "
            f"duckfix review --range {where}"
        )
    missed = not_run(outcomes) if settings.strict else []
    for run in missed:
        _say(f"duckfix: {run.check} could not run on {run.path}: {run.reason}")
    if shown:
        from rich.console import Console

        from duckfix.pipelines.review.render import Report, render_terminal

        console = Console(stderr=True, highlight=False)
        for outcome in shown:
            render_terminal(Report.from_outcome(outcome), console)
    why = None
    if stopped or missed:
        why = (
            f"{len(stopped)} finding(s) at or above '{block_on}' "
            + ("(--fail-on)" if fail_on else "(review.block_on)")
            if stopped
            else f"{len(missed)} check(s) could not run (review.strict)"
        )
        skip = "SKIP=duckfix git push" if under_pre_commit else "DUCKFIX_SKIP=1 git push"
        _say(
            f"duckfix: push blocked: {why}.\n"
            f"Fix them, or push anyway with: git push --no-verify   (or {skip})"
        )
    _print_json(options.as_json, remote, outcomes, block_on=block_on, why=why)
    return 1 if why else 0


def _reviewed_with_full_settings(
    settings: Settings, options: PrePush, repo: Any, reviews: Any
) -> Any:
    """The outcomes from the server (``--server`` / ``server.url``), else reviewed here."""
    from duckfix.service.remote import server_url

    url = server_url(settings, options.server)
    if url is not None:
        from duckfix.service.remote.review import push_reviews

        return push_reviews(settings, url, repo, reviews, options.fail_on)
    from duckfix.service.review_cmd import run_reviews

    deadline = time.monotonic() + settings.review.time_limit
    return run_reviews(reviews, settings, repo, deadline=deadline)


def _print_json(
    as_json: bool,
    remote: str,
    outcomes: Sequence[Any],
    *,
    block_on: str | None = None,
    why: str | None = None,
    skipped: bool = False,
) -> None:
    """With ``--json``: the review document of the push, and whether it was blocked and why."""
    if not as_json:
        return
    import json

    from duckfix.pipelines.review.render import Report, json_document

    doc = json_document([Report.from_outcome(o) for o in outcomes], f"push to {remote}")
    doc.update(remote=remote, skipped=skipped, blocked=why is not None, block_on=block_on, why=why)
    print(json.dumps(doc, indent=2, ensure_ascii=False), flush=True)


def _preload(full: bool) -> None:
    """Import what a review needs; an error here is raised again where it is used."""
    try:
        if full:
            _without_pydantic_plugins()
            import duckfix.config
        import duckfix.pipelines.review.run  # noqa: F401
    except Exception:  # the main thread's own import reports it
        pass


def _without_pydantic_plugins() -> None:
    """Build the hook's pydantic models without looking for pydantic plugins.

    Plugins (observability tools register them) are looked up at the first
    model built, by importing importlib.metadata and reading every installed
    package's entry points: a tenth of the hook's start, on every push, for a
    short-lived process no such tool needs to watch. PYDANTIC_DISABLE_PLUGINS
    skips the reading; the look-up module, which pydantic imports only to
    call ``get_plugins()``, is then given as one that finds none. A user's own
    PYDANTIC_DISABLE_PLUGINS (naming some plugins) is left alone.
    """
    if os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__") != "__all__":
        return
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        none_found = types.ModuleType(name)
        none_found.get_plugins = tuple  # type: ignore[attr-defined]  # () plugins
        sys.modules[name] = none_found


def _under_pre_commit(environ: Any) -> bool:
    """Run as a hook of the pre-commit framework (which skips a hook by SKIP=<id>)."""
    return environ.get("PRE_COMMIT") == "1" or "PRE_COMMIT_REMOTE_NAME" in environ
