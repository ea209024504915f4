"""allysweep.views.plot on cubes with one, two and three swept dimensions and on sampled designs.

Every view is rendered to Bokeh models (what a browser receives) and its data is compared with
the cube, or with MODEL.md's worked examples, computed here independently of the plot code."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.exceptions import PlotError
from allysweep.views import plot


def render(obj):
    return hv.render(obj, backend="bokeh")


def glyphs(fig, name):
    """Renderers of a figure whose glyph is of type ``name`` (Image, Scatter, MultiLine, ...)."""
    return [r for r in fig.renderers if type(getattr(r, "glyph", None)).__name__ == name]


def legend_labels(fig):
    return [item.label.value for legend in fig.legend for item in legend.items]


def selected_kind(ds):
    """Kind of the selected equilibrium, -1 where none (written out here, not via plot)."""
    sel = ds.selected.values
    kinds = ds.kind.values.astype(float)
    out = np.full(sel.shape[:-1], -1.0)
    has = sel.any(-1)
    out[has] = np.take_along_axis(kinds, sel.argmax(-1)[..., None], -1)[..., 0][has]
    return out


def robust_count(ds):
    """Equilibria per point that are stable and survive D1 (written out here, not via plot)."""
    flags = (ds.kind.values >= 0) & ds.stable.values.astype(bool) & ds.d1_ok.values.astype(bool)
    return flags.sum(-1)


#: MODEL.md §9: no-alliance pooling survives D1 iff k >= b t_0 ((1 - p') + c_A); at the base case
#: (b = M / (c_hi - c_lo) = 0.4, t_0 = 0.15 / 0.3 = 0.5) that is k >= 0.09.
K_POOL_D1 = 0.4 * 0.5 * (0.3 + 0.15)


@pytest.fixture(scope="module")
def cube1():
    return asw.solve(k=np.linspace(0.0, 0.12, 49))


@pytest.fixture(scope="module")
def cube2():
    return asw.solve(k=np.linspace(0.0, 0.12, 25), r=np.linspace(0.0, 0.14, 29))


@pytest.fixture(scope="module")
def cube3(grid_cube_store):
    return asw.open_cube(grid_cube_store)


@pytest.fixture(scope="module")
def sampled(sampled_cube_store):
    return asw.open_cube(sampled_cube_store)


# --------------------------------------------------------------------------- regime map
def test_regime_map_two_dims_shows_selected_kinds_with_legend_and_labelled_axes(cube2):
    fig = render(plot.regime_map(cube2, "k", "r"))
    (image,) = glyphs(fig, "Image")
    shown = np.asarray(image.data_source.data["image"][0])
    expected = selected_kind(cube2).T  # rows are r, columns k
    np.testing.assert_array_equal(shown, expected)
    present = {asw.KIND_NAMES[int(c)] for c in np.unique(expected) if c >= 0}
    assert present and present <= set(legend_labels(fig))
    assert "k: A's sunk peacetime cost of the alliance (utility)" == fig.xaxis[0].axis_label
    assert fig.yaxis[0].axis_label.startswith("r: A's reputation cost")
    # Categorical colours: each kind code falls in its own bin of the palette.
    mapper = image.glyph.color_mapper
    assert list(mapper.palette) == plot._PALETTE
    assert (mapper.low, mapper.high) == (-1.5, len(asw.KIND_NAMES) - 0.5)
    # The subtitle gives the multiplicity that means something, then the raw count.
    robust = float((robust_count(cube2) > 1).mean())
    raw = float((cube2.n_eq > 1).mean())
    assert raw == 1.0 and 0.2 < robust < 0.3  # pooling with pessimistic beliefs exists everywhere
    assert f"several stable D1-surviving equilibria at {robust:.0%} of points" in fig.title.text
    assert f"several of any kind at {raw:.0%}" in fig.title.text


def test_n_stable_d1_counts_stable_d1_survivors_and_matches_model_9(cube2):
    n = plot.n_stable_d1(cube2)
    assert n.dims == ("k", "r") and n.dtype.kind == "i"
    np.testing.assert_array_equal(n.values, robust_count(cube2))
    # The raw count says "several" everywhere; the meaningful one exactly where MODEL.md §9 puts
    # a D1-surviving pooling next to the stable honest cut-point (the knife-edge k = 0.09 aside).
    k = cube2.k.broadcast_like(n).values
    off_edge = abs(k - K_POOL_D1) > 1e-9
    np.testing.assert_array_equal((n.values > 1)[off_edge], (k > K_POOL_D1)[off_edge])
    assert bool((cube2.n_eq > 1).all())
    # A point not computed yet is -1, not 0; a cube without the flags is an error naming them.
    partial = cube2.copy()
    partial["n_eq"] = partial.n_eq.where(partial.k != 0.0, -1)
    assert bool((plot.n_stable_d1(partial).sel(k=0.0) == -1).all())
    with pytest.raises(PlotError, match="d1_ok"):
        plot.n_stable_d1(cube2.drop_vars("d1_ok"))


def test_regime_map_outlines_where_several_stable_d1_equilibria_coexist(cube3):
    view = plot.regime_map(cube3, "k", "r")
    fig0 = render(view[0.0])
    frame = cube3.sel(c_c_extra=0.0).load()
    multi = robust_count(frame) > 1
    assert 0 < multi.mean() < 1  # the fixture has a mixed region at c_c_extra = 0
    assert (frame.n_eq > 1).mean() > multi.mean()  # the raw count is larger
    outline = glyphs(fig0, "MultiLine")
    assert outline and "2+ stable D1 eq. (outlined)" in legend_labels(fig0)
    xs = np.concatenate([np.asarray(x) for x in outline[0].data_source.data["xs"]])
    # At Δ_C = 0 (b = 0.3) MODEL.md §9 puts them in a band of k, the same for every r: from where
    # pooling survives D1, k = b t_0 ((1 - p') + c_A) = 0.0675, to where the stable honest cut-point
    # reaches t_0 and vanishes, k = a (1 - p) t_0 - (a - b)((1 - p') t_0 + c_A) = 0.09.
    lo, hi = 0.3 * 0.5 * 0.45, 0.6 * 0.6 * 0.5 - 0.3 * (0.3 * 0.5 + 0.15)
    ks = np.broadcast_to(frame.k.values[:, None], multi.shape)
    off_edge = (abs(ks - lo) > 1e-9) & (abs(ks - hi) > 1e-9)
    np.testing.assert_array_equal(multi[off_edge], ((ks > lo) & (ks < hi))[off_edge])
    # The outline runs around that band, inside the grid: between the last k without and the first
    # k with several stable D1 survivors, at either end.
    band = frame.k.values[multi.any(axis=1)]
    step = float(np.diff(frame.k.values)[0])
    inner = xs[(xs > 1e-9) & (xs < 0.12 - 1e-9)]
    assert len(inner) > 2 and band.min() - step <= inner.min() and inner.max() <= band.max() + step
    # The hover gives both counts.
    (image,) = glyphs(fig0, "Image")
    np.testing.assert_array_equal(np.asarray(image.data_source.data["n_stable_d1"][0]), robust_count(frame).T)


def test_regime_map_falls_back_to_the_raw_count_without_the_flags(cube2):
    fig = render(plot.regime_map(cube2.drop_vars(["stable", "d1_ok"]), "k", "r"))
    assert f"several equilibria at {float((cube2.n_eq > 1).mean()):.0%} of points" in fig.title.text
    assert "D1" not in fig.title.text


def test_regime_map_three_dims_has_a_slider_and_frames_differ(cube3):
    view = plot.regime_map(cube3, "k", "r")
    assert isinstance(view, hv.DynamicMap)
    (kdim,) = view.kdims
    assert kdim.name == "c_c_extra" and kdim.values == [0.0, 0.1, 0.2]
    frames = {}
    for value in kdim.values:
        fig = render(view[value])
        (image,) = glyphs(fig, "Image")
        frames[value] = np.asarray(image.data_source.data["image"][0])
        assert f"c_c_extra = {value:.4g}" in fig.title.text
        expected = selected_kind(cube3.sel(c_c_extra=value).load()).T
        np.testing.assert_array_equal(frames[value], expected)
    assert not np.array_equal(frames[0.0], frames[0.2])
    # As a page: Panel turns the remaining dimension into a slider widget.
    import panel as pn

    widgets = [w for w in pn.panel(view).select(pn.widgets.Widget) if hasattr(w, "options")]
    assert len(widgets) == 1 and list(widgets[0].options.values()) == [0.0, 0.1, 0.2]
    assert "extra war cost to C" in widgets[0].name


def test_static_regime_map_html_embeds_every_frame(cube3, tmp_path):
    view = plot.regime_map(cube3, "k", "r", dynamic=False)
    assert isinstance(view, hv.HoloMap) and list(view.keys()) == [0.0, 0.1, 0.2]
    path = tmp_path / "regime.html"
    hv.save(view, str(path), resources="inline")
    html = path.read_text()
    assert "cutpoint_bluff" in html and "extra war cost to C" in html
    assert '<script src="http' not in html


def test_regime_map_decimates_long_axes(cube2):
    fig = render(plot.regime_map(cube2, "k", "r", max_cells=10))
    (image,) = glyphs(fig, "Image")
    shown = np.asarray(image.data_source.data["image"][0])
    # ceil(25 / 10) = 3 -> every third k; ceil(29 / 10) = 3 -> every third r.
    assert shown.shape == (10, 9)
    np.testing.assert_array_equal(shown, selected_kind(cube2).T[::3, ::3])


def test_regime_map_sampled_design_draws_points_by_kind(sampled):
    fig = render(plot.regime_map(sampled, "k", "r"))
    kind = selected_kind(sampled.load())
    total = 0
    for renderer in glyphs(fig, "Scatter"):
        label = next((i.label.value for lg in fig.legend for i in lg.items if renderer in i.renderers), None)
        if label == "2+ stable D1 eq. (ringed)":
            ringed = robust_count(sampled.load()) > 1
            assert 0 < ringed.sum() < int((sampled.n_eq > 1).sum())
            np.testing.assert_array_equal(np.sort(renderer.data_source.data["k"]), np.sort(sampled.k.values[ringed]))
            continue
        code = asw.KIND_NAMES.index(label) if label in asw.KIND_NAMES else -1
        xs = np.asarray(renderer.data_source.data["k"])
        assert len(xs) == int((kind == code).sum())
        np.testing.assert_array_equal(np.sort(xs), np.sort(sampled.k.values[kind == code]))
        total += len(xs)
    assert total == sampled.sizes["point"]
    robust = float((robust_count(sampled.load()) > 1).mean())
    assert f"several stable D1-surviving equilibria at {robust:.0%} of points" in fig.title.text
    assert "2+ stable D1 eq. (ringed)" in legend_labels(fig)


# --------------------------------------------------------------------------- heatmap
def test_heatmap_reduces_to_selected_equilibrium_and_labels_colorbar(cube2):
    fig = render(plot.heatmap(cube2, "prob_war", "k", "r"))
    (image,) = glyphs(fig, "Image")
    shown = np.asarray(image.data_source.data["image"][0])
    sel = cube2.selected.values
    expected = np.take_along_axis(cube2.prob_war.values, sel.argmax(-1)[..., None], -1)[..., 0]
    np.testing.assert_allclose(shown, expected.T, equal_nan=True)
    (colorbar,) = [r for r in fig.right if type(r).__name__ == "ColorBar"]
    assert "probability of war" in colorbar.title
    assert "selected equilibrium" in fig.title.text


def test_heatmap_of_one_slot_and_of_a_per_point_output(cube3):
    fig = render(plot.heatmap(cube3, "cutpoint", "k", "r", eq=1)[0.1])
    (image,) = glyphs(fig, "Image")
    expected = cube3.cutpoint.sel(c_c_extra=0.1).isel(eq=1).transpose("r", "k").values
    np.testing.assert_allclose(np.asarray(image.data_source.data["image"][0]), expected, equal_nan=True)
    fig = render(plot.heatmap(cube3, "n_eq", "r", "c_c_extra")[0.06])  # k is the slider now
    (image,) = glyphs(fig, "Image")
    expected = cube3.n_eq.sel(k=0.06, method="nearest").transpose("c_c_extra", "r").values
    np.testing.assert_array_equal(np.asarray(image.data_source.data["image"][0]), expected)
    assert "k = 0.06" in fig.title.text


def test_heatmap_rasterized_through_hvplot_matches_the_cube(cube2):
    """rasterize=True draws through hvplot + datashader; with more pixels than cells nothing is
    averaged, so the image is the selected equilibrium's prob_war, cell for cell."""
    view = plot.heatmap(cube2, "prob_war", "k", "r", rasterize=True)
    assert isinstance(view, hv.DynamicMap)  # re-aggregated on zoom
    fig = render(view)
    (image,) = glyphs(fig, "Image")
    sel = cube2.selected.values
    expected = np.take_along_axis(cube2.prob_war.values, sel.argmax(-1)[..., None], -1)[..., 0]
    np.testing.assert_allclose(np.asarray(image.data_source.data["image"][0]), expected.T, equal_nan=True)
    (colorbar,) = [r for r in fig.right if type(r).__name__ == "ColorBar"]
    assert "probability of war" in colorbar.title
    assert fig.xaxis[0].axis_label.startswith("k: A's sunk") and "selected equilibrium" in fig.title.text


