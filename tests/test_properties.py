"""Property tests (hypothesis) on random valid parameters: every reported equilibrium is an
equilibrium. Checked with MODEL.md's formulas written out in tests/helpers.py."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allysweep as asw

from helpers import KINDS, cost_cdf, gain, thresholds, war_shift

TOL = 1e-9
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def points(draw):
    u = [draw(unit) for _ in range(12)]
    p = 0.05 + 0.85 * u[0]
    p_alliance = p + (0.02 + 0.98 * u[1]) * (1 - p)
    p_coalition = p_alliance if draw(st.booleans()) else p + (0.05 + 0.95 * u[2]) * (p_alliance - p)
    c_d = u[3] * p
    pt = {
        "p": p,
        "p_alliance": p_alliance,
        "p_coalition": p_coalition,
        "c_d": c_d,
        "c_d_joint": u[4] * c_d,
        "c_c_extra": 0.3 * u[5],
        "c_a": 0.01 + 0.4 * u[6],
        "k": 0.15 * u[7] ** 2,
        "r": 0.3 * u[8],
        "b_c": 0.1 * u[9],
    }
    theta_family = draw(st.sampled_from(["uniform", "two_point"]))
    lo = draw(st.sampled_from([0.0, 0.3 * u[10]]))
    hi = lo + 0.2 + 1.5 * u[11]
    if theta_family == "uniform":
        theta = asw.Uniform(lo, hi)
    else:
        theta = asw.TwoPoint(lo, hi, draw(st.floats(0.05, 0.95)))
    cost_family = draw(st.sampled_from(["uniform", "logistic", "normal"]))
    if cost_family == "uniform":
        c_lo = draw(st.floats(-0.5, 0.6))
        cost = asw.Uniform(c_lo, c_lo + draw(st.floats(0.05, 1.5)))
    elif cost_family == "logistic":
        cost = asw.Logistic(draw(st.floats(-0.2, 1.0)), draw(st.floats(0.02, 0.5)))
    else:
        cost = asw.Normal(draw(st.floats(-0.2, 1.0)), draw(st.floats(0.02, 0.5)))
    return pt, theta, cost


def uniform_F(x, lo, hi):
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


def check_equilibrium(pt, theta, cost, eq):
    """Assert that one reported equilibrium is a PBE with Bayes-consistent beliefs."""
    kind = KINDS[int(eq["kind"])]
    t1, t0 = thresholds(pt)
    fam = cost.family
    ca, cb = cost.values().values()

    def G(q, alliance):
        return cost_cdf(fam, ca, cb, (1 - pt["p"]) - q * war_shift(pt, alliance))

    q1, q0 = eq["belief_alliance"], eq["belief_no_alliance"]
    P1, P0 = eq["prob_challenge_alliance"], eq["prob_challenge_no_alliance"]
    pa = eq["prob_alliance"]
    for name in (
        "prob_alliance",
        "belief_alliance",
        "belief_no_alliance",
        "prob_challenge_alliance",
        "prob_challenge_no_alliance",
        "prob_war",
        "prob_renege",
    ):
        v = eq[name]
        assert math.isnan(v) or -TOL <= v <= 1 + TOL, (name, v)
    # Challenge probabilities are G(τ_α) at the reported beliefs.
    if not math.isnan(q1):
        assert abs(P1 - G(q1, True)) < TOL
        assert abs(eq["prob_renege"] - (1 - q1)) < TOL
    if not math.isnan(q0):
        assert abs(P0 - G(q0, False)) < TOL
    war = (pa * P1 if pa > 0 else 0.0) + ((1 - pa) * P0 if pa < 1 else 0.0)
    assert abs(eq["prob_war"] - war) < TOL

    if isinstance(theta, asw.Uniform):
        lo, hi = theta.lo, theta.hi
        grid = np.linspace(lo, hi, 2001)
        if kind.startswith("cutpoint"):
            u = eq["cutpoint"]
            assert lo < u < hi
            assert (kind == "cutpoint_honest") == (u >= t1)
            assert abs(pa - (1 - uniform_F(u, lo, hi))) < TOL
            # Bayes' rule on both (on-path) signals.
            assert abs(q1 - (1 - uniform_F(max(t1, u), lo, hi)) / (1 - uniform_F(u, lo, hi))) < TOL
            assert abs(q0 - max(uniform_F(u, lo, hi) - uniform_F(t0, lo, hi), 0) / uniform_F(u, lo, hi)) < TOL
            # No type gains by switching: types above u ally, types below don't.
            for th in grid:
                g = gain(pt, th, P0, P1)
                if th > u + 1e-7:
                    assert g >= -1e-8, (th, g)
                elif th < u - 1e-7:
                    assert g <= 1e-8, (th, g)
        elif kind == "pool_no_alliance":
            assert abs(q0 - (1 - uniform_F(t0, lo, hi))) < TOL
            p1_pess = G(1.0 if lo >= t1 else 0.0, True)
            assert max(gain(pt, th, P0, p1_pess) for th in grid) <= 1e-9
        elif kind == "pool_alliance":
            assert abs(q1 - (1 - uniform_F(t1, lo, hi))) < TOL
            p0_pess = G(1.0 if lo >= t0 else 0.0, False)
            assert min(gain(pt, th, p0_pess, P1) for th in grid) >= -1e-9
        else:
            raise AssertionError(f"{kind} for a continuous type")
    else:
        lo_t, hi_t, pi_h = theta.low, theta.high, theta.prior_high
        h = {t: float(t >= t1) for t in (lo_t, hi_t)}
        g_ = {t: float(t >= t0) for t in (lo_t, hi_t)}
        assert math.isnan(eq["cutpoint"])
        if kind == "separating":
            assert abs(pa - pi_h) < TOL or abs(pa - (1 - pi_h)) < TOL
            # Which type allies: the one whose prior share is Pr(ally), and the beliefs say so
            # (with prior_high = 1/2 the share alone cannot tell).
            allies = [t for t, share in ((hi_t, pi_h), (lo_t, 1 - pi_h)) if abs(pa - share) < TOL]
            allies = [t for t in allies if q1 == h[t] and q0 == g_[lo_t if t == hi_t else hi_t]]
            assert allies, (pa, q1, q0)
            ally = allies[0]
            other = lo_t if ally == hi_t else hi_t
            assert gain(pt, ally, P0, P1) >= -TOL and gain(pt, other, P0, P1) <= TOL
        elif kind == "hybrid":
            # One type mixes (indifferent), the other allies or stays out (MODEL.md §7). Pr(ally)
            # alone cannot say which (e.g. prior_high = 1/2), so some configuration must give
            # the reported beliefs by Bayes' rule and the right incentives.
            def consistent(mixer, other_allies):
                other = lo_t if mixer == hi_t else hi_t
                w_m = pi_h if mixer == hi_t else 1 - pi_h
                w_o = 1 - w_m
                s = (pa - w_o * other_allies) / w_m
                if not -TOL <= s <= 1 + TOL:
                    return False
                ok = abs(gain(pt, mixer, P0, P1)) < 1e-9
                g_other = gain(pt, other, P0, P1)
                ok = ok and (g_other >= -TOL if other_allies else g_other <= TOL)
                allied = w_m * s * h[mixer] + w_o * other_allies * h[other]
                stayed = w_m * (1 - s) * g_[mixer] + w_o * (1 - other_allies) * g_[other]
                ok = ok and (pa <= 0 or abs(q1 - allied / pa) < TOL)
                return ok and (pa >= 1 or abs(q0 - stayed / (1 - pa)) < TOL)

            assert any(consistent(m, o) for m in (lo_t, hi_t) for o in (0.0, 1.0)), (pa, q1, q0, P0, P1)
        elif kind == "pool_no_alliance":
            assert abs(q0 - (pi_h * g_[hi_t] + (1 - pi_h) * g_[lo_t])) < TOL
            p1_pess = G(h[lo_t], True)
            assert gain(pt, lo_t, P0, p1_pess) <= TOL and gain(pt, hi_t, P0, p1_pess) <= TOL
        elif kind == "pool_alliance":
            assert abs(q1 - (pi_h * h[hi_t] + (1 - pi_h) * h[lo_t])) < TOL
            p0_pess = G(g_[lo_t], False)
            assert gain(pt, lo_t, p0_pess, P1) >= -TOL and gain(pt, hi_t, p0_pess, P1) >= -TOL
        else:
            raise AssertionError(f"{kind} for a two-type ally")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points())
def test_every_reported_equilibrium_is_an_equilibrium(case):
    pt, theta, cost = case
    ds = asw.solve(theta=theta, cost_c=cost, **pt)
    n = int(ds.n_eq)
    assert n >= 1, "an equilibrium always exists"
    assert int(ds.selected.sum()) == 1
    assert int(ds.status) & 1 == 0, "never more equilibria than slots"
    for j in range(n):
        eq = {name: ds[name].values[j].item() for name in asw.engine.EQ_OUTPUTS if name in ds}
        check_equilibrium(pt, theta, cost, eq)


@settings(max_examples=150, deadline=None)
@given(points(), st.floats(-0.5, 1.5))
def test_challenge_iff_status_quo_above_range(case, c):
    """C challenges exactly when the status quo x = 1 lies above hi evaluated at its cost c."""
    pt, theta, cost = case
    ds = asw.solve(theta=theta, cost_c=cost, range_cost=c, **pt)
    for j in range(int(ds.n_eq)):
        for alliance, q_name, hi_name in [
            (True, "belief_alliance", "range_hi_alliance"),
            (False, "belief_no_alliance", "range_hi_no_alliance"),
        ]:
            q = float(ds[q_name].values[j])
            if math.isnan(q):
                continue
            tau = (1 - pt["p"]) - q * war_shift(pt, alliance)
            hi = float(ds[hi_name].values[j])
            if abs(c - tau) > 1e-9:
                assert (1.0 > hi) == (c < tau), (c, tau, hi)


@settings(max_examples=200, deadline=None)
@given(points())
def test_gain_increasing_flag_matches_a_fine_grid(case):
    """The `gain_increasing` flag (MODEL.md §6: checked, not assumed) against Gain on a grid."""
    pt, theta, cost = case
    ds = asw.solve(theta=theta, cost_c=cost, **pt)
    t1, t0 = thresholds(pt)
    fam = cost.family
    ca, cb = cost.values().values()
    lo, hi = (theta.lo, theta.hi) if isinstance(theta, asw.Uniform) else (theta.low, theta.high)
    grid = np.linspace(lo, hi, 4001) if isinstance(theta, asw.Uniform) else np.array([lo, hi])
    for j in range(int(ds.n_eq)):
        p1 = float(ds.prob_challenge_alliance.values[j])
        p0 = float(ds.prob_challenge_no_alliance.values[j])
        if math.isnan(p1):  # off path: the pessimistic belief that sustains the pooling
            p1 = cost_cdf(fam, ca, cb, (1 - pt["p"]) - float(lo >= t1) * war_shift(pt, True))
        if math.isnan(p0):
            p0 = cost_cdf(fam, ca, cb, (1 - pt["p"]) - float(lo >= t0) * war_shift(pt, False))
        steps = np.diff([gain(pt, th, p0, p1) for th in grid])
        if abs(steps.min()) < 1e-10:
            continue  # flat somewhere: too close to call on a grid
        assert bool(ds.gain_increasing.values[j]) == (steps.min() > 0), (j, steps.min())
