"""Sweep geometry and designs: how a cube is cut into blocks (one per Zarr chunk and Dask task)
and the parameter values of each block's points (grid axes, or a sampled / listed design)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .spec import SweepSpec

__all__ = ["block_grid", "block_count", "block_slices", "sampled_design", "block_params"]


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


def sampled_design(spec: SweepSpec) -> dict[str, np.ndarray]:
    """Parameter values of every point of an lhs / sobol / list design (written in the template)."""
    if spec.design == "list":
        return {name: np.asarray(v, dtype=float) for name, v in spec.points}
    n, d = int(spec.n_points or 0), len(spec.ranges)
    rng = np.random.default_rng(spec.seed)
    if spec.design == "lhs":
        unit = np.empty((n, d))
        for j in range(d):
            unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
    else:
        from scipy.stats import qmc

        with warnings.catch_warnings():  # said once, in our words, when the spec was read
            warnings.filterwarnings("ignore", message=".*balance properties of Sobol", category=UserWarning)
            unit = qmc.Sobol(d, scramble=True, seed=spec.seed).random(n)
    out = {}
    for j, (name, kind, lo, hi) in enumerate(spec.ranges):
        if kind == "uniform":
            out[name] = lo + unit[:, j] * (hi - lo)
        else:
            out[name] = np.exp(np.log(lo) + unit[:, j] * (np.log(hi) - np.log(lo)))
    return out


def block_params(spec: SweepSpec, region: tuple[slice, ...], group: Any) -> tuple[dict[str, np.ndarray], int]:
    if spec.design == "grid":
        axes = [np.asarray(v, dtype=float)[s] for (_, v), s in zip(spec.axes, region, strict=True)]
        mesh = np.meshgrid(*axes, indexing="ij")
        swept = {name: m.ravel() for (name, _), m in zip(spec.axes, mesh, strict=True)}
        return swept, int(np.prod([len(a) for a in axes]))
    (s,) = region
    swept = {name: np.asarray(group[name][s], dtype=float) for name in spec.swept}  # coordinates
    return swept, s.stop - s.start
