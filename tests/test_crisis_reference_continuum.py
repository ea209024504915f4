"""The continuum rule of the crisis reference's cut-point path (``crisis_reference._solve_continuous``).

What is checked
---------------
``docs/conventions.md`` ("Cut-point path", bullet **Continuum**, status value 2) says a piece of
the path (a u-piece or a segment) vanishes when |Phi| <= Z at every one of its samples, with
Z = 1e-15 (1 + k + X_0 u + X_1 u + L_0(u) + L_1(u)) the rounding level of
Lambda_0 - Lambda_1 - k; adjacent vanishing pieces join into one interval, reported once
(``degenerate``, not ``stable``, status bit 2) at the midpoint in u of its two ends; isolated
roots within 1e-9 in u of the interval belong to it, and sign changes inside it are not roots.
The tests below build cases where Phi is known in closed form:

* k = 0 and challenge probabilities exactly 1 (a uniform G far below the challenger's war value,
  A1 holding): Phi = L_0 - L_1 = 0 on [t_0, hi] and < 0 below, one continuum at (t_0 + hi)/2;
* the same with theta up to 50 and a normal G whose challenge probabilities are within a few
  ulps of 1: |Phi| exceeds the old fixed 1e-14 through rounding alone, yet stays below Z;
* where A1 holds the crisis model is the canonical one (CRISIS.md, first paragraph), so on these
  continuum cases the crisis reference must report the canonical reference's equilibria;
* r = 0 (t_1 = t_0, L_0 = L_1 everywhere), and a crisis case where D concedes after both signals
  (Lambda_0 = Lambda_1 = u): Phi vanishes on the whole path, across the kinks, one interval;
* an isolated root at an end of the interval is part of it and not reported again;
* Phi a constant-ish -k just above Z is not a continuum, just below Z it is.

Why
---
Until 2026-12-02 the reference used "three or more consecutive samples with |Phi| <= 1e-14, at
the run's midpoint", which (a) put the representative on a sample, not at the interval's
midpoint, (b) mistook rounding noise above 1e-14 at large theta for sign changes and
tangencies, and (c) called a small but resolved Phi (1e-15 < |Phi| <= 1e-14 at small theta) a
continuum. Each test here fails under that rule.
"""

import math

import numpy as np
import pytest

from allysweep.engine import crisis_reference as cr

K = cr.KIND_CODE
INTERIOR = (K["cutpoint_honest"], K["cutpoint_bluff"])

# A1 holds (c_d <= p): D always resists; G = Uniform(-3, -2) lies below every war value tau,
# so every challenge probability is exactly 1.
BASE = dict(
    p=0.4,
    p_alliance=0.7,
    p_coalition=0.7,
    c_d=0.1,
    c_d_joint=0.05,
    c_c_extra=0.1,
    c_a=0.15,
    k=0.0,
    r=0.06,
    b_c=0.05,
    theta_kind=0,
    theta_a=0.0,
    theta_b=1.0,
    theta_c=math.nan,
    cost_kind=0,
    cost_a=-3.0,
    cost_b=-2.0,
    range_cost=math.nan,
)
# theta up to 50, Normal(-0.39, 0.1) challenger cost: P_1 = G(0.4) = 1 - O(1e-15) and P_0 within
# a few ulps of it, so |Phi| = |P_0 L_0 - P_1 L_1| reaches 1.4e-14 on [t_0, hi] by rounding
LARGE = dict(BASE, p=0.3, p_alliance=0.5, p_coalition=0.5, theta_b=50.0, cost_kind=2, cost_a=-0.39, cost_b=0.1)
# p - c_d < 0 (A1 fails) but G = 1: q-hat_alpha = omega / d_alpha > 1 for both signals and
# h(1) > 0, so C covers [0, 1] after either signal: D concedes (rho = 1), C always challenges
# (m_A = 1), Lambda_alpha = u exactly and Phi = -k = 0 on the whole path
CRISIS_CC = dict(BASE, p=0.3, p_alliance=0.7, p_coalition=0.6, c_d=0.9, c_d_joint=0.85, theta_b=2.0)


def pt(base, **kw):
    d = dict(base)
    d.update(kw)
    return d


def interior(res):
    return [e for e in res["equilibria"] if e["kind"] in INTERIOR]


