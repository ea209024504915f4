"""Points per second per core of the certified `roots` solver next to the current one (a
baseline build), on the same points, in one run; and the share of points certified.

Each measurement runs in its own Python process (so the baseline can be imported from another
source tree), on one core (``threads=1``), with output buffers reused across calls, timed in
the process's CPU time (``time.process_time``: on a shared machine, time slices given to other
processes do not count); the builds alternate and the medians are printed side by side. Two
output selections: MODEL.md's 25 outputs (the solver's own cost) and every output (what
``asw.solve`` computes). Results go to ``benches/results/certified-rate-<date>.json``.

Point sets (the same seed for every build), continuous ally θ ~ U[0, 1]:

- ``canonical-logistic``, ``canonical-normal``: random MODEL.md points (A1 holds) with a
  logistic / normal challenger cost (mu in [0.2, 0.8], scale in [0.02, 0.3]);
- ``crisis-logistic``, ``crisis-normal``: the same with ``c_d`` above ``p`` (A1 fails);
- ``canonical-uniform``: uniform cost, for the cost of the polynomial pieces' certificate.

Usage::

    python benches/certified_rate.py --baseline /path/to/old/checkout/python   # its _core built
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

def columns(n, kind, seed=12):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.85, n)
    pa = p + rng.uniform(0.02, 1.0, n) * (1 - p)
    c_d = rng.uniform(0, 1, n) * p
    if kind.startswith("crisis"):
        c_d = p + rng.uniform(0.001, 0.6, n)
    cols = dict(p=p, p_alliance=pa, p_coalition=pa.copy(), c_d=c_d, c_d_joint=rng.uniform(0, 1, n) * c_d,
                c_c_extra=rng.uniform(0, 0.3, n), c_a=rng.uniform(0.01, 0.4, n), k=rng.uniform(0, 0.3, n),
                r=rng.uniform(0, 0.3, n), b_c=rng.uniform(0.01, 0.2, n))
    cols["theta_kind"], cols["theta_a"], cols["theta_b"] = np.zeros(n), np.zeros(n), np.ones(n)
    cols["theta_c"] = np.full(n, np.nan)
    family = kind.split("-")[1]
    cols["cost_kind"] = np.full(n, {"uniform": 0.0, "logistic": 1.0, "normal": 2.0}[family])
    if family == "uniform":
        cols["cost_a"], cols["cost_b"] = np.zeros(n), np.ones(n)
    else:
        cols["cost_a"], cols["cost_b"] = rng.uniform(0.2, 0.8, n), rng.uniform(0.02, 0.3, n)
    cols["range_cost"] = np.full(n, np.nan)
    return [np.ascontiguousarray(cols[c], dtype=np.float64) for c in _core.COLUMNS]

kind, n, calls, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
arrays = columns(n, kind)
extra = ([name for name, *_ in _core.OUTPUTS if name in MODEL_MD],) if which == "model-md" else ()
out = _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 4, None, *extra)
times = []
for _ in range(calls):
    t0 = time.process_time()
    _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 4, out, *extra)
    times.append(time.process_time() - t0)
status = np.asarray(out["status"])
print(json.dumps({"seconds": statistics.median(times), "certified": float(np.mean((status & 4) != 0)),
                  "build": _core.BUILD_PROFILE}))
"""

SETS = ["canonical-logistic", "canonical-normal", "crisis-logistic", "crisis-normal", "canonical-uniform"]


def run(pythonpath: str | None, kind: str, n: int, calls: int, which: str) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(n), str(calls), which],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="PYTHONPATH of the current (uncertified) build")
    parser.add_argument("--points", type=int, default=100_000, help="points per canonical set (default 100,000)")
    parser.add_argument("--crisis-points", type=int, default=20_000, help="points per crisis set (default 20,000)")
    parser.add_argument("--repeats", type=int, default=5, help="processes per build, set and selection (default 5)")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per process (median; default 3)")
    args = parser.parse_args()
    builds = {"certified": None, "current": args.baseline}
    selections = ["model-md", "all"]
    rates: dict[str, dict[str, dict[str, list[float]]]] = {
        w: {b: {s: [] for s in SETS} for b in builds} for w in selections
    }
    share: dict[str, float] = {}
    for _ in range(args.repeats):
        for s in SETS:
            n = args.crisis_points if s.startswith("crisis") else args.points
            for which in selections:
                for build, path in builds.items():
                    res = run(path, s, n, args.calls, which)
                    rates[which][build][s].append(n / res["seconds"])
                    if build == "certified":
                        share[s] = res["certified"]
    med = {w: {b: {s: statistics.median(v) for s, v in r.items()} for b, r in rb.items()} for w, rb in rates.items()}
    print(f"roots, one core, 4 slots, median of {args.repeats} processes x {args.calls} calls (points/s/core):")
    print(f"  {'points':20} {'outputs':>7} {'current':>12} {'certified':>12} {'ratio':>6} {'certified share':>16}")
    for s in SETS:
        for which in selections:
            cur, cert = med[which]["current"][s], med[which]["certified"][s]
            label = "25" if which == "model-md" else "all"
            print(f"  {s:20} {label:>7} {cur:>12,.0f} {cert:>12,.0f} {cert / cur:>6.2f} {share[s]:>16.4%}")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"certified-rate-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "certified_rate",
                "date": stamp,
                "points": args.points,
                "crisis_points": args.crisis_points,
                "repeats": args.repeats,
                "calls": args.calls,
                "max_eq": 4,
                "threads": 1,
                "baseline": args.baseline,
                "points_per_second": rates,
                "median_points_per_second": med,
                "certified_share": share,
                "command": " ".join(["python", "benches/certified_rate.py", *sys.argv[1:]]),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
