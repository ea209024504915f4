"""End-to-end sweep benchmark (issue 3): Dask + Zarr vs the engine called directly.

Sweeps a grid of ``--points`` points (default 10^7) with the default local Dask cluster (one
single-threaded worker process per core) into a Zarr cube, then solves the very same points by
calling the engine directly in this process (all cores, no Dask, no I/O), and prints:

- end-to-end points/s of the sweep (cluster start, template, compute, compression, writes),
- the same for the sweep's compute phase alone (blocks running),
- points/s of the engine called directly, with and without building the input columns,
- the ratio sweep / direct (Dask and I/O overhead), per core figures, and
- peak memory: the largest sum of resident memory over this process and all its children
  (scheduler, workers), sampled every 50 ms.

Not a test: run it deliberately, e.g. ``python benches/sweep_bench.py --points 1e7``.
Results are also written as JSON to ``benches/results/sweep-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

import allysweep as asw
from allysweep.engine import native
from allysweep.sweeps.design import block_count, block_params, block_slices


class PeakMemory:
    """Peak of the summed RSS of this process and its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def make_spec(n_points: float, store: Path, chunk_points: int, outputs: list[str] | None = None) -> asw.SweepSpec:
    # A 4-D grid: k x r x c_a x p with about n_points points.
    side = max(2, round((n_points / 10) ** (1 / 3)))
    return asw.SweepSpec.from_dict(
        {
            "sweep": {
                "name": "bench",
                "design": "grid",
                "chunk_points": chunk_points,
                "max_eq": 4,
                "store": str(store),
                **({"outputs": outputs} if outputs else {}),
            },
            "params": {
                "k": {"linspace": [0.0, 0.12, side]},
                "r": {"linspace": [0.0, 0.14, side]},
                "c_a": {"linspace": [0.05, 0.25, side]},
                "p": {"linspace": [0.2, 0.5, 10]},
                "c_d": 0.1,
            },
        }
    )


def direct(spec: asw.SweepSpec) -> tuple[float, float, float]:
    """Seconds to solve every block's points by calling the engine in this process on all cores:
    (engine only, engine + building the columns, engine + columns with the output arrays reused
    from block to block as the sweep's workers do)."""
    engine = total = reused = 0.0
    buffers: dict[int, dict] = {}
    for index in range(block_count(spec)):
        t0 = time.perf_counter()
        swept, n = block_params(spec, block_slices(spec, index), None)
        cols = spec.columns(swept, n)
        arrays = {c: np.ascontiguousarray(cols[c], dtype=np.float64) for c in native.COLUMNS}
        t1 = time.perf_counter()
        out = native.solve_batch(arrays, "roots", 0, native.DEFAULT_LAM, spec.max_eq)
        t2 = time.perf_counter()
        engine += t2 - t1
        total += t2 - t0
        buffers.setdefault(n, out)
    for index in range(block_count(spec)):
        t0 = time.perf_counter()
        swept, n = block_params(spec, block_slices(spec, index), None)
        cols = spec.columns(swept, n)
        arrays = {c: np.ascontiguousarray(cols[c], dtype=np.float64) for c in native.COLUMNS}
        native.solve_batch(arrays, "roots", 0, native.DEFAULT_LAM, spec.max_eq, buffers[n])
        reused += time.perf_counter() - t0
    return engine, total, reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=float, default=1e7, help="approximate number of points (default 1e7)")
    parser.add_argument("--chunk-points", type=int, default=50_000, help="points per block (default 50000)")
    parser.add_argument("--dir", help="where to write the cube (default: a temporary directory)")
    parser.add_argument("--outputs", help="comma-separated outputs to store (default: all)")
    args = parser.parse_args()

    workdir = Path(args.dir or tempfile.mkdtemp(prefix="allysweep-bench-"))
    store = workdir / "bench.zarr"
    shutil.rmtree(store, ignore_errors=True)
    spec = make_spec(args.points, store, args.chunk_points, args.outputs.split(",") if args.outputs else None)
    cores = os.cpu_count() or 1
    n = spec.n_total
    print(f"{n:,} points in {block_count(spec)} blocks on {cores} cores; {len(spec.outputs)} outputs; store {store}")

    with PeakMemory() as mem:
        t0 = time.perf_counter()
        ds = asw.sweep(spec, progress=True)
        wall = time.perf_counter() - t0
    run = json.loads(ds.attrs["last_run"])
    disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())

    engine_s, direct_s, reused_s = direct(spec)
    rows = {
        "sweep end to end (points/s)": n / wall,
        "sweep compute phase (points/s)": n / run["compute_seconds"],
        "engine direct, engine only (points/s)": n / engine_s,
        "engine direct, with column building (points/s)": n / direct_s,
        "engine direct, columns + reused outputs (points/s)": n / reused_s,
    }
    print()
    print(f"{'measure':<50} {'points/s':>14} {'per core':>12}")
    for name, value in rows.items():
        print(f"{name:<50} {value:>14,.0f} {value / cores:>12,.0f}")
    # The ratio is taken against the fastest way of calling the engine directly.
    best = max(
        rows["engine direct, with column building (points/s)"],
        rows["engine direct, columns + reused outputs (points/s)"],
    )
    ratio_e2e = rows["sweep end to end (points/s)"] / best
    ratio_run = rows["sweep compute phase (points/s)"] / best
    print(f"ratio sweep / fastest direct: end to end {ratio_e2e:.2f}, compute phase {ratio_run:.2f}  (target >= 0.80)")
    print(f"peak memory (all processes): {mem.peak / 2**20:,.0f} MiB  (target < 1024 MiB)")
    print(f"cube on disk: {disk / 2**20:,.0f} MiB")
    worker = run.get("worker_seconds") or {}
    total = sum(worker.values())
    if total:
        print(
            "worker time per block ("
            + ", ".join(f"{k} {v / run['blocks_computed'] * 1e3:.1f} ms = {v / total:.0%}" for k, v in worker.items())
            + f"); worker time / compute-phase wall time: {total / run['compute_seconds']:.2f} of {cores} cores"
        )
    out = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "points": n,
        "cores": cores,
        "blocks": block_count(spec),
        "chunk_points": args.chunk_points,
        "wall_seconds": wall,
        "compute_seconds": run["compute_seconds"],
        "engine_seconds": engine_s,
        "direct_seconds": direct_s,
        "direct_reused_seconds": reused_s,
        **rows,
        "ratio_end_to_end": ratio_e2e,
        "ratio_compute": ratio_run,
        "peak_memory_mib": mem.peak / 2**20,
        "disk_mib": disk / 2**20,
        "worker_seconds": worker,
        "outputs": list(spec.outputs),
        "version": asw.__version__,
    }
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    path = results / f"sweep-{dt.date.today().isoformat()}-{n:.0e}-points-{len(spec.outputs)}-outputs.json"
    path.write_text(json.dumps(out, indent=2))
    print(f"written {path}")
    if not args.dir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
