"""The one choke point through which every call into the Rust engine (``allysweep._core``) goes.

No other module imports ``_core``. Here, and only here: the flat input columns are put in the
engine's order as contiguous float64 arrays, ``threads`` is checked and passed on, output
buffers (``out=``) are made from the schema, and the engine's constants are read. The binding
itself releases the GIL, turns panics into :class:`~allysweep.exceptions.EngineError` and maps
the engine's errors to :class:`~allysweep.exceptions.ParameterError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import _core
from ..exceptions import ParameterError

__all__ = [
    "COLUMNS",
    "MAX_EQ",
    "DEFAULT_LAM",
    "ENGINE_METHODS",
    "KIND_NAMES",
    "REGIME_NAMES",
    "STATUS_BITS",
    "OUTPUT_SCHEMA",
    "ENGINE_VERSION",
    "BUILD_PROFILE",
    "columns_in_order",
    "check_threads",
    "solve_batch",
    "validate_batch",
    "qre_path",
    "derivatives",
    "check_lam",
    "MAX_LAM",
    "LAM_DOMAIN",
    "empty_outputs",
    "DERIVATIVE_OUTPUTS",
    "WRT_COLUMNS",
]

#: Input columns of the engine, in its order (docs/conventions.md "Flat point representation").
COLUMNS: tuple[str, ...] = tuple(_core.COLUMNS)
#: Most equilibrium slots per point.
MAX_EQ: int = int(_core.MAX_EQ)
#: Default QRE precision λ: large enough that the path's end is its λ -> ∞ limit to ~1e-8.
DEFAULT_LAM: float = float(_core.DEFAULT_LAM)
#: Methods the engine itself implements.
ENGINE_METHODS: tuple[str, ...] = tuple(_core.METHODS)
#: Names of the equilibrium kinds; the index is the code stored in ``kind``.
KIND_NAMES: tuple[str, ...] = tuple(_core.KIND_NAMES)
#: Names of the crisis regimes (CRISIS.md §2.3); the index is the code in ``crisis_regime_*``.
REGIME_NAMES: tuple[str, ...] = tuple(_core.REGIME_NAMES)
#: The bits of ``status`` (docs/conventions.md): (mask, name), for CF ``flag_masks`` / ``flag_meanings``.
STATUS_BITS: tuple[tuple[int, str], ...] = tuple((int(m), str(n)) for m, n in _core.STATUS_BITS)
#: The engine's output schema: (name, numpy dtype, per equilibrium, fill value), in output order.
OUTPUT_SCHEMA: tuple[tuple[str, str, bool, float], ...] = tuple(
    (str(n), str(d), bool(e), float(f)) for n, d, e, f in _core.OUTPUTS
)
#: The per-equilibrium outputs the engine differentiates (docs/MODEL.md §14.4), in order.
DERIVATIVE_OUTPUTS: tuple[str, ...] = tuple(_core.DERIVATIVE_OUTPUTS)
#: The input columns derivatives can be taken along.
WRT_COLUMNS: tuple[str, ...] = tuple(_core.WRT_COLUMNS)
ENGINE_VERSION: str = str(_core.__version__)
BUILD_PROFILE: str = str(_core.BUILD_PROFILE)


def columns_in_order(columns: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The input columns as the engine takes them: contiguous 1-D float64 arrays in
    :data:`COLUMNS` order (copied only where they are not already)."""
    return [np.ascontiguousarray(columns[c], dtype=np.float64).ravel() for c in COLUMNS]


def check_threads(threads: object) -> int:
    """``threads`` as the engine takes it: 0 = the engine's pool (``RAYON_NUM_THREADS``, default
    all cores), 1 = the calling thread (what a Dask task wants), n > 1 = exactly n threads."""
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer) or threads < 0:
        raise ParameterError("threads", threads, "a whole number >= 0 (0 = all cores, 1 = the calling thread)")
    return int(threads)


