"""Sweeps: a specification in, a labelled, resumable Zarr cube out, computed with Dask.

How a sweep runs (the xarray-beam / pangeo-forge pattern):

1. The **template** is written first: every variable with its final shape, chunks, attributes
   and coordinates, but no data. The dataset's attributes carry the full specification, its
   SHA-256 fingerprint, the software version and the solver settings.
2. The cube is cut into **blocks**, one per Zarr chunk. Each Dask task solves one block with the
   Rust engine on a single thread and writes it into its own region, then sets the block's flag
   in ``_progress/done``. Block writes are idempotent, so a task that is repeated (lost worker)
   or a block that was half-written (killed process) is simply written again.
3. **Resume** computes only the blocks whose flag is not set; the result is identical to an
   uninterrupted run. A store written for another specification is never resumed into.

Memory stays bounded by the block size, whatever the size of the cube.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .exceptions import AllysweepError, StoreError
from .parameters import BOOL_OUTPUTS, EQ_OUTPUTS, KIND_NAMES, PARAMETERS, POINT_OUTPUTS
from .spec import SweepSpec

__all__ = ["sweep", "open_cube", "cube_info", "SweepSummary", "block_count", "completed_blocks"]

PROGRESS_GROUP = "_progress"
#: Per-block counts kept in ``_progress/stats`` (summaries never re-read the cube): points,
#: equilibria, points with several equilibria, and points per kind of the selected equilibrium.
STATS = ("points", "equilibria", "multiple", *(f"selected_{k}" for k in KIND_NAMES))
SPEC_ATTR = "allysweep_spec"
HASH_ATTR = "allysweep_spec_sha256"


# --------------------------------------------------------------------------- blocks
def block_grid(spec: SweepSpec) -> tuple[int, ...]:
    """Number of blocks along each dimension."""
    return tuple(-(-n // c) for n, c in zip(spec.shape, spec.chunks(), strict=True))


def block_count(spec: SweepSpec) -> int:
    """Number of blocks (= Zarr chunks = Dask tasks) of the sweep."""
    return int(np.prod(block_grid(spec), dtype=np.int64))


def block_slices(spec: SweepSpec, index: int) -> tuple[slice, ...]:
    """The region (one slice per dimension) of block ``index`` (C order over the block grid)."""
    pos = np.unravel_index(index, block_grid(spec))
    return tuple(
        slice(int(p) * c, min((int(p) + 1) * c, n)) for p, c, n in zip(pos, spec.chunks(), spec.shape, strict=True)
    )


def _sampled_design(spec: SweepSpec) -> dict[str, np.ndarray]:
    """Parameter values of every point of an lhs / sobol / list design (written in the template)."""
    if spec.design == "list":
        return {name: np.asarray(v, dtype=float) for name, v in spec.points}
    n, d = int(spec.n_points or 0), len(spec.ranges)
    rng = np.random.default_rng(spec.seed)
    if spec.design == "lhs":
        unit = np.empty((n, d))
        for j in range(d):
            unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
    else:
        from scipy.stats import qmc

        unit = qmc.Sobol(d, scramble=True, seed=spec.seed).random(n)
    out = {}
    for j, (name, kind, lo, hi) in enumerate(spec.ranges):
        if kind == "uniform":
            out[name] = lo + unit[:, j] * (hi - lo)
        else:
            out[name] = np.exp(np.log(lo) + unit[:, j] * (np.log(hi) - np.log(lo)))
    return out


def _block_params(spec: SweepSpec, region: tuple[slice, ...], group: Any) -> tuple[dict[str, np.ndarray], int]:
    if spec.design == "grid":
        axes = [np.asarray(v, dtype=float)[s] for (_, v), s in zip(spec.axes, region, strict=True)]
        mesh = np.meshgrid(*axes, indexing="ij")
        swept = {name: m.ravel() for (name, _), m in zip(spec.axes, mesh, strict=True)}
        return swept, int(np.prod([len(a) for a in axes]))
    (s,) = region
    swept = {name: np.asarray(group[name][s], dtype=float) for name in spec.swept}  # coordinates
    return swept, s.stop - s.start


#: The codec every output array is created with (see ``_create_store``); ``write_chunk`` encodes
#: chunks itself with the same settings. lz4 without byte shuffle: on these arrays (mostly NaN in
#: the unused ``eq`` slots) it is faster than lz4 with shuffle and no larger (point-major 50,000-
#: point blocks of two grids: 7.4 vs 13.8 ms and 13.6 vs 18.7 ms; 69 vs 81 and 58 vs 59 bytes per
#: point). zstd level 1 took 29 ms; blosclz and other lz4 levels were slower or larger.
BLOSC = {"cname": "lz4", "clevel": 5, "shuffle": "noshuffle"}
_SHUFFLES = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


#: Chunk keys ``c.i.j``: a flat directory per variable, so writing a chunk never creates one.
CHUNK_KEYS = {"name": "default", "separator": "."}


def _compressors():
    from zarr.codecs import BloscCodec

    return [BloscCodec(**BLOSC)]


def _encoding(ndim: int = 1, per_equilibrium: bool = False) -> dict[str, Any]:
    """Zarr encoding of an array of a cube (outputs and progress entries).

    Per-equilibrium variables are stored slot-major inside each chunk (a zarr ``transpose``
    codec puts ``eq`` first; readers see the usual dimension order): the unused slots then form
    long runs of fill values, which compress twice as fast and 40% smaller than point-major
    rows of (value, NaN, NaN, NaN) (measured on 50,000-point blocks: 5.0 vs 10.4 ms, 1.72 vs
    2.91 MB per block).
    """
    encoding: dict[str, Any] = {"compressors": _compressors(), "chunk_key_encoding": dict(CHUNK_KEYS)}
    if per_equilibrium:
        from zarr.codecs import TransposeCodec

        encoding["filters"] = [TransposeCodec(order=(ndim - 1, *range(ndim - 1)))]
    return encoding


@dataclass(frozen=True)
class _Layout:
    """How the chunks of one array are stored, when this module can write them as files."""

    separator: str
    #: Axis order of the stored chunk (a zarr ``transpose`` codec), or ``None``.
    order: tuple[int, ...] | None
    #: blosc (cname, clevel, shuffle)
    blosc: tuple[str, int, int]

    def path(self, store: str, name: str, chunk_index: tuple[int, ...]) -> str:
        return os.path.join(store, name, self.separator.join(("c", *map(str, chunk_index))))

    def encode(self, values: np.ndarray) -> bytes:
        if self.order is not None:
            values = _transposed(values, self.order)
        data = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
        return _codec(*self.blosc, data.dtype.itemsize).encode(data)

    def decode(self, raw: bytes, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype).newbyteorder("<")
        data = np.frombuffer(_codec(*self.blosc, dtype.itemsize).decode(raw), dtype=dtype)
        if self.order is None:
            return data.reshape(shape)
        stored = data.reshape(tuple(shape[i] for i in self.order))
        return stored.transpose(np.argsort(self.order))


#: Per-thread reused arrays (a Dask worker may run several blocks at once, one per thread):
#: ``outputs`` for the engine, ``transposed`` for chunk transposes. Fresh memory for every block
#: costs page faults worth about a quarter of the engine's time.
_REUSED = threading.local()


def _reused(kind: str, key: Any, limit: int, make: Any) -> Any:
    """This thread's reused object ``key`` of cache ``kind``, made by ``make()`` the first time;
    the oldest entry is dropped beyond ``limit`` entries."""
    cache = getattr(_REUSED, kind, None)
    if cache is None:
        cache = {}
        setattr(_REUSED, kind, cache)
    if key not in cache:
        if len(cache) >= limit:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def _transposed(values: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    shape = tuple(values.shape[i] for i in order)
    out = _reused("transposed", (values.shape, values.dtype.str, order), 8, lambda: np.empty(shape, values.dtype))
    np.copyto(out, values.transpose(order))
    return out


#: (store, array) -> how its chunks are stored, when they can be written as files directly.
_DIRECT: dict[tuple[str, str], _Layout] = {}


def _direct_layout(store: str, name: str) -> _Layout | None:
    """How the chunks of array ``name`` are stored, if this module can write them as files: a
    local store, zarr v3 default chunk keys (``c/i/j`` or ``c.i.j``), optionally a ``transpose``
    codec, little-endian bytes, then blosc. ``None`` otherwise. (Only a positive answer is
    remembered: the store may not exist yet.)"""
    import json

    key = (store, name)
    if key in _DIRECT:
        return _DIRECT[key]
    try:
        meta = json.loads((Path(store) / name / "zarr.json").read_text())
    except (OSError, ValueError):
        return None
    codecs = list(meta.get("codecs", []))
    order = None
    if codecs and codecs[0].get("name") == "transpose":
        order = tuple(int(i) for i in codecs.pop(0).get("configuration", {}).get("order", ()))
        if sorted(order) != list(range(len(meta.get("shape", ())))):
            return None
    keys = meta.get("chunk_key_encoding", {})
    separator = keys.get("configuration", {}).get("separator", "/")
    blosc = codecs[1].get("configuration", {}) if len(codecs) == 2 else {}
    ok = (
        meta.get("zarr_format") == 3
        and keys.get("name") == "default"
        and separator in ("/", ".")
        and len(codecs) == 2
        and codecs[0].get("name") == "bytes"
        and codecs[0].get("configuration", {}).get("endian", "little") == "little"
        and codecs[1].get("name") == "blosc"
        and blosc.get("shuffle") in _SHUFFLES
        and blosc.get("cname") in ("lz4", "lz4hc", "blosclz", "zstd", "zlib")
    )
    if not ok:
        return None
    layout = _Layout(separator, order, (str(blosc["cname"]), int(blosc.get("clevel", 5)), _SHUFFLES[blosc["shuffle"]]))
    _DIRECT[key] = layout
    return layout


def write_chunk(
    array: Any, store: str, name: str, chunk_index: tuple[int, ...], region: tuple[slice, ...], values: np.ndarray
) -> None:
    """Write one whole chunk of ``array`` (a block is exactly one chunk).

    zarr-python's per-call machinery costs about twice the compression itself, so where the layout
    allows (:func:`_direct_layout`) the chunk is encoded here with the array's own codecs and
    written as the chunk's file, atomically (temporary file, then rename: a killed worker never
    leaves half a chunk). Edge chunks are padded with the fill value, as zarr stores them.
    Otherwise it falls back to ``array[region] = values``.
    """
    layout = _direct_layout(store, name)
    if layout is None:
        import zarr

        with zarr.config.set({"array.write_empty_chunks": True}):
            array[region] = values
        return
    chunk_shape = tuple(array.chunks)
    if values.shape != chunk_shape:
        full = np.full(chunk_shape, array.fill_value, dtype=values.dtype)
        full[tuple(slice(0, d) for d in values.shape)] = values
        values = full
    encoded = layout.encode(values)
    path = layout.path(store, name, chunk_index)
    # Hidden, and not a chunk key, should a killed worker leave it behind.
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        f = open(tmp, "wb")
    except FileNotFoundError:  # first chunk in this directory
        os.makedirs(os.path.dirname(path), exist_ok=True)
        f = open(tmp, "wb")
    with f:
        f.write(encoded)
    os.replace(tmp, path)


def read_chunk(
    array: Any, store: str, name: str, chunk_index: tuple[int, ...], region: tuple[slice, ...]
) -> np.ndarray:
    """Read one whole chunk written by :func:`write_chunk` (fill values if it is missing)."""
    layout = _direct_layout(store, name)
    if layout is None:
        return np.asarray(array[region])
    try:
        with open(layout.path(store, name, chunk_index), "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return np.full(tuple(array.chunks), array.fill_value, dtype=array.dtype)
    return layout.decode(raw, tuple(array.chunks), array.dtype)


@functools.lru_cache(maxsize=32)
def _codec(cname: str, clevel: int, shuffle: int, typesize: int) -> Any:
    import numcodecs

    numcodecs.blosc.set_nthreads(1)  # one core per Dask task
    return numcodecs.Blosc(cname=cname, clevel=clevel, shuffle=shuffle, typesize=typesize)


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


def compute_block(spec: SweepSpec, index: int) -> dict[str, Any]:
    """Solve block ``index`` and write it into the store (runs on a Dask worker).

    Returns the block's :data:`STATS` counts for the summary, its index, and ``seconds``: time
    spent solving, encoding and writing the outputs, and on the rest (inputs, counts, progress).
    """

    from .solver import solve_flat

    delay = float(os.environ.get("ALLYSWEEP_TEST_BLOCK_DELAY", "0") or 0)
    arrays = _open_arrays(spec.store, spec.fingerprint())
    region = block_slices(spec, index)
    t_start = time.perf_counter()
    swept, n = _block_params(spec, region, arrays)
    t_inputs = time.perf_counter()
    result = solve_flat(
        spec.columns(swept, n), method=spec.method, threads=1, lam=spec.lam, max_eq=spec.max_eq, out=_buffers(n, spec)
    )
    t_solved = time.perf_counter()
    block_shape = tuple(s.stop - s.start for s in region)
    chunk_index = tuple(s.start // c for s, c in zip(region, spec.chunks(), strict=True))
    for name in spec.outputs:
        if name in EQ_OUTPUTS:
            values = result[name].reshape(*block_shape, spec.max_eq)
            write_chunk(arrays[name], spec.store, name, (*chunk_index, 0), (*region, slice(None)), values)
        else:
            write_chunk(arrays[name], spec.store, name, chunk_index, region, result[name].reshape(block_shape))
    t_written = time.perf_counter()
    if delay:
        time.sleep(delay)  # testing hook: makes interruption tests deterministic
    stats = block_stats(result)

    # The block's progress entries (one chunk each), "done" last: it is what resume trusts.
    def progress(name: str, values: np.ndarray | None = None) -> np.ndarray:
        key = f"{PROGRESS_GROUP}/{name}"
        where = ((index, 0) if name == "stats" else (index,), (slice(index, index + 1),))
        if values is None:
            return read_chunk(arrays[key], spec.store, key, *where)
        write_chunk(arrays[key], spec.store, key, *where, values)
        return values

    progress("stats", np.array([[stats[k] for k in STATS]], dtype=np.int64))
    progress("computed", progress("computed") + 1)
    progress("done", np.ones(1, np.int8))
    seconds = {
        "solve": t_solved - t_inputs,
        "write": t_written - t_solved,
        "other": (time.perf_counter() - t_start) - (t_written - t_inputs) - delay,
    }
    return {**stats, "block": index, "seconds": seconds}


def _buffers(n: int, spec: SweepSpec) -> dict[str, np.ndarray] | None:
    """This thread's reusable output arrays for a block of ``n`` points (``None``: let the
    solver allocate)."""
    if spec.method == "reference":
        return None

    def make() -> dict[str, np.ndarray]:
        from . import _core

        # An empty batch gives every output's dtype and trailing shape.
        empty = _core.solve_batch([np.zeros(0)] * len(_core.COLUMNS), 1, "roots", _core.DEFAULT_LAM, spec.max_eq)
        return {name: np.empty((n, *a.shape[1:]), dtype=a.dtype) for name, a in empty.items()}

    # Two entries: full blocks and one size of edge block.
    return _reused("outputs", (n, spec.max_eq, spec.method), 2, make)


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


def finished_stats(store: str | Path) -> dict[str, int]:
    """:data:`STATS` summed over the finished blocks of a cube."""
    import zarr

    progress = zarr.open_group(str(store), mode="r")[PROGRESS_GROUP]
    done = np.asarray(progress["done"][:]) == 1
    table = np.asarray(progress["stats"][:])[done]
    return {k: int(v) for k, v in zip(STATS, table.sum(axis=0), strict=True)}


# --------------------------------------------------------------------------- store
def _template(spec: SweepSpec) -> xr.Dataset:
    import dask.array as da

    from . import __version__

    dims, shape, chunks = spec.dims, spec.shape, spec.chunks()
    data_vars = {}
    fills = {"kind": (np.int8, -1), "n_eq": (np.int64, 0), "status": (np.int64, 0)}
    for name in spec.outputs:
        long_name, units, description = POINT_OUTPUTS.get(name) or EQ_OUTPUTS[name]
        attrs = {"long_name": long_name, "units": units, "description": description}
        if name in EQ_OUTPUTS:
            d, s, c = (*dims, "eq"), (*shape, spec.max_eq), (*chunks, spec.max_eq)
        else:
            d, s, c = dims, shape, chunks
        if name == "kind":
            attrs["flag_values"] = list(range(len(KIND_NAMES)))
            attrs["flag_meanings"] = " ".join(KIND_NAMES)
        dtype, fill = fills.get(name, (np.float64, np.nan))
        if name in BOOL_OUTPUTS:
            dtype, fill = np.bool_, False
        data_vars[name] = xr.DataArray(da.full(s, fill, dtype=dtype, chunks=c), dims=d, attrs=attrs)
    coords: dict[str, Any] = {"eq": ("eq", np.arange(spec.max_eq), {"long_name": "equilibrium slot"})}
    for name, value in spec.fixed:
        coords[name] = ((), value, _param_attrs(name))
    if spec.design == "grid":
        for name, values in spec.axes:
            coords[name] = (name, np.asarray(values), _param_attrs(name))
    else:
        coords["point"] = ("point", np.arange(spec.n_total), {"long_name": "design point"})
        for name, values in _sampled_design(spec).items():
            coords[name] = ("point", values, _param_attrs(name))
    ds = xr.Dataset(data_vars, coords=coords)
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    import json

    ds.attrs.update(
        {
            "title": f"allysweep cube: {spec.name}",
            "software": f"allysweep {__version__}",
            "method": spec.method,
            "solver_settings": json.dumps(
                {"method": spec.method, "lam": spec.lam, "max_eq": spec.max_eq, "engine_threads_per_task": 1}
            ),
            "design": spec.design,
            "theta": spec.theta,
            "cost_c": spec.cost_c,
            SPEC_ATTR: json.dumps(spec.to_dict(), sort_keys=True),
            HASH_ATTR: spec.fingerprint(),
            "history": f"{now}: allysweep sweep {spec.name!r} created ({spec.n_total} points, "
            f"{block_count(spec)} blocks)",
            "conventions": "MODEL.md §8 outputs; docs/conventions.md; CF flag_values on `kind`",
        }
    )
    return ds


def _param_attrs(name: str) -> dict[str, str]:
    base = name.split("_", 1)[0] if name.startswith(("theta_", "cost_c_")) else name
    if name.startswith("cost_c_"):
        base = "cost_c"
    param = PARAMETERS.get(base)
    if param is None:
        return {"long_name": name}
    label = param.meaning if base == name else f"{param.meaning}: {name.split('_')[-1]}"
    return {"long_name": label, "units": param.units}


def _create_store(spec: SweepSpec) -> None:
    import zarr

    ds = _template(spec)
    encoding = {name: _encoding(var.ndim, per_equilibrium="eq" in var.dims) for name, var in ds.data_vars.items()}
    ds.to_zarr(spec.store, mode="w-", compute=False, encoding=encoding, consolidated=False)
    group = zarr.open_group(spec.store, mode="r+")
    progress = group.create_group(PROGRESS_GROUP)
    n = block_count(spec)
    # One chunk per block, with the cube's codec, so workers write their flags as files directly
    # (write_chunk) and never share a chunk.
    codec = _encoding()
    progress.create_array("done", shape=(n,), chunks=(1,), dtype="int8", fill_value=0, **codec)
    progress.create_array("computed", shape=(n,), chunks=(1,), dtype="int32", fill_value=0, **codec)
    progress.create_array("stats", shape=(n, len(STATS)), chunks=(1, len(STATS)), dtype="int64", fill_value=0, **codec)


def _store_attrs(store: str) -> dict[str, Any]:
    import zarr

    return dict(zarr.open_group(store, mode="r").attrs)


def completed_blocks(store: str | Path) -> np.ndarray:
    """Boolean array: which blocks of the cube at ``store`` are finished."""
    import zarr

    return np.asarray(zarr.open_group(str(store), mode="r")[PROGRESS_GROUP]["done"][:]) == 1


def _append_history(store: str, line: str, **attrs: Any) -> None:
    import zarr

    group = zarr.open_group(store, mode="r+")
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    history = str(group.attrs.get("history", ""))
    group.attrs.update({"history": f"{history}\n{now}: {line}".strip(), **attrs})


def plan_store(spec: SweepSpec, resume: bool, overwrite: bool) -> str:
    """Decide what to do with the store, writing nothing: ``"created"``, ``"overwritten"`` or
    ``"resumed"``. Raises :class:`StoreError` when the run must be refused."""
    path = Path(spec.store)
    if resume and overwrite:
        raise StoreError("--resume and --overwrite exclude each other")
    if not path.exists():
        return "created"
    if overwrite:
        if not _looks_like_cube(path):
            raise StoreError(f"{path} exists and is not an allysweep cube: refusing to overwrite it")
        return "overwritten"
    if not resume:
        raise StoreError(
            f"{path} exists: pass --resume to continue it or --overwrite to replace it (nothing was changed)"
        )
    attrs = _store_attrs(str(path)) if _looks_like_cube(path) else {}
    if attrs.get(HASH_ATTR) != spec.fingerprint():
        raise StoreError(
            f"{path} was written for a different specification (fingerprint "
            f"{str(attrs.get(HASH_ATTR, 'none'))[:12]} != {spec.fingerprint()[:12]}): refusing to resume into it "
            "(nothing was changed)"
        )
    return "resumed"


def apply_store_plan(spec: SweepSpec, plan: str) -> None:
    """Carry out :func:`plan_store`'s decision: write the template (replacing an old cube).

    The template is written into a hidden sibling directory and renamed into place when
    complete, so a store either does not exist or has its whole template: a run killed while
    writing it leaves no half-made cube behind, and an old cube is only replaced by a whole one.
    """
    if plan not in ("created", "overwritten"):
        return
    final = Path(spec.store)
    tmp = final.with_name(f".{final.name}.creating-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _create_store(spec.with_store(tmp))
        if plan == "overwritten":
            old = final.with_name(f".{final.name}.replaced-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def prepare_store(spec: SweepSpec, resume: bool, overwrite: bool) -> str:
    """Create, reuse or refuse the store. Nothing is written when the run is refused."""
    plan = plan_store(spec, resume, overwrite)
    apply_store_plan(spec, plan)
    return plan


def _looks_like_cube(path: Path) -> bool:
    try:
        return HASH_ATTR in _store_attrs(str(path))
    except Exception:
        return False


# --------------------------------------------------------------------------- clients
def _check_cluster_available(spec: SweepSpec, client: Any, scheduler: str | None, cluster: str | None) -> None:
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
def _client_for(spec: SweepSpec, client: Any, scheduler: str | None, cluster: str | None) -> Iterator[Any]:
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
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=threads, processes=True, dashboard_address=None) as lc,
        Client(lc) as c,
    ):
        yield c


# --------------------------------------------------------------------------- the run
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

    Returns
    -------
    xarray.Dataset
        The cube (lazily opened with Dask). ``ds.attrs["last_run"]`` holds the run's summary.

    Raises
    ------
    StoreError
        The store exists (without ``resume``/``overwrite``) or belongs to another specification.
    """
    if store is not None:
        spec = spec.with_store(Path(store).resolve())
    else:
        spec = spec.with_store(Path(spec.store).resolve())
    _check_cluster_available(spec, client, scheduler, cluster)
    start = time.perf_counter()
    state = plan_store(spec, resume, overwrite)  # refusals happen here, before anything is written
    n_blocks = block_count(spec)
    done = completed_blocks(spec.store) if state == "resumed" else np.zeros(n_blocks, dtype=bool)
    pending = [int(i) for i in np.flatnonzero(~done)]
    computed = points_computed = 0
    compute_seconds = 0.0
    worker_seconds: dict[str, float] = {}
    from concurrent.futures import ThreadPoolExecutor

    # The template is written while the cluster starts (each takes about a second).
    with ThreadPoolExecutor(max_workers=1) as pool:
        template = pool.submit(apply_store_plan, spec, state)
        if pending:
            with _client_for(spec, client, scheduler, cluster) as c:
                template.result()
                t0 = time.perf_counter()
                computed, points_computed, worker_seconds = _run_blocks(c, spec, pending, progress)
                compute_seconds = time.perf_counter() - t0
        template.result()
    seconds = time.perf_counter() - start
    summary = _summarise(spec, n_blocks, computed, n_blocks - len(pending), seconds, points_computed)
    summary.compute_seconds = compute_seconds
    summary.worker_seconds = worker_seconds or None
    import json

    _append_history(
        spec.store,
        f"{state}; computed {computed} blocks in {seconds:.1f} s",
        last_run=json.dumps(summary.__dict__),
        allysweep_complete=bool(completed_blocks(spec.store).all()),
    )
    ds = open_cube(spec.store)
    return ds


