"""Points per second per core of `roots`: where A1 fails (the crisis stage) next to canonical
points, and both next to a baseline build of the engine (every output of each), in one run.

Each measurement runs in its own Python process (so a baseline build can be imported from
another source tree), on one core (``threads=1``), with output buffers reused across calls (so
page faults of fresh memory do not blur the comparison); the processes alternate and the
medians are printed side by side. Results go to ``benches/results/crisis-rate-<date>.json``.

Point sets (the same seed for every build):

- ``canonical``: random MODEL.md points (A1 holds), uniform type, uniform cost;
- ``canonical-logistic``: the same with a logistic cost;
- ``crisis``: the same as ``canonical`` but with ``c_d`` above ``p`` (A1 fails);
- ``crisis-logistic``, ``crisis-two-type``.

Usage::

    python benches/crisis_rate.py
    python benches/crisis_rate.py --baseline /path/to/old/checkout/python   # with its _core built
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

WORKER = r"""
import json, statistics, sys, time
import numpy as np
from allysweep import _core

MODEL_MD = {"n_eq", "status", "range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint", "kind",
            "cutpoint", "prob_alliance", "belief_alliance", "belief_no_alliance", "prob_challenge_alliance",
            "prob_challenge_no_alliance", "prob_war", "prob_renege", "range_lo_alliance", "range_hi_alliance",
            "range_lo_no_alliance", "range_hi_no_alliance", "stable", "ic_ok", "d1_ok", "selected", "degenerate",
            "gain_increasing"}

def columns(n, kind, seed=7):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.85, n)
    pa = p + rng.uniform(0.02, 1.0, n) * (1 - p)
    c_d = rng.uniform(0, 1, n) * p
    if kind.startswith("crisis"):
        c_d = p + rng.uniform(0.001, 0.6, n)
    cols = dict(p=p, p_alliance=pa, p_coalition=pa.copy(), c_d=c_d, c_d_joint=rng.uniform(0, 1, n) * c_d,
                c_c_extra=rng.uniform(0, 0.3, n), c_a=rng.uniform(0.01, 0.4, n), k=rng.uniform(0, 0.15, n),
                r=rng.uniform(0, 0.3, n), b_c=rng.uniform(0.01, 0.2, n))
    two = kind.endswith("two-type")
    cols["theta_kind"] = np.full(n, 1.0 if two else 0.0)
    lo = rng.uniform(0, 0.4, n) if two else np.zeros(n)
    cols["theta_a"], cols["theta_b"] = lo, lo + (rng.uniform(0.05, 0.6, n) if two else np.ones(n))
    cols["theta_c"] = rng.uniform(0.1, 0.9, n) if two else np.full(n, np.nan)
    logistic = kind.endswith("logistic")
    cols["cost_kind"] = np.full(n, 1.0 if logistic else 0.0)
    cols["cost_a"] = np.full(n, 0.5 if logistic else 0.0)
    cols["cost_b"] = np.full(n, 0.15 if logistic else 1.0)
    cols["range_cost"] = np.full(n, np.nan)
    return [np.ascontiguousarray(cols[c], dtype=np.float64) for c in _core.COLUMNS]

kind, n, calls, max_eq, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
arrays = columns(n, kind)
extra = ()
if which == "model-md" and hasattr(_core, "OUTPUTS"):  # only MODEL.md's 25 outputs
    extra = ([name for name, *_ in _core.OUTPUTS if name in MODEL_MD],)
out = _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, max_eq, None, *extra)
times = []
for _ in range(calls):
    t0 = time.perf_counter()
    _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, max_eq, out, *extra)
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": statistics.median(times), "outputs": len(out), "build": _core.BUILD_PROFILE}))
"""


def run(pythonpath: str | None, kind: str, n: int, calls: int, max_eq: int, which: str = "all") -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(n), str(calls), str(max_eq), which],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100_000, help="points per set (default 100,000)")
    parser.add_argument("--crisis-points", type=int, default=20_000, help="points per crisis set (default 20,000)")
    parser.add_argument("--repeats", type=int, default=5, help="processes per build and set (default 5)")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per process (median; default 3)")
    parser.add_argument("--max-eq", type=int, default=4, help="equilibrium slots (default 4, as sweeps)")
    parser.add_argument("--baseline", help="PYTHONPATH of a baseline build (a source tree's python/ with _core)")
    args = parser.parse_args()
    # "current" computes every output; "current, MODEL.md outputs" only MODEL.md's 25.
    builds: dict[str, tuple[str | None, str]] = {
        "current": (None, "all"),
        "current, MODEL.md outputs": (None, "model-md"),
    }
    if args.baseline:
        builds["baseline"] = (args.baseline, "all")
    sets = ["canonical", "canonical-logistic", "crisis", "crisis-logistic", "crisis-two-type"]
    rates: dict[str, dict[str, list[float]]] = {b: {s: [] for s in sets} for b in builds}
    outputs: dict[str, int] = {}
    for _ in range(args.repeats):
        for s in sets:
            n = args.crisis_points if s.startswith("crisis") else args.points
            for build, (path, which) in builds.items():
                if build == "current, MODEL.md outputs" and s.startswith("crisis"):
                    continue
                try:
                    res = run(path, s, n, args.calls, args.max_eq, which)
                except subprocess.CalledProcessError:
                    if build == "baseline" and s.startswith("crisis"):
                        continue  # a baseline from before the crisis stage refuses points where A1 fails
                    raise
                rates[build][s].append(n / res["seconds"])
                outputs[build] = res["outputs"]
    med = {b: {s: statistics.median(v) for s, v in r.items() if v} for b, r in rates.items()}
    print(f"roots, one core, {args.max_eq} slots, median of {args.repeats} processes x {args.calls} calls:")
    sub = "current, MODEL.md outputs"
    header = f"  {'points':20} {'current (all)':>15} {'current (25)':>14}"
    if args.baseline:
        header += f" {'baseline':>14} {'all/base':>9}"
    print(header)
    for s in sets:
        line = f"  {s:20} {med['current'][s]:>13,.0f}/s"
        line += f" {med[sub][s]:>12,.0f}/s" if s in med[sub] else f" {'':>14}"
        if args.baseline and s in med.get("baseline", {}):
            base = med["baseline"][s]
            line += f" {base:>12,.0f}/s {med['current'][s] / base:>9.3f}"
        print(line)
    print(f"  crisis / canonical (current): {med['current']['crisis'] / med['current']['canonical']:.3f}")
    print(f"  output columns: {outputs}")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"crisis-rate-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "crisis_rate",
                "date": stamp,
                "points": args.points,
                "crisis_points": args.crisis_points,
                "repeats": args.repeats,
                "calls": args.calls,
                "max_eq": args.max_eq,
                "threads": 1,
                "points_per_second": rates,
                "median_points_per_second": med,
                "output_columns": outputs,
                "baseline": args.baseline,
                "command": " ".join(["python", "benches/crisis_rate.py", *sys.argv[1:]]),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
