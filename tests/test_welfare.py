"""Welfare and the no-option benchmark (docs/MODEL.md §14) against an independent reference.

``tests/game_simulation.py`` was written from MODEL.md and CRISIS.md alone, without reading the
engine: a Monte Carlo of the game tree (draw θ and c, play the strategies, average payoffs) and a
quadrature of the same expectations. Here the engine's equilibria are handed to it as strategy
profiles (who allies; D's concession probability where it is free on a boundary segment) and the
engine's utilities, war and challenge probabilities must agree with what the reference derives.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import allysweep as asw
import game_simulation as sim
from test_crisis_parity import crisis_columns

COST_FAMILY = {0: "uniform", 1: "logistic", 2: "normal"}
PARAMS = ("p", "p_alliance", "p_coalition", "c_d", "c_d_joint", "c_c_extra", "c_a", "k", "r", "b_c")
UTILITIES = ("utility_ally", "utility_defender", "utility_challenger")


def sim_params(cols: dict[str, np.ndarray], i: int) -> dict:
    """The reference's parameter dict of point ``i`` of flat engine columns."""
    out = {name: float(cols[name][i]) for name in PARAMS}
    a, b, c = (float(cols[f"theta_{s}"][i]) for s in "abc")
    out["theta"] = ("uniform", a, b) if cols["theta_kind"][i] == 0 else ("two_point", a, b, c)
    out["cost_c"] = (COST_FAMILY[int(cols["cost_kind"][i])], float(cols["cost_a"][i]), float(cols["cost_b"][i]))
    return out


