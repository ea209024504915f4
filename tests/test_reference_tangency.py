"""Tangencies in rounding noise, in the canonical and the crisis NumPy references.

docs/conventions.md ("Tangencies in rounding noise" after the canonical **Continuum** paragraph,
and the **Tangencies.** bullet of "Cut-point path"): a tangency is a sample minimum of |Φ| with
no sign change that touches zero, and it needs Φ resolved around it. A sample minimum is a
candidate only when max(|Φ_{i−1} − Φ_i|, |Φ_{i+1} − Φ_i|) > Z at the sample, Z the rounding
level of the **Continuum** rule; on the cut-point path of the crisis model it must also be
strict (|Φ_i| < |Φ_{i−1}| and |Φ_i| <= |Φ_{i+1}|).

Why: with k = 0, challenge probabilities within ~1e-14 of 1 and θ up to 58, Φ is a flat run of
rounding noise of about 4e-14 on a piece that does not vanish as a whole (|Φ| > Z at some
samples), never changing sign. Every local minimum of that noise used to be refined to
|Φ| < 1e-12 and reported as a "tangent" cutpoint: 15 in the canonical point below, and 60+
(slot overflow, status bit 1) in each crisis point. The points were found by a random search
(k = 0, normal or logistic G far below the war values); their values are copied here
literally.

Each noise test first checks its premise with the reference's own Φ (on a grid 40 times finer
than the solver's): Φ does not change sign on the open flat region and |Φ| < 1e-12 there. For
the canonical point MODEL.md §5-§6 also give Φ in closed form: r = 0 makes L_0 = L_1 = L, and
for u > t_0 = t_1 the beliefs are q_1 = 1, q_0(u) = 1 - t_0/u < 1, so
Φ(u) = (S(x_1) − S(x_0(u))) L(u) with S = 1 − G the survival function of G and
x_α = (1 − p) − q_α M; x_0(u) > x_1 gives S(x_0(u)) < S(x_1), i.e. Φ > 0 exactly: no root at
all, let alone a tangency. Computed without cancellation (ndtr of the negated argument) this
is checked below too.

The last tests make sure genuine tangencies are still found: k is set to the value of an
interior extremum of Φ on a smooth piece (found with scipy from the reference's Φ at k = 0),
so that Φ − k touches zero there; the reference must report one degenerate cutpoint within
1e-6 of it.
"""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import ndtr

from allysweep.engine import crisis_reference as cr
from allysweep.engine import reference as ref

CUT_KINDS = (0, 1)  # reference kind codes of cutpoint_honest and cutpoint_bluff
CRISIS_CUT_KINDS = (cr.KIND_CODE["cutpoint_honest"], cr.KIND_CODE["cutpoint_bluff"])
FINE = 100_001  # premise grid per region (the solvers sample 2500 / 400 per piece)

# Canonical model, A1 holds (c_d <= p); normal G (cost_kind 2), k = r = 0.
NOISE_A1 = dict(
    p=0.057844279237251064,
    p_alliance=0.29501907224260104,
    p_coalition=0.29501907224260104,
    c_d=0.0017726454128761916,
    c_d_joint=0.0003876117625544323,
    c_c_extra=0.004080193581510305,
    c_a=0.23125359271363843,
    k=0.0,
    r=0.0,
    b_c=0.012192487091265481,
    theta_kind=0.0,
    theta_a=0.0,
    theta_b=58.07863732812764,
    theta_c=math.nan,
    cost_kind=2.0,
    cost_a=-1.954766791552251,
    cost_b=0.34799491536669575,
    range_cost=0.5389389757915504,
)

