"""Every equilibrium, certified (status bit 4, docs/conventions.md "Certified").

`roots` proves, point by point, that it missed no equilibrium: interval enclosures of Φ and Φ'
on every smooth piece (and of the gains searched along the crisis path), or a sign certificate
for the exact polynomial pieces of a uniform G. These tests hold it to independent references:

- (a) at every certified point of random logistic and normal points, A1 holding and failing,
  continuous and two-type allies, `roots` reports as many equilibria as the NumPy reference
  (``method="reference"``), and nearly every point is certified (the 10^6-point run is
  ``benches/certified_agreement.py``);
- (b) constructed pairs of cut-points closer than the grid search's cells, in the middle of a
  piece and next to the kink t_0, derived from the folds of ``tests/fold_reference.py``: found,
  where the fold reference puts them, and certified, down to the separation at which Φ dips only
  1e-10 between them; at the fold itself (a tangency) the point is not certified;
- (c) certification is never wrong near the folds, where Φ comes closest to a double root: at
  random distances from every fold, a certified point's interior roots are the fold
  reference's (200,001 grid points per piece). The enclosures themselves are checked on random
  cells in the Rust unit tests (``rust/allysweep-core/src/solvers/certify.rs``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import allysweep as asw
import fold_reference as fr
from test_branches import _fixed
from test_crisis_parity import crisis_columns
from test_crisis_reference import QHAT_EQ_QC

from helpers import CERTIFIED

INTERIOR = (0, 1)  # cutpoint_honest, cutpoint_bluff


def _interior(ds) -> list[float]:
    kinds, cuts = ds.kind.values, ds.cutpoint.values
    return sorted(float(c) for c, k in zip(cuts, kinds, strict=True) if k in INTERIOR)


def _solve(case: dict, value: float):
    return asw.solve(**_fixed(case), **{case["name"]: value})


# ------------------------------------------------------------------ (a) against the reference
@pytest.mark.parametrize("cost_kind", [1, 2], ids=["logistic", "normal"])
def test_certified_points_agree_with_the_reference_on_the_count(cost_kind):
    parts = [
        crisis_columns(seed=40 + cost_kind, n=3000, theta_kind=0, cost_kind=cost_kind),
        crisis_columns(seed=50 + cost_kind, n=1000, theta_kind=1, cost_kind=cost_kind),
    ]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    a1 = cols["p"] - cols["c_d"] >= 0
    assert 0.2 < a1.mean() < 0.5  # both A1 holding and failing
    fast = asw.solve_flat(cols, method="roots")
    slow = asw.solve_flat(cols, method="reference")
    certified = (fast["status"] & CERTIFIED) != 0
    # The references count only the slots they keep; 8 slots hold every equilibrium here.
    assert not (fast["status"] & 1).any()
    differ = fast["n_eq"] != slow["n_eq"]
    bad = np.flatnonzero(differ & certified)
    share = certified.mean()
    print(f"\ncertified {share:.4%} of {len(certified)} points; counts differ at {differ.sum()} (all uncertified)")
    assert bad.size == 0, {k: float(v[bad[0]]) for k, v in cols.items()}
    assert share >= 0.999


# ------------------------------------------------------------------ (b) constructed close pairs
#: Φ's dip between the two roots, Φ''(separation/2)²/2, must clear the tangency band (1e-12) of
#: the certified search with room to spare; below that the point is flagged, not certified.
DIP = 1e-10


def _separation(case: dict, spec: str) -> float:
    """A fixed separation, or ("dip") the smallest one whose dip between the roots is DIP."""
    if spec == "dip":
        return 2 * math.sqrt(2 * DIP / abs(case["phi_uu"]))
    return float(spec)


def _pair_value(case: dict, separation: float) -> float:
    """The parameter value at which the two roots next to the fold are `separation` apart:
    near the fold Φ ≈ Φ_λ (λ - λ*) + Φ''(u - u*)²/2, so the roots are 2 sqrt(2 |Φ_λ δ / Φ''|)
    apart at |λ - λ*| = δ, on the side the case records."""
    delta = (separation / 2) ** 2 * abs(case["phi_uu"]) / (2 * abs(case["phi_lam"]))
    return case["lam_star"] + (delta if case["roots_side"] == "above" else -delta)


def _kink_case() -> dict:
    """Fold case 0 (a hump of Φ in region III, along k) with the logistic G shifted to mu = 0.526:
    the fold moves to u* = t_0 + 9.9e-4, so the pair sits next to the kink t_0 = 0.5, inside the
    grid search's first (sub-divided) cell of the piece [0.5, 1], which is 0.5/32/4 = 3.9e-3 wide."""
    params = dict(fr.FOLD_CASES[0]["params"], cost_c=("logistic", 0.526, 0.02))
    lam, u = fr.fold(params, "k", 0.29276694725, 0.50098889252)
    here = fr.with_param(params, "k", lam)
    return {
        "params": here,
        "name": "k",
        "lam_star": lam,
        "u_star": u,
        "phi_uu": float(fr.phi_derivs(here, u)[2]),
        "phi_lam": -1.0,  # Φ = ... - k
        "roots_side": "below",
        "piece": fr.smooth_piece(here, u),
    }


