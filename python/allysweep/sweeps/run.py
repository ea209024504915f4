"""Running a sweep: refuse or prepare the store, start the cluster while the template is
written, run the pending blocks with a progress bar, record the run in the cube's history."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import numpy as np
import xarray as xr

from ..exceptions import StoreError, StoreWriteError
from .cluster import check_cluster_available, client_for
from .design import block_count
from .lock import StoreLock
from .resources import check_resources, estimate, size_lines
from .spec import SweepSpec
from .store import (
    _block_sizes,
    append_history,
    apply_store_plan,
    completed_blocks,
    finished_stats,
    open_cube,
    plan_store,
)
from .verify import reset_blocks, verify_cube
from .worker import compute_block, store_identity

__all__ = ["sweep", "sweep_plan", "SweepSummary"]


@dataclass
class SweepSummary:
    """What a run did, printed at its end and stored in the cube's attributes."""

    store: str
    points: int
    blocks: int
    blocks_computed: int
    blocks_already_done: int
    equilibria: int
    multiple_share: float
    seconds: float
    points_computed: int
    compute_seconds: float = 0.0
    #: Seconds of worker time, summed over blocks: solving, encoding and writing the outputs,
    #: and the rest of each task (inputs, counts, progress entries).
    worker_seconds: dict[str, float] | None = None
    #: Finished blocks that the resume's check found bad (missing, truncated or miscounted
    #: chunks) and recomputed; they are among ``blocks_computed``.
    blocks_repaired: int = 0

    @property
    def throughput(self) -> float:
        """Points computed per second of the whole run (cluster start-up included)."""
        return self.points_computed / self.seconds if self.seconds > 0 else float("nan")

    def lines(self) -> list[str]:
        """The summary printed at the end of ``allysweep run``."""
        return [
            f"cube: {self.store}",
            f"points: {self.points:,} in {self.blocks} blocks; computed {self.blocks_computed} of "
            f"{self.blocks} blocks ({self.blocks_already_done} were already done)",
            f"equilibria found: {self.equilibria:,}; points with several equilibria: {self.multiple_share:.1%}",
            "nothing left to compute"
            if self.blocks_computed == 0
            else f"time: {self.seconds:.1f} s ({self.compute_seconds:.1f} s computing blocks); "
            f"throughput: {self.throughput:,.0f} points/s end to end, "
            f"{self.points_computed / self.compute_seconds if self.compute_seconds > 0 else 0:,.0f} while computing",
            *self._worker_line(),
            *(
                [f"repaired: {self.blocks_repaired} finished blocks were found bad (allysweep verify) and recomputed"]
                if self.blocks_repaired
                else []
            ),
        ]

    def _worker_line(self) -> list[str]:
        total = sum((self.worker_seconds or {}).values())
        if not self.worker_seconds or total <= 0:
            return []
        w = {k: v / total for k, v in self.worker_seconds.items()}
        return [
            f"worker time: {w['solve']:.0%} solving, {w['write']:.0%} compressing and writing outputs, "
            f"{w['other']:.0%} other (inputs, counts, progress)"
        ]


