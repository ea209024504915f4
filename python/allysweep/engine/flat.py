"""Solving flat columns: one function, :func:`solve_flat`, for every method, engine or reference.

The Rust engine's methods and the independent NumPy reference (``method="reference"``) take the
same flat columns and return the same arrays, so everything above this layer is
method-agnostic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..exceptions import ParameterError
from ..model.distributions import Distribution
from ..model.parameters import SCALAR_PARAMETERS
from . import native
from .checks import gain_increasing
from .schema import EQ_OUTPUTS, OUTPUTS

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
    outputs: Sequence[str] | None = None,
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
    outputs : sequence of str, optional
        Compute only these outputs (default: all of :data:`allysweep.engine.OUTPUTS`); the
        engine then neither computes nor writes the others, and ``out`` needs only these.

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
        return native.solve_batch(columns, method, threads, lam_value, max_eq, out, outputs)
    native.check_threads(threads)
    native.validate_batch(columns)
    flat = dict(zip(COLUMNS, native.columns_in_order(columns), strict=True))
    result = keep_slots(_solve_references(flat), max_eq)
    if outputs is not None:
        result = {name: result[name] for name in outputs}
    if out is None:
        return result
    for name, values in result.items():
        np.copyto(out[name], values)
    return out


def _solve_references(flat: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``method="reference"``: the canonical NumPy reference (MODEL.md) where A1 holds, the crisis
    reference (CRISIS.md) where it fails; two independent transcriptions of the specs. Neither
    computes the welfare and no-option outputs (docs/MODEL.md §14): they keep their fill values
    (docs/conventions.md "Welfare")."""
    from .crisis_reference import solve_crisis_reference
    from .reference import solve_reference

    n = len(flat["p"])
    a1 = flat["p"] - flat["c_d"] >= 0
    out = {name: np.full((n, MAX_EQ) if o.per_equilibrium else n, o.fill, dtype=o.dtype) for name, o in OUTPUTS.items()}
    if a1.any():
        part = {k: v[a1] for k, v in flat.items()}
        canonical = solve_reference(part)
        # The engine computes gain_increasing; the canonical reference does not.
        canonical["gain_increasing"] = gain_increasing(part, canonical)
        canonical.update(a1_crisis_outputs(part, canonical))
        for name, values in canonical.items():
            out[name][a1] = values
    if (~a1).any():
        crisis = solve_crisis_reference({k: v[~a1] for k, v in flat.items()}, max_eq=MAX_EQ)
        crisis["gain_increasing"] = np.zeros_like(crisis["stable"])  # not computed by the crisis reference
        for name, values in crisis.items():
            out[name][~a1] = values
    return out


def a1_crisis_outputs(flat: Mapping[str, np.ndarray], result: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The crisis outputs of MODEL.md equilibria: with A1 D always resists, so every challenge is
    a war (CRISIS.md §5, "With A1"): regime resist, ρ = 0, no concession, no back-down.
    ``tests/test_crisis_reference.py`` checks these identities against the crisis reference."""
    kind = np.asarray(result["kind"])
    on = {"alliance": ~np.isnan(result["belief_alliance"]), "no_alliance": ~np.isnan(result["belief_no_alliance"])}
    nan = np.full(kind.shape, np.nan)
    out: dict[str, np.ndarray] = {"pinned": np.zeros(kind.shape, dtype=bool)}
    p, c_d, c_dj = (np.asarray(flat[k])[:, None] for k in ("p", "c_d", "c_d_joint"))
    for side, p_prime in (("alliance", flat["p_alliance"]), ("no_alliance", flat["p_coalition"])):
        q = np.asarray(result[f"belief_{side}"])
        pch = np.asarray(result[f"prob_challenge_{side}"])
        where = on[side]
        out[f"crisis_regime_{side}"] = np.where(where, 0, -1).astype(np.int8)
        out[f"prob_concede_{side}"] = np.where(where & (pch > 0), 0.0, nan)
        out[f"prob_war_{side}"] = np.where(where, pch, nan)
        out[f"prob_concession_{side}"] = np.where(where, 0.0, nan)
        out[f"prob_backdown_{side}"] = np.where(where, 0.0, nan)
        out[f"immediate_deterrence_{side}"] = np.where(where & (pch > 0), 0.0, nan)
        out[f"general_deterrence_{side}"] = np.where(where, 1.0 - pch, nan)
        out[f"defender_war_value_{side}"] = np.where(
            where, q * (np.asarray(p_prime)[:, None] - c_dj) + (1 - q) * (p - c_d), nan
        )
    used = kind >= 0
    war = np.asarray(result["prob_war"])
    out["prob_challenge"] = np.where(used, war, nan)
    out["general_deterrence"] = np.where(used, 1.0 - war, nan)
    out["prob_concession"] = np.where(used, 0.0, nan)
    out["immediate_deterrence"] = np.where(used & (war > 0), 0.0, nan)
    out["prob_status_quo_kept"] = np.where(used, 1.0 - war, nan)
    out["nc_branch"] = np.zeros(kind.shape[0], dtype=bool)
    out["bluff_mass_free"] = np.asarray(flat["b_c"]) == 0
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
