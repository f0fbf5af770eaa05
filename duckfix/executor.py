"""Where batch work runs: threads of this process (``local``) or Ray tasks (``ray``).

``bench``, ``dataset build`` and ``review --hls-dataset`` fan their items out
through an :class:`Executor`. ``local`` is what they always did: a thread pool
of ``jobs`` threads, each item's heavy work in sandboxed child processes.
``ray`` turns each item into a Ray task that declares the CPUs and memory it
needs (:class:`Needs`); Ray places it on a worker process of the cluster, where
the sandbox runs exactly as here (a Ray worker runs as the driver's user, so a
root driver gets namespaces and unprivileged uids on every node it starts).
Results come back as they land, in completion order, so the caller writes each
to the store at once and a run that loses its driver resumes by run id.

Both keep twice as many items in flight as may run (:data:`WINDOW`): a worker
that finishes starts on one already waiting for it, instead of idling while
its result travels back and the caller hands out the next. On Ray, what may
run is fixed by a placement group of ``jobs`` bundles (the items' needs) that
every item of the map is scheduled into, so the extra items wait in the
cluster, not on a second worker.

Without an address a local Ray is started with ``jobs`` CPUs, its temp and log
folders in a temp folder of its own, and both are stopped and removed on close.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from duckfix.errors import ExecutorError, UsageError
from duckfix.extras import missing_extra

__all__ = [
    "WINDOW",
    "Executor",
    "ExecutorName",
    "LocalExecutor",
    "Needs",
    "RayExecutor",
    "make_executor",
]

ExecutorName = Literal["local", "ray"]
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Needs:
    """What one item takes on a worker: Ray schedules by these, ``local`` ignores them."""

    cpus: float = 1.0
    memory_mb: int = 512


class Executor(Protocol):
    """Runs a function over items, at most ``jobs`` at once, yielding results as they land."""

    name: ExecutorName
    remote: bool
    """True when items run in other processes: the function and items must pickle."""

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T], jobs: int, needs: Needs = Needs()
    ) -> Iterator[R]: ...

    def call(self, fn: Callable[..., R], *args: Any, needs: Needs = Needs()) -> R: ...

    def model_limit(
        self, name: str, limit: int, lease: float, budget: dict[str, Any] | None = None
    ) -> AbstractContextManager[str | None]:
        """For the block, a model-concurrency limit and budget all items share, by name
        (None: the process's own are shared already). ``budget``: its limits, as
        :func:`~duckfix.cluster_limit.budget_limits` gives them."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """Threads of this process (the items' sandboxed runs are child processes anyway)."""

    name: ExecutorName = "local"
    remote = False

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T], jobs: int, needs: Needs = Needs()
    ) -> Iterator[R]:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            yield from _windowed(pool.submit, fn, items, jobs)

    def call(self, fn: Callable[..., R], *args: Any, needs: Needs = Needs()) -> R:
        return fn(*args)

    def model_limit(
        self, name: str, limit: int, lease: float, budget: dict[str, Any] | None = None
    ) -> AbstractContextManager[str | None]:
        return nullcontext(None)  # the items are threads sharing this process's limit

    def close(self) -> None:
        return None


def _windowed(
    submit: Callable[..., Future[R]], fn: Callable[[T], R], items: Iterable[T], jobs: int
) -> Iterator[R]:
    """Keep ``WINDOW x jobs`` items submitted; yield each result as it lands (errors raise)."""
    pending: set[Future[R]] = set()
    source = iter(items)
    for item in source:
        pending.add(submit(fn, item))
        if len(pending) >= WINDOW * max(1, jobs):
            break
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
            nxt = next(source, _END)
            if nxt is not _END:
                pending.add(submit(fn, nxt))


WINDOW = 2
"""Items in flight per item that may run: the next one is waiting when a worker finishes."""
_END: Any = object()
_SHORT = 20


def _apply(fn: Callable[..., R], *args: Any) -> R:
    """The body of every Ray task: ``fn`` travels as an argument (cloudpickle)."""
    return fn(*args)


