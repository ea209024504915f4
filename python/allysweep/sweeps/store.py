"""The cube on disk: its template (every variable, attribute and coordinate, no data), the
``_progress`` group that records finished blocks, and the store's lifecycle (create, refuse,
resume, overwrite as a whole, never half-written), plus opening and describing a cube."""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..engine import KIND_NAMES, OUTPUTS
from ..engine.schema import DERIVATIVE_OUTPUTS, DIFFERENTIABLE_ATTRS, derivative_attrs
from ..exceptions import IncompleteCubeWarning, StoreError, StoreWriteError
from ..labelled import WRT_ATTRS
from ..model.parameters import coordinate_attrs
from ..provenance import append_history as _history_plus
from ..provenance import provenance_attrs
from .chunks import encoding as chunk_encoding
from .design import block_count, sampled_design
from .spec import FOLLOWABLE, HASH_ATTR, RESOLVED_ATTR, SPEC_ATTR, SweepSpec

__all__ = [
    "PROGRESS_GROUP",
    "STATS",
    "NOT_COMPUTED",
    "STORE_FILLS",
    "COMPLETE_ATTR",
    "incomplete_message",
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


#: The value ``n_eq``, ``status`` and ``kind`` read at a point that was never computed.
NOT_COMPUTED = -1

#: What every output reads as where its chunk was never written (the zarr ``fill_value`` of the
#: cube's arrays, so plain ``xarray.open_zarr`` sees it too): an unfinished block must read as
#: "not computed", never as a result.
#:
#: This is the one place where the store's fills differ from the engine's schema fills
#: (``OUTPUTS[name].fill``, from ``_core.OUTPUTS``). Those are what the engine writes into the
#: *empty slots of a computed point*, where ``n_eq = 0`` ("no equilibrium") and ``status = 0``
#: (no bit set: all equilibria reported, completeness not certified) are results. In the store,
#: ``n_eq`` and ``status`` are -1 instead; ``kind`` keeps -1 (never a kind code), floats NaN and
#: flags False, which alone cannot tell an empty slot from a missing point: ``n_eq = -1`` or the
#: ``computed`` coordinate of :func:`open_cube` does.
STORE_FILLS: dict[str, Any] = {
    name: (NOT_COMPUTED if name in ("n_eq", "status", "kind") else output.fill) for name, output in OUTPUTS.items()
}
#: The derivative variables a cube may store (``sweep.derivatives``) read NaN / False there too.
STORE_FILLS.update({f"d_{name}": float("nan") for name in DERIVATIVE_OUTPUTS})
STORE_FILLS["differentiable"] = False

#: Cube attribute: every parameter value used (defaults included), how it was set and its units.
PARAMETERS_ATTR = "allysweep_parameters"

#: Dataset attribute: whether every block of the cube is computed (kept true to ``_progress``).
COMPLETE_ATTR = "complete"


def not_computed_attrs(name: str) -> dict[str, str]:
    """The variable attribute saying what ``name`` reads as at a point not computed yet."""
    fill = STORE_FILLS[name]
    if name in ("n_eq", "status"):
        text = f"{fill} where the point is not computed yet (its block unfinished: resume the sweep)"
    elif name == "kind":
        text = f"{fill} where the point is not computed yet (then n_eq = {NOT_COMPUTED}), as in an empty slot"
    else:
        shown = "NaN" if isinstance(fill, float) else str(fill)
        text = (
            f"{shown} where the point is not computed yet, as in an empty slot: "
            f"tell them apart with n_eq = {NOT_COMPUTED} or the `computed` coordinate"
        )
    return {"not_computed": text}


def finished_stats(store: str | Path) -> dict[str, int]:
    """:data:`STATS` summed over the finished blocks of a cube."""
    import zarr

    progress = zarr.open_group(str(store), mode="r")[PROGRESS_GROUP]
    done = completed_blocks(store)
    try:
        table = _progress_entries(str(store), progress["stats"], "stats")[done]
    except Exception:  # a damaged entry (allysweep verify lists it): the readable ones
        from .chunks import read_chunk

        rows = []
        for i in np.flatnonzero(done):
            try:
                key = f"{PROGRESS_GROUP}/stats"
                rows.append(read_chunk(progress["stats"], str(store), key, (int(i), 0), (slice(i, i + 1),))[0])
            except Exception:
                pass
        table = np.asarray(rows, dtype=np.int64).reshape(-1, len(STATS))
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
            da.full(s, STORE_FILLS[name], dtype=output.dtype, chunks=c),
            dims=d,
            attrs={**output.attrs, **not_computed_attrs(name)},
        )
    coords: dict[str, Any] = {"eq": ("eq", np.arange(spec.max_eq), {"long_name": "equilibrium slot"})}
    if spec.derivatives:
        nw = len(spec.derivatives)
        # Variable-length strings: zarr v3 has a specification for them (fixed-length ones it warns about).
        coords["wrt"] = ("wrt", np.array(spec.derivatives, dtype=object), dict(WRT_ATTRS))
        for name in DERIVATIVE_OUTPUTS:
            var = f"d_{name}"
            data_vars[var] = xr.DataArray(
                da.full((*shape, spec.max_eq, nw), np.nan, dtype=np.float64, chunks=(*chunks, spec.max_eq, nw)),
                dims=(*dims, "eq", "wrt"),
                attrs={**derivative_attrs(name), **not_computed_attrs(var)},
            )
        data_vars["differentiable"] = xr.DataArray(
            da.full((*shape, spec.max_eq), False, dtype=bool, chunks=(*chunks, spec.max_eq)),
            dims=(*dims, "eq"),
            attrs={**DIFFERENTIABLE_ATTRS, **not_computed_attrs("differentiable")},
        )
    record = spec.parameter_record()

    def attrs(name: str) -> dict[str, Any]:
        how = record[name]["set_by"]
        return {**coordinate_attrs(name), "set_by": "the default" if how == "default" else "the specification"}

    if spec.design == "grid":
        for name, values in spec.axes:
            coords[name] = (name, np.asarray(values), attrs(name))
    else:
        coords["point"] = ("point", np.arange(spec.n_total), {"long_name": "design point"})
        relations = {n: (rel, base, kind, lo, hi) for n, rel, base, kind, lo, hi in spec.dependents}
        for name, values in sampled_design(spec).items():
            extra = {}
            if name in relations:
                rel, base, kind, lo, hi = relations[name]
                sign = "+" if rel == "above" else "-"
                extra = {
                    "depends_on": base,
                    "dependence": f"{name} = {base} {sign} {kind}[{lo:g}, {hi:g}] at every point",
                }
            coords[name] = ("point", values, {**attrs(name), **extra})
    # Every other parameter value used, defaults included, with its units: a scalar, or, for one
    # set equal to a swept parameter, that parameter's values along its dimension.
    for name, entry in record.items():
        value = entry["value"]
        if name in coords or name in ("theta", "cost_c") or value == "swept":
            continue
        if name == "range_cost" and isinstance(value, str):
            continue  # the mean of cost_c: recorded in allysweep_parameters
        if isinstance(value, str):
            leader = coords[value]
            coords[name] = (leader[0], leader[1], {**attrs(name), "equals": value})
        else:
            coords[name] = ((), float(value), attrs(name))
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
            **{
                SPEC_ATTR: json.dumps(spec.to_dict()),
                HASH_ATTR: spec.fingerprint(),
                RESOLVED_ATTR: json.dumps(spec.resolved().to_dict()),
                PARAMETERS_ATTR: json.dumps(record),
            },
        )
    )
    # No block is computed yet; the run sets it when the last block is done.
    ds.attrs[COMPLETE_ATTR] = False
    return ds


