"""The cost of labelling: ``asw.solve`` against the engine call it makes, on the same points.

``asw.solve`` broadcasts its parameters, flattens them into the engine's columns, calls the
engine and labels the result as an ``xarray.Dataset``. This benchmark times, in one run and on
one core (``threads=1``), both

- **engine**: ``asw.solve_flat(columns, threads=1, max_eq=4)`` on the flat columns of the same
  points (fresh output arrays, four slots: the engine call ``asw.solve`` makes; points with more
  equilibria are solved again with all slots, which none of these has), and
- **labelled**: ``asw.solve(k=..., r=..., threads=1)``, everything included,

alternating the two, and prints their medians side by side with the ratio of rates
(labelled / engine; the target is >= 0.80). On a busy machine the engine's own time varies
from call to call more than the labelling costs, so the labelled runs also time the engine call
inside them: engine seconds / total seconds of the same call is the share of ``asw.solve`` that
is the engine, free of that noise. Results go to
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
    flat = asw.solve_flat(cols, threads=1, max_eq=4)
    slots = ds.sizes["eq"]
    np.testing.assert_array_equal(ds.kind.values.reshape(n, slots), flat["kind"][:, :slots])
    np.testing.assert_array_equal(ds.n_eq.values.ravel(), flat["n_eq"])
    assert int(flat["n_eq"].max()) <= 4  # no second pass: the engine call below is solve's whole engine work
    del ds, flat

    times: dict[str, list[float]] = {"engine": [], "labelled": []}
    inside: list[float] = []  # engine seconds inside each labelled call
    real_solve_batch = native.solve_batch

    def timed_solve_batch(*a, **kw):
        t0 = time.perf_counter()
        try:
            return real_solve_batch(*a, **kw)
        finally:
            inside[-1] += time.perf_counter() - t0

    native.solve_batch = timed_solve_batch
    for _ in range(args.repeats):
        for what in ("engine", "labelled"):
            gc.collect()
            t0 = time.perf_counter()
            inside.append(0.0)
            if what == "engine":
                result = asw.solve_flat(cols, threads=1, max_eq=4)
                inside.pop()
            else:
                result = asw.solve(k=k, r=r, threads=1)
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
    share = statistics.median(e / t for e, t in zip(inside, times["labelled"], strict=True))
    print(f"  engine share of each labelled call (median): {share:.3f}")
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
                "engine_seconds_inside_labelled": inside,
                "engine_share_of_labelled_call": share,
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
