"""Tests of the independent NumPy reference of the crisis stage (allysweep/engine/crisis_reference.py).

Expected values come only from shared/spec/MODEL.md (section 10) and
shared/spec/CRISIS.md (sections 2.4 and 7); the property tests recompute
incentives from the payoff tables of MODEL.md 4 / CRISIS.md 1 by brute force.
"""

import math
import time

import numpy as np
import pytest
from scipy import special

from allysweep.engine import crisis_reference as cr

TOL = 1e-9
S19121 = math.sqrt(19121.0)
S113 = math.sqrt(113267281.0)

# CRISIS.md 6 base parameters
CBASE = dict(
    p=0.3,
    p_alliance=0.7,
    p_coalition=0.7,
    c_d=0.4,
    c_d_joint=0.05,
    c_c_extra=0.1,
    c_a=0.15,
    k=0.1,
    r=0.06,
    b_c=0.05,
    theta_kind=0,
    theta_a=0.0,
    theta_b=1.0,
    theta_c=math.nan,
    cost_kind=0,
    cost_a=0.0,
    cost_b=1.0,
    range_cost=math.nan,
)
# MODEL.md 10 base parameters
MBASE = dict(
    p=0.4,
    p_alliance=0.7,
    p_coalition=0.7,
    c_d=0.1,
    c_d_joint=0.05,
    c_c_extra=0.1,
    c_a=0.15,
    k=0.03,
    r=0.06,
    b_c=0.05,
    theta_kind=0,
    theta_a=0.0,
    theta_b=1.0,
    theta_c=math.nan,
    cost_kind=0,
    cost_a=0.0,
    cost_b=1.0,
    range_cost=math.nan,
)

K = cr.KIND_CODE
R_, M_, C_, W0_, CB_ = 0, 1, 2, 3, 4


def pt(base, **kw):
    d = dict(base)
    d.update(kw)
    return d


def solve(point):
    return cr.solve_crisis_point(point)


def find(eqs, kind, cutpoint=None, pa=None):
    out = [
        e
        for e in eqs
        if e["kind"] == K[kind]
        and (cutpoint is None or abs(e["cutpoint"] - cutpoint) < 1e-7)
        and (pa is None or abs(e["prob_alliance"] - pa) < 1e-7)
    ]
    assert len(out) == 1, (kind, cutpoint, [(e["kind"], e["cutpoint"], e["prob_alliance"]) for e in eqs])
    return out[0]


def close(a, b, tol=TOL):
    if isinstance(b, float) and math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= tol


def check(e, **expected):
    for key, val in expected.items():
        got = e[key]
        if isinstance(val, bool):
            assert bool(got) is val, (key, got, val)
        elif isinstance(val, int):
            assert int(got) == val, (key, got, val)
        else:
            assert close(got, val), (key, got, val)


# ----------------------------------------------------------------------------
# CRISIS.md 2.4: the exact crisis table and the second example
# ----------------------------------------------------------------------------

TABLE = [
    # q, regime, W, P_ch, rho, X, P_war, Pr(back down), Pr(back down | resisted)
    (0.0, M_, -1 / 10, 33 / 40, 1 / 21, 11 / 280, 5 / 7, 1 / 14, 1 / 11),
    (1 / 15, M_, -1 / 20, 301 / 400, 1 / 21, 43 / 1200, 43 / 63, 43 / 1260, 1 / 21),
    (1 / 2, R_, 11 / 40, 9 / 20, 0.0, 0.0, 9 / 20, 0.0, 0.0),
    (1.0, R_, 13 / 20, 1 / 5, 0.0, 0.0, 1 / 5, 0.0, 0.0),
]


@pytest.mark.parametrize("row", TABLE)
@pytest.mark.parametrize("alpha", [0, 1])
def test_crisis_table(row, alpha):
    q, reg, W, pch, rho, X, pwar, bd, imm = row
    o = cr.crisis_outcome(q, alpha, CBASE)
    assert o["regime"] == reg
    for key, val in (
        ("W", W),
        ("P_ch", pch),
        ("rho", rho),
        ("X", X),
        ("P_war", pwar),
        ("backdown", bd),
        ("immediate_deterrence", imm),
    ):
        assert close(o[key], val), (key, o[key], val)
    assert close(o["m_A"] + o["m_B"], pch)


def test_crisis_table_w0_segment():
    b = cr.crisis_boundaries(0, CBASE)
    assert close(b["q_hat"], 2 / 15)
    for rho in np.linspace(0.0, 1 / 21, 7):
        o = cr.crisis_segment(0, CBASE, "W0", rho)
        pch = min(max(19 / 30 + rho / (1 - rho), 0.0), 1.0)
        assert o["regime"] == W0_
        assert close(o["W"], 0.0)
        assert close(o["P_ch"], pch)
        assert close(o["X"], rho * pch)
        assert close(o["P_war"], (1 - rho) * pch)
        assert close(o["backdown"], 0.0)
        assert close(o["immediate_deterrence"], 0.0)


def test_crisis_second_example():
    point = pt(CBASE, c_d=0.6, b_c=0.1)
    b = cr.crisis_boundaries(0, point)
    assert close(b["q_C"], (141 - S19121) / 95)
    assert close(b["q_hat"], 6 / 19)
    assert b["has_Cb"]
    # C below q^C, M between, R above q-hat
    assert cr.crisis_outcome(0.01, 0, point)["regime"] == C_
    assert cr.crisis_outcome(0.1, 0, point)["regime"] == M_
    assert cr.crisis_outcome(0.5, 0, point)["regime"] == R_


def test_crisis_path_is_continuous_and_ordered():
    point = pt(CBASE, c_d=0.6, b_c=0.1)
    path = cr.crisis_path(0, point)
    assert [pc[0] for pc, _ in path] == ["C", "Cb", "M", "W0", "R"]
    prev = None
    for _pc, pts in path:
        for o in pts:
            if prev is not None:
                for key in ("P_ch", "X", "P_war", "backdown"):
                    assert abs(o[key] - prev[key]) < 2e-2
            prev = o
        # joins between pieces are exact
    ends = [(pts[0], pts[-1]) for _, pts in path]
    for (_a0, a1), (b0, _b1) in zip(ends[:-1], ends[1:], strict=False):
        for key in ("P_ch", "X", "P_war", "backdown", "rho"):
            assert abs(a1[key] - b0[key]) < 1e-9, key


