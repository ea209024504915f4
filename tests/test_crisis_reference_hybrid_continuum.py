"""Hybrid continua and tangencies of the crisis reference's two-type ally (``_solve_two_type``).

What is checked
---------------
``docs/conventions.md`` (crisis section, "Two-type ally", bullet **Hybrid continua and
tangencies**) says the mixer's Gain along the restricted crisis path Gamma_beta is searched
with the cut-point path's rules ("Cut-point path", **Roots.**, **Tangencies.**,
**Continuum**), with q (rho on a segment) as the path parameter: a piece vanishes when
|Gain| <= Z = 1e-15 (1 + k + X_0 theta_m + X_1 theta_m + L_0(theta_m) + L_1(theta_m)) at every
one of its samples; adjacent vanishing pieces join; each joined interval is one hybrid
candidate at the midpoint in q of its two ends, kept or dropped by the sigma and pure-type
conditions, with ``degenerate`` = True, ``stable`` = False and status bit 2. The tests build
cases where the Gain is known in closed form:

* A1 holds, k = 0, r = 0, p_alliance = p_coalition and a uniform G far below every war value:
  both challenge probabilities are exactly 1 and L_0 = L_1 (MODEL.md 5), so the mixer's Gain
  is 0 on the whole restricted path of each of the four one-type-mixing cases. Where A1 holds
  a hybrid (isolated or a continuum candidate) is kept only where the moving signal's
  challenge probability is strictly inside (0, 1), as the canonical rules require
  (conventions, "Two-type ally": "needs 0 < P* < 1"): here P^ch = 1, so no hybrid, no status
  bit 2, and the equilibria are the canonical reference's;
* the same with Gain = -k constant, k just below or just above Z: no hybrid either way (below
  Z for the P^ch = 1 rule; above Z the flat Gain has no strict, resolved sample minimum, so no
  tangency either; the old rule, |Gain| <= 1e-14 on three samples and non-strict minima as
  tangencies, reported hybrids in both);
* A1 fails (c_D > p) and G = 1: after either signal C covers [0, q-hat] (D concedes, Lambda =
  theta), W0/Cb segments sit at q-hat and R (Lambda = L_alpha(theta)) follows. For a low type
  below both thresholds, Gain vanishes on the C piece only (one interval, ending at q-hat), or,
  with r = p theta_L (L_1(theta_L) = theta_L), on the whole path C | Cb | W0 | R, joined into
  one interval across the segments;
* A1 fails and G is uniform: the hybrid path's continuous pieces are split at the beliefs
  where tau_beta(q) or tauA_beta(q) crosses an end of G's support. With G(tauA) = 0 on the
  upper part of an M piece (and on W0 and R after it) the mixer's Gain vanishes from the clip
  belief on: one joined interval from that belief, its candidate at the midpoint in q (before
  the split, 2026-12-03, the M piece did not vanish as a whole and the interval began at
  q-hat);
* where A1 holds the continuum rule does not apply (the bullet's last paragraph): a
  vanishing interval gives no hybrid, and a sign change of a Gain below Z (challenge
  probabilities ~1e-19) is still an isolated root, as the canonical closed form pins sigma
  through P* there; two such points equal the canonical reference (one with no hybrid, where
  the previous code reported two continuum hybrids; one with a canonical hybrid);
* where A1 holds the crisis model is the canonical model (CRISIS.md, first paragraph): at
  extreme random A1 two-type points (k = 0 on most, theta_H up to 60, challenger costs far
  below the war value) the crisis reference's equilibria equal the canonical reference's.

Why
---
Until 2026-12-03 the hybrid search passed no continuum scale, so it used the old rule: three
or more consecutive samples with |Gain| <= 1e-14 form a continuum at the run's midpoint,
without joining across pieces, tangencies without the strict/resolved filter, and status bit 2
never set for a hybrid. At extreme A1 points this reported runs of spurious hybrids in rounding
noise (challenge probabilities within rounding of 1) that the canonical reference does not.

Until the P^ch rule above (2026-12-03, after the continuum rule), where A1 holds and the
moving challenge probability was exactly 1 a mixer's Gain that vanishes identically was
reported as a continuum of hybrids (status bit 2), while the canonical rules need 0 < P* < 1
and report none; the canonical comparison left those points out. It no longer does; only
points where a canonical hybrid's challenge probability is within 1e-12 of 0 or 1 (sigma set
by rounding, conventions "Two-type ally") are still left out.
"""