KINK = _kink_case()


def test_the_kink_case_is_next_to_the_kink():
    t0 = KINK["piece"][0]
    assert KINK["piece"] == (t0, 1.0) and abs(t0 - 0.5) < 1e-12
    assert 0 < KINK["u_star"] - t0 < 1e-3


@pytest.mark.parametrize("spec", ["1e-3", "1e-4", "dip"])
@pytest.mark.parametrize("index", range(len(fr.FOLD_CASES)))
def test_close_pair_in_the_middle_of_a_piece_is_found_and_certified(index, spec):
    case = fr.FOLD_CASES[index]
    separation = _separation(case, spec)
    a, b = case["piece"]
    # Closer than the grid search's cells (the piece / 32), away from the piece's ends.
    assert separation < (b - a) / 32 / 4
    assert min(case["u_star"] - a, b - case["u_star"]) > 10 * separation
    value = _pair_value(case, separation)
    ds = _solve(case, value)
    want = [u for u, _ in fr.interior_roots(fr.with_param(case["params"], case["name"], value))]
    got = _interior(ds)
    assert len(got) == len(want) and np.allclose(got, want, rtol=0, atol=1e-9), (got, want)
    pair = [u for u in got if abs(u - case["u_star"]) < separation]
    assert len(pair) == 2 and abs(pair[1] - pair[0] - separation) < 0.05 * separation
    assert int(ds.status) & CERTIFIED


@pytest.mark.parametrize("spec", ["1e-3", "3e-4", "1e-4", "dip"])
def test_close_pair_next_to_a_kink_is_found_and_certified(spec):
    separation = _separation(KINK, spec)
    assert separation <= 1e-3 < 0.5 / 32 / 4  # inside the grid search's first sub-cell
    value = _pair_value(KINK, separation)
    ds = _solve(KINK, value)
    want = [u for u, _ in fr.interior_roots(fr.with_param(KINK["params"], "k", value))]
    got = _interior(ds)
    assert len(want) == 2 and all(u > KINK["piece"][0] for u in want)
    assert np.allclose(got, want, rtol=0, atol=1e-9), (got, want)
    assert int(ds.status) & CERTIFIED


@pytest.mark.parametrize("case", [*fr.FOLD_CASES, KINK], ids=[*map(str, range(len(fr.FOLD_CASES))), "kink"])
def test_a_tangency_is_not_certified(case):
    """At the fold the two roots merge into a double one: Φ touches zero, which no enclosure can
    tell from a near miss. The point keeps the grid search's answer and is flagged."""
    assert not int(_solve(case, case["lam_star"]).status) & CERTIFIED


