"""What a Dask worker runs for one block: count the attempt in ``_progress/started``, solve its
points with the engine on one thread, write each output as one chunk, then the block's progress
entries ("done" last: resume trusts it)."""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import numpy as np

from ..engine import KIND_NAMES, empty_outputs, native, solve_flat
from ..engine.schema import OUTPUTS
from ..exceptions import StoreError, StoreWriteError
from .chunks import read_chunk, reused, write_chunk
from .design import block_params, block_slices
from .spec import SweepSpec
from .store import PROGRESS_GROUP, STATS

__all__ = ["compute_block", "block_stats", "store_identity"]


@functools.lru_cache(maxsize=8)
def _open_arrays(store: str, fingerprint: str) -> dict[str, Any]:
    """The cube's zarr arrays, opened once per worker process and store (opening them costs about
    as much as solving a block). ``fingerprint`` keys the cache to the specification."""
    import zarr

    group = zarr.open_group(store, mode="r+")
    arrays = {name: arr for name, arr in group.arrays()}
    progress = group[PROGRESS_GROUP]
    arrays.update({f"{PROGRESS_GROUP}/{name}": arr for name, arr in progress.arrays()})
    return arrays


def store_identity(store: str) -> tuple[int, int]:
    """(device, inode) of the store's directory: changes when the store is replaced."""
    st = os.stat(store)
    return (st.st_dev, st.st_ino)


def _check_store(spec: SweepSpec, identity: tuple[int, int] | None) -> None:
    """Refuse to write into a store that is no longer the one the run prepared (replaced or
    removed under it, e.g. by a writer that ignored the lock)."""
    if identity is None:
        return
    try:
        now = store_identity(spec.store)
    except OSError:
        now = None
    if now != tuple(identity):
        raise StoreError(
            f"{spec.store} was replaced or removed while this sweep was running: this block is not written into it"
        )


def compute_block(spec: SweepSpec, index: int, identity: tuple[int, int] | None = None) -> dict[str, Any]:
    """Solve block ``index`` and write it into the store (runs on a Dask worker).

    Parameters
    ----------
    spec : SweepSpec
        The sweep.
    index : int
        The block (C order over the block grid).
    identity : (int, int), optional
        :func:`store_identity` of the store when the run prepared it: a block whose store was
        replaced since is not written (checked before the block's first and last writes).

    Returns
    -------
    dict
        The block's :data:`STATS` counts for the summary, its index, and ``seconds``: time
        spent solving, encoding and writing the outputs, and on the rest (inputs, counts,
        progress).

    Raises
    ------
    StoreWriteError
        A chunk could not be written (a full disk, ...): the block stays unfinished (its
        ``done`` flag unset), and no partial chunk file is left.
    """
    try:
        return _compute_block(spec, index, identity)
    except StoreWriteError as err:
        raise StoreWriteError(f"block {index}: {err}", err.errno, err.path, index) from None