# ----------------------------------------------------------------------------
# CRISIS.md 7: worked examples
# ----------------------------------------------------------------------------


def test_ex_a():
    res = solve(pt(CBASE, k=1 / 10))
    eqs = res["equilibria"]
    assert res["point"]["n_eq"] == 3
    s = find(eqs, "cutpoint_honest", 182 / 671)
    check(
        s,
        prob_alliance=489 / 671,
        belief_alliance=1.0,
        belief_no_alliance=0.0,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=M_,
        prob_concede_alliance=0.0,
        prob_concede_no_alliance=1 / 21,
        prob_challenge_alliance=1 / 5,
        prob_challenge_no_alliance=33 / 40,
        prob_concession_no_alliance=11 / 280,
        prob_war_alliance=1 / 5,
        prob_war_no_alliance=5 / 7,
        immediate_deterrence_no_alliance=1 / 11,
        prob_war=1139 / 3355,
        prob_concession=13 / 1220,
        prob_challenge=4959 / 13420,
        immediate_deterrence=65 / 1204,
        stable=True,
        pinned=False,
        ic_ok=True,
        d1_ok=True,
        degenerate=False,
        selected=True,
    )
    u = find(eqs, "cutpoint_honest", 9 / 14)
    check(
        u,
        prob_alliance=5 / 14,
        belief_alliance=1.0,
        belief_no_alliance=5 / 12,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=R_,
        prob_concede_alliance=0.0,
        prob_concede_no_alliance=0.0,
        prob_challenge_alliance=1 / 5,
        prob_challenge_no_alliance=59 / 120,
        prob_concession_no_alliance=0.0,
        prob_war_alliance=1 / 5,
        prob_war_no_alliance=59 / 120,
        immediate_deterrence_no_alliance=0.0,
        prob_war=31 / 80,
        prob_concession=0.0,
        prob_challenge=31 / 80,
        immediate_deterrence=0.0,
        stable=False,
        pinned=False,
        ic_ok=True,
        d1_ok=True,
        selected=False,
    )
    p = find(eqs, "pool_no_alliance")
    check(
        p,
        cutpoint=1.0,
        prob_alliance=0.0,
        belief_alliance=math.nan,
        belief_no_alliance=5 / 8,
        crisis_regime_alliance=-1,
        crisis_regime_no_alliance=R_,
        prob_concede_no_alliance=0.0,
        prob_challenge_alliance=math.nan,
        prob_challenge_no_alliance=31 / 80,
        prob_concession_no_alliance=0.0,
        prob_war_no_alliance=31 / 80,
        immediate_deterrence_no_alliance=0.0,
        prob_war=31 / 80,
        prob_concession=0.0,
        prob_challenge=31 / 80,
        immediate_deterrence=0.0,
        ic_ok=True,
        d1_ok=True,
        pinned=False,
        prob_renege=math.nan,
    )
    # slot order: prob_alliance ascending
    assert [e["prob_alliance"] for e in eqs] == sorted(e["prob_alliance"] for e in eqs)
    # bargaining ranges (CRISIS.md 5, mean cost 0.5)
    # pooling: lo = W_0(5/8) = 5/8 * 0.65 + 3/8 * (-0.1), hi = 0.3 + 0.5 + 5/8 * 0.5 -> 1
    check(p, range_lo_no_alliance=5 / 8 * 0.65 - 3 / 80, range_hi_no_alliance=1.0)
    check(
        s,
        range_lo_no_alliance=0.0,
        range_hi_no_alliance=0.8,
        defender_war_value_no_alliance=-0.1,
        range_lo_alliance=0.65,
        range_hi_alliance=1.0,
        defender_war_value_alliance=0.65,
    )


def test_ex_b():
    res = solve(pt(CBASE, k=3 / 100))
    eqs = res["equilibria"]
    th = (10991 - S113) / 2760
    e = find(eqs, "cutpoint_bluff", th)
    q1 = (8231 + S113) / 21280
    p1 = (21561 - S113) / 42560
    check(
        e,
        belief_alliance=q1,
        belief_no_alliance=0.0,
        prob_alliance=1 - th,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=M_,
        prob_challenge_alliance=p1,
        prob_war_alliance=p1,
        prob_concede_alliance=0.0,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        prob_concession_no_alliance=11 / 280,
        prob_war_no_alliance=5 / 7,
        immediate_deterrence_no_alliance=1 / 11,
        prob_renege=1 - q1,
        stable=True,
        pinned=False,
        ic_ok=True,
        d1_ok=True,
        selected=True,
    )
    # values the spec gives to 9 decimals (rounding error <= 5e-10)
    assert abs(e["prob_war"] - 0.314302742) < 1e-9
    assert abs(e["prob_concession"] - 0.004957541) < 1e-9
    assert abs(e["prob_renege"] - 0.113077527) < 1e-9
    assert abs(e["immediate_deterrence"] - 0.027878911) < 1e-9
    assert abs(e["cutpoint"] - 0.126191946) < 1e-9
    # the quadratic of the spec vanishes at the root
    assert abs(-(69 / 1400) * th**2 + 0.3925357 * th - 0.04875) < 1e-7
    pool = find(eqs, "pool_no_alliance")
    check(pool, ic_ok=False, d1_ok=False)
    assert res["point"]["n_eq"] == 2


def test_ex_d():
    res = solve(pt(CBASE, c_d=0.6, b_c=0.1, k=1 / 5))
    eqs = res["equilibria"]
    assert res["point"]["n_eq"] == 3
    s = find(eqs, "cutpoint_honest", 23 / 94)
    check(
        s,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=C_,
        prob_concede_no_alliance=1.0,
        prob_challenge_no_alliance=1.0,
        prob_concession_no_alliance=1.0,
        prob_war_no_alliance=0.0,
        prob_challenge_alliance=1 / 5,
        prob_war_alliance=1 / 5,
        immediate_deterrence_no_alliance=math.nan,
        prob_war=71 / 470,
        prob_concession=23 / 94,
        prob_challenge=93 / 235,
        stable=True,
        pinned=False,
        ic_ok=True,
        d1_ok=True,
        selected=True,
    )
    assert close((0.2 + 0.15 / 5) / (1 - 0.2 * 0.3), 23 / 94)
    th = 69 / 716 + 3 * S19121 / 1432
    u = find(eqs, "cutpoint_honest", th)
    check(
        u,
        belief_no_alliance=(141 - S19121) / 95,
        crisis_regime_no_alliance=CB_,
        crisis_regime_alliance=R_,
        prob_challenge_no_alliance=1.0,
        immediate_deterrence_no_alliance=(179 - S19121) / 190,
        stable=False,
        pinned=True,
        ic_ok=True,
        d1_ok=True,
        selected=False,
    )
    assert abs(u["prob_concede_no_alliance"] - 0.250077132) < 1e-9
    assert abs(u["prob_concession_no_alliance"] - 0.250077132) < 1e-9
    assert 1 / 11 < u["prob_concede_no_alliance"] < 1
    assert abs(u["prob_war_no_alliance"] - 0.589197441) < 1e-9
    assert abs(u["prob_war"] - 0.350253073) < 1e-9
    assert abs(u["cutpoint"] - 0.386058738) < 1e-9
    p = find(eqs, "pool_no_alliance")
    check(p, ic_ok=True, d1_ok=True)