def path_samples(m):
    """(piece, x, Phi, Z) for every piece of the cut-point path, on the solver's samples."""
    path = cr.CutPath(m)
    out = []
    for pc in path.pieces:
        x = path.piece_grid(pc)
        ev = path.eval(pc, x)
        phi, u = ev["Phi"], ev["u"]
        # conventions, "Continuum": Z = 1e-15 (1 + k + X_0 u + X_1 u + L_0(u) + L_1(u)), with
        # X_alpha = rho_alpha P^ch_alpha; the X u terms are inside the 1e-15 factor
        s = 1.0 + m.k + m.L(0, u) + m.L(1, u)
        for c in (ev["cr0"], ev["cr1"]):
            s = s + c["rho"] * (c["mA"] + c["mB"]) * u
        out.append((pc, x, phi, 1e-15 * s))
    return out


def assert_one_continuum(res, u_mid, kind):
    assert res["point"]["status"] & 2
    cuts = interior(res)
    assert len(cuts) == 1, [(e["kind"], e["cutpoint"]) for e in cuts]
    e = cuts[0]
    assert e["kind"] == K[kind]
    assert abs(e["cutpoint"] - u_mid) <= 1e-12, (e["cutpoint"], u_mid)
    assert e["degenerate"] and not e["stable"]
    return e


def test_k0_certain_challenge_one_continuum_at_the_midpoint_of_t0_hi():
    """MODEL.md 5-6: for u >= t_0 >= t_1, L_0 = L_1 = (1 - p') u + c_A (p_c = p'), so with
    P_0 = P_1 = 1 and k = 0, Phi = 0 on [t_0, hi]; below t_0 Phi = (p' - p) u - c_A < 0.
    One continuum at (t_0 + hi)/2 (old rule: the middle sample of the run, 0.74937)."""
    m = cr.Model(BASE)
    t0 = BASE["c_a"] / (BASE["p_coalition"] - BASE["p"])
    assert m.t[1] < t0 < BASE["theta_b"]
    e = assert_one_continuum(cr.solve_crisis_point(BASE), 0.5 * (t0 + BASE["theta_b"]), "cutpoint_honest")
    assert e["prob_challenge_alliance"] == 1.0 and e["prob_challenge_no_alliance"] == 1.0


def test_large_theta_rounding_noise_is_no_root():
    """Rounding noise above the old fixed 1e-14 (L_alpha ~ 25) but below Z: no spurious
    cutpoints, one continuum at (t_0 + hi)/2."""
    m = cr.Model(LARGE)
    pieces = path_samples(m)
    pc, _x, phi, z = pieces[-1]
    assert pc["kind"] == "u" and pc["ua"] == m.t[0] and pc["ub"] == LARGE["theta_b"]
    assert np.abs(phi).max() > 1e-14  # the old rule's tolerance is exceeded ...
    assert np.all(np.abs(phi) <= z)  # ... but not Z: the piece vanishes
    res = cr.solve_crisis_point(LARGE, max_eq=64)
    assert not res["point"]["status"] & 1
    assert_one_continuum(res, 0.5 * (m.t[0] + LARGE["theta_b"]), "cutpoint_honest")


def _continuum_cases():
    return {
        "k0_t0_hi": BASE,
        "r0_whole_path": pt(BASE, r=0.0),
        "large_theta_noise": LARGE,
        "large_theta_exact_zeros": pt(LARGE, cost_a=-0.42),
        "large_theta_small_noise": pt(LARGE, cost_a=-0.40),
    }


@pytest.mark.parametrize("name", sorted(_continuum_cases()))
def test_a1_continuum_equals_the_canonical_reference(name):
    """Where A1 holds (p >= c_D) the crisis model reduces to MODEL.md (CRISIS.md, first
    paragraph), and Z reduces to the canonical Z (X = 0): same equilibria, same flags."""
    from allysweep.engine import reference as ref

    if not hasattr(ref, "_continuum_scale"):
        pytest.skip("the canonical reference does not implement the 2026-12-02 continuum rule yet")
    P = _continuum_cases()[name]
    assert P["p"] >= P["c_d"]
    crisis = cr.solve_crisis_point(P, max_eq=64)
    canon = ref.solve_point(P, max_eq=64)
    assert crisis["point"]["status"] == canon["status"] == 2

    def key(e):
        return (e["prob_alliance"], e["kind"], e["cutpoint"])

    a, b = sorted(crisis["equilibria"], key=key), sorted(canon["equilibria"], key=key)
    assert [e["kind"] for e in a] == [e["kind"] for e in b]
    for x, y in zip(a, b, strict=True):
        assert abs(x["cutpoint"] - y["cutpoint"]) <= 1e-9, (x["cutpoint"], y["cutpoint"])
        assert abs(x["prob_alliance"] - y["prob_alliance"]) <= 1e-9
        # The flags of the interior cutpoints (the continuum's representative among them).
        # The poolings are compared on presence only: at these near-degenerate points (every
        # deviation gain ~1e-14) the two references' Intuitive Criterion can disagree, which
        # is a matter of the pooling rules, not of the continuum rule.
        if x["kind"] in INTERIOR:
            for flag in ("stable", "degenerate", "ic_ok", "d1_ok"):
                assert bool(x[flag]) is bool(y[flag]), (flag, x["kind"], x["cutpoint"])


