"""Dask clients for a sweep: the caller's, a running scheduler's, a SLURM cluster's
(dask-jobqueue), or a local cluster of single-threaded worker processes (the default)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from ..exceptions import AllysweepError
from .spec import SweepSpec

__all__ = ["LOCAL_CLUSTER_CONFIG", "check_cluster_available", "client_for"]

#: Dask settings of the embedded local cluster. distributed keeps bounded histories of what its
#: scheduler and workers did (transition and stimulus logs, 1,000 entries each by default, and
#: the last 100 computations with their code); with the small tasks of a sweep they fill up over
#: the first few thousand blocks and hold ~140 MiB in the process that runs the client and the
#: scheduler. A sweep never reads them, so they are kept short: measured with 100,000 one-point
#: blocks on 2 workers, that process levels off at ~174 MiB instead of ~268 MiB (docs/conventions.md,
#: "Memory of the scheduler"). The nanny ships these settings to the worker processes too.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.admin.low-level-log-length": 100,
    "distributed.diagnostics.computations.max-history": 10,
    "distributed.diagnostics.erred-tasks.max-history": 10,
}


def check_cluster_available(spec: SweepSpec, client: Any, scheduler: str | None, cluster: str | None) -> None:
    """Fail before the store is touched when the requested cluster cannot be started."""
    settings = dict(spec.cluster)
    if client is not None or scheduler or settings.get("scheduler"):
        return
    if (cluster or settings.get("kind", "local")) == "slurm":
        try:
            import dask_jobqueue  # noqa: F401
        except ImportError:
            raise AllysweepError(
                "--cluster slurm needs dask-jobqueue: pip install 'allysweep[hpc]' (see README, 'On a cluster')"
            ) from None


@contextlib.contextmanager
def client_for(spec: SweepSpec, client: Any, scheduler: str | None, cluster: str | None) -> Iterator[Any]:
    """The Dask client to use: the caller's, an existing scheduler's, a SLURM cluster's, or a
    local cluster of worker processes (one single-threaded worker per core) that is closed
    afterwards. The engine runs single-threaded inside each task, so cores are not oversubscribed."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    settings = dict(spec.cluster)
    scheduler = scheduler or settings.get("scheduler")
    kind = cluster or settings.get("kind", "scheduler" if scheduler else "local")
    if scheduler:
        with Client(scheduler) as c:
            yield c
        return
    if kind == "slurm":
        from dask_jobqueue import SLURMCluster

        options = dict(settings.get("jobqueue", {}))
        jobs = int(options.pop("jobs", settings.get("n_workers", 1)))
        with SLURMCluster(**options) as slurm, Client(slurm) as c:
            slurm.scale(jobs=jobs)
            yield c
        return
    n_workers = int(settings.get("n_workers", os.cpu_count() or 1))
    threads = int(settings.get("threads_per_worker", 1))
    # The cluster's own log is silenced: task errors reach the caller through the tasks, and an
    # interrupted sweep would otherwise print the workers' CancelledError warnings and heartbeat
    # tracebacks before allysweep's message.
    import dask

    # The settings hold while the cluster starts (the scheduler and the nannies read them then)
    # and while it runs (the client's side reads some later).
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        with _sigint_ignored(), warnings.catch_warnings():  # the workers inherit it: Ctrl-C is handled here
            # With another Dask cluster on this machine the scheduler's HTTP server takes another
            # port and says so; that is nothing a sweep's user has to act on.
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
            lc = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=threads,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
        with lc, Client(lc) as c, _quiet("distributed"):
            yield c


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes are started. A terminal's Ctrl-C goes to the whole
    process group: workers that inherit the ignored signal leave it to this process, which
    cancels the sweep and closes them, instead of each printing a KeyboardInterrupt traceback.
    (Only possible from the main thread; elsewhere nothing changes.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Silence a logger of this process (the local cluster's scheduler runs here) for a while."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)