def tt(**kw):
    return pt(CBASE, theta_kind=1, theta_a=0.2, theta_b=0.35, theta_c=0.5, **kw)


def test_tt1():
    res = solve(tt(k=1 / 10))
    eqs = res["equilibria"]
    e = find(eqs, "separating")
    check(
        e,
        prob_alliance=1 / 2,
        belief_alliance=1.0,
        prob_challenge_alliance=1 / 5,
        prob_concede_alliance=0.0,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        prob_war=16 / 35,
        prob_concession=11 / 560,
        prob_renege=0.0,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=M_,
        ic_ok=True,
        d1_ok=True,
        pinned=False,
        cutpoint=math.nan,
        selected=True,
    )
    p = find(eqs, "pool_no_alliance")
    check(p, ic_ok=False, d1_ok=False)


def test_tt2():
    res = solve(tt(k=1 / 25))
    eqs = res["equilibria"]
    e = find(eqs, "hybrid")
    check(
        e,
        prob_alliance=70 / 101,
        belief_alliance=101 / 140,
        prob_challenge_alliance=19 / 56,
        prob_concede_alliance=0.0,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        prob_war=1285 / 2828,
        prob_concession=341 / 28280,
        prob_renege=39 / 140,
        crisis_regime_alliance=R_,
        crisis_regime_no_alliance=M_,
        ic_ok=True,
        d1_ok=True,
        pinned=False,
        stable=True,
        selected=True,
    )
    # sigma_L = 39/101: prob_alliance = 1/2 + sigma_L / 2
    assert close(2 * (e["prob_alliance"] - 0.5), 39 / 101)
    assert close(19 / 56, (151 / 1400 - 1 / 25) / (1 / 5))
    p = find(eqs, "pool_no_alliance")
    check(p, ic_ok=True, d1_ok=False)


# ----------------------------------------------------------------------------
# MODEL.md 10 with A1: canonical values, new outputs trivial
# ----------------------------------------------------------------------------


def assert_a1_trivial(eqs):
    for e in eqs:
        for s in ("alliance", "no_alliance"):
            if e[f"crisis_regime_{s}"] < 0:
                continue
            assert e[f"crisis_regime_{s}"] == R_
            assert e[f"prob_concede_{s}"] == 0.0
            assert e[f"prob_concession_{s}"] == 0.0
            assert e[f"prob_backdown_{s}"] == 0.0
            assert e[f"immediate_deterrence_{s}"] == 0.0
            assert close(e[f"prob_war_{s}"], e[f"prob_challenge_{s}"], 1e-15)
        assert e["prob_concession"] == 0.0
        assert close(e["prob_war"], e["prob_challenge"], 1e-15)
        assert not e["pinned"]


def check_pool_e(eqs, ic, d1):
    p = find(eqs, "pool_no_alliance")
    check(
        p,
        belief_no_alliance=0.5,
        prob_challenge_no_alliance=0.4,
        prob_war=0.4,
        cutpoint=1.0,
        prob_alliance=0.0,
        ic_ok=ic,
        d1_ok=d1,
        prob_renege=math.nan,
        belief_alliance=math.nan,
    )


def test_model_e1():
    res = solve(pt(MBASE, k=0.075))
    eqs = res["equilibria"]
    assert res["point"]["n_eq"] == 2
    e = find(eqs, "cutpoint_honest", 0.35)
    check(
        e,
        prob_alliance=0.65,
        belief_alliance=1.0,
        prob_challenge_alliance=0.2,
        prob_challenge_no_alliance=0.6,
        prob_war=0.34,
        prob_renege=0.0,
        stable=True,
        selected=True,
    )
    check_pool_e(eqs, False, False)
    assert_a1_trivial(eqs)


def test_model_e2_and_ranges():
    res = solve(pt(MBASE, k=0.03, range_cost=0.2))
    eqs = res["equilibria"]
    assert res["point"]["n_eq"] == 2
    e = find(eqs, "cutpoint_bluff", 41 / 195)
    check(
        e,
        prob_alliance=154 / 195,
        belief_alliance=39 / 44,
        prob_challenge_alliance=27 / 110,
        prob_challenge_no_alliance=0.6,
        prob_war=0.32,
        prob_renege=5 / 44,
        stable=True,
        range_lo_alliance=26.85 / 44,
        range_hi_alliance=0.6 + 0.4 * 39 / 44,
        range_lo_no_alliance=0.3,
        range_hi_no_alliance=0.6,
        selected=True,
    )
    assert abs(e["range_lo_alliance"] - 0.610227) < 1e-6
    assert abs(e["range_hi_alliance"] - 0.954545) < 1e-6
    check_pool_e(eqs, False, False)
    assert_a1_trivial(eqs)
    pnt = res["point"]
    assert close(pnt["range_lo_alone"], 0.3) and close(pnt["range_hi_alone"], 0.6)
    assert close(pnt["range_lo_joint"], 0.65) and close(pnt["range_hi_joint"], 1.0)


def test_model_e3():
    res = solve(pt(MBASE, k=0.0072))
    eqs = res["equilibria"]
    assert res["point"]["n_eq"] == 2
    e = find(eqs, "cutpoint_bluff", 0.125)
    check(
        e,
        prob_alliance=0.875,
        belief_alliance=0.8,
        prob_challenge_alliance=0.28,
        prob_challenge_no_alliance=0.6,
        prob_war=0.32,
        prob_renege=0.2,
        stable=True,
    )
    check_pool_e(eqs, True, False)
    assert_a1_trivial(eqs)


def mt(**kw):
    return pt(MBASE, theta_kind=1, theta_a=0.2, theta_b=0.4, theta_c=0.5, **kw)


