"""``duckfix mail``: review patch series from a mailbox and answer them on the list."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import click

from duckfix.service.params import FiniteFloat

__all__ = ["mail"]


@click.group()
def mail() -> None:
    """The mailing-list patch review bot."""


def _one_pass(state: Any, source: str, send: bool) -> tuple[Any, int]:
    from duckfix.service.mail.bot import run_pass, send_queued
    from duckfix.service.mail.send import RateLimiter, make_sender
    from duckfix.service.mail.state import MailState
    from duckfix.store import open_store

    settings, _ = state.settings()
    store = open_store(settings.database)
    report = run_pass(source, settings, store)
    sender = make_sender(settings.mail, settings.home, send)
    limiter = RateLimiter(settings.mail.rate_per_minute)
    report.sent = send_queued(MailState(store), sender, limiter.wait)
    return report, report.sent


def _print(report: Any, send: bool, home: Any, outbox: str | None) -> None:
    where = "sent" if send else f"written to the outbox ({outbox or home / 'outbox'})"
    click.echo(f"read {report.read} message(s), {report.new} new")
    for title, what in report.series.items():
        click.echo(f"  series {title!r}: {what}")
    for subject, reason in report.skipped:
        click.echo(f"  skipped {subject!r}: {reason}")
    click.echo(f"{report.sent} repl{'y' if report.sent == 1 else 'ies'} {where}")


@mail.command("run")
@click.argument("source")
@click.option("--send", is_flag=True, help="Send replies over SMTP (default: into the outbox).")
@click.option("--json", "as_json", is_flag=True, help="Print what the pass did as JSON.")
@click.pass_obj
def run_cmd(state: Any, source: str, send: bool, as_json: bool) -> None:
    """Review SOURCE once: an mbox file, a maildir, or `imap` (the [mail] imap_* settings)."""
    from duckfix.service.jobs import announce_run, ends_on_error
    from duckfix.store import open_store

    settings, _ = state.settings()
    store = open_store(settings.database)
    run_id = store.start_run("mail", source, {"send": send})
    announce_run(run_id)
    with ends_on_error(store, run_id):
        report, _ = _one_pass(state, source, send)
    done = _as_dict(report, send)
    store.record(run_id, "pass", "ok", done)
    store.finish_run(run_id, "ok")
    if as_json:
        click.echo(json.dumps({"run_id": run_id, **done}, indent=2))
        return
    _print(report, send, settings.home, settings.mail.outbox)


def _as_dict(report: Any, send: bool) -> dict[str, Any]:
    """What a pass did, for JSON and the store."""
    return {
        "read": report.read,
        "new": report.new,
        "series": report.series,
        "skipped": [{"message": m, "reason": r} for m, r in report.skipped],
        "replies": report.sent,
        "replies_went_to": "smtp" if send else "outbox",
    }


@mail.command("watch")
@click.argument("source")
@click.option("--send", is_flag=True, help="Send replies over SMTP (default: into the outbox).")
@click.option("--interval", type=FiniteFloat(min=0.1), help="Seconds between polls.")
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON line for each pass that did something."
)
@click.pass_obj
def watch_cmd(state: Any, source: str, send: bool, interval: float | None, as_json: bool) -> None:
    """Review SOURCE every few seconds until stopped (SIGTERM or Ctrl-C end it cleanly)."""
    settings, _ = state.settings()
    every = interval or settings.mail.poll_seconds
    stop = {"now": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["now"] = True

    if send:
        where = f"sent over SMTP through {settings.mail.smtp_host}"
    else:
        where = f"written to the outbox {settings.mail.outbox or settings.home / 'outbox'}"
    click.echo(
        f"duckfix mail: watching {source} every {every:g} s; replies are {where}; "
        "stop with Ctrl-C or SIGTERM",
        err=True,
    )
    # A stop request is honoured between steps, never inside one: a reply is
    # either sent and marked, or left queued for the next start.
    previous = signal.signal(signal.SIGTERM, request_stop)
    previous_int = signal.signal(signal.SIGINT, request_stop)
    try:
        while not stop["now"]:
            report, sent = _one_pass(state, source, send)
            if (report.new or sent) and as_json:
                click.echo(json.dumps(_as_dict(report, send)))
            elif report.new or sent:
                _print(report, send, settings.home, settings.mail.outbox)
            deadline = time.monotonic() + every
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    click.echo("duckfix mail: stopped", err=as_json)  # stdout stays JSON lines with --json


@mail.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def status_cmd(state: Any, as_json: bool) -> None:
    """The series the bot has seen, their state, and their replies: sent, in the outbox, queued."""
    from duckfix.service.mail.state import MailState
    from duckfix.store import open_store

    settings, _ = state.settings()
    mail_state = MailState(open_store(settings.database))
    rows = mail_state.series_rows()
    skipped = mail_state.skipped()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "series": [r.__dict__ for r in rows],
                    "skipped": [
                        {"message_id": m, "subject": s, "reason": r} for m, s, r in skipped
                    ],
                },
                indent=2,
            )
        )
        return
    from rich.table import Table

    from duckfix.service.consoles import add_row
    from duckfix.service.consoles import console as make_console

    table = Table("series", "v", "patches", "state", "replies sent", "in outbox", "queued", "why",
                  box=None)  # fmt: skip
    for r in rows:
        # One line a series: git's whole error text is in --json and in the reply.
        add_row(table, r.title, str(r.version), str(r.total), r.state, str(r.replies_sent),
                str(r.replies_in_outbox), str(r.replies_queued), _first_line(r.reason))  # fmt: skip
    console = make_console()
    console.print(table)
    if skipped:
        console.print(f"{len(skipped)} message(s) skipped (not patches, or unreadable)")


def _first_line(text: str, limit: int = 100) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters, "..." when more."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0]
    more = len(lines) > 1 or len(first) > limit
    return (
        (first[: limit - 3].rstrip() + "...")
        if len(first) > limit
        else first + (" ..." if more else "")
    )
