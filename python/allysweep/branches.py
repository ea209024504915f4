"""The equilibrium correspondence along one parameter: every branch, and where branches fold.

:func:`branches` solves every equilibrium at each value of a grid of one scalar parameter (the
engine finds all of them at every value, so no branch can be lost between values). It then links
each value's equilibria to the next value's, so that each branch is one equilibrium followed as
the parameter moves. Where a stable and an unstable branch meet and vanish (a **fold**, or
saddle-node), it locates the parameter value by bisection between the two grid values on whether
the pair still exists, to a tolerance of 1e-12 relative by default (docs/MODEL.md §14.3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy.optimize import linear_sum_assignment

from .engine import KIND_NAMES
from .exceptions import ParameterError
from .labelled import solve
from .model import SCALAR_PARAMETERS
from .model.parameters import coordinate_attrs
from .provenance import provenance_attrs

__all__ = ["branches"]

#: Kinds a branch may pass between (an interior cut-point crosses t_1 from honest to bluff);
#: any other change of kind ends the branch.
_CLASS = {
    "cutpoint_honest": 0,
    "cutpoint_bluff": 0,
    "pool_no_alliance": 1,
    "pool_alliance": 2,
    "separating": 3,
    "hybrid": 4,
}
#: Kind classes interior to the type space (a branch of one keeps its stability).
_INTERIOR = (0, 4)
#: Largest move of the state (prob_alliance and D's concession probabilities) between grid
#: values, after a linear prediction, still taken as the same branch.
GATE = 0.25


@dataclass
class _Branch:
    slots: dict[int, int] = field(default_factory=dict)  # grid index -> slot in asw.solve
    stable: bool = False
    kind_class: int = 0
    states: list[tuple[int, np.ndarray]] = field(default_factory=list)

    def predict(self, step: int) -> np.ndarray:
        (i1, s1) = self.states[-1]
        if len(self.states) < 2:
            return s1
        (i0, s0) = self.states[-2]
        return s1 + (s1 - s0) * (step - i1) / (i1 - i0)


def _states(ds: xr.Dataset, step: int) -> list[tuple[int, np.ndarray, bool, int]]:
    """(slot, state, stable, kind class) of each equilibrium at one grid value."""
    out = []
    for j in range(int(ds.n_eq.values[step])):
        kind = int(ds.kind.values[step, j])
        state = np.array(
            [
                ds.prob_alliance.values[step, j],
                np.nan_to_num(ds.prob_concede_alliance.values[step, j], nan=-1.0),
                np.nan_to_num(ds.prob_concede_no_alliance.values[step, j], nan=-1.0),
            ]
        )
        out.append((j, state, bool(ds.stable.values[step, j]), _CLASS[KIND_NAMES[kind]]))
    return out


def _link(ds: xr.Dataset) -> list[_Branch]:
    """Follow every equilibrium from one grid value to the next (an assignment problem per
    step: predicted state distance; a branch keeps its kind class and its stability)."""
    done: list[_Branch] = []
    live: list[_Branch] = []
    for step in range(ds.sizes[ds.attrs["parameter"]]):
        here = _states(ds, step)
        cost = np.full((len(live), len(here)), np.inf)
        for a, br in enumerate(live):
            pred = br.predict(step)
            for b, (_, state, stable, cls) in enumerate(here):
                # Stability changes only at a fold, where the branch ends, for equilibria interior
                # to the type space (cut-points, hybrids); a pooling's changes where an interior
                # branch reaches it (an exchange of stability at the end of the type space).
                if cls == br.kind_class and (stable == br.stable or cls not in _INTERIOR):
                    cost[a, b] = float(np.abs(pred - state).sum())
        matched_live, matched_here = set(), set()
        if live and here:
            big = np.where(np.isfinite(cost), cost, 1e9)
            rows, cols = linear_sum_assignment(big)
            for a, b in zip(rows, cols, strict=True):
                if cost[a, b] <= GATE:
                    br = live[a]
                    slot, state, _, _ = here[b]
                    br.slots[step] = slot
                    br.states.append((step, state))
                    br.stable = here[b][2]
                    matched_live.add(a)
                    matched_here.add(b)
        still = []
        for a, br in enumerate(live):
            (still if a in matched_live else done).append(br)
        for b, (slot, state, stable, cls) in enumerate(here):
            if b not in matched_here:
                still.append(_Branch({step: slot}, stable, cls, [(step, state)]))
        live = still
    done.extend(live)
    done.sort(key=lambda br: (min(br.slots), br.states[0][1][0]))
    return done


def _pair_present(
    sub: xr.Dataset, cls: int, window: tuple[float, float]
) -> tuple[tuple[int, int] | None, tuple[float, float]]:
    """The slots of the stable and the unstable equilibrium of kind class ``cls`` nearest the
    middle of the window of prob_alliance at this single point (None if either is missing), and
    the span of their prob_alliance."""
    found: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for j in range(int(sub.n_eq)):
        if _CLASS[KIND_NAMES[int(sub.kind.values[j])]] != cls:
            continue
        pa = float(sub.prob_alliance.values[j])
        if window[0] <= pa <= window[1]:
            found[bool(sub.stable.values[j])].append((pa, j))
    if not (found[True] and found[False]):
        return None, window
    mid = 0.5 * (window[0] + window[1])
    a = min(found[True], key=lambda x: abs(x[0] - mid))
    b = min(found[False], key=lambda x: abs(x[0] - mid))
    return (a[1], b[1]), (min(a[0], b[0]), max(a[0], b[0]))


def _locate_fold(
    point: dict[str, Any],
    name: str,
    inner: float,
    outer: float,
    cls: int,
    span: tuple[float, float],
    slots: tuple[int, int],
    tol: float,
) -> tuple[float, xr.Dataset, tuple[int, int]]:
    """Bisect between ``inner`` (the pair exists) and ``outer`` (it does not); return the fold's
    parameter value, the point solved nearest to it on the inner side and the pair's slots there."""
    best = solve(**{**point, name: inner})
    scale = max(1.0, abs(inner), abs(outer))
    while abs(outer - inner) > tol * scale:
        mid = 0.5 * (inner + outer)
        if mid in (inner, outer):
            break
        width = span[1] - span[0]
        window = (span[0] - 2 * width - 1e-9, span[1] + 2 * width + 1e-9)
        sub = solve(**{**point, name: mid})
        pair, new_span = _pair_present(sub, cls, window)
        if pair is not None:
            inner, best, span, slots = mid, sub, new_span, pair
        else:
            outer = mid
    return 0.5 * (inner + outer), best, slots


