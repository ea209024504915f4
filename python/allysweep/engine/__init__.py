"""The engine layer: the only door to the Rust core (:mod:`.native`), the output schema joined
with its metadata (:mod:`.schema`), solving flat columns with any method (:mod:`.flat`), and
the independent NumPy reference (:mod:`.reference`)."""

from .flat import COLUMNS, DEFAULT_LAM, MAX_EQ, METHODS, keep_slots, solve_flat, to_columns
from .native import BUILD_PROFILE, ENGINE_VERSION, KIND_NAMES, REGIME_NAMES, STATUS_BITS, empty_outputs
from .schema import BOOL_OUTPUTS, EQ_OUTPUTS, OUTPUTS, POINT_OUTPUTS, Output

__all__ = [
    "solve_flat",
    "keep_slots",
    "to_columns",
    "empty_outputs",
    "COLUMNS",
    "MAX_EQ",
    "DEFAULT_LAM",
    "METHODS",
    "KIND_NAMES",
    "REGIME_NAMES",
    "STATUS_BITS",
    "BUILD_PROFILE",
    "ENGINE_VERSION",
    "OUTPUTS",
    "POINT_OUTPUTS",
    "EQ_OUTPUTS",
    "BOOL_OUTPUTS",
    "Output",
]
