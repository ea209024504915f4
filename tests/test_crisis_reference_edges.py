"""Roots of the crisis reference's cut-point path within rounding of lo or hi.

What is checked
---------------
``docs/conventions.md`` ("Cut-point path (θ ~ Uniform[lo, hi])", bullet **Roots.**) refines a
strict sign change of Phi between consecutive samples by ``brentq`` (xtol 1e-14, rtol 1e-15) and
drops roots at the path's ends u = lo, hi, because the poolings cover those points. A root
bracketed by a strict sign change lies strictly inside its bracket, so it is a cut-point
equilibrium, however close it is to lo or hi. As in the canonical reference
(``reference._root_strictly_inside``), a ``brentq`` result not strictly inside the bracket is
refined again with relative precision only (xtol 1e-300), and if that still does not resolve
it, the float next to the end, inside, is taken (``crisis_reference._root_strictly_inside``).

* A1 fails (c_d > p), Uniform[0, 34.44] types, normal G: on the first u-piece
  Phi(u) = u - 6.18e-85 (the reference's own ``CutPath.eval``), so there is a cutpoint_bluff at
  u = 6.18e-85 (< t_1), next to lo = 0, besides the two poolings;
* the same point with theta_b = 1, where Phi(u) = u - k on the last u-piece (``CutPath.eval``),
  and k = 1 - 1e-15: a cutpoint_honest at u = k, within 1e-15 of hi = 1;
* the helper itself, on roots closer to an end than floating point resolves.

Why
---
Until 2026-12-03 the crisis reference kept the plain ``brentq`` result; for a root within ~1e-14
of lo (or hi) that is the end itself, and ``_solve_continuous`` dropped it as not in (lo, hi):
the first two cases reported the poolings only. Both fail on that code.
"""

import math

import numpy as np

from allysweep.engine import crisis_reference as cr

K = cr.KIND_CODE

NEAR_LO = dict(
    p=0.2592897073994531,
    p_alliance=0.9212643408532571,
    p_coalition=0.7647393771546113,
    c_d=0.5653571731075583,
    c_d_joint=0.5443549592194484,
    c_c_extra=0.2451762181193513,
    c_a=0.3318752864908504,
    k=0.0,
    r=0.20647877319679428,
    b_c=0.01729226092517917,
    theta_kind=0,
    theta_a=0.0,
    theta_b=34.44100679683059,
    theta_c=math.nan,
    cost_kind=2,
    cost_a=0.396241603297985,
    cost_b=0.028727733676281293,
    range_cost=0.37842474005301363,
)
# Phi(u) = u - k on the last u-piece [0.657, 1]; the root u = k lies 1e-15 below hi = 1
NEAR_HI = dict(NEAR_LO, theta_b=1.0, k=1.0 - 1e-15)


def phi_on(path, pc):
    """Phi along piece pc of the cut-point path, as a scalar function of u."""
    return lambda u: float(path.eval(pc, np.array([u]))["Phi"][0])


def kinds(res):
    return sorted(e["kind"] for e in res["equilibria"])


def sign_consistent(phi, u, lo, hi):
    """Phi <= 0 just below u and >= 0 just above (a - to + crossing), within brentq's rtol."""
    d = 4e-15 * abs(u)
    return phi(max(u - d, lo)) <= 0.0 <= phi(min(u + d, hi))


def test_cutpoint_bluff_6e_85_above_lo_is_reported():
    """Phi(lo) < 0 < Phi(1e-80) on the first u-piece: a cutpoint_bluff in (lo, 1e-80)."""
    m = cr.Model(NEAR_LO)
    path = cr.CutPath(m)
    pc = path.pieces[0]
    assert pc["kind"] == "u" and pc["ua"] == path.lo == 0.0
    phi = phi_on(path, pc)
    # premise, from the reference's own path evaluation
    assert phi(path.lo) < 0.0 < phi(1e-80)
    assert phi(path.lo) == -6.181182476563103e-85
    assert path.t1 > 1e-80  # a root here is below t_1: a bluff cut-point

    res = cr.solve_crisis_point(NEAR_LO)
    assert kinds(res) == sorted([K["cutpoint_bluff"], K["pool_no_alliance"], K["pool_alliance"]])
    (e,) = [e for e in res["equilibria"] if e["kind"] == K["cutpoint_bluff"]]
    u = e["cutpoint"]
    assert path.lo < u < 1e-80
    assert abs(u - 6.181182476563103e-85) <= 1e-14 * u
    assert sign_consistent(phi, u, path.lo, path.hi)
    assert e["stable"] and not e["degenerate"]  # Phi crosses from - to +
    pools = {e["kind"]: e["cutpoint"] for e in res["equilibria"] if e["kind"] != K["cutpoint_bluff"]}
    assert pools == {K["pool_no_alliance"]: path.hi, K["pool_alliance"]: path.lo}


def test_cutpoint_honest_1e_15_below_hi_is_reported():
    """Phi(hi - 1e-14) < 0 < Phi(hi) on the last u-piece: a cutpoint_honest in (hi - 1e-14, hi)."""
    m = cr.Model(NEAR_HI)
    path = cr.CutPath(m)
    pc = path.pieces[-1]
    assert pc["kind"] == "u" and pc["ub"] == path.hi == 1.0
    phi = phi_on(path, pc)
    # premise: Phi = u - k on this piece (reference's path evaluation), root at u = k
    for u in np.linspace(pc["ua"], pc["ub"], 7):
        assert phi(u) == u - NEAR_HI["k"]
    assert phi(path.hi - 1e-14) < 0.0 < phi(path.hi)
    assert path.t1 < path.hi - 1e-14  # a root here is above t_1: an honest cut-point

    res = cr.solve_crisis_point(NEAR_HI)
    cuts = [e for e in res["equilibria"] if e["kind"] in (K["cutpoint_honest"], K["cutpoint_bluff"])]
    assert len(cuts) == 1, [(e["kind"], e["cutpoint"]) for e in res["equilibria"]]
    (e,) = cuts
    u = e["cutpoint"]
    assert e["kind"] == K["cutpoint_honest"]
    assert path.hi - 1e-14 < u < path.hi
    assert sign_consistent(phi, u, path.lo, path.hi)
    assert e["stable"] and not e["degenerate"]
    assert K["pool_no_alliance"] in kinds(res)


def test_root_strictly_inside_unresolved_ends():
    """A root closer to an end than floats resolve: the float next to that end, inside."""
    # root at 1e-320, below xtol 1e-300: a value in (0, 1e-300], not 0
    u = cr._root_strictly_inside(lambda x: x - 1e-320, 0.0, 1.0)
    assert 0.0 < u <= 1e-300
    # root at 1 - 1e-17, between the last float below 1 and 1: never 1 itself
    u = cr._root_strictly_inside(lambda x: (x - 1.0) + 1e-17, 0.0, 1.0)
    assert u == np.nextafter(1.0, 0.0)
    # an ordinary root is unchanged by the rule
    u = cr._root_strictly_inside(lambda x: x - 0.25, 0.0, 1.0)
    assert abs(u - 0.25) <= 1e-14
