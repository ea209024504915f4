"""What every output means: long name, units and description (MODEL.md §8, docs/conventions.md).

This is Python's half of the output contract. The other half, each output's element type,
whether it is per point or per equilibrium, and its fill value, is the engine's schema
(``rust/allysweep-core/src/batch/output.rs``), exported as ``_core.OUTPUTS``;
:mod:`allysweep.engine.schema` joins the two, and ``tests/test_schema.py`` checks, name by name,
that they list the same outputs.
"""

from __future__ import annotations

__all__ = ["METADATA", "CATEGORICAL"]

_RANGE = "share of the good (D's share x)"

#: name -> (long_name, units, description), in the engine's output order.
METADATA: dict[str, tuple[str, str, str]] = {
    "n_eq": ("number of equilibria", "1", "Number of perfect Bayesian equilibria found at this point."),
    "status": (
        "solver status",
        "1",
        "Bit set: 0 = all equilibria reported; +1 = more equilibria than slots along `eq` (extra "
        "dropped); +2 = a continuum of cutpoints (one degenerate representative reported).",
    ),
    "range_lo_alone": (
        "bargaining range low end, D alone",
        _RANGE,
        "Full information, no ally: p - c_D, clipped to [0, 1].",
    ),
    "range_hi_alone": (
        "bargaining range high end, D alone",
        _RANGE,
        "Full information, no ally: p + c at the challenger's cost c (mean by default).",
    ),
    "range_lo_joint": ("bargaining range low end, D and ally", _RANGE, "Full information, ally fights: p'_1 - c_D'."),
    "range_hi_joint": (
        "bargaining range high end, D and ally",
        _RANGE,
        "Full information, ally fights: p'_1 + c + Δ_C.",
    ),
    "kind": ("equilibrium kind", "1", "Kind of equilibrium; see flag_values / flag_meanings; -1 = no equilibrium."),
    "cutpoint": ("cutpoint θ*", "utility", "Types above θ* ally (NaN for a two-type ally)."),
    "prob_alliance": ("probability of alliance", "1", "Ex-ante probability that A forms the alliance."),
    "belief_alliance": (
        "belief A intervenes, given alliance",
        "1",
        "q_1: share of allied types that honour the alliance (NaN if off path).",
    ),
    "belief_no_alliance": (
        "belief A intervenes, given no alliance",
        "1",
        "q_0: share of non-allied types that intervene anyway (NaN if off path).",
    ),
    "prob_challenge_alliance": ("probability of challenge, given alliance", "1", "P_1 = G(τ_1) (NaN if off path)."),
    "prob_challenge_no_alliance": (
        "probability of challenge, given no alliance",
        "1",
        "P_0 = G(τ_0) (NaN if off path).",
    ),
    "prob_war": ("probability of war", "1", "prob_alliance·P_1 + (1 - prob_alliance)·P_0."),
    "prob_renege": (
        "probability the ally reneges",
        "1",
        "1 - q_1: the ally stays out given allied and D attacked (NaN if no alliance).",
    ),
    "range_lo_alliance": (
        "bargaining range low end after alliance",
        _RANGE,
        "q_1 (p'_1 - c_D') + (1 - q_1)(p - c_D), clipped to [0, 1].",
    ),
    "range_hi_alliance": ("bargaining range high end after alliance", _RANGE, "p + c + q_1 M_1, clipped."),
    "range_lo_no_alliance": (
        "bargaining range low end without alliance",
        _RANGE,
        "q_0 (p'_0 - c_D') + (1 - q_0)(p - c_D), clipped.",
    ),
    "range_hi_no_alliance": ("bargaining range high end without alliance", _RANGE, "p + c + q_0 M_0, clipped."),
    "stable": ("stable", "1", "Stable under best-response dynamics (interior: Φ'(θ*) > 0)."),
    "ic_ok": ("survives the Intuitive Criterion", "1", "True where no off-path signal or it survives IC."),
    "d1_ok": ("survives D1", "1", "True where no off-path signal or it survives D1."),
    "selected": (
        "selected equilibrium",
        "1",
        "One per point: prefer D1 survivors, then stable, then highest probability of alliance.",
    ),
    "degenerate": ("degenerate", "1", "A tangency (Φ'(θ*) ≈ 0): not robust to small parameter changes."),
    "gain_increasing": (
        "ally's gain increasing in its type",
        "1",
        "Gain(θ) = P_0 L_0 - P_1 L_1 - k nondecreasing in θ at this equilibrium's challenge "
        "probabilities (MODEL.md §6 single crossing; checked, not assumed, e.g. for "
        "p_alliance > p_coalition).",
    ),
}

#: Categorical outputs -> the engine's list of category names (CF ``flag_values`` 0, 1, ... and
#: ``flag_meanings``; -1 = no equilibrium in that slot).
CATEGORICAL: dict[str, str] = {"kind": "KIND_NAMES"}
