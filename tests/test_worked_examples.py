"""MODEL.md §10 worked examples, to 1e-9, for every solver method."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw

TOL = 1e-9
METHODS = ["roots", "reference"]


def eq_of(ds, kind: str):
    kinds = [asw.KIND_NAMES[int(x)] if int(x) >= 0 else None for x in ds.kind.values]
    assert kind in kinds, f"no {kind} among {kinds}"
    return ds.isel(eq=kinds.index(kind))


def approx(x, expected):
    return x == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("method", METHODS)
def test_e1_honest_cutpoint(method):
    ds = asw.solve(k=0.075, method=method)
    assert int(ds.n_eq) == 2
    e = eq_of(ds, "cutpoint_honest")
    assert approx(float(e.cutpoint), 0.35)
    assert approx(float(e.prob_alliance), 0.65)
    assert approx(float(e.belief_alliance), 1.0)
    assert approx(float(e.prob_challenge_alliance), 0.2)
    assert approx(float(e.prob_challenge_no_alliance), 0.6)
    assert approx(float(e.prob_war), 0.34)
    assert approx(float(e.prob_renege), 0.0)
    assert bool(e.stable) and bool(e.selected) and bool(e.ic_ok) and bool(e.d1_ok)
    pool = eq_of(ds, "pool_no_alliance")
    assert not bool(pool.ic_ok) and not bool(pool.d1_ok) and not bool(pool.selected)


@pytest.mark.parametrize("method", METHODS)
def test_e2_bluff_cutpoint(method):
    ds = asw.solve(k=0.03, method=method)
    assert int(ds.n_eq) == 2
    e = eq_of(ds, "cutpoint_bluff")
    assert approx(float(e.cutpoint), 41 / 195)
    assert approx(float(e.prob_alliance), 154 / 195)
    assert approx(float(e.belief_alliance), 39 / 44)
    assert approx(float(e.prob_challenge_alliance), 27 / 110)
    assert approx(float(e.prob_challenge_no_alliance), 0.6)
    assert approx(float(e.prob_war), 0.32)
    assert approx(float(e.prob_renege), 5 / 44)
    assert bool(e.stable) and bool(e.selected)
    pool = eq_of(ds, "pool_no_alliance")
    assert not bool(pool.ic_ok) and not bool(pool.d1_ok)


@pytest.mark.parametrize("method", METHODS)
def test_e3_bluff_cutpoint_pooling_passes_ic(method):
    ds = asw.solve(k=0.0072, method=method)
    e = eq_of(ds, "cutpoint_bluff")
    assert approx(float(e.cutpoint), 0.125)
    assert approx(float(e.prob_alliance), 0.875)
    assert approx(float(e.belief_alliance), 0.8)
    assert approx(float(e.prob_challenge_alliance), 0.28)
    assert approx(float(e.prob_challenge_no_alliance), 0.6)
    assert approx(float(e.prob_war), 0.32)
    assert approx(float(e.prob_renege), 0.2)
    pool = eq_of(ds, "pool_no_alliance")
    assert bool(pool.ic_ok) and not bool(pool.d1_ok)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [0.075, 0.03, 0.0072])
def test_no_alliance_pooling_values(method, k):
    pool = eq_of(asw.solve(k=k, method=method), "pool_no_alliance")
    assert approx(float(pool.belief_no_alliance), 0.5)
    assert approx(float(pool.prob_challenge_no_alliance), 0.4)
    assert approx(float(pool.prob_war), 0.4)
    assert approx(float(pool.prob_alliance), 0.0)
    assert np.isnan(float(pool.belief_alliance)) and np.isnan(float(pool.prob_renege))


@pytest.mark.parametrize("method", METHODS)
def test_e2_bargaining_ranges_at_cost_0_2(method):
    ds = asw.solve(k=0.03, range_cost=0.2, method=method)
    e = eq_of(ds, "cutpoint_bluff")
    assert approx(float(e.range_lo_alliance), 26.85 / 44)
    assert approx(float(e.range_hi_alliance), 0.6 + 0.4 * 39 / 44)
    assert float(e.range_hi_alliance) == pytest.approx(0.954545, abs=1e-6)
    assert approx(float(e.range_lo_no_alliance), 0.3)
    assert approx(float(e.range_hi_no_alliance), 0.6)
    # Full information: alone [p - c_D, p + c], joint [p'_1 - c_D', p'_1 + c + Δ_C].
    assert approx(float(ds.range_lo_alone), 0.3) and approx(float(ds.range_hi_alone), 0.6)
    assert approx(float(ds.range_lo_joint), 0.65) and approx(float(ds.range_hi_joint), 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_ranges_default_to_mean_cost_and_clip(method):
    ds = asw.solve(k=0.03, method=method)  # E[c] = 0.5
    assert approx(float(ds.range_hi_alone), 0.9)
    assert approx(float(ds.range_hi_joint), 1.0)  # 0.7 + 0.5 + 0.1, clipped


TWO_TYPE = asw.TwoPoint(0.2, 0.4, 0.5)


@pytest.mark.parametrize("method", METHODS)
def test_t1_separating(method):
    ds = asw.solve(theta=TWO_TYPE, k=0.05, method=method)
    e = eq_of(ds, "separating")
    assert approx(float(e.prob_alliance), 0.5)
    assert approx(float(e.prob_challenge_alliance), 0.2)
    assert approx(float(e.prob_challenge_no_alliance), 0.6)
    assert approx(float(e.prob_war), 0.4)
    assert approx(float(e.prob_renege), 0.0)
    assert np.isnan(float(e.cutpoint))


@pytest.mark.parametrize("method", METHODS)
def test_t2_hybrid(method):
    ds = asw.solve(theta=TWO_TYPE, k=0.018, method=method)
    e = eq_of(ds, "hybrid")
    assert approx(float(e.prob_challenge_alliance), 0.3)
    assert approx(float(e.belief_alliance), 0.75)
    assert approx(float(e.prob_alliance), 2 / 3)  # π_H + (1 - π_H) σ with σ = 1/3
    assert approx(float(e.prob_war), 0.4)
    assert approx(float(e.prob_renege), 0.25)
    pool = eq_of(ds, "pool_no_alliance")
    assert bool(pool.ic_ok) and not bool(pool.d1_ok)


@pytest.mark.parametrize("method", METHODS)
def test_two_type_thresholds_k_l_and_k_h(method):
    # k_L = 0.036 and k_H = 0.09 (MODEL.md §10): separating exactly for k_L <= k <= k_H.
    for k, separating in [(0.03, False), (0.037, True), (0.089, True), (0.091, False)]:
        ds = asw.solve(theta=TWO_TYPE, k=k, method=method)
        kinds = {asw.KIND_NAMES[int(x)] for x in ds.kind.values if x >= 0}
        assert ("separating" in kinds) == separating, (k, kinds)
