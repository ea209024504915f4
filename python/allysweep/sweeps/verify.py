"""``allysweep verify STORE``: is a cube what its specification says, and is every block flagged
done really there?

Checks (docs/conventions.md, "Store safety"):

1. **The template against the recorded specification**: the fingerprint, every variable the
   specification asks for with its shape, chunks, dtype, fill value and dimensions, the
   coordinates (grid axes, or the design's points), and the ``_progress`` arrays.
2. **Every block flagged done**: every one of its chunks is present, its blosc header says the
   chunk's size in bytes and the file has exactly the compressed length the header says (a
   truncated copy or a chunk cut short by a full disk fails this), and, in the deep check (the
   default), it decodes to the expected shape.
3. **``_progress`` against the data**: each finished block's ``stats`` entry (points,
   equilibria, points with several, and, where ``kind`` and ``selected`` are stored, the kinds of
   the selected equilibria) equals what its stored chunks hold; its ``done`` / ``computed`` /
   ``stats`` entries are present and decodable; no point of a finished block reads as not
   computed.

Problems are reported by block index; ``allysweep run STORE --resume`` runs the same (deep) check
and recomputes the bad blocks.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import KIND_NAMES
from ..exceptions import SpecError
from .chunks import _direct_layout
from .design import block_count, block_slices
from .spec import HASH_ATTR, SweepSpec, spec_from_cube
from .store import PROGRESS_GROUP, STATS, STORE_FILLS, check_cube

__all__ = ["VerifyReport", "verify_cube"]

#: Entries of ``_progress`` and the shape of one block's entry.
_PROGRESS = {"done": (1,), "computed": (1,), "started": (1,), "stats": (1, len(STATS))}


@dataclass
class VerifyReport:
    """What :func:`verify_cube` found.

    Attributes
    ----------
    store : str
        The cube.
    blocks_total : int
        Blocks of the cube.
    done : numpy.ndarray of bool
        Blocks whose ``done`` flag is set (and readable).
    template : list of str
        Problems of the template (not tied to a block).
    bad : dict of int to list of str
        Problems of finished blocks, by block index.
    deep : bool
        Whether every chunk was decoded (else headers and counts only).
    """

    store: str
    blocks_total: int
    done: np.ndarray
    template: list[str] = field(default_factory=list)
    bad: dict[int, list[str]] = field(default_factory=dict)
    deep: bool = True

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.template and not self.bad

    @property
    def bad_blocks(self) -> list[int]:
        """Indices of the finished blocks found bad (resume recomputes them)."""
        return sorted(self.bad)

    def lines(self) -> list[str]:
        """The report ``allysweep verify`` prints."""
        how = "decoded every chunk" if self.deep else "checked chunk headers and counts"
        done = int(self.done.sum())
        out = [f"cube: {self.store}", f"blocks: {done} of {self.blocks_total} flagged done; {how}"]
        out += [f"template: {p}" for p in self.template]
        for block in self.bad_blocks:
            out += [f"block {block}: {p}" for p in self.bad[block]]
        if self.ok:
            out.append("ok: the template matches the specification and every finished block is intact")
        else:
            n = len(self.bad)
            out.append(
                f"found {len(self.template)} template problem(s) and {n} bad block(s)"
                + (f" ({', '.join(map(str, self.bad_blocks))})" if n else "")
                + (f"; recompute them with: allysweep run {self.store} --resume" if n and not self.template else "")
                + ("; the template cannot be repaired: replace the cube with --overwrite" if self.template else "")
            )
        return out


def _block_chunk(spec: SweepSpec, index: int, ndim: int) -> tuple[int, ...]:
    """The chunk coordinates of block ``index`` in an array of ``ndim`` dimensions (the trailing
    ``eq`` / ``wrt`` dimensions are whole: chunk 0)."""
    region = block_slices(spec, index)
    lead = tuple(s.start // c for s, c in zip(region, spec.chunks(), strict=True))
    return lead + (0,) * (ndim - len(lead))


def _chunk_path(store: str, name: str, array: Any, coords: tuple[int, ...]) -> str:
    return os.path.join(store, name, array.metadata.encode_chunk_key(coords))


def _check_chunk(store: str, name: str, array: Any, coords: tuple[int, ...], deep: bool) -> tuple[str | None, Any]:
    """(problem or None, decoded values or None) for one chunk of ``array``."""
    path = _chunk_path(store, name, array, coords)
    try:
        with open(path, "rb") as f:
            raw = f.read() if deep else f.read(16)
        size = os.path.getsize(path)
    except FileNotFoundError:
        return f"{name}: chunk {os.path.basename(path)} is missing", None
    except OSError as err:
        return f"{name}: chunk {os.path.basename(path)} cannot be read: {err.strerror}", None
    shape = tuple(array.chunks)
    itemsize = np.dtype(array.dtype).itemsize
    expected = math.prod(shape) * itemsize
    if len(raw) < 16:
        return f"{name}: chunk {os.path.basename(path)} is truncated ({size} bytes, no blosc header)", None
    _, _, _, _, nbytes, _, cbytes = struct.unpack_from("<BBBBIII", raw, 0)
    if nbytes != expected:
        return f"{name}: chunk {os.path.basename(path)} holds {nbytes} bytes, expected {expected}", None
    if cbytes != size:
        what = "truncated" if size < cbytes else "longer than its header says"
        return f"{name}: chunk {os.path.basename(path)} is {what} ({size} bytes on disk, header says {cbytes})", None
    if not deep:
        return None, None
    layout = _direct_layout(store, name)
    try:
        if layout is not None:
            values = layout.decode(raw, shape, array.dtype)
        else:
            values = np.asarray(array[tuple(slice(c * s, (c + 1) * s) for c, s in zip(coords, shape, strict=True))])
    except Exception as err:  # blosc / reshape errors of a corrupted chunk
        return f"{name}: chunk {os.path.basename(path)} does not decode ({type(err).__name__}: {err})", None
    if tuple(values.shape) != shape:
        return f"{name}: chunk {os.path.basename(path)} decodes to shape {values.shape}, expected {shape}", None
    return None, values


def _read_entry(store: str, group: Any, name: str, index: int) -> tuple[str | None, np.ndarray | None]:
    """One block's entry of ``_progress/name``: (problem, values); values ``None`` when the
    entry was never written (the array's fill: a block never finished)."""
    key = f"{PROGRESS_GROUP}/{name}"
    array = group[key]
    coords = (index,) if name != "stats" else (index, 0)
    path = _chunk_path(store, key, array, coords)
    if not os.path.exists(path):
        return None, None
    problem, values = _check_chunk(store, key, array, coords, deep=True)
    return problem, values


def verify_cube(store: str | Path, deep: bool = True, spec: SweepSpec | None = None) -> VerifyReport:
    """Check a cube against its recorded specification and every finished block's chunks and
    counts (see the module's description).

    Parameters
    ----------
    store : path
        The cube.
    deep : bool
        Decode every chunk of every finished block (default). ``False``: presence, blosc
        headers against file sizes, ``_progress`` entries and counts against ``n_eq`` only
        (it reads a few bytes of most chunks).
    spec : SweepSpec, optional
        The specification to check against (default: the one recorded in the cube).

    Returns
    -------
    VerifyReport
        Problems by block index, and of the template.

    Raises
    ------
    StoreError
        No allysweep cube at ``store``.
    """
    import zarr

    path = check_cube(store)
    store = str(path.resolve())
    group = zarr.open_group(store, mode="r")
    attrs = dict(group.attrs)
    try:
        spec = spec or spec_from_cube(store)
    except SpecError as err:
        return VerifyReport(store, 0, np.zeros(0, bool), [f"the recorded specification is not valid: {err}"], {}, deep)
    n_blocks = block_count(spec)
    report = VerifyReport(store, n_blocks, np.zeros(n_blocks, dtype=bool), deep=deep)
    if attrs.get(HASH_ATTR) != spec.fingerprint():
        report.template.append(
            f"fingerprint {str(attrs.get(HASH_ATTR))[:12]} differs from the recorded specification's "
            f"{spec.fingerprint()[:12]}"
        )
    arrays = _check_template(spec, group, report)
    if any(f"{PROGRESS_GROUP}/{n}" not in arrays for n in ("done", "computed", "stats")):
        return report

    def check_block(index: int) -> tuple[bool, list[str]]:
        """(flagged done, problems) of one block."""
        problems: list[str] = []
        problem, flag = _read_entry(store, group, "done", index)
        if problem:
            return False, [f"_progress/done entry: {problem}"]
        if flag is None or int(flag.ravel()[0]) != 1:
            return False, []
        stats = None
        for name in ("computed", "stats", *(("started",) if f"{PROGRESS_GROUP}/started" in arrays else ())):
            problem, values = _read_entry(store, group, name, index)
            if problem:
                problems.append(f"_progress/{name} entry: {problem}")
            elif values is None and name != "started":
                problems.append(f"_progress/{name} entry is missing although the block is flagged done")
            elif name == "computed" and int(values.ravel()[0]) < 1:
                problems.append(f"_progress/computed is {int(values.ravel()[0])} although the block is flagged done")
            elif name == "stats":
                stats = values.reshape(-1)
        decoded: dict[str, np.ndarray] = {}
        for name, array in arrays.items():
            if name.startswith(PROGRESS_GROUP):
                continue
            must_decode = deep or name == "n_eq"
            problem, values = _check_chunk(store, name, array, _block_chunk(spec, index, array.ndim), must_decode)
            if problem:
                problems.append(problem)
            elif values is not None and name in ("n_eq", "kind", "selected"):
                decoded[name] = values
        if "n_eq" in decoded and stats is not None:
            problems += _count_problems(spec, index, decoded, stats)
        return True, problems

    # Blocks in parallel: decompression releases the GIL, and a deep check reads the whole
    # finished part of the cube.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for index, (flagged, problems) in enumerate(pool.map(check_block, range(n_blocks))):
            report.done[index] = flagged
            if problems:
                report.bad[index] = problems
    return report


def _check_template(spec: SweepSpec, group: Any, report: VerifyReport) -> dict[str, Any]:
    """Compare the stored arrays with the template the specification makes; returns the arrays
    that match (by name), ``_progress`` ones as ``_progress/<name>``."""
    from .store import _template

    template = _template(spec)
    stored = dict(group.arrays())
    out: dict[str, Any] = {}
    for name, var in template.data_vars.items():
        if name not in stored:
            report.template.append(f"variable {name} is missing")
            continue
        array = stored[name]
        dims = tuple(array.metadata.dimension_names or ())
        fill = array.fill_value
        want_fill = STORE_FILLS[name]
        if isinstance(want_fill, float) and math.isnan(want_fill):
            same_fill = isinstance(fill, float | np.floating) and bool(np.isnan(fill))
        else:
            same_fill = bool(fill == want_fill)
        chunks = tuple(c[0] for c in var.chunks)
        wrong = [
            f"{what} {got}, expected {want}"
            for what, got, want in (
                ("shape", tuple(array.shape), tuple(var.shape)),
                ("chunks", tuple(array.chunks), chunks),
                ("dtype", np.dtype(array.dtype).str, np.dtype(var.dtype).str),
                ("dimensions", dims, tuple(var.dims)),
            )
            if got != want
        ]
        if not same_fill:
            wrong.append(f"fill value {fill}, expected {want_fill}")
        if wrong:
            report.template.append(f"variable {name}: " + "; ".join(wrong))
        else:
            out[name] = array
    for name, var in template.coords.items():
        if name not in stored:
            report.template.append(f"coordinate {name} is missing")
            continue
        got, want = np.asarray(stored[name][...]), np.asarray(var.values)
        if want.dtype.kind == "O" or got.dtype.kind in "OTU":
            same = [str(x) for x in got.ravel()] == [str(x) for x in want.ravel()]
        elif want.dtype.kind in "fc":
            same = got.shape == want.shape and np.array_equal(got.astype(float), want.astype(float), equal_nan=True)
        else:
            same = got.shape == want.shape and np.array_equal(got, want)
        if not same:
            report.template.append(f"coordinate {name}: its values differ from the specification's")
    progress = group.get(PROGRESS_GROUP)
    n_blocks = block_count(spec)
    for name, chunk in _PROGRESS.items():
        if progress is None or name not in progress:
            if name != "started":  # cubes from before `started` lack it
                report.template.append(f"{PROGRESS_GROUP}/{name} is missing")
            continue
        array = progress[name]
        want = (n_blocks, *chunk[1:])
        if tuple(array.shape) != want or tuple(array.chunks) != chunk:
            report.template.append(
                f"{PROGRESS_GROUP}/{name}: shape {tuple(array.shape)} chunks {tuple(array.chunks)}, "
                f"expected {want} chunks {chunk}"
            )
        else:
            out[f"{PROGRESS_GROUP}/{name}"] = array
    return out


def _count_problems(spec: SweepSpec, index: int, decoded: dict[str, np.ndarray], stats: np.ndarray) -> list[str]:
    """The block's ``_progress/stats`` entry against its decoded chunks."""
    region = block_slices(spec, index)
    inside = tuple(slice(0, s.stop - s.start) for s in region)
    n_eq = decoded["n_eq"][inside].reshape(-1)
    problems = []
    missing = int((n_eq < 0).sum())
    if missing:
        problems.append(f"n_eq reads as not computed (-1) at {missing} of {n_eq.size} points of a finished block")
    have = {"points": n_eq.size, "equilibria": int(n_eq[n_eq > 0].sum()), "multiple": int((n_eq > 1).sum())}
    if "kind" in decoded and "selected" in decoded:
        kind = decoded["kind"][inside].reshape(n_eq.size, -1)
        chosen = decoded["selected"][inside].reshape(n_eq.size, -1)
        rows = np.arange(n_eq.size)
        sel = np.where(n_eq > 0, kind[rows, np.argmax(chosen, axis=1)], -1)
        counts = np.bincount(sel[sel >= 0], minlength=len(KIND_NAMES))
        have.update({f"selected_{k}": int(c) for k, c in zip(KIND_NAMES, counts, strict=True)})
    recorded = dict(zip(STATS, (int(v) for v in stats), strict=True))
    differ = [f"{k} {recorded[k]:,} (the data: {v:,})" for k, v in have.items() if recorded[k] != v]
    if differ:
        problems.append("_progress/stats disagrees with the stored data: " + ", ".join(differ))
    return problems


def reset_blocks(store: str | Path, blocks: list[int]) -> None:
    """Mark ``blocks`` unfinished before they are recomputed: their ``done`` flag is cleared
    (so a run killed while repairing leaves them unfinished, never half-repaired and flagged
    done) and any ``_progress`` entry of theirs that does not decode is reset to zero."""
    import zarr

    from .chunks import write_chunk

    store = str(store)
    group = zarr.open_group(store, mode="r+")
    for index in blocks:
        for name in ("done", "computed", "started", "stats"):
            key = f"{PROGRESS_GROUP}/{name}"
            if key not in group:
                continue
            array = group[key]
            coords = (index,) if name != "stats" else (index, 0)
            problem, _ = _read_entry(store, group, name, index)
            if name == "done" or problem:
                region = (slice(index, index + 1),) + ((slice(None),) if name == "stats" else ())
                write_chunk(array, store, key, coords, region, np.zeros(array.chunks, dtype=array.dtype))
