"""The model's parameters and outputs: names, meanings, domains, defaults and units.

One table, used by the Python API (defaults, validation messages), the CLI's ``--help``, the
attributes of every xarray variable and the documentation. Names follow MODEL.md §3 and §8.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .distributions import Distribution, Uniform

__all__ = [
    "Parameter",
    "PARAMETERS",
    "SCALAR_PARAMETERS",
    "DEFAULTS",
    "dependent_defaults",
    "OUTPUTS",
    "POINT_OUTPUTS",
    "EQ_OUTPUTS",
    "KIND_NAMES",
]


@dataclass(frozen=True)
class Parameter:
    """A model parameter: public name, symbol, meaning, domain and default (MODEL.md §3)."""

    name: str
    symbol: str
    meaning: str
    domain: str
    default: float | Distribution | None
    units: str = "1"


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in [
        Parameter("p", "p", "D's probability of winning a war alone", "0 < p < 1", 0.4),
        Parameter(
            "p_alliance", "p'_1", "D's win probability when the ally intervenes as an ally", "p < p_alliance <= 1", 0.7
        ),
        Parameter(
            "p_coalition",
            "p'_0",
            "D's win probability when A intervenes without an alliance (default: p_alliance)",
            "p < p_coalition <= p_alliance",
            None,
        ),
        Parameter(
            "c_d", "c_D", "D's war cost fighting alone", "0 <= c_d <= p (A1: p - c_d >= 0)", 0.1, "share of the good"
        ),
        Parameter(
            "c_d_joint",
            "c_D'",
            "D's war cost when A fights too (default: 0.05 if c_d is also omitted, else c_d)",
            "0 <= c_d_joint <= c_d",
            None,
            "share of the good",
        ),
        Parameter(
            "c_c_extra", "Δ_C", "extra war cost to C when A intervenes", "c_c_extra >= 0", 0.1, "share of the good"
        ),
        Parameter("c_a", "c_A", "A's cost of fighting", "c_a > 0", 0.15, "utility"),
        Parameter("k", "k", "A's sunk peacetime cost of the alliance", "k >= 0", 0.03, "utility"),
        Parameter("r", "r", "A's reputation cost if allied, D attacked and A stays out", "r >= 0", 0.06, "utility"),
        Parameter("b_c", "b_C", "C's cost of backing down after a challenge", "b_c >= 0", 0.05, "share of the good"),
        Parameter(
            "theta",
            "F",
            "A's type distribution (its interest in D)",
            "uniform:LO,HI with 0 <= LO < HI, or two_point:LOW,HIGH,PRIOR_HIGH with "
            "0 <= LOW < HIGH, 0 < PRIOR_HIGH < 1",
            Uniform(0.0, 1.0),
            "utility",
        ),
        Parameter(
            "cost_c",
            "G",
            "C's war-cost distribution",
            "uniform:LO,HI (LO < HI, LO may be negative), logistic:MU,SCALE or normal:MU,SCALE (SCALE > 0)",
            Uniform(0.0, 1.0),
            "share of the good",
        ),
    ]
}

#: The numeric model parameters (the distributions ``theta`` and ``cost_c`` are the others), in
#: the engine's column order: a parameter that follows another (see :func:`dependent_defaults`)
#: comes after it.
SCALAR_PARAMETERS: tuple[str, ...] = (
    "p",
    "p_alliance",
    "p_coalition",
    "c_d",
    "c_d_joint",
    "c_c_extra",
    "c_a",
    "k",
    "r",
    "b_c",
)

#: MODEL.md §10 base case. ``p_coalition`` and ``c_d_joint`` depend on other parameters: see
#: :func:`dependent_defaults`.
DEFAULTS: dict[str, float | Distribution | None] = {name: p.default for name, p in PARAMETERS.items()}


def dependent_defaults(given: Collection[str]) -> dict[str, str | float]:
    """Defaults of the omitted parameters that depend on others, given the names the user set.

    Returns, for each such parameter, either the name of the parameter whose values it takes or
    a constant: ``p_coalition`` follows ``p_alliance`` (MODEL.md §3); ``c_d_joint`` follows
    ``c_d`` when the user chose ``c_d``, and is the base case 0.05 (MODEL.md §10) otherwise.
    The one rule used by :func:`allysweep.solve` and by sweeps.
    """
    out: dict[str, str | float] = {}
    if "p_coalition" not in given:
        out["p_coalition"] = "p_alliance"
    if "c_d_joint" not in given:
        out["c_d_joint"] = "c_d" if "c_d" in given else 0.05
    return out


KIND_NAMES: tuple[str, ...] = (
    "cutpoint_honest",
    "cutpoint_bluff",
    "pool_no_alliance",
    "pool_alliance",
    "separating",
    "hybrid",
)

_RANGE = "share of the good (D's share x)"

#: name -> (long_name, units, description); per point.
POINT_OUTPUTS: dict[str, tuple[str, str, str]] = {
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
}

#: name -> (long_name, units, description); per equilibrium (dimension ``eq``).
EQ_OUTPUTS: dict[str, tuple[str, str, str]] = {
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

OUTPUTS = {**POINT_OUTPUTS, **EQ_OUTPUTS}

#: Per-equilibrium outputs that are flags (stored as booleans).
BOOL_OUTPUTS = ("stable", "ic_ok", "d1_ok", "selected", "degenerate", "gain_increasing")