def test_heatmap_rasterizes_long_axes_by_averaging_cells_under_each_pixel():
    ds = asw.solve(k=np.linspace(0.0, 0.12, 240), r=np.linspace(0.0, 0.14, 180))
    view = plot.heatmap(ds, "prob_renege", "k", "r", max_cells=100, width=200, height=160)
    assert isinstance(view, hv.DynamicMap)  # longer than max_cells: rasterised, not decimated
    (image,) = glyphs(render(view), "Image")
    shown = np.asarray(image.data_source.data["image"][0])
    value = asw.selected(ds).prob_renege.transpose("r", "k").values
    assert shown.shape[0] < 180 and shown.shape[1] < 240  # fewer pixels than cells
    # Means of blocks of cells: inside the data's range, and the same overall mean.
    assert np.nanmin(value) - 1e-12 <= np.nanmin(shown) and np.nanmax(shown) <= np.nanmax(value) + 1e-12
    assert abs(np.nanmean(shown) - np.nanmean(value)) < 0.01
    # Not a subsample: some pixels lie strictly between the values of any cell (averaged).
    assert not np.isin(np.round(shown[np.isfinite(shown)], 12), np.round(value[np.isfinite(value)], 12)).all()
    assert isinstance(plot.heatmap(ds, "prob_renege", "k", "r", max_cells=100, rasterize=False), hv.Image)