import math

import numpy as np
import pytest

import allysweep as asw
from allysweep.engine import crisis_reference as cr

K = cr.KIND_CODE
HYBRID = K["hybrid"]
FLAGS = ("stable", "ic_ok", "d1_ok", "degenerate", "selected")

# A1 holds; theta_L = 0.2 < t = c_A/(p' - p) = 0.5 < theta_H = 2 (t_1 = t_0 as r = 0 and
# p_alliance = p_coalition); G = Uniform(-3, -2) lies below every war value: P^ch = 1.
A1_FLAT = dict(
    p=0.4,
    p_alliance=0.7,
    p_coalition=0.7,
    c_d=0.1,
    c_d_joint=0.05,
    c_c_extra=0.1,
    c_a=0.15,
    k=0.0,
    r=0.0,
    b_c=0.05,
    theta_kind=1,
    theta_a=0.2,
    theta_b=2.0,
    theta_c=0.3,
    cost_kind=0,
    cost_a=-3.0,
    cost_b=-2.0,
    range_cost=math.nan,
)

# A1 fails: omega = c_D - p = 0.5, q-hat_1 = omega/d_1 ~ 0.625, q-hat_0 = omega/d_0 ~ 0.8, G = 1
# so q^C = q-hat; theta_L = 0.5 below t_1 = (c_A - r)/(p_alliance - p) and t_0 = c_A/(p_coalition - p).
CRISIS_FLAT = dict(
    p=0.25,
    p_alliance=0.75,
    p_coalition=0.575,
    c_d=0.75,
    c_d_joint=0.45,
    c_c_extra=0.1,
    c_a=0.5,
    k=0.0,
    r=0.1,
    b_c=0.25,
    theta_kind=1,
    theta_a=0.5,
    theta_b=3.0,
    theta_c=0.2,
    cost_kind=0,
    cost_a=-3.0,
    cost_b=-2.0,
    range_cost=math.nan,
)


def pt(base, **kw):
    d = dict(base)
    d.update(kw)
    return d


def hybrids(res):
    return [e for e in res["equilibria"] if e["kind"] == HYBRID]


def assert_continuum(e):
    assert e["degenerate"] and not e["stable"] and not e["pinned"]
    assert e["ic_ok"] and e["d1_ok"]


def match(hs, sig_l, sig_h, q1, q0):
    found = [
        e
        for e in hs
        if abs(e["_sigma_L"] - sig_l) <= 1e-12
        and abs(e["_sigma_H"] - sig_h) <= 1e-12
        and abs(e["belief_alliance"] - q1) <= 1e-12
        and abs(e["belief_no_alliance"] - q0) <= 1e-12
    ]
    assert len(found) == 1, [(e["_sigma_L"], e["_sigma_H"], e["belief_alliance"], e["belief_no_alliance"]) for e in hs]
    return found[0]


def _canonical_equal(P, res):
    """res (one crisis-reference point) equals the canonical reference at P: kinds,
    prob_alliance, flags, status."""
    cols = {key: np.array([val]) for key, val in P.items()}
    canon = asw.solve_flat(cols, method="reference")
    nc = int(canon["n_eq"][0])
    eqs = res["equilibria"]
    assert [e["kind"] for e in eqs] == list(canon["kind"][0, :nc])
    assert int(res["point"]["status"]) == int(canon["status"][0])
    for j, e in enumerate(eqs):
        assert e["prob_alliance"] == pytest.approx(float(canon["prob_alliance"][0, j]), abs=1e-12)
        for flag in FLAGS:
            assert bool(e[flag]) == bool(canon[flag][0, j]), (j, flag)


