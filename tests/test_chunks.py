"""Blocks written as chunk files (the fast path of sweeps) read back through zarr/xarray exactly
as blocks written through zarr's own API, edge chunks (padded) included."""

from __future__ import annotations

import numpy as np
import xarray as xr

import allysweep as asw
from allysweep.sweeps import chunks, design, store, worker


def make(tmp_path, name):
    # 13 x 7 x 3 points in chunks of 2 k-rows: the last block is a partial (edge) chunk.
    return asw.SweepSpec.from_dict(
        {
            "sweep": {"chunk_points": 50, "store": str(tmp_path / name), "max_eq": 3},
            "params": {
                "k": {"linspace": [0.0, 0.12, 13]},
                "r": {"linspace": [0.0, 0.12, 7]},
                "cost_c": "logistic:0.5,0.2",
                "c_c_extra": [0.0, 0.1, 0.2],
            },
        }
    )


def fill(spec):
    store._create_store(spec)
    for i in range(design.block_count(spec)):
        worker.compute_block(spec, i)
    return xr.open_zarr(spec.store, consolidated=False).load()


def test_direct_chunk_files_equal_zarr_writes(tmp_path, monkeypatch):
    direct_spec = make(tmp_path, "direct.zarr")
    assert direct_spec.shape[0] % direct_spec.chunks()[0] != 0, "needs an edge chunk"
    direct = fill(direct_spec)
    assert all(chunks._direct_layout(direct_spec.store, name) for name in direct_spec.outputs)
    via_zarr_spec = make(tmp_path, "zarr.zarr")
    monkeypatch.setattr(chunks, "_direct_layout", lambda store, name: None)
    via_zarr = fill(via_zarr_spec)
    monkeypatch.undo()
    for name in direct.data_vars:
        a, b = direct[name].values, via_zarr[name].values
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    # And both equal the in-memory solver on the same points.
    ds = asw.solve(
        k=direct.k.values, r=direct.r.values, c_c_extra=direct.c_c_extra.values, cost_c=asw.Logistic(0.5, 0.2)
    ).transpose("k", "r", "c_c_extra", "eq")
    n = min(ds.sizes["eq"], 3)
    np.testing.assert_array_equal(direct.n_eq.values, ds.n_eq.values)
    np.testing.assert_array_equal(direct.kind.values[..., :n], ds.kind.values[..., :n])
    assert direct.gain_increasing.dtype == bool


def test_progress_entries_and_other_blosc_settings(tmp_path, monkeypatch):
    """Progress flags are chunk files too (read back through zarr), and a cube created with other
    blosc settings (e.g. by an earlier version, with byte shuffle) is written with its own settings."""
    plain = make(tmp_path, "plain.zarr")
    reference = fill(plain)
    monkeypatch.setitem(chunks.BLOSC, "shuffle", "shuffle")
    monkeypatch.setitem(chunks.BLOSC, "cname", "zstd")
    monkeypatch.setitem(chunks.CHUNK_KEYS, "separator", "/")  # nested chunk directories
    other = make(tmp_path, "shuffled.zarr")
    shuffled = fill(other)
    shuffled_layout = chunks._direct_layout(other.store, "cutpoint")
    assert (shuffled_layout.separator, shuffled_layout.blosc) == ("/", ("zstd", 5, 1))
    layout = chunks._direct_layout(plain.store, "cutpoint")
    # (k, r, c_c_extra, eq) chunks are stored slot-major: eq first.
    assert (layout.separator, layout.order, layout.blosc) == (".", (3, 0, 1, 2), ("lz4", 5, 0))
    assert chunks._direct_layout(plain.store, "n_eq").order is None
    for name in reference.data_vars:
        a, b = reference[name].values, shuffled[name].values
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
    n_blocks = design.block_count(plain)
    assert store.completed_blocks(plain.store).all()
    stats = store.finished_stats(plain.store)
    assert stats["points"] == reference.n_eq.size
    assert stats["equilibria"] == int(reference.n_eq.sum())
    import zarr

    computed = zarr.open_group(plain.store, mode="r")["_progress/computed"][:]
    np.testing.assert_array_equal(computed, np.ones(n_blocks))
    worker.compute_block(plain, 1)  # a repeated block is counted again
    computed = zarr.open_group(plain.store, mode="r")["_progress/computed"][:]
    assert computed[1] == 2 and computed.sum() == n_blocks + 1


