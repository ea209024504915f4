"""Resource bounds of a sweep, checked before anything is written (docs/conventions.md, "Store
safety"): the memory one block needs on a worker, and the disk the cube needs, against the
limits the user sets (``--max-block-memory`` / ``--max-disk``, or ``max_block_memory`` /
``max_disk`` of :func:`allysweep.sweep`) and against the free space of the store's filesystem.

The memory of a block is counted from the output schema (inputs, the engine's output buffers,
the slot-major copies written, the derivatives). The disk and the run time are *measured*, not
assumed: a sample of the sweep's own points is solved here, in memory, on one thread (for a grid:
the first, middle and last blocks, whole up to :data:`BLOCK_SAMPLE` points each; for a sampled
design, points drawn from its ranges), each output is compressed with the cube's codec, and
the bytes per point of every output, rounded up per chunk file to the filesystem's allocation
unit, plus the four ``_progress`` entries of each block, give the disk of the blocks to compute;
the time taken gives a rate per core (docs/conventions.md, "Size before work", says how close
these estimates came on this machine).
"""

from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine import COLUMNS, OUTPUTS, native, solve_flat
from ..exceptions import StoreError
from .chunks import _SHUFFLES, BLOSC, _codec
from .design import block_count
from .spec import SweepSpec

__all__ = [
    "ResourceError",
    "Needs",
    "estimate",
    "check_resources",
    "size_lines",
    "parse_size",
    "format_size",
    "format_duration",
]

#: Points solved to estimate the compressed size for the slow methods (all sample blocks together).
SAMPLE_POINTS = {"qre": 16, "reference": 32}
#: Points solved per sample block for the engine's fast methods: a whole block of the default
#: size, so the sample compresses as a real chunk does (a few thousand spread-out points
#: compressed about 1.5 times worse than the cube's chunks did: benches/results/scale-*.json).
BLOCK_SAMPLE = 50_000
#: Blocks of a grid sampled: the first, the middle and the last.
SAMPLE_BLOCKS = 3
#: ``_progress`` entries written per block (done, computed, started, stats): one small file each.
PROGRESS_FILES = 4
#: Disk the estimate must leave free beyond the cube (the estimate is from a sample; the
#: filesystem also needs room for metadata and temporary chunk files).
DISK_MARGIN = 1.25


class ResourceError(StoreError):
    """A sweep refused before anything was written: a block would need more memory, or the cube
    more disk, than the limits allow (the message gives the sizes)."""


def parse_size(text: str | int | float | None) -> int | None:
    """Bytes from ``"2GB"``, ``"512 MiB"``, ``"1e9"`` or a number (``None`` stays ``None``).

    Raises
    ------
    ValueError
        Not a size.
    """
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        from dask.utils import parse_bytes

        try:
            value = float(parse_bytes(str(text)))
        except (ValueError, TypeError):
            raise ValueError(f"{text!r} is not a size (e.g. 2GB, 512MiB, 1e9)") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{text!r} is not a positive size")
    return int(value)