def test_a1_flat_gain_no_hybrid_with_challenge_probability_one():
    """Gain_m = P_0 L_0 - P_1 L_1 - k = 0 exactly (P = 1, L_0 = L_1, k = 0) on every restricted
    path. A1 holds, so a hybrid needs the moving signal's challenge probability strictly
    inside (0, 1) (canonical "needs 0 < P* < 1"); here it is 1 on every path: no hybrid, no
    status bit 2, and the canonical reference's equilibria (the previous rule reported four
    continuum hybrids, one per one-type-mixing case)."""
    P = A1_FLAT
    m = cr.Model(P)
    t = P["c_a"] / (P["p_alliance"] - P["p"])
    assert m.t[1] == m.t[0] == t and P["theta_a"] < t <= P["theta_b"]
    assert P["p"] >= P["c_d"]  # A1
    for a in (0, 1):
        for q in (0.0, P["theta_c"], 1.0):
            reg = m.regime(a, q)
            _, mA, mB = m.crisis_regime_arrays(a, reg, np.array([q]))
            assert float(mA[0] + mB[0]) == 1.0
    res = cr.solve_crisis_point(P)
    assert not res["point"]["status"] & 2
    assert hybrids(res) == []
    _canonical_equal(P, res)


def _z_a1(P):
    """Z of the bullet at A1_FLAT's types: X = 0 (D resists), so 1e-15 (1 + k + L_0 + L_1)."""
    m = cr.Model(P)
    out = {}
    for name in ("theta_a", "theta_b"):
        x = P[name]
        out[name] = 1e-15 * (1.0 + P["k"] + float(m.L(0, x)) + float(m.L(1, x)))
    return out


@pytest.mark.parametrize(("factor", "vanishes"), [(0.9, True), (1.2, False)])
def test_constant_gain_near_z(factor, vanishes):
    """Gain_m = -k along every path, P^ch = 1 on both signals. k = 0.9 Z_min: each path
    vanishes, but A1 holds and the moving challenge probability is 1, so no continuum hybrid
    is kept (the previous rule kept the two whose pure type accepts Gain = -k <= 0). k = 1.2
    Z_max: small but resolved, no hybrid. Either way no status bit 2 and the canonical
    reference's equilibria."""
    z = _z_a1(A1_FLAT)
    k = factor * (min(z.values()) if vanishes else max(z.values()))
    P = pt(A1_FLAT, k=k)
    zk = _z_a1(P)
    if vanishes:
        assert all(k <= v for v in zk.values())
    else:
        assert all(k > v for v in zk.values())
    res = cr.solve_crisis_point(P)
    assert hybrids(res) == []
    assert not res["point"]["status"] & 2
    _canonical_equal(P, res)


def test_crisis_path_vanishing_on_the_c_piece_only():
    """A1 fails, G = 1, r = 0.1: low type L (theta_L below t_1, t_0). On C after either signal
    Lambda = theta (D concedes), so Gain_L = 0 on the C piece of the moving signal; on R Gain_L =
    theta_L - L_alpha(theta_L) > 0 and on the segments (1 - rho) times that. Two cases move a
    signal through C with the other signal at belief 0 (in C): L mixes with sigma_H = 1 (alliance
    moves, q in (pi_H, 1)) and with sigma_H = 0 (no alliance moves). Each has one interval, the C
    piece (pi_H, q-hat_alpha), one candidate at its midpoint."""
    P = CRISIS_FLAT
    m = cr.Model(P)
    assert P["c_d"] > P["p"]  # A1 fails
    for a in (0, 1):
        assert m.qC[a] == m.qhat[a] and P["theta_c"] < m.qhat[a] < 1.0 and m.has_Cb[a]
    assert P["theta_a"] < min(m.t[0], m.t[1]) and P["theta_b"] > max(m.t[0], m.t[1])
    piH, piL = P["theta_c"], 1.0 - P["theta_c"]
    res = cr.solve_crisis_point(P)
    assert res["point"]["status"] & 2
    cont = [e for e in hybrids(res) if e["degenerate"]]
    assert len(cont) == 2
    for a, s_h in ((1, 1.0), (0, 0.0)):
        q = 0.5 * (piH + m.qhat[a])
        w = piH * (1.0 - q) / q
        sig_l = w / piL if a == 1 else 1.0 - w / piL
        q1, q0 = (q, 0.0) if a == 1 else (0.0, q)
        e = match(cont, sig_l, s_h, q1, q0)
        assert_continuum(e)
        assert e[f"crisis_regime_{cr.SIGNAL_NAMES[a]}"] == cr.REGIME_CODE["C"]


