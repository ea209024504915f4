"""Issue 19, items 3-7: what a newcomer trips on. Each test states the exact message or
behaviour designed for it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.exceptions import ParameterError, SpecError


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "allysweep.cli", *args], capture_output=True, text=True, **kw)


# --------------------------------------------------------------------------- item 3: errors
def test_spec_error_blames_the_default_and_names_the_keys_to_change():
    with pytest.raises(SpecError) as info:
        asw.SweepSpec.from_dict({"sweep": {"design": "sobol", "n_points": 8}, "params": {"p": {"uniform": [0.2, 0.8]}}})
    assert str(info.value) == (
        "<dict>: params.p_alliance: not set, so its default 0.7 was used, which is outside the model's domain "
        "at p = 0.8 (a corner of the swept box): allowed domain is p < p_alliance <= 1 (p = 0.8); "
        "set params.p_alliance or change params.p"
    )


def test_spec_error_on_a_written_key_gives_the_failing_corner():
    with pytest.raises(SpecError) as info:
        asw.SweepSpec.from_dict({"params": {"k": {"linspace": [-0.1, 0.1, 5]}, "r": [0.0, 0.1]}})
    assert str(info.value) == (
        "<dict>: params.k: value -0.1 outside the model's domain at k = -0.1, r = 0 (a corner of the swept box): "
        "allowed domain is k >= 0"
    )


def test_cli_error_says_the_value_was_a_default():
    proc = cli("solve", "p=0.8")
    assert proc.returncode == 2
    assert proc.stderr == (
        "allysweep: error: invalid parameter `p_alliance` = 0.7 (its default: you did not set it): allowed domain "
        "is p < p_alliance <= 1 (p = 0.8); set p_alliance explicitly\n"
    )


def test_batch_error_gives_the_point_coordinates():
    with pytest.raises(ParameterError) as info:
        asw.solve(k=np.array([0.1, -1.0]), r=np.array([0.1, 0.2]))
    assert str(info.value) == "invalid parameter `k` = -1.0 at point 2 (k = -1, r = 0.1): allowed domain is k >= 0"
    assert info.value.index == 2 and info.value.where == "k = -1, r = 0.1"


def test_internal_column_names_do_not_leak():
    proc = cli("solve", "--method", "closed_form", "cost_c=logistic:0.5,0.1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("allysweep: error: invalid parameter `cost_c` = 'logistic': allowed domain is ")
    assert "cost_kind" not in proc.stderr


def test_infinite_value_is_refused_as_not_finite():
    with pytest.raises(ParameterError) as info:
        asw.solve(k=float("inf"))
    assert str(info.value) == "invalid parameter `k` = inf: allowed domain is k >= 0 and finite"


# --------------------------------------------------------------------------- item 4: strings
def test_python_takes_the_distribution_strings_of_the_cli_and_specs():
    as_string = asw.solve(theta="two_point:0.2,0.4,0.5", cost_c="uniform:0,1", k=0.018)
    as_object = asw.solve(theta=asw.TwoPoint(0.2, 0.4, 0.5), cost_c=asw.Uniform(0, 1), k=0.018)
    xr.testing.assert_identical(as_string.drop_attrs(), as_object.drop_attrs())
    # MODEL.md §10, T2: a hybrid with prob_alliance 2/3.
    hybrid = as_string.where(as_string.kind == asw.KIND_NAMES.index("hybrid"), drop=True)
    np.testing.assert_allclose(hybrid.prob_alliance.values, [2 / 3], rtol=0, atol=1e-9)
    with pytest.raises(ParameterError, match=r"^invalid parameter `theta` = 'uniform:1': allowed domain is uniform"):
        asw.solve(theta="uniform:1")


# --------------------------------------------------------------------------- item 5: selected
def test_selected_gives_per_point_outputs_with_kind_labels():
    # MODEL.md §10: E2 (k = 0.03) selects the bluffing cutpoint 41/195, E1 (k = 0.075) the honest
    # cutpoint 0.35, E3 (k = 0.0072) a bluffing cutpoint 0.125; each with its prob_renege.
    ds = asw.solve(k=np.array([0.03, 0.075, 0.0072]))
    sel = asw.selected(ds)
    assert "eq" not in sel.dims and sel.kind.dims == ("k",)
    assert sel.kind.values.tolist() == ["cutpoint_bluff", "cutpoint_honest", "cutpoint_bluff"]
    assert sel.kind_code.values.tolist() == [1, 0, 1]
    np.testing.assert_allclose(sel.cutpoint.values, [41 / 195, 0.35, 0.125], rtol=0, atol=1e-9)
    np.testing.assert_allclose(sel.prob_renege.values, [5 / 44, 0.0, 0.2], rtol=0, atol=1e-9)
    assert sel.stable.values.tolist() == [True, True, True]
    assert sel.prob_war.attrs["units"] == "1" and sel.n_eq.equals(ds.n_eq)
    # The README idiom for regime shares.
    shares = asw.selected(ds).kind.to_series().value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"cutpoint_bluff": 2 / 3, "cutpoint_honest": 1 / 3})


def test_selected_labels_points_without_equilibrium_and_not_computed():
    ds = asw.solve(k=np.array([0.03, 0.075, 0.0072])).load()
    # As an incomplete cube reads at an unfinished point, and a point without equilibrium.
    ds["n_eq"][0], ds["selected"][0] = -1, False
    ds["kind"][0] = -1
    ds["n_eq"][1], ds["selected"][1] = 0, False
    sel = asw.selected(ds)
    assert sel.kind.values.tolist() == ["not computed", "no equilibrium", "cutpoint_bluff"]
    assert sel.kind_code.values.tolist() == [-1, -1, 1]
    assert np.isnan(sel.cutpoint.values[:2]).all()


def test_cli_table_explains_its_columns_and_json_has_status():
    import json

    table = cli("solve", "k=0.03")
    assert table.returncode == 0
    assert (
        "columns: θ* = cutpoint (types above it ally); Pr(ally) = prob_alliance; q1, q0 = belief_alliance, "
        "belief_no_alliance (belief that A intervenes, after an alliance / without one); P1, P0 = "
        "prob_challenge_alliance, prob_challenge_no_alliance (bluffing challengers included); Pr(war) = prob_war; "
        "renege = prob_renege; "
        "stable; IC, D1 = survives the Intuitive Criterion, D1; degen = degenerate; - = off path (NaN)\n"
        "status: 4 (all equilibria reported; certified complete)\n"
    ) in table.stdout
    doc = json.loads(cli("solve", "--json", "k=0.03").stdout)
    assert doc["status"] == 4 and doc["status_meaning"] == "all equilibria reported; certified complete"
    # k = r = 0 with no type ever intervening is a continuum (docs/conventions.md: status 2).
    cont = json.loads(cli("solve", "--json", "k=0", "r=0", "c_a=0.9").stdout)
    assert cont["status"] & 2 and "a continuum of cutpoints" in cont["status_meaning"]


# --------------------------------------------------------------------------- item 6: noise
def test_report_into_a_missing_directory_is_one_line_before_any_work(grid_cube_store):
    proc = cli("report", str(grid_cube_store), "-o", "/nonexistent/dir/r.html")
    assert proc.returncode == 2
    assert proc.stderr == (
        "allysweep: error: cannot write the report /nonexistent/dir/r.html: directory /nonexistent/dir does not exist\n"
    )


def test_sobol_size_warned_once_at_validation_in_our_words(tmp_path):
    import warnings

    from allysweep.exceptions import AllysweepWarning
    from allysweep.sweeps.design import sampled_design

    path = tmp_path / "sobol.toml"
    path.write_text(
        f'[sweep]\ndesign = "sobol"\nn_points = 100\nchunk_points = 100\nstore = "{tmp_path / "s.zarr"}"\n'
        "[params]\nk = { uniform = [0.0, 0.1] }\n"
    )
    message = (
        f"{path}: sweep.n_points = 100 is not a power of two: a Sobol design is balanced only then (the nearest "
        "are 64 and 128); the first 100 points of the sequence are used"
    )
    with pytest.warns(AllysweepWarning) as caught:
        spec = asw.load_spec(path)
    assert [str(w.message) for w in caught] == [message]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SciPy's own UserWarning is not repeated
        assert len(sampled_design(spec)["k"]) == 100
    proc = cli("run", str(path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"allysweep: warning: {message}\n"


def test_all_nan_slot_heatmap_says_so_without_numpy_warning():
    import warnings

    import holoviews as hv

    from allysweep.views import plot

    # Slot 0 holds the no-alliance pooling everywhere here, which has no prob_renege (MODEL.md §8).
    ds = asw.solve(k=np.linspace(0.02, 0.04, 5), r=np.linspace(0.05, 0.07, 4))
    assert np.isnan(ds.prob_renege.isel(eq=0).values).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = hv.render(plot.heatmap(ds, "prob_renege", "k", "r", eq=0), backend="bokeh")
    # The title is wrapped to its figure's width (the report's clipping fix): compare its words.
    title, note = fig.title.text.split("\nno prob_renege", 1)
    assert title.startswith("prob_renege")
    assert " ".join(("no prob_renege" + note).split()) == (
        "no prob_renege value here (NaN everywhere: slot 0 is empty or the output is off path in it)"
    )


def test_regime_map_same_axis_twice_is_a_plot_error():
    from allysweep.exceptions import PlotError
    from allysweep.views import plot

    ds = asw.solve(k=np.linspace(0.0, 0.1, 3), r=np.linspace(0.0, 0.1, 3))
    with pytest.raises(PlotError) as info:
        plot.regime_map(ds, "k", "k")
    assert str(info.value) == "x and y must be two different dimensions, got `k` twice; available: k, r"


def test_info_says_what_is_there_instead_of_a_cube(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text("[params]\nk = [0.1]\n")
    (tmp_path / "plain").mkdir()
    for target, reason in [
        (tmp_path / "nope.zarr", "the path does not exist"),
        (
            spec,
            f"it is a file, not a Zarr store (a directory) (a sweep specification? run it with: allysweep run {spec})",
        ),
        (tmp_path / "plain", "it is a directory but not a Zarr store (no zarr.json)"),
    ]:
        proc = cli("info", str(target))
        assert proc.returncode == 2
        assert proc.stderr == f"allysweep: error: {target}: no allysweep cube here: {reason}\n"


def test_refused_resume_names_the_keys_that_differ(tmp_path):
    from allysweep.exceptions import StoreError
    from allysweep.sweeps.store import prepare_store

    store = str(tmp_path / "c.zarr")
    old = asw.SweepSpec.from_dict({"sweep": {"store": store}, "params": {"k": [0.01, 0.02], "r": 0.05}})
    prepare_store(old, resume=False, overwrite=False)
    new = asw.SweepSpec.from_dict({"sweep": {"store": store, "max_eq": 3}, "params": {"k": [0.01, 0.03]}})
    with pytest.raises(StoreError) as info:
        prepare_store(new, resume=True, overwrite=False)
    assert str(info.value) == (
        f"{store} was written for a different specification (fingerprint {old.fingerprint()[:12]} != "
        f"{new.fingerprint()[:12]}; differing keys: params.k: stored [0.01, 0.02], now [0.01, 0.03]; "
        "params.r: stored 0.05, now absent; sweep.max_eq: stored 4, now 3): refusing to resume into it "
        "(nothing was changed)"
    )


# --------------------------------------------------------------------------- item 7: saving
def _external_resources(html: str) -> list[str]:
    """Scripts and style sheets loaded from elsewhere (what a page needs to draw; Panel's
    favicon links are not needed and stay)."""
    import re

    links = re.findall(r"<link[^>]*>", html)
    sheets = [x for x in links if "stylesheet" in x and re.search(r"href=[\"']?https?:", x)]
    return re.findall(r"<script[^>]*\bsrc=[^>]*>", html) + sheets


def test_save_writes_the_current_frame_fast_and_self_contained(tmp_path):
    import time

    from allysweep.views import plot

    ds = asw.solve(k=np.linspace(0.0, 0.12, 201), r=np.linspace(0.0, 0.14, 201))
    view = plot.lines(ds, ["prob_war", "prob_alliance"], "k")  # a slider over 201 values of r
    start = time.perf_counter()
    path = plot.save(view, tmp_path / "lines.html")
    assert time.perf_counter() - start < 20  # one frame, not 201 (about a second each)
    html = path.read_text()
    assert _external_resources(html) == []  # Bokeh's JavaScript is inlined: opens offline
    assert 'every equilibrium\\nr = 0"' in html  # the first frame's title
    assert "r = 0.0007" not in html  # and no other frame
    # An explicit frame: the nearest slider value to r = 0.06 is 86 * 0.0007 = 0.0602.
    html = plot.save(view, tmp_path / "r.html", frame={"r": 0.06}).read_text()
    assert "every equilibrium\\nr = 0.0602" in html
    from allysweep.exceptions import PlotError

    with pytest.raises(PlotError, match=r"^the cube has no slider `p`; available: r$"):
        plot.save(view, tmp_path / "p.html", frame={"p": 0.5})


def test_report_is_self_contained(grid_cube_store, tmp_path):
    from allysweep.views.explore import write_report

    html = write_report(asw.open_cube(grid_cube_store), tmp_path / "report.html").read_text()
    assert _external_resources(html) == [] and "cutpoint_bluff" in html


# --------------------------------------------------------------------------- item 1: views
def test_views_of_an_unstarted_cube_warn_once_and_draw_not_computed(tmp_path):
    """A cube whose template is written but no block computed (a sweep killed at once): 45 points
    (k = 5 x r = 3 x c_c_extra = 3) in 5 blocks, since whole trailing axes (3 x 3 = 9 points) fit
    in chunk_points = 15 only once per block."""
    import warnings

    import holoviews as hv
    import panel as pn

    from allysweep.exceptions import IncompleteCubeWarning
    from allysweep.sweeps.store import prepare_store
    from allysweep.views import plot
    from allysweep.views.explore import explorer

    store = tmp_path / "none.zarr"
    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {"store": str(store), "chunk_points": 15},
            "params": {"k": [0.01, 0.02, 0.03, 0.04, 0.05], "r": [0.0, 0.06, 0.12], "c_c_extra": [0.0, 0.1, 0.2]},
        }
    )
    prepare_store(spec, resume=False, overwrite=False)
    message = (
        f"{store.resolve()} is incomplete: 45 of 45 points (100.0%) in 5 of 5 blocks are not computed; they read "
        "as n_eq = -1, kind = -1, status = -1 (see the `computed` coordinate), not as results. Finish the sweep "
        f"with: allysweep run {store.resolve()} --resume"
    )

    def warned(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call()
        return result, [str(w.message) for w in caught if w.category is IncompleteCubeWarning]

    ds, said = warned(lambda: asw.open_cube(store))
    assert said == [message]
    assert ds.attrs["complete"] is False and not bool(ds.computed.any())
    view, said = warned(lambda: plot.regime_map(ds, "k", "r"))
    assert said == [f"regime_map: {message}"]
    fig = hv.render(view[0.0], backend="bokeh")
    assert "not computed" in [item.label.value for legend in fig.legend for item in legend.items]
    assert "100% not computed" in fig.title.text
    app, said = warned(lambda: explorer(ds))
    assert said == [f"explore: {message}"]
    (alert,) = app.select(pn.pane.Alert)
    assert alert.object == f"**Incomplete cube.** {message}"
