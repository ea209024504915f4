"""Sweeps: a specification in, a labelled, resumable Zarr cube out, computed with Dask.

How a sweep runs (the xarray-beam / pangeo-forge pattern):

1. The **template** is written first (:mod:`.store`): every variable with its final shape,
   chunks, attributes and coordinates, but no data. The dataset's attributes carry the full
   specification, its SHA-256 fingerprint, the software version and the solver settings.
2. The cube is cut into **blocks** (:mod:`.design`), one per Zarr chunk. Each Dask task
   (:mod:`.worker`) solves one block with the Rust engine on a single thread, writes each output
   as one chunk file (:mod:`.chunks`), then sets the block's flag in ``_progress/done``. Block
   writes are idempotent, so a repeated task (lost worker) or a half-written block (killed
   process) is simply written again.
3. **Resume** (:mod:`.run`) computes only the blocks whose flag is not set; the result is
   identical to an uninterrupted run. A store written for another specification is never
   resumed into. Clients and clusters are in :mod:`.cluster`.

Memory stays bounded by the block size, whatever the size of the cube.
"""

from .design import block_count, block_slices
from .run import SweepSummary, sweep, sweep_plan
from .spec import SweepSpec, load_spec
from .store import completed_blocks, cube_info, open_cube

__all__ = [
    "sweep",
    "sweep_plan",
    "SweepSummary",
    "SweepSpec",
    "load_spec",
    "open_cube",
    "cube_info",
    "block_count",
    "block_slices",
    "completed_blocks",
]