def _attr_value(value: Any) -> Any:
    """An attribute as JSON (numpy arrays and scalars as lists and numbers), as xarray writes it."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fill_attr(fill: float) -> str:
    """A float variable's ``_FillValue`` attribute as xarray's Zarr writer stores it (base64 of
    the little-endian double): it marks the fill as missing when the cube is read with CF decoding."""
    return base64.standard_b64encode(struct.pack("<d", float(fill))).decode()


def _create_store(spec: SweepSpec) -> None:
    """Write the cube's template: every array's metadata (shape, chunks, codecs, fill value,
    dimension names, attributes) through zarr's array API, and the coordinates' values. No
    chunk of an output is written and no Dask graph is built, so the time and memory it takes
    do not grow with the number of blocks (benches/scale.py). The layout is the one
    ``xarray.Dataset.to_zarr`` writes for :func:`_template` (``tests/test_scale.py`` compares
    every ``zarr.json`` with it), so ``xarray.open_zarr`` and :func:`open_cube` read it as before.
    """
    import zarr

    ds = _template(spec)
    root = zarr.open_group(
        str(spec.store), mode="w-", zarr_format=3, attributes={k: _attr_value(v) for k, v in ds.attrs.items()}
    )
    # Coordinates are written with zarr's defaults (auto chunks, zstd), as xarray writes numpy
    # variables; a non-dimension coordinate is named in the ``coordinates`` attribute of every
    # variable whose dimensions include its own.
    extra = {name: set(c.dims) for name, c in ds.coords.items() if c.dims != (name,)}
    for name, coord in ds.coords.items():
        values = np.asarray(coord.values)
        if values.dtype.kind == "O":
            values = values.astype(str)
        attrs = {k: _attr_value(v) for k, v in coord.attrs.items()}
        if values.dtype.kind == "f":
            attrs["_FillValue"] = _fill_attr(float("nan"))
        array = root.create_array(
            name,
            shape=values.shape,
            dtype=str if values.dtype.kind == "U" else values.dtype,
            fill_value=float("nan") if values.dtype.kind == "f" else None,
            dimension_names=coord.dims if coord.dims else None,
            attributes=attrs,
        )
        array[...] = values
    for name, var in ds.data_vars.items():
        per_equilibrium = "eq" in var.dims and "wrt" not in var.dims
        codecs = chunk_encoding(var.ndim, per_equilibrium=per_equilibrium)
        chunks = (*spec.chunks(), *var.shape[len(spec.dims) :])
        attrs = {k: _attr_value(v) for k, v in var.attrs.items()}
        fill = STORE_FILLS[name]
        if var.dtype.kind == "f":
            attrs["_FillValue"] = _fill_attr(fill)
        near = [c for c, dims in extra.items() if dims <= set(var.dims)]
        if near:
            attrs["coordinates"] = " ".join(sorted(near))
        root.create_array(
            name,
            shape=var.shape,
            chunks=chunks,
            dtype=var.dtype,
            fill_value=fill,
            dimension_names=var.dims,
            attributes=attrs,
            **codecs,
        )
    progress = root.create_group(PROGRESS_GROUP)
    n = block_count(spec)
    # One chunk per block, with the cube's codec, so workers write their flags as files directly
    # (write_chunk) and never share a chunk.
    codec = chunk_encoding()
    progress.create_array("done", shape=(n,), chunks=(1,), dtype="int8", fill_value=0, **codec)
    progress.create_array("computed", shape=(n,), chunks=(1,), dtype="int32", fill_value=0, **codec)
    # Attempts: counted when a block starts, so started > computed marks a block whose attempt
    # was lost mid-block (a killed worker) and started again (docs/conventions.md).
    progress.create_array("started", shape=(n,), chunks=(1,), dtype="int32", fill_value=0, **codec)
    progress.create_array("stats", shape=(n, len(STATS)), chunks=(1, len(STATS)), dtype="int64", fill_value=0, **codec)


def _store_attrs(store: str) -> dict[str, Any]:
    import zarr

    return dict(zarr.open_group(store, mode="r").attrs)


def _progress_entries(store: str, array: Any, name: str) -> np.ndarray:
    """Every entry of ``_progress/<name>`` (one chunk file per block), read as files: zarr reads
    one-element chunks at about 1 ms each (25 s for the 20,000 blocks of a 10^9-point cube, minutes
    at 10^10), a plain read and decode in tens of microseconds. A block whose file is absent has
    the fill value. Raises when the layout is not the flat one this reads (zarr reads it then)
    or an entry does not decode (the caller reads entry by entry)."""
    from .chunks import _direct_layout

    key = f"{PROGRESS_GROUP}/{name}"
    layout = _direct_layout(store, key)
    if layout is None or layout.separator != ".":
        raise LookupError(f"{key}: not a flat chunk layout")
    shape, chunk = tuple(array.shape), tuple(array.chunks)
    out = np.full(shape, array.fill_value, dtype=array.dtype)
    for entry in os.scandir(os.path.join(store, PROGRESS_GROUP, name)):
        if not entry.name.startswith("c."):  # zarr.json, hidden temporary files
            continue
        index = tuple(int(i) for i in entry.name.split(".")[1:])
        with open(entry.path, "rb") as f:
            values = layout.decode(f.read(), chunk, array.dtype)
        out[tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, chunk, strict=True))] = values
    return out


def completed_blocks(store: str | Path) -> np.ndarray:
    """Boolean array: which blocks of the cube at ``store`` are finished. An entry that does not
    decode (a damaged cube: ``allysweep verify`` lists it) reads as not finished."""
    import zarr

    done = zarr.open_group(str(store), mode="r")[PROGRESS_GROUP]["done"]
    try:
        return _progress_entries(str(store), done, "done").reshape(-1) == 1
    except Exception:  # one damaged entry: read them one by one
        from .chunks import read_chunk

        out = np.zeros(done.shape[0], dtype=bool)
        for i in range(done.shape[0]):
            try:
                out[i] = bool(read_chunk(done, str(store), f"{PROGRESS_GROUP}/done", (i,), (slice(i, i + 1),))[0] == 1)
            except Exception:
                out[i] = False
        return out


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
        try:
            stored = json.loads(attrs[SPEC_ATTR])
        except (KeyError, ValueError):
            stored = {}
        differ = spec_differences(stored, spec.to_dict()) if stored else []
        detail = f"; differing keys: {'; '.join(differ)}" if differ else ""
        raise StoreError(
            f"{path} was written for a different specification (fingerprint "
            f"{str(attrs.get(HASH_ATTR, 'none'))[:12]} != {spec.fingerprint()[:12]}{detail}): refusing to resume "
            "into it (nothing was changed)"
        )
    return "resumed"


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    if isinstance(value, list) and len(value) > 4 and all(isinstance(v, int | float) for v in value):
        return f"{len(value)} values from {min(value):g} to {max(value):g}"
    return json.dumps(value)


_ABSENT = object()


def spec_differences(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``section.key: stored X, now Y`` for every key of two canonical specifications that
    differs (what a refused resume reports)."""
    out = []
    for section in sorted(set(stored) | set(new)):
        a, b = stored.get(section, {}), new.get(section, {})
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key, _ABSENT), b.get(key, _ABSENT)
            if x != y:
                out.append(f"{section}.{key}: stored {_shown(x)}, now {_shown(y)}")
    return out


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
        try:
            _create_store(spec.with_store(tmp))
        except OSError as err:  # a full disk: nothing is left, and the message says why
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreWriteError(
                f"cannot write the template of {final}: {err.strerror or err} (nothing was changed)",
                err.errno,
                str(final),
            ) from None
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