# Crisis model: A1 fails in the first and third point (c_d > p), holds in the second.
NOISE_CRISIS = {
    "no-A1-logistic-theta44": dict(
        p=0.2692387108909746,
        p_alliance=0.615601465035747,
        p_coalition=0.615601465035747,
        c_d=0.33020210944454775,
        c_d_joint=0.3093938181677133,
        c_c_extra=0.059621822092599794,
        c_a=0.19324351196114148,
        k=0.0,
        r=0.0,
        b_c=0.16172863495457027,
        theta_kind=0.0,
        theta_a=0.0,
        theta_b=44.208160163251065,
        theta_c=math.nan,
        cost_kind=1.0,
        cost_a=-6.635213462820508,
        cost_b=0.2147346886540779,
        range_cost=1.3863540987773006,
    ),
    "A1-logistic-theta15": dict(
        p=0.5782843044164186,
        p_alliance=0.7792801520033286,
        p_coalition=0.7792801520033286,
        c_d=0.48325836779012293,
        c_d_joint=0.14406917246745396,
        c_c_extra=0.2564498603142818,
        c_a=0.14725377106101217,
        k=0.0,
        r=0.2581518046851593,
        b_c=0.10106449940571507,
        theta_kind=0.0,
        theta_a=0.0,
        theta_b=14.60181050072812,
        theta_c=math.nan,
        cost_kind=1.0,
        cost_a=-11.172449052796162,
        cost_b=0.3505336591082153,
        range_cost=0.8722540934375478,
    ),
    "no-A1-normal-theta23": dict(
        p=0.05542837318518634,
        p_alliance=0.18661917300197237,
        p_coalition=0.18661917300197237,
        c_d=0.07346802873048497,
        c_d_joint=0.005838879318095297,
        c_c_extra=0.05581262788291758,
        c_a=0.240930142557593,
        k=0.0,
        r=0.0,
        b_c=0.1376676035536258,
        theta_kind=0.0,
        theta_a=0.0,
        theta_b=22.860939684630868,
        theta_c=math.nan,
        cost_kind=2.0,
        cost_a=-1.987869965849741,
        cost_b=0.3776851503534667,
        range_cost=0.28912678583646856,
    ),
}


def assert_flat_noise(phi):
    """The premise: no sign change and |Φ| < 1e-12 on the sampled open region."""
    assert np.all(np.isfinite(phi))
    assert np.all(phi > 0.0) or np.all(phi < 0.0), "Φ changes sign (or is 0) on the region"
    assert np.abs(phi).max() < 1e-12


# --------------------------------------------------------------------------------------
# Canonical reference
# --------------------------------------------------------------------------------------
def test_canonical_flat_noise_has_no_tangent_cutpoints():
    row = NOISE_A1
    assert row["p"] - row["c_d"] >= 0.0  # A1
    m = ref._Model(row)
    sup = ref._Interval(row["theta_a"], row["theta_b"])
    lo, hi = row["theta_a"], row["theta_b"]
    t0 = row["c_a"] / (row["p_alliance"] - row["p"])  # = t_1 (r = 0), MODEL.md §5
    assert m.t[0] == pytest.approx(t0, rel=1e-14) and m.t[1] == pytest.approx(t0, rel=1e-14)
    assert lo < t0 < hi

    # The premise, with the reference's Φ on the open interval (t_0, hi).
    u = np.linspace(t0, hi, FINE)[1:-1]
    phi = ref._phi(m, sup, u)
    assert_flat_noise(phi)
    assert np.all(phi > 0.0)
    # ... and not a vanishing piece (the continuum rule does not apply): |Φ| > Z somewhere.
    assert np.any(np.abs(phi) > ref._continuum_scale(m, u))

    # The closed form (module docstring): Φ(u) = (S(x_1) - S(x_0(u))) L(u) > 0 exactly.
    mu, s = row["cost_a"], row["cost_b"]
    M = row["p_alliance"] - row["p"]
    q0 = 1.0 - t0 / u
    S1 = ndtr(-((1 - row["p"] - M) - mu) / s)
    S0 = ndtr(-((1 - row["p"] - q0 * M) - mu) / s)
    L = (1 - row["p_alliance"]) * u + row["c_a"]
    exact = (S1 - S0) * L
    assert np.all(exact > 0.0)
    assert exact.max() < 1e-12
    # The computed Φ is that value up to rounding at the level of a few Z.
    assert np.all(np.abs(phi - exact) <= 50.0 * ref._continuum_scale(m, u))

    res = ref.solve_point(row)
    assert not res["status"] & 1  # no slot overflow
    inside = [e["cutpoint"] for e in res["equilibria"] if e["kind"] in CUT_KINDS and t0 < e["cutpoint"] < hi]
    assert inside == []