def sweep(
    spec: SweepSpec,
    store: str | Path | None = None,
    client: Any = None,
    resume: bool = False,
    overwrite: bool = False,
    scheduler: str | None = None,
    cluster: str | None = None,
    progress: bool = True,
    max_block_memory: int | str | None = None,
    max_disk: int | str | None = None,
    ignore_free_space: bool = False,
) -> xr.Dataset:
    """Run a sweep into a Zarr cube and return the opened cube.

    Parameters
    ----------
    spec : SweepSpec
        The specification (:func:`allysweep.load_spec` reads one from TOML).
    store : path, optional
        Output store; default: the specification's ``store``.
    client : distributed.Client, optional
        Use this Dask client. Default: ``scheduler`` if given, else a local cluster with one
        single-threaded worker process per core, closed at the end.
    resume : bool
        Continue an interrupted sweep into an existing store of the same specification,
        computing only unfinished blocks.
    overwrite : bool
        Replace an existing cube.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``).
    cluster : {"local", "slurm"}, optional
        Kind of cluster to start when no client or scheduler is given.
    progress : bool
        Show a progress bar on stderr.
    max_block_memory : int or str, optional
        Refuse the sweep (before writing anything) if one block needs more memory on a worker
        (bytes, or ``"2GB"``, ``"512MiB"``). Default: this machine's memory per core.
    max_disk : int or str, optional
        Refuse the sweep if the blocks to compute need more disk (estimated from a sample
        compressed as the cube is). The free space of the store's filesystem is always checked.
    ignore_free_space : bool
        Run even if the estimated cube is larger than the free space of the store's
        filesystem (the estimate may be pessimistic, or space will be freed meanwhile).

    Returns
    -------
    xarray.Dataset
        The cube (lazily opened with Dask). ``ds.attrs["last_run"]`` holds the run's summary.

    Raises
    ------
    StoreLockedError
        Another run is writing the store (the message names it: host, pid, start, command).
    StoreError
        The store exists (without ``resume``/``overwrite``) or belongs to another specification.
    ResourceError
        A block would need more memory, or the cube more disk, than allowed or free (nothing was
        written; the message gives the sizes).
    StoreWriteError
        A block could not be written (a full disk, ...): the sweep stopped; finished blocks are
        kept and ``resume=True`` completes the cube once the cause is fixed.
    """
    if store is not None:
        spec = spec.with_store(Path(store).resolve())
    else:
        spec = spec.with_store(Path(spec.store).resolve())
    check_cluster_available(spec, client, scheduler, cluster)
    if spec.design == "adaptive":  # levels of block tasks, persisted per level (issue 14)
        from .adaptive import adaptive_sweep

        return adaptive_sweep(spec, client, resume, overwrite, scheduler, cluster, progress)
    start = time.perf_counter()
    # One writer per store: the lock is taken before the store is even looked at, so a second
    # run is refused naming the first, whatever its flags (docs/conventions.md, "Store safety").
    said: list[str] = []  # a stale lock taken over: said once the run is known to go ahead
    with StoreLock(spec.store, say=said.append) as lock:
        limits = (max_block_memory, max_disk, ignore_free_space)
        return _sweep_locked(spec, lock, start, client, resume, overwrite, scheduler, cluster, progress, limits, said)


def _sweep_locked(
    spec: SweepSpec,
    lock: StoreLock,
    start: float,
    client: Any,
    resume: bool,
    overwrite: bool,
    scheduler: str | None,
    cluster: str | None,
    progress: bool,
    limits: tuple[Any, Any, bool] = (None, None, False),
    said: list[str] | None = None,
) -> xr.Dataset:
    state = plan_store(spec, resume, overwrite)  # refusals happen here, before anything is written
    for line in said or []:
        print(line, file=sys.stderr)
    n_blocks = block_count(spec)
    done = np.zeros(n_blocks, dtype=bool)
    repaired: list[int] = []
    if state == "resumed":
        done, repaired = _verified_done(spec)
    pending = [int(i) for i in np.flatnonzero(~done)]
    # Memory per block, disk and time for the cube, before anything is written: said, then
    # checked (refused with the sizes).
    max_block_memory, max_disk, ignore_free_space = limits
    points = _pending_points(spec, ~done)
    needs = estimate(spec, len(pending), points)
    if progress:
        for line in size_lines(spec, needs, len(pending), state):
            print(f"allysweep: {line}", file=sys.stderr)
    check_resources(spec, len(pending), state, max_block_memory, max_disk, ignore_free_space, points, needs)
    if repaired:
        shown = ", ".join(map(str, repaired[:20])) + (", ..." if len(repaired) > 20 else "")
        print(
            f"allysweep: verify found {len(repaired)} bad finished block(s) in {spec.store} ({shown}): recomputing "
            f"{'it' if len(repaired) == 1 else 'them'} (details: allysweep verify {spec.store})",
            file=sys.stderr,
        )
        reset_blocks(spec.store, repaired)
    computed = points_computed = 0
    compute_seconds = 0.0
    worker_seconds: dict[str, float] = {}
    # The template is written while the cluster starts (each takes about a second). Both import
    # dask modules lazily; two threads importing the same package at once can trip importlib's
    # deadlock detection ("cannot import name ... from partially initialized module"), seen once
    # in a fresh venv. So the imports happen here, in one thread, before the second starts.
    _import_before_threads()
    with ThreadPoolExecutor(max_workers=1) as pool:
        template = pool.submit(apply_store_plan, spec, state)
        if pending:
            with client_for(spec, client, scheduler, cluster) as c:
                template.result()
                identity = store_identity(spec.store)
                t0 = time.perf_counter()
                computed, points_computed, worker_seconds = _run_blocks(
                    c, spec, pending, progress, identity, n_blocks - len(pending)
                )
                compute_seconds = time.perf_counter() - t0
        template.result()
    seconds = time.perf_counter() - start
    summary = _summarise(spec, n_blocks, computed, n_blocks - len(pending), seconds, points_computed)
    summary.compute_seconds = compute_seconds
    summary.worker_seconds = worker_seconds or None
    summary.blocks_repaired = len(repaired)
    took_over = (
        f"; took over the stale lock of pid {lock.took_over.get('pid')} on {lock.took_over.get('host')}"
        if lock.took_over
        else ""
    )
    try:
        append_history(
            spec.store,
            f"{state}; computed {computed} blocks in {seconds:.1f} s"
            + (f" ({len(repaired)} of them found bad by verify)" if repaired else "")
            + took_over,
            last_run=json.dumps(summary.__dict__),
            **dict.fromkeys(("complete", "allysweep_complete"), bool(completed_blocks(spec.store).all())),
        )
    except OSError as err:
        raise StoreWriteError(
            f"every block of {spec.store} is written, but its attributes could not be updated: {err.strerror}; "
            f"free space, then run: allysweep run {spec.store} --resume",
            err.errno,
            str(spec.store),
        ) from None
    ds = open_cube(spec.store)
    return ds


