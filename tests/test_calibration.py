"""Calibration by history matching (asw.analysis.calibrate): the mask is a direct filter of the
cube, and the identifiability figures say "not constrained" exactly where a parameter is
unidentified by construction (derived below), and "ridge" where two trade off exactly."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.exceptions import AnalysisError

TARGETS = {"prob_renege": (0.25, 0.05), "challenge_ratio": (0.72, 0.05)}


@pytest.fixture(scope="module")
def grid():
    """k x r x b_c around the empirical anchors (p_alliance = 0.6, c_c_extra = 0: the notebook's)."""
    return asw.solve(
        k=np.linspace(0.0, 0.12, 25),
        r=np.linspace(0.0, 0.14, 15),
        b_c=np.linspace(0.0, 0.3, 4),
        p_alliance=0.6,
        c_c_extra=0.0,
    )


def direct_filter(ds, threshold=3.0):
    sel = asw.selected(ds)
    renege = abs(sel.prob_renege - 0.25) / 0.05
    ratio = abs(sel.prob_challenge_alliance / sel.prob_challenge_no_alliance - 0.72) / 0.05
    return (renege <= threshold) & (ratio <= threshold)


def test_mask_equals_a_direct_filter_of_the_cube(grid):
    cal = asw.analysis.calibrate(grid, TARGETS)
    direct = direct_filter(grid)
    assert cal.nroy.dims == ("k", "r", "b_c")
    assert 0 < int(direct.sum()) < direct.size
    assert (cal.nroy == direct.transpose(*cal.nroy.dims)).all()
    assert int(cal.n_nroy) == int(direct.sum())
    sel = asw.selected(grid)
    np.testing.assert_array_equal(
        cal.implausibility.sel(target="prob_renege").values,
        (abs(sel.prob_renege - 0.25) / 0.05).fillna(np.inf).values,
    )
    # The same with another threshold and a model discrepancy added in quadrature.
    cal2 = asw.analysis.calibrate(grid, TARGETS, threshold=2.0, discrepancy={"prob_renege": 0.0})
    assert (cal2.nroy == direct_filter(grid, 2.0)).all()
    wide = asw.analysis.calibrate(grid, TARGETS, discrepancy={"prob_renege": 0.05 * np.sqrt(3)})
    # sd 0.05, discrepancy 0.05 sqrt(3): the combined scale is 0.1.
    np.testing.assert_allclose(
        wide.implausibility.sel(target="prob_renege").where(np.isfinite(wide.output.sel(target="prob_renege"))),
        abs(sel.prob_renege - 0.25) / 0.1,
        rtol=1e-12,
    )
    # NROY summary: the ranges are those of the filtered points.
    k = grid.k.broadcast_like(direct)
    assert float(cal.nroy_lo.sel(parameter="k")) == float(k.where(direct).min())
    assert float(cal.nroy_hi.sel(parameter="k")) == float(k.where(direct).max())


def test_mask_equals_a_direct_filter_on_a_sampled_design():
    rng = np.random.default_rng(5)
    k = xr.DataArray(rng.uniform(0, 0.12, 2000), dims="point")
    r = xr.DataArray(rng.uniform(0, 0.14, 2000), dims="point")
    ds = asw.solve(k=k, r=r, p_alliance=0.6, c_c_extra=0.0).assign_coords(k=k, r=r)
    cal = asw.analysis.calibrate(ds, TARGETS)
    assert cal.nroy.dims == ("point",) and list(cal.parameter.values) == ["k", "r"]
    assert (cal.nroy == direct_filter(ds)).all()
    assert np.isfinite(cal.ks_pvalue).all() and np.isfinite(cal.conditional_constraint).all()


def test_sampled_conditional_constraint_tells_an_unidentified_parameter_from_a_pinned_one():
    """The sampled estimate of ``conditional_constraint`` (quantile bins) on the two derived
    cases of the grid tests below: b_c enters no output where A1 holds, so given k and r no b_c
    bin is ruled out but where a bin of (k, r) straddles the NROY set's edge (near 0); in
    region II, prob_war depends on k and c_A through k + 0.2 c_A, so given c_A (and r, which
    does not enter) most k bins are ruled out (near 1)."""
    rng = np.random.default_rng(11)
    n = 20_000
    pts = {"k": (0, 0.12), "r": (0, 0.14), "b_c": (0, 0.2)}
    cols = {p: xr.DataArray(rng.uniform(*lim, n), dims="point") for p, lim in pts.items()}
    ds = asw.solve(**cols, p_alliance=0.6, c_c_extra=0.0).assign_coords(cols)
    cal = asw.analysis.calibrate(ds, {"prob_renege": (0.25, 0.1), "challenge_ratio": (0.72, 0.1)})
    assert 0 <= float(cal.conditional_constraint.sel(parameter="b_c")) < 0.02
    assert float(cal.conditional_constraint.sel(parameter="k")) > 0.1
    pts = {"k": (0.03, 0.08), "c_a": (0.12, 0.16), "r": (0.11, 0.115)}
    cols = {p: xr.DataArray(rng.uniform(*lim, n), dims="point") for p, lim in pts.items()}
    ds = asw.solve(**cols).assign_coords(cols)
    z = 0.6 - 0.4 * (1 - (0.055 + 0.2 * 0.14) / 0.3)
    cal = asw.analysis.calibrate(ds, {"prob_war": (z, 0.001)})
    assert float(cal.conditional_constraint.sel(parameter="k")) > 0.6
    assert float(cal.conditional_constraint.sel(parameter="r")) < 0.1


def test_b_c_is_exactly_unidentified_and_the_figures_say_so(grid):
    """Derivation: with A1 (p - c_d = 0.3 >= 0) D resists every challenge (MODEL.md §5.3), so a
    challenge is a war and C challenges iff its war payoff is >= 0 (§5.4): b_C, the cost of
    backing down, is paid by nobody and enters no output. The NROY set is therefore a cylinder
    along b_c: the same k-r set at every b_c."""
    sel = asw.selected(grid)
    for name in ("prob_renege", "prob_challenge_alliance", "prob_challenge_no_alliance"):
        v = sel[name].values
        np.testing.assert_array_equal(v, np.broadcast_to(v[..., :1], v.shape))
    cal = asw.analysis.calibrate(grid, TARGETS)
    b = cal.sel(parameter="b_c")
    assert float(b.ks_distance) == 0.0
    assert float(b.conditional_constraint) == 0.0
    assert float(b.ruled_out_values) == 0.0 and float(b.range_fraction) == 1.0
    assert str(b.verdict.values) == "not constrained"
    assert (cal.pair_constraint.sel(parameter="b_c").drop_sel(parameter_2="b_c") == 0).all()
    # k and r are constrained (and trade off: negative correlation over the matches).
    for p in ("k", "r"):
        assert float(cal.ks_distance.sel(parameter=p)) > 0.3
        assert float(cal.conditional_constraint.sel(parameter=p)) > 0.5
    assert float(cal.nroy_correlation.sel(parameter="k", parameter_2="r")) < -0.5
    assert "b_c: not constrained" in cal.attrs["identifiability"]
    table = asw.analysis.nroy_table(cal)
    assert list(table.index) == ["k", "r", "b_c"] and table.loc["b_c", "verdict"] == "not constrained"


def test_an_exact_ridge_is_reported_as_constrained_only_jointly():
    """Derivation (MODEL.md §9, region II, F = U[0,1], G = U[0,1], p = 0.4, p' = 0.7,
    Δ_C = 0.1): a = 0.6, b = 0.4, D = a(1 - p) - (a - b)(1 - p') = 0.3 and
    θ* = (k + (a - b) c_A)/D, prob_war = a - b(1 - θ*). So prob_war depends on k and c_A only
    through k + 0.2 c_A: targeting it leaves a band along k = C - 0.2 c_A (every c_A still has
    matching k), and r (which moves t_1 only) not at all. On this grid t_1 <= θ* <= t_0 at
    every point (0.15 < 0.18 <= θ* <= 0.374 < 0.4), so region II holds throughout."""
    ds = asw.solve(k=np.linspace(0.03, 0.08, 51), c_a=np.linspace(0.12, 0.16, 41), r=np.array([0.11, 0.1125, 0.115]))
    sel = asw.selected(ds)
    theta = (ds.k + 0.2 * ds.c_a) / 0.3
    assert (sel.kind == "cutpoint_honest").all()
    np.testing.assert_allclose(sel.cutpoint, theta.broadcast_like(sel.cutpoint), atol=1e-12)
    z = 0.6 - 0.4 * (1 - (0.055 + 0.2 * 0.14) / 0.3)
    cal = asw.analysis.calibrate(ds, {"prob_war": (z, 0.001)})
    assert float(cal.ruled_out_values.sel(parameter="c_a")) == 0.0
    assert float(cal.conditional_constraint.sel(parameter="k")) > 0.5
    assert float(cal.conditional_constraint.sel(parameter="c_a")) > 0.5
    assert str(cal.verdict.sel(parameter="c_a").values) == "constrained only jointly"
    # The band |Δ(k + 0.2 c_A)| <= w = 3 sd D / b = 0.00225 in k, over c_A's 0.04, covers 2w of the
    # k-range 0.2 * 0.04 + 2w of its projection: pair_constraint = 1 - 2w / (0.008 + 2w) = 0.64.
    w = 3 * 0.001 * 0.3 / 0.4
    assert float(cal.pair_constraint.sel(parameter="k", parameter_2="c_a")) == pytest.approx(
        1 - 2 * w / (0.008 + 2 * w), abs=0.02
    )
    assert float(cal.nroy_correlation.sel(parameter="k", parameter_2="c_a")) < -0.8
    assert str(cal.verdict.sel(parameter="r").values) == "not constrained"
    assert "c_a and k trade off along a ridge" in cal.attrs["identifiability"]  # in the cube's dimension order


def test_resample_inside_nroy_and_solve_again(grid):
    sub = grid.isel(b_c=0)
    cal = asw.analysis.calibrate(sub, TARGETS)
    pts = asw.analysis.resample(cal, sub, 400, seed=3)
    assert pts.sizes["point"] == 400 and set(pts.coords) >= {"k", "r"}
    assert (pts.k >= 0).all() and (pts.k <= 0.12).all() and (pts.r >= 0).all() and (pts.r <= 0.14).all()
    new = asw.analysis.solve_points(sub, pts)
    assert float(new.p_alliance) == 0.6 and float(new.c_c_extra) == 0.0 and float(new.b_c) == 0.0
    again = asw.analysis.calibrate(new, TARGETS)
    # Refinement concentrates the design: most new points match (a quarter of the grid did).
    assert float(again.nroy_share) > 0.8 > 0.3 > float(cal.nroy_share)
    same = asw.analysis.resample(cal, sub, 400, seed=3)
    assert (same.k == pts.k).all()


def test_resample_a_dependent_design_stays_valid():
    from allysweep.sweeps.design import sampled_design
    from allysweep.sweeps.spec import SPEC_ATTR, SweepSpec

    data = {
        "sweep": {"design": "sobol", "n_points": 1024, "seed": 4},
        "params": {"p": {"uniform": [0.2, 0.6]}, "p_alliance": {"above": "p", "uniform": [0.05, 0.4]}},
    }
    spec = SweepSpec.from_dict(data)
    v = sampled_design(spec)
    p, pa = (xr.DataArray(v[n], dims="point") for n in ("p", "p_alliance"))
    ds = asw.solve(p=p, p_alliance=pa).assign_coords(p=p, p_alliance=pa)
    ds.attrs[SPEC_ATTR] = __import__("json").dumps(spec.to_dict())
    cal = asw.analysis.calibrate(ds, {"prob_war": (0.3, 0.05)})
    pts = asw.analysis.resample(cal, ds, 2000, seed=1)
    off = pts.p_alliance - pts.p
    assert (off >= 0.05 - 1e-12).all() and (off <= 0.4 + 1e-12).all() and (pts.p_alliance <= 1).all()
    asw.analysis.solve_points(ds, pts)  # every point valid


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"targets": {"prob_reneg": (0.25, 0.05)}}, "output `prob_reneg`"),
        ({"targets": {"kind": (0.25, 0.05)}}, "output `kind`"),
        ({"targets": {"prob_renege": (0.25, 0.0)}}, "target `prob_renege`"),
        ({"targets": {"prob_renege": 0.25}}, "target `prob_renege`"),
        ({"targets": {}}, "targets"),
        ({"targets": TARGETS, "threshold": -1}, "threshold"),
        ({"targets": TARGETS, "eq": 7}, "eq `7`"),
        ({"targets": TARGETS, "parameters": ["c_a"]}, "parameter `c_a`"),
        ({"targets": TARGETS, "discrepancy": {"prob_war": 0.1}}, "discrepancy `prob_war`"),
        ({"targets": {"kind == bluffing": (1, 0.1)}}, "kind label `bluffing`"),
    ],
)
def test_wrong_inputs_are_refused_naming_them(grid, kwargs, name):
    with pytest.raises(AnalysisError) as err:
        asw.analysis.calibrate(grid, **kwargs)
    assert name in str(err.value)


def test_nroy_marginals_plot_has_labelled_axes(grid):
    pytest.importorskip("holoviews")
    from allysweep.views import analysis as views

    cal = asw.analysis.calibrate(grid, TARGETS)
    layout = views.nroy_marginals(cal)
    panels = list(layout)
    assert len(panels) == 3
    first = panels[0]
    assert first.kdims[0].label.startswith("k: ") and first.kdims[0].unit == "utility"
    with pytest.raises(AnalysisError, match="parameter `p`"):
        views.nroy_marginals(cal, ["k", "p"])
