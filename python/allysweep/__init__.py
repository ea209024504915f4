"""allysweep: exact equilibria of the costly-signalling alliance model, fast, over parameter
spaces.

>>> import allysweep as asw
>>> ds = asw.solve(theta=asw.Uniform(0, 1), cost_c=asw.Uniform(0, 1), k=0.03)
>>> int(ds.n_eq)
2

See the README for a tour, MODEL.md for the model and ``allysweep --help`` for the CLI.
"""

from __future__ import annotations

import warnings

from . import _core
from .distributions import Logistic, Normal, TwoPoint, Uniform, parse_distribution
from .exceptions import AllysweepError, EngineError, ParameterError, SpecError, StoreError
from .parameters import DEFAULTS, KIND_NAMES, PARAMETERS
from .solver import METHODS, solve, solve_flat
from .spec import SweepSpec, load_spec
from .sweep import cube_info, open_cube, sweep

__version__: str = _core.__version__

if _core.BUILD_PROFILE != "release":
    warnings.warn(
        "allysweep's Rust engine was built in debug mode and is much slower; "
        "reinstall with `pip install .` (or `maturin develop --release`).",
        RuntimeWarning,
        stacklevel=2,
    )

__all__ = [
    "solve",
    "solve_flat",
    "sweep",
    "open_cube",
    "cube_info",
    "load_spec",
    "SweepSpec",
    "METHODS",
    "Uniform",
    "TwoPoint",
    "Logistic",
    "Normal",
    "parse_distribution",
    "PARAMETERS",
    "DEFAULTS",
    "KIND_NAMES",
    "AllysweepError",
    "ParameterError",
    "SpecError",
    "StoreError",
    "EngineError",
    "__version__",
]