def test_crisis_path_vanishing_across_segments_is_one_interval():
    """r = p theta_L makes L_1(theta_L) = (1 - p) theta_L + r = theta_L: with the alliance moving,
    Lambda_1(theta_L) = theta_L on C, Cb, W0 and R, so Gain_L = 0 on the whole path (pi_H, 1),
    across the two segments at q-hat_1: one joined interval, one candidate at (pi_H + 1)/2 (on
    the C piece, as q-hat_1 > (pi_H + 1)/2), not one per piece."""
    P = pt(CRISIS_FLAT, r=CRISIS_FLAT["p"] * CRISIS_FLAT["theta_a"])
    m = cr.Model(P)
    assert float(m.L(1, P["theta_a"])) == P["theta_a"]
    assert P["theta_a"] < min(m.t[0], m.t[1])
    piH, piL = P["theta_c"], 1.0 - P["theta_c"]
    gp = cr._GammaPath(m, 1, piH, 1.0)
    assert [pc[0] for pc in gp.pieces] == ["C", "Cb", "W0", "R"]
    q = 0.5 * (piH + 1.0)
    assert q < m.qhat[1]
    res = cr.solve_crisis_point(P)
    assert res["point"]["status"] & 2
    hs = [e for e in hybrids(res) if e["_sigma_H"] == 1.0 and e["belief_no_alliance"] == 0.0]
    assert len(hs) == 1, [(e["_sigma_L"], e["belief_alliance"]) for e in hs]
    e = match(hs, piH * (1.0 - q) / q / piL, 1.0, q, 0.0)
    assert_continuum(e)
    assert e["crisis_regime_alliance"] == cr.REGIME_CODE["C"]


def test_gamma_path_coordinate_is_q():
    """The continuum rule's coordinate on a Gamma path is q (the cut-point path's is u):
    interval ends, midpoint and the 1e-9 reach are in q."""
    m = cr.Model(CRISIS_FLAT)
    gp = cr._GammaPath(m, 1, 0.2, 1.0)
    c, cb = gp.pieces[0], gp.pieces[1]
    assert gp.coord_at(c, 0.0) == 0.2 and gp.coord_at(c, 1.0) == m.qhat[1]
    assert gp.coord_at(cb, 0.3) == m.qhat[1] and gp.coord_span(cb) is None
    assert abs(gp.coord_at(c, gp.native_at(c, 0.4)) - 0.4) <= 1e-15


# ---------------------------------------------------------------------------
# A1: the crisis reference equals the canonical reference on two-type points
# ---------------------------------------------------------------------------