def test_interval_across_kinks_is_reported_once():
    """Two cases where Phi vanishes on the whole path, across its kinks:
    r = 0 (t_1 = t_0 = c_A/(p' - p), L_0 = L_1 for every theta, Phi = (P_0 - P_1) L = 0), and a
    crisis case with A1 failing where D concedes after both signals (Lambda_0 = Lambda_1 = u,
    X_alpha = 1, so Z carries the X u terms), with t_1 < t_0 both inside. One equilibrium each
    at (lo + hi)/2; the old rule put it on the middle sample (at the kink t for r = 0)."""
    P = pt(BASE, r=0.0)
    m = cr.Model(P)
    assert m.t[1] == m.t[0] and P["theta_a"] < m.t[0] < P["theta_b"]
    e = assert_one_continuum(cr.solve_crisis_point(P), 0.5 * (P["theta_a"] + P["theta_b"]), "cutpoint_bluff")
    assert e["cutpoint"] < m.t[1]

    m = cr.Model(CRISIS_CC)
    assert m.omega > 0 and m.qC[0] == m.qC[1] == math.inf  # C on [0, 1] after both signals
    lo, hi = CRISIS_CC["theta_a"], CRISIS_CC["theta_b"]
    assert lo < m.t[1] < m.t[0] < 0.5 * (lo + hi) < hi
    pieces = path_samples(m)
    assert len(pieces) == 3 and all(pc["kind"] == "u" for pc, *_ in pieces)
    assert all(np.all(phi == 0.0) for _pc, _x, phi, _z in pieces)
    e = assert_one_continuum(cr.solve_crisis_point(CRISIS_CC), 0.5 * (lo + hi), "cutpoint_honest")
    assert e["crisis_regime_alliance"] == e["crisis_regime_no_alliance"] == 2  # C
    assert e["prob_concession_alliance"] == e["prob_concession_no_alliance"] == 1.0


def test_root_at_the_interval_end_is_not_reported_again():
    """p_c = p' - 1e-15: on [t_0, hi] Phi = (p' - p_c) u <= 1e-15 < Z, a vanishing piece; below
    t_0 Phi = (p' - p) u - c_A, whose root c_A/(p' - p) lies ~1e-15 below t_0 and shows as a
    sign change between the last sample before t_0 and t_0 itself. It is part of the interval:
    one equilibrium, the continuum at (t_0 + hi)/2."""
    P = pt(BASE, p_coalition=0.7 - 1e-15)
    m = cr.Model(P)
    pieces = path_samples(m)
    (_, _, phi_mid, _), (pc_hi, _, phi_hi, z_hi) = pieces[-2], pieces[-1]
    assert pc_hi["ua"] == m.t[0] and np.all(np.abs(phi_hi) <= z_hi)
    assert phi_mid[-2] < 0.0 < phi_mid[-1]  # the isolated root at the interval's first end
    u_root = P["c_a"] / (P["p_alliance"] - P["p"])
    assert 0.0 < m.t[0] - u_root < 1e-9
    res = cr.solve_crisis_point(P)
    assert_one_continuum(res, 0.5 * (m.t[0] + P["theta_b"]), "cutpoint_honest")
    assert not any(abs(e["cutpoint"] - u_root) < 1e-6 for e in interior(res))


# theta small (hi = 1e-3, c_A = 1e-4): L_alpha ~ 3e-4, so Z = 1e-15 (1 + k + L_0 + L_1) ~ 1.0e-15
# and rounding of Phi ~ 1e-20. p_c = p' - 1e-13 makes Phi = 1e-13 u - k on [t_0, hi] strictly
# increasing (no local minimum of |Phi|, so no tangency), |Phi| ~ k.
TINY = dict(BASE, c_a=1e-4, theta_b=1e-3, p_coalition=0.7 - 1e-13, r=1e-5)


