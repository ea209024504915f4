"""Constructed points for branches the random tests rarely or never reach, each with every
expected value derived by hand in the comments (from MODEL.md §5-§9 and docs/conventions.md),
never read off the code under test.

Base case everywhere (MODEL.md §10): p = 0.4, p' = 0.7, c_D = 0.1, c_D' = 0.05, Δ_C = 0.1,
c_A = 0.15, b_C = 0.05, G = U[0, 1], so t_1 = (0.15 - r)/0.3, t_0 = 0.5, M_1 = M_0 = 0.4,
P_α(q) = G(0.6 - 0.4 q) = 0.6 - 0.4 q, E[c] = 0.5,
L_1(θ) = min(0.3 θ + 0.15, 0.6 θ + r), L_0(θ) = min(0.3 θ + 0.15, 0.6 θ).
"""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep import engine

from helpers import CERTIFIED, KINDS

TOL = 1e-9
BASE = dict(p=0.4, p_alliance=0.7, p_coalition=0.7, c_d=0.1, c_d_joint=0.05, c_c_extra=0.1, c_a=0.15, b_c=0.05)
KIND = {name: code for code, name in enumerate(KINDS)}


def kinds_of(ds) -> list[str]:
    return [KINDS[int(v)] for v in ds.kind.values if int(v) >= 0]


def flat_columns(k: float, r: float, theta=(0, 0.0, 1.0, np.nan), cost=(0, 0.0, 1.0)) -> dict[str, np.ndarray]:
    cols = {name: np.array([v]) for name, v in BASE.items()}
    cols["k"], cols["r"] = np.array([k]), np.array([r])
    for name, v in zip(("theta_kind", "theta_a", "theta_b", "theta_c"), theta, strict=True):
        cols[name] = np.array([float(v)])
    for name, v in zip(("cost_kind", "cost_a", "cost_b"), cost, strict=True):
        cols[name] = np.array([float(v)])
    cols["range_cost"] = np.array([np.nan])
    return cols


