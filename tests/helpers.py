"""Test helpers: random parameter points and MODEL.md formulas written out in plain Python.

Nothing here calls the code under test except :func:`solve_points`, a thin wrapper of
``asw.solve`` that lays N points along one dimension ``point``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import xarray as xr
from scipy import special

import allysweep as asw

KINDS = asw.KIND_NAMES

#: The output contract of docs/conventions.md, written out here rather than imported from the
#: code under test: per-equilibrium floating-point outputs, and per-point outputs.
FLOAT_EQ = (
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
)
POINT = ("n_eq", "status", "range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint")
#: Status bit 4 (docs/conventions.md, "Certified"): `roots` proved no equilibrium was missed. No
#: other method sets it, so comparisons of `status` across methods leave it out (`~CERTIFIED`).
CERTIFIED = 4

#: The outputs CRISIS.md §5 adds: per equilibrium (the per-signal ones for * = alliance,
#: no_alliance), then per point.
CRISIS_PER_SIGNAL = (
    "prob_concede",
    "prob_war",
    "prob_concession",
    "prob_backdown",
    "immediate_deterrence",
    "general_deterrence",
    "defender_war_value",
)
CRISIS_FLOAT_EQ = (
    *(f"{name}_{side}" for name in CRISIS_PER_SIGNAL for side in ("alliance", "no_alliance")),
    "prob_challenge",
    "general_deterrence",
    "prob_concession",
    "immediate_deterrence",
    "prob_status_quo_kept",
)
CRISIS_EQ = ("pinned", "crisis_regime_alliance", "crisis_regime_no_alliance", *CRISIS_FLOAT_EQ)
CRISIS_POINT = ("nc_branch", "bluff_mass_free")
#: The outputs of the welfare / no-option issue (docs/MODEL.md §14). The NumPy references do not
#: compute them; tests/game_simulation.py (an independent transcription, with a Monte Carlo of the
#: game tree) checks them instead.
WELFARE_EQ = ("effect_war", "effect_challenge", "utility_ally", "utility_defender", "utility_challenger")
WELFARE_POINT = (
    "belief_no_option",
    "crisis_regime_no_option",
    "prob_challenge_no_option",
    "prob_war_no_option",
    "prob_concession_no_option",
    "immediate_deterrence_no_option",
    "utility_ally_no_option",
    "utility_defender_no_option",
    "utility_challenger_no_option",
)
REGIMES = ("resist", "mixed", "concede", "boundary_w0", "boundary_concede")


def solve_points(theta=None, cost_c=None, method="roots", **params):
    """Solve N points given as equal-length 1-D arrays (all along dimension ``point``)."""

    def wrap(x):
        x = np.asarray(x, dtype=float)
        return xr.DataArray(x, dims="point") if x.ndim == 1 else float(x)

    def wrap_dist(d):
        if d is None:
            return None
        return type(d)(*[wrap(v) for v in d.values().values()])

    return asw.solve(
        theta=wrap_dist(theta), cost_c=wrap_dist(cost_c), method=method, **{k: wrap(v) for k, v in params.items()}
    )


def uniform_cdf(x, lo, hi):
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


def cost_cdf(family: str, a: float, b: float, x: float) -> float:
    """G(x) for the three challenger-cost families (MODEL.md §3)."""
    if family == "uniform":
        return uniform_cdf(x, a, b)
    if family == "logistic":
        return 1.0 / (1.0 + math.exp(-(x - a) / b))
    return float(special.ndtr((x - a) / b))


def loss(pt: dict, alliance: bool, theta: float) -> float:
    """L_α(θ), MODEL.md §5.5."""
    pp = pt["p_alliance"] if alliance else pt["p_coalition"]
    return min((1 - pp) * theta + pt["c_a"], (1 - pt["p"]) * theta + (pt["r"] if alliance else 0.0))


def gain(pt: dict, theta: float, p0: float, p1: float) -> float:
    """Gain(θ) = P_0 L_0(θ) - P_1 L_1(θ) - k, MODEL.md §5.5."""
    return p0 * loss(pt, False, theta) - p1 * loss(pt, True, theta) - pt["k"]


def thresholds(pt: dict) -> tuple[float, float]:
    t1 = (pt["c_a"] - pt["r"]) / (pt["p_alliance"] - pt["p"])
    t0 = pt["c_a"] / (pt["p_coalition"] - pt["p"])
    return t1, t0


def war_shift(pt: dict, alliance: bool) -> float:
    return (pt["p_alliance"] if alliance else pt["p_coalition"]) - pt["p"] + pt["c_c_extra"]


def random_base(rng: np.random.Generator, n: int, equal_p_prime: bool = False) -> dict[str, np.ndarray]:
    """Random valid model parameters (MODEL.md §3 domains), n points."""
    p = rng.uniform(0.05, 0.85, n)
    p_alliance = p + rng.uniform(0.02, 1.0, n) * (1 - p)
    p_coalition = p_alliance.copy() if equal_p_prime else p + rng.uniform(0.1, 1.0, n) * (p_alliance - p)
    c_d = rng.uniform(0, 1, n) * p
    c_d_joint = rng.uniform(0, 1, n) * c_d
    return {
        "p": p,
        "p_alliance": p_alliance,
        "p_coalition": p_coalition,
        "c_d": c_d,
        "c_d_joint": c_d_joint,
        "c_c_extra": rng.uniform(0, 0.3, n),
        "c_a": rng.uniform(0.01, 0.4, n),
        "k": rng.uniform(0, 0.15, n) * rng.choice([0.1, 1.0], n),
        "r": rng.uniform(0, 0.3, n),
        "b_c": rng.uniform(0, 0.2, n),
    }


def point(params: dict, i: int) -> dict:
    return {k: float(v[i]) for k, v in params.items()}


def continuum_prone_columns(seed: int, n: int, cost_kind: int, a1: bool, theta_kind: int = 0) -> dict[str, np.ndarray]:
    """Random points where Φ (or a two-type mixer's gain) tends to vanish, or nearly.

    k = 0 on 70% of the points and r = 0 on 30%, θ up to 60 (so L_α and Φ's rounding are
    large), and on 60% a challenger cost far below the war value (challenge probabilities
    within rounding of 1, or exactly 1). ``a1`` False: as `test_crisis_parity.crisis_columns`
    (65% with A1 failing); True: every point satisfies A1. The setting of the 2026-12 hunts
    for the continuum rule (docs/conventions.md, "Continuum").
    """
    from test_parity import random_columns

    cols = random_columns(seed=seed, n=n, theta_kind=theta_kind, cost_kind=cost_kind)
    rng = np.random.default_rng(seed + 7)
    if not a1:
        fail = rng.random(n) < 0.65
        cols["c_d"] = np.where(fail, cols["p"] + rng.uniform(0.001, 0.6, n), cols["c_d"])
        cols["c_d_joint"] = rng.uniform(0, 1, n) * cols["c_d"]
    cols["theta_b"] = cols["theta_a"] + rng.uniform(0.1, 60, n)
    cols["k"] = np.where(rng.random(n) < 0.7, 0.0, cols["k"])
    cols["r"] = np.where(rng.random(n) < 0.3, 0.0, cols["r"])
    far = rng.random(n) < 0.6
    cols["cost_a"] = np.where(far, -rng.uniform(1, 50, n), cols["cost_a"])
    if cost_kind == 0:
        cols["cost_b"] = np.where(far, cols["cost_a"] + rng.uniform(0.05, 1.2, n), cols["cost_b"])
    return cols


def at_resolution_limit(pt: dict, factor: float = 10.0) -> bool:
    """Whether Φ is at the limit of its resolution on some piece: |Φ| exceeds the continuum
    level Z somewhere on the piece (so it does not vanish) but never 10 Z (docs/conventions.md,
    "Resolution limit"). There the sign of Φ is barely resolved and the roots reported depend
    on where a solver samples. Read from the NumPy references (the canonical one where A1
    holds, the crisis one where it fails), never from the engine; uniform types only.
    """
    from allysweep.engine import crisis_reference, reference

    if pt["c_d"] <= pt["p"]:
        m = reference._Model(pt)
        sup = reference._Interval(pt["theta_a"], pt["theta_b"])
        kinks = reference._phi_kinks(m, sup)
        ratios = []
        for a, b in itertools.pairwise(kinks):
            u = np.linspace(a, b, 400)
            ratios.append(np.max(np.abs(reference._phi(m, sup, u)) / reference._continuum_scale(m, u)))
    else:
        path = crisis_reference.CutPath(crisis_reference.Model(pt))
        ratios = []
        for pc in path.pieces:
            x = path.piece_grid(pc)
            ratios.append(np.max(np.abs(path.eval(pc, x)["Phi"]) / path.continuum_scale(pc, x)))
    return any(1.0 < r <= factor for r in ratios)
