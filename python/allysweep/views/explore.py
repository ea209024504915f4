"""The interactive explorer (a Panel app) and the self-contained HTML report over a cube.

``allysweep explore STORE`` serves :func:`explorer`; ``allysweep report STORE -o FILE`` calls
:func:`write_report`. Both need the ``plot`` extra (Panel, HoloViews, Bokeh).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..engine import KIND_NAMES
from ..exceptions import IncompleteCubeWarning, PlotError
from . import plot

__all__ = ["explorer", "write_report", "HOVER_CELLS"]

#: Most cells per axis carried by the explorer's hover layer (every equilibrium of each cell).
HOVER_CELLS = 120
#: Outputs shown per equilibrium in the explorer's hover.
_HOVER_OUTPUTS = ("cutpoint", "prob_alliance", "prob_war", "prob_renege")


def _variables(ds: xr.Dataset) -> list[str]:
    """The variables the page offers: every output but ``status`` (derivatives, with their extra
    ``wrt`` dimension, are for notebooks: ``ds.d_cutpoint.sel(wrt="k")``)."""
    names = [str(v) for v in ds.data_vars if v != "status" and "wrt" not in ds[v].dims]
    return ["kind", *[n for n in names if n != "kind"]] if "kind" in names else names


def _hover_layer(frame: xr.Dataset, x: str, y: str) -> Any:
    """A transparent image over the map whose hover lists every equilibrium of the cell."""
    from bokeh.models import HoverTool

    frame = plot._decimate(frame, [x, y], HOVER_CELLS)
    n_slots = frame.sizes.get("eq", 0)
    arrays, vdims = [plot._grid_2d(frame, frame["n_eq"], x, y)], ["n_eq"]
    tooltips = [(x, "$x"), (y, "$y"), ("equilibria", "@n_eq")]
    if plot._has_robust(frame):
        arrays.append(plot._grid_2d(frame, plot.n_stable_d1(frame), x, y))
        vdims.append("n_stable_d1")
        tooltips.append(("stable, D1-surviving", "@n_stable_d1"))
    formatters = {}
    shown = [v for v in _HOVER_OUTPUTS if v in frame.data_vars]
    for i in range(n_slots):
        kind = frame["kind"].isel(eq=i).astype(float)
        sel = frame["selected"].isel(eq=i).astype(float)
        arrays += [plot._grid_2d(frame, kind, x, y), plot._grid_2d(frame, sel, x, y)]
        vdims += [f"kind{i}", f"selected{i}"]
        text = f"@{{kind{i}}}{{custom}} (selected: @{{selected{i}}})"
        for v in shown:
            arrays.append(plot._grid_2d(frame, frame[v].isel(eq=i).astype(float), x, y))
            vdims.append(f"{v}{i}")
            text += f" {v}=@{{{v}{i}}}{{0.000}}"
        tooltips.append((f"eq {i}", text))
        formatters[f"@{{kind{i}}}"] = plot._kind_formatter()
    hover = HoverTool(tooltips=tooltips, formatters=formatters)
    layer = plot._raster(frame, x, y, arrays, vdims)
    return layer.opts(alpha=0, tools=[hover], colorbar=False)


def _summary(frame: xr.Dataset, selection: dict[str, Any]) -> str:
    """One line of Markdown describing the map currently shown (its selection and kinds)."""
    parts = [plot._selection_title(selection)] if selection else []
    if "kind" in frame and "selected" in frame:
        codes = plot._kind_codes(plot._pick_eq(frame, "kind", "selected"), frame["n_eq"]) if "n_eq" in frame else None
        if codes is None:
            codes = plot._pick_eq(frame, "kind", "selected").fillna(-1)
        kind = np.asarray(codes.values).astype(int).ravel()
        names = {plot.NOT_COMPUTED_CODE: "not computed", -1: "no equilibrium"}
        counts = [f"{names.get(int(c)) or KIND_NAMES[c]} {np.mean(kind == c):.0%}" for c in np.unique(kind)]
        parts.append("selected kinds: " + ", ".join(counts))
    if "n_eq" in frame:
        raw = plot._share_multi(frame["n_eq"].values)
        if plot._has_robust(frame):  # the multiplicity that means something first, then the raw count
            robust = plot._share_multi(plot.n_stable_d1(frame).values)
            parts.append(f"{plot._ROBUST} at {robust:.0%} of points (several of any kind at {raw:.0%})")
        else:
            parts.append(f"several equilibria at {raw:.0%} of points")
    return " · ".join(parts)


def explorer(ds: xr.Dataset, title: str | None = None) -> Any:
    """A Panel app over a cube: the variable, the two axes and the equilibrium are chosen from
    drop-downs, every other dimension has a slider, and hovering a cell lists every equilibrium
    there (kind, whether selected, and the main outputs).

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep cube (or a solved dataset) with at least two swept parameters.
    title : str, optional
        Page heading (default: the cube's ``title`` attribute).

    Returns
    -------
    panel.layout.Column
        Serve it (``panel.serve``) or display it in a notebook.

    Raises
    ------
    PlotError
        The cube has fewer than two parameters to put on the axes.
    """
    import panel as pn

    axes = plot.available_axes(ds)
    if len(axes) < 2:
        raise PlotError("a second axis", axes)
    banner = _incomplete_banner(ds, "explore")
    sampled = plot._is_sampled(ds)
    variable = pn.widgets.Select(name="variable", options=_variables(ds), value="kind")
    x_axis = pn.widgets.Select(name="x axis", options=list(axes), value=axes[0])
    y_axis = pn.widgets.Select(name="y axis", options=list(axes), value=axes[1])
    slots = {"selected": "selected", **{f"slot {i}": i for i in range(ds.sizes.get("eq", 0))}}
    equilibrium = pn.widgets.Select(name="equilibrium", options=slots, value="selected")
    sliders: dict[str, Any] = {}
    if not sampled:
        for d in axes:
            values = [plot._py(v) for v in np.asarray(ds[d].values)]
            label, unit = plot._label(ds[d] if d in ds.variables else None, d)
            name = f"{label} ({unit})" if unit else label
            sliders[d] = pn.widgets.DiscreteSlider(name=name, options=values, value=values[0], width=320)

    def view(var: str, x: str, y: str, eq: Any, *values: Any) -> Any:
        if x == y:
            return pn.pane.Markdown("Choose two different axes.")
        selection = {d: v for (d, v) in zip(sliders, values, strict=True) if d not in (x, y)}
        for d, slider in sliders.items():
            slider.visible = d not in (x, y)
        sub = ds.sel(selection, method="nearest") if selection else ds
        with warnings.catch_warnings():  # said once, when the page was made
            warnings.simplefilter("ignore", IncompleteCubeWarning)
            if var in plot._CATEGORIES:  # kind, crisis_regime_*: categorical colours
                element = plot.regime_map(sub, x, y, eq=eq, hover=sampled, variable=var)
            else:
                element = plot.heatmap(sub, var, x, y, eq=eq, hover=sampled, rasterize=False)  # + the hover layer
        names = ("kind", "selected", "n_eq", "stable", "d1_ok", *_HOVER_OUTPUTS)
        frame_vars = [v for v in names if v in sub.data_vars]
        if sampled:
            frame = plot._points_frame(sub, x, y, frame_vars)
        else:
            frame = plot._decimate(sub, [x, y], plot.MAX_CELLS)[frame_vars].load()
            kept = {k: v for k, v in element.opts.get().kwargs.items() if k in ("title", "width", "height")}
            element = (element * _hover_layer(frame, x, y)).opts(
                legend_position="right", hooks=[plot._fit_labels], **kept
            )
        summary = pn.pane.Markdown(_summary(frame, selection), css_classes=["allysweep-summary"])
        return pn.Column(summary, pn.pane.HoloViews(element, backend="bokeh"))

    bound = pn.bind(view, variable, x_axis, y_axis, equilibrium, *sliders.values())
    heading = title or str(ds.attrs.get("title", "allysweep cube"))
    dims = ", ".join(f"{d} = {n}" for d, n in ds.sizes.items())
    controls = pn.Column(
        pn.pane.Markdown(f"### {heading}\n{dims}"),
        *([pn.pane.Alert(banner, alert_type="warning", css_classes=["allysweep-incomplete"])] if banner else []),
        variable,
        x_axis,
        y_axis,
        equilibrium,
        *sliders.values(),
        width=360,
    )
    return pn.Row(controls, pn.panel(bound))


def _incomplete_banner(ds: xr.Dataset, what: str) -> str | None:
    """Warn once (:class:`IncompleteCubeWarning`) on an incomplete cube and return the text
    shown on the page; ``None`` for a complete cube or a solved dataset."""
    from ..sweeps.store import incomplete_message

    message = incomplete_message(dict(ds.attrs), what)
    if message:
        warnings.warn(message, IncompleteCubeWarning, stacklevel=3)
        return "**Incomplete cube.** " + (incomplete_message(dict(ds.attrs)) or "")
    return None


def _middle(ds: xr.Dataset, keep: list[str]) -> tuple[xr.Dataset, dict[str, Any]]:
    """Fix every grid dimension not in ``keep`` at its middle value."""
    if plot._is_sampled(ds):
        return ds, {}
    fixed = {str(d): ds.sizes[d] // 2 for d in ds.dims if d not in (*keep, "eq")}
    sub = ds.isel(fixed)
    return sub, {d: plot._py(sub[d].values[()]) for d in fixed}


def write_report(ds: xr.Dataset, path: str | Path, title: str | None = None, max_panels: int = 6) -> Path:
    """Write a self-contained HTML page (every script and style inlined; opens from disk
    without a server) with the main views of a cube: the regime map first (small multiples
    over the next dimension), heatmaps of the probability of war, of reneging and of alliance,
    outputs against the first parameter, and the bargaining ranges.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep cube or a solved dataset.
    path : str or Path
        The HTML file to write.
    title : str, optional
        Page heading (default: the cube's ``title`` attribute).
    max_panels : int
        Most small multiples of the regime map.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        The directory of ``path`` does not exist (checked before any work).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write the report {path}: directory {path.parent} does not exist")
    hv = plot._hv()
    axes = plot.available_axes(ds)
    heading = title or str(ds.attrs.get("title", "allysweep cube"))
    spec = ds.attrs.get("allysweep_spec")
    banner = _incomplete_banner(ds, "report")
    with warnings.catch_warnings():  # said once above, and on the page
        warnings.simplefilter("ignore", IncompleteCubeWarning)
        return _write_report(ds, path, heading, spec, banner, axes, hv, max_panels)


def _write_report(
    ds: xr.Dataset, path: Path, heading: str, spec: Any, banner: str | None, axes: Any, hv: Any, max_panels: int
) -> Path:
    import panel as pn
    from bokeh.resources import INLINE

    about = ", ".join(f"{d} = {n}" for d, n in ds.sizes.items())
    parts: list[Any] = [
        pn.pane.Markdown(
            f"# {heading}\n\nDimensions: {about}. {ds.attrs.get('software', '')}. "
            "Colours of the regime map: the kind of the selected equilibrium (docs/MODEL.md, section 6); "
            "outlined or ringed: several stable equilibria that survive D1 coexist.",
            width=900,
        )
    ]
    if banner:
        parts.append(pn.pane.Alert(banner, alert_type="warning", width=900, css_classes=["allysweep-incomplete"]))
    if len(axes) >= 2:
        x, y = axes[0], axes[1]
        rest = [a for a in axes[2:]] if not plot._is_sampled(ds) else []
        sub, fixed = _middle(ds, [x, y, *rest[:1]])
        if rest:
            third = rest[0]
            n = sub.sizes[third]
            pick = np.unique(np.linspace(0, n - 1, min(n, max_panels)).round().astype(int))
            sub = sub.isel({third: pick})
            maps = plot.regime_map(sub, x, y, dynamic=False, width=520, height=380)
            regime = maps.layout(third).cols(2)
        else:
            regime = plot.regime_map(sub, x, y, width=620, height=440)
        note = f" (other parameters: {plot._selection_title(fixed)})" if fixed else ""
        parts += [pn.pane.Markdown(f"## Regime map{note}", css_classes=["regime-map"]), pn.pane.HoloViews(regime)]
        sub2, fixed2 = _middle(ds, [x, y])
        note2 = f" at {plot._selection_title(fixed2)}" if fixed2 else ""
        heat = [
            # Decimated, not rasterised: a static page has no server to re-aggregate a zoom.
            plot.heatmap(sub2, v, x, y, width=460, height=360, rasterize=False)
            for v in ("prob_war", "prob_renege", "prob_alliance")
        ]
        parts += [
            pn.pane.Markdown(f"## Outputs of the selected equilibrium{note2}"),
            pn.pane.HoloViews(hv.Layout(heat).cols(2)),
        ]
        regimes = [v for v in ("crisis_regime_no_alliance", "crisis_regime_alliance") if v in sub2.data_vars]
        if regimes and bool((sub2[regimes[0]] > 0).any()):  # somewhere D does not simply resist
            crisis = [plot.regime_map(sub2, x, y, variable=v, width=460, height=360) for v in regimes]
            crisis += [
                plot.heatmap(sub2, v, x, y, width=460, height=360, rasterize=False)
                for v in ("prob_concession", "immediate_deterrence")
                if v in sub2.data_vars
            ]
            parts += [
                pn.pane.Markdown(
                    f"## The crisis stage{note2}: how crises are played where the defender may concede "
                    "(docs/MODEL.md, section 13)"
                ),
                pn.pane.HoloViews(hv.Layout(crisis).cols(2)),
            ]
    x = axes[0]
    sub1, fixed1 = _middle(ds, [x])
    note1 = f" at {plot._selection_title(fixed1)}" if fixed1 else ""
    parts += [
        pn.pane.Markdown(f"## Against {x}, every equilibrium{note1}"),
        pn.pane.HoloViews(plot.lines(sub1, ["prob_war", "prob_renege", "prob_alliance"], x, width=460, height=300)),
        pn.pane.Markdown(f"## Bargaining ranges against {x}{note1}"),
        pn.pane.HoloViews(plot.bargaining_ranges(sub1, x, width=620)),
    ]
    if spec:
        pretty = json.dumps(json.loads(spec), indent=2)
        parts.append(pn.pane.Markdown(f"## Specification\n\n```json\n{pretty}\n```"))
    pn.Column(*parts).save(str(path), resources=INLINE, embed=False, title=heading)
    return path