def test_started_counts_every_attempt_and_computed_only_finished_ones(tmp_path, monkeypatch):
    """`_progress/started` is counted when a block starts, `computed` when it is written: an
    attempt that dies mid-block (here the engine raises, as a killed worker would stop) shows as
    started > computed, and the block's done flag stays unset. A cube written before `started`
    existed is still computed into (resume of an older cube)."""
    import shutil

    import pytest
    import zarr

    spec = make(tmp_path, "attempts.zarr")
    store._create_store(spec)
    n_blocks = design.block_count(spec)

    def progress(name):
        return np.asarray(zarr.open_group(spec.store, mode="r")[f"_progress/{name}"][:])

    worker.compute_block(spec, 0)
    worker.compute_block(spec, 0)  # a repeated block: both attempts started and finished
    real = worker.solve_flat

    def dies(*args, **kwargs):
        raise RuntimeError("worker lost (simulated)")

    monkeypatch.setattr(worker, "solve_flat", dies)
    with pytest.raises(RuntimeError, match="simulated"):
        worker.compute_block(spec, 1)
    monkeypatch.setattr(worker, "solve_flat", real)
    np.testing.assert_array_equal(progress("started")[:2], [2, 1])
    np.testing.assert_array_equal(progress("computed")[:2], [2, 0])
    np.testing.assert_array_equal(progress("done")[:2], [1, 0])
    worker.compute_block(spec, 1)  # started again, and this time finished
    np.testing.assert_array_equal(progress("started")[:2], [2, 2])
    np.testing.assert_array_equal(progress("computed")[:2], [2, 1])
    assert progress("started")[2:].sum() == 0 and progress("started").size == n_blocks

    shutil.rmtree(f"{spec.store}/_progress/started")  # as in a cube from before `started`
    worker._open_arrays.cache_clear()
    worker.compute_block(spec, 2)
    assert progress("done")[2] == 1 and progress("computed")[2] == 1


def test_template_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    """The template is written beside the store and renamed into place: a failure while writing
    it leaves neither a half-made cube nor temporary files, and an old cube being overwritten
    stays intact until the new template is complete."""
    import pytest

    from allysweep.exceptions import StoreWriteError

    spec = make(tmp_path, "atomic.zarr")
    real_create = store._create_store

    def broken(s):
        real_create(s)  # the whole template is written...
        raise OSError("disk full (simulated)")  # ...but the run fails before the rename

    monkeypatch.setattr(store, "_create_store", broken)
    with pytest.raises(StoreWriteError, match="simulated"):
        store.prepare_store(spec, resume=False, overwrite=False)
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(store, "_create_store", real_create)
    store.prepare_store(spec, resume=False, overwrite=False)
    before = sorted((p.relative_to(tmp_path), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    monkeypatch.setattr(store, "_create_store", broken)
    with pytest.raises(StoreWriteError, match="simulated"):
        store.prepare_store(spec, resume=False, overwrite=True)
    after = sorted((p.relative_to(tmp_path), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    assert after == before


def test_read_chunk_undoes_the_slot_major_layout(tmp_path):
    """A chunk written slot-major (transpose codec) reads back in the cube's own axis order,
    through read_chunk as through zarr."""
    spec = make(tmp_path, "roundtrip.zarr")
    store._create_store(spec)
    worker.compute_block(spec, 0)
    import zarr

    arr = zarr.open_group(spec.store, mode="r")["cutpoint"]
    region = (*design.block_slices(spec, 0), slice(None))
    got = chunks.read_chunk(arr, spec.store, "cutpoint", (0, 0, 0, 0), region)
    assert chunks._direct_layout(spec.store, "cutpoint").order is not None
    np.testing.assert_array_equal(got, arr[region])
    assert np.isfinite(got).any() and np.isnan(got).any()