# ------------------------------------------------------------------ (c) never wrong near folds
def test_certification_is_never_wrong_near_a_fold():
    rng = np.random.default_rng(12)
    checked = certified = 0
    for case in [*fr.FOLD_CASES, KINK]:
        for _ in range(16):
            # |λ - λ*| log-uniform from 1e-13 to 1e-3 (relative), on either side of the fold.
            delta = 10 ** rng.uniform(-13, -3) * max(1.0, abs(case["lam_star"]))
            value = case["lam_star"] + delta * rng.choice([-1.0, 1.0])
            on_pair_side = (value > case["lam_star"]) == (case["roots_side"] == "above")
            separation = 2 * math.sqrt(2 * abs(case["phi_lam"]) * delta / abs(case["phi_uu"]))
            if on_pair_side and separation < 5e-5:
                continue  # the fold reference's grid (2.5e-6 to 5e-6 apart) would not see the pair
            ds = _solve(case, value)
            checked += 1
            if not int(ds.status) & CERTIFIED:
                continue
            certified += 1
            want = [u for u, _ in fr.interior_roots(fr.with_param(case["params"], case["name"], value))]
            got = _interior(ds)
            assert len(got) == len(want), (case["name"], value, got, want)
            assert np.allclose(got, want, rtol=0, atol=1e-8), (got, want)
    assert checked > 40 and certified > 0.8 * checked, (checked, certified)


# ------------------------------------------------ the one certified disagreement at 2 x 10^5 points
#: The only certified point of benches/certified_agreement.py's 2 x 200,000 random points where
#: `roots` and the NumPy reference count differently (2 against 4). The challenger cost
#: Normal(-0.105, 0.036) puts G(tau_attack) at 1.0 in floating point, so at the allied belief
#: q_1 = 0.1973 both W(q_1) = 0 (the W0 boundary) and g(1 + |W|) = 1 (the Cb boundary) hold:
#: the mixed regime has zero width and both segments sit at one belief.
#: The point is tests/test_crisis_reference.py's QHAT_EQ_QC (its reference test derives the count).
MODEL_PARAMS = ("p", "p_alliance", "p_coalition", "c_d", "c_d_joint", "c_c_extra", "c_a", "k", "r", "b_c")
COINCIDENT_BOUNDARIES = {k: QHAT_EQ_QC[k] for k in MODEL_PARAMS}


def test_coincident_crisis_boundaries_the_third_implementation_decides():
    """There the reference reports the same cut-point three times, with D conceding after an
    alliance with probability 0.103, 1 and 0.844. The game-tree implementation written from the
    specs alone (tests/game_simulation.py) says the cut-point type is indifferent at only one of
    them: `roots` reports that one, and certifies the point."""
    import game_simulation as gs

    theta = (QHAT_EQ_QC["theta_a"], QHAT_EQ_QC["theta_b"])
    cost = (QHAT_EQ_QC["cost_a"], QHAT_EQ_QC["cost_b"])
    ds = asw.solve(**COINCIDENT_BOUNDARIES, theta=asw.Uniform(*theta), cost_c=asw.Normal(*cost))
    n = int(ds.n_eq)
    assert n == 2 and int(ds.status) & CERTIFIED
    kinds = [int(k) for k in ds.kind.values[:n]]
    assert kinds == [2, 1], kinds  # pool_no_alliance, cutpoint_bluff (docs/conventions.md)
    u, rho = float(ds.cutpoint[1]), float(ds.prob_concession_alliance[1])
    params = {**COINCIDENT_BOUNDARIES, "theta": ("uniform", *theta), "cost_c": ("normal", *cost)}

    def gain(r: float) -> float:
        return gs.ally_gain(params, {"cutpoint": u, "rho_alliance": r}, u)

    assert abs(gain(rho)) < 1e-7
    # Along the whole segment the gain is affine in rho and vanishes once: the other two are not equilibria.
    rhos = np.linspace(0, 1, 21)
    gains = np.array([gain(r) for r in rhos])
    assert np.all(np.diff(gains) < 0) and abs(gain(0.10269848)) > 0.5 and abs(gain(1.0)) > 0.1