def check_cube(store: str | Path) -> Path:
    """``store`` as a path if it holds an allysweep cube; otherwise a :class:`StoreError` saying
    what is there instead (nothing, a file, a directory that is no Zarr store, another store)."""
    path = Path(store)
    if _looks_like_cube(path):
        return path
    if not path.exists():
        reason = "the path does not exist"
    elif path.is_file():
        hint = f" (a sweep specification? run it with: allysweep run {path})" if path.suffix == ".toml" else ""
        reason = f"it is a file, not a Zarr store (a directory){hint}"
    elif not (path / "zarr.json").exists() and not (path / ".zgroup").exists():
        reason = "it is a directory but not a Zarr store (no zarr.json)"
    else:
        reason = f"it is a Zarr store without the {HASH_ATTR} attribute, not written by allysweep run"
    raise StoreError(f"{path}: no allysweep cube here: {reason}")


def _block_sizes(shape: tuple[int, ...], chunks: tuple[int, ...]) -> np.ndarray:
    """Points per block, shaped as the block grid."""
    sizes = np.ones((), dtype=np.int64)
    for n, c in zip(shape, chunks, strict=True):
        lengths = np.minimum(c, n - np.arange(0, n, c)).astype(np.int64)
        sizes = np.multiply.outer(sizes, lengths)
    return sizes


