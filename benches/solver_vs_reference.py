"""Points per second per core: the Rust batch solver vs the NumPy reference on the same points.

Draws ``--points`` random valid points (default 100,000; uniform type with uniform, logistic and
normal challenger costs, and two-type allies, in equal shares; p_alliance >= p_coalition), solves
them with ``method="roots"`` on one engine thread and with ``method="reference"``, checks that
both report the same equilibria, and prints both rates. Not a test:
``python benches/solver_vs_reference.py [--points 100000]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import allysweep as asw  # noqa: E402
from test_parity import random_columns  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=100_000)
    args = ap.parse_args()
    families = [(0, 0), (0, 1), (0, 2), (1, 0)]
    share = args.points // len(families)
    parts = [random_columns(seed=7 + i, n=share, theta_kind=t, cost_kind=c) for i, (t, c) in enumerate(families)]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(cols["p"])
    rates = {}
    results = {}
    for method in ("roots", "reference"):
        t0 = time.perf_counter()
        results[method] = asw.solve_flat(cols, method=method, threads=1)
        rates[method] = n / (time.perf_counter() - t0)
    same = (results["roots"]["n_eq"] == results["reference"]["n_eq"]) & np.all(
        results["roots"]["kind"] == results["reference"]["kind"], axis=1
    )
    print(f"{n:,} random points (uniform type x uniform/logistic/normal cost, two-type ally), one core each")
    for method, rate in rates.items():
        print(f"  {method:<10} {rate:>14,.0f} points/s/core")
    print(f"  speed-up   {rates['roots'] / rates['reference']:>14,.0f}x")
    print(f"  same equilibria (count and kinds) at {same.mean():.2%} of points")


if __name__ == "__main__":
    main()