def _pending_points(spec: SweepSpec, pending: np.ndarray) -> int:
    """Points of the blocks flagged in ``pending`` (edge blocks by their real points)."""
    return int(_block_sizes(spec.shape, spec.chunks()).ravel()[pending].sum())


def sweep_plan(
    spec: SweepSpec,
    store: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    max_block_memory: int | str | None = None,
    max_disk: int | str | None = None,
    ignore_free_space: bool = False,
) -> tuple[list[str], Exception | None]:
    """What :func:`sweep` would do, writing nothing (no store, no lock): ``allysweep run
    --dry-run``. Returns the lines it says before it starts (points and blocks, the estimated
    disk against the free space, the estimated time) and the refusal it would meet
    (:class:`~allysweep.sweeps.resources.ResourceError`, :class:`StoreError`), or ``None``.

    A store being resumed is planned from its ``done`` flags; the run itself also verifies the
    finished blocks and recomputes any found bad.
    """
    spec = spec.with_store(Path(store if store is not None else spec.store).resolve())
    try:
        state = plan_store(spec, resume, overwrite)
    except StoreError as err:
        return [], err
    done = completed_blocks(spec.store) if state == "resumed" else np.zeros(block_count(spec), dtype=bool)
    pending = int((~done).sum())
    points = _pending_points(spec, ~done)
    needs = estimate(spec, pending, points)
    would = {"created": "would create", "overwritten": "would overwrite", "resumed": "would resume"}[state]
    lines = [f"plan: {would} {spec.store}", *size_lines(spec, needs, pending, state)]
    try:
        check_resources(spec, pending, state, max_block_memory, max_disk, ignore_free_space, points, needs)
    except StoreError as err:
        return lines, err
    return lines, None


def _verified_done(spec: SweepSpec) -> tuple[np.ndarray, list[int]]:
    """The blocks of a store being resumed that are finished *and intact* (every check of
    :func:`~allysweep.sweeps.verify.verify_cube`, which is what ``allysweep verify`` runs), and
    the finished blocks found bad, which the run recomputes (saying how many) once the resource
    checks have passed. Nothing is written here."""
    report = verify_cube(spec.store, deep=True, spec=spec)
    if report.template:
        raise StoreError(
            f"cannot resume {spec.store}: its template does not match its specification ("
            + "; ".join(report.template)
            + "): replace it with --overwrite (nothing was changed)"
        )
    bad = report.bad_blocks
    done = report.done.copy()
    done[bad] = False
    return done, bad


def _import_before_threads() -> None:
    """Import, in the calling thread, every package the template thread and the cluster set-up use."""
    import dask.array  # noqa: F401
    import distributed  # noqa: F401
    import zarr  # noqa: F401