def _extreme_a1_two_type(n, seed):
    """Extreme A1 two-type points: k = 0 on most, theta_H up to 60, challenger costs far below
    the war value 1 - p_alliance (uniform supports ending below it, or logistic/normal means
    up to 60 scales below it), so that challenge probabilities are 1 or within rounding of 1."""
    rng = np.random.default_rng(seed)
    pts = []
    while len(pts) < n:
        p = rng.uniform(0.05, 0.95)
        pa = rng.uniform(p, 1.0)
        pc = pa if rng.random() < 0.3 else rng.uniform(p, pa)
        if not (p < pc <= pa):
            continue
        cd = rng.uniform(0.0, p)  # A1: c_d <= p
        ck = int(rng.integers(0, 3))
        if ck == 0:
            top = (1.0 - pa) - rng.uniform(0.0, 0.5) if rng.random() < 0.5 else rng.uniform(-1.0, 1.0)
            w = rng.uniform(0.01, 1.0)
            ca_, cb_ = top - 2.0 * w, top
        else:
            cb_ = rng.uniform(0.005, 0.1)
            ca_ = (1.0 - pa) - rng.uniform(0.0, 60.0) * cb_
        th_l = rng.uniform(0.0, 5.0)
        pts.append(
            dict(
                p=p,
                p_alliance=pa,
                p_coalition=pc,
                c_d=cd,
                c_d_joint=rng.uniform(0.0, cd),
                c_c_extra=rng.uniform(0.0, 0.3),
                c_a=rng.uniform(0.01, 0.5),
                k=0.0 if rng.random() < 0.8 else rng.uniform(0.0, 0.1),
                r=0.0 if rng.random() < 0.3 else rng.uniform(0.0, 0.3),
                b_c=rng.uniform(0.0, 0.3),
                theta_kind=1.0,
                theta_a=th_l,
                theta_b=th_l + rng.uniform(0.01, 60.0),
                theta_c=rng.uniform(0.05, 0.95),
                cost_kind=float(ck),
                cost_a=ca_,
                cost_b=cb_,
                range_cost=math.nan,
            )
        )
    return {key: np.array([q[key] for q in pts]) for key in pts[0]}


def _near_01(x):
    return x <= 1e-12 or x >= 1.0 - 1e-12


def test_a1_two_type_equals_the_canonical_reference():
    """Same equilibria (kinds, prob_alliance to 1e-9, flags, status) as the canonical
    reference at 600 extreme A1 two-type points, continuum points included (the crisis
    reference keeps a hybrid only where the moving challenge probability is strictly inside
    (0, 1), as the canonical rules do, so no status bit 2 here). Left out (conventions,
    "Two-type ally": sigma is set by rounding where a challenge probability is within rounding
    of 0 or 1): points where the canonical reference reports a hybrid with a challenge
    probability within 1e-12 of 0 or 1."""
    cols = _extreme_a1_two_type(600, 20261203)
    assert np.all(cols["p"] >= cols["c_d"])
    out = cr.solve_crisis_reference(cols)
    canon = asw.solve_flat(cols, method="reference")
    left_out = 0
    for i in range(len(cols["p"])):
        n, nc = int(out["n_eq"][i]), int(canon["n_eq"][i])
        ck = list(canon["kind"][i, :nc])
        if any(
            ck[j] == HYBRID
            and (
                _near_01(canon["prob_challenge_alliance"][i, j]) or _near_01(canon["prob_challenge_no_alliance"][i, j])
            )
            for j in range(nc)
        ):
            left_out += 1
            continue
        assert not int(out["status"][i]) & 2, i
        assert int(out["status"][i]) == int(canon["status"][i]), i
        assert list(out["kind"][i, :n]) == ck, (i, list(out["kind"][i, :n]), ck)
        np.testing.assert_allclose(out["prob_alliance"][i, :n], canon["prob_alliance"][i, :nc], rtol=0.0, atol=1e-9)
        for flag in FLAGS:
            assert list(out[flag][i, :n]) == list(canon[flag][i, :nc]), (i, flag)
    assert left_out <= 5, left_out


# ---------------------------------------------------------------------------
# A1 fails, uniform G: the Gamma path is split at G's clip beliefs
# ---------------------------------------------------------------------------

