"""What every analysis reads from a cube: its parameters (grid dimensions or the coordinates of
a sampled design), an output per point (of the selected equilibrium, of one slot, derived, or
an indicator), and conditions (a regime, a flag, a boolean array), each checked and refused with
an :class:`~allysweep.exceptions.AnalysisError` naming what is wrong and what is available."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..exceptions import AnalysisError
from ..labelled import KIND_LABELS, _labels, selected
from ..sweeps.spec import FOLLOWABLE

__all__ = [
    "DERIVED",
    "parameters",
    "is_sampled",
    "per_point",
    "output",
    "condition",
    "output_names",
    "Derived",
]


@dataclass(frozen=True)
class Derived:
    """A quantity computed from stored outputs of the same equilibrium."""

    inputs: tuple[str, ...]
    compute: Callable[..., xr.DataArray]
    attrs: Mapping[str, str]


#: Derived outputs any analysis accepts by name (computed at the same equilibrium as their inputs).
DERIVED: dict[str, Derived] = {
    "challenge_ratio": Derived(
        ("prob_challenge_alliance", "prob_challenge_no_alliance"),
        lambda p1, p0: p1 / p0,
        {
            "long_name": "challenge ratio P1 / P0",
            "units": "1",
            "description": "prob_challenge_alliance / prob_challenge_no_alliance (NaN where a signal is off path "
            "or P0 = 0); the empirical anchor is about 0.72 (MODEL.md §12)",
        },
    ),
    "reliability": Derived(
        ("prob_renege",),
        lambda renege: 1 - renege,
        {
            "long_name": "reliability 1 - prob_renege",
            "units": "1",
            "description": "Pr(the ally intervenes | allied, D attacked); about 0.75 empirically (MODEL.md §1)",
        },
    ),
}

_INDICATOR = re.compile(r"^\s*kind\s*(==|!=)\s*([A-Za-z_ ]+?)\s*$")


def is_sampled(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a sampled design (dimension ``point``) rather than a grid."""
    return "point" in ds.dims


def parameters(ds: xr.Dataset) -> tuple[str, ...]:
    """The swept parameters of a cube or solved dataset: the dimensions of a grid (not ``eq``,
    ``wrt``), or the coordinates along ``point`` of a sampled design."""
    if is_sampled(ds):
        names = [str(n) for n, c in ds.coords.items() if c.dims == ("point",) and n not in ("point", "computed")]
        # A parameter that follows another at every point (p_coalition = p_alliance, c_d_joint =
        # c_d: their default rule, or `equals` in a cube) is not a parameter of its own.
        return tuple(
            n
            for n in names
            if not (
                ds[n].attrs.get("equals")
                or (FOLLOWABLE.get(n) in names and np.array_equal(ds[n].values, ds[FOLLOWABLE[n]].values))
            )
        )
    return tuple(str(d) for d in ds.dims if d not in ("eq", "wrt"))


def point_dims(ds: xr.Dataset) -> tuple[str, ...]:
    """The dimensions that index points: ``("point",)`` or the grid dimensions."""
    return ("point",) if is_sampled(ds) else tuple(str(d) for d in ds.dims if d not in ("eq", "wrt"))


def check_parameters(ds: xr.Dataset, names: Any, what: str = "parameter") -> tuple[str, ...]:
    """``names`` (None = all) as a tuple of swept parameters of ``ds``; an unknown one is refused."""
    available = parameters(ds)
    if names is None:
        return available
    if isinstance(names, str):
        names = (names,)
    out = tuple(str(n) for n in names)
    for name in out:
        if name not in available:
            raise AnalysisError(name, "not a swept parameter of the cube", available, what)
    if len(set(out)) != len(out):
        raise AnalysisError(out[0], "named twice", available, what)
    return out


def per_point(ds: xr.Dataset, eq: str | int = "selected") -> xr.Dataset:
    """Every output at one equilibrium per point: the selected one (:func:`allysweep.selected`)
    or slot ``eq``; ``kind`` as labels in both cases."""
    if not isinstance(ds, xr.Dataset):
        raise AnalysisError(type(ds).__name__, "expected an xarray.Dataset (asw.solve, asw.open_cube)", (), "input")
    if "eq" not in ds.dims:
        return ds
    if eq == "selected":
        if "selected" not in ds.data_vars:
            raise AnalysisError("selected", "the cube does not store it (sweep.outputs)", tuple(ds.data_vars), "output")
        return selected(ds)
    n = ds.sizes["eq"]
    if isinstance(eq, bool) or not isinstance(eq, int | np.integer) or not 0 <= int(eq) < n:
        raise AnalysisError(str(eq), "not an equilibrium slot", ("selected", *map(str, range(n))), "eq")
    out = ds.isel(eq=int(eq)).drop_vars("eq", errors="ignore")
    if "kind" in out and "n_eq" in out:
        code = out["kind"]
        labels = xr.apply_ufunc(_labels, code, out["n_eq"], dask="parallelized", output_dtypes=["<U16"])
        out = out.assign(kind=labels, kind_code=code)
    return out


