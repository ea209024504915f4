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

Results, with the first differing points, go to ``benches/results/certified-agreement-<date>-<points per family>.json``.

The run is resumable: every finished chunk is appended to a checkpoint file
(``--checkpoint``, by default ``benches/results/certified-agreement.partial.jsonl``), and a run
started again with the same ``--points``, ``--chunk`` and ``--seed`` skips the chunks already
there (pass ``--fresh`` to start over). The checkpoint is removed when the run completes.

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
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = {"logistic": 1, "normal": 2}
CERTIFIED = 4


def chunk(args: tuple[str, int, int, int]) -> dict:
    """Solve one chunk of a family with both methods and tally the comparison."""
    family, seed, n, two_type_every = args
    t0 = time.perf_counter()
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
    out["seconds"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="points per family (default 10^6)")
    parser.add_argument("--chunk", type=int, default=5000, help="points per chunk (default 5000)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument(
        "--checkpoint",
        default=str(RESULTS / "certified-agreement.partial.jsonl"),
        help="file of finished chunks, for resuming (default benches/results/certified-agreement.partial.jsonl)",
    )
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    args = parser.parse_args()
    tasks = []
    for f, family in enumerate(FAMILIES):
        for c in range(0, args.points, args.chunk):
            n = min(args.chunk, args.points - c)
            tasks.append((family, args.seed + 1000 * (1 + f) * 1000 + 2 * (c // args.chunk), n, 5))
    checkpoint = Path(args.checkpoint)
    done_chunks: dict[tuple, dict] = {}
    if checkpoint.exists() and not args.fresh:
        for line in checkpoint.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill: that chunk runs again
                continue
            done_chunks[tuple(entry["task"])] = entry["result"]
    elif checkpoint.exists():
        checkpoint.unlink()
    todo = [t for t in tasks if t not in done_chunks]
    if done_chunks:
        print(f"  resuming: {len(tasks) - len(todo)} of {len(tasks)} chunks already in {checkpoint}", flush=True)
    started = time.time()
    results = {t: done_chunks[t] for t in tasks if t in done_chunks}
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=args.workers) as pool, checkpoint.open("a") as log:
        futures = {pool.submit(chunk, t): t for t in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            task = futures[future]
            results[task] = res = future.result()
            log.write(json.dumps({"task": list(task), "result": res}) + "\n")
            log.flush()
            if done % 20 == 0 or done == len(todo):
                print(f"  {done}/{len(todo)} chunks, {time.time() - started:,.0f} s", flush=True)
    totals = {f: {} for f in FAMILIES}
    offending: list[dict] = []
    uncertified_differ = 0
    for task in tasks:
        family, res = task[0], results[task]
        for group, counts in res["groups"].items():
            acc = totals[family].setdefault(group, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                acc[key] += value
        offending += [dict(p, family=family) for p in res["certified_differ"]]
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
    out = RESULTS / f"certified-agreement-{stamp}-{args.points}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "certified_agreement",
                "date": stamp,
                "points_per_family": args.points,
                "seed": args.seed,
                "seconds_this_run": time.time() - started,
                "chunk_seconds_total": sum(r.get("seconds", 0.0) for r in results.values()),
                "summary": summary,
                "certified_points_that_differ": offending[:50],
                "command": " ".join(["python", "benches/certified_agreement.py", *sys.argv[1:]]),
            },
            indent=2,
        )
        + "\n"
    )
    checkpoint.unlink(missing_ok=True)
    print(f"results: {out.relative_to(ROOT)}")
    if offending:
        print(f"CERTIFIED POINTS THAT DIFFER: {len(offending)} (first in the JSON)")
        sys.exit(1)


if __name__ == "__main__":
    main()
