"""MODEL.md §9: closed forms for F = U[0,1], G = U[c_lo, c_hi] unclipped, p'_1 = p'_0 = p',
0 <= r < c_A < p' - p, on random points; and the identity prob_war = a - b·Pr(A intervenes)."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw

from helpers import KINDS, solve_points

N_POINTS = 1500


def section9_points(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.7, n)
    p_prime = p + rng.uniform(0.1, 1.0, n) * (1 - p)
    c_a = rng.uniform(0.05, 0.98, n) * (p_prime - p)
    r = rng.uniform(0, 0.98, n) * c_a
    c_c_extra = rng.uniform(0, 0.3, n)
    m = p_prime - p + c_c_extra
    # Unclipped G: every τ in [1 - p - M, 1 - p] lies inside [c_lo, c_hi].
    c_lo = (1 - p - m) - rng.uniform(0.01, 0.5, n)
    c_hi = (1 - p) + rng.uniform(0.01, 0.5, n)
    w = c_hi - c_lo
    a = (1 - p - c_lo) / w
    b = m / w
    t1 = (c_a - r) / (p_prime - p)
    t0 = c_a / (p_prime - p)
    # k spread so that all three regions and the pooling threshold occur.
    k_d1 = b * t0 * ((1 - p_prime) + c_a)
    k = rng.uniform(0, 1.3, n) * k_d1
    c_d = rng.uniform(0, 1, n) * p
    return dict(
        p=p,
        p_prime=p_prime,
        c_a=c_a,
        r=r,
        c_c_extra=c_c_extra,
        c_lo=c_lo,
        c_hi=c_hi,
        a=a,
        b=b,
        t1=t1,
        t0=t0,
        k=k,
        k_d1=k_d1,
        c_d=c_d,
    )


def expected_cutpoints(x: dict, i: int) -> list[tuple[float, str, bool]]:
    """(θ*, kind, stable) from the closed forms of §9, keeping those inside their region."""
    a, b, k, r, c_a = x["a"][i], x["b"][i], x["k"][i], x["r"][i], x["c_a"][i]
    p, pp, t1, t0 = x["p"][i], x["p_prime"][i], x["t1"][i], x["t0"][i]
    out = []
    th1 = (k + a * r - b * r * (1 - t1)) / (k + a * r + b * (1 - p) * (1 - t1))
    if 0 < th1 < t1:
        out.append((th1, "cutpoint_bluff", True))
    th2 = (k + (a - b) * c_a) / (a * (1 - p) - (a - b) * (1 - pp))
    if t1 <= th2 <= t0 and 0 < th2 < 1:
        out.append((th2, "cutpoint_honest", True))
    den3 = k - b * t0 * (1 - pp)
    if den3 != 0:
        th3 = b * t0 * c_a / den3
        if t0 < th3 < 1:
            out.append((th3, "cutpoint_honest", False))
    return sorted(out)


def solve_section9(x: dict, method: str = "roots"):
    return solve_points(
        theta=asw.Uniform(0.0, 1.0),
        cost_c=asw.Uniform(x["c_lo"], x["c_hi"]),
        p=x["p"],
        p_alliance=x["p_prime"],
        p_coalition=x["p_prime"],
        c_a=x["c_a"],
        r=x["r"],
        c_c_extra=x["c_c_extra"],
        k=x["k"],
        c_d=x["c_d"],
        c_d_joint=x["c_d"],
        method=method,
    )


@pytest.mark.parametrize(("method", "n"), [("roots", N_POINTS), ("reference", 150)])
def test_interior_cutpoints_match_closed_forms(method, n):
    x = section9_points(seed=9, n=n)
    ds = solve_section9(x, method)
    regions_seen = set()
    for i in range(n):
        row = ds.isel(point=i)
        kinds = [KINDS[int(v)] for v in row.kind.values if v >= 0]
        got = sorted(
            (float(row.cutpoint[j]), kinds[j], bool(row.stable[j]))
            for j in range(len(kinds))
            if kinds[j].startswith("cutpoint")
        )
        want = expected_cutpoints(x, i)
        assert len(got) == len(want), (i, got, want)
        for (u, kind, stable), (u_w, kind_w, stable_w) in zip(got, want, strict=True):
            # roots refines every root to 1e-12 (MODEL.md §6): the claim, not the §10 1e-9.
            assert u == pytest.approx(u_w, abs=1e-12), (i, got, want)
            assert kind == kind_w and stable == stable_w, (i, got, want)
            regions_seen.add((kind_w, stable_w))
    # The sample really exercised regions I, II and III.
    assert regions_seen == {("cutpoint_bluff", True), ("cutpoint_honest", True), ("cutpoint_honest", False)}


def test_no_alliance_pooling_d1_threshold():
    x = section9_points(seed=10, n=N_POINTS)
    ds = solve_section9(x)
    n_pool = 0
    for i in range(N_POINTS):
        kinds = [KINDS[int(v)] if v >= 0 else None for v in ds.kind.values[i]]
        if "pool_no_alliance" not in kinds:
            continue
        n_pool += 1
        j = kinds.index("pool_no_alliance")
        assert bool(ds.d1_ok.values[i, j]) == (x["k"][i] >= x["k_d1"][i]), i
    assert n_pool > N_POINTS // 2


def test_prob_war_identity():
    """prob_war = a - b·Pr(A intervenes) at every equilibrium where §9 applies."""
    x = section9_points(seed=11, n=N_POINTS)
    ds = solve_section9(x)
    n_checked = 0
    for i in range(N_POINTS):
        a, b, t1, t0 = x["a"][i], x["b"][i], x["t1"][i], x["t0"][i]
        for j in range(int(ds.n_eq.values[i])):
            kind = KINDS[int(ds.kind.values[i, j])]
            u = float(ds.cutpoint.values[i, j])
            # Pr(A intervenes) from the regions of §9, not from the solver's beliefs.
            if kind == "cutpoint_bluff":
                pr_int = 1 - t1
            elif kind == "cutpoint_honest" and u <= t0:
                pr_int = 1 - u
            elif kind in ("cutpoint_honest", "pool_no_alliance"):
                pr_int = 1 - t0
            else:  # pool_alliance: every type allies, those above t_1 honour.
                pr_int = 1 - max(t1, 0.0)
            assert float(ds.prob_war.values[i, j]) == pytest.approx(a - b * pr_int, abs=1e-9), (i, kind)
            n_checked += 1
    assert n_checked >= N_POINTS
