"""The cost of labelling: ``asw.solve`` against the engine call it makes, on the same points.

``asw.solve`` broadcasts its parameters, flattens them into the engine's columns, calls the
engine and labels the result as an ``xarray.Dataset``. This benchmark times, in one run and on
one core (``threads=1``), both

- **engine**: ``asw.solve_flat(columns, threads=1)`` on the flat columns of the same points
  (fresh output arrays, as ``asw.solve`` uses), and
- **labelled**: ``asw.solve(k=..., r=..., threads=1)``, everything included,

alternating the two, and prints their medians side by side with the ratio of rates
(labelled / engine; the target is >= 0.80). Results go to
``benches/results/labelled-overhead-<date>.json``.

Usage::

    python benches/labelled_overhead.py                 # 10^6 points (k x r = 1000 x 1000)
    python benches/labelled_overhead.py --side 300 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import allysweep as asw
from allysweep.engine import native

RESULTS = Path(__file__).resolve().parent / "results"


def engine_columns(k: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """The flat engine columns of the k x r grid at the base case (what asw.solve builds)."""
    ds_inputs = asw.solve(k=k[:1], r=r[:1])  # only to read the defaults the labelled call uses
    kk, rr = np.meshgrid(k, r, indexing="ij")
    n = kk.size
    cols = {}
    for name in asw.model.SCALAR_PARAMETERS:
        if name not in ("k", "r"):
            cols[name] = np.full(n, float(ds_inputs[name]))
    cols["k"], cols["r"] = kk.ravel(), rr.ravel()
    cols.update(theta_kind=np.zeros(n), theta_a=np.zeros(n), theta_b=np.ones(n), theta_c=np.full(n, np.nan))
    cols.update(cost_kind=np.zeros(n), cost_a=np.zeros(n), cost_b=np.ones(n), range_cost=np.full(n, np.nan))
    return {c: cols[c] for c in native.COLUMNS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=1000, help="grid side: side^2 points (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args()
    k = np.linspace(0.0, 0.12, args.side)
    r = np.linspace(0.0, 0.14, args.side)
    n = k.size * r.size
    cols = engine_columns(k, r)

    # Same points: the labelled result equals the engine's, slot for slot.
    ds = asw.solve(k=k, r=r, threads=1)
    flat = asw.solve_flat(cols, threads=1)
    slots = ds.sizes["eq"]
    np.testing.assert_array_equal(ds.kind.values.reshape(n, slots), flat["kind"][:, :slots])
    np.testing.assert_array_equal(ds.n_eq.values.ravel(), flat["n_eq"])
    del ds, flat

    times: dict[str, list[float]] = {"engine": [], "labelled": []}
    for _ in range(args.repeats):
        for what in ("engine", "labelled"):
            gc.collect()
            t0 = time.perf_counter()
            result = asw.solve_flat(cols, threads=1) if what == "engine" else asw.solve(k=k, r=r, threads=1)
            times[what].append(time.perf_counter() - t0)
            del result
    med = {w: statistics.median(t) for w, t in times.items()}
    rate = {w: n / s for w, s in med.items()}
    ratio = rate["labelled"] / rate["engine"]
    print(f"{n:,} points (k x r grid, base case), one core, median of {args.repeats} runs each:")
    print(f"  {'':10} {'seconds':>9} {'points/s':>12}")
    for w in ("engine", "labelled"):
        print(f"  {w:10} {med[w]:9.3f} {rate[w]:12,.0f}")
    print(f"  labelled / engine rate: {ratio:.3f} (target >= 0.80)")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"labelled-overhead-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "labelled_overhead",
                "date": stamp,
                "points": n,
                "repeats": args.repeats,
                "threads": 1,
                "seconds": times,
                "median_seconds": med,
                "points_per_second": rate,
                "ratio_labelled_to_engine": ratio,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "allysweep": asw.__version__,
                "command": "python benches/labelled_overhead.py " + f"--side {args.side} --repeats {args.repeats}",
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
