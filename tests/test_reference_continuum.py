"""The NumPy reference's continuum rule (docs/conventions.md, "Continuous ally type", paragraph
"Continuum"): a piece of Φ between kinks vanishes when |Φ(u)| <= Z(u) = 1e-15 (1 + k + L_0(u) +
L_1(u)) on all its samples, adjacent vanishing pieces join, the joined interval is one
equilibrium at its midpoint (degenerate, not stable, status value 2), and roots within 1e-9 of
it are not reported again. Every expected value is derived here from MODEL.md §5-§6 by hand,
never read off a solver.

The four continuum cases were found by tests/test_properties.py (engine vs reference). All have
c_D = c_D' = Δ_C = b_C = k = 0 and p'_0 = p'_1 = p', so M_0 = M_1 = p' - p and
L_0(θ) = min((1 - p')θ + c_A, (1 - p)θ), L_1(θ) = min((1 - p')θ + c_A, (1 - p)θ + r):

- for θ >= t_0 = c_A/(p' - p) both minima pick (1 - p')θ + c_A, so L_0 = L_1;
- for t_1 <= θ < t_0, L_0 = (1 - p)θ < (1 - p')θ + c_A = L_1;
- for θ < t_1 = (c_A - r)/(p' - p), L_0 = (1 - p)θ and L_1 = (1 - p)θ + r.

G lies so far below the challenger's war value that every challenge probability is 1 or within
~4e-16 of it (checked below), so Φ = P_0 L_0 - P_1 L_1 = L_0 - L_1 up to rounding: it is 0 on
[t_0, hi], -(p' - p)(t_0 - u) on [t_1, t_0) and -r below t_1. With r > 0 (cases 1-3) the only
vanishing piece is [t_0, hi]; with r = 0 (case 4) t_1 = t_0 and L_0 = L_1 everywhere, so both
pieces [lo, t_1] and [t_1, hi] vanish and join into [lo, hi].

Poolings (conventions, "Pooling on no alliance / on alliance"), with Gain = P_0 L_0 - P_1 L_1:
- no alliance: the pessimistic belief after alliance is q = 1[lo >= t_1] = 0 (lo = 0 < t_1), so
  P_1 = G(1 - p) >= P_0 = G((1 - p) - q_0 M) and L_1 >= L_0 >= 0: Gain <= 0 for every type (even
  in floating point: products of non-negative numbers are monotone). Reported in all four cases.
- alliance: needs min_θ Gain(θ; P_0(0), P_1) >= 0. At θ = lo = 0, L_0 = 0 and L_1 = min(c_A, r):
  with r = 0.3 < c_A, Gain(0) = -0.3 P_1 < 0, not reported (cases 1-3). With r = 0 (case 4)
  L_0 = L_1 = L and Gain = (G(1 - p) - P_1) L >= 0 for every type: reported.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import allysweep as asw

from helpers import KINDS

TOL = 1e-9
KIND = {name: code for code, name in enumerate(KINDS)}
ZERO = dict(c_d=0.0, c_d_joint=0.0, c_c_extra=0.0, k=0.0, b_c=0.0)

# (p, p', c_A, r, theta hi, cost family, cost a, cost b); theta lo = 0 everywhere.
P_HI, C_A = 0.7157617187499999, 0.41000000000000003
CASES = {
    "1-normal-r": (0.15625, P_HI, C_A, 0.3, 1.4655635843194752, "normal", -0.15625, 0.0546875),
    "2-normal-L40": (0.05, 0.069, C_A, 0.3, 43.1578947368421, "normal", 0.0, 0.0625),
    "3-uniform-L40": (0.05, 0.069, C_A, 0.3, 43.1578947368421, "uniform", 0.0, 0.5),
    "4-r0-joined": (0.15625, P_HI, 0.01, 0.0, 0.2, "normal", -0.15625, 0.0546875),
}


def cost_of(family, a, b):
    return asw.Normal(a, b) if family == "normal" else asw.Uniform(a, b)


def cdf(family, a, b, x):
    x = np.asarray(x, dtype=float)
    return ndtr((x - a) / b) if family == "normal" else np.clip((x - a) / (b - a), 0.0, 1.0)


def solve_reference(p, pa, ca, r, hi, family, a, b, k=0.0):
    return asw.solve(
        theta=asw.Uniform(0.0, hi),
        cost_c=cost_of(family, a, b),
        method="reference",
        p=p,
        p_alliance=pa,
        p_coalition=pa,
        c_a=ca,
        r=r,
        **dict(ZERO, k=k),
    )


def phi_by_hand(p, pa, ca, r, hi, family, a, b, u, k=0.0):
    """Φ(u) of MODEL.md §6 for θ ~ U(0, hi), p'_0 = p'_1 = p', Δ_C = 0, and Z(u)."""
    u = np.asarray(u, dtype=float)
    t1, t0, m = (ca - r) / (pa - p), ca / (pa - p), pa - p
    F = lambda x: np.clip(x / hi, 0.0, 1.0)  # noqa: E731
    q1 = np.where(F(u) < 1.0, (1.0 - F(np.maximum(t1, u))) / np.maximum(1.0 - F(u), 1e-300), 1.0)
    q0 = np.where(F(u) > 0.0, np.maximum(F(u) - F(t0), 0.0) / np.maximum(F(u), 1e-300), 0.0)
    L0 = np.minimum((1 - pa) * u + ca, (1 - p) * u)
    L1 = np.minimum((1 - pa) * u + ca, (1 - p) * u + r)
    P0 = cdf(family, a, b, (1 - p) - q0 * m)
    P1 = cdf(family, a, b, (1 - p) - q1 * m)
    return P0 * L0 - P1 * L1 - k, 1e-15 * (1.0 + k + L0 + L1)