def test_heatmap_rasterized_with_sliders_static_and_live(cube3):
    live = plot.heatmap(cube3, "prob_war", "k", "r", rasterize=True)
    assert [d.name for d in live.kdims] == ["c_c_extra"]
    static = plot.heatmap(cube3, "prob_war", "k", "r", rasterize=True, dynamic=False)
    assert isinstance(static, hv.HoloMap) and list(static.keys()) == [0.0, 0.1, 0.2]
    (image,) = glyphs(render(static[0.1]), "Image")
    expected = asw.selected(cube3).prob_war.sel(c_c_extra=0.1).transpose("r", "k").values
    np.testing.assert_allclose(np.asarray(image.data_source.data["image"][0]), expected, equal_nan=True)


def test_heatmap_sampled_design(sampled):
    fig = render(plot.heatmap(sampled, "prob_renege", "k", "r"))
    (points,) = glyphs(fig, "Scatter")
    data = points.data_source.data
    assert len(data["k"]) == sampled.sizes["point"]
    np.testing.assert_array_equal(data["r"], sampled.r.values)


# --------------------------------------------------------------------------- lines
def test_lines_one_dim_draws_every_equilibrium_coloured_by_kind(cube1):
    fig = render(plot.lines(cube1, "cutpoint", "k"))
    drawn = 0
    for renderer in glyphs(fig, "Scatter"):
        label = next(i.label.value for lg in fig.legend for i in lg.items if renderer in i.renderers)
        code = asw.KIND_NAMES.index(label)
        m = (cube1.kind.values == code) & np.isfinite(cube1.cutpoint.values)
        assert len(renderer.data_source.data["cutpoint"]) == int(m.sum())
        np.testing.assert_allclose(np.sort(renderer.data_source.data["cutpoint"]), np.sort(cube1.cutpoint.values[m]))
        drawn += int(m.sum())
    assert drawn == int(np.isfinite(cube1.cutpoint.values).sum())
    (line,) = glyphs(fig, "Line")
    assert "selected" in legend_labels(fig)
    assert len(line.data_source.data["k"]) == cube1.sizes["k"]
    assert fig.yaxis[0].axis_label == "cutpoint: cutpoint θ* (utility)"


