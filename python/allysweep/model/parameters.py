"""The model's parameters: names, symbols, meanings, domains, defaults and units.

One table, used by the Python API (defaults, validation messages), the CLI's ``--help``, the
attributes of every coordinate and the documentation. Names follow MODEL.md §3.
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
    "coordinate_attrs",
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
            "c_d",
            "c_D",
            "D's war cost fighting alone",
            "c_d >= 0 (above p, assumption A1 fails and D may concede: MODEL.md §13)",
            0.1,
            "share of the good",
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


def coordinate_attrs(name: str) -> dict[str, str]:
    """Attributes of a parameter coordinate: the parameter's meaning and units, or for a
    distribution field (``theta_lo``, ``cost_c_scale``, ...) its distribution's, with the field."""
    for dist in ("cost_c", "theta"):
        if name.startswith(f"{dist}_"):
            param = PARAMETERS[dist]
            return {"long_name": f"{param.meaning}: {name[len(dist) + 1 :]}", "units": param.units}
    param = PARAMETERS.get(name)
    return {"long_name": param.meaning, "units": param.units} if param else {"long_name": name}