def slots(ds):
    n = int(ds.n_eq)
    return [{name: ds[name].values[j].item() for name in ds.data_vars if "eq" in ds[name].dims} for j in range(n)]


@pytest.mark.parametrize("name", list(CASES))
def test_continuum_is_one_midpoint_equilibrium(name):
    p, pa, ca, r, hi, family, a, b = CASES[name]
    t1, t0, m = (ca - r) / (pa - p), ca / (pa - p), pa - p
    # The premise: every challenge probability is within 4.5e-16 of 1 (q in [0, 1]).
    assert cdf(family, a, b, (1 - p) - m) >= 1.0 - 4.5e-16
    if r > 0.0:
        lo_c, hi_c = t0, hi  # only [t_0, hi] vanishes
        expected = ["pool_no_alliance", "cutpoint_honest"]
    else:
        assert t1 == t0
        lo_c, hi_c = 0.0, hi  # [lo, t_1] and [t_1, hi] join
        expected = ["pool_no_alliance", "cutpoint_honest", "pool_alliance"]
    mid = 0.5 * (lo_c + hi_c)
    # The convention's test holds on the continuum (sampled by hand) and fails on the rest.
    u = np.linspace(lo_c, hi_c, 2001)
    values, Z = phi_by_hand(p, pa, ca, r, hi, family, a, b, u)
    assert np.all(np.abs(values) <= Z)
    if r > 0.0:
        values, Z = phi_by_hand(p, pa, ca, r, hi, family, a, b, np.linspace(0.0, t0, 2001)[:-1])
        assert np.all(np.abs(values) > 1e6 * Z)  # no root below t_0: Φ <= -(p' - p)(t_0 - u) < 0

    ds = solve_reference(p, pa, ca, r, hi, family, a, b)
    assert int(ds.status) == 2  # continuum; no slot overflow; the reference never certifies
    eqs = slots(ds)
    assert [KINDS[e["kind"]] for e in eqs] == expected  # prob_alliance 0, then 1 - F(mid), then 1

    rep = eqs[1]
    assert rep["cutpoint"] == pytest.approx(mid, abs=TOL)
    assert rep["degenerate"] is True and rep["stable"] is False
    assert rep["ic_ok"] is True and rep["d1_ok"] is True
    assert rep["prob_alliance"] == pytest.approx(1.0 - mid / hi, abs=TOL)
    assert rep["belief_alliance"] == pytest.approx(1.0, abs=TOL)  # mid >= t_1: every ally honours
    assert rep["belief_no_alliance"] == pytest.approx(max(mid - t0, 0.0) / mid, abs=TOL)
    assert rep["prob_challenge_alliance"] == pytest.approx(1.0, abs=1e-15)
    assert rep["prob_challenge_no_alliance"] == pytest.approx(1.0, abs=1e-15)
    if r > 0.0:
        # hi = 2 t_0 in cases 1-3: mid = 1.5 t_0, prob_alliance 1/4, q_0 = 1/3.
        assert hi == pytest.approx(2.0 * t0, rel=1e-15)
        assert rep["prob_alliance"] == pytest.approx(0.25, abs=TOL)
        assert rep["belief_no_alliance"] == pytest.approx(1.0 / 3.0, abs=TOL)

    pool = eqs[0]
    assert pool["cutpoint"] == hi and pool["prob_alliance"] == 0.0
    assert pool["belief_no_alliance"] == pytest.approx(1.0 - t0 / hi, abs=TOL)
    assert math.isnan(pool["belief_alliance"])
    if r == 0.0:
        ally = eqs[2]
        assert ally["cutpoint"] == 0.0 and ally["prob_alliance"] == 1.0
        assert ally["belief_alliance"] == pytest.approx(1.0 - t1 / hi, abs=TOL)
        assert ally["stable"] is False  # Gain(lo) = (G(1 - p) - P_1) L(0) = 0, not > 0