def _canonical_tangent_case():
    """A point where Φ has a smooth interior extremum on the piece (t_0, hi), and k there."""
    row = dict(
        p=0.3,
        p_alliance=0.6,
        p_coalition=0.6,
        c_d=0.1,
        c_d_joint=0.05,
        c_c_extra=0.1,
        c_a=0.05,
        k=0.0,
        r=0.06,
        b_c=0.05,
        theta_kind=0.0,
        theta_a=0.0,
        theta_b=1.0,
        theta_c=math.nan,
        cost_kind=2.0,
        cost_a=0.4,
        cost_b=0.1,
        range_cost=math.nan,
    )
    m = ref._Model(row)
    sup = ref._Interval(0.0, 1.0)
    t0 = m.t[0]
    assert t0 == pytest.approx(1.0 / 6.0, rel=1e-14)
    u = np.linspace(t0, 1.0, 2001)
    f = ref._phi(m, sup, u)
    i = int(np.argmax(f))  # an interior maximum of Φ (k = 0) on (t_0, hi)
    assert 0 < i < len(u) - 1 and f[i] > f[0] and f[i] > f[-1]
    res = minimize_scalar(
        lambda x: -float(ref._phi(m, sup, x)), bounds=(u[i - 1], u[i + 1]), method="bounded", options={"xatol": 1e-12}
    )
    u_star = float(res.x)
    return row, m, sup, u_star, float(ref._phi(m, sup, u_star))


def test_canonical_genuine_tangency_is_found():
    row0, _, _, u_star, k = _canonical_tangent_case()
    row = dict(row0, k=k)
    m = ref._Model(row)
    sup = ref._Interval(0.0, 1.0)
    # Φ - k touches zero at u*: its maximum there is 0 within 1e-13, it is negative around it.
    assert abs(float(ref._phi(m, sup, u_star))) < 1e-13
    near = np.linspace(u_star - 1e-2, u_star + 1e-2, 2001)
    assert np.all(ref._phi(m, sup, near) <= 1e-13)
    assert ref._phi(m, sup, u_star - 1e-2) < -1e-6 and ref._phi(m, sup, u_star + 1e-2) < -1e-6

    res = ref.solve_point(row)
    hits = [e for e in res["equilibria"] if e["kind"] in CUT_KINDS and abs(e["cutpoint"] - u_star) <= 1e-6]
    assert len(hits) == 1, [(e["kind"], e["cutpoint"]) for e in res["equilibria"]]
    assert hits[0]["degenerate"] is True
    assert not res["status"] & 1


# --------------------------------------------------------------------------------------
# Crisis reference
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(NOISE_CRISIS))
def test_crisis_flat_noise_has_no_tangent_cutpoints(name):
    point = NOISE_CRISIS[name]
    m = cr.Model(point)
    path = cr.CutPath(m)
    hi = point["theta_b"]
    last = path.pieces[-1]
    assert last["kind"] == "u" and last["ub"] == hi
    ua = last["ua"]
    assert ua < 0.1 * hi  # the flat region is most of [lo, hi]

    # The premise, with the reference's Φ on the open last piece (ua, hi).
    u = np.linspace(ua, hi, FINE)[1:-1]
    phi = path.eval(last, u)["Phi"]
    assert_flat_noise(phi)
    # ... and not a vanishing piece: |Φ| > Z at some of the solver's own samples.
    x = path.piece_grid(last)
    assert np.any(np.abs(path.eval(last, x)["Phi"]) > path.continuum_scale(last, x))

    res = cr.solve_crisis_point(point)
    assert not res["point"]["status"] & 1  # no slot overflow
    inside = [e["cutpoint"] for e in res["equilibria"] if e["kind"] in CRISIS_CUT_KINDS and ua < e["cutpoint"] < hi]
    assert inside == []