# A1 fails (c_D > p), theta_L = 0 < t_1, t_0 < theta_H, uniform G. On both signals q^C = 0 and
# q-hat = 0.381: M on [0, q-hat], W0 at q-hat, R on [q-hat, 1]. tauA(q) = tau(q) + b_C crosses
# cost_a at q = 0.286 inside M, so G(tauA) = 0 (no challenge) on the part of M above it.
CLIP_FLAT = {
    "p": 0.07583773547049386,
    "p_alliance": 0.9531768332544853,
    "p_coalition": 0.9531768332544853,
    "c_d": 0.46879857113912016,
    "c_d_joint": 0.314811600139195,
    "c_c_extra": 0.11220312228316288,
    "c_a": 0.1765928026566914,
    "k": 0.0,
    "r": 0.020756000086133052,
    "b_c": 0.05686273581623927,
    "theta_kind": 1.0,
    "theta_a": 0.0,
    "theta_b": 50.03106247734861,
    "theta_c": 0.8315283143630189,
    "cost_kind": 0.0,
    "cost_a": 0.698047373746391,
    "cost_b": 1.3541323919110508,
    "range_cost": math.nan,
}


def _clip_beliefs(P, a):
    """q = ((1 - p) + e - c)/M_a, e in {0, b_C}, c in {cost_a, cost_b} (conventions, "Two-type
    ally", **Hybrid continua and tangencies**), from the parameters."""
    M = P["p_alliance" if a == 1 else "p_coalition"] - P["p"] + P["c_c_extra"]
    return sorted(((1.0 - P["p"]) + e - c) / M for e in (0.0, P["b_c"]) for c in (P["cost_a"], P["cost_b"]))


@pytest.mark.parametrize("a", [1, 0])
def test_gamma_path_split_at_uniform_g_clip_beliefs(a):
    """H mixes on signal a (L pure: allies for a = 1, stays out for a = 0), so the moving
    belief runs over (0, pi_H) and the fixed signal's belief is 1 (R, no challenge: Lambda = 0).
    On M above q_clip = ((1 - p) + b_C - cost_a)/M_a G(tauA) = 0, so the mixer's Gain is 0
    there, on W0 and on R (G(tau) = 0 too), and not below q_clip (theta_H X > 0). The whole
    vanishing part is one joined interval [q_clip, pi_H]: one continuum candidate at its
    midpoint in q. Without the split at the clip beliefs M = [0, q-hat] does not vanish as a
    piece and the interval was [q-hat, pi_H] (candidate at (q-hat + pi_H)/2 = 0.606 instead of
    0.559)."""
    P = CLIP_FLAT
    m = cr.Model(P)
    assert m.omega > 0.0 and m.qC[a] == 0.0
    thH, piH = P["theta_b"], P["theta_c"]
    piL = 1.0 - piH
    assert P["theta_a"] < min(m.t[0], m.t[1]) < max(m.t[0], m.t[1]) <= thH
    qh = m.qhat[a]
    assert 0.0 < qh < piH
    cuts = _clip_beliefs(P, a)
    inside = [q for q in cuts if 0.0 < q < qh]
    assert len(inside) == 2  # tau = cost_a (0.2285) and tauA = cost_a (0.2860) inside M
    q_clip = ((1.0 - P["p"]) + P["b_c"] - P["cost_a"]) / m.M[a]
    assert q_clip == max(inside)
    # the fixed signal b: belief 1 (H's own indicator), R, no challenge
    b = 1 - a
    rho_b, mA_b, mB_b = m.crisis_regime_arrays(b, m.regime(b, 1.0), np.array([1.0]))
    cr_b = {"rho": rho_b, "mA": mA_b, "mB": mB_b}
    assert float(mA_b[0] + mB_b[0]) == 0.0

    # where the mixer's Gain vanishes, from the reference's own evaluation (|Gain| <= Z)
    def gain_and_z(pc, lam):
        c = m.eval_gamma_piece(a, pc, lam)
        c1, c0 = (c, cr_b) if a == 1 else (cr_b, c)
        g = m.gain(thH, c1, c0)
        z = 1.0 + m.k + abs(float(m.L(0, thH))) + abs(float(m.L(1, thH)))
        z = z + c["rho"] * (c["mA"] + c["mB"]) * thH + float(rho_b[0] * (mA_b[0] + mB_b[0])) * thH
        return c["q"], g, cr.CONTINUUM_ROUNDING * z

    lam = np.linspace(0.0, 1.0, 4001)
    q_m, g_m, z_m = gain_and_z(("M", 0.0, qh), lam)
    van = np.abs(g_m) <= z_m
    assert np.all(van[q_m >= q_clip]) and not np.any(van[q_m < q_clip])
    _, g_w, z_w = gain_and_z(("W0", qh, m.rho_hat, 0.0), lam)
    assert np.all(np.abs(g_w) <= z_w)
    _, g_r, z_r = gain_and_z(("R", qh, piH), lam)
    assert np.all(np.abs(g_r) <= z_r)

    q_mid = 0.5 * (q_clip + piH)
    w = piL * q_mid / (1.0 - q_mid)
    sig_h = w / piH if a == 1 else 1.0 - w / piH
    res = cr.solve_crisis_point(P)
    assert res["point"]["status"] & 2
    q1, q0 = (q_mid, 1.0) if a == 1 else (1.0, q_mid)
    e = match(hybrids(res), float(a), sig_h, q1, q0)
    assert_continuum(e)
    assert e[f"crisis_regime_{cr.SIGNAL_NAMES[a]}"] == cr.REGIME_CODE["R"]

    # the hybrid path holds M split at both clip beliefs
    gp = cr._GammaPath(m, a, 0.0, piH)
    assert [pc[0] for pc in gp.pieces] == ["M", "M", "M", "W0", "R"]
    assert [pc[1] for pc in gp.pieces if pc[0] == "M"] == [0.0, *inside]
    # gamma_pieces itself (used by the response sets of the poolings) is not split
    assert [pc[0] for pc in m.gamma_pieces(a, 0.0, piH)] == ["M", "W0", "R"]