# --------------------------------------------------------------------------------------------
# The continuum branch (conventions: status bit 2, `degenerate`, the midpoint representative).
#
# k = r = 0, θ ~ U(0, 0.4): t_1 = t_0 = 0.5 > 0.4 = hi, so no type ever intervenes. Then
# q_1(u) = q_0(u) = 0 for every cut-point u, P_0 = P_1 = G(0.6) = 0.6, L_0(θ) = L_1(θ) = 0.6 θ
# (θ < 0.5), and Φ(u) = 0.6·0.6u - 0.6·0.6u - 0 = 0 on all of (0, 0.4): a continuum of
# cut-point equilibria, reported once at the midpoint u = 0.2 (kind bluff since 0.2 < t_1),
# prob_alliance = (0.4 - 0.2)/0.4 = 0.5, degenerate, not stable (Φ' = 0).
# Poolings: no alliance: q_0 = 1 - F(0.5) = 0, P_0 = 0.6; pessimistic q = 1[lo >= t_1] = 0 gives
#   P_1 = 0.6 and Gain ≡ 0 <= 0: a PBE. D1: q = 1[hi >= t_1] = 0, g_D1 = 0: d1_ok, not stable.
#   IC: Gain(θ; 0.6, P_1(1) = 0.2) = 0.24 θ >= 0, so Θ** = [0, 0.4], which has types below t_1:
#   q_min = 0, max Gain(·; 0.6, 0.6) = 0 is not > 0: ic_ok.
# Alliance: q_1 = 1 - F(t_1) = 0, P_1 = 0.6; pessimistic q_0 = 1[lo >= t_0] = 0, P_0 = 0.6, min
#   Gain = 0 >= 0: a PBE; stable = Gain(lo) > 0 is False; d1_ok. IC: Gain(θ; P_0(1) = 0.2, 0.6)
#   = -0.24 θ <= 0 on all types, some below t_0: q0_min = 0, min Gain(·; 0.6, 0.6) = 0: ic_ok.
# Slots by prob_alliance: pool_no_alliance (0), cutpoint_bluff (0.5), pool_alliance (1).
# Selected: every key is (d1_ok = True, stable = False, prob_alliance): the highest, slot 2.
# prob_war = 0.6 everywhere; prob_renege = 1 - 0 = 1 where an alliance is on path.
# Ranges at c = E[c] = 0.5, q = 0: lo = p - c_D = 0.3, hi = p + c = 0.9.
# gain_increasing: P_0 = P_1 = 0.6 makes Gain ≡ -k = 0: flat, so nondecreasing: True.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["roots", "reference", "belief_space"])
def test_continuum_of_cutpoints_reports_the_midpoint(method):
    ds = asw.solve(k=0.0, r=0.0, theta=asw.Uniform(0.0, 0.4), method=method)
    assert int(ds.status) == 2  # a continuum is never certified (docs/conventions.md)
    assert int(ds.n_eq) == 3
    assert kinds_of(ds) == ["pool_no_alliance", "cutpoint_bluff", "pool_alliance"]
    np.testing.assert_allclose(ds.cutpoint.values, [0.4, 0.2, 0.0], atol=TOL)
    np.testing.assert_allclose(ds.prob_alliance.values, [0.0, 0.5, 1.0], atol=TOL)
    np.testing.assert_allclose(ds.prob_war.values, [0.6, 0.6, 0.6], atol=TOL)
    np.testing.assert_allclose(ds.prob_renege.values, [np.nan, 1.0, 1.0], atol=TOL)
    np.testing.assert_allclose(ds.belief_alliance.values, [np.nan, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(ds.belief_no_alliance.values, [0.0, 0.0, np.nan], atol=TOL)
    np.testing.assert_allclose(ds.prob_challenge_alliance.values, [np.nan, 0.6, 0.6], atol=TOL)
    np.testing.assert_allclose(ds.prob_challenge_no_alliance.values, [0.6, 0.6, np.nan], atol=TOL)
    np.testing.assert_allclose(ds.range_lo_alliance.values, [np.nan, 0.3, 0.3], atol=TOL)
    np.testing.assert_allclose(ds.range_hi_no_alliance.values, [0.9, 0.9, np.nan], atol=TOL)
    assert ds.degenerate.values.tolist() == [False, True, False]
    assert ds.stable.values.tolist() == [False, False, False]
    assert ds.ic_ok.values.tolist() == [True, True, True]
    assert ds.d1_ok.values.tolist() == [True, True, True]
    assert ds.selected.values.tolist() == [False, False, True]
    assert ds.gain_increasing.values.tolist() == [True, True, True]


def test_continuum_truncated_keeps_the_selected_one_in_the_last_slot():
    """max_eq = 2 < 3 equilibria (above): slot 0 stays pool_no_alliance, the last slot holds the
    selected pool_alliance rather than the continuum representative; n_eq still counts 3 and
    status has both bits (1 | 2 = 3)."""
    out = engine.solve_flat(flat_columns(0.0, 0.0, theta=(0, 0.0, 0.4, np.nan)), max_eq=2)
    assert int(out["n_eq"][0]) == 3
    assert int(out["status"][0]) == 3
    assert out["kind"][0].tolist() == [KIND["pool_no_alliance"], KIND["pool_alliance"]]
    assert out["selected"][0].tolist() == [False, True]
    np.testing.assert_allclose(out["prob_alliance"][0], [0.0, 1.0], atol=TOL)


# --------------------------------------------------------------------------------------------
# Three equilibria and the `selected` rule: base case with k = 0.1, r = 0.06 (t_1 = 0.3).
# MODEL.md §9 with W = 1: a = 0.6, b = 0.4.
# - Region I: θ* = (k + a r - b r (1 - t_1))/(k + a r + b (1-p)(1 - t_1))
#             = (0.1 + 0.036 - 0.0168)/(0.1 + 0.036 + 0.168) = 0.1192/0.304 = 0.392 > t_1: none.
# - Region II: θ* = (k + (a - b) c_A)/(a (1-p) - (a - b)(1 - p')) = 0.13/0.3 = 13/30 in
#              [0.3, 0.5]: honest, stable; prob_alliance 17/30; P_1 = 0.2, P_0 = 0.6,
#              prob_war = a - b (1 - θ*) = 0.6 - 0.4·17/30 = 28/75 (§9 identity;
#              also 17/30·0.2 + 13/30·0.6 = 11.2/30).
# - Region III: θ* = b t_0 c_A/(k - b t_0 (1-p')) = 0.03/(0.1 - 0.06) = 0.75 in (0.5, 1):
#               honest, unstable; prob_alliance 0.25; prob_war = a - b (1 - t_0) = 0.4.
# - No-alliance pooling: D1 survives iff k >= b t_0 ((1-p') + c_A) = 0.09: yes. g_D1 =
#   Gain(1; P_0 = 0.4, P_1(1) = 0.2) = 0.4·0.45 - 0.2·0.45 - 0.1 = -0.01 < 0: stable.
#   IC: Θ** = {Gain(θ; 0.4, 0.2) >= 0}: Gain(θ) = 0.4·L_0 - 0.2·L_1 - 0.1 is at most
#   0.09 - 0.1 < 0 (at θ = 1): empty, ic_ok.
# - Alliance pooling: θ_lo = 0 and k > 0: never (MODEL.md §6).
# Slots by prob_alliance: pool (0), honest 0.75 (0.25), honest 13/30 (17/30).
# Keys (d1_ok, stable, prob_alliance): (T, T, 0), (T, F, 0.25), (T, T, 17/30): slot 2.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["roots", "reference", "belief_space", "closed_form"])
def test_three_equilibria_slot_order_and_selection(method):
    ds = asw.solve(k=0.1, r=0.06, method=method)
    # Only `roots` certifies completeness (status bit 4, docs/conventions.md "Certified").
    assert int(ds.n_eq) == 3 and int(ds.status) == (CERTIFIED if method == "roots" else 0)
    assert kinds_of(ds) == ["pool_no_alliance", "cutpoint_honest", "cutpoint_honest"]
    np.testing.assert_allclose(ds.cutpoint.values, [1.0, 0.75, 13 / 30], atol=TOL)
    np.testing.assert_allclose(ds.prob_alliance.values, [0.0, 0.25, 17 / 30], atol=TOL)
    np.testing.assert_allclose(ds.prob_war.values, [0.4, 0.4, 28 / 75], atol=TOL)
    assert ds.stable.values.tolist() == [True, False, True]
    assert ds.d1_ok.values.tolist() == [True, True, True]
    assert ds.ic_ok.values.tolist() == [True, True, True]
    assert ds.degenerate.values.tolist() == [False, False, False]
    assert ds.selected.values.tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("max_eq", "kinds", "cutpoints", "selected", "status"),
    [
        # Nothing dropped: the same three slots as above.
        # (Every equilibrium was found and that is certified, 4, whatever the slots hold.)
        (3, ["pool_no_alliance", "cutpoint_honest", "cutpoint_honest"], [1.0, 0.75, 13 / 30], [0, 0, 1], 4),
        # Two slots: slot 0 as before, the last slot holds the selected 13/30 instead of 0.75.
        (2, ["pool_no_alliance", "cutpoint_honest"], [1.0, 13 / 30], [0, 1], 1 | 4),
        # One slot: only the selected one.
        (1, ["cutpoint_honest"], [13 / 30], [1], 1 | 4),
    ],
)
def test_truncation_keeps_the_selected_equilibrium(max_eq, kinds, cutpoints, selected, status):
    out = engine.solve_flat(flat_columns(0.1, 0.06), max_eq=max_eq)
    assert int(out["n_eq"][0]) == 3
    assert int(out["status"][0]) == status
    assert [KINDS[int(v)] for v in out["kind"][0]] == kinds
    np.testing.assert_allclose(out["cutpoint"][0], cutpoints, atol=TOL)
    assert out["selected"][0].astype(int).tolist() == selected


# --------------------------------------------------------------------------------------------
# Pooling on alliance with its refinements: base case, k = 0.02, r = 0.06 (t_1 = 0.3),
# θ ~ U(0.2, 1) (F(x) = (x - 0.2)/0.8).
# - Alliance pooling: q_1 = 1 - F(0.3) = 0.875, P_1 = 0.6 - 0.35 = 0.25. Pessimistic
#   q_0 = 1[0.2 >= 0.5] = 0, P_0 = 0.6. Gain(θ; 0.6, 0.25) = 0.6 L_0 - 0.25 L_1 - 0.02 at the
#   extreme points: θ = 0.2: 0.072 - 0.045 - 0.02 = 0.007; θ = 0.3: 0.108 - 0.06 - 0.02 = 0.028;
#   θ = 0.5: 0.18 - 0.075 - 0.02 = 0.085; θ = 1: 0.27 - 0.1125 - 0.02 = 0.1375. Min 0.007 >= 0:
#   a PBE. stable = Gain(lo) = 0.007 > 0: True. d1_ok: True (conventions).
#   IC: P_0(1) = 0.2, Gain(θ; 0.2, 0.25) = -0.041, -0.044, -0.035, -0.0425 at those points, so
#   Θ** (Gain <= 0) is every type, some below t_0: q0_min = 0, min Gain(·; 0.6, 0.25) = 0.007
#   is not < 0: ic_ok.
#   prob_war = P_1 = 0.25, prob_renege = 0.125; range after an alliance at c = 0.5:
#   lo = 0.875·0.65 + 0.125·0.3 = 0.60625, hi = 0.4 + 0.5 + 0.875·0.4 = 1.25 -> 1.
# - No-alliance pooling: q_0 = 1 - F(0.5) = 0.625, P_0 = 0.35. Pessimistic q = 1[0.2 >= 0.3] = 0,
#   P_1 = 0.6 > P_0 and L_1 >= L_0: max Gain < 0, a PBE. D1: q = 1[1 >= 0.3] = 1, P_1 = 0.2:
#   g_D1 = Gain(1; 0.35, 0.2) = 0.35·0.45 - 0.2·0.45 - 0.02 = 0.0475 > 0: fails D1, not stable.
#   IC: Gain(θ; 0.35, 0.2) = -0.014 (θ = 0.2), -0.005 (0.3), 0.025 (0.5), 0.0475 (1): Θ** is
#   non-empty and has no type below t_1 = 0.3 (Gain < 0 on [0.2, 0.3]): q_min = 1, and
#   max Gain(·; 0.35, 0.2) = 0.0475 > 0: fails IC.
# - Interior: Φ > 0 on all of (0.2, 1): on (0.2, 0.3) Φ(u) = -0.056 + 0.28 (0.6u + 0.06)/(1 - u)
#   rises from 0.007; on (0.3, 0.5) Φ = 0.3u - 0.05 >= 0.04; on (0.5, 1) q_0 = (u-0.5)/(u-0.2)
#   and Φ = 0.12 (0.3u + 0.15)/(u - 0.2) - 0.02 > 0. No interior equilibrium.
# Slots: pool_no_alliance, pool_alliance. Selected: (F, F, 0) vs (T, T, 1): slot 1.
# gain_increasing: pool_alliance at (P_0 = 0.6, P_1 = 0.25): slopes 0.21, 0.285, 0.105 > 0: True;
# pool_no_alliance at (P_0 = 0.35, P_1 = 0.6): slope below t_1 (0.35 - 0.6)·0.6 < 0: False.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["roots", "reference", "belief_space"])
def test_alliance_pooling_refinements(method):
    ds = asw.solve(k=0.02, r=0.06, theta=asw.Uniform(0.2, 1.0), method=method)
    assert int(ds.n_eq) == 2 and int(ds.status) == (CERTIFIED if method == "roots" else 0)
    assert kinds_of(ds) == ["pool_no_alliance", "pool_alliance"]
    np.testing.assert_allclose(ds.cutpoint.values, [1.0, 0.2], atol=TOL)
    np.testing.assert_allclose(ds.prob_alliance.values, [0.0, 1.0], atol=TOL)
    np.testing.assert_allclose(ds.belief_alliance.values, [np.nan, 0.875], atol=TOL)
    np.testing.assert_allclose(ds.belief_no_alliance.values, [0.625, np.nan], atol=TOL)
    np.testing.assert_allclose(ds.prob_challenge_alliance.values, [np.nan, 0.25], atol=TOL)
    np.testing.assert_allclose(ds.prob_challenge_no_alliance.values, [0.35, np.nan], atol=TOL)
    np.testing.assert_allclose(ds.prob_war.values, [0.35, 0.25], atol=TOL)
    np.testing.assert_allclose(ds.prob_renege.values, [np.nan, 0.125], atol=TOL)
    np.testing.assert_allclose(ds.range_lo_alliance.values, [np.nan, 0.60625], atol=TOL)
    np.testing.assert_allclose(ds.range_hi_alliance.values, [np.nan, 1.0], atol=TOL)
    assert ds.stable.values.tolist() == [False, True]
    assert ds.ic_ok.values.tolist() == [False, True]
    assert ds.d1_ok.values.tolist() == [False, True]
    assert ds.selected.values.tolist() == [False, True]
    assert ds.degenerate.values.tolist() == [False, False]
    assert ds.gain_increasing.values.tolist() == [False, True]


# --------------------------------------------------------------------------------------------
# A clipped G: base case, k = 0.03, r = 0.06 but G = U(0.3, 1.3) (W = 1). P_α(q) =
# clamp(0.6 - 0.4q - 0.3, 0, 1) = 0.3 - 0.4 q for q <= 0.75 and 0 beyond: G saturates at 0.
# - Between t_1 = 0.3 and t_0 = 0.5: q_1 = 1, P_1 = 0 (clipped), q_0 = 0, P_0 = 0.3:
#   Φ(u) = 0.3·0.6u - 0 - 0.03 = 0.18u - 0.03 > 0 there (u >= 0.3).
# - Below t_1: q_0 = 0, P_0 = 0.3, and q_1 = 0.7/(1 - u) >= 0.75 (G clipped, P_1 = 0) iff u >= 1/15.
#   For u in [1/15, 0.3): P_1 = 0, Φ = 0.3·0.6u - 0.03 = 0.18u - 0.03: root u = 1/6 (bluff),
#   Φ' = 0.18 > 0 stable. For u < 1/15: P_1 = 0.3 - 0.28/(1-u) and
#   Φ(u) = 0.18u - (0.3 - 0.28/(1-u))(0.6u + 0.06) - 0.03; at u = 0: -0.018 + 0.0168 - 0.03 < 0,
#   and Φ < 0.18u - 0.03 < 0 on [0, 1/15) (the subtracted term is >= 0): no root there.
# - Above t_0: q_1 = 1 (P_1 = 0), q_0 = (u - 0.5)/u, P_0 = 0.3 - 0.4 (u - 0.5)/u = (0.2 - 0.1u)/u
#   (q_0 <= 0.5: unclipped); Φ = P_0 (0.3u + 0.15) - 0.03 = (0.2 - 0.1u)(0.3u + 0.15)/u - 0.03;
#   = 0.045 + 0.03/u - 0.03u - 0.03, decreasing from 0.06 (u = 0.5) to 0.015 (u = 1): no root.
# So one interior equilibrium u = 1/6 (bluff, stable), with q_1 = 0.7/(5/6) = 0.84, P_1 = 0,
# q_0 = 0, P_0 = 0.3, prob_alliance = 5/6, prob_war = (1/6)·0.3 = 0.05, prob_renege = 0.16.
# No-alliance pooling: q_0 = 0.5, P_0 = 0.1; pessimistic q = 0: P_1 = 0.3, max Gain(θ; 0.1, 0.3)
# <= -0.2 L_0 - 0.03 < 0 (L_1 >= L_0): a PBE. D1: P_1(1) = 0: g_D1 = 0.1·0.45 - 0.03 =
# 0.015 > 0: fails D1. Alliance pooling: lo = 0, k > 0: none.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["roots", "reference", "belief_space"])
def test_clipped_challenger_cost(method):
    ds = asw.solve(k=0.03, r=0.06, cost_c=asw.Uniform(0.3, 1.3), method=method)
    assert kinds_of(ds) == ["pool_no_alliance", "cutpoint_bluff"]
    e = ds.isel(eq=1)
    assert float(e.cutpoint) == pytest.approx(1 / 6, abs=TOL)
    assert float(e.prob_alliance) == pytest.approx(5 / 6, abs=TOL)
    assert float(e.belief_alliance) == pytest.approx(0.84, abs=TOL)
    assert float(e.prob_challenge_alliance) == pytest.approx(0.0, abs=TOL)
    assert float(e.prob_challenge_no_alliance) == pytest.approx(0.3, abs=TOL)
    assert float(e.prob_war) == pytest.approx(0.05, abs=TOL)
    assert float(e.prob_renege) == pytest.approx(0.16, abs=TOL)
    assert bool(e.stable) and bool(e.selected) and not bool(e.degenerate)
    pool = ds.isel(eq=0)
    assert float(pool.prob_challenge_no_alliance) == pytest.approx(0.1, abs=TOL)
    assert not bool(pool.d1_ok) and not bool(pool.stable)


# --------------------------------------------------------------------------------------------
# A continuum that ends at a kink (found by the property test: `roots` also reported its end
# t_1 as a separate honest cut-point). p = 0.05, p_alliance = 0.069, p_coalition = 0.05095,
# c_D = c_D' = Δ_C = b_C = 0, c_A = 0.01, k = r = 0, θ ~ U(0, 1.7), G = U(0, 0.5).
# t_1 = 0.01/0.019 = 10/19, t_0 = 0.01/0.00095 = 200/19 > hi. Every τ = 0.95 - q·0.019 lies
# above 0.5, so P_0 = P_1 = 1 at every belief. Below t_1: L_0 = L_1 = 0.95 θ (0.95θ <= 0.931θ +
# 0.01 iff θ <= t_1), so Φ = 0 on (0, t_1]. Above t_1 (and below t_0): L_1 = 0.931u + 0.01 and
# Φ(u) = 0.019u - 0.01 > 0. One continuum, (0, 10/19], reported once at its midpoint 5/19 (bluff,
# degenerate, not stable); t_1 itself belongs to it and is not reported again.
# No-alliance pooling: pessimistic P_1 = 1 = P_0, max Gain = 0.019·1.7 - 0.01 > 0: not a PBE.
# Alliance pooling: P_0(pessimistic) = 1 = P_1, min Gain = 0 >= 0: a PBE, not stable (Gain(0) = 0).
# Selected: both (d1_ok, not stable): the higher prob_alliance, pool_alliance.
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["roots", "reference"])
def test_continuum_ending_at_a_kink_is_one_equilibrium(method):
    ds = asw.solve(
        p=0.05, p_alliance=0.069, p_coalition=0.05095, c_d=0.0, c_d_joint=0.0, c_c_extra=0.0, c_a=0.01,
        k=0.0, r=0.0, b_c=0.0, theta=asw.Uniform(0.0, 1.7), cost_c=asw.Uniform(0.0, 0.5), method=method,
    )  # fmt: skip
    assert int(ds.status) == 2
    assert kinds_of(ds) == ["cutpoint_bluff", "pool_alliance"]
    np.testing.assert_allclose(ds.cutpoint.values, [5 / 19, 0.0], atol=TOL)
    np.testing.assert_allclose(ds.prob_alliance.values, [(1.7 - 5 / 19) / 1.7, 1.0], atol=TOL)
    np.testing.assert_allclose(ds.prob_war.values, [1.0, 1.0], atol=TOL)
    assert ds.degenerate.values.tolist() == [True, False]
    assert ds.stable.values.tolist() == [False, False]
    assert ds.selected.values.tolist() == [False, True]