def test_model_t1():
    res = solve(mt(k=0.05))
    eqs = res["equilibria"]
    e = find(eqs, "separating")
    check(
        e,
        prob_alliance=0.5,
        prob_challenge_alliance=0.2,
        prob_challenge_no_alliance=0.6,
        prob_war=0.4,
        prob_renege=0.0,
        cutpoint=math.nan,
    )
    assert_a1_trivial(eqs)


def test_model_t2():
    res = solve(mt(k=0.018))
    eqs = res["equilibria"]
    e = find(eqs, "hybrid")
    check(
        e,
        prob_challenge_alliance=0.3,
        belief_alliance=0.75,
        prob_alliance=2 / 3,
        prob_war=0.4,
        prob_renege=0.25,
        stable=True,
    )
    p = find(eqs, "pool_no_alliance")
    check(p, ic_ok=True, d1_ok=False)
    assert_a1_trivial(eqs)


def test_model_t_thresholds():
    # k_L = 0.036, k_H = 0.09 (MODEL.md 10): separating exactly on [k_L, k_H]
    for k, sep in ((0.035, False), (0.037, True), (0.089, True), (0.091, False)):
        kinds = [e["kind"] for e in solve(mt(k=k))["equilibria"]]
        assert (K["separating"] in kinds) == sep, (k, kinds)


# ----------------------------------------------------------------------------
# domain validation and the columnar driver
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,value,word",
    [
        ("p", 1.0, "p"),
        ("p_alliance", 0.2, "p_alliance"),
        ("p_coalition", 0.75, "p_coalition"),
        ("c_d", -0.1, "c_d"),
        ("c_d_joint", 0.5, "c_d_joint"),
        ("c_a", 0.0, "c_a"),
        ("k", -1.0, "k"),
        ("b_c", -0.01, "b_c"),
        ("cost_b", -1.0, "cost_b"),
        ("theta_c", 1.5, "theta_c"),
    ],
)
def test_validation(name, value, word):
    extra = {"cost_kind": 1} if name == "cost_b" else {}
    if name == "theta_c":
        extra = {"theta_kind": 1, "theta_a": 0.2, "theta_b": 0.4}
    with pytest.raises(ValueError, match=word):
        solve(pt(CBASE, **{name: value}, **extra))


def test_validation_allows_negative_p_minus_cd():
    solve(pt(CBASE, c_d=0.9, c_d_joint=0.9))


def test_columns_driver():
    pts = [pt(CBASE, k=0.1), pt(MBASE, k=0.03), tt(k=0.04)]
    cols = {key: np.array([q[key] for q in pts]) for key in CBASE}
    out = cr.solve_crisis_reference(cols, max_eq=8)
    assert out["n_eq"].dtype == np.int64 and out["n_eq"].tolist() == [3, 2, 2]
    assert out["kind"].dtype == np.int8 and out["kind"].shape == (3, 8)
    assert out["kind"][1, 2] == -1 and out["crisis_regime_alliance"][1, 2] == -1
    assert np.isnan(out["cutpoint"][1, 2]) and not out["stable"][1, 2]
    assert out["selected"].sum(axis=1).tolist() == [1, 1, 1]
    assert close(out["cutpoint"][0, 2], 182 / 671)
    small = cr.solve_crisis_reference(cols, max_eq=2)
    assert small["status"][0] & 1 and small["n_eq"][0] == 2


# ----------------------------------------------------------------------------
# brute-force property tests
# ----------------------------------------------------------------------------


def cdf(point, x):
    x = np.asarray(x, dtype=float)
    a, b = point["cost_a"], point["cost_b"]
    if point["cost_kind"] == 0:
        return np.clip((x - a) / (b - a), 0, 1)
    if point["cost_kind"] == 1:
        return 1 / (1 + np.exp(-(x - a) / b))
    return special.ndtr((x - a) / b)


def random_point(rng, two_type=False):
    p = rng.uniform(0.1, 0.7)
    p1 = rng.uniform(p + 0.05, min(1.0, p + 0.6))
    p0 = p1 if rng.random() < 0.6 else rng.uniform(p + 0.02, p1)
    if rng.random() < 0.6:
        cd = rng.uniform(p, p + 0.6)  # A1 fails
    else:
        cd = rng.uniform(0.0, p)  # A1 holds
    ck = int(rng.integers(0, 3))
    if ck == 0:
        lo = rng.uniform(-0.3, 0.4)
        cost = (lo, lo + rng.uniform(0.4, 1.5))
    else:
        cost = (rng.uniform(0.0, 0.6), rng.uniform(0.05, 0.3))
    d = dict(
        p=p,
        p_alliance=p1,
        p_coalition=p0,
        c_d=cd,
        c_d_joint=rng.uniform(0, cd),
        c_c_extra=rng.uniform(0, 0.3),
        c_a=rng.uniform(0.02, 0.3),
        k=rng.uniform(0, 0.2),
        r=rng.uniform(0, 0.15),
        b_c=rng.uniform(0.01, 0.2),
        cost_kind=ck,
        cost_a=cost[0],
        cost_b=cost[1],
        range_cost=math.nan,
    )
    if two_type:
        lo = rng.uniform(0, 0.5)
        d.update(theta_kind=1, theta_a=lo, theta_b=lo + rng.uniform(0.05, 0.6), theta_c=rng.uniform(0.1, 0.9))
    else:
        lo = 0.0 if rng.random() < 0.6 else rng.uniform(0, 0.3)
        d.update(theta_kind=0, theta_a=lo, theta_b=lo + rng.uniform(0.5, 1.2), theta_c=math.nan)
    return d


def ally_payoff(point, theta, alpha, e):
    """A's expected payoff from the payoff table given the equilibrium's crisis outcome."""
    s = "alliance" if alpha == 1 else "no_alliance"
    pch = e[f"prob_challenge_{s}"]
    X = e[f"prob_concession_{s}"]
    war = e[f"prob_war_{s}"]
    bd = e[f"prob_backdown_{s}"]
    pp = point["p_alliance"] if alpha == 1 else point["p_coalition"]
    k, r, ca, p = point["k"], point["r"], point["c_a"], point["p"]
    war_pay = np.maximum(pp * theta - ca, p * theta - alpha * r)
    return ((1 - pch) * theta + X * 0.0 + bd * theta + war * war_pay) - alpha * k


