"""Boundary-adaptive regime maps, the array core: refine a 2^d-tree where the label changes,
locate the boundaries exactly, rasterize. It knows labels and node indices only; solving with
a specification (in process or on Dask) is :mod:`allysweep.sweeps.adaptive`.

A regime map is mostly flat: a few labels over large regions, separated by curves (surfaces in
3-D). :func:`adaptive` starts from a coarse grid, splits every cell whose corners disagree on
the label, down to the finest resolution, then bisects every finest edge whose ends disagree
to ``tol`` on the parameter. :func:`rasterize` turns the tree back into a regular grid, taking
every label from the tree (a raster point inside a cell whose corners all agree gets their
label; no interpolation across a boundary). The refinement rule and what "mislabelled" means
are in docs/conventions.md ("Adaptive regime maps").

The refinement works on integers: every point is a node of the finest grid (``n`` = 2^m + 1
nodes per axis), named by its C-order index into that grid, so corners, children and lookups
are integer arithmetic on whole levels at once (numpy, no Python loop over cells).

>>> import allysweep as asw
>>> cube = asw.adaptive(k=(0.0, 0.15, 129), r=(0.035, 0.14, 129), coarse=9)
>>> sorted(set(cube.attrs["label_names"].values()))[:2]
['cutpoint_bluff,2', 'cutpoint_honest,2']
>>> asw.rasterize(cube, 33).shape
(33, 33)
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from .engine import KIND_NAMES, OUTPUTS
from .exceptions import ParameterError, SpecError

__all__ = [
    "rasterize",
    "LABEL_DEFAULT",
    "MIXED",
    "LabelTerm",
    "parse_label",
    "Lattice",
    "Tree",
    "refine",
    "bisect_boundaries",
    "node_labeller",
    "to_cube",
    "tree_labels",
]

#: The default label: the selected equilibrium's kind and the number of equilibria, together.
LABEL_DEFAULT = "kind,n_eq"
#: ``cell_label`` of a cell whose corners disagree.
MIXED = -1
#: Label code of a raster point no cell of the tree covers (never expected; a bug if seen).
UNCOVERED = -2
#: Most swept parameters (a 2^6-tree has 64 corners and 729 child nodes per cell).
MAX_DIMS = 6
_TERM = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?:(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?\s*$")
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
}
_BITS = 16  # per label term in the integer code


# ----------------------------------------------------------------------------- labels
@dataclass(frozen=True)
class LabelTerm:
    """One term of a label: an output, optionally compared with a threshold.

    Per-equilibrium outputs are read at the selected equilibrium; ``kind`` is the selected
    equilibrium's kind. A float output must carry a threshold (``prob_war > 0.3``): a label is
    categorical.
    """

    name: str
    op: str | None = None
    threshold: float | None = None

    def __str__(self) -> str:
        return self.name if self.op is None else f"{self.name} {self.op} {self.threshold:g}"


def parse_label(text: str) -> tuple[LabelTerm, ...]:
    """Parse a label such as ``"kind,n_eq"`` or ``"crisis_regime_alliance, prob_war > 0.3"``.

    Parameters
    ----------
    text : str
        Comma-separated terms, each an output name (integer or flag outputs) or
        ``output OP number`` with OP one of ``>``, ``>=``, ``<``, ``<=``.

    Returns
    -------
    tuple of LabelTerm

    Raises
    ------
    SpecError
        An unknown output, a float output without a threshold, or more than four terms.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"label: expected terms like 'kind,n_eq' or 'prob_war > 0.3', got {text!r}")
    terms = []
    for part in text.split(","):
        found = _TERM.match(part)
        if not found:
            raise SpecError(f"label: cannot read term {part.strip()!r} (use 'output' or 'output > number')")
        name, op, value = found.groups()
        if name not in OUTPUTS:
            raise SpecError(f"label: {name!r} is not an output; allowed: {', '.join(OUTPUTS)}")
        floating = np.issubdtype(OUTPUTS[name].dtype, np.floating)
        if floating and op is None:
            raise SpecError(f"label: {name!r} is a float output: give a threshold, e.g. '{name} > 0.3'")
        terms.append(LabelTerm(name, op, None if value is None else float(value)))
    if len(terms) > 4:
        raise SpecError(f"label: at most 4 terms, got {len(terms)}")
    return tuple(terms)


def label_outputs(terms: Sequence[LabelTerm]) -> tuple[str, ...]:
    """The engine outputs the label needs (in schema order)."""
    need = {"n_eq", "selected"} | {t.name for t in terms}
    return tuple(name for name in OUTPUTS if name in need)


def label_codes(terms: Sequence[LabelTerm], result: Mapping[str, np.ndarray]) -> np.ndarray:
    """The integer label of every point of a solved batch: term i's value v_i (-1 = none: no
    equilibrium, or a NaN) stored as (v_i + 1) << 16 i."""
    n_eq = np.asarray(result["n_eq"])
    rows = np.arange(len(n_eq))
    sel = np.argmax(np.asarray(result["selected"]), axis=1)
    has = n_eq > 0
    code = np.zeros(len(n_eq), dtype=np.int64)
    for i, term in enumerate(terms):
        raw = np.asarray(result[term.name])
        if OUTPUTS[term.name].per_equilibrium:
            raw = raw[rows, sel]
            valid = has.copy()
        else:
            valid = np.ones(len(n_eq), dtype=bool)
        if term.op is not None:
            with np.errstate(invalid="ignore"):
                value = _OPS[term.op](raw, term.threshold).astype(np.int64)
            valid &= ~np.isnan(raw)
        else:
            value = raw.astype(np.int64)
            valid &= value >= 0
        value = np.where(valid, np.minimum(value, (1 << _BITS) - 2), -1)
        code |= (value + 1) << (_BITS * i)
    return code