def test_lines_three_dims_several_outputs_share_sliders(cube3):
    view = plot.lines(cube3, ["prob_war", "prob_renege"], "k")
    assert isinstance(view, hv.Layout) and len(view) == 2
    for panel in view:
        assert [d.name for d in panel.kdims] == ["r", "c_c_extra"]
    fig = render(view[0][(0.07, 0.1)])
    (line,) = glyphs(fig, "Line")
    selected = cube3.sel(r=0.07, c_c_extra=0.1, method="nearest").load()
    expected = np.take_along_axis(selected.prob_war.values, selected.selected.values.argmax(-1)[:, None], -1)[:, 0]
    np.testing.assert_allclose(line.data_source.data["prob_war"], expected, equal_nan=True)


def test_lines_sampled_design(sampled):
    fig = render(plot.lines(sampled, "prob_war", "k"))
    n = sum(len(r.data_source.data["k"]) for r in glyphs(fig, "Scatter"))
    assert n == int(np.isfinite(sampled.prob_war.values).sum())


# --------------------------------------------------------------------------- bargaining ranges
def test_bargaining_ranges_at_a_point_match_model_worked_example():
    # MODEL.md §10, E2 at c = 0.2: after alliance [26.85/44, 0.6 + 0.4·39/44], without [0.3, 0.6].
    ds = asw.solve(k=0.03, range_cost=0.2)
    fig = render(plot.bargaining_ranges(ds))
    segments = {}
    rows = list(plot.RANGES)  # drawn bottom-up in this order: y = 0, 1, 2, 3
    for renderer in glyphs(fig, "Segment"):
        d = renderer.data_source.data
        segments[rows[int(d["y"][0])]] = (float(d["share"][0]), float(d["x1"][0]))
    np.testing.assert_allclose(segments["after alliance"], (26.85 / 44, 0.6 + 0.4 * 39 / 44), atol=1e-9)
    np.testing.assert_allclose(segments["without alliance"], (0.3, 0.6), atol=1e-9)
    np.testing.assert_allclose(segments["D alone"], (0.3, 0.6), atol=1e-9)  # [p - c_D, p + c]
    np.testing.assert_allclose(segments["D and ally (joint)"], (0.65, 1.0), atol=1e-9)  # clipped at 1
    spans = [r for r in fig.renderers if type(r).__name__ == "Span"]
    assert [(s.location, s.dimension) for s in spans] == [(1.0, "height")]  # the status quo x = 1
    assert "status quo x = 1" in str(glyphs(fig, "Text")[0].data_source.data["text"][0])
    assert fig.xaxis[0].axis_label == "D's share of the good x"