def check_crisis_brute(point, e, s, alpha):
    """C's cost types and D best-respond at the reported crisis outcome."""
    q = e[f"belief_{s}"]
    pch = e[f"prob_challenge_{s}"]
    rho = e[f"prob_concede_{s}"]
    X, war, bd = e[f"prob_concession_{s}"], e[f"prob_war_{s}"], e[f"prob_backdown_{s}"]
    W = e[f"defender_war_value_{s}"]
    p = point["p"]
    pp = point["p_alliance"] if alpha == 1 else point["p_coalition"]
    M = pp - p + point["c_c_extra"]
    bc = point["b_c"]
    for v in (pch, X, war, bd):
        assert -1e-12 <= v <= 1 + 1e-12
    # D's war value from the payoff table
    assert close(W, q * (pp - point["c_d_joint"]) + (1 - q) * (p - point["c_d"]), 1e-12)
    if pch <= 1e-14:
        return
    assert close(X, rho * pch, 1e-12)
    tau = (1 - p) - q * M
    # cost grid
    if point["cost_kind"] == 0:
        edges = np.linspace(point["cost_a"], point["cost_b"], 200001)
    else:
        edges = np.linspace(point["cost_a"] - 40 * point["cost_b"], point["cost_a"] + 40 * point["cost_b"], 400001)
    c = 0.5 * (edges[1:] + edges[:-1])
    w = np.diff(cdf(point, edges))
    # C's continuation after resistance: attack iff tau - c >= -b_C
    attack = tau - c >= -bc
    V = rho + (1 - rho) * np.maximum(tau - c, -bc)
    strict_in = w[V > 1e-9].sum()
    weak_in = w[V >= -1e-9].sum()
    tail = 1 - w.sum()
    gridtol = 2e-4 + tail
    assert strict_in - gridtol <= pch <= weak_in + gridtol, (strict_in, pch, weak_in)
    # resolute challengers: challenge (weakly) and attack if resisted
    mA = war / (1 - rho) if rho < 1 else None
    if mA is not None:
        res_strict = w[(V > 1e-9) & attack].sum()
        res_weak = w[(V >= -1e-9) & attack].sum()
        assert res_strict - gridtol <= mA <= res_weak + gridtol
        mB = bd / (1 - rho)
        if mB > 1e-9:
            # bluffers challenge only if indifferent (rho = rho-hat) or strictly gaining
            assert rho - (1 - rho) * bc >= -1e-9
            assert mB <= w[~attack].sum() + gridtol
        # D's incentive: resisting is worth pi_A W + (1 - pi_A)
        piA = mA / (mA + mB)
        resist = piA * W + (1 - piA)
        if 1e-12 < rho < 1 - 1e-12:
            assert abs(resist) < 1e-8, resist
        elif rho <= 1e-12:
            assert resist >= -1e-8
    else:
        # D concedes for sure: resisting is not better given every type challenges
        assert close(pch, 1.0, 1e-12)
        g = w[attack].sum()
        assert g * W + (1 - g) <= 1e-3 + gridtol


def check_eq_brute(point, e):
    # probabilities
    for key in (
        "prob_alliance",
        "prob_war",
        "prob_concession",
        "prob_status_quo_kept",
        "prob_challenge",
        "general_deterrence",
    ):
        assert -1e-12 <= e[key] <= 1 + 1e-12, key
    assert close(e["prob_war"] + e["prob_concession"] + e["prob_status_quo_kept"], 1.0, 1e-12)
    for s, a in (("alliance", 1), ("no_alliance", 0)):
        if e[f"crisis_regime_{s}"] >= 0:
            check_crisis_brute(point, e, s, a)
    t1 = (point["c_a"] - point["r"]) / (point["p_alliance"] - point["p"])
    point["c_a"] / (point["p_coalition"] - point["p"])
    if point["theta_kind"] == 0 and e["kind"] in (K["cutpoint_honest"], K["cutpoint_bluff"]):
        lo, hi = point["theta_a"], point["theta_b"]
        u = e["cutpoint"]
        th = np.linspace(lo, hi, 200001)
        gain = ally_payoff(point, th, 1, e) - ally_payoff(point, th, 0, e)
        assert np.all(gain[th > u + 1e-6] >= -1e-9)
        assert np.all(gain[th < u - 1e-6] <= 1e-9)
        # Bayes' rule from intervention decisions at war
        honour1 = point["p_alliance"] * th - point["c_a"] >= point["p"] * th - point["r"]
        honour0 = point["p_coalition"] * th - point["c_a"] >= point["p"] * th
        allied = th >= u
        assert abs(honour1[allied].mean() - e["belief_alliance"]) < 1e-3
        if (~allied).sum() > 100:
            assert abs(honour0[~allied].mean() - e["belief_no_alliance"]) < 1e-3
        assert close(e["prob_alliance"], (hi - u) / (hi - lo), 1e-12)
        assert (e["kind"] == K["cutpoint_honest"]) == (u >= t1)
    if point["theta_kind"] == 1 and e["kind"] in (K["separating"], K["hybrid"]):
        thL, thH, piH = point["theta_a"], point["theta_b"], point["theta_c"]
        gains = {x: float(ally_payoff(point, x, 1, e) - ally_payoff(point, x, 0, e)) for x in (thL, thH)}
        pa = e["prob_alliance"]
        # recover sigma's: separating (0,1) or (1,0); hybrid with one type mixing
        sols = []
        for sL in (0.0, 1.0, None):
            for sH in (0.0, 1.0, None):
                if sL is None and sH is None:
                    continue
                if sL is None:
                    sL_ = (pa - piH * sH) / (1 - piH)
                    sH_ = sH
                elif sH is None:
                    sH_ = (pa - (1 - piH) * sL) / piH
                    sL_ = sL
                else:
                    sL_, sH_ = sL, sH
                if not (-1e-12 <= sL_ <= 1 + 1e-12 and -1e-12 <= sH_ <= 1 + 1e-12):
                    continue
                if abs(piH * sH_ + (1 - piH) * sL_ - pa) > 1e-12:
                    continue
                ok = True
                for x, sg in ((thL, sL_), (thH, sH_)):
                    gx = gains[x]
                    if sg > 1e-9 and gx < -1e-8:
                        ok = False
                    if sg < 1 - 1e-9 and gx > 1e-8:
                        ok = False

                # Bayes
                def h(x):
                    return 1.0 if point["p_alliance"] * x - point["c_a"] >= point["p"] * x - point["r"] else 0.0

                if piH * sH_ + (1 - piH) * sL_ > 1e-12:
                    q1 = (piH * sH_ * h(thH) + (1 - piH) * sL_ * h(thL)) / (piH * sH_ + (1 - piH) * sL_)
                    ok = ok and abs(q1 - e["belief_alliance"]) < 1e-9
                if ok:
                    sols.append((sL_, sH_))
        assert sols, (gains, pa)