@pytest.mark.parametrize(("k", "vanishes"), [(1.2e-15, False), (0.9e-15, True)])
def test_small_phi_just_above_z_is_not_a_continuum(k, vanishes):
    """|Phi| just above Z on [t_0, hi] (k = 1.2e-15): Phi < 0 on the whole path, no equilibrium
    cutpoint and no status bit 2 (the old rule's |Phi| <= 1e-14 called it a continuum). Just below
    Z (k = 0.9e-15): one continuum at (t_0 + hi)/2."""
    P = pt(TINY, k=k)
    m = cr.Model(P)
    pieces = path_samples(m)
    pc, _x, phi, z = pieces[-1]
    assert pc["ua"] == m.t[0] and pc["ub"] == P["theta_b"]
    assert np.all(np.abs(phi) < 1e-14) and np.all(np.diff(phi) > 0)
    if vanishes:
        assert np.all(np.abs(phi) <= z)
    else:
        assert np.all(np.abs(phi) > z)  # just above: by less than a factor 1.2
        assert np.all(np.abs(phi) < 1.2 * z)
    assert all(np.all(ph < 0.0) for _pc, _x, ph, _z in pieces)
    res = cr.solve_crisis_point(P)
    if vanishes:
        assert_one_continuum(res, 0.5 * (m.t[0] + P["theta_b"]), "cutpoint_honest")
    else:
        assert not res["point"]["status"] & 2
        assert interior(res) == []


class _FakePath:
    """A constructed path: u-pieces and segments as in ``CutPath`` (kinds, ranges, u)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def piece_range(self, pc):
        return (pc["ua"], pc["ub"]) if pc["kind"] == "u" else (pc["ra"], pc["rb"])

    def piece_grid(self, pc, n=cr.N_PIECE):
        return np.linspace(*self.piece_range(pc), n)

    def u_at(self, pc, x):
        return float(x) if pc["kind"] == "u" else float(pc["u"])


def _fake_roots(pieces, values):
    path = _FakePath(pieces)
    index = {id(pc): j for j, pc in enumerate(pieces)}

    def fun(pc, x):
        return values[index[id(pc)]](np.asarray(x, dtype=float))

    def scale(pc, x):
        return np.full(np.shape(x), 1e-15)

    return path, cr._find_path_roots(path, fun, scale_eval=scale)


def test_interval_with_segments_representative():
    """The representative of an interval that contains segments (conventions: at the midpoint in
    u of its two ends, on the u-piece that contains it, the one that ends there when a segment
    sits at that u; an interval made only of segments at one u: the midpoint in rho of its first
    segment). Constructed paths u in [0, 1] | segment at u = 1 | u in [1, 2] (| segment)."""
    u1 = {"kind": "u", "ua": 0.0, "ub": 1.0}
    cb = {"kind": "seg", "u": 1.0, "ra": 1.0, "rb": 0.2}
    w0 = {"kind": "seg", "u": 1.0, "ra": 0.2, "rb": 0.0}
    u2 = {"kind": "u", "ua": 1.0, "ub": 2.0}

    def zero(x):
        return np.zeros_like(x)

    # (a) all three vanish: midpoint u = 1, where the segment sits -> on the u-piece ending there
    _path, roots = _fake_roots([u1, cb, u2], [zero, zero, zero])
    assert roots == [{"piece": 0, "x": 1.0, "direction": 0, "tangency": False, "continuum": True}]
    # (b) only the segments vanish (Phi = (1 - u)^2 and (u - 1) touch zero at their joints):
    # midpoint in rho of the first segment; the touching zeros at u = 1 are part of it
    _path, roots = _fake_roots([u1, cb, w0, u2], [lambda x: (1.0 - x) ** 2, zero, zero, lambda x: x - 1.0])
    assert roots == [{"piece": 1, "x": 0.6, "direction": 0, "tangency": False, "continuum": True}]
    # (c) a vanishing u-piece joined to a vanishing segment, then a sign change far away
    _path, roots = _fake_roots([u1, cb, u2], [zero, zero, lambda x: np.where(x < 1.5, 0.0, x - 1.5)])
    cont = [r for r in roots if r["continuum"]]
    assert cont == [{"piece": 0, "x": 0.5, "direction": 0, "tangency": False, "continuum": True}]
