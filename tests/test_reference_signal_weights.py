"""Both references: aggregates over signals weight no alliance by F(u) at a cut-point next to lo.

What is checked
---------------
* **Crisis reference** (A1 fails, point ``P_BLUFF``). There is an interior cutpoint_bluff at
  u = 2.96e-10 with lo = 0, hi = 35.8. The aggregates of CRISIS.md section 5 weight each signal by
  its probability: Pr(alliance) = (hi - u)/(hi - lo) and Pr(no alliance) = F(u) = (u - lo)/(hi - lo)
  = 8.27e-12. They are rebuilt here in exact rational arithmetic (``fractions.Fraction``) from the
  reference's own per-signal outputs of that cut-point, with the weights computed exactly from u:
  ``prob_war`` = sum Pr(a) prob_war_a, ``prob_concession`` = sum Pr(a) prob_concession_a,
  ``prob_challenge`` = sum Pr(a) prob_challenge_a and ``immediate_deterrence`` =
  sum Pr(a) (1 - rho_a) m_B,a / sum Pr(a) (1 - rho_a) P^ch_a, where (1 - rho_a) m_B,a is
  prob_backdown_a and (1 - rho_a) P^ch_a = prob_war_a + prob_backdown_a. Each reported aggregate
  must equal its rebuild to relative 1e-12.
* **Canonical reference** (same point). Its interior cutpoint_bluff is at u = 2.49e-9. MODEL.md
  section 8, ``prob_war`` = Pr(alliance) P_1 + Pr(no alliance) P_0, rebuilt the same way from the
  reported u, P_1 and P_0, must agree to relative 1e-12.

Why
---
Until 2026-12-03 both references used ``1 - prob_alliance`` as the weight of no alliance. Next to
lo, prob_alliance is within an ulp of 1, so ``1 - prob_alliance`` keeps few correct digits of F(u)
(8.27038e-12 against 8.2704e-12 in the crisis case, relative error 2e-6).
``immediate_deterrence`` came out wrong in the 5th digit (relative error 2e-6), and prob_war
and the other aggregates were off too. The convention (``docs/conventions.md``) is now: aggregates
over signals weight no alliance by Pr(no alliance). At a cut-point of a continuous ally this is
F(u), computed directly; elsewhere it is 1 - prob_alliance. Both weight tests fail on the old code
(the flat-output test only checks that ``solve_crisis_reference`` carries the same values).
"""

import math
from fractions import Fraction

import numpy as np

from allysweep.engine import crisis_reference as cr
from allysweep.engine import reference as ref

REL = 1e-12

#: A1 fails; interior cutpoint_bluff next to lo = 0 in both references
P_BLUFF = dict(
    p=0.45596612013850224,
    p_alliance=0.6105553528360141,
    p_coalition=0.6105553528360141,
    c_d=0.7342543407290867,
    c_d_joint=0.28709213219016744,
    c_c_extra=0.14588901926847922,
    c_a=0.18945561128931152,
    k=0.0,
    r=0.17957373244799377,
    b_c=0.045761955343671605,
    theta_kind=0.0,
    theta_a=0.0,
    theta_b=35.80008356319469,
    theta_c=math.nan,
    cost_kind=2.0,
    cost_a=0.9910707792314115,
    cost_b=0.09914879783517601,
    range_cost=-0.26967333279716565,
)


def _weights(point, u):
    """Exact (Pr(alliance), Pr(no alliance)) at cut-point u of theta ~ U[lo, hi]."""
    lo, hi = Fraction(point["theta_a"]), Fraction(point["theta_b"])
    f = (Fraction(u) - lo) / (hi - lo)
    return 1 - f, f


def _close(got, exact):
    assert exact != 0
    assert abs((Fraction(got) - exact) / exact) <= REL, (got, float(exact))


def _bluff_near_lo(eqs, point):
    lo, hi = point["theta_a"], point["theta_b"]
    hits = [e for e in eqs if lo < e["cutpoint"] < hi and e["cutpoint"] - lo < 1e-6 * (hi - lo)]
    assert len(hits) == 1
    return hits[0]


def test_crisis_aggregates_weight_no_alliance_by_F():
    eqs = cr.solve_crisis_point(dict(P_BLUFF))["equilibria"]
    e = _bluff_near_lo(eqs, P_BLUFF)
    assert e["kind"] == cr.KIND_CODE["cutpoint_bluff"]
    pa, pna = _weights(P_BLUFF, e["cutpoint"])
    assert 0 < pna < Fraction(1, 10**10)  # next to lo: 1 - prob_alliance is inexact here

    def agg(name):
        return pa * Fraction(e[f"{name}_alliance"]) + pna * Fraction(e[f"{name}_no_alliance"])

    backdown = agg("prob_backdown")
    resisted = agg("prob_backdown") + agg("prob_war")
    assert resisted > 0
    _close(e["immediate_deterrence"], backdown / resisted)
    _close(e["prob_war"], agg("prob_war"))
    _close(e["prob_concession"], agg("prob_concession"))
    _close(e["prob_challenge"], agg("prob_challenge"))


def test_crisis_flat_output_matches():
    out = cr.solve_crisis_reference({k: np.array([v]) for k, v in P_BLUFF.items()})
    eqs = cr.solve_crisis_point(dict(P_BLUFF))["equilibria"]
    e = _bluff_near_lo(eqs, P_BLUFF)
    j = int(np.flatnonzero(out["cutpoint"][0] == e["cutpoint"])[0])
    for name in ("immediate_deterrence", "prob_war", "prob_concession", "prob_challenge"):
        assert out[name][0, j] == e[name]


def test_canonical_prob_war_weights_no_alliance_by_F():
    eqs = ref.solve_point(dict(P_BLUFF))["equilibria"]
    e = _bluff_near_lo(eqs, P_BLUFF)
    assert e["kind"] == ref._KIND["cutpoint_bluff"]
    pa, pna = _weights(P_BLUFF, e["cutpoint"])
    assert 0 < pna < Fraction(1, 10**8)
    _close(e["prob_war"], pa * Fraction(e["P1"]) + pna * Fraction(e["P0"]))