def m_m_identity_applies(point, e):
    if point["cost_kind"] != 0 or point["p_alliance"] != point["p_coalition"]:
        return False
    if not (e["crisis_regime_alliance"] == M_ and e["crisis_regime_no_alliance"] == M_):
        return False
    # unclipped: tau and tau_A strictly inside the support at both beliefs
    p, M = point["p"], point["p_alliance"] - point["p"] + point["c_c_extra"]
    for s in ("alliance", "no_alliance"):
        tau = (1 - p) - e[f"belief_{s}"] * M
        if not (point["cost_a"] < tau and tau + point["b_c"] < point["cost_b"]):
            return False
    return True


def m_m_value(point, e):
    w = point["cost_b"] - point["cost_a"]
    a = (1 - point["p"] - point["cost_a"]) / w
    beta = (point["p_alliance"] - point["p"] + point["c_c_extra"]) / w
    ee = point["b_c"] / w
    pa = e["prob_alliance"]
    pr_int = pa * e["belief_alliance"] + (1 - pa) * e["belief_no_alliance"]
    return (a + ee - beta * pr_int) / (1 + point["b_c"])


@pytest.mark.parametrize("seed", range(8))
def test_brute_force_random_continuous(seed):
    rng = np.random.default_rng(1000 + seed)
    n_a1_fail = 0
    n_eq = 0
    for _ in range(25):
        point = random_point(rng)
        n_a1_fail += point["c_d"] > point["p"]
        res = solve(point)
        assert sum(e["selected"] for e in res["equilibria"]) == (1 if res["equilibria"] else 0)
        for e in res["equilibria"]:
            n_eq += 1
            check_eq_brute(point, e)
            if m_m_identity_applies(point, e):
                assert close(e["prob_war"], m_m_value(point, e), 1e-9)
    assert n_a1_fail >= 12
    assert n_eq > 0