def output_names(pp: xr.Dataset) -> tuple[str, ...]:
    """What :func:`output` accepts on ``pp``: numeric and flag variables, derived quantities
    whose inputs are stored, and ``kind == LABEL``."""
    names = [str(n) for n, v in pp.data_vars.items() if n not in ("kind",) and v.dtype.kind in "biuf"]
    names += [n for n, d in DERIVED.items() if all(i in pp.data_vars for i in d.inputs)]
    return (*names, "kind == LABEL", "kind != LABEL")


def _indicator(pp: xr.Dataset, text: str, what: str) -> xr.DataArray | None:
    match = _INDICATOR.match(text)
    if not match:
        return None
    op, label = match.group(1), match.group(2).strip()
    if label not in KIND_LABELS:
        raise AnalysisError(label, f"not a label of the selected kind in {text!r}", KIND_LABELS, "kind label")
    if "kind" not in pp:
        raise AnalysisError("kind", f"{text!r} needs the `kind` output", tuple(pp.data_vars), what)
    hit = pp["kind"] == label
    return hit if op == "==" else ~hit


def output(pp: xr.Dataset, name: Any, dims: tuple[str, ...] | None = None) -> xr.DataArray:
    """One output per point as floats, with ``long_name`` and ``units``.

    Parameters
    ----------
    pp : xarray.Dataset
        :func:`per_point` of a cube.
    name : str or xarray.DataArray
        A variable (flags become 0/1), a derived quantity (:data:`DERIVED`), an indicator
        ``"kind == cutpoint_bluff"`` (1 where the selected kind is that label), or a DataArray on
        the cube's point dimensions.
    """
    dims = dims if dims is not None else point_dims(pp)
    if isinstance(name, xr.DataArray):
        extra = [d for d in name.dims if d not in dims]
        if extra:
            raise AnalysisError(str(extra[0]), "the output has a dimension the cube's points do not", dims, "dimension")
        if name.dtype.kind not in "biuf":
            raise AnalysisError(str(name.name), f"not numeric ({name.dtype})", (), "output")
        return name.astype(float).broadcast_like(pp[list(pp.data_vars)[0]]).transpose(*dims)
    if not isinstance(name, str):
        raise AnalysisError(repr(name), "expected an output name or a DataArray", output_names(pp), "output")
    hit = _indicator(pp, name, "output")
    if hit is not None:
        out = hit.astype(float).assign_attrs(long_name=f"indicator: {name.strip()}", units="1").rename(name.strip())
        return out.transpose(*dims)
    if name in DERIVED:
        derived = DERIVED[name]
        missing = [i for i in derived.inputs if i not in pp.data_vars]
        if missing:
            raise AnalysisError(name, f"needs {', '.join(missing)}, which the cube does not store", output_names(pp))
        da = derived.compute(*(pp[i].astype(float) for i in derived.inputs))
        return da.assign_attrs(dict(derived.attrs)).rename(name).transpose(*dims)
    if name == "kind":
        raise AnalysisError(name, "is categorical: use an indicator such as 'kind == cutpoint_bluff'", output_names(pp))
    if name not in pp.data_vars or pp[name].dtype.kind not in "biuf":
        raise AnalysisError(name, "not an output of the cube", output_names(pp))
    da = pp[name]
    return da.astype(float).assign_attrs(dict(da.attrs)).rename(name).transpose(*dims)


def condition(pp: xr.Dataset, where: Any, dims: tuple[str, ...] | None = None) -> xr.DataArray | None:
    """A condition on the points as a boolean DataArray (``None`` for none).

    ``where`` is ``"kind == LABEL"`` / ``"kind != LABEL"``, the name of a flag (``"stable"``,
    ``"d1_ok"``, ``"gain_increasing"``...), or a boolean DataArray on (some of) the cube's point
    dimensions."""
    if where is None:
        return None
    dims = dims if dims is not None else point_dims(pp)
    template = pp[list(pp.data_vars)[0]]
    if isinstance(where, xr.DataArray):
        extra = [d for d in where.dims if d not in dims]
        if extra:
            raise AnalysisError(
                str(extra[0]), "the condition has a dimension the cube's points do not", dims, "dimension"
            )
        if where.dtype != np.bool_:
            raise AnalysisError(str(where.name), f"a condition must be boolean, not {where.dtype}", (), "condition")
        return where.broadcast_like(template).transpose(*dims)
    if isinstance(where, str):
        hit = _indicator(pp, where, "condition")
        if hit is not None:
            return hit.transpose(*dims)
        flags = tuple(str(n) for n, v in pp.data_vars.items() if v.dtype == np.bool_)
        if where in flags:
            return pp[where].transpose(*dims)
        raise AnalysisError(where, "not a condition", (*flags, "kind == LABEL", "kind != LABEL"), "condition")
    raise AnalysisError(repr(where), "expected 'kind == LABEL', a flag name or a boolean DataArray", (), "condition")


def computed_mask(ds: xr.Dataset, dims: tuple[str, ...]) -> xr.DataArray | None:
    """Where the points are computed (None when every point is: a complete cube or a solve)."""
    if "computed" not in ds.coords:
        return None
    mask = ds.coords["computed"]
    if bool(mask.all()):
        return None
    return mask.transpose(*dims)