class RayExecutor:
    """Ray tasks on a cluster: the one at ``address``, or a local one started here."""

    name: ExecutorName = "ray"
    remote = True

    def __init__(self, address: str | None = None, *, cpus: int | None = None) -> None:
        try:
            import ray
        except ModuleNotFoundError as exc:
            raise missing_extra(exc) or exc from exc
        self._ray = ray
        self._temp: str | None = None
        self._lock = threading.Lock()
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,  # workers' output stays in the session's logs
            "configure_logging": False,
        }
        if address is None:
            # Private and removed on close. Ray puts its sockets some 85 bytes
            # below it, and a Unix socket path may not exceed 107: a long
            # $TMPDIR gives way to /tmp.
            parent = tempfile.gettempdir()
            self._temp = tempfile.mkdtemp(
                prefix="duckfix-ray-", dir=parent if len(parent) <= _SHORT else "/tmp"
            )
            kwargs.update(num_cpus=cpus or os.cpu_count() or 1, _temp_dir=self._temp)
        # A local Ray gives its raylet 30 s to register; on a loaded machine
        # that can pass, and a second start usually makes it.
        for attempt in range(1 if address else 2):
            try:
                ray.init(address=address, **kwargs)
                break
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                ray.shutdown()  # what the failed start left running
                if attempt == 0 and address is None:
                    continue
                self._remove_temp()
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise ExecutorError(f"cannot start {where}: {type(exc).__name__}: {exc}") from exc
        self._task = ray.remote(_apply)

    def _submit(self, needs: Needs, fn: Callable[..., Any], *args: Any, **more: Any) -> Any:
        options = {"num_cpus": needs.cpus, "memory": needs.memory_mb * 2**20, "max_retries": 0}
        return self._task.options(**options, **more).remote(fn, *args)

    def _get(self, ref: Any) -> Any:
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayTaskError as exc:
            # The task's own exception, as if it had run here (the run's error handling applies).
            cause = exc.cause
            if isinstance(cause, Exception):
                raise cause from None
            raise ExecutorError(f"a Ray task failed: {exc}") from exc
        except self._ray.exceptions.RayError as exc:
            raise ExecutorError(f"a Ray task was lost: {type(exc).__name__}: {exc}") from exc

    @contextmanager
    def _reserved(self, needs: Needs, jobs: int) -> Iterator[tuple[dict[str, Any], int]]:
        """A placement group of ``jobs`` bundles of ``needs`` (fewer if the cluster is smaller):
        the scheduling option that puts an item into it, and how many bundles it has."""
        from ray.util.placement_group import placement_group, remove_placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        bundle = {"CPU": needs.cpus, "memory": needs.memory_mb * 2**20}
        have: dict[str, float] = self._ray.cluster_resources()  # type: ignore[no-untyped-call]
        # More bundles than the whole cluster holds would never be placed, and the run would wait.
        fits = min(
            (int(have[k] // v) for k, v in bundle.items() if v > 0 and k in have), default=jobs
        )
        slots = max(1, min(jobs, fits))
        group = placement_group([bundle] * slots, strategy="SPREAD")
        try:
            yield {"scheduling_strategy": PlacementGroupSchedulingStrategy(group)}, slots
        finally:
            remove_placement_group(group)  # also ends what still runs in it

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T], jobs: int, needs: Needs = Needs()
    ) -> Iterator[R]:
        ray = self._ray
        shipped = ray.put(fn)  # once, not once per item
        pending: list[Any] = []
        source = iter(items)
        with self._reserved(needs, max(1, jobs)) as (placed, slots):
            try:
                for item in source:
                    pending.append(self._submit(needs, shipped, item, **placed))
                    if len(pending) >= WINDOW * slots:
                        break
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    yield self._get(done[0])
                    nxt = next(source, _END)
                    if nxt is not _END:
                        pending.append(self._submit(needs, shipped, nxt, **placed))
            finally:
                for ref in pending:  # the caller stopped early (an error, Ctrl-C)
                    ray.cancel(ref, force=True)

    def call(self, fn: Callable[..., R], *args: Any, needs: Needs = Needs()) -> R:
        result: R = self._get(self._submit(needs, fn, *args))
        return result

    @contextmanager
    def model_limit(
        self, name: str, limit: int, lease: float, budget: dict[str, Any] | None = None
    ) -> Iterator[str | None]:
        # Needs no CPU of its own: it only counts. Many waiters at once, one per
        # request waiting anywhere in the cluster.
        from duckfix.cluster_limit import Slots

        actor = (
            self._ray.remote(Slots)
            .options(name=name, num_cpus=0, max_concurrency=10_000, max_restarts=0)
            .remote(limit, lease, budget)
        )
        try:
            yield name
        finally:
            self._ray.kill(actor)

    def close(self) -> None:
        with self._lock:
            if self._ray.is_initialized():
                self._ray.shutdown()
            self._remove_temp()

    def _remove_temp(self) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None


def make_executor(name: ExecutorName, address: str | None = None, *, cpus: int) -> Executor:
    """The executor the settings name; ``cpus``: a local Ray's size (``jobs``)."""
    if name == "local":
        if address is not None:
            raise UsageError("--ray-address goes with --executor ray")
        return LocalExecutor()
    return RayExecutor(address, cpus=cpus)
