"""Chunk I/O: the codec policy of a cube, and writing / reading one whole chunk as a file with the
array's own codecs (with zarr-python as the fallback where the layout is not one handled here).

zarr-python's per-call machinery costs about twice the compression itself on a 50,000-point
block, so workers encode chunks here; ``tests/test_chunks.py`` checks the files equal zarr's.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BLOSC", "CHUNK_KEYS", "encoding", "write_chunk", "read_chunk", "reused"]


#: The codec every output array is created with (see ``_create_store``); ``write_chunk`` encodes
#: chunks itself with the same settings. lz4 without byte shuffle: on these arrays (mostly NaN in
#: the unused ``eq`` slots) it was the fastest of the blosc codecs tried and no larger than lz4
#: with shuffle (benches/results/codecs.md; ``benches/sweep_bench.py`` times the write path).
BLOSC = {"cname": "lz4", "clevel": 5, "shuffle": "noshuffle"}


_SHUFFLES = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}


#: Chunk keys ``c.i.j``: a flat directory per variable, so writing a chunk never creates one.
CHUNK_KEYS = {"name": "default", "separator": "."}


def _compressors():
    from zarr.codecs import BloscCodec

    return [BloscCodec(**BLOSC)]


def encoding(ndim: int = 1, per_equilibrium: bool = False) -> dict[str, Any]:
    """Zarr encoding of an array of a cube (outputs and progress entries).

    Per-equilibrium variables are stored slot-major inside each chunk (a zarr ``transpose``
    codec puts ``eq`` first; readers see the usual dimension order): the unused slots then form
    long runs of fill values, which compress faster and smaller than point-major rows of
    (value, NaN, NaN, NaN) (benches/results/codecs.md).
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
#: ``outputs`` for the engine, ``transposed`` for chunk transposes: fresh memory for every block
#: would cost page faults on every block.
_REUSED = threading.local()


def reused(kind: str, key: Any, limit: int, make: Any) -> Any:
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
    out = reused("transposed", (values.shape, values.dtype.str, order), 8, lambda: np.empty(shape, values.dtype))
    np.copyto(out, values.transpose(order))
    return out


#: (store, array) -> how its chunks are stored, when they can be written as files directly.
_DIRECT: dict[tuple[str, str], _Layout] = {}


def _direct_layout(store: str, name: str) -> _Layout | None:
    """How the chunks of array ``name`` are stored, if this module can write them as files: a
    local store, zarr v3 default chunk keys (``c/i/j`` or ``c.i.j``), optionally a ``transpose``
    codec, little-endian bytes, then blosc. ``None`` otherwise. (Only a positive answer is
    remembered: the store may not exist yet.)"""
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

        try:
            _test_write_failure()
            with zarr.config.set({"array.write_empty_chunks": True}):
                array[region] = values
        except OSError as err:
            raise _write_error(err, os.path.join(store, name)) from None
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
        try:
            f = open(tmp, "wb")
        except FileNotFoundError:  # first chunk in this directory
            os.makedirs(os.path.dirname(path), exist_ok=True)
            f = open(tmp, "wb")
        with f:
            _test_write_failure()
            f.write(encoded)
        os.replace(tmp, path)
    except OSError as err:
        # A full disk (or any write error): no partial file is left behind, the chunk keeps what
        # it had, and the caller learns which file and why.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(err, path) from None


def _write_error(err: OSError, path: str) -> Any:
    from ..exceptions import StoreWriteError

    reason = err.strerror or str(err)
    return StoreWriteError(f"cannot write {path}: {reason} (errno {err.errno})", err.errno, path)


def _test_write_failure() -> None:
    """Testing hook: with ``ALLYSWEEP_TEST_ENOSPC=PATH``, every chunk write fails with ENOSPC
    ("No space left on device") while the file PATH exists, as on a full disk."""
    flag = os.environ.get("ALLYSWEEP_TEST_ENOSPC")
    if flag and os.path.exists(flag):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


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