def branches(
    name: str,
    lo: float,
    hi: float,
    *,
    n: int = 201,
    tol: float = 1e-12,
    method: str = "roots",
    **fixed: Any,
) -> xr.Dataset:
    """Follow every equilibrium branch as one parameter moves, and locate every fold.

    Parameters
    ----------
    name : str
        The scalar parameter to move (``k``, ``r``, ``c_a``, ``p``, ...; MODEL.md §3).
    lo, hi : float
        The parameter's range, ``lo < hi``; every value must lie in the parameter's domain.
    n : int, default 201
        Grid values (at least 3). Branches are reported at these values; folds are located
        between them.
    tol : float, default 1e-12
        Relative tolerance of a fold's parameter value (bisection stops when the bracket is
        below ``tol * max(1, |value|)``).
    method : str, default "roots"
        Solver variant (see :func:`allysweep.solve`).
    **fixed
        Every other parameter, as for :func:`allysweep.solve` (``theta=``, ``cost_c=``, ``k=``,
        ...): scalars only.

    Returns
    -------
    xarray.Dataset
        Dimensions ``branch`` and ``name`` (the grid). Every per-equilibrium output of
        :func:`allysweep.solve` as a ``(branch, name)`` variable (its fill value where the
        branch does not exist), ``slot`` (which ``eq`` slot of ``asw.solve`` at that value the
        branch is; -1 where it does not exist) and the per-point outputs along ``name``. Folds
        along dimension ``fold``: ``fold_value`` (the parameter at the fold),
        ``fold_stable_branch`` and ``fold_unstable_branch`` (the branches that meet there) and,
        for every per-equilibrium float output ``v``, ``fold_v`` (its value where they meet:
        the middle of the pair at the solved point nearest the fold).

    Raises
    ------
    ParameterError
        ``name`` is not a scalar parameter, ``lo``/``hi``/``n`` are not a valid range, or a
        grid value lies outside the parameter's domain.

    Examples
    --------
    >>> import allysweep as asw
    >>> bds = asw.branches("k", 0.26, 0.38, n=61, cost_c=asw.Logistic(0.45, 0.02))
    >>> [round(float(v), 9) for v in bds.fold_value.values]
    [0.32778269]
    """
    if name not in SCALAR_PARAMETERS:
        raise ParameterError("name", name, f"one of the scalar parameters {', '.join(SCALAR_PARAMETERS)}")
    for label, value in (("lo", lo), ("hi", hi)):
        if not (isinstance(value, int | float) and np.isfinite(value)):
            raise ParameterError(label, value, "a finite number")
    if not lo < hi:
        raise ParameterError("hi", hi, f"hi > lo = {lo}")
    if not (isinstance(n, int) and n >= 3):
        raise ParameterError("n", n, "an integer >= 3")
    if not (isinstance(tol, int | float) and 0 < tol < 1):
        raise ParameterError("tol", tol, "0 < tol < 1")
    if name in fixed:
        raise ParameterError(name, fixed[name], f"not also fixed: {name!r} is the parameter that moves")
    for key, value in fixed.items():
        if key not in ("theta", "cost_c", "range_cost") and np.ndim(value) != 0:
            raise ParameterError(key, value, "a scalar (branches moves one parameter only)")
    grid = np.linspace(lo, hi, n)
    ds = solve(method=method, **fixed, **{name: grid})
    ds.attrs["parameter"] = name
    found = _link(ds)

    folds = []
    for i in range(n - 1):
        # Pairs (stable, unstable) of one kind class that end at i or start at i + 1.
        for side in ("end", "start"):
            step, other = (i, i + 1) if side == "end" else (i + 1, i)
            cand = [br for br in found if step in br.slots and other not in br.slots]
            stable = [br for br in cand if br.stable]
            unstable = [br for br in cand if not br.stable]
            used: set[int] = set()
            for s in stable:
                s_pa = float(ds.prob_alliance.values[step, s.slots[step]])
                best = None
                for u in unstable:
                    if id(u) in used or u.kind_class != s.kind_class:
                        continue
                    gap = abs(float(ds.prob_alliance.values[step, u.slots[step]]) - s_pa)
                    if best is None or gap < best[0]:
                        best = (gap, u)
                if best is None:
                    continue
                u = best[1]
                used.add(id(u))
                u_pa = float(ds.prob_alliance.values[step, u.slots[step]])
                span = (min(s_pa, u_pa), max(s_pa, u_pa))
                pair = (s.slots[step], u.slots[step])
                value, sub, pair = _locate_fold(fixed, name, grid[step], grid[other], s.kind_class, span, pair, tol)
                # Where the two branches meet: the middle of the pair nearest the fold.
                at = {v: 0.5 * float(sub[v].values[pair[0]] + sub[v].values[pair[1]]) for v in _fold_vars(ds)}
                folds.append((value, found.index(s), found.index(u), at))
    folds.sort(key=lambda f: f[0])
    return _assemble(ds, found, folds, name, lo, hi, n, tol, method, fixed)


