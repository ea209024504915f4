"""Sensitivity analysis of cube outputs: SALib's estimators (Sobol on a ``saltelli`` design,
Morris on a ``morris`` design, PAWN and delta on any sampled design, also conditional on a
regime) and, on full grids, exact variance fractions computed from the cube itself.

The factors of a sampled design are those it drew independently (:attr:`SweepSpec.factors`): a
range is its parameter, a dependent range (``p_alliance = { above = "p", ... }``) is its offset,
named ``"p_alliance - p"``. Factor values are mapped onto the unit cube (log-uniform ranges in
log scale), so Morris' elementary effects are per full range of each factor.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import xarray as xr

from ..exceptions import AnalysisError
from .data import computed_mask, condition, is_sampled, output, per_point, point_dims

__all__ = ["sobol", "morris", "pawn", "delta", "main_effects"]


def _spec(cube: xr.Dataset) -> Any:
    from ..sweeps.spec import SPEC_ATTR, SweepSpec

    if SPEC_ATTR not in cube.attrs:
        return None
    return SweepSpec.from_dict(json.loads(cube.attrs[SPEC_ATTR]))


def _design(cube: xr.Dataset, method: str, needs: str | None) -> tuple[Any, list[str], np.ndarray, list[list[float]]]:
    """(spec, factor names, unit-cube factor values, bounds) of a sampled cube."""
    if not is_sampled(cube):
        raise AnalysisError(
            method, "needs a sampled design (dimension `point`); on a grid use asw.analysis.main_effects", (), "method"
        )
    spec = _spec(cube)
    if needs is not None:
        design = spec.design if spec is not None else None
        if design != needs:
            raise AnalysisError(
                method,
                f"needs a cube of design {needs!r} (its points in SALib's order; this one is "
                f"{design or 'not a sweep cube'}): set sweep.design = {needs!r}",
                (),
                "method",
            )
    pp = cube
    if spec is not None and set(spec.swept) <= set(pp.coords):
        from ..sweeps.design import factor_values

        values = {name: np.asarray(pp[name].values, dtype=float) for name in spec.swept}
        f = factor_values(spec, values)
        names = [name for name, *_ in spec.factors]
        unit = np.empty_like(f)
        for j, (_, kind, lo, hi) in enumerate(spec.factors):
            if kind == "loguniform":
                unit[:, j] = (np.log(f[:, j]) - np.log(lo)) / (np.log(hi) - np.log(lo))
            else:
                unit[:, j] = (f[:, j] - lo) / (hi - lo)
        return spec, names, np.clip(unit, 0.0, 1.0), [[0.0, 1.0]] * len(names)
    from .data import parameters

    names = list(parameters(pp))
    x = np.stack([np.asarray(pp[n].values, dtype=float) for n in names], axis=1)
    lo, hi = x.min(axis=0), x.max(axis=0)
    return None, names, (x - lo) / np.where(hi > lo, hi - lo, 1.0), [[0.0, 1.0]] * len(names)


def _y(cube: xr.Dataset, var: Any, eq: str | int, where: Any, method: str, full: bool) -> tuple[np.ndarray, Any, str]:
    """The output at every point (1-D), the condition mask (or None) and the output's name."""
    pp = per_point(cube, eq)
    dims = point_dims(pp)
    y = output(pp, var, dims)
    cond = condition(pp, where, dims)
    done = computed_mask(pp, dims)
    name = str(y.name)
    values = np.asarray(y.values, dtype=float).ravel()
    if full:
        if cond is not None:
            raise AnalysisError(
                method,
                "needs its full design: a condition (where=) removes points and breaks the estimator (SALib's "
                "maintainers refuse Sobol indices on a filtered sample); use asw.analysis.pawn or delta, which are "
                "valid on any sample, or asw.analysis.main_effects on a grid",
                (),
                "method",
            )
        if done is not None:
            raise AnalysisError(method, "needs every point of its design: the cube is incomplete (resume it)")
        bad = ~np.isfinite(values)
        if bad.any():
            raise AnalysisError(
                name,
                f"is undefined (NaN) at {int(bad.sum())} of {values.size} points, and {method} needs it at every point "
                f"of its design: choose an output defined everywhere (an indicator such as 'kind == cutpoint_bluff', "
                f"prob_war), or use pawn/delta with a condition",
                (),
                "output",
            )
        return values, None, name
    mask = np.ones(values.size, dtype=bool)
    if cond is not None:
        mask &= np.asarray(cond.values, dtype=bool).ravel()
    if done is not None:
        mask &= np.asarray(done.values, dtype=bool).ravel()
    if cond is not None and not mask.any():
        raise AnalysisError(str(where), "holds at no point of the cube", (), "condition")
    bad = mask & ~np.isfinite(values)
    if bad.any():
        raise AnalysisError(
            name,
            f"is undefined (NaN) at {int(bad.sum())} of the {int(mask.sum())} points analysed: restrict to where it "
            "is defined with where= (e.g. 'kind != pool_no_alliance' for outputs after an alliance)",
            (),
            "output",
        )
    return values, mask, name


