"""Sensitivity analysis (asw.analysis.sobol, morris, pawn, delta, main_effects): SALib's
Ishigami function through the same code path as a cube matches its analytic indices within the
confidence intervals, and the exact main effects of a grid match a variance decomposition
derived in closed form (MODEL.md §9, region II) to 1e-6."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.exceptions import AnalysisError, SpecError
from allysweep.sweeps.design import sampled_design
from allysweep.sweeps.spec import SPEC_ATTR, SweepSpec


def design_cube(sweep: dict, params: dict, f) -> xr.Dataset:
    """A dataset shaped like a cube of this design (coordinates along `point`, the specification
    in its attributes) whose variable `y` is f(unit factors) instead of the solver's output."""
    spec = SweepSpec.from_dict({"sweep": sweep, "params": params})
    values = sampled_design(spec)
    coords = {name: ("point", v) for name, v in values.items()}
    unit = np.stack([values[name] for name in params], axis=1)  # ranges [0, 1]: the unit factors
    ds = xr.Dataset({"y": ("point", f(unit), {"long_name": "test function", "units": "1"})}, coords=coords)
    ds.attrs[SPEC_ATTR] = json.dumps(spec.to_dict())
    return ds


def ishigami(unit, a=7.0, b=0.1):
    x = -np.pi + 2 * np.pi * unit
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a=7.0, b=0.1):
    """Analytic Sobol indices of Ishigami (x_i ~ U(-pi, pi)): V1 = (1 + b pi^4 / 5)^2 / 2,
    V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50), V = V1 + V2 + V13."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0]) / v, np.array([v1 + v13, v2, v13]) / v, v13 / v


UNIT = {"k": {"uniform": [0.0, 1.0]}, "r": {"uniform": [0.0, 1.0]}, "b_c": {"uniform": [0.0, 1.0]}}


def test_ishigami_sobol_indices_match_the_analytic_ones_within_their_confidence_intervals():
    ds = design_cube({"design": "saltelli", "n_base": 4096, "seed": 1}, UNIT, ishigami)
    assert ds.sizes["point"] == 4096 * 8
    si = asw.analysis.sobol(ds, "y", num_resamples=200, seed=2)
    s1, st, s13 = ishigami_indices()
    assert list(si.parameter.values) == ["k", "r", "b_c"]
    assert (np.abs(si.S1.values - s1) <= si.S1_conf.values).all(), (si.S1.values, s1, si.S1_conf.values)
    assert (np.abs(si.ST.values - st) <= si.ST_conf.values).all(), (si.ST.values, st, si.ST_conf.values)
    assert abs(float(si.S2.sel(parameter="k", parameter_2="b_c")) - s13) <= float(
        si.S2_conf.sel(parameter="k", parameter_2="b_c")
    )
    assert si.attrs["method"] == "sobol" and si.attrs["output"] == "y"


def test_ishigami_morris_ranks_and_pawn_delta_on_any_design():
    ds = design_cube({"design": "morris", "n_trajectories": 200, "levels": 4, "seed": 1}, UNIT, ishigami)
    mo = asw.analysis.morris(ds, "y")
    assert ds.sizes["point"] == 200 * 4
    # x3 acts only with x1 (sigma large), x2 strongly and alone; every mu* is positive.
    assert (mo.mu_star > 0).all() and float(mo.sigma.sel(parameter="b_c")) > float(mo.mu_star.sel(parameter="b_c")) / 2
    lhs = design_cube({"design": "lhs", "n_points": 2000, "seed": 1}, UNIT, ishigami)
    pa = asw.analysis.pawn(lhs, "y")
    de = asw.analysis.delta(lhs, "y", num_resamples=10)
    s1, _, _ = ishigami_indices()
    assert np.argmax(pa["median"].values) == 1 and np.argmax(de.delta.values) == 1
    np.testing.assert_allclose(de.S1.values, s1, atol=0.1)  # a given-data estimate: biased at 2,000 points


def region_two_grid(n_k=21, n_ca=17, n_r=5):
    """MODEL.md §9 region II at every point: F = G = U[0,1], p = 0.4, p' = 0.7, c_c_extra = 0,
    so a = 0.6, b = M/W = 0.3, D = a(1 - p) - (a - b)(1 - p') = 0.27 and
    θ* = (k + 0.3 c_a)/0.27. Region II needs t_1 <= θ* <= t_0: θ* <= c_a/0.3 iff k <= 0.6 c_a
    (k <= 0.06 = 0.6 · 0.1) and θ* >= (c_a - r)/0.3 iff r >= (2/3) c_a - (10/9) k (<= 0.0933 -
    0.0333 = 0.06 <= r); r < c_a throughout."""
    return asw.solve(
        k=np.linspace(0.03, 0.06, n_k),
        c_a=np.linspace(0.10, 0.14, n_ca),
        r=np.linspace(0.065, 0.095, n_r),
        c_c_extra=0.0,
    )


def grid_variance(lo, hi, n):
    """Population variance of n equally spaced values on [lo, hi]: (hi - lo)^2 (n + 1) / (12 (n - 1))."""
    return (hi - lo) ** 2 * (n + 1) / (12 * (n - 1))


def test_full_grid_main_effects_match_the_closed_form_decomposition():
    """prob_war = a - b(1 - θ*) = 0.3 + (0.3/0.27)(k + 0.3 c_a): additive and linear in k and c_a,
    free of r. Over the grid (each point equally likely, the axes independent) Var(prob_war) =
    (0.3/0.27)^2 [Var(k) + 0.09 Var(c_a)], so S1_k = Var(k) / (Var(k) + 0.09 Var(c_a)),
    S1_c_a = 1 - S1_k, S1_r = 0, every interaction 0 and ST = S1."""
    ds = region_two_grid()
    sel = asw.selected(ds)
    assert (sel.kind == "cutpoint_honest").all()
    np.testing.assert_allclose(sel.cutpoint, ((ds.k + 0.3 * ds.c_a) / 0.27).broadcast_like(sel.cutpoint), atol=1e-12)
    me = asw.analysis.main_effects(ds, "prob_war")
    vk, vc = grid_variance(0.03, 0.06, 21), 0.09 * grid_variance(0.10, 0.14, 17)
    expected = {"k": vk / (vk + vc), "c_a": vc / (vk + vc), "r": 0.0}
    for p, s in expected.items():
        assert abs(float(me.S1.sel(parameter=p)) - s) < 1e-6, p
        assert abs(float(me.ST.sel(parameter=p)) - s) < 1e-6, p
    assert np.nanmax(np.abs(me.S2.values)) < 1e-6
    np.testing.assert_allclose(float(me.variance), (0.3 / 0.27) ** 2 * (vk + vc), rtol=1e-6)
    print(f"S1: k {float(me.S1.sel(parameter='k')):.9f} (closed form {expected['k']:.9f})")


def test_conditional_on_a_regime():
    ds = asw.solve(k=np.linspace(0.0, 0.24, 25), r=np.linspace(0.01, 0.14, 14))  # bluff, honest, pooling
    # Grid: within the bluffing regime only; the indicator of a regime as an output.
    me = asw.analysis.main_effects(ds, "prob_renege", where="kind == cutpoint_bluff")
    assert me.attrs["condition"] == "kind == cutpoint_bluff" and np.isnan(me.ST).all()
    assert 0 < float(me.S1.sel(parameter="r")) < 1
    ind = asw.analysis.main_effects(ds, "kind == cutpoint_bluff")
    assert (ind.S1 > 0).all()
    # NaN outside the regime: refused without the condition, naming the output.
    with pytest.raises(AnalysisError, match="output `prob_renege`.*undefined"):
        asw.analysis.main_effects(ds, "prob_renege")
    # Sampled: Sobol refuses a filtered sample; PAWN within a regime is valid.
    rng = np.random.default_rng(0)
    k = xr.DataArray(rng.uniform(0, 0.12, 600), dims="point")
    r = xr.DataArray(rng.uniform(0.01, 0.14, 600), dims="point")
    sampled = asw.solve(k=k, r=r).assign_coords(k=k, r=r)
    pw = asw.analysis.pawn(sampled, "prob_war", where="kind == cutpoint_bluff")
    assert pw.attrs["n_points"] == int((asw.selected(sampled).kind == "cutpoint_bluff").sum())
    with pytest.raises(AnalysisError, match="method `sobol`.*saltelli"):
        asw.analysis.sobol(sampled, "prob_war")
    saltelli = design_cube({"design": "saltelli", "n_base": 64, "seed": 1}, UNIT, ishigami)
    with pytest.raises(AnalysisError, match="method `sobol`: needs its full design.*pawn or delta"):
        asw.analysis.sobol(saltelli, "y", where=xr.DataArray(saltelli.k.values > 0.5, dims="point"))
    with pytest.raises(AnalysisError, match="method `morris`.*morris"):
        asw.analysis.morris(saltelli, "y")
    with pytest.raises(AnalysisError, match="method `main_effects`.*full grid"):
        asw.analysis.main_effects(saltelli, "y")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda ds: asw.analysis.main_effects(ds, "prob_wars"), "output `prob_wars`"),
        (lambda ds: asw.analysis.main_effects(ds, "prob_war", eq=9), "eq `9`"),
        (lambda ds: asw.analysis.main_effects(ds, "prob_war", where="kind == bluff"), "kind label `bluff`"),
        (lambda ds: asw.analysis.main_effects(ds, "prob_war", where="stabl"), "condition `stabl`"),
        (
            lambda ds: asw.analysis.main_effects(ds, "prob_war", where=xr.DataArray([True, False], dims="p")),
            "dimension `p`",
        ),
        (lambda ds: asw.analysis.main_effects(ds, "kind"), "output `kind`"),
        (lambda ds: asw.analysis.main_effects(ds, "prob_war", where="kind == hybrid"), "holds at no point"),
    ],
)
def test_wrong_variable_dimension_or_condition_is_refused_naming_it(call, name):
    ds = asw.solve(k=np.linspace(0.0, 0.12, 7), r=np.linspace(0.01, 0.14, 5))
    with pytest.raises(AnalysisError) as err:
        call(ds)
    assert name in str(err.value)


@pytest.mark.parametrize(
    ("sweep", "key"),
    [
        ({"design": "saltelli", "n_base": 100}, "sweep.n_base"),
        ({"design": "saltelli"}, "sweep.n_base"),
        ({"design": "saltelli", "n_base": 64, "n_points": 64}, "sweep.n_points"),
        ({"design": "morris"}, "sweep.n_trajectories"),
        ({"design": "morris", "n_trajectories": 10, "levels": 3}, "sweep.levels"),
        ({"design": "lhs", "n_points": 10, "n_base": 8}, "sweep.n_base"),
    ],
)
def test_sensitivity_designs_are_validated(sweep, key):
    with pytest.raises(SpecError, match=f"{key}:"):
        SweepSpec.from_dict({"sweep": sweep, "params": {"k": {"uniform": [0, 0.1]}}})


def test_saltelli_design_with_a_dependent_range_samples_the_offset():
    spec = SweepSpec.from_dict(
        {
            "sweep": {"design": "saltelli", "n_base": 16, "second_order": False},
            "params": {"p": {"uniform": [0.2, 0.6]}, "p_alliance": {"above": "p", "uniform": [0.05, 0.4]}},
        }
    )
    assert spec.n_total == 16 * (2 + 2) and [f[0] for f in spec.factors] == ["p", "p_alliance - p"]
    v = sampled_design(spec)
    assert ((v["p_alliance"] - v["p"] >= 0.05 - 1e-12) & (v["p_alliance"] <= 1)).all()
