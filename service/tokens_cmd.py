"""``duckfix tokens``: make, list and revoke the bearer tokens of ``duckfix serve``."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["tokens"]

_SCOPES = ("review", "debug", "bench", "admin")


@click.group()
def tokens() -> None:
    """The bearer tokens `duckfix serve` accepts (kept hashed in the store)."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(_SCOPES),
    multiple=True,
    help="What the token may submit (repeatable; default review). admin: everything, "
    "and every token's jobs.",
)
@click.pass_obj
def create_cmd(state: Any, name: str, scopes: tuple[str, ...]) -> None:
    """Make a token NAME and print its secret, once: it is stored only as a hash."""
    from duckfix.service.server.tokens import create_token

    record, secret = create_token(_store(state), name, scopes or ("review",))
    click.echo(secret)
    click.echo(
        f"duckfix: token {record.name!r} ({', '.join(record.scopes)}) made; the secret above "
        "is shown only now: keep it (clients read it from $DUCKFIX_TOKEN, server.token_env)",
        err=True,
    )


@tokens.command("list")
@click.option("--all", "show_all", is_flag=True, help="The revoked tokens too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_cmd(state: Any, show_all: bool, as_json: bool) -> None:
    """The tokens: name, scopes, when made (and revoked). Never their secrets."""
    from duckfix.service.server.tokens import list_tokens

    records = list_tokens(_store(state), revoked=show_all)
    if as_json:
        rows = [{"name": r.name, "scopes": list(r.scopes), "created_at": r.created_at,
                 "revoked_at": r.revoked_at} for r in records]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    if not records:
        click.echo("no tokens (make one: duckfix tokens create NAME)", err=True)
        return
    for r in records:
        revoked = f"  revoked {r.revoked_at}" if r.revoked_at else ""
        click.echo(f"{r.name}\t{','.join(r.scopes)}\t{r.created_at}{revoked}")


@tokens.command("revoke")
@click.argument("name")
@click.pass_obj
def revoke_cmd(state: Any, name: str) -> None:
    """Revoke token NAME: from now on the server answers it 401."""
    from duckfix.service.server.tokens import revoke_token

    record = revoke_token(_store(state), name)
    click.echo(f"duckfix: token {record.name!r} revoked", err=True)


def _store(state: Any) -> Any:
    from duckfix.store import open_store

    settings, _ = state.settings()
    return open_store(settings.database)
