"""Calibration to empirical targets by history matching, with identifiability in numbers.

The solver is exact and cheap, so there is no emulator: the implausibility of a target at a
point is ``|y(x) - z| / sqrt(sd² + discrepancy²)`` with ``y`` the model's output there, ``z`` the
target value, ``sd`` its uncertainty and ``discrepancy`` an optional model discrepancy; the
combined implausibility is the largest over the targets, and a point is *not ruled out yet*
(NROY) where it is at most ``threshold`` (3 by default: Pukelsheim's three-sigma rule). A point
where a targeted output is undefined (NaN: off path, no equilibrium, not computed) is ruled out.

Identifiability is read off the NROY set (docs/analysis.md):

* ``range_fraction``: the NROY range of a parameter over its swept range;
* ``ruled_out_values`` (grids): the share of a parameter's grid values at which no point matches;
* ``ks_distance``: the largest gap between the parameter's distribution over the NROY points and
  over all points (0 exactly when the targets do not select on it at all);
* ``conditional_constraint``: the share of a parameter's values that are ruled out once the
  other parameters are fixed, averaged over the lines along it that hold a match; on a grid it is
  0 exactly when the NROY set does not depend on the parameter (it is unidentified) and near 1
  when the others pin it; on a sampled design it is estimated on quantile bins (a line is a cell
  of the others' joint bins, about ``CELL_POINTS`` points each), so it is near 0, not exactly 0,
  for an unidentified parameter;
* ``pair_constraint``: for two parameters, the share of the rectangle spanned by their NROY
  projections that is ruled out (0: separate constraints; large: a ridge or band along which
  they trade off), with ``nroy_correlation`` giving the direction.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..exceptions import AnalysisError
from .data import check_parameters, computed_mask, is_sampled, output, output_names, per_point, point_dims

__all__ = ["calibrate", "nroy_table", "resample", "solve_points", "VERDICTS"]

#: What ``verdict`` says about each parameter, and when (docs/analysis.md).
VERDICTS = {
    "not constrained": "the NROY set does not depend on it (ks_distance and conditional_constraint are 0)",
    "constrained only jointly": "almost every value of it still matches (ruled_out_values < 0.25) but given the "
    "others most are ruled out (conditional_constraint >= 0.5): it lies on a ridge with them",
    "constrained": "the targets rule out a quarter or more of its values on their own",
    "weakly constrained": "anything else",
    "no match": "no point is not ruled out",
}
_EXACT = 1e-12
#: A pair whose ``pair_constraint`` reaches this is called a ridge in the ``identifiability`` statement.
RIDGE = 0.5
#: On a sampled design, ``conditional_constraint`` bins the other parameters so coarsely that a
#: cell of their joint bins holds about this many design points on average.
CELL_POINTS = 20


def _targets(targets: Any, pp: xr.Dataset) -> dict[str, tuple[float, float]]:
    if not isinstance(targets, Mapping) or not targets:
        raise AnalysisError(
            repr(targets), "expected a dict {output: (value, uncertainty)}", output_names(pp), "targets"
        )
    out = {}
    for name, spec in targets.items():
        try:
            value, sd = (float(x) for x in spec)
        except (TypeError, ValueError):
            raise AnalysisError(str(name), f"expected (value, uncertainty), got {spec!r}", (), "target") from None
        if not np.isfinite(value):
            raise AnalysisError(str(name), f"the target value must be finite, got {value}", (), "target")
        if not (np.isfinite(sd) and sd > 0):
            raise AnalysisError(str(name), f"the uncertainty must be finite and > 0, got {sd}", (), "target")
        out[str(name)] = (value, sd)
    return out


def calibrate(
    cube: xr.Dataset,
    targets: Mapping[str, tuple[float, float]],
    *,
    eq: str | int = "selected",
    threshold: float = 3.0,
    discrepancy: Mapping[str, float] | None = None,
    parameters: Any = None,
    bins: int = 20,
) -> xr.Dataset:
    """History matching of a cube to empirical targets.

    Parameters
    ----------
    cube : xarray.Dataset
        A sweep cube (:func:`allysweep.open_cube`) or a solved dataset (:func:`allysweep.solve`),
        on a grid or a sampled design.
    targets : dict
        ``{output: (value, uncertainty)}``: outputs of the equilibrium ``eq`` (any numeric
        output, a derived one such as ``challenge_ratio`` or ``reliability``, or an indicator
        ``"kind == LABEL"``), each with its observed value and its standard uncertainty (> 0).
    eq : "selected" or int
        Read the outputs at the selected equilibrium (default) or at this slot.
    threshold : float
        A point is not ruled out where the largest implausibility is at most this (default 3).
    discrepancy : dict, optional
        Model discrepancy per target (a standard deviation added in quadrature; default 0).
    parameters : list of str, optional
        The parameters whose identifiability is reported (default: every swept one).
    bins : int
        Quantile bins per parameter for the pairwise figures of a sampled design.

    Returns
    -------
    xarray.Dataset
        On the cube's point dimensions: ``output`` and ``implausibility`` (along ``target``),
        ``implausibility_max`` and the boolean mask ``nroy``. Along ``parameter``: ``prior_lo``,
        ``prior_hi``, ``nroy_lo``, ``nroy_hi``, ``range_fraction``, ``ruled_out_values``,
        ``ks_distance``, ``ks_pvalue`` (sampled designs), ``conditional_constraint`` and
        ``verdict``; along (``parameter``, ``parameter_2``): ``pair_constraint`` and
        ``nroy_correlation``. Scalars ``n_nroy`` and ``nroy_share``. The attribute
        ``identifiability`` states the verdicts in words.

    Raises
    ------
    AnalysisError
        An unknown target output, a malformed target, a threshold that is not positive, an
        unknown parameter or equilibrium slot.

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> ds = asw.solve(k=np.linspace(0, 0.12, 25), r=np.linspace(0, 0.14, 15), c_c_extra=0.0, p_alliance=0.6)
    >>> cal = asw.analysis.calibrate(ds, {"prob_renege": (0.25, 0.05), "challenge_ratio": (0.72, 0.05)})
    >>> bool(cal.nroy.any())
    True
    """
    pp = per_point(cube, eq)
    dims = point_dims(pp)
    goals = _targets(targets, pp)
    if not (isinstance(threshold, int | float) and not isinstance(threshold, bool) and threshold > 0):
        raise AnalysisError(repr(threshold), "the threshold must be a positive number", (), "threshold")
    discrepancy = dict(discrepancy or {})
    for name, value in discrepancy.items():
        if name not in goals:
            raise AnalysisError(name, "a discrepancy for something that is not a target", tuple(goals), "discrepancy")
        if not (np.isfinite(value) and value >= 0):
            raise AnalysisError(name, f"the discrepancy must be finite and >= 0, got {value}", (), "discrepancy")
    params = check_parameters(pp, parameters)
    if not isinstance(bins, int) or bins < 2:
        raise AnalysisError(repr(bins), "bins must be a whole number >= 2", (), "bins")

    values = [output(pp, name, dims).load() for name in goals]
    done = computed_mask(pp, dims)
    imps = []
    for name, da in zip(goals, values, strict=True):
        z, sd = goals[name]
        scale = float(np.hypot(sd, discrepancy.get(name, 0.0)))
        imp = (abs(da - z) / scale).fillna(np.inf)
        if done is not None:
            imp = imp.where(done, np.inf)
        imps.append(imp)
    target = xr.DataArray(list(goals), dims="target", attrs={"long_name": "calibration target"})
    out_da = xr.concat(values, dim=target).drop_vars([c for c in ("kind",) if c in values[0].coords], errors="ignore")
    imp_da = xr.concat(imps, dim=target)
    imp_max = imp_da.max("target")
    nroy = imp_max <= threshold
    ds = xr.Dataset(
        {
            "output": out_da.assign_attrs(long_name="targeted output at the point", units="1"),
            "implausibility": imp_da.assign_attrs(
                long_name="implausibility |y - z| / sqrt(sd² + discrepancy²)",
                units="1",
                description="inf where the output is undefined (NaN) or the point not computed",
            ),
            "implausibility_max": imp_max.assign_attrs(long_name="largest implausibility over the targets", units="1"),
            "nroy": nroy.assign_attrs(
                long_name=f"not ruled out yet (largest implausibility <= {threshold:g})", units="1"
            ),
        },
        coords={
            "target_value": ("target", [goals[n][0] for n in goals], {"long_name": "observed value", "units": "1"}),
            "target_sd": ("target", [goals[n][1] for n in goals], {"long_name": "its uncertainty", "units": "1"}),
        },
    )
    n_nroy = int(nroy.sum())
    ds["n_nroy"] = xr.DataArray(n_nroy, attrs={"long_name": "points not ruled out", "units": "1"})
    ds["nroy_share"] = xr.DataArray(
        n_nroy / int(np.prod([pp.sizes[d] for d in dims])), attrs={"long_name": "share of points not ruled out"}
    )
    ds = ds.merge(_identifiability(pp, dims, nroy.values, params, bins))
    ds.attrs.update(
        {
            "title": "allysweep calibration (history matching)",
            "threshold": float(threshold),
            "eq": str(eq),
            "targets": json.dumps({n: list(v) for n, v in goals.items()}),
            "design": "sampled" if is_sampled(pp) else "grid",
            "identifiability": _statement(ds),
        }
    )
    for key in ("theta_family", "cost_c_family", "theta", "cost_c"):
        if key in cube.attrs:
            ds.attrs[key] = cube.attrs[key]
    return ds


def _values(pp: xr.Dataset, name: str, dims: tuple[str, ...]) -> np.ndarray:
    """The parameter's value at every point, as an array shaped like the points."""
    return np.asarray(pp[name].broadcast_like(pp[list(pp.data_vars)[0]]).transpose(*dims).values, dtype=float)


