"""From cubes to findings: calibration to empirical targets (history matching, identifiability),
sensitivity analysis (Sobol, Morris, PAWN, delta with SALib; exact main effects on grids) and
scenario discovery (PRIM), on cubes and solved datasets. docs/analysis.md explains the choices.

>>> import numpy as np, allysweep as asw
>>> ds = asw.solve(k=np.linspace(0, 0.12, 25), r=np.linspace(0, 0.14, 15))
>>> cal = asw.analysis.calibrate(ds, {"prob_war": (0.33, 0.01)})
>>> sorted(cal.parameter.values.tolist())
['k', 'r']
"""

from .calibration import VERDICTS, calibrate, nroy_table, resample, solve_points
from .data import DERIVED, output, parameters, per_point
from .discovery import prim, prim_table
from .sensitivity import delta, main_effects, morris, pawn, sobol

__all__ = [
    "calibrate",
    "nroy_table",
    "resample",
    "solve_points",
    "VERDICTS",
    "sobol",
    "morris",
    "pawn",
    "delta",
    "main_effects",
    "prim",
    "prim_table",
    "DERIVED",
    "output",
    "parameters",
    "per_point",
]
