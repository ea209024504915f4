"""Figures of :mod:`allysweep.analysis` results: the not-ruled-out region's 2-D marginals, PRIM's
peeling trajectories and boxes, and sensitivity indices (HoloViews with Bokeh, as
:mod:`.plot`; every axis labelled with its quantity and units)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..exceptions import AnalysisError
from .plot import _SIZE, _dim, _hv, _raster

__all__ = ["nroy_marginals", "prim_trajectory", "prim_boxes", "sensitivity_indices"]


def _check_result(result: Any, needs: Sequence[str], producer: str) -> None:
    if not isinstance(result, xr.Dataset) or any(n not in result.variables for n in needs):
        raise AnalysisError(type(result).__name__, f"expected what {producer} returns", (), "input")


def nroy_marginals(
    cal: xr.Dataset, parameters: Sequence[str] | None = None, *, width: int = 320, height: int = 280
) -> Any:
    """Every pair of parameters: the share of the other parameters' combinations not ruled out
    (grids), or the points coloured by whether they are ruled out (sampled designs).

    Parameters
    ----------
    cal : xarray.Dataset
        What :func:`allysweep.analysis.calibrate` returns.
    parameters : list of str, optional
        The parameters to pair (default: every one of ``cal.parameter``).
    width, height : int
        Size of each panel.

    Returns
    -------
    holoviews.Layout
        One panel per pair (a single panel for two parameters).
    """
    _check_result(cal, ["nroy", "parameter"], "asw.analysis.calibrate")
    hv = _hv()
    names = list(cal.parameter.values) if parameters is None else list(parameters)
    for name in names:
        if name not in cal.parameter.values:
            raise AnalysisError(name, "not a parameter of the calibration", tuple(cal.parameter.values), "parameter")
    if len(names) < 2:
        raise AnalysisError(",".join(names), "a 2-D marginal needs two parameters", tuple(cal.parameter.values))
    nroy = cal["nroy"]
    share = hv.Dimension("nroy_share", label="share of the other parameters' values not ruled out", unit=None)
    panels = []
    for x, y in itertools.combinations(names, 2):
        if "point" in nroy.dims:
            ok = nroy.values.astype(bool)
            kd = [_dim(cal, x), _dim(cal, y)]
            out = hv.Points((cal[x].values[~ok], cal[y].values[~ok]), kdims=kd, label="ruled out").opts(
                color="#cccccc", size=3
            )
            keep = hv.Points((cal[x].values[ok], cal[y].values[ok]), kdims=kd, label="not ruled out").opts(
                color="#d95f02", size=4
            )
            panels.append((out * keep).opts(width=width, height=height, title=f"NROY: {y} against {x}"))
            continue
        others = [d for d in nroy.dims if d not in (x, y)]
        frac = nroy.astype(float).mean(others) if others else nroy.astype(float)
        values = np.asarray(frac.transpose(y, x).values, dtype=float)
        panel = _raster(cal, x, y, [values], [share.clone(range=(0.0, 1.0))]).opts(
            cmap="Oranges",
            colorbar=True,
            tools=["hover"],
            width=width + 80,
            height=height,
            title=f"NROY share: {y} against {x}",
        )
        panels.append(panel)
    return panels[0] if len(panels) == 1 else hv.Layout(panels).cols(2)


def prim_trajectory(result: xr.Dataset, *, width: int = _SIZE["width"], height: int = _SIZE["height"]) -> Any:
    """PRIM's peeling trajectory of every label: density against coverage, the chosen box marked.

    Parameters
    ----------
    result : xarray.Dataset
        What :func:`allysweep.analysis.prim` returns.
    """
    _check_result(result, ["coverage", "density", "chosen"], "asw.analysis.prim")
    hv = _hv()
    cov = hv.Dimension("coverage", label="coverage: share of the label's points inside the box", range=(0, 1.02))
    den = hv.Dimension("density", label="density: share of the box's points with the label", range=(0, 1.02))
    layers = []
    for label in result.label.values:
        row = result.sel(label=label)
        ok = np.isfinite(row.coverage.values)
        c, d = row.coverage.values[ok], row.density.values[ok]
        layers.append(hv.Curve((c, d), kdims=[cov], vdims=[den], label=str(label)))
        i = int(row.chosen)
        if i >= 0:
            layers.append(
                hv.Scatter(([row.coverage.values[i]], [row.density.values[i]]), kdims=[cov], vdims=[den]).opts(
                    size=10, marker="circle", color="black"
                )
            )
    return hv.Overlay(layers).opts(
        title="PRIM peeling trajectories (chosen box: black dot)", width=width, height=height, legend_position="right"
    )


def prim_boxes(result: xr.Dataset, x: str, y: str, *, width: int = 520, height: int = 420) -> Any:
    """The chosen PRIM boxes of every label as rectangles in the plane of two parameters."""
    _check_result(result, ["box_lo", "box_hi", "chosen"], "asw.analysis.prim")
    hv = _hv()
    for name in (x, y):
        if name not in result.parameter.values:
            raise AnalysisError(name, "not a parameter of the PRIM result", tuple(result.parameter.values), "parameter")
    from .plot import KIND_COLORS

    layers = []

    def dim(name: str) -> Any:
        row = result.sel(parameter=name)
        long_name, units = str(row.parameter_long_name.values), str(row.parameter_units.values)
        return hv.Dimension(name, label=f"{name}: {long_name}", unit=None if units in ("", "1") else units)

    kd = [dim(x), dim(y)]
    for label in result.label.values:
        row = result.sel(label=label)
        i = int(row.chosen)
        if i < 0:
            continue
        lo, hi = row.box_lo.isel(step=i), row.box_hi.isel(step=i)
        x0, x1 = float(lo.sel(parameter=x)), float(hi.sel(parameter=x))
        y0, y1 = float(lo.sel(parameter=y)), float(hi.sel(parameter=y))
        color = KIND_COLORS.get(str(label), "#444444")
        layers.append(
            hv.Rectangles([(x0, y0, x1, y1)], kdims=[*kd, "x1", "y1"], label=str(label)).opts(
                fill_alpha=0.25, color=color, line_color=color
            )
        )
    return hv.Overlay(layers).opts(
        title=f"PRIM boxes in ({x}, {y})", width=width, height=height, legend_position="right"
    )


def sensitivity_indices(si: xr.Dataset, *, width: int = 620, height: int = 360) -> Any:
    """Bars of the indices of :mod:`allysweep.analysis` sensitivity results, with their confidence
    intervals where the method gives them (first-order and total Sobol, Morris mu*, PAWN, delta)."""
    _check_result(si, ["parameter"], "an asw.analysis sensitivity function")
    hv = _hv()
    method = si.attrs.get("method", "")
    pairs = {
        "sobol": [("S1", "S1_conf"), ("ST", "ST_conf")],
        "main_effects": [("S1", None)],
        "morris": [("mu_star", "mu_star_conf")],
        "pawn": [("median", None)],
        "delta": [("delta", "delta_conf"), ("S1", "S1_conf")],
    }.get(method, [])
    if not pairs:
        raise AnalysisError(method or "?", "not a sensitivity result this plot knows", (), "method")
    params = [str(p) for p in si.parameter.values]
    layers = []
    idx = hv.Dimension("index", label=f"{method} index of {si.attrs.get('output', 'the output')}", unit=None)
    par = hv.Dimension("parameter", label="parameter")
    for var, conf in pairs:
        vals = np.asarray(si[var].values, dtype=float)
        layers.append(hv.Bars((params, vals), kdims=[par], vdims=[idx], label=var).opts(alpha=0.5))
        if conf and conf in si:
            err = np.asarray(si[conf].values, dtype=float)
            layers.append(hv.ErrorBars((params, vals, err), kdims=[par], vdims=[idx, "err"]))
    return hv.Overlay(layers).opts(title=si.attrs.get("title", method), width=width, height=height)
