"""Crisis reference: exact canonical comparisons where A1 holds; on-path beliefs at u near lo.

What is checked
---------------
* **Tolerance 0 where A1 holds.** CRISIS.md (introduction): with A1 (p - c_D >= 0) every result
  reduces exactly to MODEL.md, and the canonical conventions (``docs/conventions.md``,
  "Continuous ally type", **Pooling on no alliance** / **Pooling on alliance**) compare exactly:
  a pooling is reported iff the pessimistic off-path belief deters every type, max Gain <= 0
  (no-alliance pooling) or min Gain >= 0 (alliance pooling). At two A1 points the pooling's
  largest deviation gain is positive but below 1e-12: point 112 (no-alliance pooling at hi) and
  point 270 (alliance pooling at lo). The premise is computed here from the canonical model
  functions of ``reference.py``. The crisis reference must not report those poolings. Its whole
  equilibrium set must equal the canonical reference's (``asw.solve_flat(..., method="reference")``)
  in kinds, cutpoints (1e-9) and flags.
* **No-alliance on path at a cut-point next to lo** (A1 fails, point 115). There is an interior
  cutpoint_bluff at u = 1.6e-55 with lo = 0. No alliance is sent with probability F(u) > 0, so it
  is on path, and by Bayes (MODEL.md section 6) q_0(u) = Pr(theta >= t_0 | theta < u) = 0 because
  t_0 > u. Its crisis point is q = 0. Here the crisis is regime M (conventions, "Crisis
  subgame"), with rho = rho-hat, m_A = G(1 - p + b_C) and m_B = m_A (c_D - p).

Why
---
Until 2026-12-03 the crisis reference used the tolerance 1e-12 in these tests (the A1-fails rule
of ``docs/conventions.md``, "Poolings and refinements") even where A1 holds. It reported both
poolings above, which the canonical rules reject.
At point 115 it reported ``belief_no_alliance`` = NaN and every other no-alliance output as NaN
too (regime -1). The cause was not the belief formula: q_0(u) is 0 there. prob_alliance =
1 - F(u) = 1 - 5e-57 rounds to 1.0, and the output assembly then treated no alliance as off
path. Every test here fails on that code.
"""

import math

import numpy as np
from scipy.special import ndtr

import allysweep as asw
from allysweep.engine import crisis_reference as cr
from allysweep.engine import reference as ref

K = cr.KIND_CODE
FLAGS = ("stable", "ic_ok", "d1_ok", "degenerate", "selected")

#: A1 holds; the crisis reference (1e-12) reported pool_no_alliance at hi
P112 = dict(
    p=0.6721280989487204,
    p_alliance=0.7757596528358249,
    p_coalition=0.7159725739718614,
    c_d=0.28625034799785376,
    c_d_joint=0.16650490520179748,
    c_c_extra=0.23885175541178727,
    c_a=0.11602166963614444,
    k=0.0,
    r=0.0,
    b_c=0.1497540419953327,
    theta_kind=0.0,
    theta_a=0.45883520028941693,
    theta_b=1.195452288988307,
    theta_c=math.nan,
    cost_kind=2.0,
    cost_a=0.9543791883803845,
    cost_b=0.026242007904366302,
    range_cost=math.nan,
)

#: A1 holds; the crisis reference (1e-12) reported pool_alliance at lo
P270 = dict(
    p=0.8460652111816481,
    p_alliance=0.9578524704068783,
    p_coalition=0.9578524704068783,
    c_d=0.24197186958851882,
    c_d_joint=0.18220502613989498,
    c_c_extra=0.1486327103660276,
    c_a=0.3341387162163206,
    k=0.0,
    r=0.007678469182071401,
    b_c=0.00669503967423315,
    theta_kind=0.0,
    theta_a=0.0,
    theta_b=28.40205541949002,
    theta_c=math.nan,
    cost_kind=2.0,
    cost_a=0.9840292069935292,
    cost_b=0.11711596854449102,
    range_cost=-0.1338829969261477,
)

#: A1 fails; interior cutpoint_bluff at u = 1.6e-55 next to lo = 0
P115 = dict(
    p=0.43841445653770783,
    p_alliance=0.601652095488392,
    p_coalition=0.5698014958652896,
    c_d=0.8803007993318651,
    c_d_joint=0.5831239524746302,
    c_c_extra=0.10021878019033051,
    c_a=0.26381945275705193,
    k=0.0,
    r=0.19002112631932183,
    b_c=0.19001396066282325,
    theta_kind=0.0,
    theta_a=0.0,
    theta_b=30.404165460090354,
    theta_c=math.nan,
    cost_kind=2.0,
    cost_a=0.9116297766034269,
    cost_b=0.03741585165330641,
    range_cost=1.436913422409414,
)