def format_size(n: float) -> str:
    """``1.2 GiB`` and the like."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.4 h``, ``2.1 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.1f} days"


@dataclass
class Needs:
    """What a sweep needs.

    Attributes
    ----------
    block_points : int
        Points of a full block.
    block_memory : int
        Bytes one block needs on a worker (inputs, outputs, the copies written).
    template_memory : int
        Bytes the template's coordinates need in memory when written (a sampled design's points).
    cube_bytes : int
        The cube's outputs uncompressed, in bytes.
    disk_bytes : int
        Estimated bytes on disk of the blocks still to compute (compressed, from a sample).
    sample_points : int
        Points the disk estimate was made from.
    bytes_per_point : dict of str to float
        Measured compressed bytes per point of every stored output (before rounding up to the
        filesystem's allocation unit).
    seconds_per_point : float
        Measured seconds per point on one thread to solve and compress the sample.
    pending_points : int
        Points of the blocks still to compute (edge blocks counted by their real points).
    """

    block_points: int
    block_memory: int
    template_memory: int
    cube_bytes: int
    disk_bytes: int
    sample_points: int
    bytes_per_point: dict[str, float] = field(default_factory=dict)
    seconds_per_point: float = 0.0
    pending_points: int = 0

    def run_seconds(self, cores: int) -> float:
        """Expected seconds to compute the pending points on ``cores`` single-threaded workers at
        the measured rate (Dask scheduling and the chunk writes come on top)."""
        return self.pending_points * self.seconds_per_point / max(cores, 1)


def _stored_outputs(spec: SweepSpec) -> list[tuple[str, int, bool]]:
    """(name, itemsize, per equilibrium) of every output array the cube stores."""
    out = [(n, np.dtype(OUTPUTS[n].dtype).itemsize, OUTPUTS[n].per_equilibrium) for n in spec.outputs]
    if spec.derivatives:
        out += [(f"d_{n}", 8 * len(spec.derivatives), True) for n in native.DERIVATIVE_OUTPUTS]
        out.append(("differentiable", 1, True))
    return out


def _block_memory(spec: SweepSpec, n: int) -> int:
    """Bytes a block of ``n`` points needs on a worker: the input columns, the engine's output
    buffers for every output it computes, a slot-major copy and an encoded copy of the largest
    output at a time, and the derivatives with their per-output copies."""
    from .worker import _computed

    per_point = 8 * len(COLUMNS)
    largest = 0
    for name in _computed(spec):
        size = np.dtype(OUTPUTS[name].dtype).itemsize * (spec.max_eq if OUTPUTS[name].per_equilibrium else 1)
        per_point += size
        largest = max(largest, size)
    per_point += 2 * largest  # the transposed copy and the encoded chunk being written
    if spec.derivatives:
        nw = len(spec.derivatives)
        per_point += spec.max_eq * (len(native.DERIVATIVE_OUTPUTS) * nw * 8 + 1) + 2 * spec.max_eq * nw * 8
    return n * per_point


def _sample_columns(spec: SweepSpec, n: int) -> list[tuple[dict[str, np.ndarray], int]]:
    """Engine columns of points like the sweep's, as (columns, count) pieces: for a grid, the
    first ``n`` points of its first, middle and last blocks (what its chunks hold); for a list,
    its first points; for lhs / sobol, ``n`` points drawn from its ranges."""
    if spec.design == "grid":
        from .design import block_params, block_slices

        blocks = block_count(spec)
        picks = sorted({0, blocks // 2, blocks - 1})[:SAMPLE_BLOCKS]
        per = max(1, n // len(picks)) if spec.method in SAMPLE_POINTS else n
        pieces = []
        for index in picks:
            swept, count = block_params(spec, block_slices(spec, index), None)
            count = min(count, per)
            swept = {name: v[:count] for name, v in swept.items()}
            pieces.append((spec.columns(swept, count), count))
        return pieces
    if spec.design == "list":
        count = min(n, len(spec.points[0][1]))
        swept = {name: np.asarray(v[:count], dtype=float) for name, v in spec.points}
    else:
        count = min(n, int(spec.n_points or 0))
        rng = np.random.default_rng(spec.seed)
        swept = {}
        for name, kind, lo, hi in spec.ranges:
            u = rng.random(count)
            swept[name] = lo + u * (hi - lo) if kind == "uniform" else np.exp(np.log(lo) + u * np.log(hi / lo))
    return [(spec.columns(swept, count), count)]


def _compressed_per_point(spec: SweepSpec, n: int) -> tuple[dict[str, float], int, float]:
    """Measured bytes per point of every stored output, compressed with the cube's codec, from
    samples of up to ``n`` points each (:func:`_sample_columns`) solved here on one thread; the
    sample's size; and the seconds per point it took to solve and compress."""
    from .worker import _computed

    sizes: dict[str, int] = {}
    total_points = 0
    t0 = time.perf_counter()
    shuffle = _SHUFFLES[BLOSC["shuffle"]]
    for columns, count in _sample_columns(spec, n):
        result = solve_flat(
            columns, method=spec.method, threads=1, lam=spec.lam, max_eq=spec.max_eq, outputs=_computed(spec)
        )
        arrays = {name: np.asarray(result[name]) for name in spec.outputs}
        if spec.derivatives:
            lam = native.DEFAULT_LAM if spec.lam is None else spec.lam
            got = native.derivatives(columns, spec.wrt_columns(), spec.method, 1, lam, spec.max_eq)
            values = np.asarray(got["values"])
            for o, name in enumerate(native.DERIVATIVE_OUTPUTS):
                arrays[f"d_{name}"] = np.ascontiguousarray(values[:, :, o, :])
            arrays["differentiable"] = np.asarray(got["differentiable"])
        for name, values in arrays.items():
            if values.ndim > 1 and not name.startswith("d_"):  # stored slot-major
                values = np.moveaxis(values, 1, 0)
            data = np.ascontiguousarray(values)
            encoded = _codec(BLOSC["cname"], BLOSC["clevel"], shuffle, data.dtype.itemsize).encode(data)
            sizes[name] = sizes.get(name, 0) + len(encoded)
        total_points += count
    seconds = time.perf_counter() - t0
    points = max(total_points, 1)
    return {name: size / points for name, size in sizes.items()}, total_points, seconds / points


def _allocation_unit(path: Path) -> int:
    """The filesystem's allocation unit at ``path`` (or its nearest existing parent): what
    one small file takes on disk at least."""
    here = path
    while not here.exists() and here != here.parent:
        here = here.parent
    try:
        return max(512, int(os.statvfs(here).f_frsize))
    except (OSError, AttributeError):
        return 4096


def _rounded(nbytes: float, unit: int) -> int:
    return int(-(-max(nbytes, 1) // unit) * unit)


def estimate(spec: SweepSpec, pending: int | None = None, pending_points: int | None = None) -> Needs:
    """What ``spec`` needs: block memory, template memory, the cube uncompressed, and the disk
    and time for ``pending`` blocks of ``pending_points`` points (default: all) measured on a
    sample (see the module's description).

    Raises
    ------
    ParameterError
        The sample's points cannot be solved by the sweep's method (the sweep would fail too).
    """
    block_points = math.prod(spec.chunks())
    n_total = spec.n_total
    per_point = sum(size * (spec.max_eq if per_eq else 1) for _, size, per_eq in _stored_outputs(spec))
    blocks = block_count(spec)
    pending = blocks if pending is None else pending
    if pending_points is None:
        pending_points = n_total if pending == blocks else min(n_total, pending * block_points)
    sample = SAMPLE_POINTS.get(spec.method, BLOCK_SAMPLE)
    per_output, count, seconds_per_point = _compressed_per_point(spec, min(sample, block_points))
    # Each block writes one chunk file per output (edge chunks padded to the full chunk, as zarr
    # stores them), each taking whole allocation units, and its small _progress entries.
    unit = _allocation_unit(Path(spec.store))
    per_block = sum(_rounded(bpp * block_points, unit) for bpp in per_output.values()) + PROGRESS_FILES * unit
    swept = len(spec.swept) if spec.design != "grid" else 0
    return Needs(
        block_points=block_points,
        block_memory=_block_memory(spec, block_points),
        template_memory=8 * (swept + 1) * n_total if spec.design != "grid" else 0,
        cube_bytes=per_point * n_total,
        disk_bytes=int(per_block * pending),
        sample_points=count,
        bytes_per_point=per_output,
        seconds_per_point=seconds_per_point,
        pending_points=int(pending_points),
    )


def default_block_memory() -> int:
    """This machine's memory per core: what each worker of the default local cluster (one per
    core) has for its block."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**62
    return max(1, total // (os.cpu_count() or 1))


def _free_bytes(path: Path) -> int:
    """Free bytes of the filesystem holding ``path`` (or its nearest existing parent)."""
    here = path
    while not here.exists() and here != here.parent:
        here = here.parent
    return shutil.disk_usage(here).free


def _tree_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def check_resources(
    spec: SweepSpec,
    pending: int,
    state: str,
    max_block_memory: int | str | None = None,
    max_disk: int | str | None = None,
    ignore_free_space: bool = False,
    pending_points: int | None = None,
    needs: Needs | None = None,
) -> Needs:
    """Refuse, before anything is written, a sweep whose block needs more memory than
    ``max_block_memory`` (default: this machine's memory per core), or whose ``pending`` blocks
    need more disk than ``max_disk`` or than the store's filesystem has free (an old cube being
    overwritten counts as freed; ``ignore_free_space`` skips this last check only). ``needs``:
    an :func:`estimate` already made for these blocks (else one is made).

    Raises
    ------
    ResourceError
        A limit is exceeded; the message gives the sizes and what to change.
    """
    memory_limit = parse_size(max_block_memory)
    disk_limit = parse_size(max_disk)
    needs = needs or estimate(spec, pending, pending_points)
    limit = memory_limit or default_block_memory()
    where = "the limit set" if memory_limit else "this machine's memory per core; set --max-block-memory"
    nothing = "nothing was written"
    if needs.block_memory > limit:
        raise ResourceError(
            f"refusing to run {spec.store}: one block of {needs.block_points:,} points needs about "
            f"{format_size(needs.block_memory)} of memory on a worker, more than {format_size(limit)} ({where}); "
            f"lower sweep.chunk_points ({nothing})"
        )
    if needs.template_memory > limit:
        raise ResourceError(
            f"refusing to run {spec.store}: the design's {spec.n_total:,} points need about "
            f"{format_size(needs.template_memory)} of memory to write the template, more than {format_size(limit)} "
            f"({where}); lower sweep.n_points ({nothing})"
        )
    if pending == 0:
        return needs
    disk = required_disk(needs, state)
    about = (
        f"about {format_size(disk)} on disk for {pending:,} blocks (estimated from {needs.sample_points:,} points "
        f"solved now, compressed as the cube is, with a {DISK_MARGIN - 1:.0%} margin; "
        f"{format_size(needs.cube_bytes)} uncompressed for the whole cube)"
    )
    if disk_limit is not None and disk > disk_limit:
        raise ResourceError(
            f"refusing to run {spec.store}: it needs {about}, more than the limit of {format_size(disk_limit)} "
            f"(--max-disk) ({nothing})"
        )
    free = free_for(spec, state)
    if disk > free and not ignore_free_space:
        raise ResourceError(
            f"refusing to run {spec.store}: it needs {about}, but only {format_size(free)} are free there "
            f"({nothing}); free space or write the cube elsewhere (--store), or run anyway with --ignore-free-space"
        )
    return needs


def required_disk(needs: Needs, state: str) -> int:
    """The disk a run must find free: the estimate with its margin, and for a new cube the
    coordinates of a sampled design."""
    return int(needs.disk_bytes * DISK_MARGIN) + (needs.template_memory if state != "resumed" else 0)


def free_for(spec: SweepSpec, state: str) -> int:
    """Free bytes for the cube of ``spec``: its filesystem's free space, plus an old cube being
    overwritten (replaced as a whole before the blocks are written)."""
    store = Path(spec.store)
    free = _free_bytes(store)
    if state == "overwritten" and store.exists():
        free += _tree_bytes(store)
    return free


def size_lines(spec: SweepSpec, needs: Needs, pending: int, state: str, cores: int | None = None) -> list[str]:
    """What a run will do and need, said before it starts (``allysweep run``, ``--dry-run``):
    points and blocks, the estimated cube size on disk against the free space, the estimated
    time at the rate measured on the sample."""
    blocks = block_count(spec)
    cores = cores or os.cpu_count() or 1
    done = blocks - pending
    lines = [
        f"size: {spec.n_total:,} points in {blocks:,} blocks of <= {needs.block_points:,} points"
        + (f"; {pending:,} blocks ({needs.pending_points:,} points) to compute, {done:,} done" if done else "")
    ]
    measured = sorted(needs.bytes_per_point.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{name} {bpp:.2f}" for name, bpp in measured[:6])
    if len(measured) > 6:
        shown += f", {len(measured) - 6} more {sum(b for _, b in measured[6:]):.2f} together"
    lines.append(
        f"disk: about {format_size(needs.disk_bytes)} for the blocks to compute (an estimate: "
        f"{format_size(needs.disk_bytes / max(needs.pending_points, 1))} per point measured on "
        f"{needs.sample_points:,} points solved and compressed now, rounded up to whole filesystem blocks; "
        f"compressed bytes per point: {shown}); refused above {format_size(required_disk(needs, state))} "
        f"with the {DISK_MARGIN - 1:.0%} margin; {format_size(free_for(spec, state))} free there"
    )
    if pending:
        rate = 1 / needs.seconds_per_point if needs.seconds_per_point > 0 else float("inf")
        lines.append(
            f"time: about {format_duration(needs.run_seconds(cores))} of computing on {cores} cores (an estimate: "
            f"{rate:,.0f} points/s per core measured solving and compressing the sample; Dask and the writes "
            "add to it)"
        )
    return lines
