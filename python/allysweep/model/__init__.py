"""The model: its parameters and their domains (MODEL.md §3), the two distributions F and G, and
what each output means. Pure Python, no engine: every other layer builds on this one."""

from .distributions import Distribution, Logistic, Normal, TwoPoint, Uniform, parse_distribution
from .outputs import CATEGORICAL, METADATA
from .parameters import DEFAULTS, PARAMETERS, SCALAR_PARAMETERS, Parameter, dependent_defaults

__all__ = [
    "Distribution",
    "Uniform",
    "TwoPoint",
    "Logistic",
    "Normal",
    "parse_distribution",
    "Parameter",
    "PARAMETERS",
    "SCALAR_PARAMETERS",
    "DEFAULTS",
    "dependent_defaults",
    "METADATA",
    "CATEGORICAL",
]