@pytest.mark.parametrize("seed", range(4))
def test_brute_force_random_two_type(seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(25):
        point = random_point(rng, two_type=True)
        for e in solve(point)["equilibria"]:
            check_eq_brute(point, e)


def naive_phi(point, u):
    """Phi on a u grid from crisis_outcome (regular points only) and the payoff table."""
    lo, hi = point["theta_a"], point["theta_b"]
    t1 = (point["c_a"] - point["r"]) / (point["p_alliance"] - point["p"])
    t0 = point["c_a"] / (point["p_coalition"] - point["p"])

    def F(x):
        return min(max((x - lo) / (hi - lo), 0.0), 1.0)

    out = []
    for x in u:
        q1 = (1 - F(max(t1, x))) / (1 - F(x))
        q0 = max(F(x) - F(t0), 0.0) / F(x)
        e = {}
        for s, a, q in (("alliance", 1, q1), ("no_alliance", 0, q0)):
            o = cr.crisis_outcome(q, a, point)
            e[f"prob_challenge_{s}"] = o["P_ch"]
            e[f"prob_concession_{s}"] = o["X"]
            e[f"prob_war_{s}"] = o["P_war"]
            e[f"prob_backdown_{s}"] = o["backdown"]
        out.append(float(ally_payoff(point, x, 1, e) - ally_payoff(point, x, 0, e)))
    return np.array(out)


@pytest.mark.parametrize("seed", range(3))
def test_naive_grid_sign_changes_are_found(seed):
    """Every sign change (incl. jumps) of a naive Phi grid has a reported cut-point."""
    rng = np.random.default_rng(3000 + seed)
    for _ in range(10):
        point = random_point(rng)
        lo, hi = point["theta_a"], point["theta_b"]
        u = np.linspace(lo, hi, 1501)[1:-1]
        ph = naive_phi(point, u)
        cuts = [
            e["cutpoint"]
            for e in solve(point)["equilibria"]
            if e["kind"] in (K["cutpoint_honest"], K["cutpoint_bluff"])
        ]
        for i in np.nonzero(np.sign(ph[:-1]) * np.sign(ph[1:]) < 0)[0]:
            assert any(u[i] - 1e-9 <= c <= u[i + 1] + 1e-9 for c in cuts), (point, u[i], cuts)


def test_pinned_on_w0_after_alliance_and_mm_identity():
    """A W0-pinned root after an alliance exists for some k; M/M identity on a hawkish case."""
    # scan k on the base case: region I boundary u = 1 - (1 - t1)/q-hat lies below 0 here,
    # so look at a case with a larger q-hat_1: c_d large, c_d_joint close to c_d
    found_pinned = False
    for k in np.linspace(0.05, 0.06, 11):
        point = pt(CBASE, c_d=0.7, c_d_joint=0.63, k=float(k))
        for e in solve(point)["equilibria"]:
            check_eq_brute(point, e)
            found_pinned = found_pinned or (e["pinned"] and e["crisis_regime_alliance"] in (W0_, CB_))
    assert found_pinned
    # M/M: W < 0 at both beliefs (q-hat > 1), unclipped uniform
    n_mm = 0
    for k in np.linspace(0.0, 0.1, 21):
        point = pt(CBASE, c_d=0.95, c_d_joint=0.9, b_c=0.05, cost_a=-0.6, cost_b=1.4, k=float(k))
        for e in solve(point)["equilibria"]:
            check_eq_brute(point, e)
            if m_m_identity_applies(point, e):
                n_mm += 1
                assert close(e["prob_war"], m_m_value(point, e), 1e-9)
    assert n_mm > 0


def test_logistic_normal_and_unequal_p():
    for ck, a, b in ((1, 0.3, 0.15), (2, 0.3, 0.2)):
        for p0 in (0.7, 0.55):
            for k in (0.01, 0.05, 0.1, 0.2):
                point = pt(CBASE, cost_kind=ck, cost_a=a, cost_b=b, p_coalition=p0, k=k)
                res = solve(point)
                assert res["point"]["n_eq"] >= 1
                for e in res["equilibria"]:
                    check_eq_brute(point, e)


def test_b_c_zero_and_p_equals_cd_flags():
    res = solve(pt(CBASE, b_c=0.0))
    assert res["point"]["bluff_mass_free"]
    for e in res["equilibria"]:
        check_eq_brute(pt(CBASE, b_c=0.0), e)
    res = solve(pt(CBASE, c_d=0.3))
    degen = [e["degenerate"] for e in res["equilibria"] if e["belief_no_alliance"] == 0.0]
    assert degen and all(degen)


def test_speed():
    rng = np.random.default_rng(7)
    pts = [random_point(rng) for _ in range(60)] + [random_point(rng, True) for _ in range(20)]
    t = time.perf_counter()
    for q in pts:
        solve(q)
    per = (time.perf_counter() - t) / len(pts)
    print(f"time per point: {per * 1e3:.2f} ms")
    assert per < 0.1


def pooling_brute(point, res):
    """Pooling is reported iff some sampled off-path crisis response deters every type."""
    two = point["theta_kind"] == 1
    lo, hi = point["theta_a"], point["theta_b"]
    types = np.array([lo, hi]) if two else np.linspace(lo, hi, 2001)
    t = {
        1: (point["c_a"] - point["r"]) / (point["p_alliance"] - point["p"]),
        0: point["c_a"] / (point["p_coalition"] - point["p"]),
    }
    for on, kind in ((0, "pool_no_alliance"), (1, "pool_alliance")):
        off = 1 - on
        s_on = "alliance" if on == 1 else "no_alliance"
        # on-path belief from the types' intervention decisions
        if two:
            piH = point["theta_c"]
            q_on = piH * (hi >= t[on]) + (1 - piH) * (lo >= t[on])
        else:
            q_on = float(np.mean(np.linspace(lo, hi, 200001) >= t[on]))
        o = cr.crisis_outcome(q_on, on, point)
        e_on = {
            f"prob_challenge_{s_on}": o["P_ch"],
            f"prob_concession_{s_on}": o["X"],
            f"prob_war_{s_on}": o["P_war"],
            f"prob_backdown_{s_on}": o["backdown"],
        }
        u_on = ally_payoff(point, types, on, e_on)
        qa, qb = float(lo >= t[off]), float(hi >= t[off])
        qs = list(np.linspace(qa, qb, 3001)) if qb > qa else [qa]
        outs = [cr.crisis_outcome(q, off, point) for q in qs]
        b = cr.crisis_boundaries(off, point)
        for which, qq, r0, r1 in (
            ("W0", b["q_hat"], 0.0, point["b_c"] / (1 + point["b_c"])),
            ("Cb", b["q_C"], point["b_c"] / (1 + point["b_c"]), 1.0),
        ):
            if which == "Cb" and not b["has_Cb"]:
                continue
            if qa <= qq <= qb and 0 < qq <= 1:
                outs += [cr.crisis_segment(off, point, which, rr) for rr in np.linspace(r0, r1, 201)]
        s_off = "alliance" if off == 1 else "no_alliance"
        best = math.inf
        for o in outs:
            e_off = {
                f"prob_challenge_{s_off}": o["P_ch"],
                f"prob_concession_{s_off}": o["X"],
                f"prob_war_{s_off}": o["P_war"],
                f"prob_backdown_{s_off}": o["backdown"],
            }
            best = min(best, float(np.max(ally_payoff(point, types, off, e_off) - u_on)))
        reported = any(e["kind"] == K[kind] for e in res["equilibria"])
        if reported:
            assert best <= 1e-6, (kind, best)
        else:
            assert best > -1e-9, (kind, best)
        for e in res["equilibria"]:
            if e["kind"] == K[kind]:
                assert close(e[f"belief_{s_on}"], q_on, 1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_brute_force_pooling(seed):
    rng = np.random.default_rng(4000 + seed)
    for i in range(12):
        point = random_point(rng, two_type=(i % 2 == 1))
        pooling_brute(point, solve(point))


def test_pool_alliance_two_type_exists():
    """CRISIS.md 3.4: with theta_lo > 0, pooling on alliance can exist when D concedes without it."""
    found = 0
    for k in (0.0, 0.005, 0.01, 0.02):
        point = pt(CBASE, c_d=0.7, c_d_joint=0.6, theta_kind=1, theta_a=0.3, theta_b=0.5, theta_c=0.5, k=k)
        res = solve(point)
        pooling_brute(point, res)
        found += any(e["kind"] == K["pool_alliance"] for e in res["equilibria"])
        for e in res["equilibria"]:
            check_eq_brute(point, e)
    assert found > 0


def test_nc_branch_flag_and_continuum_status():
    # CRISIS.md 2.8 NC parameters with a continuous uniform G = U[0.15, 1.15]; t_0 = 0.15 so
    # the no-alliance pooling belief is q_0 = 0.85, where W < 0 and G(tau) = 0 < G(tau_A)
    point = pt(
        CBASE,
        p_alliance=0.6,
        p_coalition=0.6,
        c_d=0.6,
        c_d_joint=0.55,
        c_c_extra=0.4,
        b_c=0.1,
        cost_a=0.15,
        cost_b=1.15,
        c_a=0.045,
        k=0.1,
    )
    tau = 0.7 - 0.85 * 0.7
    assert tau < 0.15 < tau + 0.1 and -0.3 + 0.85 * 0.35 < 0
    res = solve(point)
    assert res["point"]["nc_branch"]
    check(find(res["equilibria"], "pool_no_alliance"), belief_no_alliance=0.85)
    # conventions.md: k = r = 0 with no type ever intervening -> Phi = 0 on an interval
    res = solve(pt(MBASE, k=0.0, r=0.0, c_a=0.9))
    assert res["point"]["status"] & 2
    e = [e for e in res["equilibria"] if e["kind"] in (K["cutpoint_honest"], K["cutpoint_bluff"])]
    assert len(e) == 1 and e[0]["degenerate"] and close(e[0]["cutpoint"], 0.5)


# ---------------------------------------------------------------------------------------------
# Where A1 holds the crisis model is the canonical one: the crisis reference (written from
# CRISIS.md) and the Rust engine (written from MODEL.md), two implementations that share no
# code, must report the same equilibria.
A1_CASES = [(0, 0, 400), (0, 1, 200), (0, 2, 150), (1, 0, 200), (1, 1, 150), (1, 2, 100)]
A1_OUTPUTS = [
    "kind",
    "cutpoint",
    "prob_alliance",
    "belief_alliance",
    "belief_no_alliance",
    "prob_challenge_alliance",
    "prob_challenge_no_alliance",
    "prob_war",
    "prob_renege",
    "range_lo_alliance",
    "range_hi_alliance",
    "range_lo_no_alliance",
    "range_hi_no_alliance",
    "stable",
    "ic_ok",
    "d1_ok",
    "selected",
    "degenerate",
]


@pytest.mark.parametrize(("theta_kind", "cost_kind", "n"), A1_CASES)
def test_crisis_reference_equals_the_engine_where_a1_holds(theta_kind, cost_kind, n):
    import allysweep as asw
    from test_parity import random_columns

    cols = random_columns(seed=7 + 10 * theta_kind + cost_kind, n=n, theta_kind=theta_kind, cost_kind=cost_kind)
    assert np.all(cols["p"] - cols["c_d"] >= 0)  # A1
    engine = asw.solve_flat(cols, method="roots")
    crisis = cr.solve_crisis_reference(cols)
    np.testing.assert_array_equal(crisis["n_eq"], engine["n_eq"])
    used = np.arange(engine["kind"].shape[1]) < engine["n_eq"][:, None]
    for name in A1_OUTPUTS:
        a, b = engine[name][used], crisis[name][used]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, atol=1e-9, rtol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(b, a, err_msg=name)
    # ... and the crisis stage is inert there: D always resists, every challenge is a war.
    for side in ("alliance", "no_alliance"):
        on = used & ~np.isnan(crisis[f"prob_war_{side}"])
        assert np.all(crisis[f"crisis_regime_{side}"][on] == 0)
        np.testing.assert_allclose(crisis[f"prob_war_{side}"][on], crisis[f"prob_challenge_{side}"][on], atol=1e-12)
        np.testing.assert_allclose(crisis[f"prob_concession_{side}"][on], 0.0, atol=0)


# ---------------------------------------------------------------------------------------------
# q-hat = q^C (no M piece). With a Normal(-0.105, 0.036) challenger cost G(tau_A) = 1.0 in
# floating point, so h(q) = G(tau_A)(1 + omega - q d) - 1 = -W(q) and the Cb segment
# (rho 1 -> rho-hat) meets the W0 segment (rho-hat -> 0) at one belief q_1 = 0.19732. On
# both segments m_A = 1 and m_B = 0 (pi-bar = 1; G(kappa(rho)) = 1), so at the u-boundary
# u_b Lambda_1 = rho u_b + (1 - rho) L_1(u_b) along rho in [0, 1]; after no alliance D
# concedes (q_0 = 0 in C), Lambda_0 = u_b. Phi = (1 - rho)(u_b - L_1(u_b)) - k is linear in
# rho: one pinned root, rho* = 1 - k/(u_b - L_1(u_b)) ~ 0.8443 on Cb (CRISIS.md 2.3, 3.3).
# Off the boundary Phi = -k < 0 (C/C, u < u_b) and Phi > 0 on R/C (u > u_b): no other root.
QHAT_EQ_QC = dict(
    p=0.7945364077261164,
    p_alliance=0.9067182379266473,
    p_coalition=0.8952137509455866,
    c_d=0.8280897122133186,
    c_d_joint=0.7702266967754391,
    c_c_extra=0.003909645644085258,
    c_a=0.34525587622358284,
    k=0.12265265646819652,
    r=0.15865907953424166,
    b_c=0.11461265214094263,
    theta_kind=0,
    theta_a=0.2927566957929665,
    theta_b=1.779394295799289,
    theta_c=math.nan,
    cost_kind=2,
    cost_a=-0.10538669616815027,
    cost_b=0.03595711865811252,
    range_cost=1.1924663662212462,
)


def test_qhat_equals_qc_one_pinned_root():
    import allysweep as asw
    from game_simulation import ally_gain

    P = QHAT_EQ_QC
    m = cr.Model(P)
    assert abs(m.qhat[1] - m.qC[1]) < 1e-14 and float(m.G(m.tau(1, m.qhat[1]) + m.bc)) == 1.0
    # closed form of the pinned root on the joined Cb + W0 segment (comment above)
    u_b = P["theta_b"] - (P["theta_b"] - m.t[1]) / m.qhat[1]
    assert P["theta_a"] < u_b < m.t[1]  # region I: L_1 = (1 - p) u + r
    rho_star = 1.0 - P["k"] / (u_b - ((1.0 - P["p"]) * u_b + P["r"]))
    assert m.rho_hat < rho_star < 1.0

    # Phi is continuous along the cut-point path (CRISIS.md 2.5): no jump at the piece joints
    path = cr.CutPath(m)
    ends = [path.eval(pc, np.array(path.piece_range(pc)))["Phi"] for pc in path.pieces]
    for left, right in zip(ends, ends[1:], strict=False):
        assert abs(left[1] - right[0]) < 1e-9

    out = asw.solve_flat({key: np.array([v]) for key, v in P.items()}, method="reference")
    n = int(out["n_eq"][0])
    assert n == 2
    kinds = list(out["kind"][0, :n])
    assert sorted(kinds) == sorted([K["pool_no_alliance"], K["cutpoint_bluff"]])
    j = kinds.index(K["cutpoint_bluff"])
    assert close(out["cutpoint"][0, j], u_b, 1e-12)
    assert close(out["prob_concede_alliance"][0, j], rho_star, 1e-9)
    assert out["crisis_regime_alliance"][0, j] == cr.REGIME_CODE["Cb"]
    assert out["crisis_regime_no_alliance"][0, j] == cr.REGIME_CODE["C"]
    assert out["pinned"][0, j] and out["stable"][0, j] and not out["degenerate"][0, j]
    # every reported cut-point leaves its cut-point type indifferent in the independent
    # game simulation (tests/game_simulation.py, which joins Cb and W0 when q-hat = q^C)
    sim = {name: P[name] for name in cr.FLOAT_PARAMS if not name.startswith(("theta_", "cost_", "range_"))}
    sim["theta"] = ("uniform", P["theta_a"], P["theta_b"])
    sim["cost_c"] = ("normal", P["cost_a"], P["cost_b"])
    for i in range(n):
        if out["kind"][0, i] in (K["cutpoint_honest"], K["cutpoint_bluff"]):
            u = float(out["cutpoint"][0, i])
            strategy = {"cutpoint": u, "rho_alliance": float(out["prob_concede_alliance"][0, i])}
            assert abs(ally_gain(sim, strategy, u)) < 1e-7
