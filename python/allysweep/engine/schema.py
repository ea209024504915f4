"""The output table every layer reads: the engine's schema (type, per point or per equilibrium,
fill) joined with Python's metadata (long name, units, description, CF flags).

``asw.solve``, the sweep template and the parity tests all read :data:`OUTPUTS`; adding an
output to the engine's table and to :mod:`allysweep.model.outputs` is all it takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.outputs import BITFIELDS, CATEGORICAL, METADATA
from . import native

__all__ = ["Output", "OUTPUTS", "POINT_OUTPUTS", "EQ_OUTPUTS", "BOOL_OUTPUTS", "schema_mismatches", "variable_attrs"]


@dataclass(frozen=True)
class Output:
    """One output: the engine's half (``dtype``, ``per_equilibrium``, ``fill``) and Python's
    (``long_name``, ``units``, ``description``, CF flag attributes for categorical and bit-set
    outputs)."""

    name: str
    dtype: np.dtype
    per_equilibrium: bool
    fill: Any
    long_name: str
    units: str
    description: str
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def attrs(self) -> dict[str, Any]:
        """The xarray / Zarr attributes of the variable."""
        return {"long_name": self.long_name, "units": self.units, "description": self.description, **self.flags}


def schema_mismatches() -> list[str]:
    """How Python's metadata and the engine's schema disagree (empty when they agree)."""
    engine = [name for name, *_ in native.OUTPUT_SCHEMA]
    problems = [
        f"engine output `{n}` has no metadata in allysweep/model/outputs.py" for n in engine if n not in METADATA
    ]
    problems += [f"metadata for `{n}`, which the engine does not output" for n in METADATA if n not in engine]
    if not problems and list(METADATA) != engine:
        problems.append("allysweep/model/outputs.py lists the outputs in another order than the engine")
    problems += [f"categorical output `{n}` is not an engine output" for n in CATEGORICAL if n not in engine]
    problems += [f"bit-set output `{n}` is not an engine output" for n in BITFIELDS if n not in engine]
    return problems


def _fill(dtype: np.dtype, fill: float) -> Any:
    if dtype == np.bool_:
        return bool(fill)
    if np.issubdtype(dtype, np.integer):
        return int(fill)
    return float(fill)


def _build() -> dict[str, Output]:
    problems = schema_mismatches()
    if problems:
        # A development error (an output added on one side only): fail loudly at import.
        raise ImportError("allysweep's output schema is inconsistent: " + "; ".join(problems))
    out: dict[str, Output] = {}
    for name, dtype_name, per_eq, fill in native.OUTPUT_SCHEMA:
        dtype = np.dtype(dtype_name)
        long_name, units, description = METADATA[name]
        flags: dict[str, Any] = {}
        if name in CATEGORICAL:
            categories = getattr(native, CATEGORICAL[name])
            flags = {"flag_values": list(range(len(categories))), "flag_meanings": " ".join(categories)}
        elif name in BITFIELDS:
            bits = getattr(native, BITFIELDS[name])
            flags = {"flag_masks": [mask for mask, _ in bits], "flag_meanings": " ".join(n for _, n in bits)}
        out[name] = Output(name, dtype, per_eq, _fill(dtype, fill), long_name, units, description, flags)
    return out


#: Every output, in the engine's order.
OUTPUTS: dict[str, Output] = _build()
#: Names of the per-point outputs (shape (N,)).
POINT_OUTPUTS: tuple[str, ...] = tuple(n for n, o in OUTPUTS.items() if not o.per_equilibrium)
#: Names of the per-equilibrium outputs (shape (N, slots), dimension ``eq``).
EQ_OUTPUTS: tuple[str, ...] = tuple(n for n, o in OUTPUTS.items() if o.per_equilibrium)
#: Names of the boolean outputs (flags).
BOOL_OUTPUTS: tuple[str, ...] = tuple(n for n, o in OUTPUTS.items() if o.dtype == np.bool_)


def variable_attrs(name: str) -> dict[str, Any]:
    """Attributes of output ``name`` (a copy, safe to modify)."""
    return dict(OUTPUTS[name].attrs)


#: The per-equilibrium outputs the engine differentiates (docs/MODEL.md §14.4), in its order.
DERIVATIVE_OUTPUTS: tuple[str, ...] = native.DERIVATIVE_OUTPUTS


def derivative_attrs(name: str) -> dict[str, Any]:
    """Attributes of ``d_<name>``, the derivative of output ``name`` along dimension ``wrt``."""
    attrs = OUTPUTS[name].attrs
    return {
        "long_name": f"derivative of {attrs['long_name']}",
        "units": f"({attrs['units']}) per unit of the parameter",
        "description": f"∂ {name} / ∂ wrt: exact, by the implicit function theorem (docs/MODEL.md §14.4), "
        "every other parameter held fixed; NaN where the equilibrium is not differentiable "
        "(see `differentiable`) or the output is NaN.",
    }


#: Attributes of ``differentiable``, the per-slot flag that goes with the derivatives.
DIFFERENTIABLE_ATTRS: dict[str, str] = {
    "long_name": "equilibrium differentiable",
    "units": "1",
    "description": "False where the derivatives are NaN: a tangency, a cut-point on a kink of Φ, a belief "
    "on a crisis-regime boundary, a uniform G at its clip point, D's mixing at a segment's end, or no "
    "equilibrium in the slot.",
}
