"""Exact comparative statics (``asw.solve(..., derivatives=[...])``, docs/MODEL.md §14.4).

The engine differentiates each equilibrium's defining equations with dual numbers and applies
the implicit function theorem. Here every derivative is held to a central finite difference of
the solver itself (a different computation: two more solves, no derivative code), to closed forms
of MODEL.md §9 differentiated by hand, and the non-differentiable points of constructed cases
must be NaN with ``differentiable`` False.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import allysweep as asw
from allysweep.engine import native
from test_crisis_parity import crisis_columns

OUTS = native.DERIVATIVE_OUTPUTS
WRT = native.WRT_COLUMNS
KIND = asw.KIND_NAMES


def valid(c: dict[str, np.ndarray]) -> np.ndarray:
    """MODEL.md §3 / CRISIS.md §1 domains, point by point (to pick points a stencil keeps valid)."""
    ok = (c["p"] > 0) & (c["p"] < 1) & (c["p_alliance"] > c["p"]) & (c["p_alliance"] <= 1)
    ok &= (c["p_coalition"] > c["p"]) & (c["p_coalition"] <= c["p_alliance"])
    ok &= (c["c_d"] >= 0) & (c["c_d_joint"] >= 0) & (c["c_d_joint"] <= c["c_d"])
    ok &= (c["c_c_extra"] >= 0) & (c["c_a"] > 0) & (c["k"] >= 0) & (c["r"] >= 0) & (c["b_c"] >= 0)
    two = c["theta_kind"] == 1
    ok &= (c["theta_a"] >= 0) & (c["theta_b"] > c["theta_a"])
    ok &= ~two | ((c["theta_c"] > 0) & (c["theta_c"] < 1))
    ok &= np.where(c["cost_kind"] == 0, c["cost_b"] > c["cost_a"], c["cost_b"] > 0)
    return ok


def _bumped(cols: dict[str, np.ndarray], name: str, h: np.ndarray) -> dict[str, np.ndarray]:
    out = dict(cols)
    out[name] = cols[name] + h
    return out


def _same_structure(a: dict, b: dict, used: np.ndarray) -> np.ndarray:
    """Per slot: the same equilibrium kind, crisis regimes, pinned flag and count at both points."""
    same = (a["n_eq"] == b["n_eq"])[:, None] & used
    for name in ("kind", "crisis_regime_alliance", "crisis_regime_no_alliance", "pinned", "stable"):
        same &= a[name] == b[name]
    return same


def _columns(seed: int, n: int) -> dict[str, np.ndarray]:
    """``n`` random points per (type family, cost family), 65% without A1, and as many again
    without A1 for a uniform type (where D-pinned cut-points live)."""
    parts = [crisis_columns(seed + 10 * t + c, n, t, c) for t in (0, 1) for c in (0, 1, 2)]
    for c in (0, 1, 2):
        extra = crisis_columns(seed + 100 + c, n, 0, c)
        rng = np.random.default_rng(seed + 200 + c)
        extra["c_d"] = extra["p"] + rng.uniform(0.001, 0.6, n)
        extra["c_d_joint"] = rng.uniform(0, 1, n) * extra["c_d"]
        parts.append(extra)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


#: Points per (type family, cost family): enough for 2,000 equilibria of each kind.
N_PER_FAMILY = 9000


def test_every_derivative_matches_a_central_difference_of_the_solver():
    """Over 2,000+ random equilibria of every kind, D-pinned ones included (A1 holding and
    failing, three cost and two type families), each along three of the fifteen input columns:
    where the stencil λ ± h (and λ ± 2h) keeps the
    equilibrium's structure and the two differences agree (no kink inside the stencil), the
    exact derivative equals the central difference to 1e-6 (relative above 1, absolute below)."""
    cols = _columns(31_000, N_PER_FAMILY)
    base = asw.solve_flat(cols)
    used = np.arange(base["kind"].shape[1])[None, :] < base["n_eq"][:, None]
    got = native.derivatives(cols, WRT, "roots", 0, native.DEFAULT_LAM, base["kind"].shape[1])
    values, diff = got["values"], got["differentiable"]
    checked = np.zeros(used.shape, dtype=bool)
    compared = skipped = 0
    for w, name in enumerate(WRT):
        if name == "theta_c":
            scale = np.ones_like(cols["p"])
        else:
            scale = np.maximum(np.abs(cols[name]), 1.0)
        h = 1e-5 * scale
        ok = valid(cols) & valid(_bumped(cols, name, 2 * h)) & valid(_bumped(cols, name, -2 * h))
        ok &= np.arange(len(ok)) % 5 == w % 5  # each point along three of the fifteen columns
        if name == "theta_c":
            ok &= cols["theta_kind"] == 1
        if not ok.any():
            continue
        sub = {k: v[ok] for k, v in cols.items()}
        hs = h[ok]
        runs = {s: asw.solve_flat(_bumped(sub, name, s * hs)) for s in (-2, -1, 1, 2)}
        b0 = {k: v[ok] for k, v in base.items()}
        same = used[ok] & diff[ok]
        for s in runs.values():
            same &= _same_structure(b0, s, used[ok])
        for o, out in enumerate(OUTS):
            d = values[ok][:, :, o, w]
            fd1 = (runs[1][out] - runs[-1][out]) / (2 * hs[:, None])
            fd2 = (runs[2][out] - runs[-2][out]) / (4 * hs[:, None])
            m = same & np.isfinite(d) & np.isfinite(fd1) & np.isfinite(fd2)
            smooth = np.abs(fd1 - fd2) <= 1e-7 * np.maximum(1.0, np.abs(fd1))
            skipped += int((m & ~smooth).sum())
            m &= smooth
            tol = 1e-6 * np.maximum(1.0, np.abs(fd1))
            bad = m & ~(np.abs(d - fd1) <= tol)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                pt = {k: float(v[i]) for k, v in sub.items()}
                pytest.fail(f"d{out}/d{name}: exact {d[i, j]!r} vs central difference {fd1[i, j]!r} at {pt}, slot {j}")
            compared += int(m.sum())
            idx = np.flatnonzero(ok)
            checked[idx] |= m
    kinds = Counter(KIND[k] for k in base["kind"][checked])
    pinned = int((base["pinned"] & checked).sum())
    print(f"checked {int(checked.sum())} equilibria, {compared} comparisons, {skipped} set aside; {dict(kinds)}")
    print(f"pinned {pinned}")
    assert set(kinds) == set(KIND) and min(kinds.values()) >= 2000, kinds  # 2,000+ of every kind
    assert pinned >= 2000, pinned
    assert compared >= 100_000
    assert skipped <= 0.02 * compared, (skipped, compared)


def test_closed_form_derivatives_of_model_md_section_9():
    """F = U[0,1], G = U[0,1], p' = 0.7, p = 0.4: a = 0.6, b = 0.4, t_1 = 0.3.
    Region II: θ* = (k + (a-b)c_A)/(a(1-p) - (a-b)(1-p')), so dθ*/dk = 1/0.3 and dθ*/dc_A = 0.2/0.3.
    Region I (E2, k = 0.03): θ* = (k + ar - br(1-t_1))/(k + ar + b(1-p)(1-t_1)) = N/D, so
    dθ*/dk = (D - N)/D² = 0.168/D², with N = 0.0432, D = 0.2112 at k = 0.03."""
    ds = asw.solve(k=0.075, derivatives=["k", "c_a"])
    honest = int(np.flatnonzero(ds.kind.values == KIND.index("cutpoint_honest"))[0])
    assert float(ds.d_cutpoint.sel(wrt="k")[honest]) == pytest.approx(1 / 0.3, rel=1e-12)
    assert float(ds.d_cutpoint.sel(wrt="c_a")[honest]) == pytest.approx(0.2 / 0.3, rel=1e-12)
    ds = asw.solve(k=0.03, derivatives=["k"])
    bluff = int(np.flatnonzero(ds.kind.values == KIND.index("cutpoint_bluff"))[0])
    n, d = 0.03 + 0.6 * 0.06 - 0.4 * 0.06 * 0.7, 0.03 + 0.6 * 0.06 + 0.4 * 0.6 * 0.7
    assert float(ds.cutpoint[bluff]) == pytest.approx(n / d, abs=1e-12)
    assert float(ds.d_cutpoint.sel(wrt="k")[bluff]) == pytest.approx((d - n) / d**2, rel=1e-10)
    # Region II's prob_war = a - b(1 - θ*) (MODEL.md §9): d prob_war/dk = b dθ*/dk.
    ds = asw.solve(k=0.075, derivatives=["k"])
    assert float(ds.d_prob_war.sel(wrt="k")[honest]) == pytest.approx(0.4 / 0.3, rel=1e-12)


@pytest.mark.parametrize(("k", "where"), [(0.12, "t_0"), (0.06, "t_1")])
def test_nan_and_the_flag_exactly_at_a_kink(k, where):
    """The region-II root θ* = (k + 0.03)/0.3 sits on the kink t_0 = 0.5 at k = 0.12 and on t_1 =
    0.3 at k = 0.06: Φ is not differentiable there, so neither is the equilibrium; a step away every
    interior equilibrium is (at t_0 the root meets region III's unstable one: a non-smooth fold)."""
    ks = np.array([k - 1e-3, k, k + 1e-3])
    ds = asw.solve(k=ks, derivatives=["k", "r"])
    interior = (ds.kind >= 0) & (ds.kind <= KIND.index("cutpoint_bluff"))
    at = ds.sel(k=k)
    j = int(np.flatnonzero(interior.sel(k=k).values)[0])
    t = {"t_0": 0.5, "t_1": 0.3}[where]
    assert float(at.cutpoint[j]) == pytest.approx(t, abs=1e-12)
    assert not bool(at.differentiable[j])
    assert np.isnan(at.d_cutpoint.values[j]).all() and np.isnan(at.d_utility_ally.values[j]).all()
    sides = 0
    for kk in (k - 1e-3, k + 1e-3):  # at t_0 the root meets region III's and both vanish above
        side = ds.sel(k=kk)
        for jj in np.flatnonzero(interior.sel(k=kk).values):
            assert bool(side.differentiable[jj]) and np.isfinite(side.d_cutpoint.values[jj]).all()
            sides += 1
    assert sides >= 2
    # The pooling at the same point is differentiable throughout.
    pool = int(np.flatnonzero(at.kind.values == KIND.index("pool_no_alliance"))[0])
    assert bool(at.differentiable[pool])


def test_nan_and_the_flag_on_a_regime_boundary():
    """No-alliance pooling plays the crisis at the prior belief q = 1 - t_0 (docs/MODEL.md §14.1);
    choosing c_D so that W(q) = 0 there puts that belief on the W0 boundary, where D's mixing is
    free: the pooling is not differentiable. CRISIS.md §6 base: p = 0.3, p' = 0.7, c_A = 0.15, so
    t_0 = 0.375, q = 0.625, and W = (p - c_D) + q(p' - c_D' - p + c_D) = 0 at c_D = 0.3 + 0.625(0.65)/0.375."""
    c_d = 0.3 + 0.625 * (0.7 - 0.05) / (1 - 0.625)  # W = (p - c_D)(1 - q) + q(p' - c_D') = 0
    params = dict(p=0.3, p_alliance=0.7, c_d=c_d, c_d_joint=0.05, k=0.1)
    ds = asw.solve(**params, derivatives=["k"])
    pool = int(np.flatnonzero(ds.kind.values == KIND.index("pool_no_alliance"))[0])
    assert float(ds.defender_war_value_no_alliance[pool]) == pytest.approx(0.0, abs=1e-12)
    assert not bool(ds.differentiable[pool]) and np.isnan(ds.d_prob_war.values[pool]).all()
    ds = asw.solve(**{**params, "c_d": c_d + 0.01}, derivatives=["k"])
    pool = int(np.flatnonzero(ds.kind.values == KIND.index("pool_no_alliance"))[0])
    assert bool(ds.differentiable[pool])


def test_derivative_variables_are_labelled_and_bad_names_are_refused():
    ds = asw.solve(k=np.linspace(0.02, 0.08, 4), derivatives=["k", "cost_c_hi"])
    assert ds.d_cutpoint.dims == ("k", "eq", "wrt") and list(ds.wrt.values) == ["k", "cost_c_hi"]
    for name in OUTS:
        assert {"long_name", "units", "description"} <= set(ds[f"d_{name}"].attrs)
    with pytest.raises(asw.ParameterError, match="derivatives"):
        asw.solve(derivatives=["theta"])
    with pytest.raises(asw.ParameterError, match="cost_c_mu"):
        asw.solve(derivatives=["cost_c_mu"])  # a uniform G has lo and hi, not mu
    with pytest.raises(asw.ParameterError, match="method"):
        asw.solve(method="reference", derivatives=["k"])