def _computed_mask(done: np.ndarray, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Any:
    """A lazy boolean array over the points: True where the point's block is done."""
    import dask.array as dsa

    if done.all():
        return dsa.ones(shape, chunks=chunks, dtype=bool)
    grid = tuple(-(-n // c) for n, c in zip(shape, chunks, strict=True))
    flags = done.reshape(grid)

    def block(x: np.ndarray, block_info: Any = None) -> np.ndarray:
        return np.full(x.shape, bool(flags[tuple(block_info[None]["chunk-location"])]))

    return dsa.zeros(shape, chunks=chunks, dtype=bool).map_blocks(block, dtype=bool)


def incomplete_message(attrs: dict[str, Any], what: str = "") -> str | None:
    """The warning for an incomplete cube (``None`` for a complete one) from the attributes
    :func:`open_cube` sets: how much is missing, what it reads as, and how to resume."""
    if attrs.get(COMPLETE_ATTR, True) is not False or "points_not_computed" not in attrs:
        return None
    missing, total = int(attrs["points_not_computed"]), int(attrs["points_total"])
    blocks = int(attrs["blocks_total"]) - int(attrs["blocks_done"])
    share = missing / total if total else 1.0
    store = attrs.get("store", "the cube")
    lead = f"{what}: " if what else ""
    return (
        f"{lead}{store} is incomplete: {missing:,} of {total:,} points ({share:.1%}) in {blocks} of "
        f"{int(attrs['blocks_total'])} blocks are not computed; they read as n_eq = {NOT_COMPUTED}, "
        f"kind = {NOT_COMPUTED}, status = {NOT_COMPUTED} (see the `computed` coordinate), not as results. "
        f"Finish the sweep with: allysweep run {store} --resume"
    )


def open_cube(store: str | Path, *, warn: bool = True) -> xr.Dataset:
    """Open a cube written by :func:`sweep` (lazily, with Dask).

    The dataset gets a boolean coordinate ``computed`` over the points (True where the point's
    block is finished) and the attributes ``complete`` (every block done, read from the store's
    ``_progress``), ``blocks_done``, ``blocks_total``, ``points_not_computed``, ``points_total``
    and ``store``. On an incomplete cube every output reads as its "not computed" value
    (:data:`STORE_FILLS`: ``n_eq = kind = status = -1``, NaN, False) at every point of an
    unfinished block, even where a killed run had written part of the block, and an
    :class:`~allysweep.exceptions.IncompleteCubeWarning` says how much is missing and how to
    resume.

    Parameters
    ----------
    store : path
        The cube (a Zarr store written by ``allysweep run`` / :func:`allysweep.sweep`).
    warn : bool
        Warn when the cube is incomplete (default).

    Raises
    ------
    StoreError
        No allysweep cube at ``store`` (the message says what is there instead).
    """
    import zarr

    if (Path(store) / "_adaptive").is_dir():  # an adaptive sweep (issue 14): its own layout
        from .adaptive import open_adaptive

        return open_adaptive(store)
    path = check_cube(store)
    ds = xr.open_zarr(str(path), consolidated=False)
    group = zarr.open_group(str(path), mode="r")
    done = completed_blocks(path)
    n_eq = group["n_eq"]
    shape, chunks = tuple(n_eq.shape), tuple(n_eq.chunks)
    dims = ds["n_eq"].dims
    computed = xr.DataArray(
        _computed_mask(done, shape, chunks),
        dims=dims,
        attrs={
            "long_name": "point computed",
            "units": "1",
            "description": "True where the point's block is finished (from _progress/done); elsewhere every "
            "output reads as its not-computed value.",
        },
    )
    sizes = _block_sizes(shape, chunks).ravel()
    complete = bool(done.all())
    if not complete:
        for name in list(ds.data_vars):
            if name in STORE_FILLS:
                var = ds[name]
                ds[name] = var.where(computed, STORE_FILLS[name]).astype(var.dtype)
                ds[name].attrs = var.attrs
                ds[name].encoding = var.encoding
    ds = ds.assign_coords(computed=computed)
    ds.attrs.update(
        {
            COMPLETE_ATTR: complete,
            "blocks_done": int(done.sum()),
            "blocks_total": int(done.size),
            "points_not_computed": int(sizes[~done].sum()),
            "points_total": int(sizes.sum()),
            "store": str(path.resolve()),
        }
    )
    message = incomplete_message(ds.attrs)
    if warn and message:
        warnings.warn(message, IncompleteCubeWarning, stacklevel=2)
    return ds


def cube_info(store: str | Path) -> list[str]:
    """Lines describing a cube: specification, dimensions, completeness and summary."""
    ds = open_cube(store, warn=False)
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
        + (" (complete)" if done.all() else f" (incomplete: {incomplete_message(ds.attrs)})")
    )
    lines.append("specification:")
    for section, table in spec.items():
        for key, value in table.items():
            if isinstance(value, list) and len(value) > 8 and all(isinstance(v, int | float) for v in value):
                shown = f"{len(value)} values from {min(value):g} to {max(value):g}"
            else:
                shown = value if isinstance(value, str) else json.dumps(value)
            lines.append(f"  {section}.{key} = {shown}")
    if PARAMETERS_ATTR in ds.attrs:
        lines.append("parameters (every value used; 'default' = not in the specification):")
        for name, entry in json.loads(ds.attrs[PARAMETERS_ATTR]).items():
            value, units = entry["value"], entry.get("units", "")
            if isinstance(value, int | float):
                shown = f"{value:g}"
            else:
                shown = f"{value} (at every point)" if FOLLOWABLE.get(name) == value else value
            unit = f" [{units}]" if units and units != "1" else ""
            lines.append(f"  {name} = {shown}{unit}" + (" (default)" if entry["set_by"] == "default" else ""))
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
