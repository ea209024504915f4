"""The cube on disk: its template (every variable, attribute and coordinate, no data), the
``_progress`` group that records finished blocks, and the store's lifecycle (create, refuse,
resume, overwrite as a whole, never half-written), plus opening and describing a cube."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..engine import KIND_NAMES, OUTPUTS
from ..exceptions import StoreError
from ..model.parameters import coordinate_attrs
from ..provenance import append_history as _history_plus
from ..provenance import provenance_attrs
from .chunks import encoding as chunk_encoding
from .design import block_count, sampled_design
from .spec import SweepSpec

__all__ = [
    "PROGRESS_GROUP",
    "STATS",
    "SPEC_ATTR",
    "HASH_ATTR",
    "plan_store",
    "apply_store_plan",
    "prepare_store",
    "completed_blocks",
    "finished_stats",
    "open_cube",
    "cube_info",
]

PROGRESS_GROUP = "_progress"


#: Per-block counts kept in ``_progress/stats`` (summaries never re-read the cube): points,
#: equilibria, points with several equilibria, and points per kind of the selected equilibrium.
STATS = ("points", "equilibria", "multiple", *(f"selected_{k}" for k in KIND_NAMES))


SPEC_ATTR = "allysweep_spec"


HASH_ATTR = "allysweep_spec_sha256"


def finished_stats(store: str | Path) -> dict[str, int]:
    """:data:`STATS` summed over the finished blocks of a cube."""
    import zarr

    progress = zarr.open_group(str(store), mode="r")[PROGRESS_GROUP]
    done = np.asarray(progress["done"][:]) == 1
    table = np.asarray(progress["stats"][:])[done]
    return {k: int(v) for k, v in zip(STATS, table.sum(axis=0), strict=True)}


def _template(spec: SweepSpec) -> xr.Dataset:
    """The cube without data: every output of the specification with its schema dtype, fill and
    attributes, the parameter coordinates, and the provenance attributes."""
    import dask.array as da

    dims, shape, chunks = spec.dims, spec.shape, spec.chunks()
    data_vars = {}
    for name in spec.outputs:
        output = OUTPUTS[name]
        if output.per_equilibrium:
            d, s, c = (*dims, "eq"), (*shape, spec.max_eq), (*chunks, spec.max_eq)
        else:
            d, s, c = dims, shape, chunks
        data_vars[name] = xr.DataArray(
            da.full(s, output.fill, dtype=output.dtype, chunks=c), dims=d, attrs=output.attrs
        )
    coords: dict[str, Any] = {"eq": ("eq", np.arange(spec.max_eq), {"long_name": "equilibrium slot"})}
    for name, value in spec.fixed:
        coords[name] = ((), value, coordinate_attrs(name))
    if spec.design == "grid":
        for name, values in spec.axes:
            coords[name] = (name, np.asarray(values), coordinate_attrs(name))
    else:
        coords["point"] = ("point", np.arange(spec.n_total), {"long_name": "design point"})
        for name, values in sampled_design(spec).items():
            coords[name] = ("point", values, coordinate_attrs(name))
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(
        provenance_attrs(
            f"allysweep cube: {spec.name}",
            spec.method,
            f"allysweep sweep {spec.name!r} created ({spec.n_total} points, {block_count(spec)} blocks)",
            solver_settings=json.dumps(
                {"method": spec.method, "lam": spec.lam, "max_eq": spec.max_eq, "engine_threads_per_task": 1}
            ),
            design=spec.design,
            theta=spec.theta,
            cost_c=spec.cost_c,
            **{SPEC_ATTR: json.dumps(spec.to_dict(), sort_keys=True), HASH_ATTR: spec.fingerprint()},
        )
    )
    return ds


def _create_store(spec: SweepSpec) -> None:
    import zarr

    ds = _template(spec)
    encoding = {name: chunk_encoding(var.ndim, per_equilibrium="eq" in var.dims) for name, var in ds.data_vars.items()}
    ds.to_zarr(spec.store, mode="w-", compute=False, encoding=encoding, consolidated=False)
    group = zarr.open_group(spec.store, mode="r+")
    progress = group.create_group(PROGRESS_GROUP)
    n = block_count(spec)
    # One chunk per block, with the cube's codec, so workers write their flags as files directly
    # (write_chunk) and never share a chunk.
    codec = chunk_encoding()
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


def append_history(store: str, line: str, **attrs: Any) -> None:
    """Add a line to the cube's ``history`` and set ``attrs`` on it."""
    import zarr

    group = zarr.open_group(store, mode="r+")
    group.attrs.update({"history": _history_plus(str(group.attrs.get("history", "")), line), **attrs})


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