def _problem(names: list[str], bounds: list[list[float]]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _result(method: str, names: list[str], data: dict[str, Any], attrs: dict[str, Any], cube: xr.Dataset) -> xr.Dataset:
    ds = xr.Dataset(data, coords={"parameter": ("parameter", names, {"long_name": "factor of the design"})})
    ds.attrs.update({"method": method, **attrs})
    for key in ("theta", "cost_c", "theta_family", "cost_c_family"):
        if key in cube.attrs:
            ds.attrs[key] = cube.attrs[key]
    return ds


def _attrs(name: str, eq: Any, where: Any, n: int, title: str) -> dict[str, Any]:
    return {
        "output": name,
        "eq": str(eq),
        "condition": "none" if where is None else (where if isinstance(where, str) else str(where.name)),
        "n_points": int(n),
        "title": title,
    }


def sobol(
    cube: xr.Dataset,
    var: Any,
    *,
    eq: str | int = "selected",
    where: Any = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    seed: int = 0,
) -> xr.Dataset:
    """First-order, total and second-order Sobol indices with confidence intervals (SALib).

    Parameters
    ----------
    cube : xarray.Dataset
        A cube of design ``saltelli`` (every point, in SALib's order).
    var : str or xarray.DataArray
        The output (:func:`allysweep.analysis.output`): a variable of the selected equilibrium
        (or slot ``eq``), a derived one, or an indicator such as ``"kind == cutpoint_bluff"``.
    eq : "selected" or int
        The equilibrium read.
    where : None
        A condition is refused: Sobol's estimator needs the full design (use :func:`pawn` or
        :func:`delta` on a regime).
    conf_level, num_resamples, seed
        Bootstrap confidence intervals (passed to ``SALib.analyze.sobol.analyze``).

    Returns
    -------
    xarray.Dataset
        Along ``parameter`` (the design's factors): ``S1``, ``S1_conf``, ``ST``, ``ST_conf``;
        along (``parameter``, ``parameter_2``): ``S2``, ``S2_conf`` (when the design has them).

    Raises
    ------
    AnalysisError
        The cube is not a complete saltelli design, a condition was given, or the output is
        undefined somewhere.
    """
    from SALib.analyze import sobol as sobol_analyze

    spec, names, _, bounds = _design(cube, "sobol", "saltelli")
    y, _, name = _y(cube, var, eq, where, "sobol", full=True)
    if float(np.var(y)) == 0.0:
        raise AnalysisError(name, "is constant over the design: its variance has no parts", (), "output")
    res = sobol_analyze.analyze(
        _problem(names, bounds),
        y,
        calc_second_order=spec.second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=seed,
    )
    one = {"long_name": "first-order Sobol index", "units": "1"}
    data: dict[str, Any] = {
        "S1": ("parameter", res["S1"], one),
        "S1_conf": ("parameter", res["S1_conf"], {"long_name": f"{conf_level:.0%} confidence half-width of S1"}),
        "ST": ("parameter", res["ST"], {"long_name": "total Sobol index", "units": "1"}),
        "ST_conf": ("parameter", res["ST_conf"], {"long_name": f"{conf_level:.0%} confidence half-width of ST"}),
    }
    if spec.second_order:
        data["S2"] = (("parameter", "parameter_2"), res["S2"], {"long_name": "second-order Sobol index", "units": "1"})
        data["S2_conf"] = (("parameter", "parameter_2"), res["S2_conf"], {"long_name": "its confidence half-width"})
    out = _result("sobol", names, data, _attrs(name, eq, where, y.size, f"Sobol indices of {name}"), cube)
    if spec.second_order:
        out = out.assign_coords(parameter_2=("parameter_2", names))
    out.attrs["conf_level"] = conf_level
    return out


def morris(
    cube: xr.Dataset,
    var: Any,
    *,
    eq: str | int = "selected",
    where: Any = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    seed: int = 0,
) -> xr.Dataset:
    """Morris elementary effects (SALib): ``mu``, ``mu_star`` (with its confidence half-width)
    and ``sigma`` per factor, in units of the output per full range of the factor.

    Needs a complete cube of design ``morris``; a condition is refused (it cuts trajectories).
    """
    from SALib.analyze import morris as morris_analyze

    spec, names, x, bounds = _design(cube, "morris", "morris")
    y, _, name = _y(cube, var, eq, where, "morris", full=True)
    res = morris_analyze.analyze(
        _problem(names, bounds),
        x,
        y,
        num_resamples=num_resamples,
        conf_level=conf_level,
        num_levels=spec.levels,
        seed=seed,
    )
    unit = {"units": "output per range of the factor"}
    data = {
        "mu": ("parameter", np.asarray(res["mu"], dtype=float), {"long_name": "mean elementary effect", **unit}),
        "mu_star": ("parameter", np.asarray(res["mu_star"], dtype=float), {"long_name": "mean |effect|", **unit}),
        "mu_star_conf": ("parameter", np.asarray(res["mu_star_conf"], dtype=float), {"long_name": "its CI"}),
        "sigma": ("parameter", np.asarray(res["sigma"], dtype=float), {"long_name": "sd of the effects", **unit}),
    }
    return _result("morris", names, data, _attrs(name, eq, where, y.size, f"Morris effects on {name}"), cube)


def _given_data(cube: xr.Dataset, var: Any, eq: Any, where: Any, method: str) -> tuple[list[str], np.ndarray, Any]:
    _, names, x, _ = _design(cube, method, None)
    y, mask, name = _y(cube, var, eq, where, method, full=False)
    return names, x[mask], (y[mask], name, int(mask.sum()))


def pawn(
    cube: xr.Dataset, var: Any, *, eq: str | int = "selected", where: Any = None, S: int = 10, seed: int = 0
) -> xr.Dataset:
    """PAWN indices (SALib): the KS distance between the output's distribution and its
    distribution given each factor in one of ``S`` slices (minimum, mean, median, maximum,
    coefficient of variation over the slices). Valid on any sampled design, and on the points
    where a condition holds (``where=``: sensitivity within that regime)."""
    from SALib.analyze import pawn as pawn_analyze

    names, x, (y, name, n) = _given_data(cube, var, eq, where, "pawn")
    if n < 2 * S:
        raise AnalysisError(
            str(where), f"leaves {n} points, fewer than 2 S = {2 * S} for PAWN's slices", (), "condition"
        )
    res = pawn_analyze.analyze(_problem(names, [[0.0, 1.0]] * len(names)), x, y, S=S, seed=seed)
    data = {
        k: ("parameter", np.asarray(res[k], dtype=float), {"long_name": f"{k} over the slices of the KS distance"})
        for k in ("minimum", "mean", "median", "maximum", "CV")
    }
    return _result("pawn", names, data, _attrs(name, eq, where, n, f"PAWN indices of {name}"), cube)


def delta(
    cube: xr.Dataset,
    var: Any,
    *,
    eq: str | int = "selected",
    where: Any = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    seed: int = 0,
) -> xr.Dataset:
    """Borgonovo's moment-independent delta and a given-data first-order index S1 (SALib), with
    confidence intervals; valid on any sampled design and within a regime (``where=``)."""
    from SALib.analyze import delta as delta_analyze

    names, x, (y, name, n) = _given_data(cube, var, eq, where, "delta")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SALib's kernel density of a near-constant slice
        res = delta_analyze.analyze(
            _problem(names, [[0.0, 1.0]] * len(names)),
            x,
            y,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
    # SALib >= 1.5 reports several estimators of delta; "raw" is the classic kernel-density one.
    key = "delta_raw" if "delta_raw" in res else "delta"
    data = {
        "delta": ("parameter", np.asarray(res[key], dtype=float), {"long_name": "Borgonovo's delta"}),
        "delta_conf": ("parameter", np.asarray(res[f"{key}_conf"], dtype=float), {"long_name": "its CI half-width"}),
        "S1": ("parameter", np.asarray(res["S1"], dtype=float), {"long_name": "first-order index (given data)"}),
        "S1_conf": ("parameter", np.asarray(res["S1_conf"], dtype=float), {"long_name": "its CI half-width"}),
    }
    return _result("delta", names, data, _attrs(name, eq, where, n, f"delta indices of {name}"), cube)


def main_effects(cube: xr.Dataset, var: Any, *, eq: str | int = "selected", where: Any = None) -> xr.Dataset:
    """Exact variance fractions of an output over a full grid, computed from the cube.

    Every grid point has equal weight, so the grid is the distribution: ``S1[i] =
    Var(E[Y | x_i]) / Var(Y)`` (first order), ``S2[i, j] = (Var(E[Y | x_i, x_j]) - V_i - V_j) /
    Var(Y)`` (the pair's interaction) and ``ST[i] = 1 - Var(E[Y | x_~i]) / Var(Y)`` (total), with
    no sampling error. With a condition (``where=``) the points where it holds are the
    distribution: ``S1`` is then the correlation ratio within the regime and ``S2``, ``ST`` are
    not defined (NaN: the regime's points are not a product grid).

    Parameters
    ----------
    cube : xarray.Dataset
        A grid cube or solved dataset (dimensions = parameters).
    var, eq, where
        As in :func:`pawn`.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``ST`` along ``parameter``; ``S2`` along (``parameter``, ``parameter_2``);
        ``variance`` (Var(Y)) and ``mean``.
    """
    if is_sampled(cube):
        raise AnalysisError(
            "main_effects", "needs a full grid; on a sampled design use sobol, pawn or delta", (), "method"
        )
    pp = per_point(cube, eq)
    dims = point_dims(pp)
    y_da = output(pp, var, dims)
    name = str(y_da.name)
    y = np.asarray(y_da.values, dtype=float)
    cond = condition(pp, where, dims)
    done = computed_mask(pp, dims)
    w = np.ones(y.shape, dtype=bool)
    if cond is not None:
        w &= np.asarray(cond.values, dtype=bool)
    if done is not None:
        w &= np.asarray(done.values, dtype=bool)
    if not w.any():
        raise AnalysisError(str(where), "holds at no point of the cube", (), "condition")
    bad = w & ~np.isfinite(y)
    if bad.any():
        raise AnalysisError(
            name,
            f"is undefined (NaN) at {int(bad.sum())} of the {int(w.sum())} points analysed: restrict to where it is "
            "defined with where=",
            (),
            "output",
        )
    full = bool(w.all())
    yw = np.where(w, y, 0.0)
    n = w.sum()
    mean = yw.sum() / n
    var_y = float((np.where(w, (y - mean) ** 2, 0.0)).sum() / n)
    if var_y == 0.0:
        raise AnalysisError(name, "is constant over the points: its variance has no parts", (), "output")
    d = len(dims)

    def cond_var(keep: tuple[int, ...]) -> float:
        """Var(E[Y | the parameters on the axes `keep`]) over the weighted points."""
        drop = tuple(i for i in range(d) if i not in keep)
        cnt = w.sum(axis=drop)
        tot = yw.sum(axis=drop)
        ok = cnt > 0
        m = np.where(ok, tot / np.where(ok, cnt, 1), 0.0)
        return float((cnt * (m - mean) ** 2).sum() / n)

    v1 = np.array([cond_var((i,)) for i in range(d)])
    s1 = v1 / var_y
    s2 = np.full((d, d), np.nan)
    st = np.full(d, np.nan)
    if full:
        for i in range(d):
            st[i] = 1 - cond_var(tuple(j for j in range(d) if j != i)) / var_y
            for j in range(d):
                if i != j:
                    s2[i, j] = (cond_var((min(i, j), max(i, j))) - v1[i] - v1[j]) / var_y
    data = {
        "S1": ("parameter", s1, {"long_name": "first-order variance fraction Var(E[Y|x_i]) / Var(Y)", "units": "1"}),
        "ST": ("parameter", st, {"long_name": "total variance fraction 1 - Var(E[Y|x_~i]) / Var(Y)", "units": "1"}),
        "S2": (("parameter", "parameter_2"), s2, {"long_name": "second-order (interaction) fraction", "units": "1"}),
        "variance": ((), var_y, {"long_name": f"variance of {name} over the points", **_units(y_da)}),
        "mean": ((), float(mean), {"long_name": f"mean of {name} over the points", **_units(y_da)}),
    }
    out = _result(
        "main_effects",
        list(dims),
        data,
        _attrs(name, eq, where, int(n), f"exact variance fractions of {name} over the grid"),
        cube,
    )
    return out.assign_coords(parameter_2=("parameter_2", list(dims)))


def _units(da: xr.DataArray) -> dict[str, str]:
    units = da.attrs.get("units")
    return {"units": f"({units})²"} if units and units != "1" else {"units": "1"}