def _ecdf_gap(x: np.ndarray, sub: np.ndarray) -> float:
    grid = np.unique(x)
    f_all = np.searchsorted(np.sort(x), grid, side="right") / x.size
    f_sub = np.searchsorted(np.sort(sub), grid, side="right") / sub.size
    return float(np.max(np.abs(f_all - f_sub)))


def _identifiability(
    pp: xr.Dataset, dims: tuple[str, ...], nroy: np.ndarray, params: tuple[str, ...], bins: int
) -> xr.Dataset:
    from scipy.stats import ks_2samp

    sampled = is_sampled(pp)
    n = len(params)
    flat = nroy.ravel()
    any_match = bool(flat.any())
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "prior_lo",
            "prior_hi",
            "nroy_lo",
            "nroy_hi",
            "range_fraction",
            "ruled_out_values",
            "ks_distance",
            "ks_pvalue",
            "conditional_constraint",
        )
    }
    vals = {p: _values(pp, p, dims).ravel() for p in params}
    if sampled:
        # Lines along a parameter are cells of the others' joint quantile bins, coarse enough
        # that a cell holds about CELL_POINTS design points on average.
        per_axis = int(max(2, min(bins, np.floor((flat.size / CELL_POINTS) ** (1 / max(n, 1))))))
        coarse = [_bin(vals[p], per_axis, True) for p in params]
    for p in params:
        x = vals[p]
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        rows["prior_lo"].append(lo)
        rows["prior_hi"].append(hi)
        if not any_match:
            for k in ("nroy_lo", "nroy_hi", "range_fraction", "ruled_out_values", "ks_distance", "ks_pvalue"):
                rows[k].append(np.nan)
            rows["conditional_constraint"].append(np.nan)
            continue
        sub = x[flat]
        rows["nroy_lo"].append(float(sub.min()))
        rows["nroy_hi"].append(float(sub.max()))
        rows["range_fraction"].append(float((sub.max() - sub.min()) / (hi - lo)) if hi > lo else 1.0)
        rows["ks_distance"].append(_ecdf_gap(x, sub))
        if sampled:
            rest = x[~flat]
            rows["ks_pvalue"].append(float(ks_2samp(sub, rest).pvalue) if rest.size else 1.0)
            rows["ruled_out_values"].append(np.nan)
            rows["conditional_constraint"].append(_binned_conditional(coarse, params.index(p), flat))
        else:
            axis = dims.index(p)
            others = tuple(i for i in range(nroy.ndim) if i != axis)
            line_has = nroy.any(axis=axis)
            rows["ks_pvalue"].append(np.nan)
            rows["ruled_out_values"].append(float(1 - nroy.any(axis=others).mean()))
            rows["conditional_constraint"].append(float(1 - nroy.sum() / (nroy.shape[axis] * line_has.sum())))
    pair = np.full((n, n), np.nan)
    corr = np.full((n, n), np.nan)
    binned = {p: _bin(vals[p], bins, sampled) for p in params}
    has_design = np.ones_like(flat)
    for i, a in enumerate(params):
        for j, b in enumerate(params):
            if i == j or not any_match:
                continue
            pair[i, j] = _pair_constraint(binned[a], binned[b], flat, has_design)
            xa, xb = vals[a][flat], vals[b][flat]
            if xa.std() > 0 and xb.std() > 0:
                corr[i, j] = float(np.corrcoef(xa, xb)[0, 1])
    verdicts = [
        _verdict(rows["ks_distance"][i], rows["conditional_constraint"][i], rows["ruled_out_values"][i], rows, i)
        for i in range(n)
    ]
    attrs = {
        "prior_lo": ("lowest swept value", "units of the parameter"),
        "prior_hi": ("highest swept value", "units of the parameter"),
        "nroy_lo": ("lowest value not ruled out", "units of the parameter"),
        "nroy_hi": ("highest value not ruled out", "units of the parameter"),
        "range_fraction": ("NROY range / swept range", "1"),
        "ruled_out_values": ("share of the grid values at which no point matches", "1"),
        "ks_distance": ("largest gap between its distribution over NROY points and over all points", "1"),
        "ks_pvalue": ("p-value of the two-sample KS test, NROY points against the rest (sampled designs)", "1"),
        "conditional_constraint": (
            "share of its values ruled out given the other parameters (sampled designs: on quantile bins)",
            "1",
        ),
    }
    coords = {"parameter": ("parameter", list(params), {"long_name": "swept parameter"})}
    data = {
        k: xr.DataArray(np.asarray(v, dtype=float), dims="parameter", attrs={"long_name": a[0], "units": a[1]})
        for k, (v, a) in ((k, (rows[k], attrs[k])) for k in rows)
    }
    data["verdict"] = xr.DataArray(
        np.array(verdicts, dtype=object), dims="parameter", attrs={"long_name": "what the targets say about it"}
    )
    data["pair_constraint"] = xr.DataArray(
        pair,
        dims=("parameter", "parameter_2"),
        attrs={"long_name": "share of the rectangle of the pair's NROY projections that is ruled out", "units": "1"},
    )
    data["nroy_correlation"] = xr.DataArray(
        corr, dims=("parameter", "parameter_2"), attrs={"long_name": "correlation of the pair over NROY points"}
    )
    coords["parameter_2"] = ("parameter_2", list(params), {"long_name": "swept parameter"})
    return xr.Dataset(data, coords=coords)