def test_crisis_flat_noise_rule_applies_only_with_scale_eval():
    """A constructed flat run of "noise": V(x) = 4e-14 + 1e-16 cos(8 pi x) on 9 samples of
    [0, 1] has strict sample minima (the odd samples) that change by 2e-16 to their
    neighbours. Without ``scale_eval`` (the two-type hybrids) the old rule is kept: each minimum
    refines to |V| ~ 4e-14 < 1e-10 and is a tangency. With a rounding level Z = 1e-15 above the
    changes (the cut-point path), none is resolved: no tangency, and no continuum either
    (|V| > Z everywhere)."""

    class Path:
        pieces = [{"kind": "u"}]

        def piece_grid(self, pc, n):
            return np.linspace(0.0, 1.0, 9)

        def piece_range(self, pc):
            return 0.0, 1.0

        def u_at(self, pc, x):
            return float(x)

    def fun(pc, x):
        return 4e-14 + 1e-16 * np.cos(8.0 * np.pi * np.asarray(x, dtype=float))

    def scale(pc, x):
        return np.full(np.shape(x), 1e-15)

    old = cr._find_path_roots(Path(), fun)
    assert sorted(round(r["x"], 3) for r in old if r["tangency"]) == [0.125, 0.375, 0.625, 0.875]
    assert cr._find_path_roots(Path(), fun, scale_eval=scale) == []

    def scale_small(pc, x):  # Z below the changes: the minima are resolved and kept
        return np.full(np.shape(x), 1e-16)

    kept = cr._find_path_roots(Path(), fun, scale_eval=scale_small)
    assert sorted(round(r["x"], 3) for r in kept if r["tangency"]) == [0.125, 0.375, 0.625, 0.875]


def test_crisis_genuine_tangency_is_found():
    """A1 fails (c_D = 0.4 > p = 0.3) but D resists on the piece (t_0, hi) (regime R after
    both signals), where Φ has a smooth interior maximum; k is set to it."""
    base = dict(
        p=0.3,
        p_alliance=0.6,
        p_coalition=0.6,
        c_d=0.4,
        c_d_joint=0.3,
        c_c_extra=0.1,
        c_a=0.05,
        k=0.0,
        r=0.06,
        b_c=0.05,
        theta_kind=0,
        theta_a=0.0,
        theta_b=1.0,
        theta_c=math.nan,
        cost_kind=2,
        cost_a=0.4,
        cost_b=0.1,
        range_cost=math.nan,
    )
    path = cr.CutPath(cr.Model(base))
    pc = path.pieces[-1]
    assert pc["kind"] == "u" and pc["ub"] == 1.0 and pc["reg1"] == "R" and pc["reg0"] == "R"

    def phi0(x):
        return float(path.eval(pc, np.array([x]))["Phi"][0])

    u = np.linspace(pc["ua"], pc["ub"], 2001)
    f = path.eval(pc, u)["Phi"]
    i = int(np.argmax(f))
    assert 0 < i < len(u) - 1 and f[i] > f[0] and f[i] > f[-1]
    res = minimize_scalar(lambda x: -phi0(x), bounds=(u[i - 1], u[i + 1]), method="bounded", options={"xatol": 1e-12})
    u_star, k = float(res.x), phi0(float(res.x))

    point = dict(base, k=k)
    path_k = cr.CutPath(cr.Model(point))
    pc_k = path_k.pieces[-1]
    assert pc_k["ua"] == pc["ua"] and pc_k["reg1"] == "R" and pc_k["reg0"] == "R"
    assert abs(float(path_k.eval(pc_k, np.array([u_star]))["Phi"][0])) < 1e-13
    near = np.linspace(u_star - 1e-2, u_star + 1e-2, 2001)
    assert np.all(path_k.eval(pc_k, near)["Phi"] <= 1e-13)

    out = cr.solve_crisis_point(point)
    hits = [e for e in out["equilibria"] if e["kind"] in CRISIS_CUT_KINDS and abs(e["cutpoint"] - u_star) <= 1e-6]
    assert len(hits) == 1, [(e["kind"], e["cutpoint"]) for e in out["equilibria"]]
    assert hits[0]["degenerate"]
    assert not out["point"]["status"] & 1