def _rho(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def strategy(cols: dict[str, np.ndarray], out: dict[str, np.ndarray], i: int, j: int) -> dict:
    """The ally-stage profile of equilibrium ``j`` at point ``i``, read off the engine's outputs."""
    kind = asw.KIND_NAMES[int(out["kind"][i, j])]
    prof: dict = {
        "rho_alliance": _rho(out["prob_concede_alliance"][i, j]),
        "rho_no_alliance": _rho(out["prob_concede_no_alliance"][i, j]),
    }
    if cols["theta_kind"][i] == 0:
        lo, hi = cols["theta_a"][i], cols["theta_b"][i]
        cut = {"pool_no_alliance": hi, "pool_alliance": lo}.get(kind, out["cutpoint"][i, j])
        prof["cutpoint"] = float(cut)
        return prof
    # Two types: the allying probabilities (σ_L, σ_H) from Pr(alliance) and Bayes' rule for q_1
    # (or q_0 where both types honour alike), with the honour / intervene indicators per type.
    low, high, w_h = (float(cols[f"theta_{s}"][i]) for s in "abc")
    p = sim_params(cols, i)
    t1 = (p["c_a"] - p["r"]) / (p["p_alliance"] - p["p"])
    t0 = p["c_a"] / (p["p_coalition"] - p["p"])
    pa = float(out["prob_alliance"][i, j])
    w_l = 1.0 - w_h
    if kind == "pool_no_alliance":
        s_l = s_h = 0.0
    elif kind == "pool_alliance":
        s_l = s_h = 1.0
    else:
        h_l, h_h = float(low >= t1), float(high >= t1)
        g_l, g_h = float(low >= t0), float(high >= t0)
        q1, q0 = float(out["belief_alliance"][i, j]), float(out["belief_no_alliance"][i, j])
        if h_l != h_h:  # pa q_1 = w_H σ_H h_H + w_L σ_L h_L
            s_h = (pa * q1 - pa * h_l) / (w_h * (h_h - h_l))
        elif g_l != g_h:  # (1 - pa) q_0 = w_H (1 - σ_H) g_H + w_L (1 - σ_L) g_L
            s_h = 1.0 - ((1 - pa) * q0 - (1 - pa) * g_l) / (w_h * (g_h - g_l))
        else:  # beliefs do not tell the types apart: the higher type allies first
            s_h = min(1.0, pa / w_h)
        s_l = (pa - w_h * s_h) / w_l
        s_l, s_h = min(max(s_l, 0.0), 1.0), min(max(s_h, 0.0), 1.0)
    prof.update(sigma_low=s_l, sigma_high=s_h)
    return prof


def equilibria(cols: dict[str, np.ndarray]):
    out = asw.solve_flat(cols)
    for i in range(len(cols["p"])):
        for j in range(int(out["n_eq"][i])):
            yield i, j, out


def _columns(seed: int, n: int, theta_kind: int, cost_kind: int, a1: bool) -> dict[str, np.ndarray]:
    cols = crisis_columns(seed, n, theta_kind, cost_kind)
    if a1:
        rng = np.random.default_rng(seed + 7)
        cols["c_d"] = rng.uniform(0, 1, n) * cols["p"]
        cols["c_d_joint"] = rng.uniform(0, 1, n) * cols["c_d"]
    return cols


CASES = [(t, c, a1) for t in (0, 1) for c in (0, 1, 2) for a1 in (True, False)]


@pytest.mark.parametrize(("theta_kind", "cost_kind", "a1"), CASES)
def test_utilities_and_outcomes_equal_the_independent_quadrature(theta_kind, cost_kind, a1):
    """Every equilibrium of 60 random points per case: the three utilities and the outcome
    probabilities equal the reference's exact expectations of the same profile to 1e-8."""
    cols = _columns(4000 + 10 * theta_kind + cost_kind + 100 * a1, 60, theta_kind, cost_kind, a1)
    seen = 0
    for i, j, out in equilibria(cols):
        want = sim.expected(sim_params(cols, i), strategy(cols, out, i, j))
        for name in (*UTILITIES, "prob_war", "prob_challenge", "prob_concession", "prob_alliance"):
            assert out[name][i, j] == pytest.approx(want[name], abs=1e-8), (name, i, j, out["kind"][i, j])
        seen += 1
    assert seen >= 60


def test_utilities_agree_with_a_monte_carlo_of_the_game_tree():
    """At least 200 random equilibria, A1 holding and failing, every family: each utility is
    within 4 standard errors of the mean payoff of 40,000 simulated plays of the game (plus 5/n
    for outcomes too rare to be drawn)."""
    checked, kinds, without_a1 = 0, set(), 0
    for index, (theta_kind, cost_kind, a1) in enumerate(CASES):
        cols = _columns(7000 + index, 24, theta_kind, cost_kind, a1)
        for i, j, out in equilibria(cols):
            params = sim_params(cols, i)
            got = sim.simulate(params, strategy(cols, out, i, j), n=40_000, seed=checked)
            for name in UTILITIES:
                mean, se = got[name]
                # + 5/n: an outcome rarer than ~3/n may never be drawn (rule of three), and a
                # payoff moves by at most ~2 when it is (payoffs are bounded by ~1 in size here).
                assert abs(out[name][i, j] - mean) <= 4 * se + 5 / 40_000, (name, i, j, out[name][i, j], mean, se)
            checked += 1
            kinds.add(asw.KIND_NAMES[int(out["kind"][i, j])])
            without_a1 += not a1
    assert checked >= 200 and without_a1 >= 100
    assert {"cutpoint_honest", "cutpoint_bluff", "pool_no_alliance", "separating"} <= kinds


@pytest.mark.parametrize(("theta_kind", "cost_kind"), [(t, c) for t in (0, 1) for c in (0, 1, 2)])
def test_no_option_benchmark_equals_the_reference_game_without_the_option(theta_kind, cost_kind):
    cols = crisis_columns(9100 + 10 * theta_kind + cost_kind, 150, theta_kind, cost_kind)
    out = asw.solve_flat(cols)
    for i in range(len(cols["p"])):
        want = sim.expected(sim_params(cols, i), {"no_option": True})
        assert out["belief_no_option"][i] == pytest.approx(want["belief_no_alliance"], abs=1e-12)
        assert asw.engine.REGIME_NAMES[int(out["crisis_regime_no_option"][i])] == want["regime_no_alliance"]
        for name in ("prob_war", "prob_challenge", "prob_concession", *UTILITIES):
            assert out[f"{name}_no_option"][i] == pytest.approx(want[name], abs=1e-9), (name, i)
        imm = want["immediate_deterrence"]
        if math.isnan(imm):
            assert math.isnan(out["immediate_deterrence_no_option"][i]), i
        else:
            assert out["immediate_deterrence_no_option"][i] == pytest.approx(imm, abs=1e-9), i


def test_no_option_closed_forms_for_uniform_costs():
    """docs/MODEL.md §14 and the reference's hand-derived formulas (θ ~ U[lo, hi], G uniform and
    unclipped where the crisis is played), with A1 holding (regime R) and failing (M or C)."""
    rng = np.random.default_rng(11)
    checked = {"resist": 0, "mixed": 0, "concede": 0}
    for _ in range(20_000):
        cols = crisis_columns(int(rng.integers(1 << 30)), 1, 0, 0)
        # Supports wide enough to leave G unclipped where the crisis is played (else skipped).
        cols["cost_a"], cols["cost_b"] = np.array([rng.uniform(-1.5, -0.2)]), np.array([rng.uniform(1.2, 2.5)])
        params = sim_params(cols, 0)
        try:
            want = sim.no_option_closed_form(params)
        except ValueError:
            continue
        out = asw.solve_flat(cols)
        for name, value in want.items():
            got = out[name][0]
            if name == "crisis_regime_no_option":
                assert asw.engine.REGIME_NAMES[int(got)] == value
            elif math.isnan(value):
                assert math.isnan(got), name
            else:
                assert got == pytest.approx(value, abs=1e-12), name
        checked[want["crisis_regime_no_option"]] = checked.get(want["crisis_regime_no_option"], 0) + 1
        if min(checked.values()) >= 20:
            break
    assert min(checked.values()) >= 20, checked


def test_no_option_equals_the_no_alliance_pooling_where_it_is_reported():
    """Pooling on no alliance plays the benchmark's crisis at the same (prior) belief, so where
    the engine reports it the two agree output by output and the effects are 0."""
    found = 0
    for index, (theta_kind, cost_kind) in enumerate([(t, c) for t in (0, 1) for c in (0, 1, 2)]):
        cols = crisis_columns(9500 + index, 500, theta_kind, cost_kind)
        out = asw.solve_flat(cols)
        pool = out["kind"] == asw.KIND_NAMES.index("pool_no_alliance")
        i, j = np.nonzero(pool)
        pairs = {
            "prob_war": "prob_war_no_option",
            "prob_challenge": "prob_challenge_no_option",
            "prob_concession": "prob_concession_no_option",
            "immediate_deterrence": "immediate_deterrence_no_option",
            "belief_no_alliance": "belief_no_option",
            "crisis_regime_no_alliance": "crisis_regime_no_option",
            "utility_ally": "utility_ally_no_option",
            "utility_defender": "utility_defender_no_option",
            "utility_challenger": "utility_challenger_no_option",
        }
        for eq_name, pt_name in pairs.items():
            np.testing.assert_allclose(out[eq_name][i, j], out[pt_name][i], rtol=0, atol=1e-12, err_msg=eq_name)
        np.testing.assert_allclose(out["effect_war"][i, j], 0.0, atol=1e-12)
        np.testing.assert_allclose(out["effect_challenge"][i, j], 0.0, atol=1e-12)
        found += len(i)
    assert found >= 1000


def test_effects_are_differences_with_the_benchmark():
    ds = asw.solve(k=np.linspace(0, 0.15, 31), c_d=np.array([0.1, 0.5]), p=0.3)
    used = ds.kind >= 0
    np.testing.assert_allclose(ds.effect_war.where(used), (ds.prob_war - ds.prob_war_no_option).where(used), atol=1e-15)
    diff = ds.prob_challenge - ds.prob_challenge_no_option
    np.testing.assert_allclose(ds.effect_challenge.where(used), diff.where(used), atol=1e-15)
    assert "negative" in ds.effect_war.attrs["description"]


def test_e1_who_pays():
    """docs/MODEL.md §14's worked numbers (E1, k = 0.075), by hand: the honest cut-point at 0.35
    costs the ally 0.395 - 0.383375 and gains the defender 0.8075 - 0.79; war falls by 0.06."""
    ds = asw.solve(k=0.075)
    eq = ds.isel(eq=int(np.flatnonzero(ds.kind.values == 0)[0]))
    assert float(eq.utility_ally) == pytest.approx(0.383375, abs=1e-12)
    assert float(eq.utility_defender) == pytest.approx(0.8075, abs=1e-12)
    assert float(ds.utility_ally_no_option) == pytest.approx(0.395, abs=1e-12)
    assert float(ds.utility_defender_no_option) == pytest.approx(0.79, abs=1e-12)
    assert float(eq.effect_war) == pytest.approx(-0.06, abs=1e-12)