#: Blocks kept submitted per worker thread (docs/conventions.md, "Bounded submission"): enough
#: that a worker finishing a block finds the next one already queued while the client hears of
#: the first and submits another (a round trip of a few milliseconds, against blocks of a tenth
#: of a second and more), few enough that the scheduler never holds more than a handful of
#: tasks per thread whatever the number of blocks.
WINDOW_PER_THREAD = 4
#: The window before any worker has joined (a SLURM or adaptive cluster starting up).
MIN_WINDOW = 8
#: How often the window follows the cluster's size (workers joining or leaving), in seconds.
WINDOW_REFRESH_SECONDS = 2.0


def _window(client: Any) -> int:
    """Blocks to keep submitted: :data:`WINDOW_PER_THREAD` per worker thread of the cluster now."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # a scheduler that does not answer now: keep the floor
        threads = 0
    return max(MIN_WINDOW, WINDOW_PER_THREAD * threads)


def _run_blocks(
    client: Any, spec: SweepSpec, pending: list[int], progress: bool, identity: tuple[int, int], already: int
) -> tuple[int, int, dict[str, float]]:
    """Run the pending blocks; returns (blocks computed, points computed, worker seconds spent
    solving, encoding and writing outputs, and on the rest of each task).

    Blocks are submitted in a sliding window (:func:`_window`: a few per worker thread), the
    next one as each result arrives, and each result is reduced into the counts and the
    progress bar and then dropped: the client and the scheduler hold a bounded number of tasks
    and results whatever the number of blocks.

    A block that fails stops the sweep: the blocks in flight are cancelled and no other is
    submitted, and a write error (a full disk) is raised as :class:`StoreWriteError` saying how
    many blocks are kept and how to resume."""
    from distributed import as_completed

    bar = _progress_bar(len(pending), spec.n_total, enabled=progress)
    computed = points = 0
    worker = {"solve": 0.0, "write": 0.0, "other": 0.0}
    t0 = time.perf_counter()
    queue = iter(pending)
    in_flight: set[Any] = set()
    running = as_completed()
    window, checked = _window(client), time.monotonic()

    def submit_up_to(limit: int) -> None:
        while len(in_flight) < limit:
            index = next(queue, None)
            if index is None:
                return
            future = client.submit(compute_block, spec, index, identity, pure=False, key=f"block-{index}-{uuid4().hex}")
            in_flight.add(future)
            running.add(future)

    try:
        submit_up_to(window)
        for future in running:
            in_flight.discard(future)
            stats = future.result()
            future.release()  # the scheduler forgets the task and its result now
            computed += 1
            points += stats["points"]
            for key, value in stats["seconds"].items():
                worker[key] += value
            if time.monotonic() - checked > WINDOW_REFRESH_SECONDS:
                window, checked = _window(client), time.monotonic()
            submit_up_to(window)
            if bar is not None:
                rate = points / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix_str(f"{rate:,.0f} points/s", refresh=False)
                bar.update(1)
    except KeyboardInterrupt:
        client.cancel(list(in_flight))
        raise
    except StoreWriteError as err:
        client.cancel(list(in_flight))
        kept = int(completed_blocks(spec.store).sum()) if Path(spec.store).exists() else already + computed
        raise StoreWriteError(
            f"the sweep stopped: {err}. The {kept} finished blocks of {block_count(spec)} are kept and valid; "
            f"free space, then continue with: allysweep run {spec.store} --resume",
            err.errno,
            err.path,
            err.block,
        ) from None
    except BaseException:
        client.cancel(list(in_flight))
        raise
    finally:
        if bar is not None:
            bar.close()
    return computed, points, worker


def _progress_bar(n_blocks: int, n_points: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=n_blocks, unit="block", desc=f"sweeping {n_points:,} points", file=sys.stderr, dynamic_ncols=True)


def _summarise(
    spec: SweepSpec, blocks: int, computed: int, already: int, seconds: float, points_computed: int
) -> SweepSummary:
    stats = finished_stats(spec.store)
    total_eq = stats["equilibria"]
    multiple = stats["multiple"] / stats["points"] if stats["points"] else 0.0
    return SweepSummary(
        store=str(spec.store),
        points=spec.n_total,
        blocks=blocks,
        blocks_computed=computed,
        blocks_already_done=already,
        equilibria=total_eq,
        multiple_share=multiple,
        seconds=seconds,
        points_computed=points_computed,
    )