#: Engine columns that are no user parameter: the distribution a family code stands for.
_FAMILY_COLUMNS = {
    "theta_kind": ("theta", ("uniform", "two_point")),
    "cost_kind": ("cost_c", ("uniform", "logistic", "normal")),
}


def public_error(err: ParameterError) -> ParameterError:
    """The engine's error in the user's terms: a distribution-family column (``cost_kind = 1``)
    becomes the distribution (``cost_c = 'logistic'``)."""
    if err.name not in _FAMILY_COLUMNS:
        return err
    name, families = _FAMILY_COLUMNS[err.name]
    code = int(err.value) if isinstance(err.value, float) and err.value.is_integer() else -1
    value = families[code] if 0 <= code < len(families) else err.value
    return ParameterError(name, value, err.domain, err.index)


#: The largest QRE precision accepted (the engine's ``MAX_LAM``): beyond it the continuation
#: loses precision and ran for minutes per point; 1e8 already reaches the λ -> ∞ limit to ~1e-8.
MAX_LAM = 1e10
LAM_DOMAIN = "lam >= 0 and lam <= 1e10 (finite; 1e8 already reaches the λ -> ∞ limit to ~1e-8)"


def check_lam(method: str, lam: float) -> None:
    """Refuse a QRE precision outside ``0 <= lam <= MAX_LAM`` (checked here too, so that an
    engine built before the bound existed gives the same error instead of running for ever)."""
    if method == "qre" and not (isinstance(lam, int | float) and 0.0 <= float(lam) <= MAX_LAM):
        raise ParameterError("lam", lam, LAM_DOMAIN)


def solve_batch(
    columns: Mapping[str, np.ndarray],
    method: str,
    threads: int,
    lam: float,
    max_eq: int,
    out: dict[str, np.ndarray] | None = None,
    outputs: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Solve flat columns with an engine method; returns (or fills) the output arrays. With
    ``outputs``, only those are computed (and must be in ``out`` when it is given)."""
    names = None if outputs is None else list(outputs)
    check_lam(method, lam)
    try:
        return _core.solve_batch(
            columns_in_order(columns), check_threads(threads), method, float(lam), max_eq, out, names
        )
    except ParameterError as err:
        raise public_error(err) from None


def validate_batch(columns: Mapping[str, np.ndarray]) -> None:
    """Check flat columns against the model's domains; raises :class:`ParameterError`."""
    try:
        _core.validate_batch(columns_in_order(columns))
    except ParameterError as err:
        raise public_error(err) from None


def qre_path(columns: Mapping[str, np.ndarray], lam: float) -> dict[str, np.ndarray]:
    """The logit QRE path of one point (columns of length 1) from λ = 0 to ``lam``."""
    check_lam("qre", lam)
    return dict(_core.qre_path(columns_in_order(columns), float(lam)))


def derivatives(
    columns: Mapping[str, np.ndarray], wrt: Sequence[str], method: str, threads: int, lam: float, max_eq: int
) -> dict[str, np.ndarray]:
    """Exact derivatives of :data:`DERIVATIVE_OUTPUTS` along engine columns ``wrt``: ``values``
    (n, max_eq, outputs, wrt) and ``differentiable`` (n, max_eq)."""
    check_lam(method, lam)
    try:
        return dict(
            _core.derivatives(columns_in_order(columns), list(wrt), check_threads(threads), method, float(lam), max_eq)
        )
    except ParameterError as err:
        raise public_error(err) from None


def empty_outputs(n: int, max_eq: int, outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Uninitialised output arrays for ``n`` points and ``max_eq`` slots, made from the schema
    (for ``out=``: the engine writes every element), for every output or those named."""
    return {
        name: np.empty((n, max_eq) if per_eq else (n,), dtype=dtype)
        for name, dtype, per_eq, _ in OUTPUT_SCHEMA
        if outputs is None or name in outputs
    }
