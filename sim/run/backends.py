"""Where sweep replications run: this machine's processes, or a Dask distributed cluster.

Both give a :class:`concurrent.futures.Executor`; a sweep does not know which one it has. Dask
is optional (``pip install 'vtsim[dask]'``) and imported only when asked for. Workers of a
remote cluster need vtsim installed in the same version as the client.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sim.errors import VtsimError

P = ParamSpec("P")
T = TypeVar("T")
DASK_LOCAL = "local"
"""``--dask local``: start a Dask cluster on this machine for the run."""


class BackendError(VtsimError):
    """The chosen backend cannot be used (Dask missing, scheduler unreachable)."""


@dataclass(frozen=True, slots=True)
class Backend:
    """An executor, how many tasks it runs at once, and a name for the user."""

    executor: Executor
    slots: int
    name: str


class InlineExecutor(Executor):
    """Runs each task at once in this process (one worker: no process start-up cost)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` now; its future is already done."""
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """One worker per core."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def local_backend(workers: int | None = None) -> Iterator[Backend]:
    """Processes on this machine (one per core by default); one worker runs in-process."""
    count = workers or default_workers()
    if count == 1:
        yield Backend(InlineExecutor(), 1, "this process")
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield Backend(pool, count, f"{count} local processes")


@contextmanager
def dask_backend(address: str, workers: int | None = None,
                 processes: bool = True) -> Iterator[Backend]:
    """A Dask cluster: the scheduler at ``address``, or ``"local"`` for a new one here with
    ``workers`` single-threaded workers (threads of this process if ``processes`` is false)."""
    client_class, cluster_class = import_dask()
    if address == DASK_LOCAL:
        count = workers or default_workers()
        cluster = cluster_class(n_workers=count, threads_per_worker=1, processes=processes,
                                dashboard_address=None, silence_logs=logging.ERROR)
        with cluster, client_class(cluster) as client:
            yield Backend(client.get_executor(pure=False), count,
                          f"Dask local cluster, {count} workers")
        return
    client = connect(client_class, address)
    try:
        slots = max(1, sum(client.nthreads().values()))
        yield Backend(client.get_executor(pure=False), slots,
                      f"Dask cluster at {address}, {slots} worker threads")
    finally:
        client.close()


def connect(client_class: Any, address: str) -> Any:
    """A client of the scheduler at ``address``, or a :class:`BackendError` saying why not."""
    try:
        return client_class(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"cannot reach the Dask scheduler at {address!r}: {exc}; check the "
                           "address (tcp://host:8786) and that the scheduler is running, or "
                           "use --dask local") from None


def import_dask() -> tuple[Any, Any]:
    """``(Client, LocalCluster)`` from dask.distributed, or a :class:`BackendError` saying how
    to install it."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BackendError("the Dask backend needs dask.distributed: "
                           "pip install 'vtsim[dask]' (or run without --dask)") from None
    return Client, LocalCluster