def _bin(x: np.ndarray, bins: int, sampled: bool) -> np.ndarray:
    """Integer bin of every value: the grid value itself, or a quantile bin of a sample."""
    if not sampled:
        return np.unique(x, return_inverse=True)[1]
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, x, side="right")


def _binned_conditional(codes: list[np.ndarray], i: int, nroy: np.ndarray) -> float:
    """``conditional_constraint`` of parameter ``i`` on a sampled design: a line along it is a
    cell of the other parameters' joint bins; among the occupied (line, bin of ``i``) cells of
    the lines that hold a match, the share without a match. On a grid, with every grid value its
    own bin, this is the exact figure."""
    if not nroy.any():
        return float("nan")
    others = [c for j, c in enumerate(codes) if j != i]
    line = np.ravel_multi_index(others, tuple(int(c.max()) + 1 for c in others)) if others else np.zeros_like(codes[i])
    width = int(codes[i].max()) + 1
    cell = line.astype(np.int64) * width + codes[i]
    occupied = np.unique(cell)
    in_matching_line = np.isin(occupied // width, np.unique(line[nroy]))
    return float(1 - np.unique(cell[nroy]).size / int(in_matching_line.sum()))


def _pair_constraint(a: np.ndarray, b: np.ndarray, nroy: np.ndarray, design: np.ndarray) -> float:
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    occupied = np.zeros((na, nb), dtype=bool)
    occupied[a[design], b[design]] = True
    match = np.zeros((na, nb), dtype=bool)
    match[a[nroy], b[nroy]] = True
    box = np.outer(match.any(axis=1), match.any(axis=0)) & occupied
    return float(1 - match.sum() / box.sum())


def _verdict(ks: float, cond: float, ruled_out: float, rows: dict[str, list[Any]], i: int) -> str:
    if not np.isfinite(ks):
        return "no match"
    marginal = ruled_out if np.isfinite(ruled_out) else 1 - rows["range_fraction"][i]
    if ks <= _EXACT and (not np.isfinite(cond) or cond <= _EXACT):
        return "not constrained"
    if np.isfinite(cond) and marginal < 0.25 and cond >= 0.5:
        return "constrained only jointly"
    if marginal >= 0.25:
        return "constrained"
    return "weakly constrained"


def _statement(ds: xr.Dataset) -> str:
    parts = []
    for p in ds.parameter.values:
        row = ds.sel(parameter=p)
        verdict = str(row.verdict.values)
        numbers = f"ks_distance {float(row.ks_distance):.3g}"
        if np.isfinite(float(row.conditional_constraint)):
            numbers += f", conditional_constraint {float(row.conditional_constraint):.3g}"
        if np.isfinite(float(row.ruled_out_values)):
            numbers += f", ruled_out_values {float(row.ruled_out_values):.3g}"
        parts.append(f"{p}: {verdict} ({numbers})")
    names = list(ds.parameter.values)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            pc = float(ds.pair_constraint.sel(parameter=a, parameter_2=b))
            if np.isfinite(pc) and pc >= RIDGE:
                rho = float(ds.nroy_correlation.sel(parameter=a, parameter_2=b))
                parts.append(
                    f"{a} and {b} trade off along a ridge (pair_constraint {pc:.3g}, nroy_correlation {rho:.3g})"
                )
    return "; ".join(parts)


def nroy_table(cal: xr.Dataset) -> Any:
    """The NROY summary and identifiability figures as a table (a pandas DataFrame, one row per
    parameter)."""
    cols = [
        "prior_lo",
        "prior_hi",
        "nroy_lo",
        "nroy_hi",
        "range_fraction",
        "ruled_out_values",
        "ks_distance",
        "ks_pvalue",
        "conditional_constraint",
        "verdict",
    ]
    if not isinstance(cal, xr.Dataset) or "nroy" not in cal or "parameter" not in cal.dims:
        raise AnalysisError("cal", "expected what asw.analysis.calibrate returns", (), "input")
    return cal[cols].to_dataframe()[cols]


def resample(cal: xr.Dataset, cube: xr.Dataset, n: int, *, seed: int = 0) -> xr.Dataset:
    """New points inside the not-ruled-out region, to solve and calibrate again (refinement).

    Each new point is an NROY point of ``cal`` drawn at random, moved uniformly within its cell:
    on a grid, halfway to the neighbouring grid values along every axis; on a sampled design,
    within ± half the typical spacing of the design along every factor. Points stay inside the
    swept box, and a dependent range (``above`` / ``below``) is moved along its offset, so every
    new point lies where the design was valid.

    Parameters
    ----------
    cal : xarray.Dataset
        What :func:`calibrate` returned for ``cube``.
    cube : xarray.Dataset
        The cube (or solved dataset) it was computed from.
    n : int
        Number of new points (>= 1).
    seed : int
        Seed of the random draw.

    Returns
    -------
    xarray.Dataset
        Coordinates along a new dimension ``point``: one per swept parameter. Pass it to
        :func:`solve_points` (or write a list design with :func:`allysweep.analysis.refine_spec`).
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise AnalysisError(repr(n), "n must be a whole number >= 1", (), "n")
    if "nroy" not in cal:
        raise AnalysisError("cal", "expected what asw.analysis.calibrate returns", (), "input")
    pp = per_point(cube, "selected") if "eq" in cube.dims and "selected" in cube else cube
    dims = point_dims(pp)
    mask = cal["nroy"].transpose(*dims).values.ravel()
    if not mask.any():
        raise AnalysisError("nroy", "no point is not ruled out: nothing to resample", (), "calibration")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.flatnonzero(mask), size=n, replace=True)
    params = [p for p in cal.parameter.values.tolist()]
    spec = _spec_of(cube)
    if not is_sampled(pp):
        out = {}
        for p in params:
            axis = np.asarray(pp[p].values, dtype=float)
            idx = np.unravel_index(chosen, [pp.sizes[d] for d in dims])[dims.index(p)]
            order = np.argsort(axis)
            a = axis[order]
            pos = np.searchsorted(a, axis[idx])
            left = np.where(pos > 0, (a[np.maximum(pos - 1, 0)] + a[pos]) / 2, a[pos])
            right = np.where(pos < len(a) - 1, (a[np.minimum(pos + 1, len(a) - 1)] + a[pos]) / 2, a[pos])
            out[p] = left + rng.random(n) * (right - left)
        return _points(out, pp)
    values = {p: _values(pp, p, dims).ravel() for p in params}
    if spec is not None and spec.dependents and set(spec.swept) <= set(params):
        from ..sweeps.design import factor_values

        f = factor_values(spec, values)
        names = [name for name, *_ in spec.factors]
        lo = np.array([b[2] for b in spec.factors])
        hi = np.array([b[3] for b in spec.factors])
    else:
        f = np.stack([values[p] for p in params], axis=1)
        names = params
        lo, hi = f.min(axis=0), f.max(axis=0)
    h = (hi - lo) / (2 * max(len(mask), 1) ** (1 / f.shape[1]))
    new = np.clip(f[chosen] + (2 * rng.random((n, f.shape[1])) - 1) * h, lo, hi)
    if names is not params:
        n_ranges = len(spec.ranges)
        ranged = {name: new[:, j] for j, (name, *_) in enumerate(spec.ranges)}
        offsets = {name: new[:, n_ranges + j] for j, (name, *_) in enumerate(spec.dependents)}
        return _points(spec.with_dependents(ranged, offsets, n), pp)
    return _points({p: new[:, j] for j, p in enumerate(params)}, pp)


def _points(values: Mapping[str, np.ndarray], pp: xr.Dataset) -> xr.Dataset:
    coords = {}
    for name, v in values.items():
        attrs = dict(pp[name].attrs) if name in pp.variables else {}
        coords[name] = ("point", np.asarray(v, dtype=float), attrs)
    return xr.Dataset(coords=coords).assign_coords(point=np.arange(len(next(iter(values.values())))))


def _spec_of(cube: xr.Dataset) -> Any:
    from ..sweeps.spec import SPEC_ATTR, SweepSpec

    if SPEC_ATTR not in cube.attrs:
        return None
    return SweepSpec.from_dict(json.loads(cube.attrs[SPEC_ATTR]))


def solve_points(cube: xr.Dataset, points: xr.Dataset, **kwargs: Any) -> xr.Dataset:
    """Solve new points (:func:`resample`) with every other parameter as in ``cube``.

    The fixed parameters and the distributions' families and fields are read from the cube's
    coordinates and attributes, the points' coordinates replace the swept ones; keyword
    arguments go to :func:`allysweep.solve` (``method``, ``derivatives``...). The result has
    dimensions ``point`` (and ``eq``), ready for :func:`calibrate`.
    """
    from ..labelled import solve
    from ..model.distributions import FAMILIES
    from ..model.parameters import SCALAR_PARAMETERS

    if "point" not in points.dims:
        raise AnalysisError("point", "the points must lie along a dimension `point` (see resample)", (), "dimension")
    params: dict[str, Any] = {}

    def value(name: str) -> Any:
        if name in points.coords:
            return points[name].reset_coords(drop=True).drop_vars("point", errors="ignore")
        if name in cube.coords and cube[name].ndim == 0:
            return float(cube[name])
        return None

    for name in SCALAR_PARAMETERS:
        v = value(name)
        if v is not None:
            params[name] = v
    for dist in ("theta", "cost_c"):
        family = cube.attrs.get(f"{dist}_family") or str(cube.attrs.get(dist, "uniform:")).partition(":")[0]
        cls = FAMILIES[dist].get(family)
        if cls is None:
            raise AnalysisError(dist, f"cannot tell its family from the cube ({family!r})", tuple(FAMILIES[dist]))
        names = [f.name for f in dataclasses.fields(cls)]
        fields = {f: value(f"{dist}_{f}") for f in names}
        if any(v is None for v in fields.values()):
            missing = [f"{dist}_{f}" for f, v in fields.items() if v is None]
            raise AnalysisError(missing[0], "the cube does not record this field", (), "parameter")
        params[dist] = cls(**fields)
    out = solve(**params, **kwargs)
    return out.assign_coords({n: points[n] for n in points.coords if n != "point" and n in out.coords})