def _cols(point):
    return {key: np.array([v]) for key, v in point.items()}


def _pool_max_dev(point, on):
    """Largest deviation gain of the pooling on ``on`` at the pessimistic off-path belief.

    The canonical formulas (conventions, "Pooling on no alliance" / "on alliance"), via the model
    functions of ``reference.py``: Gain(theta; P_0(q_0), P_1(q_pess)) for no-alliance pooling and
    -Gain(theta; P_0(q0_pess), P_1(q_1)) for alliance pooling, maximised over the types where a
    piecewise-linear gain attains its extremes (lo, hi and t_1, t_0 inside).
    """
    m = ref._Model(point)
    sup = ref._Interval(point["theta_a"], point["theta_b"])
    if on == 0:
        P0 = float(m.P(0, sup.prob_at_least(m.t[0])))
        P1 = float(m.P(1, 1.0 if sup.lo >= m.t[1] else 0.0))
        return ref._max_gain(m, sup, P0, P1)
    P1 = float(m.P(1, sup.prob_at_least(m.t[1])))
    P0 = float(m.P(0, 1.0 if sup.lo >= m.t[0] else 0.0))
    return -ref._min_gain(m, sup, P0, P1)


def _check_equals_canonical(point, pool_kind, on):
    assert point["p"] - point["c_d"] >= 0.0  # A1 holds
    g = _pool_max_dev(point, on)
    assert 0.0 < g <= 1e-12  # the premise: canonical rejects, within 1e-12 of accepted
    out = cr.solve_crisis_reference(_cols(point))
    canon = asw.solve_flat(_cols(point), method="reference")
    n = int(out["n_eq"][0])
    assert pool_kind not in list(out["kind"][0, :n])
    assert n == int(canon["n_eq"][0])
    assert int(out["status"][0]) == int(canon["status"][0])
    assert list(out["kind"][0, :n]) == list(canon["kind"][0, :n])
    np.testing.assert_allclose(out["cutpoint"][0, :n], canon["cutpoint"][0, :n], rtol=0.0, atol=1e-9)
    for flag in FLAGS:
        assert list(out[flag][0, :n]) == list(canon[flag][0, :n]), flag


def test_a1_pool_no_alliance_exact_comparison():
    _check_equals_canonical(P112, K["pool_no_alliance"], on=0)


def test_a1_pool_alliance_exact_comparison():
    _check_equals_canonical(P270, K["pool_alliance"], on=1)


def test_a1_tolerance_only_where_a1_holds():
    assert cr.Model(P112).tol == 0.0 and cr.Model(P270).tol == 0.0
    assert cr.Model(P115).tol == cr.TOL == 1e-12


def test_bluff_next_to_lo_has_no_alliance_on_path():
    P = P115
    m = cr.Model(P)
    out = cr.solve_crisis_reference(_cols(P))
    n = int(out["n_eq"][0])
    kinds = list(out["kind"][0, :n])
    assert kinds.count(K["cutpoint_bluff"]) == 1
    j = kinds.index(K["cutpoint_bluff"])
    u = float(out["cutpoint"][0, j])
    assert P["theta_a"] < u < 1e-50 and u < m.t[0]  # interior, next to lo, below t_0
    assert u / (P["theta_b"] - P["theta_a"]) > 0.0  # F(u) > 0: no alliance is on path
    # Bayes: q_0(u) = Pr(theta >= t_0 | theta < u) = 0 since t_0 > u
    assert out["belief_no_alliance"][0, j] == 0.0
    # the crisis at q = 0 (regime M: rho = rho-hat, m_A = G(1 - p + b_C), m_B = m_A (c_D - p))
    assert out["crisis_regime_no_alliance"][0, j] == cr.REGIME_CODE["M"]
    g = float(ndtr(((1.0 - P["p"]) + P["b_c"] - P["cost_a"]) / P["cost_b"]))
    rho_hat = P["b_c"] / (1.0 + P["b_c"])
    pch = g * (1.0 + (P["c_d"] - P["p"]))
    assert math.isclose(out["prob_challenge_no_alliance"][0, j], pch, rel_tol=1e-12)
    assert math.isclose(out["prob_war_no_alliance"][0, j], (1.0 - rho_hat) * g, rel_tol=1e-12)
    assert math.isclose(out["prob_concede_no_alliance"][0, j], rho_hat, rel_tol=1e-12)
    for name in [f"{n_}_no_alliance" for n_ in cr.PER_SIGNAL_FLOAT] + [
        "prob_challenge_no_alliance",
        "range_lo_no_alliance",
        "range_hi_no_alliance",
    ]:
        assert math.isfinite(out[name][0, j]), name
    # the alliance side and the aggregates are unchanged and finite
    assert math.isfinite(out["belief_alliance"][0, j]) and math.isfinite(out["prob_war"][0, j])