def label_name(terms: Sequence[LabelTerm], code: int) -> str:
    """The readable name of a label code, e.g. ``"cutpoint_honest,2"`` or ``"prob_war > 0.3"``."""
    parts = []
    for i, term in enumerate(terms):
        v = ((int(code) >> (_BITS * i)) & ((1 << _BITS) - 1)) - 1
        if term.op is not None:
            parts.append("undefined" if v < 0 else (str(term) if v else f"not {term}"))
        elif term.name == "kind":
            parts.append("none" if v < 0 else KIND_NAMES[v])
        elif term.name == "n_eq":
            parts.append(str(v))
        else:
            parts.append(f"{term.name}={'none' if v < 0 else v}")
    return ",".join(parts)


# ----------------------------------------------------------------------------- the lattice
@dataclass(frozen=True)
class Lattice:
    """The finest grid of an adaptive map and its levels.

    ``n`` = 2^m + 1 nodes per axis, ``coarse`` = 2^c + 1 nodes per axis at level 0, ``d``
    axes. A cell of level l has side 2^(m - c - l) in finest-grid steps; the finest level
    ``levels - 1`` has side 1. Nodes and cells are named by the C-order index of a node (a
    cell by its lowest corner).
    """

    n: int
    coarse: int
    d: int

    def __post_init__(self) -> None:
        for what, value in (("n", self.n), ("coarse", self.coarse)):
            if value < 2 or (value - 1) & (value - 2):
                raise ParameterError(what, value, "2^m + 1 points per axis (3, 5, 9, 17, ..., 2049, ...)")
        if self.coarse > self.n:
            raise ParameterError("coarse", self.coarse, f"at most the finest resolution n = {self.n}")
        if not 2 <= self.d <= MAX_DIMS:
            raise ParameterError("swept parameters", self.d, f"2 to {MAX_DIMS} swept parameters")
        if float(self.n) ** self.d >= 2.0**62:
            raise ParameterError("n", self.n, f"n^d < 2^62 (node indices are int64), got n = {self.n}, d = {self.d}")

    @property
    def levels(self) -> int:
        """Number of levels, the coarse grid's cells being level 0."""
        return int(math.log2(self.n - 1)) - int(math.log2(self.coarse - 1)) + 1

    def side(self, level: int) -> int:
        """Side of a cell of ``level`` in finest-grid steps."""
        return (self.n - 1) >> (int(math.log2(self.coarse - 1)) + level)

    @property
    def strides(self) -> np.ndarray:
        """Index step of one finest-grid step along each axis."""
        return self.n ** np.arange(self.d - 1, -1, -1, dtype=np.int64)

    def offsets(self, base: int) -> np.ndarray:
        """Index offsets of the ``base``^d nodes {0, ..., base - 1}^d (unit step)."""
        grid = np.stack(np.meshgrid(*[np.arange(base, dtype=np.int64)] * self.d, indexing="ij"), -1)
        return grid.reshape(-1, self.d) @ self.strides

    def nodes(self, index: np.ndarray) -> np.ndarray:
        """Node coordinates (points, d) of node indices."""
        return np.stack(np.unravel_index(np.asarray(index, dtype=np.int64), (self.n,) * self.d), axis=1)

    def index(self, nodes: np.ndarray) -> np.ndarray:
        """Node indices of node coordinates (points, d)."""
        return np.asarray(nodes, dtype=np.int64) @ self.strides

    def grid(self, step: int) -> np.ndarray:
        """Indices of the nodes of the regular grid with ``step`` finest steps, C order."""
        ticks = np.arange(0, self.n, step, dtype=np.int64)
        mesh = np.meshgrid(*[ticks] * self.d, indexing="ij")
        return sum(m.ravel() * s for m, s in zip(mesh, self.strides, strict=True))

    def coarse_cells(self) -> np.ndarray:
        """Lowest corners of the level-0 cells."""
        s = self.side(0)
        ticks = np.arange(0, self.n - 1, s, dtype=np.int64)
        mesh = np.meshgrid(*[ticks] * self.d, indexing="ij")
        return np.sort(sum(m.ravel() * st for m, st in zip(mesh, self.strides, strict=True)))


