"""At every certified point, `roots` finds as many equilibria as the NumPy reference: the
10^6-point run of tests/test_certified.py's check (a), and the share of points certified.

Draws ``--points`` random points per challenger-cost family (logistic and normal), with the
generator of the parity tests (``tests/test_crisis_parity.py``: A1 fails at about 65% of them,
p_alliance >= p_coalition, narrow and wide costs), 80% with a continuous ally θ ~ U[lo, hi] and
20% with a two-type ally; solves them with ``method="roots"`` and ``method="reference"``
(independent NumPy implementations of MODEL.md and CRISIS.md) in chunks spread over
``--workers`` processes, and counts, per family and per A1 holding / failing:

- points, certified points (status bit 4) and their share;
- points where the equilibrium counts differ, certified (must be none) and not certified.

Results, with the first differing points, go to ``benches/results/certified-agreement-<date>.json``.

Usage::

    python benches/certified_agreement.py                 # 10^6 points per family
    python benches/certified_agreement.py --points 20000  # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = {"logistic": 1, "normal": 2}
CERTIFIED = 4


def chunk(args: tuple[str, int, int, int]) -> dict:
    """Solve one chunk of a family with both methods and tally the comparison."""
    family, seed, n, two_type_every = args
    sys.path.insert(0, str(ROOT / "tests"))
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    import allysweep as asw
    from test_crisis_parity import crisis_columns

    n_two = n // two_type_every
    parts = [
        crisis_columns(seed=seed, n=n - n_two, theta_kind=0, cost_kind=FAMILIES[family]),
        crisis_columns(seed=seed + 1, n=n_two, theta_kind=1, cost_kind=FAMILIES[family]),
    ]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    fast = asw.solve_flat(cols, method="roots", threads=1)
    slow = asw.solve_flat(cols, method="reference")
    certified = (fast["status"] & CERTIFIED) != 0
    # The references count only the slots they keep: compare the counts within the slots.
    slots = fast["kind"].shape[1]
    differ = np.minimum(fast["n_eq"], slots) != np.minimum(slow["n_eq"], slots)
    a1 = cols["p"] - cols["c_d"] >= 0
    out: dict = {"groups": {}, "certified_differ": [], "uncertified_differ": 0}
    for name, mask in (("A1 holds", a1), ("A1 fails", ~a1)):
        out["groups"][name] = {
            "points": int(mask.sum()),
            "certified": int((mask & certified).sum()),
            "differ_certified": int((mask & certified & differ).sum()),
            "differ_uncertified": int((mask & ~certified & differ).sum()),
        }
    for i in np.flatnonzero(certified & differ)[:20]:
        point = {k: float(v[i]) for k, v in cols.items()}
        point.update(roots_n_eq=int(fast["n_eq"][i]), reference_n_eq=int(slow["n_eq"][i]))
        out["certified_differ"].append(point)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="points per family (default 10^6)")
    parser.add_argument("--chunk", type=int, default=5000, help="points per chunk (default 5000)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    tasks = []
    for f, family in enumerate(FAMILIES):
        for c in range(0, args.points, args.chunk):
            n = min(args.chunk, args.points - c)
            tasks.append((family, args.seed + 1000 * (1 + f) * 1000 + 2 * (c // args.chunk), n, 5))
    totals = {f: {} for f in FAMILIES}
    offending: list[dict] = []
    uncertified_differ = 0
    started = time.time()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for done, (task, res) in enumerate(zip(tasks, pool.map(chunk, tasks), strict=True), start=1):
            family = task[0]
            for group, counts in res["groups"].items():
                acc = totals[family].setdefault(group, dict.fromkeys(counts, 0))
                for key, value in counts.items():
                    acc[key] += value
            offending += [dict(p, family=family) for p in res["certified_differ"]]
            if done % 20 == 0 or done == len(tasks):
                print(f"  {done}/{len(tasks)} chunks, {time.time() - started:,.0f} s", flush=True)
    print(f"roots vs reference, {args.points:,} random points per family (equilibrium counts):")
    head = f"  {'family':9} {'A1':9} {'points':>9} {'certified':>10} {'share':>9}"
    print(head + f" {'differ (cert.)':>15} {'differ (not)':>13}")
    summary = {}
    for family, groups in totals.items():
        all_points = sum(g["points"] for g in groups.values())
        all_cert = sum(g["certified"] for g in groups.values())
        keys = next(iter(groups.values()))
        both = {k: sum(x[k] for x in groups.values()) for k in keys}
        for group, g in [*groups.items(), ("all", both)]:
            share = g["certified"] / g["points"] if g["points"] else float("nan")
            print(
                f"  {family:9} {group:9} {g['points']:>9,} {g['certified']:>10,} {share:>9.4%} "
                f"{g['differ_certified']:>15,} {g['differ_uncertified']:>13,}"
            )
        summary[family] = {"groups": groups, "certified_share": all_cert / all_points}
        uncertified_differ += sum(g["differ_uncertified"] for g in groups.values())
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.date.today().isoformat()
    out = RESULTS / f"certified-agreement-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "certified_agreement",
                "date": stamp,
                "points_per_family": args.points,
                "seed": args.seed,
                "seconds": time.time() - started,
                "summary": summary,
                "certified_points_that_differ": offending[:50],
                "command": " ".join(["python", "benches/certified_agreement.py", *sys.argv[1:]]),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    if offending:
        print(f"CERTIFIED POINTS THAT DIFFER: {len(offending)} (first in the JSON)")
        sys.exit(1)


if __name__ == "__main__":
    main()
