"""Adaptive sweeps (``design = "adaptive"``): :func:`adaptive` in process, and on Dask,
persisted level by level in Zarr, resumable (:func:`adaptive_sweep`, what :func:`allysweep.sweep`
runs for such a specification). The tree itself is :mod:`allysweep.adaptive`.

Each refinement level is one batch of block tasks: the level's new points are cut into blocks of
at most ``chunk_points``, each block solved on a worker by :func:`label_block` (one engine
thread), the labels gathered back. The tree lives in the driver (14 bytes per node, solved or
inferred: int64 index, int32 label while the codes fit, level, flag; plus
the cells); the workers hold one block at a time, so memory stays bounded by the block size as
in every sweep.

Store layout (a Zarr group at the specification's store):

- ``_adaptive/init_points`` and ``init_labels``: the coarse grid (node indices, labels);
- per finished level l: ``_adaptive/level_<l>/cells`` and ``cell_labels`` (the level's cells
  and their corners' common label or -1), ``new_points``, ``new_labels`` and ``new_inferred``
  (the points the level's refinement added, and which of their labels were inferred from an
  agreeing face rather than solved), ``checked_points`` and ``checked_labels`` (inferred
  points of earlier levels solved when this level was evaluated, and their solved labels:
  loading applies them), ``pending`` (the cells of level l + 1);
- the ``_adaptive`` group's attribute ``finished_levels``, set after a level's arrays are
  written: resume trusts it, so a level killed half-written is simply computed again;
- ``cube``: the finished cube (:func:`allysweep.adaptive.to_cube`), written last with the
  boundary points (the bisection runs after the last level and is redone if interrupted).

The refinement is deterministic, so a resumed run gives the same cube as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..adaptive import (
    LABEL_DEFAULT,
    LabelTerm,
    Lattice,
    Tree,
    bisect_boundaries,
    label_codes,
    label_outputs,
    node_labeller,
    parse_label,
    refine,
    to_cube,
)
from ..engine import solve_flat
from ..exceptions import StoreError
from .spec import HASH_ATTR, SPEC_ATTR, SweepSpec

__all__ = [
    "adaptive",
    "adaptive_spec",
    "adaptive_sweep",
    "open_adaptive",
    "label_block",
    "load_tree",
    "spec_labeller",
    "spec_lattice",
    "run_in_process",
]

GROUP = "_adaptive"
CUBE_GROUP = "cube"


def spec_labeller(spec: SweepSpec, terms: Sequence[LabelTerm], threads: int = 0, batch: int = 1 << 18) -> Callable:
    """A function (points, d) parameter values -> labels, solving with ``spec``'s method and
    fixed parameters in batches of at most ``batch`` points (bounded memory)."""
    names = [name for name, _ in spec.axes]
    outputs = label_outputs(terms)

    def label_points(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.empty(len(x), dtype=np.int64)
        for start in range(0, len(x), batch):
            part = x[start : start + batch]
            swept = {name: part[:, j] for j, name in enumerate(names)}
            columns = spec.columns(swept, len(part))
            result = solve_flat(columns, method=spec.method, threads=threads, max_eq=spec.max_eq, outputs=outputs)
            out[start : start + len(part)] = label_codes(terms, result)
        return out

    return label_points


def adaptive_spec(
    params: Mapping[str, Any], coarse: int, label: str, min_level: int, infer: bool = True, **sweep: Any
) -> Any:
    """A validated ``design = "adaptive"`` :class:`~allysweep.sweeps.SweepSpec` from Python
    arguments: a swept parameter is ``(lo, hi, n)`` or ``{"linspace": [lo, hi, n]}``."""
    table: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, tuple) and len(value) == 3:
            table[name] = {"linspace": [float(value[0]), float(value[1]), int(value[2])]}
        elif hasattr(value, "to_string"):
            table[name] = value.to_string()
        else:
            table[name] = value
    body = {"design": "adaptive", "coarse": coarse, "label": label, "min_level": min_level, "infer": infer, **sweep}
    return SweepSpec.from_dict({"sweep": body, "params": table}, source="asw.adaptive")


def adaptive(
    *,
    coarse: int = 17,
    label: str = LABEL_DEFAULT,
    min_level: int = 0,
    infer: bool = True,
    boundaries: bool = True,
    tol: float = 1e-9,
    method: str = "roots",
    threads: int = 0,
    max_eq: int = 4,
    **params: Any,
) -> xr.Dataset:
    """A boundary-adaptive regime map, computed in this process.

    Parameters
    ----------
    coarse : int
        Points per axis of the starting grid (2^c + 1).
    label : str
        What the map shows (:func:`parse_label`); default: the selected equilibrium's kind and
        ``n_eq`` together (``"kind,n_eq"``).
    min_level : int
        Split every cell down to this level (0: the coarse grid) whatever its corners say.
    infer : bool
        Face inference (:func:`allysweep.adaptive.refine`): a new node on an agreeing face of a
        split cell takes the face's label without a solve (flagged in the cube's ``inferred``).
        ``False``: every node of the tree is solved.
    boundaries : bool
        Bisect every finest edge whose ends disagree to ``tol`` and keep the boundary points.
    tol : float
        Bisection tolerance on the parameter.
    method : str
        Solver variant (as in :func:`allysweep.solve`).
    threads : int
        Engine threads (0: all cores).
    max_eq : int
        Equilibrium slots kept per point by the solver (``n_eq`` counts all).
    **params
        Model parameters: 2 to 6 swept, each ``(lo, hi, n)`` with the same finest resolution
        n = 2^m + 1 (points per axis), the others fixed (numbers, distributions).

    Returns
    -------
    xarray.Dataset
        The cube: dimension ``point`` (every solved node: the swept parameters, ``level`` and
        ``lattice``, ``inferred`` as coordinates, ``label`` as data), ``cell`` (the tree: ``cell_level``,
        ``cell_lattice``, ``cell_label``), ``boundary`` (``boundary_<param>``,
        ``boundary_axis``, ``label_below``, ``label_above``); attributes name the labels
        (``label_names``) and record the axes, the settings and the solver calls.

    Examples
    --------
    >>> import allysweep as asw
    >>> cube = asw.adaptive(k=(0.0, 0.15, 65), r=(0.035, 0.14, 65), coarse=9)
    >>> int(cube.sizes["point"]) < 65 * 65
    True
    """
    spec = adaptive_spec(params, coarse, label, min_level, infer, method=method, max_eq=max_eq)
    return run_in_process(spec, boundaries=boundaries, tol=tol, threads=threads)


def spec_lattice(spec: Any) -> tuple[Lattice, list[np.ndarray]]:
    """The lattice and the finest axis values of an adaptive specification."""
    values = [np.asarray(v, dtype=float) for _, v in spec.axes]
    return Lattice(len(values[0]), spec.coarse, len(values)), values


def run_in_process(spec: Any, boundaries: bool = True, tol: float = 1e-9, threads: int = 0) -> xr.Dataset:
    """Run an adaptive specification in this process and return its cube."""
    terms = parse_label(spec.label)
    lattice, values = spec_lattice(spec)
    label_points = spec_labeller(spec, terms, threads=threads)
    t0 = time.perf_counter()
    tree = refine(lattice, node_labeller(lattice, values, label_points), min_level=spec.min_level, infer=spec.infer)
    t1 = time.perf_counter()
    found = bisect_boundaries(tree, values, label_points, tol) if boundaries else None
    t2 = time.perf_counter()
    timing = {"refine_seconds": t1 - t0, "boundary_seconds": t2 - t1}
    return to_cube(tree, [n for n, _ in spec.axes], values, terms, found, spec=spec, **timing)


def label_block(spec: SweepSpec, x: np.ndarray) -> np.ndarray:
    """Labels of one block of points (parameter values, shape (points, swept)); runs on a worker
    with one engine thread."""
    terms = parse_label(spec.label)
    names = [name for name, _ in spec.axes]
    swept = {name: x[:, j] for j, name in enumerate(names)}
    result = solve_flat(
        spec.columns(swept, len(x)), method=spec.method, threads=1, max_eq=spec.max_eq, outputs=label_outputs(terms)
    )
    return label_codes(terms, result)


def _dask_labeller(client: Any, spec: SweepSpec, counts: dict[str, int]) -> Any:
    """Parameter values -> labels, one Dask task per block of ``chunk_points``."""

    def label_points(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if not len(x):
            return np.empty(0, np.int64)
        blocks = [x[i : i + spec.chunk_points] for i in range(0, len(x), spec.chunk_points)]
        futures = client.map(label_block, [spec] * len(blocks), blocks, pure=False)
        counts["tasks"] += len(blocks)
        try:
            return np.concatenate(client.gather(futures))
        except BaseException:
            client.cancel(futures)
            raise

    return label_points


def _write(group: Any, name: str, values: np.ndarray) -> None:
    values = np.ascontiguousarray(values)
    arr = group.create_array(name, shape=values.shape, dtype=values.dtype, overwrite=True)
    if values.size:
        arr[...] = values


def _persist(store: str, tree: Tree, done: list[int]) -> None:
    """Write what ``tree`` finished since the last call (the coarse grid, then each level),
    ``finished_levels`` last."""
    import zarr

    root = zarr.open_group(store, mode="r+")
    group = root[GROUP]
    if not done:
        init = tree.point_level == 0
        _write(group, "init_points", tree.keys[init])
        _write(group, "init_labels", tree.labels[init])
        done.append(0)
        group.attrs["init_done"] = True
    finished = int(group.attrs.get("finished_levels", 0))
    for level in range(finished, tree.level):
        sub = group.require_group(f"level_{level}")
        cells, labels = tree.cells[level]
        new = tree.point_level == level + 1
        _write(sub, "cells", cells)
        _write(sub, "cell_labels", labels)
        _write(sub, "new_points", tree.keys[new])
        _write(sub, "new_labels", tree.labels[new])
        _write(sub, "new_inferred", tree.inferred[new])
        _write(sub, "checked_points", tree.checked[level][0])
        _write(sub, "checked_labels", tree.checked[level][1])
        _write(sub, "pending", tree.pending if tree.pending is not None else np.empty(0, np.int64))
        group.attrs["finished_levels"] = level + 1
        _test_kill(level + 1)


def _test_kill(finished: int) -> None:
    """Testing hook: ``ALLYSWEEP_TEST_ADAPTIVE_KILL_AFTER=L`` SIGKILLs this process once L levels
    are persisted (tests/test_adaptive.py checks that resuming gives the uninterrupted cube)."""
    want = os.environ.get("ALLYSWEEP_TEST_ADAPTIVE_KILL_AFTER")
    if want and int(want) == finished:
        os.kill(os.getpid(), signal.SIGKILL)


def load_tree(spec: SweepSpec, store: str) -> Tree | None:
    """The tree persisted in ``store`` (its finished levels), or ``None`` if not even the coarse
    grid was persisted."""
    import zarr

    group = zarr.open_group(store, mode="r")[GROUP]
    if not group.attrs.get("init_done"):
        return None
    lattice, _ = spec_lattice(spec)
    finished = int(group.attrs.get("finished_levels", 0))
    keys = [np.asarray(group["init_points"][...])]
    labels = [np.asarray(group["init_labels"][...])]
    levels = [np.zeros(len(keys[0]), np.int8)]
    inferred = [np.zeros(len(keys[0]), bool)]
    cells, checked = [], []
    pending = lattice.coarse_cells()
    for level in range(finished):
        sub = group[f"level_{level}"]
        cells.append((np.asarray(sub["cells"][...]), np.asarray(sub["cell_labels"][...])))
        keys.append(np.asarray(sub["new_points"][...]))
        labels.append(np.asarray(sub["new_labels"][...]))
        levels.append(np.full(len(keys[-1]), level + 1, np.int8))
        inferred.append(np.asarray(sub["new_inferred"][...], dtype=bool))
        checked.append((np.asarray(sub["checked_points"][...]), np.asarray(sub["checked_labels"][...])))
        pending = np.asarray(sub["pending"][...])
    k = np.concatenate(keys)
    order = np.argsort(k)
    k, label, flags = k[order], np.concatenate(labels)[order], np.concatenate(inferred)[order]
    # Inferred nodes solved when a later level was evaluated carry their solved labels.
    for points, solved in checked:
        at = np.searchsorted(k, points)
        label[at], flags[at] = solved, False
    tree = Tree(lattice, k, label, np.concatenate(levels)[order], cells, pending, inferred=flags, checked=checked)
    tree.solved = int((~flags).sum())
    return tree


def _prepare(spec: SweepSpec, resume: bool, overwrite: bool) -> str:
    """Create, refuse or reopen the store; returns "created" or "resumed"."""
    import zarr

    path = Path(spec.store)
    if path.exists():
        try:
            attrs = dict(zarr.open_group(str(path), mode="r").attrs)
        except Exception:
            attrs = {}
        same = attrs.get(HASH_ATTR) == spec.fingerprint()
        if resume and same:
            return "resumed"
        if resume and HASH_ATTR in attrs:
            raise StoreError(f"cannot resume {path}: it was written for another specification (nothing was changed)")
        if not overwrite and not resume:
            raise StoreError(
                f"{path} exists: pass resume=True (--resume) to continue it or overwrite=True to replace it"
            )
        if not overwrite:
            raise StoreError(f"{path} is not an allysweep adaptive cube: replace it with overwrite=True")
        shutil.rmtree(path)
    root = zarr.open_group(str(path), mode="w")
    root.attrs.update(
        {SPEC_ATTR: json.dumps(spec.to_dict(), sort_keys=True), HASH_ATTR: spec.fingerprint(), "complete": False}
    )
    root.attrs["allysweep_design"] = "adaptive"
    root.create_group(GROUP)
    return "created"


def adaptive_sweep(
    spec: SweepSpec,
    client: Any = None,
    resume: bool = False,
    overwrite: bool = False,
    scheduler: str | None = None,
    cluster: str | None = None,
    progress: bool = True,
    boundaries: bool = True,
    tol: float = 1e-9,
) -> xr.Dataset:
    """Run an adaptive specification on Dask into its store; see the module docstring.

    Parameters
    ----------
    spec : SweepSpec
        A ``design = "adaptive"`` specification (its ``store`` resolved).
    client, scheduler, cluster
        As for :func:`allysweep.sweep` (default: a local cluster, closed at the end).
    resume : bool
        Continue from the last finished level of an existing store of the same specification.
    overwrite : bool
        Replace an existing store.
    progress : bool
        Print one line per finished level on stderr.
    boundaries : bool
        Bisect the finest edges whose ends disagree (exact boundary points).
    tol : float
        Bisection tolerance on the parameter.

    Returns
    -------
    xarray.Dataset
        The cube (:func:`open_adaptive`).
    """
    from .cluster import client_for
    from .lock import StoreLock

    with StoreLock(spec.store, say=lambda line: print(line, file=sys.stderr)):
        state = _prepare(spec, resume, overwrite)
        tree = load_tree(spec, spec.store) if state == "resumed" else None
        lattice, values = spec_lattice(spec)
        counts = {"tasks": 0}
        done: list[int] = [0] if tree is not None else []
        already = tree.level if tree is not None else 0
        t0 = time.perf_counter()

        def after(t: Tree) -> None:
            _persist(spec.store, t, done)
            if progress and t.level:
                print(
                    f"allysweep: level {t.level - 1} of {lattice.levels - 1} done: {len(t.cells[-1][0]):,} cells, "
                    f"{t.solved:,} points solved",
                    file=sys.stderr,
                )

        with client_for(spec, client, scheduler, cluster) as c:
            label_points = _dask_labeller(c, spec, counts)
            if tree is None:
                tree = refine(
                    lattice,
                    node_labeller(lattice, values, label_points),
                    spec.min_level,
                    stop_after=0,
                    infer=spec.infer,
                )
                after(tree)
            tree = refine(
                lattice,
                node_labeller(lattice, values, label_points),
                spec.min_level,
                tree=tree,
                after_level=after,
                infer=spec.infer,
            )
            t1 = time.perf_counter()
            found = bisect_boundaries(tree, values, label_points, tol) if boundaries else None
            t2 = time.perf_counter()
        cube = to_cube(
            tree,
            [n for n, _ in spec.axes],
            values,
            parse_label(spec.label),
            found,
            spec=spec,
            refine_seconds=t1 - t0,
            boundary_seconds=t2 - t1,
        )
        # What differs between an interrupted and an uninterrupted run is recorded apart.
        cube.attrs["levels_resumed"] = already
        cube.to_zarr(spec.store, group=CUBE_GROUP, mode="w", consolidated=False)
        import zarr

        zarr.open_group(spec.store, mode="r+").attrs["complete"] = True
    return open_adaptive(spec.store)


def open_adaptive(store: str | Path) -> xr.Dataset:
    """The finished cube of an adaptive store (loaded: it holds points, cells and boundaries)."""
    try:
        return xr.open_zarr(str(store), group=CUBE_GROUP, consolidated=False).load()
    except (FileNotFoundError, KeyError, OSError):
        raise StoreError(f"{store}: no finished adaptive cube here (resume the sweep to finish it)") from None
