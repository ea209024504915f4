"""Solving the model: numpy-level (flat columns) and xarray-level (labelled, broadcast).

The Rust engine (``method="roots"``) and the independent NumPy reference
(``method="reference"``) take the same flat columns and return the same arrays, so everything
above this module is method-agnostic.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from . import _core
from .checks import gain_increasing
from .distributions import Distribution, check_family
from .exceptions import ParameterError
from .parameters import (
    DEFAULTS,
    EQ_OUTPUTS,
    KIND_NAMES,
    PARAMETERS,
    POINT_OUTPUTS,
    SCALAR_PARAMETERS,
    dependent_defaults,
)

__all__ = ["solve", "solve_flat", "qre_path", "METHODS", "COLUMNS", "MAX_EQ", "DEFAULT_LAM", "to_columns"]

#: Input columns of the engine, in order (docs/conventions.md).
COLUMNS: tuple[str, ...] = tuple(_core.COLUMNS)
#: Slots along ``eq`` in the engine's flat output.
MAX_EQ: int = int(_core.MAX_EQ)
#: Solver variants available through ``method=``.
METHODS: tuple[str, ...] = ("roots", "closed_form", "belief_space", "qre", "reference")
#: Default precision λ of ``method="qre"``: large enough to be the λ -> ∞ limit to ~1e-8.
DEFAULT_LAM: float = float(_core.DEFAULT_LAM)


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
        1 = the calling thread only (what a Dask task wants).
    lam : float, optional
        QRE precision λ >= 0 (``method="qre"`` only; default :data:`DEFAULT_LAM`).
    max_eq : int
        Equilibrium slots per point in the output (1 to :data:`MAX_EQ`). Where more equilibria
        were found, the selected one is kept in the last slot and status bit 1 is set; ``n_eq``
        still counts them all.
    out : dict of str to numpy.ndarray, optional
        Output arrays to write into instead of allocating new ones, e.g. the result of an
        earlier call with the same N and ``max_eq``; it is returned. Reusing buffers spares the
        page faults of fresh memory, which cost about a quarter of the engine's time on large
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
    arrays = [np.ascontiguousarray(columns[c], dtype=np.float64).ravel() for c in COLUMNS]
    if method != "reference":  # lam was refused above for every method but qre
        lam_value = DEFAULT_LAM if lam is None else float(lam)
        return _core.solve_batch(arrays, threads, method, lam_value, max_eq, out)
    _core.validate_batch(arrays)
    from .reference import solve_reference

    flat = dict(zip(COLUMNS, arrays, strict=True))
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


def _as_dataarray(name: str, value: Any) -> xr.DataArray:
    """A parameter value (number, array or DataArray) as a float DataArray."""
    if isinstance(value, xr.DataArray):
        if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.bool_):
            raise ParameterError(name, f"DataArray of {value.dtype}", "real numbers")
        return value.astype(np.float64).rename(name)
    if isinstance(value, bool) or isinstance(value, str | bytes | Distribution):
        raise ParameterError(name, value, f"a real number ({_domain(name)})")
    if isinstance(value, numbers.Real):
        return xr.DataArray(float(value), name=name)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, value, f"a real number or array of them ({_domain(name)})") from None
    if arr.ndim == 0:
        return xr.DataArray(float(arr), name=name)
    if arr.ndim == 1:
        return xr.DataArray(arr, dims=[name], coords={name: arr}, name=name)
    return xr.DataArray(arr, dims=[f"{name}_dim_{i}" for i in range(arr.ndim)], name=name)


def _domain(name: str) -> str:
    base = name.split("_")[0] if name not in PARAMETERS else name
    param = PARAMETERS.get(name) or PARAMETERS.get(base)
    return param.domain if param else "see MODEL.md §3"


def collect_inputs(params: Mapping[str, Any]) -> dict[str, xr.DataArray]:
    """Fill defaults (MODEL.md §10) and turn every parameter into a named DataArray.

    Distribution fields become ``theta_<field>`` and ``cost_c_<field>``. Unknown names raise
    :class:`ParameterError`.
    """
    unknown = [name for name in params if name not in PARAMETERS and name != "range_cost"]
    if unknown:
        raise ParameterError(unknown[0], params[unknown[0]], "a model parameter: " + ", ".join(PARAMETERS))
    values: dict[str, Any] = {name: params.get(name) for name in PARAMETERS}
    for name, value in values.items():
        if value is None:
            values[name] = DEFAULTS[name]
    dependent = dependent_defaults({name for name, value in params.items() if value is not None})
    inputs: dict[str, xr.DataArray] = {}
    for name in SCALAR_PARAMETERS:
        rule = dependent.get(name)
        if isinstance(rule, str):
            # The same values along the same dimensions, not a dimension of its own.
            inputs[name] = inputs[rule].rename(name)
        else:
            inputs[name] = _as_dataarray(name, values[name] if rule is None else rule)
    for dist_name in ("theta", "cost_c"):
        dist = check_family(dist_name, values[dist_name])
        for field, value in dist.values().items():
            inputs[f"{dist_name}_{field}"] = _as_dataarray(f"{dist_name}_{field}", value)
    if params.get("range_cost") is not None:
        inputs["range_cost"] = _as_dataarray("range_cost", params["range_cost"])
    return inputs


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


def solve(
    theta: Distribution | None = None,
    cost_c: Distribution | None = None,
    *,
    p: Any = None,
    p_alliance: Any = None,
    p_coalition: Any = None,
    c_d: Any = None,
    c_d_joint: Any = None,
    c_c_extra: Any = None,
    c_a: Any = None,
    k: Any = None,
    r: Any = None,
    b_c: Any = None,
    range_cost: Any = None,
    method: str = "roots",
    threads: int = 0,
    lam: float | None = None,
    **unknown: Any,
) -> xr.Dataset:
    """Every equilibrium of the alliance model at one point or over broadcast arrays of points.

    Parameters
    ----------
    theta : Uniform or TwoPoint, default Uniform(0, 1)
        The ally's private type distribution F.
    cost_c : Uniform, Logistic or Normal, default Uniform(0, 1)
        The challenger's private war-cost distribution G.
    p, p_alliance, p_coalition, c_d, c_d_joint, c_c_extra, c_a, k, r, b_c : number, array or DataArray
        Model parameters (MODEL.md §3; ``allysweep solve --help`` lists meanings and domains).
        Omitted ones take the base case of MODEL.md §10; ``p_coalition`` defaults to
        ``p_alliance`` and ``c_d_joint`` to ``c_d``. A 1-D numpy array becomes a dimension named
        after the parameter; DataArrays keep their dimensions; everything broadcasts like xarray.
    range_cost : number, array or DataArray, optional
        The challenger cost at which bargaining ranges are evaluated (default: E[c]).
    method : {"roots", "closed_form", "belief_space", "qre", "reference"}
        Solver variant (see :func:`solve_flat`).
    threads : int
        Engine threads (0 = all cores).
    lam : float, optional
        QRE precision λ (``method="qre"`` only; default :data:`DEFAULT_LAM`).

    Returns
    -------
    xarray.Dataset
        Per-point ``n_eq``, ``status`` and full-information ranges; per-equilibrium variables of
        MODEL.md §8 along dimension ``eq`` (padded with NaN / kind -1 up to the most equilibria
        found). Every variable has ``long_name``, ``units`` and ``description``.

    Raises
    ------
    ParameterError
        Unknown parameter name or a value outside its domain.

    Examples
    --------
    >>> import allysweep as asw
    >>> ds = asw.solve(k=0.03)              # MODEL.md §10, case E2
    >>> float(ds.cutpoint.sel(eq=ds.selected.argmax("eq")))  # doctest: +ELLIPSIS
    0.2102564...
    """
    params: dict[str, Any] = {
        "theta": theta,
        "cost_c": cost_c,
        "p": p,
        "p_alliance": p_alliance,
        "p_coalition": p_coalition,
        "c_d": c_d,
        "c_d_joint": c_d_joint,
        "c_c_extra": c_c_extra,
        "c_a": c_a,
        "k": k,
        "r": r,
        "b_c": b_c,
        "range_cost": range_cost,
        **unknown,
    }
    inputs = collect_inputs(params)
    theta_d = check_family("theta", theta if theta is not None else DEFAULTS["theta"])
    cost_d = check_family("cost_c", cost_c if cost_c is not None else DEFAULTS["cost_c"])
    broadcast = xr.broadcast(*inputs.values())
    dims = broadcast[0].dims
    shape = broadcast[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    flat = {name: da.transpose(*dims).values.ravel() for name, da in zip(inputs, broadcast, strict=True)}
    try:
        result = solve_flat(to_columns(theta_d, cost_d, flat, n), method=method, threads=threads, lam=lam)
    except ParameterError as err:
        if dims or err.index is None:
            raise
        # A single point: "at point 0" would only be noise.
        raise ParameterError(err.name, err.value, err.domain) from None
    coords = {name: da for name, da in inputs.items()}
    ds = to_dataset(result, dims, shape, coords)
    ds.attrs.update(provenance(method, theta_d, cost_d))
    if method == "qre":
        ds.attrs["lam"] = DEFAULT_LAM if lam is None else float(lam)
    return ds


def qre_path(
    theta: Distribution | None = None, cost_c: Distribution | None = None, *, lam: float | None = None, **params: Any
) -> dict[str, np.ndarray]:
    """The logit agent QRE path of one point, from λ = 0 to ``lam`` (MODEL.md §11).

    Parameters
    ----------
    theta, cost_c : Distribution, optional
        As in :func:`solve` (scalars only: one point).
    lam : float, optional
        Where the path ends (default :data:`DEFAULT_LAM`).
    **params
        Scalar model parameters, as in :func:`solve`.

    Returns
    -------
    dict of str to numpy.ndarray
        One entry per continuation step: ``lam``, ``prob_challenge_no_alliance``,
        ``prob_challenge_alliance``, ``prob_alliance``, ``belief_alliance``,
        ``belief_no_alliance`` and ``cutpoint`` (the type indifferent under the path's
        challenge probabilities). Empty arrays if continuation broke down.
    """
    inputs = collect_inputs({"theta": theta, "cost_c": cost_c, **params})
    if any(da.ndim for da in inputs.values()):
        raise ParameterError("params", "arrays", "scalars: qre_path follows one point")
    theta_d = check_family("theta", theta if theta is not None else DEFAULTS["theta"])
    cost_d = check_family("cost_c", cost_c if cost_c is not None else DEFAULTS["cost_c"])
    flat = {name: np.atleast_1d(np.asarray(da.values, dtype=np.float64)) for name, da in inputs.items()}
    cols = to_columns(theta_d, cost_d, flat, 1)
    arrays = [np.ascontiguousarray(cols[c], dtype=np.float64).ravel() for c in COLUMNS]
    return dict(_core.qre_path(arrays, DEFAULT_LAM if lam is None else float(lam)))


def provenance(method: str, theta: Distribution, cost_c: Distribution) -> dict[str, str]:
    """Dataset attributes saying what produced the numbers."""
    from . import __version__

    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return {
        "title": "Equilibria of the costly-signalling alliance model",
        "software": f"allysweep {__version__}",
        "method": method,
        "theta_family": theta.family,
        "cost_c_family": cost_c.family,
        "conventions": "MODEL.md §8 outputs; solver conventions in docs/conventions.md",
        "history": f"{now}: allysweep.solve(method={method!r})",
    }


def to_dataset(
    result: Mapping[str, np.ndarray],
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    coords: Mapping[str, xr.DataArray] | None = None,
    n_slots: int | None = None,
) -> xr.Dataset:
    """Label flat solver output: per-point variables over ``dims``, per-equilibrium ones over
    ``dims + ("eq",)``. ``n_slots`` fixes the length of ``eq`` (default: the most equilibria
    found, at least 1)."""
    n_eq = np.asarray(result["n_eq"])
    if n_slots is None:
        n_slots = max(int(n_eq.max(initial=0)), 1)
    data_vars: dict[str, xr.DataArray] = {}
    for name, (long_name, units, description) in POINT_OUTPUTS.items():
        data_vars[name] = xr.DataArray(
            np.asarray(result[name]).reshape(shape),
            dims=dims,
            attrs={"long_name": long_name, "units": units, "description": description},
        )
    for name, (long_name, units, description) in EQ_OUTPUTS.items():
        values = np.asarray(result[name])[:, :n_slots].reshape(*shape, n_slots)
        attrs = {"long_name": long_name, "units": units, "description": description}
        if name == "kind":
            attrs["flag_values"] = list(range(len(KIND_NAMES)))
            attrs["flag_meanings"] = " ".join(KIND_NAMES)
        data_vars[name] = xr.DataArray(values, dims=(*dims, "eq"), attrs=attrs)
    ds = xr.Dataset(data_vars)
    ds = ds.assign_coords(eq=("eq", np.arange(n_slots), {"long_name": "equilibrium slot"}))
    for name, da in (coords or {}).items():
        if set(da.dims) <= set(dims):
            param = PARAMETERS.get(name)
            attrs = {"long_name": param.meaning, "units": param.units} if param else {"long_name": name}
            ds = ds.assign_coords({name: da.assign_attrs(attrs)})
    return ds
