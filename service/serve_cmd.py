"""``duckfix serve``: the HTTP API and its job workers, on the store and settings in force."""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["serve"]


@click.command()
@click.option("--host", help="Address to listen on (default: server.host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port (default: server.port; 0: any free one)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Jobs run at once by this process (default: server.workers; 0: take none).",
)
@click.pass_obj
def serve(state: Any, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API: submit reviews, debug runs and bench runs as jobs; follow and read them.

    Jobs are kept in the store (database_url), so several servers on one
    PostgreSQL share the work, and a restart loses nothing. Callers need a
    token (duckfix tokens create). The address it listens on is printed on
    stdout once it does.
    """
    from duckfix.errors import ConfigError

    try:
        import uvicorn

        from duckfix.service.server.app import create_app
    except ImportError as exc:
        raise ConfigError(
            f"duckfix serve needs the serve extra ({exc.name} is missing): "
            "pip install 'duckfix[serve]'"
        ) from exc
    from duckfix.store import open_store

    settings, _ = state.settings(
        **{"server.host": host, "server.port": port, "server.workers": workers}
    )
    store = open_store(settings.database)
    app = create_app(settings, store)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level="warning" if state.verbosity <= 0 else "info",
        access_log=state.verbosity > 0,
        lifespan="on",
    )
    server = _Server(config)
    server.run()
    if not server.started:
        sys.exit(1)


class _Server:
    """uvicorn's server, saying where it listens once it does (``--port 0`` picks one)."""

    def __init__(self, config: Any) -> None:
        import uvicorn

        outer = self

        class Announcing(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:
                    outer.started = True
                    for server in self.servers:
                        for sock in server.sockets:
                            address = sock.getsockname()
                            click.echo(f"duckfix: serving on http://{_host(address)}:{address[1]}")
                            sys.stdout.flush()

        self.started = False
        self._server = Announcing(config)

    def run(self) -> None:
        self._server.run()


def _host(address: Any) -> str:
    host = str(address[0])
    return f"[{host}]" if ":" in host else host