# ---------------------------------------------------------------------------
# A1 holds: a vanishing interval gives no hybrid
# ---------------------------------------------------------------------------

# A1 holds (p > c_D), two-type ally, every challenge probability on the hybrid paths ~1e-19
# or below, so the mixer's Gain (~1e-19) is below Z on whole paths.
A1_TINY_GAIN = {
    "p": 0.6922048922459728,
    "p_alliance": 0.81034555311943,
    "p_coalition": 0.7294735954082868,
    "c_d": 0.07161625830446924,
    "c_d_joint": 0.06540716297655413,
    "c_c_extra": 0.09115573295256059,
    "c_a": 0.2690048868566997,
    "k": 0.0,
    "r": 0.01358587496668654,
    "b_c": 0.14834249636911598,
    "theta_kind": 1.0,
    "theta_a": 0.048073711766501825,
    "theta_b": 28.607045489293554,
    "theta_c": 0.3438102253364662,
    "cost_kind": 2.0,
    "cost_a": 0.9150463267040438,
    "cost_b": 0.06745799654630061,
    "range_cost": 0.7940713400846162,
}


def test_a1_vanishing_interval_gives_no_hybrid():
    """conventions, "Two-type ally", **Hybrid continua and tangencies**, last paragraph: where
    A1 holds the hybrids are the canonical model's, the continuum rule does not apply and a
    vanishing interval gives no hybrid. Here the Gain along a restricted path is below Z (every
    challenge probability ~1e-19) and the canonical reference reports only the two poolings;
    the previous code reported two continuum hybrids (status bit 2)."""
    P = A1_TINY_GAIN
    assert P["p"] >= P["c_d"]  # A1
    cols = {key: np.array([val]) for key, val in P.items()}
    canon = asw.solve_flat(cols, method="reference")
    nc = int(canon["n_eq"][0])
    assert HYBRID not in list(canon["kind"][0, :nc])
    # the gain along the first restricted path (L mixing, H allies, moving signal alliance)
    # is below Z at every sample
    m = cr.Model(P)
    h = {x: 1.0 if P[x] >= m.t[1] else 0.0 for x in ("theta_a", "theta_b")}
    g = {x: 1.0 if P[x] >= m.t[0] else 0.0 for x in ("theta_a", "theta_b")}
    assert h["theta_b"] != h["theta_a"]
    piL, piH = 1.0 - P["theta_c"], P["theta_c"]
    q_end = (piH * h["theta_b"] + piL * h["theta_a"]) / (piH + piL)
    qa, qb = sorted((h["theta_b"], q_end))
    gp = cr._GammaPath(m, 1, qa, qb)
    qb0 = g["theta_a"]
    reg = m.regime(0, qb0)
    rho_b, mA_b, mB_b = m.crisis_regime_arrays(0, reg, np.array([qb0]))
    cr_b = {"q": np.array([qb0]), "rho": rho_b, "mA": mA_b, "mB": mB_b, "reg": np.array([0], dtype=np.int8)}
    x = P["theta_a"]
    checked = 0
    for pc in gp.pieces:
        lam = gp.piece_grid(pc, cr.N_PIECE)
        c1 = m.eval_gamma_piece(1, pc, lam)
        gain = np.asarray(m.gain(x, c1, cr_b), dtype=float)
        z = 1.0 + m.k + abs(float(m.L(0, x))) + abs(float(m.L(1, x)))
        z = z + float(cr_b["rho"][0] * (cr_b["mA"][0] + cr_b["mB"][0])) * x
        z = cr.CONTINUUM_ROUNDING * (z + c1["rho"] * (c1["mA"] + c1["mB"]) * x)
        assert np.all(np.abs(gain) <= z)
        checked += 1
    assert checked > 0
    res = cr.solve_crisis_point(P)
    assert hybrids(res) == []
    assert not res["point"]["status"] & 2
    eqs = res["equilibria"]
    assert [e["kind"] for e in eqs] == list(canon["kind"][0, :nc])
    assert int(res["point"]["status"]) == int(canon["status"][0])
    for j, e in enumerate(eqs):
        assert e["prob_alliance"] == pytest.approx(float(canon["prob_alliance"][0, j]), abs=1e-9)
        for flag in FLAGS:
            assert bool(e[flag]) == bool(canon[flag][0, j]), (j, flag)