def test_small_but_not_vanishing_root_is_kept():
    """Case 1 with G = Normal(-1/16, 7/128) and a tiny k: Φ is of order 1e-11 on [t_0, hi] (far
    above Z ~ 2.5e-15, far below any ordinary tolerance) and crosses zero once, at a point
    placed by hand. It must stay an isolated root: status 0, no continuum representative.

    On [t_0, hi]: q_1 = 1, q_0(u) = 1 - t_0/u, L_0 = L_1 = L(u) = (1 - p')u + c_A, so
    Φ(u) = (S_1 - S_0(u)) L(u) - k with the survival functions S_1 = 1 - G((1 - p) - M) ≈ 1.15e-10
    and S_0(u) = 1 - G((1 - p) - q_0(u) M) < 1e-29 (computed without cancellation). k is chosen so
    that Φ(mid) = 0 at mid = (t_0 + hi)/2; below t_0, Φ <= -(p' - p)(t_0 - u) - k + S_1 L < 0.
    """
    p, pa, ca, r, hi, _, _, _ = CASES["1-normal-r"]
    mu, s = -0.0625, 0.0546875
    t0, m = ca / (pa - p), pa - p
    mid = 0.5 * (t0 + hi)
    S1 = ndtr(-((1 - p - m) - mu) / s)
    S0 = ndtr(-((1 - p - (1 - t0 / mid) * m) - mu) / s)
    L = (1 - pa) * mid + ca
    k = (S1 - S0) * L
    assert 1e-11 < k < 1e-9

    values, Z = phi_by_hand(p, pa, ca, r, hi, "normal", mu, s, np.linspace(t0, hi, 2001), k=k)
    assert np.abs(values).max() < 1e-10  # genuinely small ...
    assert np.abs(values).max() > 1000.0 * Z.max()  # ... but not within rounding of zero

    ds = solve_reference(p, pa, ca, r, hi, "normal", mu, s, k=k)
    assert int(ds.status) == 0
    eqs = slots(ds)
    assert [KINDS[e["kind"]] for e in eqs] == ["pool_no_alliance", "cutpoint_honest"]
    root = eqs[1]
    # The computed P_α carry ~1 ulp of 1 (2.2e-16) each, which moves the computed root by up to
    # 2 * 2.2e-16 * L / Φ'(mid), Φ'(mid) ≈ S_1 (1 - p'): about 1e-5 here (allow twice that).
    slack = 4.0 * 2.2e-16 * L / (S1 * (1 - pa))
    assert abs(root["cutpoint"] - mid) <= slack
    assert root["stable"] is True  # Φ increasing through the root
    assert root["prob_alliance"] == pytest.approx(1.0 - mid / hi, abs=slack)