def _compute_block(spec: SweepSpec, index: int, identity: tuple[int, int] | None) -> dict[str, Any]:
    _check_store(spec, identity)
    delay = float(os.environ.get("ALLYSWEEP_TEST_BLOCK_DELAY", "0") or 0)
    arrays = _open_arrays(spec.store, spec.fingerprint())
    region = block_slices(spec, index)
    t_start = time.perf_counter()

    # The block's progress entries: one chunk each, read and written whole by this task only.
    def progress(name: str, values: np.ndarray | None = None) -> np.ndarray:
        key = f"{PROGRESS_GROUP}/{name}"
        where = ((index, 0) if name == "stats" else (index,), (slice(index, index + 1),))
        if values is None:
            return read_chunk(arrays[key], spec.store, key, *where)
        write_chunk(arrays[key], spec.store, key, *where, values)
        return values

    # Counted before any work: an attempt that never finishes (its worker lost mid-block) stays
    # counted here and never in "computed". (Cubes written before "started" existed lack it.)
    if f"{PROGRESS_GROUP}/started" in arrays:
        progress("started", progress("started") + 1)
    swept, n = block_params(spec, region, arrays)
    t_inputs = time.perf_counter()
    columns = spec.columns(swept, n)
    result = solve_flat(
        columns,
        method=spec.method,
        threads=1,
        lam=spec.lam,
        max_eq=spec.max_eq,
        out=_buffers(n, spec),
        outputs=_computed(spec),
    )
    t_solved = time.perf_counter()
    block_shape = tuple(s.stop - s.start for s in region)
    chunk_index = tuple(s.start // c for s, c in zip(region, spec.chunks(), strict=True))
    for name in spec.outputs:
        if OUTPUTS[name].per_equilibrium:
            values = result[name].reshape(*block_shape, spec.max_eq)
            write_chunk(arrays[name], spec.store, name, (*chunk_index, 0), (*region, slice(None)), values)
        else:
            write_chunk(arrays[name], spec.store, name, chunk_index, region, result[name].reshape(block_shape))
    if spec.derivatives:
        _write_derivatives(spec, arrays, columns, block_shape, chunk_index, region)
    t_written = time.perf_counter()
    if delay:
        time.sleep(delay)  # testing hook: makes interruption tests deterministic
    _hold()
    stats = block_stats(result)

    # The block's last progress entries, "done" last: it is what resume trusts.
    _check_store(spec, identity)
    progress("stats", np.array([[stats[k] for k in STATS]], dtype=np.int64))
    progress("computed", progress("computed") + 1)
    progress("done", np.ones(1, np.int8))
    seconds = {
        "solve": t_solved - t_inputs,
        "write": t_written - t_solved,
        "other": (time.perf_counter() - t_start) - (t_written - t_inputs) - delay,
    }
    return {**stats, "block": index, "seconds": seconds}


def _write_derivatives(
    spec: SweepSpec,
    arrays: dict[str, Any],
    columns: dict[str, np.ndarray],
    block_shape: tuple[int, ...],
    chunk_index: tuple[int, ...],
    region: tuple[slice, ...],
) -> None:
    """Solve the block's derivatives (docs/MODEL.md §14.4) and write ``d_<output>`` and
    ``differentiable``, one chunk each."""
    lam = native.DEFAULT_LAM if spec.lam is None else spec.lam
    got = native.derivatives(columns, spec.wrt_columns(), spec.method, 1, lam, spec.max_eq)
    values = np.asarray(got["values"])
    nw = len(spec.derivatives)
    for o, name in enumerate(native.DERIVATIVE_OUTPUTS):
        var = f"d_{name}"
        block = values[:, :, o, :].reshape(*block_shape, spec.max_eq, nw)
        write_chunk(arrays[var], spec.store, var, (*chunk_index, 0, 0), (*region, slice(None), slice(None)), block)
    flag = np.asarray(got["differentiable"]).reshape(*block_shape, spec.max_eq)
    write_chunk(arrays["differentiable"], spec.store, "differentiable", (*chunk_index, 0), (*region, slice(None)), flag)


def _hold() -> None:
    """Testing hook: with ``ALLYSWEEP_TEST_BLOCK_HOLD=PATH`` a block, its outputs written, waits
    until the file PATH exists before recording itself done, so a test can act while a known
    set of blocks is running (tests/test_sweep.py kills a worker holding one). Bounded: after
    10 minutes the block fails rather than waiting for ever."""
    path = os.environ.get("ALLYSWEEP_TEST_BLOCK_HOLD")
    if not path:
        return
    deadline = time.monotonic() + 600
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"ALLYSWEEP_TEST_BLOCK_HOLD: {path} did not appear within 600 s")
        time.sleep(0.05)


def _buffers(n: int, spec: SweepSpec) -> dict[str, np.ndarray] | None:
    """This thread's reusable output arrays for a block of ``n`` points (``None``: let the
    solver allocate)."""
    if spec.method == "reference":
        return None
    # Two entries: full blocks and one size of edge block.
    key = (n, spec.max_eq, spec.method, spec.outputs)
    return reused("outputs", key, 2, lambda: empty_outputs(n, spec.max_eq, _computed(spec)))


#: What a block needs beyond the stored outputs: the progress counts (:func:`block_stats`).
_FOR_STATS = ("n_eq", "kind", "selected")


def _computed(spec: SweepSpec) -> tuple[str, ...]:
    """The outputs a block computes: the stored ones and those its counts need."""
    return tuple(name for name in OUTPUTS if name in spec.outputs or name in _FOR_STATS)


def block_stats(result: dict[str, np.ndarray]) -> dict[str, int]:
    """The :data:`STATS` counts of one solved block."""
    n_eq = np.asarray(result["n_eq"])
    kind = np.asarray(result["kind"])
    rows = np.arange(len(n_eq))
    selected_kind = np.where(n_eq > 0, kind[rows, np.argmax(np.asarray(result["selected"]), axis=1)], -1)
    counts = np.bincount(selected_kind[selected_kind >= 0], minlength=len(KIND_NAMES))
    out = {"points": len(n_eq), "equilibria": int(n_eq.sum()), "multiple": int((n_eq > 1).sum())}
    out.update({f"selected_{k}": int(c) for k, c in zip(KIND_NAMES, counts, strict=True)})
    return out
