"""allysweep: exact equilibria of the costly-signalling alliance model, fast, over parameter
spaces.

>>> import allysweep as asw
>>> ds = asw.solve(theta=asw.Uniform(0, 1), cost_c=asw.Uniform(0, 1), k=0.03)
>>> int(ds.n_eq)
2

See the README for a tour, MODEL.md for the model and ``allysweep --help`` for the CLI.

Layers (each imports only from the ones before it): :mod:`.model` (parameters, distributions,
what outputs mean), :mod:`.engine` (the only door to the Rust core, the output schema, the NumPy
reference), :mod:`.labelled` (``solve``), :mod:`.sweeps` (cubes with Dask and Zarr),
:mod:`.views` (plots, page, report) and :mod:`.cli`.
"""

from __future__ import annotations

import warnings

from . import analysis  # noqa: E402  (after the sweeps it reads)
from ._version import __version__
from .adaptive import rasterize
from .branches import branches
from .engine import BUILD_PROFILE, KIND_NAMES, METHODS, solve_flat
from .exceptions import AllysweepError, EngineError, ParameterError, SpecError, StoreError
from .labelled import qre_path, selected, solve
from .model import DEFAULTS, PARAMETERS, Logistic, Normal, TwoPoint, Uniform, parse_distribution
from .sweeps import SweepSpec, cube_info, load_spec, open_cube, sweep
from .sweeps.adaptive import adaptive
from .views.table import to_latex

if BUILD_PROFILE != "release":
    warnings.warn(
        "allysweep's Rust engine was built in debug mode and is much slower; "
        "reinstall with `pip install .` (or `maturin develop --release`).",
        RuntimeWarning,
        stacklevel=2,
    )

__all__ = [
    "solve",
    "selected",
    "adaptive",
    "rasterize",
    "branches",
    "to_latex",
    "solve_flat",
    "qre_path",
    "sweep",
    "analysis",
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