def test_bargaining_ranges_bands_against_a_parameter(cube3):
    view = plot.bargaining_ranges(cube3, "k")
    fig = render(view[(0.07, 0.1)])
    areas = glyphs(fig, "VArea") + glyphs(fig, "Patch")
    assert len(areas) == 4
    assert any(type(r).__name__ == "Span" and r.location == 1.0 for r in fig.renderers)
    assert set(legend_labels(fig)) == {"D alone", "D and ally (joint)", "after alliance", "without alliance"}
    # The joint band is the full-information range with the ally fighting, along k.
    sub = cube3.sel(r=0.07, c_c_extra=0.1, method="nearest")
    joint = [r for r in areas if r.data_source.data and np.allclose(r.data_source.data.get("x", [np.nan])[:1], 0.0)]
    assert joint and np.all(sub.range_lo_joint.values >= sub.range_lo_alone.values)


def test_bargaining_ranges_sampled_design(sampled):
    view = plot.bargaining_ranges(sampled)
    assert [d.name for d in view.kdims] == ["point"]
    fig = render(view[3])
    assert "k = " in fig.title.text and len(glyphs(fig, "Segment")) >= 2
    fig = render(plot.bargaining_ranges(sampled, "k"))
    assert len(glyphs(fig, "Segment")) == 4


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("call", "missing", "available"),
    [
        (lambda ds: plot.regime_map(ds, "k", "p"), "p", "k, r, c_c_extra"),
        (lambda ds: plot.heatmap(ds, "prob_war", "theta_lo", "k"), "theta_lo", "k, r, c_c_extra"),
        (lambda ds: plot.lines(ds, "prob_war", "b_c"), "b_c", "k, r, c_c_extra"),
        (lambda ds: plot.bargaining_ranges(ds, "eq"), "eq", "k, r, c_c_extra"),
    ],
)
def test_missing_dimension_names_it_and_the_available_ones(cube3, call, missing, available):
    with pytest.raises(PlotError) as info:
        call(cube3)
    err = info.value
    assert isinstance(err, ValueError)
    assert str(err) == f"the cube has no dimension `{missing}`; available: {available}"
    assert err.name == missing


