"""Sweep geometry and designs: how a cube is cut into blocks (one per Zarr chunk and Dask task)
and the parameter values of each block's points (grid axes, or a sampled / listed design)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .spec import SweepSpec

__all__ = [
    "block_grid",
    "block_count",
    "block_slices",
    "sampled_design",
    "unit_design",
    "from_unit",
    "factor_values",
    "block_params",
]


def block_grid(spec: SweepSpec) -> tuple[int, ...]:
    """Number of blocks along each dimension."""
    return tuple(-(-n // c) for n, c in zip(spec.shape, spec.chunks(), strict=True))


def block_count(spec: SweepSpec) -> int:
    """Number of blocks (= Zarr chunks = Dask tasks) of the sweep."""
    return int(np.prod(block_grid(spec), dtype=np.int64))


def block_slices(spec: SweepSpec, index: int) -> tuple[slice, ...]:
    """The region (one slice per dimension) of block ``index`` (C order over the block grid)."""
    pos = np.unravel_index(index, block_grid(spec))
    return tuple(
        slice(int(p) * c, min((int(p) + 1) * c, n)) for p, c, n in zip(pos, spec.chunks(), spec.shape, strict=True)
    )


def unit_design(spec: SweepSpec) -> np.ndarray:
    """The design in the unit hypercube, shape (points, factors), factors in the order of
    :attr:`SweepSpec.factors` (ranges, then the offsets of dependent ranges)."""
    n, d = int(spec.n_points or 0), len(spec.factors)
    if spec.design in ("saltelli", "morris"):
        problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
        if spec.design == "saltelli":
            from SALib.sample import sobol as saltelli

            return saltelli.sample(
                problem, int(spec.n_base or 0), calc_second_order=spec.second_order, scramble=True, seed=spec.seed
            )
        from SALib.sample import morris

        return morris.sample(problem, int(spec.n_trajectories or 0), num_levels=spec.levels, seed=spec.seed)
    rng = np.random.default_rng(spec.seed)
    if spec.design == "lhs":
        unit = np.empty((n, d))
        for j in range(d):
            unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
        return unit
    from scipy.stats import qmc

    with warnings.catch_warnings():  # said once, in our words, when the spec was read
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol", category=UserWarning)
        return qmc.Sobol(d, scramble=True, seed=spec.seed).random(n)


def from_unit(spec: SweepSpec, unit: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values of the points of a unit-hypercube design (one column per factor):
    each range mapped onto [lo, hi] (uniformly or log-uniformly, clipped so rounding never
    leaves it), then each dependent range as its base plus or minus its mapped offset."""
    unit = np.asarray(unit, dtype=float)
    values = []
    for j, (_, kind, lo, hi) in enumerate(spec.factors):
        if kind == "uniform":
            x = lo + unit[:, j] * (hi - lo)
        else:
            x = np.exp(np.log(lo) + unit[:, j] * (np.log(hi) - np.log(lo)))
        values.append(np.clip(x, lo, hi))
    n_ranges = len(spec.ranges)
    out = {name: values[j] for j, (name, *_) in enumerate(spec.ranges)}
    if spec.dependents:
        offsets = {name: values[n_ranges + j] for j, (name, *_) in enumerate(spec.dependents)}
        out = spec.with_dependents(out, offsets, unit.shape[0])
    return out


def factor_values(spec: SweepSpec, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """The independent factors (:attr:`SweepSpec.factors`) of points given by their parameter
    values: a range is its value, a dependent range its offset from the base. Shape (points,
    factors); the inverse of :func:`from_unit` before the mapping onto the unit cube."""
    n = len(next(iter(values.values())))
    named = spec.named_values({k: np.asarray(v, dtype=float) for k, v in values.items()}, n)
    columns = [np.asarray(values[name], dtype=float) for name, *_ in spec.ranges]
    for name, rel, base, *_ in spec.dependents:
        diff = named[name] - named[base]
        columns.append(diff if rel == "above" else -diff)
    return np.stack(columns, axis=1) if columns else np.empty((n, 0))


def sampled_design(spec: SweepSpec) -> dict[str, np.ndarray]:
    """Parameter values of every point of a sampled or list design (written in the template)."""
    if spec.design == "list":
        return {name: np.asarray(v, dtype=float) for name, v in spec.points}
    return from_unit(spec, unit_design(spec))


def block_params(spec: SweepSpec, region: tuple[slice, ...], group: Any) -> tuple[dict[str, np.ndarray], int]:
    if spec.design == "grid":
        axes = [np.asarray(v, dtype=float)[s] for (_, v), s in zip(spec.axes, region, strict=True)]
        mesh = np.meshgrid(*axes, indexing="ij")
        swept = {name: m.ravel() for (name, _), m in zip(spec.axes, mesh, strict=True)}
        return swept, int(np.prod([len(a) for a in axes]))
    (s,) = region
    swept = {name: np.asarray(group[name][s], dtype=float) for name in spec.swept}  # coordinates
    return swept, s.stop - s.start