def _run_blocks(client: Any, spec: SweepSpec, pending: list[int], progress: bool) -> tuple[int, int, dict[str, float]]:
    """Run the pending blocks; returns (blocks computed, points computed, worker seconds spent
    solving, encoding and writing outputs, and on the rest of each task)."""
    from distributed import as_completed

    futures = client.map(compute_block, [spec] * len(pending), pending, pure=False)
    bar = _progress_bar(len(pending), spec.n_total, enabled=progress)
    computed = points = 0
    worker = {"solve": 0.0, "write": 0.0, "other": 0.0}
    t0 = time.perf_counter()
    try:
        for future in as_completed(futures):
            stats = future.result()
            computed += 1
            points += stats["points"]
            for key, value in stats["seconds"].items():
                worker[key] += value
            if bar is not None:
                rate = points / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix_str(f"{rate:,.0f} points/s", refresh=False)
                bar.update(1)
    except KeyboardInterrupt:
        client.cancel(futures)
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


def open_cube(store: str | Path) -> xr.Dataset:
    """Open a cube written by :func:`sweep` (lazily, with Dask).

    Raises
    ------
    StoreError
        No allysweep cube at ``store``.
    """
    path = Path(store)
    if not path.exists() or not _looks_like_cube(path):
        raise StoreError(f"{path}: no allysweep cube here")
    return xr.open_zarr(str(path), consolidated=False)


