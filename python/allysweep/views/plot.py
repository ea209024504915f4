"""Views of solved datasets and sweep cubes: regime maps, heatmaps, line plots and bargaining
ranges (HoloViews with the Bokeh backend; imported only when a plot is made).

Every function takes what :func:`allysweep.solve`, :func:`allysweep.sweep` or
:func:`allysweep.open_cube` return:

- **grid** cubes have one dimension per swept parameter (plus ``eq``); the two plotted
  parameters become the axes and every *other* dimension gets a widget (a slider for numbers);
- **sampled** cubes (``lhs``, ``sobol``, ``list`` designs) have one dimension ``point`` with the
  parameters as coordinates along it; they are drawn as scattered points.

Per-equilibrium variables (dimension ``eq``) are reduced to the ``selected`` equilibrium unless
``eq=`` names a slot; :func:`lines` draws every equilibrium.

Large cubes: a regime map never draws more than ``max_cells`` values along an axis. Where an
axis is longer, every ``ceil(n / max_cells)``-th value is kept (nearest-sample decimation: the
map keeps exact equilibrium kinds instead of averaging category codes). A heatmap of a
continuous output over such axes is rasterised instead, through hvplot's xarray interface and
datashader (``rasterize=True``): each screen pixel shows the mean of the cells under it, zooming
re-aggregates, and the cube is read chunk by chunk, so it stays lazy on Zarr/Dask and never has to
fit in memory; without datashader it is decimated like a regime map. Sampled designs draw their
first ``max_points`` points, which for Sobol and LHS designs still cover the whole box. The data
of one frame is read from the (lazy) cube only when that frame is shown.

Cubes are plain xarray datasets, so hvplot works on them directly; the selected equilibrium
first (:func:`allysweep.selected`), then any output, rasterised on large cubes::

    import hvplot.xarray  # registers .hvplot
    sel = asw.selected(asw.open_cube("sweep.zarr"))       # lazy: nothing is read yet
    sel.hvplot.image(x="k", y="r", z="prob_war", rasterize=True, cmap="viridis")

(Never rasterise ``kind`` or another category with the default mean: averaged codes are other
kinds' codes. Use :func:`regime_map`, which is exact and has the legend.)

Asking for a dimension or variable the cube does not have raises
:class:`allysweep.exceptions.PlotError` naming what is available.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..engine import KIND_NAMES, REGIME_NAMES
from ..exceptions import IncompleteCubeWarning, PlotError

__all__ = [
    "regime_map",
    "adaptive_map",
    "n_stable_d1",
    "heatmap",
    "lines",
    "bargaining_ranges",
    "available_axes",
    "warn_if_incomplete",
    "save",
    "current_frame",
    "KIND_COLORS",
    "MAX_CELLS",
    "MAX_POINTS",
    "MAX_FRAMES",
]

#: Most values drawn along one axis of a map (longer axes are decimated, see the module doc).
MAX_CELLS = 400
#: Most points drawn from a sampled design.
MAX_POINTS = 20_000
#: Most frames pre-rendered by a static view (``dynamic=False``, e.g. the HTML report).
MAX_FRAMES = 48

#: Colour of each equilibrium kind; ``"none"`` is a point without any equilibrium, ``"not
#: computed"`` a point of an unfinished block of an incomplete cube (n_eq = -1).
KIND_COLORS: dict[str, str] = {
    "not computed": "#ffe4e1",
    "none": "#d9d9d9",
    "cutpoint_honest": "#1b9e77",
    "cutpoint_bluff": "#d95f02",
    "pool_no_alliance": "#7570b3",
    "pool_alliance": "#e7298a",
    "separating": "#66a61e",
    "hybrid": "#e6ab02",
}
_PALETTE = [KIND_COLORS["none"], *(KIND_COLORS[name] for name in KIND_NAMES)]
#: The palette when a map shows points not computed yet (code -2, below "none").
_PALETTE_INCOMPLETE = [KIND_COLORS["not computed"], *_PALETTE]
#: Regime-map code of a point not computed yet (``kind`` is -1 there, ``n_eq`` -1).
NOT_COMPUTED_CODE = -2

#: Colour of each crisis regime (CRISIS.md §2.3); ``"none"`` is a signal off path.
REGIME_COLORS: dict[str, str] = {
    "not computed": KIND_COLORS["not computed"],
    "none": "#d9d9d9",
    "resist": "#1f78b4",
    "mixed": "#ff7f00",
    "concede": "#e31a1c",
    "boundary_w0": "#a6cee3",
    "boundary_concede": "#fb9a99",
}

#: Categorical variables a regime map can colour by: names, colours, label of code -1.
_CATEGORIES: dict[str, tuple[tuple[str, ...], dict[str, str], str]] = {
    "kind": (KIND_NAMES, KIND_COLORS, "no equilibrium"),
    "crisis_regime_alliance": (REGIME_NAMES, REGIME_COLORS, "off path"),
    "crisis_regime_no_alliance": (REGIME_NAMES, REGIME_COLORS, "off path"),
}


def _category(variable: str) -> tuple[tuple[str, ...], dict[str, str], str]:
    if variable not in _CATEGORIES:
        raise PlotError(variable, tuple(_CATEGORIES), "categorical variable a regime map can colour by")
    return _CATEGORIES[variable]


#: Intervals drawn by :func:`bargaining_ranges`: label -> (low variable, high variable, colour).
RANGES: dict[str, tuple[str, str, str]] = {
    "D alone": ("range_lo_alone", "range_hi_alone", "#7f7f7f"),
    "D and ally (joint)": ("range_lo_joint", "range_hi_joint", "#1f77b4"),
    "after alliance": ("range_lo_alliance", "range_hi_alliance", "#2ca02c"),
    "without alliance": ("range_lo_no_alliance", "range_hi_no_alliance", "#d62728"),
}
STATUS_QUO = 1.0

_SIZE = {"width": 720, "height": 440}


# --------------------------------------------------------------------------- plumbing
def _hv() -> Any:
    """HoloViews with the Bokeh backend loaded (as ``hv.extension("bokeh")``, once)."""
    try:
        import holoviews as hv
    except ImportError:
        raise ImportError("allysweep.views.plot needs the plot extra: pip install 'allysweep[plot]'") from None
    if "bokeh" not in hv.Store.loaded_backends():
        hv.extension("bokeh")
    elif hv.Store.current_backend != "bokeh":
        hv.Store.set_current_backend("bokeh")
    return hv


#: Widths of characters in ems, rounded up, as Chromium draws DejaVu Sans: the sans-serif a Linux
#: browser falls back to for Bokeh's "helvetica", and wider than Helvetica or Arial, so text that
#: fits in it fits elsewhere. Oblique is as wide as regular; a character not listed counts as 1 em.
_EM_GROUPS = {
    "normal": (
        ("′", 0.25), ("'IJijl", 0.3), (" ,./:;\\|·", 0.35), ("()-[]ft", 0.4), ("!r", 0.45),
        ('"*_`–', 0.5), ("?csz", 0.55), ("FLkvxy", 0.6), ("$0123456789EPSTYabdeghnopqu{}θ", 0.65),
        ("ABCKRVXZΔ", 0.7), ("NU", 0.75), ("&DGHOQ", 0.8), ("#+<=>^w~−", 0.85), ("M", 0.9), ("%@Wm", 1.0),
    ),
    "bold": (
        ("′", 0.3), (" 'ijl", 0.35), (",./:;IJ\\|·", 0.4), ("-f", 0.45), ("!()[]_`rt–", 0.5), ('"*', 0.55),
        ("?csz", 0.6), ("Lx", 0.65), ("$0123456789EFTaekovyθ", 0.7), ("CPSYZbdghnpqu{}", 0.75),
        ("ABKRVXΔ", 0.8), ("#+<=>DGHNU^~−", 0.85), ("&OQ", 0.9), ("w", 0.95), ("@M", 1.0), ("%m", 1.05),
        ("W", 1.15),
    ),
}  # fmt: skip
_EM = {style: {c: w for chars, w in groups for c in chars} for style, groups in _EM_GROUPS.items()}


def _font_px(size: Any, default: float = 13.0) -> float:
    """A Bokeh font size ("12pt", "13px", "1.2em") in pixels."""
    text = str(size.value if hasattr(size, "value") else size or "").strip()
    for suffix, factor in (("px", 1.0), ("pt", 4 / 3), ("em", 16.0)):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * factor
            except ValueError:
                break
    return default


def _text_px(text: str, font_px: float, bold: bool = False) -> float:
    """An upper estimate of the width of one line of text, in pixels."""
    em = _EM["bold" if bold else "normal"]
    return sum(em.get(c, 1.0) for c in text) * font_px


def _wrap(text: str, room: float, font_px: float, bold: bool = False) -> str:
    """``text`` with each line broken at spaces so that no line is wider than ``room`` pixels
    (a single word longer than that stays whole)."""
    out = []
    for line in str(text).split("\n"):
        current = ""
        for word in line.split(" "):
            trial = f"{current} {word}" if current else word
            if current and _text_px(trial, font_px, bold) > room:
                out.append(current)
                current = word
            else:
                current = trial
        out.append(current)
    return "\n".join(out)


def _rewrap(model: Any, attr: str, room: float, font_px: float, bold: bool = False) -> None:
    """Set ``model.attr`` to its text wrapped to ``room``, always from the text as it was before
    any wrapping (kept in the model's ``tags``), so that wrapping again at other fonts (print)
    does not break already broken lines once more; a text set anew since (a new frame) is taken
    as it is."""
    key = f"allysweep_unwrapped_{attr}"
    text = str(getattr(model, attr))
    memo = next((t for t in model.tags if isinstance(t, dict) and key in t), None)
    original = memo[key] if memo is not None and memo.get("wrapped") == text else text
    wrapped = _wrap(original, room, font_px, bold)
    model.tags = [t for t in model.tags if t is not memo] + [{key: original, "wrapped": wrapped}]
    setattr(model, attr, wrapped)


def _fit_labels(plot: Any, element: Any) -> None:
    """HoloViews hook: wrap a figure's title and axis labels onto more lines wherever they would
    be wider than the room the figure has for them.

    Bokeh draws text on the plot's canvas and cuts off whatever overflows it, so a long title
    (the regime map's multiplicity line) or a label built from a variable's ``long_name`` ("r: A's
    reputation cost if allied, D attacked and A stays out") was clipped in small figures. The
    frame's size is not known before BokehJS lays the figure out, so it is estimated from the
    figure's size, the legend and colour bar beside it, and the fonts; every estimate errs on the
    wide side (tests/test_explore.py measures the rendered report in Chromium). Colour bars'
    titles are wrapped the same way."""

    def styled(key: str) -> Any:
        # HoloViews may style a title after this hook (its default is 12pt, bigger than the 13px
        # on the model now): _fit_figure takes the larger of the two.
        try:
            return plot._fontsize(key).get("fontsize")
        except Exception:  # a private helper of HoloViews: never let a change of it break a plot
            return None

    _fit_figure(plot.state, styled)


def _fit_figure(fig: Any, styled: Callable[[str], Any] = lambda key: None) -> None:
    """:func:`_fit_labels` on a Bokeh figure; ``styled(key)`` is a font size HoloViews will
    apply to the text ``key`` ("title", "xlabel", ...), if any."""
    from bokeh.models import ColorBar, Legend

    if not hasattr(fig, "xaxis") or not fig.height and not fig.frame_height:
        return
    if fig.width and fig.height:
        width, height = float(fig.width), float(fig.height)
    elif fig.frame_width and fig.frame_height:  # a print figure sized by its frame (_print_style)
        bars = sum(110.0 for item in fig.right if isinstance(item, ColorBar))
        width, height = float(fig.frame_width) + 80.0 + bars, float(fig.frame_height) + 120.0
    else:
        return

    def font(model_size: Any, key: str) -> float:
        return max(_font_px(model_size, 13.0), _font_px(styled(key), 0.0))

    title = fig.title if fig.title is not None and fig.title.text else None
    title_px = font(title.text_font_size, "title") if title is not None else 0.0
    right = 20.0
    for item in fig.right:
        if isinstance(item, Legend):
            label_px = font(item.label_text_font_size, "legend")
            labels = [str(i.label.value) for i in item.items if i.label is not None and hasattr(i.label, "value")]
            right += max((_text_px(t, label_px) for t in labels), default=0.0) + 60.0
        elif isinstance(item, ColorBar):
            right += 110.0

    def lines(text: str | None) -> int:
        return str(text).count("\n") + 1 if text else 0

    # Vertical room first: the y labels run along the frame's height, which the title and the x
    # axis take from the figure's.
    top = 10.0 + (1.3 * title_px * lines(title.text) if title is not None else 0.0)
    x_lines = max((lines(a.axis_label) for a in fig.xaxis), default=0)
    bottom = 40.0 + 1.3 * 13.0 * (x_lines + 1)  # one more line, in case the x label wraps
    y_px = {id(a): font(a.axis_label_text_font_size, "ylabel") for a in fig.yaxis}
    for axis in fig.yaxis:
        if axis.axis_label:
            _rewrap(axis, "axis_label", height - top - bottom, y_px[id(axis)])
    for bar in fig.right:  # a colour bar's title runs along the bar, as high as the frame
        if isinstance(bar, ColorBar) and bar.title:
            _rewrap(bar, "title", height - top - bottom, font(bar.title_text_font_size, "clabel"))
    left = 50.0 + max((1.3 * y_px[id(a)] * lines(a.axis_label) for a in fig.yaxis), default=0.0)
    frame_width = max(width - left - right, 80.0)
    for axis in fig.xaxis:
        if axis.axis_label:
            # Centred under the frame, it may reach over the y axis and under the legend.
            room = frame_width + 2 * min(left, right) - 20.0
            _rewrap(axis, "axis_label", room, font(axis.axis_label_text_font_size, "xlabel"))
    if title is not None:
        _rewrap(title, "text", width - left - 10.0, title_px, bold=title.text_font_style == "bold")


def warn_if_incomplete(ds: xr.Dataset, what: str, stacklevel: int = 3) -> None:
    """Warn (:class:`~allysweep.exceptions.IncompleteCubeWarning`) when ``ds`` comes from an
    incomplete cube: how much is missing and how to resume. Solved datasets never warn."""
    from ..sweeps.store import incomplete_message

    message = incomplete_message(dict(ds.attrs), what)
    if message:
        warnings.warn(message, IncompleteCubeWarning, stacklevel=stacklevel)


def _kind_codes(kind: xr.DataArray, n_eq: xr.DataArray) -> xr.DataArray:
    """Kind codes for a map: the kind, -1 where no equilibrium, -2 where not computed."""
    return kind.fillna(-1).where(n_eq >= 0, NOT_COMPUTED_CODE)


def _is_sampled(ds: xr.Dataset) -> bool:
    return "point" in ds.dims


def available_axes(ds: xr.Dataset) -> tuple[str, ...]:
    """The parameters a view can put on an axis.

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or a sweep cube.

    Returns
    -------
    tuple of str
        Grid cubes: every dimension except ``eq`` (and ``wrt``, the parameters derivatives are
        taken along). Sampled cubes: every coordinate along ``point`` (the sampled parameters).
    """
    if _is_sampled(ds):
        return tuple(str(n) for n, c in ds.coords.items() if c.dims == ("point",) and n not in ("point", "computed"))
    return tuple(str(d) for d in ds.dims if d not in ("eq", "wrt"))


def _check_axes(ds: xr.Dataset, names: Sequence[str]) -> None:
    available = available_axes(ds)
    for name in names:
        if name not in available:
            raise PlotError(name, available)
    if len(set(names)) != len(names):
        raise PlotError(
            names[0],
            available,
            message=f"x and y must be two different dimensions, got `{names[0]}` twice; available: "
            + ", ".join(available),
        )


def _check_var(ds: xr.Dataset, var: str) -> None:
    if var not in ds.data_vars:
        raise PlotError(var, tuple(str(v) for v in ds.data_vars), "variable")


def _check_eq(ds: xr.Dataset, eq: str | int) -> None:
    if eq == "selected":
        return
    n = ds.sizes.get("eq", 0)
    if isinstance(eq, bool) or not isinstance(eq, int | np.integer) or not 0 <= int(eq) < n:
        raise PlotError(str(eq), ("selected", *(str(i) for i in range(n))), "equilibrium slot")


def _label(obj: xr.DataArray | None, name: str) -> tuple[str, str | None]:
    """(label, unit) of a variable or coordinate from its ``long_name`` / ``units``."""
    attrs = dict(obj.attrs) if obj is not None else {}
    long_name = str(attrs.get("long_name", name))
    label = name if long_name == name else f"{name}: {long_name}"
    units = attrs.get("units")
    return label, (None if units in (None, "", "1") else str(units))


def _dim(ds: xr.Dataset, name: str, **kw: Any) -> Any:
    hv = _hv()
    obj = ds[name] if name in ds.variables else None
    label, unit = _label(obj, name)
    return hv.Dimension(name, label=label, unit=unit, **kw)


def _other_dims(ds: xr.Dataset, axes: Sequence[str]) -> dict[str, np.ndarray]:
    """Dimensions that get a widget: everything but the axes, ``eq`` and ``point``."""
    if _is_sampled(ds):
        return {}
    return {str(d): np.asarray(ds[d].values) for d in ds.dims if d not in (*axes, "eq")}


def _thin(values: np.ndarray, m: int) -> np.ndarray:
    if len(values) <= m:
        return values
    return values[np.unique(np.linspace(0, len(values) - 1, max(m, 2)).round().astype(int))]


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _frames(
    ds: xr.Dataset,
    others: Mapping[str, np.ndarray],
    build: Callable[[dict[str, Any]], Any],
    dynamic: bool,
    max_frames: int = MAX_FRAMES,
) -> Any:
    """One element if nothing is left over; else a DynamicMap (live widgets) or a HoloMap
    (every frame pre-rendered, at most :data:`MAX_FRAMES`, for static HTML)."""
    hv = _hv()
    if not others:
        return build({})
    values = dict(others)
    if not dynamic:
        per_dim = max(int(math.floor(max_frames ** (1 / len(values)) + 1e-9)), 1)
        values = {d: _thin(v, per_dim) for d, v in values.items()}
    kdims = [_dim(ds, d, values=[_py(v) for v in vals]) for d, vals in values.items()]
    names = list(values)

    def callback(*key: Any) -> Any:
        return build(dict(zip(names, key, strict=True)))

    if dynamic:
        return hv.DynamicMap(callback, kdims=kdims)
    keys = itertools.product(*[[_py(v) for v in vals] for vals in values.values()])
    return hv.HoloMap({key: callback(*key) for key in keys}, kdims=kdims)


def _frame(ds: xr.Dataset, selection: Mapping[str, Any], names: Sequence[str]) -> xr.Dataset:
    """The variables ``names`` at one selection of the widget dimensions, loaded."""
    sub = ds[[n for n in dict.fromkeys(names) if n in ds.data_vars]]
    if selection:
        sub = sub.sel(dict(selection), method="nearest")
    return sub.load()


def _decimate(ds: xr.Dataset, axes: Sequence[str], max_cells: int) -> xr.Dataset:
    steps = {d: -(-ds.sizes[d] // max_cells) for d in axes}
    return ds.isel({d: slice(None, None, s) for d, s in steps.items() if s > 1})


def _pick_eq(frame: xr.Dataset, var: str, eq: str | int) -> xr.DataArray:
    """``var`` at the selected equilibrium (NaN where none) or at slot ``eq``."""
    da = frame[var]
    if "eq" not in da.dims:
        return da
    if eq == "selected":
        sel = frame["selected"]
        return da.isel(eq=sel.argmax("eq")).where(sel.any("eq"))
    return da.isel(eq=int(eq))


def _nan_reason(eq: str | int) -> str:
    if eq == "selected":
        return "off path at the selected equilibrium, or no equilibrium"
    return f"slot {eq} is empty or the output is off path in it"


def _eq_note(eq: str | int) -> str:
    return "selected equilibrium" if eq == "selected" else f"equilibrium slot {eq}"


def _is_regular(values: np.ndarray) -> bool:
    if len(values) < 2:
        return False
    step = np.diff(values.astype(float))
    return bool(np.all(step > 0) and np.allclose(step, step[0], rtol=1e-6, atol=0))


def _raster(ds: xr.Dataset, x: str, y: str, arrays: Sequence[np.ndarray], vdims: Sequence[Any]) -> Any:
    """An Image on a regular grid, a QuadMesh otherwise (log-spaced axes, explicit values)."""
    hv = _hv()
    xs, ys = np.asarray(ds[x].values, dtype=float), np.asarray(ds[y].values, dtype=float)
    kdims = [_dim(ds, x), _dim(ds, y)]
    if len(xs) < 2 or len(ys) < 2:
        raise ValueError(f"a map needs at least two values along each axis; {x} has {len(xs)}, {y} has {len(ys)}")
    data = (xs, ys, *[np.asarray(a, dtype=float) for a in arrays])
    if _is_regular(xs) and _is_regular(ys):
        return hv.Image(data, kdims=kdims, vdims=list(vdims))
    return hv.QuadMesh(data, kdims=kdims, vdims=list(vdims))


def _grid_2d(frame: xr.Dataset, da: xr.DataArray, x: str, y: str) -> np.ndarray:
    return np.asarray(da.transpose(y, x).values, dtype=float)


def _kind_formatter(variable: str = "kind") -> Any:
    from bokeh.models import CustomJSHover

    names, _, none = _category(variable)
    labels = [none, *names]
    return CustomJSHover(
        code=f"const names = {labels!r}; const i = Math.round(value) + 1;"
        f"if (i < 0) return 'not computed'; return (i < names.length) ? names[i] : {none!r};"
    )


def _legend_swatches(codes: Sequence[int], variable: str = "kind") -> list[Any]:
    """Empty, labelled markers: a legend of the categories present (Images have no legend)."""
    hv = _hv()
    names, colors, none = _category(variable)
    out = []
    for code in sorted(codes):
        name = "not computed" if code == NOT_COMPUTED_CODE else "none" if code < 0 else names[code]
        label = none if name == "none" else name
        out.append(hv.Points([(np.nan, np.nan)], label=label).opts(color=colors[name], marker="square", size=12))
    return out


def _share_multi(n_eq: np.ndarray) -> float:
    """Share of the computed points (n >= 0) with more than one equilibrium."""
    n = np.asarray(n_eq)
    n = n[n >= 0]
    return float((n > 1).mean()) if n.size else 0.0


#: What an equilibrium needs to count towards meaningful multiplicity (:func:`n_stable_d1`).
_ROBUST_VARS = ("kind", "stable", "d1_ok")
_ROBUST = "several stable D1-surviving equilibria"
#: Its legend key: short, so that the legend does not squeeze the map (the title spells it out).
_ROBUST_KEY = "2+ stable D1 eq."


def n_stable_d1(ds: xr.Dataset) -> xr.DataArray:
    """How many equilibria at each point are stable and survive D1: the multiplicity that means
    something.

    ``n_eq > 1`` holds almost everywhere, because pooling on no alliance, sustained by
    pessimistic off-path beliefs, is an equilibrium at almost every point (MODEL.md §6). Two
    equilibria that are both stable under best-response dynamics and both survive D1 are a real
    prediction problem; this counts them.

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or sweep cube with ``kind``, ``stable``, ``d1_ok`` and ``n_eq``
        (lazy cubes stay lazy).

    Returns
    -------
    xarray.DataArray
        Integer, the dimensions of ``ds`` without ``eq``; -1 where a point is not computed yet
        (``n_eq`` = -1).

    Raises
    ------
    PlotError
        ``ds`` lacks one of the variables (a cube swept with a subset of the outputs).

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> from allysweep.views import plot
    >>> ds = asw.solve(k=np.array([0.03, 0.11]))  # MODEL.md §9: pooling survives D1 iff k >= 0.09
    >>> plot.n_stable_d1(ds).values.tolist(), ds.n_eq.values.tolist()
    ([1, 2], [2, 3])
    """
    for var in (*_ROBUST_VARS, "n_eq"):
        _check_var(ds, var)
    robust = (ds["kind"] >= 0) & ds["stable"].astype(bool) & ds["d1_ok"].astype(bool)
    n = robust.sum("eq").where(ds["n_eq"] >= 0, -1).astype(np.int64)
    n.attrs = {
        "long_name": "number of stable equilibria that survive D1",
        "units": "1",
        "description": "Equilibria with stable and d1_ok; -1 where the point is not computed.",
    }
    return n.rename("n_stable_d1")


def _has_robust(ds: xr.Dataset) -> bool:
    return all(v in ds.data_vars for v in _ROBUST_VARS)


def _multiplicity_title(n_eq: np.ndarray, n_robust: np.ndarray | None) -> str:
    """The regime map's multiplicity line(s): the meaningful share, then the raw one."""
    if n_robust is None:  # a cube stored without the flags
        return f"several equilibria at {_share_multi(n_eq):.0%} of points"
    return f"{_ROBUST} at {_share_multi(n_robust):.0%} of points\nseveral of any kind at {_share_multi(n_eq):.0%}"


def _selection_title(selection: Mapping[str, Any]) -> str:
    return ", ".join(f"{d} = {v:.4g}" if isinstance(v, float) else f"{d} = {v}" for d, v in selection.items())


# --------------------------------------------------------------------------- regime map
def regime_map(
    ds: xr.Dataset,
    x: str,
    y: str,
    *,
    eq: str | int = "selected",
    variable: str = "kind",
    dynamic: bool = True,
    max_cells: int = MAX_CELLS,
    hover: bool = True,
    width: int = _SIZE["width"],
    height: int = _SIZE["height"],
) -> Any:
    """Where each kind of equilibrium is played: the equilibrium kind (or another categorical
    output, such as the crisis regime) over two parameters.

    Colours are categorical (:data:`KIND_COLORS`, with a legend of kind names). Points with
    several equilibria that are stable and survive D1 (:func:`n_stable_d1`) are outlined in
    black (grid cubes) or ringed (sampled cubes), and the title gives their share, then the share
    with several equilibria of any kind (almost every point: pooling on no alliance with
    pessimistic beliefs exists nearly everywhere). A cube stored without ``stable`` and ``d1_ok``
    falls back to the raw count. Hovering shows the kind and both numbers of equilibria.

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or sweep cube with ``kind``, ``selected`` and ``n_eq``.
    x, y : str
        The parameters on the axes: dimensions of a grid cube, or coordinates along ``point``
        of a sampled cube.
    eq : "selected" or int
        Colour by the selected equilibrium (default) or by equilibrium slot ``eq``.
    variable : {"kind", "crisis_regime_alliance", "crisis_regime_no_alliance"}
        What the colours show: the equilibrium kind (default, :data:`KIND_COLORS`) or how the
        crisis after an alliance / without one is played (:data:`REGIME_COLORS`; CRISIS.md §2.3).
    dynamic : bool
        With remaining dimensions: a ``DynamicMap`` whose frames are drawn on demand (for
        notebooks and servers, default) or a ``HoloMap`` with every frame pre-rendered (at most
        :data:`MAX_FRAMES`, evenly thinned) for static HTML.
    max_cells : int
        Most values drawn along an axis; longer axes are decimated (module docstring).
    hover : bool
        Attach a hover tool to the map.
    width, height : int
        Size in screen pixels.

    Returns
    -------
    holoviews.Overlay, DynamicMap or HoloMap
        Displayable in a notebook; ``holoviews.render`` gives the Bokeh figure.

    Raises
    ------
    PlotError
        ``x`` or ``y`` is not a dimension (or sampled coordinate) of ``ds``, or ``eq`` is not
        a slot.

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> from allysweep.views import plot
    >>> ds = asw.solve(k=np.linspace(0, 0.12, 25), r=np.linspace(0, 0.14, 29))
    >>> view = plot.regime_map(ds, "k", "r")

    An adaptive cube (:func:`allysweep.adaptive`) is drawn by :func:`adaptive_map`: its
    rasterised labels, the solved points and the exact boundary points.
    """
    if ds.attrs.get("allysweep_design") == "adaptive":
        return adaptive_map(ds, x, y, max_cells=max_cells, width=width, height=height, hover=hover)
    _check_axes(ds, [x, y])
    _check_eq(ds, eq)
    names, colors, _ = _category(variable)
    for var in (variable, "selected", "n_eq"):
        _check_var(ds, var)
    warn_if_incomplete(ds, "regime_map")
    hv = _hv()
    if _is_sampled(ds):
        return _regime_points(ds, x, y, eq, width, height, variable)
    others = _other_dims(ds, [x, y])
    small = _decimate(ds, [x, y], max_cells)
    palette = [colors["none"], *(colors[name] for name in names)]
    label = ds[variable].attrs.get("long_name", variable)

    robust = _has_robust(ds)
    frame_vars = [variable, "selected", "n_eq", *(_ROBUST_VARS if robust else ())]

    def build(selection: dict[str, Any]) -> Any:
        frame = _frame(small, selection, frame_vars)
        n_eq = frame["n_eq"]
        kind = _kind_codes(_pick_eq(frame, variable, eq), n_eq)
        kind2d, n2d = _grid_2d(frame, kind, x, y), _grid_2d(frame, n_eq, x, y)
        # Multiplicity that means something (stable, D1-surviving) where the flags are stored.
        r2d = _grid_2d(frame, n_stable_d1(frame), x, y) if robust else None
        vdims = [hv.Dimension("kind", label=label), hv.Dimension("n_eq", label="number of equilibria")]
        tooltips = [(x, "$x"), (y, "$y"), (label, "@kind{custom}"), ("equilibria", "@n_eq")]
        arrays = [kind2d, n2d]
        if r2d is not None:
            arrays.append(r2d)
            vdims.append(hv.Dimension("n_stable_d1", label="stable D1-surviving equilibria"))
            tooltips.append(("stable, D1-surviving", "@n_stable_d1"))
        missing = bool((kind2d == NOT_COMPUTED_CODE).any())
        shown = [colors["not computed"], *palette] if missing else palette
        img = _raster(frame, x, y, arrays, vdims).opts(
            cmap=shown,
            clim=(-0.5 - len(shown) + len(names), len(names) - 0.5),
            color_levels=len(shown),
            colorbar=False,
            tools=["hover"] if hover else [],
            hover_tooltips=tooltips,
            hover_formatters={"@kind": _kind_formatter(variable)},
        )
        layers = [img, *_legend_swatches(np.unique(kind2d).astype(int).tolist(), variable)]
        multi = ((n2d if r2d is None else r2d) > 1).astype(float)
        if 0 < multi.mean() < 1:
            mask = _raster(frame, x, y, [multi], ["several"])
            outline = hv.operation.contours(mask, levels=[0.5], filled=False)
            what_multi = "several equilibria" if r2d is None else _ROBUST_KEY
            layers.append(outline.relabel(f"{what_multi} (outlined)").opts(color="black", line_width=2))
        what = "Regime map" if variable == "kind" else f"{label[:1].upper()}{label[1:]}"
        title = f"{what} ({_eq_note(eq)})\n{_multiplicity_title(n2d, r2d)}"
        if missing:
            title += f"; {float((n2d < 0).mean()):.0%} not computed"
        if selection:
            title += f"; {_selection_title(selection)}"
        return hv.Overlay(layers).opts(
            title=title, width=width, height=height, legend_position="right", show_legend=True, hooks=[_fit_labels]
        )

    return _frames(ds, others, build, dynamic)


#: Colours of the labels of an adaptive map, in the order of their codes.
ADAPTIVE_COLORS = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
    "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6",
)  # fmt: skip


def adaptive_map(
    cube: xr.Dataset,
    x: str,
    y: str,
    *,
    at: Mapping[str, float] | None = None,
    max_cells: int = MAX_CELLS,
    points: bool = True,
    boundaries: bool = True,
    hover: bool = True,
    width: int = _SIZE["width"],
    height: int = _SIZE["height"],
) -> Any:
    """An adaptive regime map: the labels rasterised from the tree (:func:`allysweep.rasterize`),
    with the solved points and the exact boundary points overlaid.

    Parameters
    ----------
    cube : xarray.Dataset
        An adaptive cube (:func:`allysweep.adaptive`).
    x, y : str
        Two of its swept parameters.
    at : mapping, optional
        Values of the other swept parameters (nearest finest node; default: the middle of each
        axis). Points and boundary points within half a finest step of the slice are drawn.
    max_cells : int
        Raster resolution at most this many points per axis (the largest 2^j + 1 that fits).
    points, boundaries : bool
        Overlay the solved points (small grey dots; inferred labels are not drawn) and the boundary
        points (black).
    hover : bool
        Hover tool on the raster (the label's name).
    width, height : int
        Size in screen pixels.

    Returns
    -------
    holoviews.Overlay

    Examples
    --------
    >>> import allysweep as asw
    >>> from allysweep.views import plot
    >>> cube = asw.adaptive(k=(0.0, 0.15, 65), r=(0.035, 0.14, 65), coarse=9)
    >>> view = plot.adaptive_map(cube, "k", "r")
    """
    from ..adaptive import rasterize

    hv = _hv()
    axes = json.loads(cube.attrs["adaptive_axes"])
    names = [a[0] for a in axes]
    for axis in (x, y):
        if axis not in names:
            raise PlotError(axis, tuple(names), "swept parameter of the adaptive cube")
    n = int(axes[0][3])
    resolution = n
    while resolution > max(max_cells, 3):
        resolution = (resolution - 1) // 2 + 1
    raster = rasterize(cube, resolution)
    values = {a[0]: np.linspace(a[1], a[2], a[3]) for a in axes}
    at = dict(at or {})
    half = {name: 0.5 * (values[name][1] - values[name][0]) for name in names}
    pick = {}
    for name in names:
        if name in (x, y):
            continue
        want = at.get(name, float(values[name][n // 2]))
        pick[name] = float(raster[name].values[np.argmin(np.abs(raster[name].values - want))])
    plane = raster.sel(pick).transpose(y, x)
    label_names = {int(k): v for k, v in cube.attrs["label_names"].items()}
    codes = sorted(label_names)
    index = np.searchsorted(codes, plane.values)
    palette = [ADAPTIVE_COLORS[i % len(ADAPTIVE_COLORS)] for i in range(len(codes))]
    img = hv.Image((plane[x].values, plane[y].values, index.astype(float)), kdims=[x, y], vdims=["label"]).opts(
        cmap=palette,
        clim=(-0.5, len(codes) - 0.5),
        color_levels=len(codes),
        colorbar=False,
        tools=["hover"] if hover else [],
    )
    layers = [img]
    for i in np.unique(index):
        swatch = hv.Points([(np.nan, np.nan)], label=label_names[codes[int(i)]])
        layers.append(swatch.opts(color=palette[int(i)], marker="square", size=12))

    def in_slice(prefix: str, dim: str) -> np.ndarray:
        keep = np.ones(cube.sizes[dim], dtype=bool)
        for name, value in pick.items():
            keep &= np.abs(cube[f"{prefix}{name}"].values - value) <= half[name] * (1 + 1e-9)
        return keep

    # Points whose label was inferred from an agreeing face (face inference) were not solved.
    solved = ~cube["inferred"].values if "inferred" in cube.variables else np.ones(cube.sizes["point"], dtype=bool)
    if points:
        keep = np.flatnonzero(in_slice("", "point") & solved)[:MAX_POINTS]
        dots = hv.Points((cube[x].values[keep], cube[y].values[keep]), kdims=[x, y], label="solved points")
        layers.append(dots.opts(color="#555555", size=2, alpha=0.5))
    if boundaries and "boundary" in cube.dims:
        keep = np.flatnonzero(in_slice("boundary_", "boundary"))
        edge = (cube[f"boundary_{x}"].values[keep], cube[f"boundary_{y}"].values[keep])
        layers.append(hv.Points(edge, kdims=[x, y], label="exact boundary").opts(color="black", size=3))
    title = f"Adaptive regime map: {cube.attrs['label']} ({int(solved.sum()):,} solved points)"
    if pick:
        title += "; " + ", ".join(f"{k} = {v:g}" for k, v in pick.items())
    return hv.Overlay(layers).opts(title=title, width=width, height=height, legend_position="right", show_legend=True)


def _points_frame(ds: xr.Dataset, x: str, y: str | None, names: Sequence[str]) -> xr.Dataset:
    sub = ds[[n for n in dict.fromkeys(names) if n in ds.data_vars]].isel(point=slice(0, MAX_POINTS))
    coords = [c for c in (x, y) if c is not None]
    return sub.assign_coords({c: ds[c].isel(point=slice(0, MAX_POINTS)) for c in coords}).load()


def _regime_points(
    ds: xr.Dataset, x: str, y: str, eq: str | int, width: int, height: int, variable: str = "kind"
) -> Any:
    hv = _hv()
    names, colors, none = _category(variable)
    robust = _has_robust(ds)
    frame = _points_frame(ds, x, y, [variable, "selected", "n_eq", *(_ROBUST_VARS if robust else ())])
    kind = np.asarray(_kind_codes(_pick_eq(frame, variable, eq), frame["n_eq"]).values).astype(int)
    xs, ys, n_eq = frame[x].values, frame[y].values, frame["n_eq"].values
    n_robust = np.asarray(n_stable_d1(frame).values) if robust else None
    kdims = [_dim(ds, x), _dim(ds, y)]
    layers = []
    for code in sorted(np.unique(kind).tolist()):
        name = "not computed" if code == NOT_COMPUTED_CODE else "none" if code < 0 else names[code]
        m = kind == code
        pts = hv.Points((xs[m], ys[m], n_eq[m]), kdims=kdims, vdims=["n_eq"], label=none if name == "none" else name)
        layers.append(pts.opts(color=colors[name], size=6, tools=["hover"]))
    multi = (n_eq if n_robust is None else n_robust) > 1
    if multi.any():
        what_multi = "several equilibria" if n_robust is None else _ROBUST_KEY
        ring = hv.Points((xs[multi], ys[multi]), kdims=kdims, label=f"{what_multi} (ringed)")
        layers.append(ring.opts(fill_alpha=0, line_color="black", size=9))
    title = f"Regime map ({_eq_note(eq)})\n{_multiplicity_title(n_eq, n_robust)}"
    return hv.Overlay(layers).opts(
        title=title, width=width, height=height, legend_position="right", hooks=[_fit_labels]
    )


# --------------------------------------------------------------------------- heatmap
def heatmap(
    ds: xr.Dataset,
    var: str,
    x: str,
    y: str,
    *,
    eq: str | int = "selected",
    dynamic: bool = True,
    max_cells: int = MAX_CELLS,
    cmap: str = "viridis",
    hover: bool = True,
    width: int = _SIZE["width"],
    height: int = _SIZE["height"],
    rasterize: bool | None = None,
) -> Any:
    """Any output over two parameters, with a colour bar labelled from the variable's
    ``long_name`` and ``units``.

    Large grid cubes are rasterised: rather than decimated, the output is drawn through
    hvplot's xarray interface (``.hvplot.image(..., rasterize=True)``), so datashader averages
    the cells that fall on each screen pixel, re-aggregates on zoom, and reads the (lazy,
    Dask-backed) cube chunk by chunk when a frame is shown: a 10^7-point cube never has to fit
    in memory (``benches/hvplot_bench.py``). Continuous outputs only: a regime map is never
    averaged (:func:`regime_map` keeps exact kinds).

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or sweep cube.
    var : str
        The output to colour by (``prob_war``, ``prob_renege``, ``n_eq``, ...). Flags are drawn as
        0/1.
    x, y : str
        The parameters on the axes (see :func:`regime_map`).
    eq : "selected" or int
        For per-equilibrium outputs: the selected equilibrium (default; NaN where there is none)
        or slot ``eq``.
    dynamic, hover, width, height
        As in :func:`regime_map`.
    max_cells : int
        Most values drawn along an axis without rasterising: longer axes are rasterised where
        datashader is installed (``rasterize=None``), decimated otherwise or with
        ``rasterize=False``.
    cmap : str
        A colour map name known to HoloViews.
    rasterize : bool, optional
        Rasterise with datashader (needs the ``plot`` extra's ``datashader``). Default: where an
        axis is longer than ``max_cells`` and datashader is installed. Grid cubes with regular
        axes only; sampled designs are drawn as points.

    Returns
    -------
    holoviews.Image, QuadMesh, Points, DynamicMap or HoloMap
        Rasterised: a ``DynamicMap`` whose frames are datashaded images (sliders for the other
        dimensions), or a ``HoloMap`` of them with ``dynamic=False``.

    Raises
    ------
    PlotError
        ``var`` is not a variable, ``x``/``y`` not a dimension of ``ds``, or ``eq`` not a slot.

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> from allysweep.views import plot
    >>> ds = asw.solve(k=np.linspace(0, 0.12, 25), r=np.linspace(0, 0.14, 29))
    >>> view = plot.heatmap(ds, "prob_war", "k", "r")
    >>> zoomable = plot.heatmap(ds, "prob_war", "k", "r", rasterize=True)  # datashader, lazy
    """
    _check_var(ds, var)
    _check_axes(ds, [x, y])
    _check_eq(ds, eq)
    warn_if_incomplete(ds, "heatmap")
    hv = _hv()
    label, unit = _label(ds[var], var)
    vdim = hv.Dimension(var, label=label, unit=unit)
    note = f" ({_eq_note(eq)})" if "eq" in ds[var].dims else ""
    names = [var, "selected", "n_eq"]
    if _is_sampled(ds):
        frame = _points_frame(ds, x, y, names)
        values = np.asarray(_pick_eq(frame, var, eq).values, dtype=float)
        pts = hv.Points((frame[x].values, frame[y].values, values), kdims=[_dim(ds, x), _dim(ds, y)], vdims=[vdim])
        return pts.opts(
            color=var, cmap=cmap, colorbar=True, size=6, tools=["hover"], width=width, height=height,
            title=f"{label}{note}", hooks=[_fit_labels],
        )  # fmt: skip
    others = _other_dims(ds, [x, y])
    if rasterize is None:
        long_axes = any(ds.sizes[d] > max_cells for d in (x, y))
        rasterize = long_axes and _has_datashader() and all(_is_regular(np.asarray(ds[d].values)) for d in (x, y))
    if rasterize:
        return _rasterized(ds, var, x, y, eq, others, dynamic, cmap, hover, width, height, vdim, f"{label}{note}")
    small = _decimate(ds, [x, y], max_cells)

    def build(selection: dict[str, Any]) -> Any:
        frame = _frame(small, selection, names)
        values = _grid_2d(frame, _pick_eq(frame, var, eq).astype(float), x, y)
        title = f"{label}{note}"
        shown = vdim
        if not np.isfinite(values).any():
            # Nothing to colour (e.g. a slot no point fills): say so, and give the colour bar a
            # range, rather than letting NumPy warn about an all-NaN slice while rendering.
            title += f"\nno {var} value here (NaN everywhere: {_nan_reason(eq)})"
            shown = vdim.clone(range=(0.0, 1.0))
        if selection:
            title += f"\n{_selection_title(selection)}"
        return _raster(frame, x, y, [values], [shown]).opts(
            cmap=cmap,
            colorbar=True,
            clipping_colors={"NaN": "#eeeeee"},
            tools=["hover"] if hover else [],
            width=width,
            height=height,
            title=title,
            hooks=[_fit_labels],
        )

    return _frames(ds, others, build, dynamic)


def _has_datashader() -> bool:
    import importlib.util

    return importlib.util.find_spec("datashader") is not None


def _lazy_pick_eq(ds: xr.Dataset, var: str, eq: str | int) -> xr.DataArray:
    """:func:`_pick_eq` without loading anything: the selected slot by a masked sum over ``eq``
    (one slot at most is selected), which Dask evaluates chunk by chunk."""
    da = ds[var]
    if "eq" not in da.dims:
        return da
    if eq == "selected":
        return da.astype(float).where(ds["selected"]).sum("eq", min_count=1)
    return da.isel(eq=int(eq))


def _rasterized(
    ds: xr.Dataset,
    var: str,
    x: str,
    y: str,
    eq: str | int,
    others: Mapping[str, np.ndarray],
    dynamic: bool,
    cmap: str,
    hover: bool,
    width: int,
    height: int,
    vdim: Any,
    title: str,
) -> Any:
    """The heatmap through hvplot's xarray interface, rasterised by datashader, lazily."""
    try:
        import hvplot.xarray  # noqa: F401  (registers the .hvplot accessor)
    except ImportError:
        raise ImportError("a rasterised heatmap needs the plot extra: pip install 'allysweep[plot]'") from None
    if not _has_datashader():
        raise ImportError("rasterize=True needs datashader (in the plot extra): pip install 'allysweep[plot]'")
    for d in (x, y):
        if not _is_regular(np.asarray(ds[d].values, dtype=float)):
            raise ValueError(f"rasterize=True needs evenly spaced axes; {d} is not (use rasterize=False)")
    sub = ds[[n for n in (var, "selected") if n in ds.data_vars]]
    da = _lazy_pick_eq(sub, var, eq).astype(float).rename(var)
    da.attrs = dict(ds[var].attrs)
    x_label, y_label = (_dim(ds, d).pprint_label for d in (x, y))
    style = {
        "cmap": cmap,
        "colorbar": True,
        "clabel": vdim.pprint_label,
        "xlabel": x_label,
        "ylabel": y_label,
        "hover": hover,
        "width": width,
        "height": height,
    }

    def image(frame: xr.DataArray, title: str, groupby: list[str] | None, live: bool) -> Any:
        view = frame.hvplot.image(x=x, y=y, groupby=groupby, rasterize=True, dynamic=live, title=title, **style)
        return view.opts(clipping_colors={"NaN": "#eeeeee"}, hooks=[_fit_labels])

    if dynamic or not others:  # hvplot's own widgets over the other dimensions, frames on demand
        return image(da, title, list(others) or None, True)
    # A HoloMap pre-renders every frame: thin the sliders as _frames does, one static image each.
    hv = _hv()
    per_dim = max(int(math.floor(MAX_FRAMES ** (1 / len(others)) + 1e-9)), 1)
    values = {d: [_py(v) for v in _thin(np.asarray(v), per_dim)] for d, v in others.items()}
    frames = {
        key: image(
            da.sel(dict(zip(values, key, strict=True))),
            f"{title}\n{_selection_title(dict(zip(values, key, strict=True)))}",
            None,
            False,
        )
        for key in itertools.product(*values.values())
    }
    return hv.HoloMap(frames, kdims=[_dim(ds, d, values=v) for d, v in values.items()])


# --------------------------------------------------------------------------- lines
def lines(
    ds: xr.Dataset,
    var: str | Sequence[str],
    x: str,
    *,
    dynamic: bool = True,
    width: int = _SIZE["width"],
    height: int = 320,
) -> Any:
    """Outputs against one parameter, every equilibrium drawn.

    Each equilibrium is a marker coloured by its kind (so branches of different kinds are never
    joined by a line); the selected equilibrium is also joined by a black line. Per-point
    outputs (``n_eq``, full-information ranges) are one line.

    Given the result of :func:`allysweep.branches` instead, each equilibrium branch is one
    continuous curve (solid where stable, dashed where unstable) and every fold is a cross at
    the parameter value where its two branches meet.

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or sweep cube.
    var : str or sequence of str
        One output, or several (one panel each, sharing the widgets).
    x : str
        The parameter on the horizontal axis.
    dynamic, width, height
        As in :func:`regime_map`.

    Returns
    -------
    holoviews.Overlay, Layout, DynamicMap or HoloMap

    Raises
    ------
    PlotError
        A variable or ``x`` the cube does not have.

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> from allysweep.views import plot
    >>> view = plot.lines(asw.solve(k=np.linspace(0, 0.12, 61)), ["prob_war", "prob_renege"], "k")
    """
    names = [var] if isinstance(var, str) else list(var)
    for name in names:
        _check_var(ds, name)
    _check_axes(ds, [x])
    if "branch" in ds.dims:
        panels = [_branch_lines(ds, name, x, width, height) for name in names]
        return panels[0] if len(panels) == 1 else _hv().Layout(panels).cols(1).opts(title="")
    for v in ("kind", "selected"):
        _check_var(ds, v)
    warn_if_incomplete(ds, "lines")
    panels = [_lines_one(ds, name, x, dynamic, width, height) for name in names]
    if len(panels) == 1:
        return panels[0]
    hv = _hv()
    return hv.Layout(panels).cols(1 if width > 500 else 2).opts(title="")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _branch_lines(ds: xr.Dataset, var: str, x: str, width: int, height: int) -> Any:
    """Branches of :func:`allysweep.branches` as continuous curves: stable solid, unstable
    dashed, each branch in the colour of its kind where it starts; folds are crosses, and each
    branch that ends at a fold is drawn on to it."""
    hv = _hv()
    label, unit = _label(ds[var], var)
    vdim = hv.Dimension(var, label=label, unit=unit)
    kdim = _dim(ds, x)
    xs = np.asarray(ds[x].values, dtype=float)
    values = np.asarray(ds[var].transpose("branch", x).values, dtype=float)
    present = np.asarray(ds["slot"].transpose("branch", x).values) >= 0
    stable = np.asarray(ds["stable"].transpose("branch", x).values, dtype=bool)
    kinds = np.asarray(ds["kind"].transpose("branch", x).values).astype(int)
    fold_of: dict[int, list[tuple[float, float]]] = {}
    fold_var = f"fold_{var}" if f"fold_{var}" in ds else None
    if fold_var is not None:
        for f in range(ds.sizes.get("fold", 0)):
            point = (float(ds.fold_value.values[f]), float(ds[fold_var].values[f]))
            for b in (int(ds.fold_stable_branch.values[f]), int(ds.fold_unstable_branch.values[f])):
                fold_of.setdefault(b, []).append(point)
    layers, seen = [], set()
    for b in range(values.shape[0]):
        for start, stop in _runs(present[b] & np.isfinite(values[b])):
            px, py = list(xs[start:stop]), list(values[b, start:stop])
            # Draw on to the fold this run ends (or starts) at.
            for fx, fy in fold_of.get(b, []):
                if start > 0 and xs[start - 1] <= fx <= xs[start]:
                    px, py = [fx, *px], [fy, *py]
                if stop < len(xs) and xs[stop - 1] <= fx <= xs[stop]:
                    px, py = [*px, fx], [*py, fy]
            name = KIND_NAMES[kinds[b, start]] if kinds[b, start] >= 0 else "none"
            style = "solid" if stable[b, start] else "dashed"
            key = (name, style)
            legend = f"{name} ({'stable' if style == 'solid' else 'unstable'})"
            curve = hv.Curve((px, py), kdims=[kdim], vdims=[vdim], label=legend if key not in seen else "")
            seen.add(key)
            layers.append(curve.opts(color=KIND_COLORS[name], line_dash=style, line_width=2, tools=["hover"]))
    if fold_var is not None and ds.sizes.get("fold", 0):
        folds = (np.asarray(ds.fold_value.values, dtype=float), np.asarray(ds[fold_var].values, dtype=float))
        layers.append(
            hv.Scatter(folds, kdims=[kdim], vdims=[vdim], label="fold").opts(
                marker="x", size=12, color="black", line_width=2
            )
        )
    if not layers:
        layers.append(hv.Curve(([], []), kdims=[kdim], vdims=[vdim]))
    title = f"{label}: branches (solid stable, dashed unstable)"
    return hv.Overlay(layers).opts(
        title=title, width=width, height=height, legend_position="right", hooks=[_fit_labels]
    )


def _lines_one(ds: xr.Dataset, var: str, x: str, dynamic: bool, width: int, height: int) -> Any:
    hv = _hv()
    label, unit = _label(ds[var], var)
    vdim = hv.Dimension(var, label=label, unit=unit)
    kdim = _dim(ds, x)
    per_eq = "eq" in ds[var].dims
    names = [var, "kind", "selected"]

    def draw(frame: xr.Dataset, title: str, sampled: bool) -> Any:
        xs = np.asarray(frame[x].values, dtype=float)
        if not per_eq:
            element = hv.Scatter if sampled else hv.Curve
            return element((xs, np.asarray(frame[var].values, dtype=float)), kdims=[kdim], vdims=[vdim]).opts(
                title=title, width=width, height=height, tools=["hover"], color="black", hooks=[_fit_labels]
            )
        values = np.asarray(frame[var].transpose(..., "eq").values, dtype=float)
        kinds = np.asarray(frame["kind"].transpose(..., "eq").values).astype(int)
        xx = np.broadcast_to(xs[:, None], values.shape)
        layers = []
        for code in sorted(set(np.unique(kinds).tolist()) - {-1}):
            m = (kinds == code) & np.isfinite(values)
            if not m.any():
                continue
            name = KIND_NAMES[code]
            layers.append(
                hv.Scatter((xx[m], values[m]), kdims=[kdim], vdims=[vdim], label=name).opts(
                    color=KIND_COLORS[name], size=6, tools=["hover"]
                )
            )
        if not sampled:
            selected = np.asarray(_pick_eq(frame, var, "selected").values, dtype=float)
            layers.append(
                hv.Curve((xs, selected), kdims=[kdim], vdims=[vdim], label="selected").opts(
                    color="black", line_width=1.5
                )
            )
        if not layers:
            layers.append(hv.Curve(([], []), kdims=[kdim], vdims=[vdim]))
        return hv.Overlay(layers).opts(
            title=title, width=width, height=height, legend_position="right", hooks=[_fit_labels]
        )

    if _is_sampled(ds):
        frame = _points_frame(ds, x, None, names)
        return draw(frame, f"{label}, every equilibrium", True)
    others = _other_dims(ds, [x])

    def build(selection: dict[str, Any]) -> Any:
        frame = _frame(ds, selection, names)
        title = f"{label}, every equilibrium" if per_eq else label
        if selection:
            title += f"\n{_selection_title(selection)}"
        return draw(frame, title, False)

    return _frames(ds, others, build, dynamic)


# --------------------------------------------------------------------------- bargaining ranges
def bargaining_ranges(
    ds: xr.Dataset,
    x: str | None = None,
    *,
    eq: str | int = "selected",
    dynamic: bool = True,
    width: int = _SIZE["width"],
    height: int = 360,
) -> Any:
    """The bargaining ranges over D's share of the good (MODEL.md §1, §8), status quo marked.

    Four intervals: D alone ``[p - c_D, p + c̄]``, D and ally with full information (joint),
    and, at the chosen equilibrium, after an alliance and without one. The status quo x = 1 is
    a dashed line: the challenger challenges when it lies above the range.

    Parameters
    ----------
    ds : xarray.Dataset
        A solved dataset or sweep cube with the ``range_*`` outputs.
    x : str, optional
        Draw the ranges as bands against this parameter. Default: the intervals at one point,
        with a widget for every dimension (grid) or for the design point (sampled).
    eq : "selected" or int
        The equilibrium whose signal-dependent ranges are drawn.
    dynamic, width, height
        As in :func:`regime_map`.

    Returns
    -------
    holoviews.Overlay, DynamicMap or HoloMap

    Raises
    ------
    PlotError
        ``x`` is not a dimension of ``ds``, a ``range_*`` output is missing, or ``eq`` is not a
        slot.

    Examples
    --------
    >>> import allysweep as asw
    >>> from allysweep.views import plot
    >>> view = plot.bargaining_ranges(asw.solve(k=0.03))
    """
    if x is not None:
        _check_axes(ds, [x])
    _check_eq(ds, eq)
    names = [v for lo_hi in RANGES.values() for v in lo_hi[:2]] + ["selected"]
    for name in names:
        _check_var(ds, name)
    warn_if_incomplete(ds, "bargaining_ranges")
    hv = _hv()
    share = hv.Dimension("share", label="D's share of the good x", range=(0, 1.05))
    eq_note = _eq_note(eq)

    def intervals(frame: xr.Dataset, title: str) -> Any:
        segments, labels = [], []
        for i, (label, (lo, hi, color)) in enumerate(RANGES.items()):
            a, b = float(_pick_eq(frame, lo, eq)), float(_pick_eq(frame, hi, eq))
            labels.append((i, label))
            if math.isfinite(a) and math.isfinite(b):
                segments.append(
                    hv.Segments([(a, i, b, i)], kdims=[share, "y", "x1", "y1"], label=label).opts(
                        color=color, line_width=14
                    )
                )
        quo = hv.VLine(STATUS_QUO).opts(color="black", line_dash="dashed")
        note = hv.Text(STATUS_QUO, len(RANGES) - 0.45, "status quo x = 1 ").opts(
            text_align="right", text_font_size="9pt"
        )
        return hv.Overlay([*segments, quo, note]).opts(
            title=title,
            width=width,
            height=height,
            yticks=labels,
            ylim=(-0.7, len(RANGES) - 0.3),
            xlim=(0, 1.05),
            ylabel="",
            legend_position="right",
            show_legend=False,
            hooks=[_fit_labels],
        )

    def bands(frame: xr.Dataset, title: str) -> Any:
        xs = np.asarray(frame[x].values, dtype=float)
        layers = []
        for label, (lo, hi, color) in RANGES.items():
            a = np.asarray(_pick_eq(frame, lo, eq).values, dtype=float)
            b = np.asarray(_pick_eq(frame, hi, eq).values, dtype=float)
            if _is_sampled(ds):
                el = hv.Segments((xs, a, xs, b), kdims=[_dim(ds, x), share, "x1", "y1"], label=label)
                layers.append(el.opts(color=color, alpha=0.5, line_width=3))
            else:
                el = hv.Area((xs, a, b), kdims=[_dim(ds, x)], vdims=[share, "share_hi"], label=label)
                layers.append(el.opts(color=color, alpha=0.3, line_color=color))
        layers.append(hv.HLine(STATUS_QUO).opts(color="black", line_dash="dashed"))
        if len(xs):
            layers.append(
                hv.Text(float(np.nanmin(xs)), STATUS_QUO + 0.02, " status quo x = 1").opts(
                    text_align="left", text_font_size="9pt"
                )
            )
        return hv.Overlay(layers).opts(
            title=title,
            width=width,
            height=height,
            ylim=(0, 1.05),
            legend_position="right",
            ylabel=share.label,
            hooks=[_fit_labels],
        )

    title0 = f"Bargaining ranges ({eq_note})"
    if _is_sampled(ds):
        if x is not None:
            return bands(_points_frame(ds, x, None, names), title0)
        n = min(ds.sizes["point"], MAX_FRAMES if not dynamic else MAX_POINTS)
        others = {"point": np.arange(n)}
    else:
        others = _other_dims(ds, [x] if x is not None else [])

    def build(selection: dict[str, Any]) -> Any:
        if _is_sampled(ds):
            frame = ds[names].isel(point=int(selection["point"])).load()
            params = {c: float(ds[c][int(selection["point"])]) for c in available_axes(ds)}
            title = f"{title0}\n{_selection_title(params)}"
        else:
            frame = _frame(ds, selection, names)
            title = f"{title0}\n{_selection_title(selection)}" if selection else title0
        return intervals(frame, title) if x is None else bands(frame, title)

    return _frames(ds, others, build, dynamic)


# --------------------------------------------------------------------------- saving
def _frame_key(view: Any, frame: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """The key of the frame to save: ``frame``'s values (nearest listed value per widget), else
    the frame the widgets show now (``current_key``), else the first value of every widget."""
    values = [list(d.values) if d.values else list(getattr(view, "keys", lambda: [])()) for d in view.kdims]
    key = []
    for i, dim in enumerate(view.kdims):
        options = values[i]
        if frame is not None and dim.name in frame:
            wanted = frame[dim.name]
            if options and all(isinstance(o, int | float) for o in options):
                key.append(min(options, key=lambda o: abs(float(o) - float(wanted))))
            else:
                key.append(wanted)
            continue
        current = getattr(view, "current_key", None)
        if current is not None:
            key.append(current[i] if isinstance(current, tuple) else current)
        else:
            key.append(options[0] if options else None)
    if frame is not None:
        unknown = set(frame) - {d.name for d in view.kdims}
        if unknown:
            raise PlotError(sorted(unknown)[0], tuple(d.name for d in view.kdims), "slider")
    return tuple(key)


def current_frame(view: Any, frame: Mapping[str, Any] | None = None) -> Any:
    """One frame of a view: a ``DynamicMap`` / ``HoloMap`` (or a ``Layout`` of them) reduced to
    the element at ``frame`` (a dict of slider values), by default the frame currently shown
    (the first value of each slider for a view never displayed). Other elements are returned as
    they are."""
    hv = _hv()
    if isinstance(view, hv.Layout):
        panels = [current_frame(p, frame) for p in view]
        out = hv.Layout(panels).opts(title="")
        return out.cols(view._max_cols) if getattr(view, "_max_cols", None) else out
    if isinstance(view, hv.DynamicMap | hv.HoloMap) and view.kdims:
        key = _frame_key(view, frame)
        return view[key if len(key) > 1 else key[0]]
    return view


#: Static formats :func:`save` writes (from the file's suffix), through a real headless browser.
STATIC_FORMATS = (".svg", ".pdf", ".png")


def save(view: Any, path: str | Path, *, frame: Mapping[str, Any] | None = None, title: str | None = None) -> Path:
    """Save a view: one self-contained HTML page, or a static figure for a paper.

    The format comes from the suffix of ``path``:

    - ``.html``: the interactive page with every script inlined (it opens offline). It holds one
      frame, the one shown now (or ``frame``, e.g. ``{"r": 0.06}``, nearest values), in moments;
      ``holoviews.save`` on a view with sliders would render every frame and load Bokeh's
      JavaScript from the web. For a page with every frame, build the view with
      ``dynamic=False`` (at most :data:`MAX_FRAMES`) and pass it as is.
    - ``.svg`` (vector), ``.pdf`` (vector, converted from the SVG) or ``.png``: the same frame,
      with the same labels and units, styled for print (no toolbar, larger fonts, white
      background). Rendered by Bokeh in a real headless Chromium (``chromium`` and
      ``chromedriver`` on PATH: ``tests/setup_browser.sh`` installs them on Debian).

    Parameters
    ----------
    view : HoloViews object
        What :func:`regime_map`, :func:`heatmap`, :func:`lines` or :func:`bargaining_ranges`
        return (a ``HoloMap`` is saved with every frame it holds as HTML).
    path : str or Path
        The file to write: ``.html``, ``.svg``, ``.pdf`` or ``.png``.
    frame : dict, optional
        Slider values of the frame to save (default: the current frame).
    title : str, optional
        The page's title (HTML only).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        The directory of ``path`` does not exist, or (static formats) no Chromium is installed.
    PlotError
        ``frame`` names a dimension that has no slider, or the suffix is not a known format.
    """
    from bokeh.resources import INLINE

    hv = _hv()
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save the view to {path}: directory {path.parent} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", *STATIC_FORMATS):
        raise PlotError(
            "path",
            [".html", *STATIC_FORMATS],
            message=f"cannot save {path}: the suffix {path.suffix!r} is not one of .html, .svg, .pdf, .png",
        )
    obj = view
    if isinstance(view, hv.DynamicMap) or isinstance(view, hv.Layout) or frame is not None or suffix != ".html":
        obj = current_frame(view, frame)
    if suffix in STATIC_FORMATS:
        _save_static(hv.render(obj, backend="bokeh"), path, suffix)
        return path
    hv.save(obj, str(path), backend="bokeh", resources=INLINE, title=title or path.stem)
    return path


#: Font sizes of static figures (points): readable at a journal's column width.
PRINT_FONTS = {"title": "13pt", "axis_label": "12pt", "tick": "11pt", "legend": "11pt"}


def _print_style(model: Any, vector: bool) -> None:
    """Style every plot of a rendered Bokeh model for print."""
    from bokeh.models import ColorBar, Legend, Plot

    for fig in model.select({"type": Plot}):
        fig.toolbar_location = None
        fig.background_fill_color = "white"
        fig.border_fill_color = "white"
        if vector:
            fig.output_backend = "svg"
            # Bokeh's SVG backend over-measures a legend's text when it lays the plot out, which
            # collapses (or pads) the frame of a plot with a legend beside or under it; its canvas
            # backend does not. A legend inside the frame takes no layout room: put it there, on
            # a near-opaque box, and size the frame itself.
            for legend in [item for item in fig.right if isinstance(item, Legend)]:
                fig.right.remove(legend)
                legend.location = "top_right"
                legend.background_fill_alpha = 0.85
                fig.add_layout(legend, "center")
            if fig.width and fig.height and fig.frame_width is None:
                right = sum(90 for item in fig.right if isinstance(item, ColorBar))
                title = str(fig.title.text) if fig.title is not None and fig.title.text else ""
                lines = title.count("\n") + 1 if title else 0
                fig.frame_width = max(200, fig.width - 80 - right)
                fig.frame_height = max(150, fig.height - 24 * lines - 60)
                fig.width = fig.height = None
        if fig.title is not None:
            fig.title.text_font_size = PRINT_FONTS["title"]
        for axis in [*fig.xaxis, *fig.yaxis]:
            axis.axis_label_text_font_size = PRINT_FONTS["axis_label"]
            axis.major_label_text_font_size = PRINT_FONTS["tick"]
        for legend in fig.select({"type": Legend}):
            legend.label_text_font_size = PRINT_FONTS["legend"]
        _fit_figure(fig)  # wrapped again: the print fonts are larger than the screen's
        # A label longer than its axis ("r: A's reputation cost if ... (utility)") keeps its
        # symbol and units: "r (utility)".
        room = {"x": (fig.frame_width or fig.width or 600) / 8, "y": (fig.frame_height or fig.height or 300) / 8}
        for which, axes in (("x", fig.xaxis), ("y", fig.yaxis)):
            for axis in axes:
                label = str(axis.axis_label or "")
                if len(label) > room[which] and ": " in label:
                    symbol, rest = label.split(": ", 1)
                    unit = rest[rest.rfind(" (") :] if rest.endswith(")") and " (" in rest else ""
                    axis.axis_label = f"{symbol}{unit}"
        for legend in fig.select({"type": Legend}):
            legend.label_text_font_size = PRINT_FONTS["legend"]


def _static_driver(scale: int = 1) -> Any:
    """A headless Chromium for Bokeh's export (Debian's chromium and chromedriver from PATH)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (binary and driver):
        raise FileNotFoundError(
            "static figures (.svg, .pdf, .png) are rendered in a headless Chromium: install chromium and "
            "chromedriver (Debian: sudo bash tests/setup_browser.sh) and put both on PATH"
        )
    options = Options()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument(f"--force-device-scale-factor={scale}")
    return webdriver.Chrome(service=Service(driver), options=options)


def _svg_to_pdf(driver: Any, svg: Path) -> bytes:
    """The SVG printed to a one-page vector PDF of its own size by the same Chromium (its
    print-to-PDF keeps text and paths as vectors, and embedded images as images)."""
    import base64
    import re

    head = svg.read_text()[:500]
    size = re.search(r'<svg[^>]*\swidth="([0-9.]+)"[^>]*\sheight="([0-9.]+)"', head)
    if size is None:
        raise PlotError("path", [str(svg)], message=f"cannot convert the figure to PDF: {svg} has no width and height")
    width, height = float(size.group(1)), float(size.group(2))
    driver.get(svg.resolve().as_uri())
    pdf = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {
            "paperWidth": width / 96 + 0.01,
            "paperHeight": height / 96 + 0.01,
            "marginTop": 0,
            "marginBottom": 0,
            "marginLeft": 0,
            "marginRight": 0,
            "printBackground": True,
            "pageRanges": "1",
        },
    )
    return base64.b64decode(pdf["data"])


def _save_static(model: Any, path: Path, suffix: str) -> None:
    import tempfile

    from bokeh.io import export_png, export_svg

    _print_style(model, vector=suffix != ".png")
    driver = _static_driver(scale=2 if suffix == ".png" else 1)
    try:
        if suffix == ".png":
            export_png(model, filename=str(path), webdriver=driver, scale_factor=2)
            return
        with tempfile.TemporaryDirectory() as tmp:
            svg = Path(tmp) / "figure.svg"
            export_svg(model, filename=str(svg), webdriver=driver)
            if suffix == ".svg":
                svg.replace(path)
                return
            path.write_bytes(_svg_to_pdf(driver, svg))
    finally:
        driver.quit()
