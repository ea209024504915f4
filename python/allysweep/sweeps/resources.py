"""Resource bounds of a sweep, checked before anything is written (docs/conventions.md, "Store
safety"): the memory one block needs on a worker, and the disk the cube needs, against the
limits the user sets (``--max-block-memory`` / ``--max-disk``, or ``max_block_memory`` /
``max_disk`` of :func:`allysweep.sweep`) and against the free space of the store's filesystem.

The memory of a block is counted from the output schema (inputs, the engine's output buffers,
the slot-major copies written, the derivatives); the disk from a sample: a few thousand points of
the sweep's first block are solved here, in memory, and compressed with the cube's codec.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import COLUMNS, OUTPUTS, native, solve_flat
from ..exceptions import StoreError
from .chunks import _SHUFFLES, BLOSC, _codec
from .design import block_count
from .spec import SweepSpec

__all__ = ["ResourceError", "Needs", "estimate", "check_resources", "parse_size", "format_size"]

#: Points solved to estimate the compressed size (fewer for the slow methods).
SAMPLE_POINTS = {"qre": 16, "reference": 32}
DEFAULT_SAMPLE = 2048
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
    """

    block_points: int
    block_memory: int
    template_memory: int
    cube_bytes: int
    disk_bytes: int
    sample_points: int


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


def _sample_columns(spec: SweepSpec, n: int) -> tuple[dict[str, np.ndarray], int]:
    """Engine columns of up to ``n`` points like the sweep's: the first points of its first
    block (grid), points drawn from its ranges (lhs / sobol) or its first listed points."""
    if spec.design == "grid":
        # Values spread evenly along each axis (the trailing axes first, whole where they fit),
        # up to n points in all: what a block holds, without building a whole block.
        axes, left = [], n
        for _, values in reversed(spec.axes):
            take = max(1, min(len(values), left))
            pick = np.unique(np.linspace(0, len(values) - 1, take).round().astype(np.int64))
            axes.append(np.asarray(values, dtype=float)[pick])
            left = max(1, left // len(pick))
        axes.reverse()
        mesh = np.meshgrid(*axes, indexing="ij")
        swept = {name: m.ravel() for (name, _), m in zip(spec.axes, mesh, strict=True)}
        count = int(mesh[0].size)
    elif spec.design == "list":
        count = min(n, len(spec.points[0][1]))
        swept = {name: np.asarray(v[:count], dtype=float) for name, v in spec.points}
    else:
        count = min(n, int(spec.n_points or 0))
        rng = np.random.default_rng(spec.seed)
        swept = {}
        for name, kind, lo, hi in spec.ranges:
            u = rng.random(count)
            swept[name] = lo + u * (hi - lo) if kind == "uniform" else np.exp(np.log(lo) + u * np.log(hi / lo))
    return spec.columns(swept, count), count


def _compressed_per_point(spec: SweepSpec, n: int) -> tuple[float, int]:
    """Bytes per point of the stored outputs, compressed with the cube's codec, from a sample
    of up to ``n`` points solved here; and the sample's size."""
    columns, count = _sample_columns(spec, n)
    from .worker import _computed

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
    total = 0
    shuffle = _SHUFFLES[BLOSC["shuffle"]]
    for values in arrays.values():
        if values.ndim > 1:  # stored slot-major
            values = np.ascontiguousarray(np.moveaxis(values, 1, 0))
        data = np.ascontiguousarray(values)
        total += len(_codec(BLOSC["cname"], BLOSC["clevel"], shuffle, data.dtype.itemsize).encode(data)) + 16
    return total / max(count, 1), count


def estimate(spec: SweepSpec, pending: int | None = None) -> Needs:
    """What ``spec`` needs: block memory, template memory, the cube uncompressed, and the disk
    for ``pending`` blocks (default: all) estimated from a sample.

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
    sample = SAMPLE_POINTS.get(spec.method, DEFAULT_SAMPLE)
    compressed, count = _compressed_per_point(spec, min(sample, block_points))
    # The disk of the pending blocks (each block is whole chunks: edge blocks padded).
    disk = compressed * block_points * pending
    swept = len(spec.swept) if spec.design != "grid" else 0
    return Needs(
        block_points=block_points,
        block_memory=_block_memory(spec, block_points),
        template_memory=8 * (swept + 1) * n_total if spec.design != "grid" else 0,
        cube_bytes=per_point * n_total,
        disk_bytes=int(disk),
        sample_points=count,
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
) -> Needs:
    """Refuse, before anything is written, a sweep whose block needs more memory than
    ``max_block_memory`` (default: this machine's memory per core), or whose ``pending`` blocks
    need more disk than ``max_disk`` or than the store's filesystem has free (an old cube being
    overwritten counts as freed).

    Raises
    ------
    ResourceError
        A limit is exceeded; the message gives the sizes and what to change.
    """
    memory_limit = parse_size(max_block_memory)
    disk_limit = parse_size(max_disk)
    needs = estimate(spec, pending)
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
    disk = int(needs.disk_bytes * DISK_MARGIN) + (needs.template_memory if state != "resumed" else 0)
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
    store = Path(spec.store)
    free = _free_bytes(store)
    if state == "overwritten" and store.exists():
        free += _tree_bytes(store)  # replaced as a whole before the blocks are written
    if disk > free:
        raise ResourceError(
            f"refusing to run {spec.store}: it needs {about}, but only {format_size(free)} are free there "
            f"({nothing}); free space or write the cube elsewhere (--store)"
        )
    return needs
