"""What the counterfactual outputs cost: points per second per core of `roots` with the
MODEL.md outputs only, with the welfare and no-option outputs too, with every output, and the
derivatives along two parameters, side by side with a baseline build in one run.

Each measurement runs in its own Python process (a baseline build can be imported from another
source tree), on one core (``threads=1``), with output buffers reused across calls. Time is the
process's CPU time (``time.process_time``): on a machine shared with other work it moves far less
than wall time for a single-threaded call. The processes alternate between builds; medians are
printed side by side and written to ``benches/results/counterfactual-rate-<date>.json``.

Usage::

    python benches/counterfactual_rate.py
    python benches/counterfactual_rate.py --baseline /path/to/old/checkout/python   # its _core built
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

MODEL_MD = ["n_eq", "status", "range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint", "kind",
            "cutpoint", "prob_alliance", "belief_alliance", "belief_no_alliance", "prob_challenge_alliance",
            "prob_challenge_no_alliance", "prob_war", "prob_renege", "range_lo_alliance", "range_hi_alliance",
            "range_lo_no_alliance", "range_hi_no_alliance", "stable", "ic_ok", "d1_ok", "selected", "degenerate",
            "gain_increasing"]
names = [o[0] for o in _core.OUTPUTS]
WELFARE = [n for n in names if n.startswith(("utility_", "effect_")) or n.endswith("_no_option")]

def columns(n, cost, seed=7):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.85, n)
    pa = p + rng.uniform(0.02, 1.0, n) * (1 - p)
    c_d = rng.uniform(0, 1, n) * p
    cols = dict(p=p, p_alliance=pa, p_coalition=pa.copy(), c_d=c_d, c_d_joint=rng.uniform(0, 1, n) * c_d,
                c_c_extra=rng.uniform(0, 0.3, n), c_a=rng.uniform(0.01, 0.4, n), k=rng.uniform(0, 0.15, n),
                r=rng.uniform(0, 0.3, n), b_c=rng.uniform(0.01, 0.2, n))
    cols["theta_kind"], cols["theta_a"], cols["theta_b"] = np.zeros(n), np.zeros(n), np.ones(n)
    cols["theta_c"] = np.full(n, np.nan)
    logistic = cost == "logistic"
    cols["cost_kind"] = np.full(n, 1.0 if logistic else 0.0)
    cols["cost_a"] = np.full(n, 0.5 if logistic else 0.0)
    cols["cost_b"] = np.full(n, 0.15 if logistic else 1.0)
    cols["range_cost"] = np.full(n, np.nan)
    return [np.ascontiguousarray(cols[c], dtype=np.float64) for c in _core.COLUMNS]

cost, n, calls, which = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
arrays = columns(n, cost)
if which == "derivatives":
    call = lambda out: _core.derivatives(arrays, ["k", "r"], 1, "roots", _core.DEFAULT_LAM, 4)
else:
    chosen = {"model-md": MODEL_MD, "welfare": MODEL_MD + WELFARE, "all": None}[which]
    out = _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 4, None, chosen)
    call = lambda out_=out: _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 4, out_, chosen)
call(None)
times = []
for _ in range(calls):
    t0 = time.process_time()
    call(None)
    times.append(time.process_time() - t0)
print(json.dumps({"seconds": statistics.median(times)}))
"""

MEASURES = ("model-md", "welfare", "all", "derivatives")


def run(pythonpath: str | None, cost: str, n: int, calls: int, which: str) -> float:
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, cost, str(n), str(calls), which],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return n / json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=200_000, help="points per set (default 200,000)")
    parser.add_argument("--repeats", type=int, default=5, help="processes per build and measure (default 5)")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per process (median; default 3)")
    parser.add_argument("--baseline", help="PYTHONPATH of a baseline build (a source tree's python/ with _core)")
    args = parser.parse_args()
    costs = ("uniform", "logistic")
    rates: dict[str, dict[str, list[float]]] = {
        f"{c}/{m}": {"current": [], "baseline": []} for c in costs for m in MEASURES
    }
    for _ in range(args.repeats):
        for cost in costs:
            n = args.points if cost == "uniform" else args.points // 4
            for which in MEASURES:
                key = f"{cost}/{which}"
                rates[key]["current"].append(run(None, cost, n, args.calls, which))
                if args.baseline and which == "model-md":
                    rates[key]["baseline"].append(run(args.baseline, cost, n, args.calls, which))
    med = {k: {b: statistics.median(v) for b, v in r.items() if v} for k, r in rates.items()}
    print(f"roots, one core, 4 slots, CPU time, median of {args.repeats} processes x {args.calls} calls:")
    print(f"  {'points / outputs':44} {'current':>14} {'baseline':>14} {'ratio':>7} {'vs 25':>7}")
    for cost in costs:
        ref = med[f"{cost}/model-md"]["current"]
        for which in MEASURES:
            m = med[f"{cost}/{which}"]
            label = {
                "model-md": "MODEL.md's 25 outputs",
                "welfare": "25 + welfare and no-option (39)",
                "all": "every output",
                "derivatives": "derivatives along k and r",
            }[which]
            line = f"  {cost + ': ' + label:44} {m['current']:>12,.0f}/s"
            if "baseline" in m:
                line += f" {m['baseline']:>12,.0f}/s {m['current'] / m['baseline']:>7.3f}"
            else:
                line += f" {'':>14} {'':>7}"
            line += f" {m['current'] / ref:>7.3f}"
            print(line)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"counterfactual-rate-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "counterfactual_rate",
                "date": stamp,
                "points": args.points,
                "repeats": args.repeats,
                "calls": args.calls,
                "threads": 1,
                "clock": "process_time",
                "points_per_second": rates,
                "median_points_per_second": med,
                "baseline": args.baseline,
                "command": " ".join(["python", "benches/counterfactual_rate.py", *sys.argv[1:]]),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