def _equal_canonical_1e9(P, res):
    cols = {key: np.array([val]) for key, val in P.items()}
    canon = asw.solve_flat(cols, method="reference")
    nc = int(canon["n_eq"][0])
    eqs = res["equilibria"]
    assert [e["kind"] for e in eqs] == list(canon["kind"][0, :nc])
    assert int(res["point"]["status"]) == int(canon["status"][0])
    for j, e in enumerate(eqs):
        assert e["prob_alliance"] == pytest.approx(float(canon["prob_alliance"][0, j]), abs=1e-9)
        for flag in FLAGS:
            assert bool(e[flag]) == bool(canon[flag][0, j]), (j, flag)
    return canon


# A1_TINY_GAIN perturbed: the canonical closed form pins a hybrid with challenge
# probabilities ~1e-39 and ~3e-22, where the mixer's Gain is below Z along the path.
A1_TINY_GAIN_ROOT = pt(
    A1_TINY_GAIN,
    p_alliance=0.8263143440315037,
    c_a=0.35883690006702146,
    k=2.2554092502577667e-21,
    r=0.012232016324999692,
    b_c=0.24546259909033047,
    theta_a=0.058282997253405015,
    theta_b=25.65059923863217,
    theta_c=0.5276011872172357,
    cost_a=0.8066748545670379,
    cost_b=0.055829789017045425,
)


def test_a1_isolated_root_below_z_is_kept():
    """Where A1 holds no vanishing interval is formed, so a sign change of the Gain below Z is
    still an isolated root (the closed form pins sigma through P* there): the canonical
    reference's hybrid is found. With the intervals (and only their candidates dropped) the
    sign change fell inside an interval and the hybrid was missed."""
    P = A1_TINY_GAIN_ROOT
    assert P["p"] >= P["c_d"]  # A1
    res = cr.solve_crisis_point(P)
    canon = _equal_canonical_1e9(P, res)
    assert HYBRID in list(canon["kind"][0, : int(canon["n_eq"][0])])
    assert not res["point"]["status"] & 2
