"""The labelled layer: :func:`solve` takes parameters as numbers, arrays or DataArrays,
broadcasts them like xarray, solves the flat points with any method and returns a labelled
``xarray.Dataset`` whose every variable carries the schema's attributes and whose provenance
is stamped once (:mod:`allysweep.provenance`)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .engine import native
from .engine.flat import DEFAULT_LAM, solve_flat, to_columns
from .engine.schema import DIFFERENTIABLE_ATTRS, OUTPUTS, derivative_attrs
from .exceptions import ParameterError
from .model.distributions import Distribution, check_family, parse_distribution
from .model.parameters import DEFAULTS, PARAMETERS, SCALAR_PARAMETERS, coordinate_attrs, dependent_defaults
from .provenance import provenance_attrs

__all__ = ["solve", "selected", "qre_path", "collect_inputs", "to_dataset", "KIND_LABELS"]


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


def as_distribution(name: str, value: Any) -> Any:
    """A distribution given as the CLI / spec string (``"uniform:0,1"``) parsed; anything else
    as it is (``None`` stays ``None``: the default)."""
    if isinstance(value, str):
        return parse_distribution(name, value)
    return value


def _point_where(index: int, dims: tuple[str, ...], shape: tuple[int, ...], inputs: Mapping[str, xr.DataArray]) -> str:
    """The coordinates of flat point ``index`` of a broadcast batch: ``k = -0.5, r = 0.1``, or
    ``point index 2`` along a dimension without coordinate values."""
    labels: dict[str, np.ndarray] = {}
    for da in inputs.values():
        for d in da.dims:
            if d in da.coords and d not in labels:
                labels[d] = np.asarray(da.coords[d].values)
    parts = []
    for d, i in zip(dims, np.unravel_index(index, shape), strict=True):
        value = labels[d][int(i)] if d in labels else None
        parts.append(f"{d} = {value:g}" if isinstance(value, numbers.Real) else f"{d} index {int(i)}")
    return ", ".join(parts)


def collect_inputs(params: Mapping[str, Any]) -> dict[str, xr.DataArray]:
    """Fill defaults (MODEL.md §10) and turn every parameter into a named DataArray.

    Distribution fields become ``theta_<field>`` and ``cost_c_<field>``. Unknown names raise
    :class:`ParameterError`.
    """
    unknown = [name for name in params if name not in PARAMETERS and name != "range_cost"]
    if unknown:
        raise ParameterError(unknown[0], params[unknown[0]], "a model parameter: " + ", ".join(PARAMETERS))
    values: dict[str, Any] = {name: params.get(name) for name in PARAMETERS}
    for dist_name in ("theta", "cost_c"):
        values[dist_name] = as_distribution(dist_name, values[dist_name])
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
    derivatives: Sequence[str] | None = None,
    **unknown: Any,
) -> xr.Dataset:
    """Every equilibrium of the alliance model at one point or over broadcast arrays of points.

    Parameters
    ----------
    theta : Uniform, TwoPoint or str, default Uniform(0, 1)
        The ally's private type distribution F; also as the CLI / spec string
        (``"uniform:0,1"``, ``"two_point:0.2,0.4,0.5"``).
    cost_c : Uniform, Logistic, Normal or str, default Uniform(0, 1)
        The challenger's private war-cost distribution G (``"logistic:0.5,0.1"`` ...).
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
    derivatives : sequence of str, optional
        Parameters to differentiate along (``["k", "r"]``; scalar parameters and distribution
        fields such as ``cost_c_scale``). Adds, for each output of
        :data:`allysweep.engine.native.DERIVATIVE_OUTPUTS`, a variable ``d_<output>`` with an
        extra dimension ``wrt`` (``ds.d_cutpoint.sel(wrt="k")``): exact partial derivatives by
        the implicit function theorem (docs/MODEL.md §14.4), every other parameter held fixed,
        NaN where the equilibrium is not differentiable (``differentiable`` is False there).

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
    >>> float(asw.selected(ds).cutpoint)    # doctest: +ELLIPSIS
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
    theta, cost_c = as_distribution("theta", theta), as_distribution("cost_c", cost_c)
    params.update(theta=theta, cost_c=cost_c)
    inputs = collect_inputs(params)
    theta_d = check_family("theta", theta if theta is not None else DEFAULTS["theta"])
    cost_d = check_family("cost_c", cost_c if cost_c is not None else DEFAULTS["cost_c"])
    broadcast = xr.broadcast(*inputs.values())
    dims = broadcast[0].dims
    shape = broadcast[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    flat = {name: da.transpose(*dims).values.ravel() for name, da in zip(inputs, broadcast, strict=True)}
    try:
        result = _solve_all_slots(to_columns(theta_d, cost_d, flat, n), method=method, threads=threads, lam=lam)
    except ParameterError as err:
        base = err.name.split(".")[0]
        default = (base in PARAMETERS or base == "range_cost") and params.get(base) is None
        # A single point: "at point 0" would only be noise; in a batch, say where the point is.
        index = err.index if dims else None
        where = _point_where(index, dims, shape, inputs) if index is not None else None
        raise ParameterError(err.name, err.value, err.domain, index, default=default, where=where) from None
    ds = to_dataset(result, dims, shape, inputs)
    if derivatives is not None:
        columns = to_columns(theta_d, cost_d, flat, n)
        add_derivatives(ds, columns, derivatives, theta_d, cost_d, dims, shape, method, threads, lam)
    ds.attrs.update(
        provenance_attrs(
            "Equilibria of the costly-signalling alliance model",
            method,
            f"allysweep.solve(method={method!r})",
            theta_family=theta_d.family,
            cost_c_family=cost_d.family,
            lam=(DEFAULT_LAM if lam is None else float(lam)) if method == "qre" else None,
        )
    )
    return ds


def wrt_columns(names: Sequence[str], theta: Distribution, cost_c: Distribution) -> list[str]:
    """The engine columns of parameters to differentiate along: a scalar parameter is its own
    column, a distribution field (``theta_lo``, ``cost_c_scale``) the slot of its family."""
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise ParameterError("derivatives", names, "a list of parameter names, e.g. ['k', 'r']")
    slots = {f"theta_{f}": c for f, c in zip(theta.values(), ("theta_a", "theta_b", "theta_c"), strict=False)}
    slots.update({f"cost_c_{f}": c for f, c in zip(cost_c.values(), ("cost_a", "cost_b"), strict=False)})
    allowed = [*SCALAR_PARAMETERS, *slots]
    out = []
    for name in names:
        if name in SCALAR_PARAMETERS:
            out.append(name)
        elif name in slots:
            out.append(slots[name])
        else:
            raise ParameterError("derivatives", name, "one of " + ", ".join(allowed))
    if len(set(names)) != len(names):
        raise ParameterError("derivatives", list(names), "each name once")
    return out


def add_derivatives(
    ds: xr.Dataset,
    columns: dict[str, np.ndarray],
    names: Sequence[str],
    theta: Distribution,
    cost_c: Distribution,
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    method: str,
    threads: int,
    lam: float | None,
) -> None:
    """Add ``d_<output>`` (dims + ``eq`` + ``wrt``) and ``differentiable`` to a solved dataset."""
    if method not in native.ENGINE_METHODS:
        raise ParameterError("method", method, "an engine method with derivatives: " + ", ".join(native.ENGINE_METHODS))
    cols = wrt_columns(names, theta, cost_c)
    slots = ds.sizes["eq"]
    got = native.derivatives(columns, cols, method, threads, DEFAULT_LAM if lam is None else lam, slots)
    values = np.asarray(got["values"]).reshape(*shape, slots, len(native.DERIVATIVE_OUTPUTS), len(cols))
    ds.coords["wrt"] = ("wrt", list(names), WRT_ATTRS)
    for o, name in enumerate(native.DERIVATIVE_OUTPUTS):
        ds[f"d_{name}"] = ((*dims, "eq", "wrt"), values[..., o, :], derivative_attrs(name))
    ds["differentiable"] = (
        (*dims, "eq"),
        np.asarray(got["differentiable"]).reshape(*shape, slots),
        dict(DIFFERENTIABLE_ATTRS),
    )


#: Attributes of the ``wrt`` coordinate of derivatives.
WRT_ATTRS = {"long_name": "parameter differentiated along"}


#: Equilibrium slots of the first pass of :func:`solve`: points with more are solved again with
#: all slots, so the common case needs half the memory.
FIRST_SLOTS = 4


def _solve_all_slots(columns: dict[str, np.ndarray], **kw: Any) -> dict[str, np.ndarray]:
    """Every equilibrium of every point, in two passes: all points with :data:`FIRST_SLOTS`
    slots, then again with all slots only the points that had more equilibria (status bit 1).
    The result has as many slots as the most equilibria found (at least FIRST_SLOTS)."""
    result = solve_flat(columns, max_eq=FIRST_SLOTS, **kw)
    over = (np.asarray(result["status"]) & 1) != 0
    if not over.any():
        return result
    again = solve_flat({k: np.asarray(v)[over] for k, v in columns.items()}, max_eq=native.MAX_EQ, **kw)
    slots = max(FIRST_SLOTS, int(np.asarray(again["n_eq"]).max()))
    merged: dict[str, np.ndarray] = {}
    for name, output in OUTPUTS.items():
        values = np.asarray(result[name])
        if output.per_equilibrium:
            wide = np.full((values.shape[0], slots), output.fill, dtype=values.dtype)
            wide[:, :FIRST_SLOTS] = values
            wide[over] = np.asarray(again[name])[:, :slots]
            merged[name] = wide
        else:
            merged[name] = values.copy()
            merged[name][over] = np.asarray(again[name])
    return merged


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
    theta, cost_c = as_distribution("theta", theta), as_distribution("cost_c", cost_c)
    inputs = collect_inputs({"theta": theta, "cost_c": cost_c, **params})
    if any(da.ndim for da in inputs.values()):
        raise ParameterError("params", "arrays", "scalars: qre_path follows one point")
    theta_d = check_family("theta", theta if theta is not None else DEFAULTS["theta"])
    cost_d = check_family("cost_c", cost_c if cost_c is not None else DEFAULTS["cost_c"])
    flat = {name: np.atleast_1d(np.asarray(da.values, dtype=np.float64)) for name, da in inputs.items()}
    return native.qre_path(to_columns(theta_d, cost_d, flat, 1), DEFAULT_LAM if lam is None else float(lam))


def to_dataset(
    result: Mapping[str, np.ndarray],
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    coords: Mapping[str, xr.DataArray] | None = None,
    n_slots: int | None = None,
) -> xr.Dataset:
    """Label flat solver output: per-point variables over ``dims``, per-equilibrium ones over
    ``dims + ("eq",)``. ``n_slots`` fixes the length of ``eq`` (default: the most equilibria
    found, at least 1).

    No output array is copied: each variable is a reshaped view of the solver's array (the
    per-equilibrium ones a view of the first ``n_slots`` slots), and the dataset is built in
    one step, so it is aligned once.
    """
    n_eq = np.asarray(result["n_eq"])
    if n_slots is None:
        n_slots = max(int(n_eq.max(initial=0)), 1)
    data_vars: dict[str, Any] = {}
    for name, output in OUTPUTS.items():
        values = np.asarray(result[name])
        if output.per_equilibrium:
            data_vars[name] = ((*dims, "eq"), values.reshape(*shape, values.shape[-1])[..., :n_slots], output.attrs)
        else:
            data_vars[name] = (dims, values.reshape(shape), output.attrs)
    all_coords: dict[str, Any] = {"eq": ("eq", np.arange(n_slots), {"long_name": "equilibrium slot"})}
    for name, da in (coords or {}).items():
        if set(da.dims) <= set(dims):
            all_coords[name] = (da.dims, da.values, coordinate_attrs(name))
            # The input's own labels (a named DataArray's coordinates) come along.
            for label, coord in da.coords.items():
                if label != name and label not in all_coords and set(coord.dims) <= set(dims):
                    all_coords[label] = coord.variable
    return xr.Dataset(data_vars, coords=all_coords)


#: Labels of :func:`selected`'s ``kind``: every kind name, and the two labels of points without
#: a selected equilibrium.
NO_EQUILIBRIUM = "no equilibrium"
NOT_COMPUTED = "not computed"
KIND_LABELS: tuple[str, ...] = (*native.KIND_NAMES, NO_EQUILIBRIUM, NOT_COMPUTED)


def _labels(codes: np.ndarray, n_eq: np.ndarray) -> np.ndarray:
    names = np.array([*native.KIND_NAMES, NO_EQUILIBRIUM], dtype="<U16")
    codes = np.asarray(codes).astype(np.int64)
    out = names[np.where((codes >= 0) & (codes < len(native.KIND_NAMES)), codes, len(native.KIND_NAMES))]
    return np.where(np.asarray(n_eq) < 0, NOT_COMPUTED, out).astype("<U16")


def selected(ds: xr.Dataset) -> xr.Dataset:
    """The selected equilibrium of every point: each per-equilibrium output at the one slot
    whose ``selected`` flag is set, as a per-point variable, with ``kind`` as labels.

    Parameters
    ----------
    ds : xarray.Dataset
        What :func:`solve`, :func:`allysweep.sweep` or :func:`allysweep.open_cube` return (any
        subset of their variables that has ``selected``; lazy cubes stay lazy).

    Returns
    -------
    xarray.Dataset
        The same dimensions without ``eq``. ``kind`` holds strings: a name of
        :data:`allysweep.KIND_NAMES`, ``"no equilibrium"`` where the point has none, or
        ``"not computed"`` at a point of an unfinished block of an incomplete cube;
        ``kind_code`` keeps the integer code (-1 for both). Every other per-equilibrium output
        is its value at the selected slot (NaN / False where there is none); the per-point
        outputs and all coordinates are kept as they are.

    Notes
    -----
    The result plots with hvplot directly, and stays lazy on a cube read from Zarr:
    ``import hvplot.xarray`` then
    ``asw.selected(cube).hvplot.image(x="k", y="r", z="prob_war", rasterize=True)``
    (datashader aggregates it chunk by chunk; ``docs/plotting.md``).

    Examples
    --------
    >>> import numpy as np, allysweep as asw
    >>> sel = asw.selected(asw.solve(k=0.03))          # MODEL.md §10, E2: a bluffing cutpoint
    >>> str(sel.kind.values), round(float(sel.prob_renege), 6)
    ('cutpoint_bluff', 0.113636)
    >>> ds = asw.solve(k=np.linspace(0, 0.12, 13))
    >>> shares = asw.selected(ds).kind.to_series().value_counts(normalize=True)  # regime shares
    """
    if "selected" not in ds.data_vars:
        raise ValueError("selected() needs the `selected` output (stored in every cube unless sweep.outputs omits it)")
    flag = ds["selected"]
    has = flag.any("eq")
    out: dict[str, xr.DataArray] = {}
    for name, var in ds.data_vars.items():
        if name == "selected":
            continue
        if "eq" not in var.dims:
            out[str(name)] = var
            continue
        if var.dtype == np.bool_:
            value = (var & flag).any("eq")
        elif np.issubdtype(var.dtype, np.integer):
            value = (var.astype(np.int64) * flag).sum("eq").where(has, -1).astype(var.dtype)
        else:
            value = var.where(flag).sum("eq", min_count=1)
        value.attrs = dict(var.attrs)
        out[str(name)] = value
    if "kind" in out:
        code = out.pop("kind")
        n_eq = ds["n_eq"] if "n_eq" in ds else xr.zeros_like(has, dtype=np.int64)
        labels = xr.apply_ufunc(_labels, code, n_eq, dask="parallelized", output_dtypes=["<U16"])
        labels.attrs = {
            "long_name": "kind of the selected equilibrium",
            "units": "1",
            "description": "A kind name, 'no equilibrium' (n_eq = 0) or 'not computed' (an unfinished block).",
        }
        out = {"kind": labels, "kind_code": code, **out}
    result = xr.Dataset(out, attrs=dict(ds.attrs))
    return result.drop_vars("eq", errors="ignore")