def cube_info(store: str | Path) -> list[str]:
    """Lines describing a cube: specification, dimensions, completeness and summary."""
    import json

    ds = open_cube(store)
    spec = json.loads(ds.attrs[SPEC_ATTR])
    done = completed_blocks(store)
    lines = [
        f"cube: {Path(store).resolve()}",
        f"title: {ds.attrs.get('title', '')}",
        f"software: {ds.attrs.get('software', '')}; method: {ds.attrs.get('method')}",
    ]
    lines.append("dimensions: " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items()))
    lines.append(
        f"completeness: {int(done.sum())} of {done.size} blocks done"
        + (" (complete)" if done.all() else " (incomplete: run again with --resume)")
    )
    lines.append("specification:")
    for section, table in spec.items():
        for key, value in table.items():
            if isinstance(value, list) and len(value) > 8 and all(isinstance(v, int | float) for v in value):
                shown = f"{len(value)} values from {min(value):g} to {max(value):g}"
            else:
                shown = value if isinstance(value, str) else json.dumps(value)
            lines.append(f"  {section}.{key} = {shown}")
    if "last_run" in ds.attrs:
        run = json.loads(ds.attrs["last_run"])
        lines.append(
            f"last run: computed {run['blocks_computed']} blocks in {run['seconds']:.1f} s; "
            f"{run['equilibria']:,} equilibria; {run['multiple_share']:.1%} of points with several"
        )
    stats = finished_stats(store)
    if stats["points"]:
        counts = {k: stats[f"selected_{k}"] for k in KIND_NAMES}
        scope = "" if done.all() else f" (over the {stats['points']:,} points of finished blocks)"
        lines.append(f"selected equilibrium kinds{scope}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))
    lines.append("variables: " + ", ".join(ds.data_vars))
    lines.append("history:")
    lines += [f"  {h}" for h in str(ds.attrs.get("history", "")).splitlines()]
    return lines
