"""Solving flat columns: one function, :func:`solve_flat`, for every method, engine or reference.

The Rust engine's methods and the independent NumPy reference (``method="reference"``) take the
same flat columns and return the same arrays, so everything above this layer is
method-agnostic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..exceptions import ParameterError
from ..model.distributions import Distribution
from ..model.parameters import SCALAR_PARAMETERS
from . import native
from .checks import gain_increasing
from .schema import EQ_OUTPUTS

__all__ = ["solve_flat", "keep_slots", "to_columns", "METHODS", "COLUMNS", "MAX_EQ", "DEFAULT_LAM"]

COLUMNS = native.COLUMNS
MAX_EQ = native.MAX_EQ
DEFAULT_LAM = native.DEFAULT_LAM
#: Solver variants available through ``method=``: the engine's, then the NumPy reference.
METHODS: tuple[str, ...] = (*native.ENGINE_METHODS, "reference")


def solve_flat(
    columns: Mapping[str, np.ndarray],
    method: str = "roots",
    threads: int = 0,
    lam: float | None = None,
    max_eq: int = MAX_EQ,
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Solve a batch of points given as flat columns (docs/conventions.md).

    Parameters
    ----------
    columns : mapping of str to 1-D float arrays
        One entry per name in :data:`COLUMNS`, all of the same length N.
    method : {"roots", "closed_form", "belief_space", "qre", "reference"}
        ``roots``: the Rust engine, exact roots of Φ (any F, G). ``closed_form``: MODEL.md §9
        (F = U[0,1], G uniform and never clipped, p_alliance == p_coalition,
        0 <= r < c_a < p_alliance - p; other points raise :class:`ParameterError`).
        ``belief_space``: fixed points in (P_0, P_1), an independent cross-check (any F, G).
        ``qre``: the one equilibrium the logit agent QRE path reaches at precision ``lam``.
        ``reference``: the slow, independent NumPy implementation.
    threads : int
        Engine threads: 0 = the engine's pool (``RAYON_NUM_THREADS``, default all cores),
        1 = the calling thread only (what a Dask task wants), n > 1 = exactly n threads.
    lam : float, optional
        QRE precision λ >= 0 (``method="qre"`` only; default :data:`DEFAULT_LAM`).
    max_eq : int
        Equilibrium slots per point in the output (1 to :data:`MAX_EQ`). Where more equilibria
        were found, the selected one is kept in the last slot and status bit 1 is set; ``n_eq``
        still counts them all.
    out : dict of str to numpy.ndarray, optional
        Output arrays to write into instead of allocating new ones, e.g. the result of an
        earlier call with the same N and ``max_eq``; it is returned. Reusing buffers spares the
        page faults of fresh memory, a large share of the engine's time on large
        batches. If the call raises, their contents are unspecified.

    Returns
    -------
    dict of str to numpy.ndarray
        Per-point arrays of shape (N,) and per-equilibrium arrays of shape (N, max_eq).

    Raises
    ------
    ParameterError
        A value outside the model's domain; the message names the parameter, value, domain
        and the first offending point.
    """
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"missing input columns: {', '.join(missing)}")
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise ParameterError(unknown[0], columns[unknown[0]], "one of: " + ", ".join(COLUMNS))
    if method not in METHODS:
        raise ParameterError("method", method, "one of: " + ", ".join(METHODS))
    if lam is not None and method != "qre":
        raise ParameterError("lam", lam, "only used with method='qre'")
    if not (isinstance(max_eq, int) and 1 <= max_eq <= MAX_EQ):
        raise ParameterError("max_eq", max_eq, f"a whole number 1 <= max_eq <= {MAX_EQ}")
    if method != "reference":  # lam was refused above for every method but qre
        lam_value = DEFAULT_LAM if lam is None else float(lam)
        return native.solve_batch(columns, method, threads, lam_value, max_eq, out)
    native.check_threads(threads)
    native.validate_batch(columns)
    from .reference import solve_reference

    flat = dict(zip(COLUMNS, native.columns_in_order(columns), strict=True))
    result = keep_slots(solve_reference(flat), max_eq)
    # The engine computes gain_increasing; the NumPy reference does not.
    result["gain_increasing"] = gain_increasing(flat, result)
    if out is None:
        return result
    for name, values in result.items():
        np.copyto(out[name], values)
    return out


def keep_slots(result: dict[str, np.ndarray], max_eq: int) -> dict[str, np.ndarray]:
    """Keep ``max_eq`` equilibrium slots per point (what the engine does natively): where more
    equilibria were found, keep the selected one in the last slot and set status bit 1."""
    n_eq = np.asarray(result["n_eq"])
    out = dict(result)
    n = n_eq.shape[0]
    idx = np.broadcast_to(np.arange(max_eq), (n, max_eq)).copy()
    over = n_eq > max_eq
    sel = np.argmax(np.asarray(result["selected"]), axis=1)
    move = over & (sel >= max_eq)
    idx[move, max_eq - 1] = sel[move]
    for name in EQ_OUTPUTS:
        if name in result:
            out[name] = np.take_along_axis(np.asarray(result[name]), idx, axis=1)
    out["status"] = np.where(over, np.asarray(result["status"]) | 1, result["status"])
    return out


def to_columns(
    theta: Distribution, cost_c: Distribution, flat: Mapping[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    """Flat engine columns from flattened parameter arrays and the two distribution families."""
    theta_fields = [f"theta_{f}" for f in theta.values()]
    cost_fields = [f"cost_c_{f}" for f in cost_c.values()]
    nan = np.full(n, np.nan)
    cols = {name: flat[name] for name in SCALAR_PARAMETERS}
    cols["theta_kind"] = np.full(n, float(theta.code))
    for slot, field in zip(("theta_a", "theta_b", "theta_c"), theta_fields + [None] * 3, strict=False):
        cols[slot] = flat[field] if field else nan
    cols["cost_kind"] = np.full(n, float(cost_c.code))
    cols["cost_a"], cols["cost_b"] = flat[cost_fields[0]], flat[cost_fields[1]]
    cols["range_cost"] = flat.get("range_cost", nan)
    return cols