def _fold_vars(ds: xr.Dataset) -> list[str]:
    """The per-equilibrium float outputs, reported where two branches meet at a fold."""
    return [v for v, da in ds.data_vars.items() if "eq" in da.dims and da.dtype.kind == "f"]


def _assemble(
    ds: xr.Dataset,
    found: list[_Branch],
    folds: list[tuple[float, int, int, dict[str, float]]],
    name: str,
    lo: float,
    hi: float,
    n: int,
    tol: float,
    method: str,
    fixed: dict[str, Any],
) -> xr.Dataset:
    n_branch = len(found)
    slot = np.full((n_branch, n), -1, dtype=np.int64)
    for b, br in enumerate(found):
        for step, j in br.slots.items():
            slot[b, step] = j
    data: dict[str, Any] = {}
    steps = np.arange(n)
    for var, da in ds.data_vars.items():
        if "eq" not in da.dims:
            data[var] = ((name,), da.values, da.attrs)
            continue
        values = da.values  # (n, eq)
        fill = {"f": np.nan, "b": False}.get(values.dtype.kind, -1)
        out = np.full((n_branch, n), fill, dtype=values.dtype)
        have = slot >= 0
        b_idx, s_idx = np.nonzero(have)
        out[b_idx, s_idx] = values[steps[s_idx], slot[b_idx, s_idx]]
        data[var] = (("branch", name), out, da.attrs)
    data["slot"] = (
        ("branch", name),
        slot,
        {
            "long_name": "equilibrium slot in asw.solve",
            "units": "1",
            "description": "The branch's eq slot in asw.solve at this value; -1 where the branch does not exist.",
        },
    )
    units = coordinate_attrs(name).get("units", "1")
    data["fold_value"] = (
        ("fold",),
        np.array([f[0] for f in folds], dtype=float),
        {"long_name": f"{name} at the fold", "units": units},
    )
    for key, index, what in (("fold_stable_branch", 1, "stable"), ("fold_unstable_branch", 2, "unstable")):
        data[key] = (
            ("fold",),
            np.array([f[index] for f in folds], dtype=np.int64),
            {"long_name": f"the {what} branch that ends at the fold", "units": "1"},
        )
    for var in _fold_vars(ds):
        attrs = dict(ds[var].attrs)
        attrs["long_name"] = f"{attrs.get('long_name', var)}, where the two branches meet at the fold"
        data[f"fold_{var}"] = (("fold",), np.array([f[3][var] for f in folds], dtype=float), attrs)
    coords = {
        name: ((name,), ds[name].values, ds[name].attrs),
        "branch": ("branch", np.arange(n_branch), {"long_name": "equilibrium branch"}),
    }
    for c, da in ds.coords.items():
        if c not in coords and c != "eq" and da.ndim == 0:
            coords[c] = da.variable
    out = xr.Dataset(data, coords=coords)
    plain = {k: (v if isinstance(v, int | float | str) else str(v)) for k, v in fixed.items()}
    out.attrs.update(
        provenance_attrs(
            "Equilibrium branches of the costly-signalling alliance model",
            method,
            f"allysweep.branches({name!r}, {lo!r}, {hi!r}, n={n}, tol={tol!r})",
            parameter=name,
            fixed=json.dumps(plain, sort_keys=True),
            fold_tolerance=f"bisection to {tol:g} relative (docs/MODEL.md §14.3)",
        )
    )
    return out
