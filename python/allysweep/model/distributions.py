"""Distributions of the ally's type θ (``theta``) and the challenger's war cost c (``cost_c``).

Each is a frozen dataclass (it pickles cleanly to Dask workers). A field may be a number or,
to sweep over it, a 1-D array / named :class:`xarray.DataArray`.

>>> Uniform(0, 1)
Uniform(lo=0, hi=1)
>>> parse_distribution("cost_c", "logistic:0.5,0.1")
Logistic(mu=0.5, scale=0.1)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..exceptions import ParameterError

__all__ = ["Uniform", "TwoPoint", "Logistic", "Normal", "parse_distribution", "Distribution"]


@dataclass(frozen=True)
class Distribution:
    """Base class: a named distribution family with numeric fields."""

    family: ClassVar[str] = ""
    code: ClassVar[int] = -1

    def values(self) -> dict[str, Any]:
        """Field name -> value, in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_string(self) -> str:
        """The CLI/spec form, e.g. ``uniform:0,1`` (scalar fields only)."""
        return f"{self.family}:" + ",".join(f"{v:g}" for v in self.values().values())


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform(lo, hi). As ``theta``: 0 <= lo < hi. As ``cost_c``: lo < hi (lo may be negative:
    hawkish challengers who gain from war)."""

    lo: Any
    hi: Any
    family: ClassVar[str] = "uniform"
    code: ClassVar[int] = 0


@dataclass(frozen=True)
class TwoPoint(Distribution):
    """Two-type ally (``theta`` only): θ = high with probability prior_high, else low;
    0 <= low < high, 0 < prior_high < 1."""

    low: Any
    high: Any
    prior_high: Any
    family: ClassVar[str] = "two_point"
    code: ClassVar[int] = 1


@dataclass(frozen=True)
class Logistic(Distribution):
    """Logistic(mu, scale) challenger cost (``cost_c`` only); scale > 0."""

    mu: Any
    scale: Any
    family: ClassVar[str] = "logistic"
    code: ClassVar[int] = 1


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mu, scale) challenger cost (``cost_c`` only); scale > 0."""

    mu: Any
    scale: Any
    family: ClassVar[str] = "normal"
    code: ClassVar[int] = 2


THETA_FAMILIES: dict[str, type[Distribution]] = {"uniform": Uniform, "two_point": TwoPoint}
COST_FAMILIES: dict[str, type[Distribution]] = {"uniform": Uniform, "logistic": Logistic, "normal": Normal}
FAMILIES = {"theta": THETA_FAMILIES, "cost_c": COST_FAMILIES}


def _families_text(param: str) -> str:
    forms = {
        "uniform": "uniform:LO,HI",
        "two_point": "two_point:LOW,HIGH,PRIOR_HIGH",
        "logistic": "logistic:MU,SCALE",
        "normal": "normal:MU,SCALE",
    }
    return " or ".join(forms[name] for name in FAMILIES[param])


def check_family(param: str, dist: object) -> Distribution:
    """Check that ``dist`` is a distribution allowed for ``param`` (``theta`` or ``cost_c``)."""
    allowed = FAMILIES[param]
    if not isinstance(dist, Distribution) or type(dist) not in allowed.values():
        raise ParameterError(param, dist, _families_text(param))
    return dist


def parse_distribution(param: str, text: str) -> Distribution:
    """Parse the CLI/spec form ``family:a,b[,c]`` of a distribution for ``param``.

    Raises
    ------
    ParameterError
        Unknown family, wrong number of numbers, or a field that is not a number.
    """
    family, sep, rest = text.partition(":")
    cls = FAMILIES[param].get(family.strip().lower())
    if not sep or cls is None:
        raise ParameterError(param, text, _families_text(param))
    parts = [x.strip() for x in rest.split(",")]
    names = [f.name for f in fields(cls)]
    if len(parts) != len(names):
        raise ParameterError(param, text, _families_text(param))
    try:
        numbers = [float(x) for x in parts]
    except ValueError:
        raise ParameterError(param, text, _families_text(param)) from None
    return cls(*numbers)
