"""``ds.hvplot.image(..., rasterize=True)`` on a 10^7-point cube: rendered lazily, memory bounded.

Sweeps a ``--side`` x ``--side`` grid over (k, r) (default 3163^2 = 1.0e7 points) with the real
engine into a Zarr cube that stores two outputs (``selected``, ``prob_war``; four equilibrium
slots), then, in a fresh Python process, opens the cube lazily and renders

    asw.selected(cube).hvplot.image(x="k", y="r", z="prob_war", rasterize=True)

to Bokeh models (``holoviews.render``: datashader aggregates the cube chunk by chunk to the
figure's pixels). That process samples its own resident memory every 5 ms and reports the peak
during the render above its resident memory just before it (after the imports, and after a
warm-up render of a tiny array that loads datashader and compiles its numba kernels), next to
the in-memory size of the variables the render reads. Results go to
``benches/results/hvplot-<date>.json``.

Not a test: run it deliberately, ``python benches/hvplot_bench.py``. tests/test_large_cube.py
runs the same render (``--render STORE``) on a cube of the same layout written directly.

glibc keeps freed chunk buffers in the heap (its mmap threshold grows with the first large free),
so the resident peak includes allocator slack that the next render reuses; ``--mmap-threshold``
sets ``MALLOC_MMAP_THRESHOLD_`` in the render process to see the working set alone. Both are
reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The render process: prints one line of JSON.
RENDER = r"""
import json, sys, threading, time
import psutil

me = psutil.Process()
peak = [0]

def sample():
    while True:
        peak[0] = max(peak[0], me.memory_info().rss)
        time.sleep(0.005)

import holoviews as hv
import hvplot.xarray  # noqa: F401  (the .hvplot accessor)
import numpy as np
import xarray as xr

import allysweep as asw

hv.extension("bokeh")
store, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tiny = xr.DataArray(np.random.rand(40, 30), coords={"k": np.linspace(0, 1, 40), "r": np.linspace(0, 1, 30)},
                    dims=("k", "r"), name="prob_war")
hv.render(tiny.hvplot.image(x="k", y="r", rasterize=True, width=width, height=height))  # warm-up
cube = xr.open_zarr(store, consolidated=False)
sel = asw.selected(cube[["selected", "prob_war"]])
lazy = all(hasattr(v.data, "dask") for v in (cube.prob_war, cube.selected, sel.prob_war))
touched = int(cube.prob_war.nbytes + cube.selected.nbytes)
time.sleep(0.2)
base = me.memory_info().rss
peak[0] = base
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
view = sel.hvplot.image(x="k", y="r", z="prob_war", rasterize=True, width=width, height=height, cmap="viridis")
fig = hv.render(view)
seconds = time.perf_counter() - start
time.sleep(0.05)
(image,) = [r for r in fig.renderers if type(getattr(r, "glyph", None)).__name__ == "Image"]
pixels = np.asarray(image.data_source.data["image"][0], dtype=float)
# The rendered pixels against the cube at the pixels' centres (nearest cell): datashader's
# means of a smooth output differ from it by less than the output's change across a pixel.
k = np.linspace(float(cube.k[0]), float(cube.k[-1]), pixels.shape[1] + 1)
r = np.linspace(float(cube.r[0]), float(cube.r[-1]), pixels.shape[0] + 1)
centres = sel.prob_war.sel(k=(k[:-1] + k[1:]) / 2, r=(r[:-1] + r[1:]) / 2, method="nearest")
reference = np.asarray(centres.transpose("r", "k").values, dtype=float)
print(json.dumps({
    "points": int(cube.sizes["k"] * cube.sizes["r"]),
    "dims": {str(d): int(n) for d, n in cube.sizes.items()},
    "chunks": {str(d): int(c[0]) for d, c in cube.prob_war.chunksizes.items()},
    "lazy_before_render": lazy,
    "touched_in_memory_mib": touched / 2**20,
    "rss_before_mib": base / 2**20,
    "peak_rss_mib": peak[0] / 2**20,
    "peak_above_before_mib": (peak[0] - base) / 2**20,
    "render_seconds": seconds,
    "image_shape": list(pixels.shape),
    "finite_share": float(np.isfinite(pixels).mean()),
    "range": [float(np.nanmin(pixels)), float(np.nanmax(pixels))],
    "max_abs_diff_from_pixel_centres": float(np.nanmax(np.abs(pixels - reference))),
    "share_within_1e-3_of_pixel_centres": float(np.mean(np.abs(pixels - reference) < 1e-3)),
}))
"""


def render(store: Path, width: int = 600, height: int = 450, mmap_threshold: int | None = None) -> dict:
    """Run :data:`RENDER` on ``store`` in a fresh process; its JSON result."""
    env = dict(os.environ)
    if mmap_threshold:
        env["MALLOC_MMAP_THRESHOLD_"] = str(mmap_threshold)
    proc = subprocess.run(
        [sys.executable, "-c", RENDER, str(store), str(width), str(height)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the render process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sweep(store: Path, side: int) -> float:
    """The real sweep: ``side`` x ``side`` points over (k, r), outputs ``selected`` and ``prob_war``."""
    from distributed import Client, LocalCluster

    import allysweep as asw

    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {"name": "hvplot-bench", "design": "grid", "store": str(store), "max_eq": 4,
                      "outputs": ["selected", "prob_war"]},
            "params": {"k": {"linspace": [0.0, 0.12, side]}, "r": {"linspace": [0.0, 0.14, side]}},
        }
    )  # fmt: skip
    start = time.perf_counter()
    with (
        LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        asw.sweep(spec, client=client, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=3163, help="grid points along k and along r")
    parser.add_argument("--render", metavar="STORE", help="only render STORE (what the test runs)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.render:
        print(json.dumps(render(Path(args.render)), indent=2))
        return
    tmp = Path(tempfile.mkdtemp(prefix="hvplot-bench-"))
    try:
        store = tmp / "cube.zarr"
        seconds = sweep(store, args.side)
        result = {
            "benchmark": "hvplot_rasterize",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "cores": os.cpu_count(),
            "cube": "a real sweep (the engine), outputs selected and prob_war, default chunk_points",
            "sweep_seconds": seconds,
            "disk_mib": sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20,
            "render": render(store),
            "render_second_run": render(store),
            "render_mmap_threshold_1mib": render(store, mmap_threshold=1 << 20),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=2))
    args.out.mkdir(exist_ok=True)
    path = args.out / f"hvplot-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