# ----------------------------------------------------------------------------- the tree
@dataclass
class Tree:
    """What the refinement knows: every node with a label (sorted indices, labels, the level
    whose refinement added it, whether the label was inferred rather than solved) and every
    evaluated cell per level (sorted lowest corners, the corners' common label or
    :data:`MIXED`), plus the cells to evaluate next.

    A node is *inferred* when it lies on a face (an edge, a 2-face, ... of any dimension below
    d) of a split cell whose corners all carry one label: it gets that label without a solve
    (:func:`refine`, ``infer=True``). ``solved`` counts the solver calls, not the nodes."""

    lattice: Lattice
    keys: np.ndarray
    labels: np.ndarray
    point_level: np.ndarray
    cells: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    pending: np.ndarray | None = None
    #: Seconds spent in the refinement's own bookkeeping (not solving).
    overhead: float = 0.0
    solved: int = 0
    #: How many solved nodes carry each label (for the isolated-label guard; inferred nodes
    #: are not counted: they repeat their face's label).
    label_counts: dict[int, int] = field(default_factory=dict)
    #: Per node: True where the label was inferred from a face, not solved (default: none).
    inferred: np.ndarray | None = None
    #: Per evaluated level: the inferred nodes solved then (an end of a disagreeing edge of a
    #: mixed cell) and their solved labels (see :func:`refine`).
    checked: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    #: :func:`refine`'s dense node index (None outside it, see :meth:`open_index`): per node of
    #: the finest grid, 2 x (its label's position in ``_palette``) + (1 if inferred), -1 if unknown.
    _code: np.ndarray | None = field(default=None, init=False, repr=False)
    _palette: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels).astype(_label_dtype(np.dtype(np.int32), self.labels), copy=False)
        if self.inferred is None:
            self.inferred = np.zeros(len(self.keys), dtype=bool)
        if not self.label_counts and len(self.labels):
            values, counts = _counts(self.labels[~self.inferred])
            self.label_counts = dict(zip(values.tolist(), counts.tolist(), strict=True))

    @property
    def level(self) -> int:
        """The next level to evaluate (= number of finished levels)."""
        return len(self.cells)

    @property
    def finished(self) -> bool:
        return self.level >= self.lattice.levels

    def lookup(self, index: np.ndarray) -> np.ndarray:
        """Labels of known nodes (every index must be in the tree)."""
        if self._code is not None:
            return self._palette_labels()[self._code[index] >> 1]
        pos = np.searchsorted(self.keys, index)
        return self.labels[pos]

    def open_index(self) -> None:
        """Index every node of the finest grid densely (when it has at most :data:`_DENSE_NODES`
        nodes): lookups become array indexing instead of binary searches over ``keys``. Kept up
        to date by :meth:`add` and :meth:`correct`, not by direct changes to the arrays:
        :func:`refine` opens it and closes it (:meth:`close_index`) before returning."""
        size = self.lattice.n**self.lattice.d
        if size > _DENSE_NODES:
            return
        self._palette = np.empty(0, np.int64)
        self._code = np.full(size, -1, dtype=np.int8)
        self._code[self.keys] = self._codes(self.labels, self.inferred)

    def close_index(self) -> None:
        """Drop the dense node index (:meth:`open_index`)."""
        self._code = self._palette = None

    def _palette_labels(self) -> np.ndarray:
        return self._palette.astype(self.labels.dtype, copy=False)

    def _codes(self, labels: np.ndarray, inferred: np.ndarray) -> np.ndarray:
        """Dense-index codes of ``labels`` (new labels join the palette; the code array widens
        when the palette outgrows it), a million at a time (bounded temporaries)."""
        step = 1 << 20
        if len(labels) > step:
            parts = [self._codes(labels[i : i + step], inferred[i : i + step]) for i in range(0, len(labels), step)]
            return np.concatenate([p.astype(self._code.dtype, copy=False) for p in parts])
        labels = np.asarray(labels, dtype=np.int64)
        order = np.argsort(self._palette, kind="stable")
        ranked = self._palette[order]
        at = np.minimum(np.searchsorted(ranked, labels), max(len(ranked) - 1, 0))
        known = ranked[at] == labels if len(ranked) else np.zeros(len(labels), dtype=bool)
        if not known.all():
            self._palette = np.concatenate([self._palette, _unique(labels[~known])])
            for dtype in (np.int8, np.int16, np.int32):
                if 2 * len(self._palette) <= np.iinfo(dtype).max:
                    break
            if self._code.dtype != dtype:
                self._code = self._code.astype(dtype)
            order = np.argsort(self._palette, kind="stable")
            at = np.searchsorted(self._palette[order], labels)
        slot = order[at].astype(self._code.dtype)
        return slot * 2 + np.asarray(inferred, dtype=bool)

    def add(self, index: np.ndarray, labels: np.ndarray, level: int, inferred: np.ndarray | None = None) -> None:
        """Add new nodes (sorted, none in the tree before): a linear merge. ``inferred``
        (bool per node, default all False) marks the labels that were not solved."""
        if inferred is None:
            inferred = np.zeros(len(index), dtype=bool)
        # Final positions of the new nodes; the old ones fill the rest in order (one index
        # array and one mask for the arrays, where np.insert rebuilds both per array).
        at = np.searchsorted(self.keys, index)
        at += np.arange(len(index), dtype=at.dtype)
        old = np.ones(len(self.keys) + len(index), dtype=bool)
        old[at] = False
        self._widen(labels)
        fields = (("keys", index), ("labels", labels), ("point_level", np.int8(level)), ("inferred", inferred))
        for name, values in fields:
            before = getattr(self, name)
            merged = np.empty(len(old), dtype=before.dtype)
            merged[at] = values
            merged[old] = before
            del before
            setattr(self, name, merged)
        del at, old
        if self._code is not None:
            self._code[index] = self._codes(labels, inferred)
        self._count(labels[~inferred])

    def _widen(self, labels: np.ndarray) -> None:
        """Labels are held as int32 while every code fits (the default label's do: half the
        memory of int64 on millions of nodes), as int64 once one does not."""
        wanted = _label_dtype(self.labels.dtype, labels)
        if wanted != self.labels.dtype:
            self.labels = self.labels.astype(wanted)

    def _count(self, labels: np.ndarray) -> None:
        values, counts = _counts(labels)
        for v, c in zip(values.tolist(), counts.tolist(), strict=True):
            self.label_counts[v] = self.label_counts.get(v, 0) + c

    def correct(self, index: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Replace inferred labels at ``index`` (sorted, in the tree, all inferred) by solved
        ones; returns the nodes whose label changed."""
        self._widen(labels)
        pos = np.searchsorted(self.keys, index)
        changed = index[self.labels[pos] != labels]
        self.labels[pos] = labels
        self.inferred[pos] = False
        if self._code is not None:
            self._code[index] = self._codes(labels, np.zeros(len(index), dtype=bool))
        self.solved += len(index)
        self._count(labels)
        return changed


def _label_dtype(current: np.dtype, labels: np.ndarray) -> np.dtype:
    """int32 if ``current`` is and every label fits in it, else int64."""
    small = np.iinfo(np.int32)
    if current == np.int32 and (not len(labels) or (labels.min() >= small.min and labels.max() <= small.max)):
        return np.dtype(np.int32)
    return np.dtype(np.int64)


def refine(
    lattice: Lattice,
    label_nodes: Callable[[np.ndarray], np.ndarray],
    min_level: int = 0,
    guard: bool = True,
    tree: Tree | None = None,
    after_level: Callable[[Tree], None] | None = None,
    stop_after: int | None = None,
    infer: bool = True,
) -> Tree:
    """Refine a 2^d-tree where the label changes, level by level.

    Parameters
    ----------
    lattice : Lattice
        The finest grid and the coarse grid.
    label_nodes : callable
        Node indices (int64 array) -> integer labels (one batch of solves per level).
    min_level : int
        Every cell is split down to this level, whatever its corners say.
    guard : bool
        Isolated-label guard: a label seen at one solved node only (of all solved so far) may
        be a feature smaller than the cells; the cells around that node (two cells either side
        along every axis) are split too.
    tree : Tree, optional
        A partly refined tree to continue (resume); default: start from the coarse grid.
    after_level : callable, optional
        Called with the tree after each finished level (to persist it).
    stop_after : int, optional
        Stop once this many levels are finished (testing / interruption).
    infer : bool
        Face inference: when a mixed cell is split, a new node on a face of it (an edge, a
        2-face, ..., any face but the cell itself) whose corners all carry one label gets that
        label without a solve, the assumption the tree makes for an agreeing cell's interior
        anyway; nodes on mixed faces and every cell's centre are solved. Cells split by
        ``min_level`` or by the guard infer nothing (all their nodes are solved), and a node
        that any split solves is solved (solved wins). ``False``: every new node is solved.
        Inferred nodes are flagged in ``Tree.inferred``.

    Returns
    -------
    Tree

    Notes
    -----
    A face is shared by the cells around it and its corners are nodes of the lattice, so every
    mixed cell containing a node at a level sees the same face and takes the same decision.
    """
    if tree is None:
        t0 = time.perf_counter()
        nodes = lattice.grid(lattice.side(0))
        t1 = time.perf_counter()
        labels = np.asarray(label_nodes(nodes), dtype=np.int64)
        t2 = time.perf_counter()
        order = np.argsort(nodes)
        tree = Tree(lattice, nodes[order], labels[order], np.zeros(len(nodes), np.int8))
        tree.pending = lattice.coarse_cells()
        tree.solved = len(nodes)
        tree.overhead += (t1 - t0) + (time.perf_counter() - t2)
    t_index = time.perf_counter()
    tree.open_index()
    tree.overhead += time.perf_counter() - t_index
    try:
        _levels(tree, label_nodes, min_level, guard, after_level, stop_after, infer)
    finally:
        tree.close_index()
    return tree


def _levels(
    tree: Tree,
    label_nodes: Callable[[np.ndarray], np.ndarray],
    min_level: int,
    guard: bool,
    after_level: Callable[[Tree], None] | None,
    stop_after: int | None,
    infer: bool,
) -> None:
    """:func:`refine`'s levels, on a tree with its dense index open (if the lattice allows)."""
    lattice = tree.lattice
    off2, off3 = lattice.offsets(2), lattice.offsets(3)
    is_corner = np.isin(off3, 2 * off2)
    inner = off3[~is_corner]  # child nodes that are no corner of the parent
    binary = np.stack(np.meshgrid(*[np.arange(2)] * lattice.d, indexing="ij"), -1).reshape(-1, lattice.d)
    pairs = np.concatenate([np.flatnonzero(binary[:, j] == 0) for j in range(lattice.d)])
    pairs = np.stack([pairs, pairs + np.repeat(2 ** np.arange(lattice.d - 1, -1, -1), len(binary) // 2)])
    while not tree.finished and (stop_after is None or tree.level < stop_after):
        t_start = time.perf_counter()
        level = tree.level
        s = lattice.side(level)
        cells = tree.pending if tree.pending is not None else np.empty(0, np.int64)
        # In chunks of cells: in 5-D a cell has 32 corners and 211 new child nodes.
        step = max(1, _CHUNK // len(inner))
        check = bool(tree.inferred.any())
        # One pass of corner lookups gives each cell's label and the inferred corners to check.
        parts = [_evaluate(tree, cells[i : i + step], s * off2, pairs, check) for i in range(0, len(cells), step)]
        cell_label = np.concatenate([p[0] for p in parts] or [cells])
        suspects = _merged(p[1] for p in parts)
        del parts
        checked, checked_labels = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        while len(suspects):
            # An inferred end of an edge whose ends disagree sits right next to a boundary, where
            # the face's agreement is least trustworthy: solve it (and again, until no label
            # changes: a corrected node can make another edge disagree).
            t_check = time.perf_counter()
            got = np.asarray(label_nodes(suspects), dtype=np.int64)
            t_start += time.perf_counter() - t_check
            changed = tree.correct(suspects, got)
            checked.append(suspects)
            checked_labels.append(got)
            if not len(changed):
                break
            # Only the cells with a corrected corner can change.
            around = _unique((changed[:, None] - s * off2[None, :]).ravel())
            where = np.searchsorted(cells, around)
            hit = _member(around, cells)
            where = where[hit]
            label, suspects = _evaluate(tree, cells[where], s * off2, pairs, True)
            cell_label[where] = label
            del around, where, hit, label
        tree.checked.append((np.concatenate(checked), np.concatenate(checked_labels)))
        if level + 1 == lattice.levels:
            # The finest level keeps its mixed cells only (their edges carry the boundaries): an
            # agreeing finest cell has no node inside it, so it tells rasterize nothing.
            mixed = cell_label == MIXED
            cells, cell_label = cells[mixed], cell_label[mixed]
        tree.cells.append((cells, cell_label))
        new = np.empty(0, np.int64)
        guess = np.empty(0, np.int64)
        guess_labels = np.empty(0, np.int64)
        if level + 1 < lattice.levels:
            split = cells[(cell_label == MIXED) | (level < min_level)]
            forced = np.empty(0, np.int64)
            if guard:
                forced = _guard_cells(tree, level)
                if len(forced):
                    split = _unique(np.concatenate([split, forced]))
            half = s // 2
            # Children of distinct cells are distinct: sorting is enough.
            tree.pending = np.sort((split[:, None] + half * off2[None, :]).ravel())
            if not infer:
                # The nodes of the children that are not corners of the parent (those are known).
                new = _merged(_unsolved(tree, split[i : i + step], half * inner) for i in range(0, len(split), step))
            else:
                if level < min_level:
                    forced = split
                inferring = split[~_member(split, forced)]
                # A forced (guard) cell may lie in a leaf whose nodes were never solved: its own
                # corners are solved too.
                solve_forced = _merged(
                    _unsolved(tree, forced[i : i + step], half * off3) for i in range(0, len(forced), step)
                )
                candidates = _merged(
                    _unsolved(tree, inferring[i : i + step], half * inner) for i in range(0, len(inferring), step)
                )
                candidates = candidates[~_member(candidates, solve_forced)]  # solved wins
                solve_parts, guess_parts, label_parts = [solve_forced], [candidates[:0]], [candidates[:0]]
                del solve_forced
                nstep = max(1, _CHUNK >> lattice.d)
                for i in range(0, len(candidates), nstep):
                    part = candidates[i : i + nstep]
                    label = _face_label(tree, part, s)
                    known = label != MIXED
                    solve_parts.append(part[~known])
                    guess_parts.append(part[known])
                    label_parts.append(label[known])
                    del part, label, known
                del candidates
                new = _unique(np.concatenate(solve_parts))
                # Candidates are sorted and unique, so their inferred part is too.
                guess, guess_labels = np.concatenate(guess_parts), np.concatenate(label_parts)
                del solve_parts, guess_parts, label_parts
        else:
            tree.pending = np.empty(0, np.int64)
        t_solve = time.perf_counter()
        labels = np.asarray(label_nodes(new), dtype=np.int64) if len(new) else np.empty(0, np.int64)
        t_solved = time.perf_counter()
        tree.solved += len(new)
        # Two linear merges (solved, then inferred nodes: disjoint sets) hold less at once than
        # sorting the two together.
        tree.add(new, labels, level + 1)
        del new, labels
        if len(guess):
            tree.add(guess, guess_labels, level + 1, np.ones(len(guess), dtype=bool))
        del guess, guess_labels
        tree.overhead += (t_solve - t_start) + (time.perf_counter() - t_solved)
        if after_level is not None:
            after_level(tree)


#: Finest grids of at most this many nodes get :func:`refine`'s dense node index
#: (:meth:`Tree.open_index`): one byte per node (int8 codes while there are at most 63 labels).
_DENSE_NODES = 1 << 27
#: Entries of the corner and child-node arrays built at once (bounds the refinement's memory).
_CHUNK = 1 << 22


def _evaluate(
    tree: Tree, cells: np.ndarray, corners: np.ndarray, pairs: np.ndarray, check: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate cells: the corners' common label of each (:data:`MIXED` where they disagree)
    and, with ``check``, the inferred corners at an end of a cell edge whose ends disagree
    (sorted, unique). ``pairs``: (2, edges) positions of each edge's two ends among the
    corners."""
    index = cells[:, None] + corners[None, :]
    if tree._code is not None:
        code = tree._code[index]
        corner = code >> 1  # the labels' palette positions: equal where the labels are
        first = tree._palette_labels()[corner[:, 0]]
    else:
        pos = np.searchsorted(tree.keys, index)
        corner = tree.labels[pos]
        first = corner[:, 0]
    agree = (corner == corner[:, :1]).all(axis=1)
    label = np.where(agree, first, MIXED)
    del first
    if not check:
        return label, np.empty(0, np.int64)
    rows = np.flatnonzero(~agree)
    corner = corner[rows]
    guessed = (code[rows] & 1).astype(bool) if tree._code is not None else tree.inferred[pos[rows]]
    suspect = np.zeros(corner.shape, dtype=bool)
    differ = corner[:, pairs[0]] != corner[:, pairs[1]]
    for e in range(pairs.shape[1]):
        suspect[:, pairs[0, e]] |= differ[:, e]
        suspect[:, pairs[1, e]] |= differ[:, e]
    del differ
    suspect &= guessed
    return label, _unique(index[rows][suspect])


def _face_label(tree: Tree, nodes: np.ndarray, side: int) -> np.ndarray:
    """Face inference for new child nodes of level cells of ``side``: the common label of the
    corners of each node's face, :data:`MIXED` where they disagree or where the node is a
    cell's centre (always solved). A child node is the centre of exactly one face of the level's
    grid: its free axes are those where it sits halfway between two grid nodes, its corners
    the nodes half a side away along them. The decision is the node's, whichever cell it came
    from: neighbouring cells share the face."""
    lattice = tree.lattice
    d, half = lattice.d, side // 2
    coords = lattice.nodes(nodes)
    free = coords % side != 0
    del coords
    pattern = free @ (1 << np.arange(d))
    del free
    out = np.full(len(nodes), MIXED, dtype=np.int64)
    for bits in np.unique(pattern).tolist():
        axes = [j for j in range(d) if bits >> j & 1]
        if len(axes) == d:
            continue  # a cell's centre
        on = np.flatnonzero(pattern == bits)
        signs = np.stack(np.meshgrid(*[np.array([-1, 1])] * len(axes), indexing="ij"), -1).reshape(-1, len(axes))
        offsets = (signs * half) @ lattice.strides[axes]
        corner = tree.lookup(nodes[on][:, None] + offsets[None, :])
        agree = (corner == corner[:, :1]).all(axis=1)
        out[on[agree]] = corner[agree, 0]
        del on, corner, agree
    return out


def _member(a: np.ndarray, sorted_b: np.ndarray) -> np.ndarray:
    """Which entries of ``a`` are in the sorted array ``sorted_b``."""
    if not len(sorted_b):
        return np.zeros(len(a), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_b, a), len(sorted_b) - 1)
    return sorted_b[pos] == a


def _unsolved(tree: Tree, cells: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The nodes at ``offsets`` from ``cells`` that are not solved yet, sorted, unique."""
    candidates = _unique((cells[:, None] + offsets[None, :]).ravel())
    if tree._code is not None:
        return candidates[tree._code[candidates] < 0]
    return candidates[~_member(candidates, tree.keys)]


def _merged(parts: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted unique union of sorted arrays, merged whenever the pending parts outgrow the union
    so far: neighbouring chunks of cells share nodes, and holding every chunk's nodes at once
    took several times the union's memory in 5-D."""
    union = np.empty(0, np.int64)
    pending: list[np.ndarray] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size > max(_CHUNK, len(union)):
            union, pending, size = _unique(np.concatenate([union, *pending])), [], 0
    return _unique(np.concatenate([union, *pending])) if pending else union


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an int64 array (sort and compare: numpy's hash-based
    ``np.unique`` is several times slower on these arrays)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _counts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique values of an int64 array and how often each occurs."""
    a = np.sort(a)
    if not len(a):
        return a, np.empty(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], a[1:] != a[:-1]]))
    return a[starts], np.diff(np.append(starts, len(a)))


def _guard_cells(tree: Tree, level: int) -> np.ndarray:
    """Cells of ``level`` around every node whose label no other solved node has."""
    lattice = tree.lattice
    rare = [v for v, c in tree.label_counts.items() if c == 1]
    if not rare:
        return np.empty(0, np.int64)
    lonely = tree.keys[np.isin(tree.labels, rare)]
    s = lattice.side(level)
    base = (lattice.nodes(lonely) // s) * s
    shifts = np.stack(np.meshgrid(*[np.arange(-2, 2)] * lattice.d, indexing="ij"), -1).reshape(-1, lattice.d)
    around = base[:, None, :] + s * shifts[None, :, :]
    inside = ((around >= 0) & (around <= lattice.n - 1 - s)).all(axis=2)
    return _unique(lattice.index(around[inside]))


# ----------------------------------------------------------------------------- boundaries
def boundary_edges(tree: Tree) -> tuple[np.ndarray, np.ndarray]:
    """The finest-level edges whose two ends disagree: (lower node index, axis), unique."""
    lattice = tree.lattice
    cells, label = tree.cells[-1]
    mixed = cells[label == MIXED]
    lows, axes = [], []
    binary = np.stack(np.meshgrid(*[np.arange(2)] * lattice.d, indexing="ij"), -1).reshape(-1, lattice.d)
    for j in range(lattice.d):
        low = binary[binary[:, j] == 0] @ lattice.strides  # corners at the low end along j
        a = (mixed[:, None] + low[None, :]).ravel()
        b = a + lattice.strides[j]
        differ = tree.lookup(a) != tree.lookup(b)
        lows.append(_unique(a[differ]))
        axes.append(np.full(len(lows[-1]), j, np.int8))
    return np.concatenate(lows), np.concatenate(axes)


def bisect_boundaries(
    tree: Tree,
    axis_values: Sequence[np.ndarray],
    label_points: Callable[[np.ndarray], np.ndarray],
    tol: float = 1e-9,
) -> dict[str, np.ndarray]:
    """Bisect every finest edge whose ends disagree, on its parameter, to ``tol``.

    An end whose label was inferred (:func:`refine`, ``infer=True``) is solved first, so that
    every bracket starts from two solved labels; an edge whose ends then agree is dropped (the
    inference was wrong there: counted in ``contradicted``).

    Parameters
    ----------
    tree : Tree
        A finished tree.
    axis_values : sequence of arrays
        The finest grid's values along each axis.
    label_points : callable
        Parameter values (points, d) float array -> integer labels.
    tol : float
        Final bracket width on the parameter: the returned point is its midpoint, within
        ``tol / 2`` of a change of label.

    Returns
    -------
    dict
        ``points`` (boundaries, d) float, ``axis`` (int8, the axis bisected along),
        ``label_below`` / ``label_above`` (the solved labels at the bracket's two ends: the
        pair the point separates), ``solves`` (int, the inferred ends' solves included),
        ``verified`` (inferred ends solved) and ``contradicted`` (of those, how many carry
        another label than the inferred one).
    """
    low, axis = boundary_edges(tree)
    lattice = tree.lattice
    high = low + lattice.strides[axis]
    pos_lo, pos_hi = np.searchsorted(tree.keys, low), np.searchsorted(tree.keys, high)
    lab_lo, lab_hi = tree.labels[pos_lo], tree.labels[pos_hi]
    solves = verified = contradicted = 0
    guessed = tree.inferred[pos_lo] | tree.inferred[pos_hi]
    del pos_lo, pos_hi
    if guessed.any():
        ends = _unique(np.concatenate([low[guessed], high[guessed]]))
        ends = ends[tree.inferred[np.searchsorted(tree.keys, ends)]]
        truth = np.asarray(node_labeller(lattice, axis_values, label_points)(ends), dtype=np.int64)
        solves = verified = len(ends)
        contradicted = int((truth != tree.lookup(ends)).sum())

        def solved(index: np.ndarray, known: np.ndarray) -> np.ndarray:
            pos = np.minimum(np.searchsorted(ends, index), len(ends) - 1)
            return np.where(ends[pos] == index, truth[pos], known)

        lab_lo, lab_hi = solved(low, lab_lo), solved(high, lab_hi)
        keep = lab_lo != lab_hi
        low, axis, lab_lo, lab_hi = low[keep], axis[keep], lab_lo[keep], lab_hi[keep]
    nodes = lattice.nodes(low)
    x = np.stack([np.asarray(v)[nodes[:, j]] for j, v in enumerate(axis_values)], axis=1).astype(float)
    rows = np.arange(len(low))
    lo = x[rows, axis].copy()
    # The upper end's value along each edge's own axis (the next node of that axis).
    hi = np.empty(len(low))
    for j, v in enumerate(axis_values):
        on = axis == j
        hi[on] = np.asarray(v, dtype=float)[nodes[on, j] + 1]
    if len(low):
        width = float(np.max(hi - lo))
        steps = max(0, math.ceil(math.log2(width / tol))) if width > tol else 0
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            probe = x.copy()
            probe[rows, axis] = mid
            got = np.asarray(label_points(probe), dtype=np.int64)
            solves += len(mid)
            right = got != lab_lo  # the change is in [lo, mid]
            hi = np.where(right, mid, hi)
            lab_hi = np.where(right, got, lab_hi)
            lo = np.where(right, lo, mid)
    x[rows, axis] = 0.5 * (lo + hi)
    return {
        "points": x,
        "axis": axis,
        "label_below": lab_lo.astype(np.int64),
        "label_above": lab_hi.astype(np.int64),
        "solves": solves,
        "verified": verified,
        "contradicted": contradicted,
    }


# ----------------------------------------------------------------------------- the cube
def node_labeller(
    lattice: Lattice, axis_values: Sequence[np.ndarray], label_points: Callable, batch: int = 1 << 20
) -> Callable:
    """Node indices -> labels, through the parameter values of the nodes (``batch`` at a time:
    with Dask, one batch is cut into that many point blocks)."""
    values = [np.asarray(v, dtype=float) for v in axis_values]

    def label_nodes(index: np.ndarray) -> np.ndarray:
        out = np.empty(len(index), dtype=np.int64)
        for start in range(0, len(index), batch):  # bounded memory: (batch, d) values at a time
            nodes = lattice.nodes(index[start : start + batch])
            x = np.stack([values[j][nodes[:, j]] for j in range(lattice.d)], axis=1)
            out[start : start + len(x)] = label_points(x)
        return out

    return label_nodes


def to_cube(
    tree: Tree,
    names: Sequence[str],
    axis_values: Sequence[np.ndarray],
    terms: Sequence[LabelTerm],
    found: Mapping[str, np.ndarray] | None,
    spec: Any = None,
    **attrs: Any,
) -> xr.Dataset:
    """The cube of a finished tree (see :func:`adaptive`)."""
    lattice = tree.lattice
    nodes = lattice.nodes(tree.keys)
    coords: dict[str, Any] = {
        name: ("point", np.asarray(axis_values[j])[nodes[:, j]], {"long_name": name}) for j, name in enumerate(names)
    }
    coords["level"] = ("point", tree.point_level, {"long_name": "level whose refinement solved the point"})
    coords["lattice"] = ("point", tree.keys, {"long_name": "C-order index of the point in the finest grid"})
    coords["inferred"] = ("point", tree.inferred, {"long_name": "label inferred from an agreeing face, not solved"})
    cell_keys = np.concatenate([c for c, _ in tree.cells]) if tree.cells else np.empty(0, np.int64)
    cell_labels = (
        np.concatenate([lab.astype(np.int64) for _, lab in tree.cells]) if tree.cells else np.empty(0, np.int64)
    )
    cell_level = np.concatenate([np.full(len(c), lv, np.int8) for lv, (c, _) in enumerate(tree.cells)])
    codes = np.asarray(sorted(tree.label_counts), dtype=np.int64)
    data: dict[str, Any] = {
        "label": (
            "point",
            tree.labels.astype(np.int64),
            {"long_name": "label at the point", "description": _terms_text(terms)},
        ),
        "cell_level": ("cell", cell_level, {"long_name": "level of the cell"}),
        "cell_lattice": ("cell", cell_keys, {"long_name": "finest-grid index of the cell's lowest corner"}),
        "cell_label": ("cell", cell_labels, {"long_name": f"corners' common label, {MIXED} where they disagree"}),
    }
    n_boundary = 0
    checks: dict[str, int] = {}
    if found is not None:
        codes = np.union1d(codes, np.concatenate([found["label_below"], found["label_above"]]))
        for j, name in enumerate(names):
            where = {"long_name": f"{name} of the boundary point"}
            data[f"boundary_{name}"] = ("boundary", found["points"][:, j], where)
        data["boundary_axis"] = ("boundary", found["axis"], {"long_name": "index of the axis bisected along"})
        data["label_below"] = ("boundary", found["label_below"], {"long_name": "label on the lower side"})
        data["label_above"] = ("boundary", found["label_above"], {"long_name": "label on the upper side"})
        n_boundary = int(found["solves"])
        checks = {
            "inferred_verified": int(found.get("verified", 0)),
            "inferred_contradicted": int(found.get("contradicted", 0)),
        }
    ds = xr.Dataset(data, coords=coords)
    axes = [[n, float(v[0]), float(v[-1]), len(v)] for n, v in zip(names, axis_values, strict=True)]
    ds.attrs.update(
        {
            "allysweep_design": "adaptive",
            "adaptive_axes": json.dumps(axes),
            "adaptive_axis_values": json.dumps([[float(x) for x in v] for v in axis_values]),
            "coarse": lattice.coarse,
            "levels": lattice.levels,
            "label": ",".join(str(t) for t in terms),
            "label_names": {str(int(c)): label_name(terms, int(c)) for c in codes},
            "solver_calls_tree": int(tree.solved),
            "inferred_points": int(tree.inferred.sum()),
            **checks,
            "solver_calls_boundaries": n_boundary,
            "refine_overhead_seconds": float(tree.overhead),
            "finished_levels": tree.level,
            **{k: float(v) for k, v in attrs.items()},
        }
    )
    if spec is not None:
        ds.attrs["allysweep_spec"] = json.dumps(spec.to_dict(), sort_keys=True)
    return ds


def _terms_text(terms: Sequence[LabelTerm]) -> str:
    return "integer code of (" + ", ".join(str(t) for t in terms) + "); names in the label_names attribute"


# ----------------------------------------------------------------------------- rasterize
def cube_tree(cube: xr.Dataset) -> tuple[Tree, list[str], list[np.ndarray]]:
    """The tree, axis names and finest axis values stored in an adaptive cube."""
    if cube.attrs.get("allysweep_design") != "adaptive":
        raise ValueError("not an adaptive cube (no allysweep_design = 'adaptive' attribute)")
    axes = json.loads(cube.attrs["adaptive_axes"])
    values = [np.asarray(v, dtype=float) for v in json.loads(cube.attrs["adaptive_axis_values"])]
    lattice = Lattice(int(axes[0][3]), int(cube.attrs["coarse"]), len(axes))
    keys = np.asarray(cube["lattice"].values, dtype=np.int64)
    order = np.argsort(keys)
    inferred = np.asarray(cube["inferred"].values, dtype=bool)[order] if "inferred" in cube.variables else None
    tree = Tree(
        lattice,
        keys[order],
        np.asarray(cube["label"].values)[order],
        np.asarray(cube["level"].values)[order],
        inferred=inferred,
    )
    levels = np.asarray(cube["cell_level"].values)
    ckeys = np.asarray(cube["cell_lattice"].values)
    clabels = np.asarray(cube["cell_label"].values)
    for lv in range(int(levels.max()) + 1 if len(levels) else 0):
        here = levels == lv
        o = np.argsort(ckeys[here])
        tree.cells.append((ckeys[here][o], clabels[here][o]))
    return tree, [a[0] for a in axes], values


def rasterize(cube: xr.Dataset, resolution: int | None = None, max_batch: int = 1 << 20) -> xr.DataArray:
    """The adaptive map as a regular grid, every label exact from the tree.

    A raster point that is a node of the tree takes its own label (solved, or inferred from an
    agreeing face: the cube's ``inferred``); any other lies in a cell of the tree
    whose corners all agree (the deepest such cell containing it) and takes their label. Nothing
    is interpolated across a boundary.

    Parameters
    ----------
    cube : xarray.Dataset
        An adaptive cube (:func:`adaptive`).
    resolution : int, optional
        Points per axis, 2^j + 1 and at most the finest resolution (default: the finest).
    max_batch : int
        Raster points labelled at once (bounds the memory).

    Returns
    -------
    xarray.DataArray
        ``label`` over the swept parameters (integer codes; names in ``attrs["label_names"]``).
    """
    tree, names, values = cube_tree(cube)
    lattice = tree.lattice
    resolution = lattice.n if resolution is None else int(resolution)
    step = (lattice.n - 1) // max(resolution - 1, 1)
    if resolution < 2 or step * (resolution - 1) != lattice.n - 1 or step & (step - 1):
        raise ParameterError("resolution", resolution, f"2^j + 1 points per axis, at most {lattice.n}")
    index = lattice.grid(step)
    out = np.empty(len(index), dtype=np.int64)
    for start in range(0, len(index), max_batch):
        out[start : start + max_batch] = tree_labels(tree, index[start : start + max_batch])
    if (out == UNCOVERED).any():
        raise RuntimeError(f"{int((out == UNCOVERED).sum())} raster points lie in no cell of the tree (a bug)")
    shape = (resolution,) * lattice.d
    coords = {name: np.asarray(values[j])[::step] for j, name in enumerate(names)}
    attrs = {"long_name": "label", "label_names": cube.attrs["label_names"], "label": cube.attrs["label"]}
    return xr.DataArray(out.reshape(shape), dims=names, coords=coords, name="label", attrs=attrs)


def tree_labels(tree: Tree, index: np.ndarray) -> np.ndarray:
    """Labels of finest-grid nodes from the tree: its nodes (solved or inferred) their own, others the label of
    the deepest evaluated cell containing them whose corners agree (:data:`UNCOVERED` if none)."""
    lattice = tree.lattice
    out = np.full(len(index), UNCOVERED, dtype=np.int64)
    pos = np.minimum(np.searchsorted(tree.keys, index), len(tree.keys) - 1)
    hit = tree.keys[pos] == index
    out[hit] = tree.labels[pos[hit]]
    todo = np.flatnonzero(~hit)
    nodes = lattice.nodes(index[todo])
    for level in range(len(tree.cells) - 1, -1, -1):
        if not len(todo):
            break
        keys, labels = tree.cells[level]
        if not len(keys):
            continue
        s = lattice.side(level)
        low = np.minimum((nodes // s) * s, lattice.n - 1 - s)
        cell = lattice.index(low)
        p = np.minimum(np.searchsorted(keys, cell), len(keys) - 1)
        ok = (keys[p] == cell) & (labels[p] != MIXED)
        out[todo[ok]] = labels[p[ok]]
        todo, nodes = todo[~ok], nodes[~ok]
    return out