def test_missing_dimension_on_one_dim_and_sampled_cubes(cube1, sampled):
    with pytest.raises(PlotError, match=r"no dimension `r`; available: k$"):
        plot.regime_map(cube1, "k", "r")
    with pytest.raises(PlotError, match=r"no dimension `c_a`; available: k, r$"):
        plot.heatmap(sampled, "prob_war", "k", "c_a")


def test_missing_variable_and_slot(cube2):
    with pytest.raises(PlotError, match=r"no variable `prob_peace`; available: .*prob_war"):
        plot.heatmap(cube2, "prob_peace", "k", "r")
    with pytest.raises(PlotError, match=r"no equilibrium slot `7`"):
        plot.regime_map(cube2, "k", "r", eq=7)


def test_irregular_axis_uses_a_quadmesh():
    ds = asw.solve(k=np.geomspace(0.001, 0.12, 20), r=np.linspace(0.0, 0.14, 15))
    fig = render(plot.heatmap(ds, "prob_alliance", "k", "r"))
    assert glyphs(fig, "Quad") and not glyphs(fig, "Image")


def test_solve_output_with_named_dataarray_dims():
    k = xr.DataArray(np.linspace(0, 0.1, 6), dims="k")
    ds = asw.solve(k=k, r=xr.DataArray([0.02, 0.06], dims="r"))
    fig = render(plot.regime_map(ds, "k", "r"))
    assert np.asarray(glyphs(fig, "Image")[0].data_source.data["image"][0]).shape == (2, 6)
