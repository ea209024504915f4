"""Checks computed from solver outputs, the same for every solver variant.

``gain_increasing`` (MODEL.md §6, "Single crossing"): every cutpoint equilibrium presumes that
A's gain from allying, Gain(θ) = P_0 L_0(θ) - P_1 L_1(θ) - k, increases with its type. That is
proved when P_1 < P_0 and p_alliance = p_coalition; elsewhere (notably p_alliance > p_coalition)
it is checked here at every reported equilibrium and flagged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import special

__all__ = ["cost_cdf", "gain_increasing"]

_TOL = 1e-12


def cost_cdf(kind: np.ndarray, a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """G(x) of the challenger-cost distribution, elementwise (kind 0 uniform, 1 logistic, 2 normal)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        uniform = np.clip((x - a) / (b - a), 0.0, 1.0)
        logistic = special.expit((x - a) / b)
        normal = special.ndtr((x - a) / b)
    return np.where(kind == 0, uniform, np.where(kind == 1, logistic, normal))


def gain_increasing(columns: Mapping[str, np.ndarray], result: Mapping[str, np.ndarray]) -> np.ndarray:
    """Whether Gain(θ; P_0, P_1) is nondecreasing over the ally's type support at each reported
    equilibrium, shape (N, slots); False in empty slots.

    The challenge probabilities are the equilibrium's; where a signal is off path (poolings), the
    one of the pessimistic belief that sustains the pooling (docs/conventions.md). For fixed
    (P_0, P_1) Gain is piecewise linear with kinks at t_1 and t_0, so the check is on the slopes
    of the pieces that meet the support (two-type ally: Gain(θ_H) >= Gain(θ_L)).
    """
    col = {k: np.asarray(v, dtype=float)[:, None] for k, v in columns.items()}
    p, pa, pc, ca, r = col["p"], col["p_alliance"], col["p_coalition"], col["c_a"], col["r"]
    lo, hi = col["theta_a"], col["theta_b"]
    t1 = (ca - r) / (pa - p)
    t0 = ca / (pc - p)
    m1 = pa - p + col["c_c_extra"]
    m0 = pc - p + col["c_c_extra"]

    def G(x):
        return cost_cdf(col["cost_kind"], col["cost_a"], col["cost_b"], x)

    p1 = np.asarray(result["prob_challenge_alliance"], dtype=float)
    p0 = np.asarray(result["prob_challenge_no_alliance"], dtype=float)
    p1 = np.where(np.isnan(p1), G((1 - p) - (lo >= t1) * m1), p1)
    p0 = np.where(np.isnan(p0), G((1 - p) - (lo >= t0) * m0), p0)

    # Continuous type on [lo, hi]: slopes of the pieces θ < t_1, t_1 <= θ < t_0, θ >= t_0.
    s = 1 - p
    ok_a = ~(lo < t1) | ((p0 - p1) * s >= -_TOL)
    ok_b = ~((t1 < hi) & (t0 > lo) & (t1 < t0)) | (p0 * s - p1 * (1 - pa) >= -_TOL)
    ok_c = ~(t0 < hi) | (p0 * (1 - pc) - p1 * (1 - pa) >= -_TOL)
    continuous = ok_a & ok_b & ok_c

    def loss(alliance: bool, theta):
        pp = pa if alliance else pc
        return np.minimum((1 - pp) * theta + ca, (1 - p) * theta + (r if alliance else 0.0))

    def gain(theta):
        return p0 * loss(False, theta) - p1 * loss(True, theta)

    two_type = gain(hi) - gain(lo) >= -_TOL
    flag = np.where(col["theta_kind"] == 1, two_type, continuous)
    return flag & (np.asarray(result["kind"]) >= 0)
