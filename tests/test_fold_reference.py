"""Self-tests of the independent fold reference (tests/fold_reference.py); no allysweep involved."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fold_reference as fr

CASES = fr.FOLD_CASES
IDS = [f"{i}-{c['name']}" for i, c in enumerate(CASES)]


def _roots_near(case: dict, lam: float, n: int = 200_001) -> tuple[list, list]:
    """All interior roots at lam, and the two nearest u* on either side (None when missing)."""
    roots = fr.interior_roots(fr.with_param(case["params"], case["name"], lam), n=n)
    u_star = case["u_star"]
    left = [r for r in roots if r[0] < u_star]
    right = [r for r in roots if r[0] > u_star]
    pair = [left[-1] if left else None, right[0] if right else None]
    return roots, pair


def _side(case: dict) -> float:
    return 1.0 if case["roots_side"] == "above" else -1.0


# ----------------------------------------------------------------------------------------------
# Phi itself: MODEL.md worked examples and closed forms (uniform G)
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "theta_star", "stable"),
    [(0.075, 0.35, True), (0.03, 41 / 195, True), (0.0072, 0.125, True)],
    ids=["E1", "E2", "E3"],
)
def test_worked_examples_are_roots(k: float, theta_star: float, stable: bool) -> None:
    params = fr.with_param(fr.BASE, "k", k)
    assert abs(fr.phi(params, theta_star)) < 1e-13
    roots = fr.interior_roots(params)
    assert len(roots) == 1
    assert roots[0][0] == pytest.approx(theta_star, abs=1e-12)
    assert roots[0][1] is stable


def test_region_three_closed_form() -> None:
    # MODEL.md §9 region III: theta* = b t_0 c_A / (k - b t_0 (1 - p')), unstable; b = 0.4, t_0 = 0.5
    for k in (0.095, 0.1, 0.11):  # theta* in (t_0, 1) needs 0.09 < k < 0.12
        params = fr.with_param(fr.BASE, "k", k)
        theta_star = 0.4 * 0.5 * 0.15 / (k - 0.4 * 0.5 * 0.3)
        assert abs(fr.phi(params, theta_star)) < 1e-14
        unstable = [r for r in fr.interior_roots(params) if not r[1]]
        assert [r[0] for r in unstable] == pytest.approx([theta_star], abs=1e-12)


def test_region_two_is_affine_and_region_one_increasing() -> None:
    # the reason every smooth fold sits in region III (see the module docstring)
    for cost in (("logistic", 0.45, 0.02), ("normal", 0.3, 0.05), ("logistic", 0.6, 0.01)):
        params = {**fr.BASE, "cost_c": cost}
        region2 = np.linspace(0.31, 0.49, 41)
        assert np.ptp(fr.d2phi(params, region2)) == 0.0
        assert np.all(fr.d2phi(params, region2) == 0.0)
        region1 = np.linspace(1e-6, 0.3 - 1e-6, 2001)
        assert np.all(fr.dphi(params, region1) > 0.0)


def test_a1_is_required() -> None:
    with pytest.raises(ValueError, match="A1"):
        fr.phi({**fr.BASE, "c_d": 0.5}, 0.3)


@pytest.mark.parametrize(
    "cost", [("logistic", 0.45, 0.02), ("normal", 0.45, 0.03), ("uniform", -0.2, 0.9), ("logistic", 0.45, 0.1)]
)
def test_analytic_derivatives_match_five_point_differences(cost: tuple) -> None:
    for base in (fr.BASE, fr.S_SHAPE, {**fr.BASE, "theta": ("uniform", 0.2, 1.2), "p_alliance": 0.8}):
        params = {**base, "cost_c": cost}
        pts = fr.breakpoints(params)
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            for u in np.linspace(a, b, 7)[1:-1]:
                h = 1e-3 * (b - a)
                f = [fr.phi(params, u + j * h) for j in (-2, -1, 0, 1, 2)]
                d1 = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
                d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
                assert fr.dphi(params, u) == pytest.approx(d1, rel=1e-6, abs=1e-9)
                assert fr.d2phi(params, u) == pytest.approx(d2, rel=1e-4, abs=1e-6)


# ----------------------------------------------------------------------------------------------
# the folds
# ----------------------------------------------------------------------------------------------


def test_cases_cover_the_brief() -> None:
    assert len(CASES) >= 3
    names = {c["name"] for c in CASES}
    assert "k" in names and names - {"k"}
    for case in CASES:
        assert case["piece"][0] > case["params"]["c_a"] / (case["params"]["p_coalition"] - case["params"]["p"]) - 1e-12


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fold_residuals(case: dict) -> None:
    params, lam, u = case["params"], case["lam_star"], case["u_star"]
    assert params[case["name"]] == lam
    val, der, der2 = (float(x) for x in fr.phi_derivs(params, u))
    assert abs(val) < 1e-13
    assert abs(der) < 1e-12
    assert abs(der2) > 1e-2  # a quadratic fold, not a cusp
    assert abs(case["phi_lam"]) > 1e-2  # transversal in lam
    a, b = fr.smooth_piece(params, u)
    assert min(u - a, b - u) > 0.05  # well inside region III, away from t_0 and theta_hi
    span = abs(lam)
    assert 0.1 * span - 1e-4 <= lam - case["lo"] <= 0.4 * span + 1e-4
    assert 0.1 * span - 1e-4 <= case["hi"] - lam <= 0.4 * span + 1e-4


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fold_is_independent_of_the_guess(case: dict) -> None:
    lam, u = case["lam_star"], case["u_star"]
    lam2, u2 = fr.fold(case["params"], case["name"], lam * (1 - 2e-3), u + 0.01)
    assert lam2 == pytest.approx(lam, abs=1e-14)
    assert u2 == pytest.approx(u, abs=1e-10)


def test_k_fold_is_the_extremum_value() -> None:
    # Phi depends on k only through -k: k* = k + Phi(u_ext) for any k
    for case in CASES:
        if case["name"] != "k":
            continue
        seed = fr.with_param(case["params"], "k", 0.0)
        ext = [e for e in fr.local_extrema(seed) if abs(e[0] - case["u_star"]) < 1e-6]
        assert len(ext) == 1
        assert ext[0][2] == pytest.approx(case["lam_star"], abs=2e-16)
        assert ext[0][1] == ("max" if case["phi_uu"] < 0 else "min")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_root_pair_and_square_root_law(case: dict) -> None:
    lam, u_star = case["lam_star"], case["u_star"]
    curvature, slope = case["phi_uu"], case["phi_lam"]
    distances = []
    offsets = [1e-4 * abs(lam), 2.5e-5 * abs(lam)]
    counts = []
    for delta in offsets:
        roots, (left, right) = _roots_near(case, lam + _side(case) * delta)
        counts.append(len(roots))
        assert left is not None and right is not None
        # near a maximum the left root is stable; near a minimum the right one is
        assert left[1] is (curvature < 0) and right[1] is (curvature > 0)
        d = right[0] - left[0]
        predicted = 2.0 * math.sqrt(2.0 * abs(slope) * delta / abs(curvature))
        assert d == pytest.approx(predicted, rel=2e-2)
        assert left[0] < u_star < right[0]
        distances.append(d)
    assert counts[0] == counts[1]
    assert distances[0] / distances[1] == pytest.approx(2.0, rel=5e-3)  # sqrt(4)
    # d^2 is linear in lam near the fold: extrapolating it to 0 lands on lam*
    lam1, lam2 = (lam + _side(case) * o for o in offsets)
    d1, d2 = (x * x for x in distances)
    lam_extrapolated = lam1 + d1 * (lam2 - lam1) / (d1 - d2)
    assert lam_extrapolated == pytest.approx(lam, abs=1e-7 * abs(lam))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pair_is_gone_on_the_other_side(case: dict) -> None:
    lam, u_star = case["lam_star"], case["u_star"]
    with_pair, _ = _roots_near(case, lam + _side(case) * 1e-4 * abs(lam))
    for delta in (1e-4 * abs(lam), 2.5e-5 * abs(lam)):
        roots, _ = _roots_near(case, lam - _side(case) * delta)
        assert len(roots) == len(with_pair) - 2
        assert all(abs(r[0] - u_star) > 0.02 for r in roots)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_fold_is_the_only_change_on_the_interval(case: dict) -> None:
    lam = case["lam_star"]
    below = np.linspace(case["lo"], lam, 7)[:-1]
    above = np.linspace(lam, case["hi"], 7)[1:]
    count = {}
    for label, grid in (("below", below), ("above", above)):
        sizes = {len(fr.interior_roots(fr.with_param(case["params"], case["name"], x), n=20_001)) for x in grid}
        assert len(sizes) == 1, (label, sizes)
        count[label] = sizes.pop()
    other = "below" if case["roots_side"] == "above" else "above"
    assert count[case["roots_side"]] == count[other] + 2
