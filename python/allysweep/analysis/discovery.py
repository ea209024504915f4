"""Scenario discovery with PRIM (the ``prim`` package: EMA Workbench's implementation, itself
from RAND's sdtoolkit; not re-implemented): boxes of parameter ranges where a condition holds,
one-vs-rest for every regime label at once, with the peeling trajectory as data."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from ..exceptions import AnalysisError
from .data import check_parameters, computed_mask, condition, per_point, point_dims

__all__ = ["prim", "prim_table"]


def _values(pp: xr.Dataset, name: str, dims: tuple[str, ...]) -> np.ndarray:
    return np.asarray(pp[name].broadcast_like(pp[list(pp.data_vars)[0]]).transpose(*dims).values, dtype=float).ravel()


def prim(
    cube: xr.Dataset,
    where: Any = None,
    *,
    labels: Any = None,
    eq: str | int = "selected",
    parameters: Any = None,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
) -> xr.Dataset:
    """PRIM boxes for a condition on the cube, or for every regime label one-vs-rest.

    Parameters
    ----------
    cube : xarray.Dataset
        A cube or solved dataset (grid or sampled design).
    where : str or xarray.DataArray, optional
        One condition to find a box for (``"kind == cutpoint_bluff"``, a flag, a boolean
        DataArray: see :func:`allysweep.analysis.data.condition`). Default: every label of the
        selected kind (``asw.selected(ds).kind``) present in the cube, each against the rest.
    labels : list of str, optional
        Only these labels (one-vs-rest), instead of every one present.
    eq : "selected" or int
        The equilibrium whose kind is labelled.
    parameters : list of str, optional
        The parameters PRIM may restrict (default: every swept one).
    peel_alpha, paste_alpha, mass_min
        PRIM's settings (the share peeled per step, pasted per step, and the smallest box mass).
    min_coverage : float
        The box chosen on each trajectory is the densest of those that keep at least this share
        of the label's points (ties: the larger coverage).

    Returns
    -------
    xarray.Dataset
        Along (``label``, ``step``): the peeling trajectory ``coverage``, ``density``, ``mass``,
        ``res_dim``; along (``label``, ``step``, ``parameter``): the box limits ``box_lo``,
        ``box_hi``; per label: ``chosen`` (the step chosen), ``n_label`` (points with the label)
        and ``share`` (of all points). :func:`prim_table` gives the chosen boxes as a table;
        :func:`allysweep.views.analysis.prim_trajectory` and ``prim_boxes`` draw them.
    """
    import pandas as pd
    from prim import Prim

    pp = per_point(cube, eq)
    dims = point_dims(pp)
    params = check_parameters(pp, parameters)
    for name, value, lo, hi in (
        ("peel_alpha", peel_alpha, 0, 0.5),
        ("paste_alpha", paste_alpha, 0, 0.5),
        ("mass_min", mass_min, 0, 1),
        ("min_coverage", min_coverage, 0, 1),
    ):
        if not (isinstance(value, int | float) and not isinstance(value, bool) and lo < value <= hi):
            raise AnalysisError(name, f"must be a number in ({lo}, {hi}], got {value!r}", (), "setting")
    done = computed_mask(pp, dims)
    keep = np.ones(int(np.prod([pp.sizes[d] for d in dims])), dtype=bool)
    if done is not None:
        keep &= np.asarray(done.values, dtype=bool).ravel()
    targets: dict[str, np.ndarray] = {}
    if where is not None:
        if labels is not None:
            raise AnalysisError("labels", "give either a condition (where=) or labels, not both", (), "setting")
        cond = condition(pp, where, dims)
        name = where if isinstance(where, str) else str(where.name or "condition")
        targets[name] = np.asarray(cond.values, dtype=bool).ravel()
    else:
        if "kind" not in pp:
            raise AnalysisError("kind", "one-vs-rest needs the `kind` output", tuple(pp.data_vars), "output")
        kinds = np.asarray(pp["kind"].transpose(*dims).values).ravel()
        present = [str(k) for k in dict.fromkeys(kinds[keep].tolist())]
        wanted = present if labels is None else [labels] if isinstance(labels, str) else list(labels)
        for label in wanted:
            if label not in present:
                raise AnalysisError(label, "not a label of the selected kind in this cube", tuple(present), "label")
            targets[label] = kinds == label
    x = pd.DataFrame({p: _values(pp, p, dims)[keep] for p in params})
    results = []
    for label, hit in targets.items():
        y = hit[keep]
        if not y.any():
            raise AnalysisError(label, "holds at no point: no box to find", (), "condition")
        if y.all():
            raise AnalysisError(label, "holds at every point: the box is the whole cube", (), "condition")
        logging.getLogger("prim").setLevel(logging.WARNING)
        box = Prim(x, y, threshold=None, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min).find_box()
        traj = box.peeling_trajectory
        lims = box._box_lims  # one record per step: row 0 the lower, row 1 the upper limits
        lo = np.array([[float(lim[p][0]) for p in params] for lim in lims])
        hi = np.array([[float(lim[p][1]) for p in params] for lim in lims])
        density = traj["density"].to_numpy(dtype=float)
        coverage = traj["coverage"].to_numpy(dtype=float)
        ok = np.flatnonzero(coverage >= min_coverage)  # step 0 (the whole cube) always qualifies
        best = density[ok].max()
        chosen = int(ok[np.flatnonzero(density[ok] >= best - 1e-12)[0]])
        results.append((label, traj, lo, hi, chosen, int(y.sum()), float(y.mean())))
    steps = max(len(r[1]) for r in results)

    def pad(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        out = np.full(shape, np.nan)
        out[tuple(slice(0, s) for s in a.shape)] = a
        return out

    labels_out = [r[0] for r in results]
    data: dict[str, Any] = {}
    for col, var, long_name in (
        ("coverage", "coverage", "share of the label's points inside the box"),
        ("density", "density", "share of the box's points that have the label"),
        ("mass", "mass", "share of all points inside the box"),
        ("res dim", "res_dim", "number of restricted parameters"),
    ):
        arr = np.stack([pad(r[1][col].to_numpy(dtype=float), (steps,)) for r in results])
        data[var] = (("label", "step"), arr, {"long_name": long_name, "units": "1"})
    data["box_lo"] = (
        ("label", "step", "parameter"),
        np.stack([pad(r[2], (steps, len(params))) for r in results]),
        {"long_name": "lower limit of the box"},
    )
    data["box_hi"] = (
        ("label", "step", "parameter"),
        np.stack([pad(r[3], (steps, len(params))) for r in results]),
        {"long_name": "upper limit of the box"},
    )
    data["chosen"] = (
        "label",
        [r[4] for r in results],
        {"long_name": f"step chosen (densest with coverage >= {min_coverage})"},
    )
    data["n_label"] = ("label", [r[5] for r in results], {"long_name": "points with the label", "units": "1"})
    data["share"] = (
        "label",
        [r[6] for r in results],
        {"long_name": "share of the points with the label", "units": "1"},
    )
    coords: dict[str, Any] = {
        "label": ("label", labels_out, {"long_name": "condition (one-vs-rest)"}),
        "step": ("step", np.arange(steps), {"long_name": "peeling / pasting step"}),
        "parameter": ("parameter", list(params), {"long_name": "swept parameter"}),
    }
    # The parameters' meanings and units, for labelled axes.
    coords["parameter_long_name"] = ("parameter", [str(pp[p].attrs.get("long_name", p)) for p in params])
    coords["parameter_units"] = ("parameter", [str(pp[p].attrs.get("units", "")) for p in params])
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        {
            "title": "PRIM scenario discovery",
            "method": "prim",
            "eq": str(eq),
            "peel_alpha": peel_alpha,
            "paste_alpha": paste_alpha,
            "mass_min": mass_min,
            "min_coverage": min_coverage,
            "prior_lo": [float(x[p].min()) for p in params],
            "prior_hi": [float(x[p].max()) for p in params],
        }
    )
    return ds


def prim_table(result: xr.Dataset, restricted_only: bool = False) -> Any:
    """The chosen box of every label as a table (pandas DataFrame indexed by label and
    parameter): ``lo``, ``hi``, whether PRIM ``restricted`` the parameter, and the box's
    ``coverage`` and ``density``."""
    import pandas as pd

    if not isinstance(result, xr.Dataset) or "chosen" not in result or "box_lo" not in result:
        raise AnalysisError(type(result).__name__, "expected what asw.analysis.prim returns", (), "input")
    prior_lo, prior_hi = result.attrs["prior_lo"], result.attrs["prior_hi"]
    rows = []
    for label in result.label.values:
        row = result.sel(label=label)
        i = int(row.chosen)
        for j, p in enumerate(result.parameter.values):
            lo, hi = float(row.box_lo.isel(step=i, parameter=j)), float(row.box_hi.isel(step=i, parameter=j))
            restricted = lo > prior_lo[j] or hi < prior_hi[j]
            if restricted_only and not restricted:
                continue
            rows.append(
                {
                    "label": str(label),
                    "parameter": str(p),
                    "lo": lo,
                    "hi": hi,
                    "restricted": restricted,
                    "coverage": float(row.coverage.isel(step=i)),
                    "density": float(row.density.isel(step=i)),
                }
            )
    return pd.DataFrame(rows).set_index(["label", "parameter"])
