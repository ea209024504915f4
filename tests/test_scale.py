"""Sweeps whose cost does not grow with the cube (issue 17): the template written through zarr's
array API equals what xarray's own writer makes of the same dataset, at any size in about the
same time and memory; the size of a sweep is stated and checked before any work; and blocks
are submitted in a bounded window, so the client's and scheduler's memory stay flat in the
number of blocks and a SIGKILLed run still resumes exactly the missing blocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import allysweep as asw
from allysweep.sweeps import chunks, store

pytestmark = pytest.mark.slow


def metadata(root: Path) -> dict[str, object]:
    """Every file of a store: ``zarr.json`` documents parsed (``history`` dropped: it holds the
    time of creation), other files by content."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        key = str(path.relative_to(root))
        if path.name == "zarr.json":
            doc = json.loads(path.read_text())
            doc.get("attributes", {}).pop("history", None)
            out[key] = doc
        else:
            out[key] = path.read_bytes()
    return out


def xarray_template(spec: asw.SweepSpec) -> None:
    """The template as ``xarray.Dataset.to_zarr(compute=False)`` writes it (the way the cube was
    created before issue 17): the independent reference for the layout."""
    import zarr

    ds = store._template(spec)
    encoding = {
        name: {
            **chunks.encoding(var.ndim, per_equilibrium="eq" in var.dims and "wrt" not in var.dims),
            "fill_value": store.STORE_FILLS[name],
        }
        for name, var in ds.data_vars.items()
    }
    ds.to_zarr(spec.store, mode="w-", compute=False, encoding=encoding, consolidated=False)
    progress = zarr.open_group(spec.store, mode="r+").create_group(store.PROGRESS_GROUP)
    n = asw.sweeps.block_count(spec)
    codec = chunks.encoding()
    for name, dtype in (("done", "int8"), ("computed", "int32"), ("started", "int32")):
        progress.create_array(name, shape=(n,), chunks=(1,), dtype=dtype, fill_value=0, **codec)
    width = len(store.STATS)
    progress.create_array("stats", shape=(n, width), chunks=(1, width), dtype="int64", fill_value=0, **codec)


@pytest.mark.parametrize(
    "sweep,params",
    [
        # A grid with derivatives (d_* and `differentiable`, a string `wrt` coordinate), a
        # parameter following a swept one (a non-dimension coordinate) and scalar coordinates.
        (
            {"design": "grid", "chunk_points": 600, "max_eq": 4, "derivatives": ["k", "r"]},
            {
                "k": {"linspace": [0.0, 0.12, 61]},
                "r": {"linspace": [0.0, 0.12, 41]},
                "p_alliance": [0.6, 0.7, 0.8],
                "p_coalition": "p_alliance",
                "cost_c": "uniform:0,1",
            },
        ),
        # A sampled design (coordinates along `point`) with a subset of the outputs.
        (
            {"design": "lhs", "n_points": 5000, "chunk_points": 1024, "seed": 3, "outputs": ["n_eq", "kind"]},
            {"k": {"uniform": [0.0, 0.1]}, "r": {"loguniform": [0.001, 0.2]}, "cost_c": "logistic:0.5,0.1"},
        ),
    ],
    ids=["grid-derivatives", "lhs-outputs"],
)
def test_template_equals_xarrays_to_zarr_file_for_file(tmp_path, sweep, params):
    where = str(tmp_path / "a.zarr")
    spec = asw.SweepSpec.from_dict({"sweep": {"name": "t", **sweep, "store": where}, "params": params})
    store._create_store(spec)
    reference = spec.with_store(str(tmp_path / "b.zarr"))
    xarray_template(reference)
    ours, theirs = metadata(Path(spec.store)), metadata(Path(reference.store))
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert ours[key] == theirs[key], key
    # No chunk of an output is written: only coordinates hold data.
    outputs = {*spec.outputs, *(f"d_{n}" for n in asw.engine.schema.DERIVATIVE_OUTPUTS if spec.derivatives)}
    assert not [k for k in ours if k.split("/")[0] in outputs and not k.endswith("zarr.json")]
    # Read back by xarray with the store's fills (the newcomer fixes): -1, NaN, False.
    import xarray as xr

    ds = xr.open_zarr(spec.store, consolidated=False)
    assert int(ds.n_eq.values.ravel()[0]) == -1 and int(ds.kind.values.ravel()[0]) == -1
    if "prob_war" in ds:
        assert bool(ds.prob_war.isnull().all())


def _create_in_subprocess(tmp_path: Path, points_exp: int) -> dict[str, float]:
    target = str(tmp_path / f"c{points_exp}.zarr")
    code = f"""
import json, resource, time
import allysweep as asw
from allysweep.sweeps import store
spec = asw.SweepSpec.from_dict({{"sweep": {{"design": "grid", "chunk_points": 50000, "store": {target!r}}},
    "params": {{"k": {{"linspace": [0, 0.12, 1000]}}, "r": {{"linspace": [0, 0.14, 1000]}},
               "c_c_extra": {{"linspace": [0, 0.2, {10 ** (points_exp - 6)}]}}}}}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
store._create_store(spec)
print(json.dumps({{"seconds": time.perf_counter() - t, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "before_kib": before}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_template_cost_does_not_grow_with_the_blocks(tmp_path):
    """10^7 points (200 blocks) and 10^10 points (200,000 blocks, every output): the larger one
    takes under 5 s and adds under 300 MB of peak memory (the 10^7 one is the baseline)."""
    small, large = _create_in_subprocess(tmp_path, 7), _create_in_subprocess(tmp_path, 10)
    assert large["seconds"] < 5, large
    assert (large["rss_kib"] - small["rss_kib"]) * 1024 < 50e6, (small, large)
    assert large["rss_kib"] * 1024 < 300e6, large
    files = sum(1 for _ in (tmp_path / "c10.zarr").rglob("*") if _.is_file())
    assert files < 200, files  # metadata and coordinates only, not one file per block
    assert os.path.isdir(tmp_path / "c10.zarr" / "_progress" / "done")
