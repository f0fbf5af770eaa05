"""The model client a worker process builds for itself, from a recipe the driver sends.

An :class:`~duckfix.llm.LLMClient` holds a database pool, an HTTP client and
locks: none of it crosses a process boundary. A Ray task gets a
:class:`ModelRecipe` instead (the ``[llm]`` settings, the store's URL, the run
id) and builds the client on its worker, once per process, so the tasks a
worker runs share one connection pool, as the threads of a local run share
theirs; with ``limit`` (a Ray run's), every worker's requests count against
one cluster-wide concurrency limit and one budget (:mod:`duckfix.cluster_limit`).
The worker records its requests' usage and fills the cache in the run's store:
with PostgreSQL as the store, every node of a cluster writes to the same one.
"""

from __future__ import annotations

import threading

from pydantic import BaseModel, ConfigDict

from duckfix.config import LLMSettings
from duckfix.llm import LLMClient

__all__ = ["ModelRecipe"]

_clients: dict[str, LLMClient] = {}
_lock = threading.Lock()


class ModelRecipe(BaseModel):
    """What a worker needs to build the run's model client."""

    model_config = ConfigDict(frozen=True)

    llm: LLMSettings
    database: str
    run_id: str
    read_cache: bool = True
    limit: str | None = None
    """The run's cluster-wide model limit (a :class:`~duckfix.cluster_limit.Slots` actor's
    name), held around each request instead of this process's own; the actor keeps the
    run's budget too."""

    def client(self) -> LLMClient:
        """This process's client for the run (built on first use)."""
        key = self.model_dump_json()
        with _lock:
            client = _clients.get(key)
            if client is None:
                from duckfix.cluster_limit import ClusterBudget, ClusterLimit
                from duckfix.llm import Budget, make_client
                from duckfix.store import open_store

                shared = ClusterLimit(self.limit) if self.limit else None
                budget = Budget.from_settings(self.llm)
                client = make_client(
                    self.llm,
                    store=open_store(self.database),
                    run_id=self.run_id,
                    read_cache=self.read_cache,
                    shared_limit=shared,
                    budget=ClusterBudget(shared, budget) if shared else budget,
                )
                _clients[key] = client
            return client
