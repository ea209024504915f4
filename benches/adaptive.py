"""Boundary-adaptive regime maps (issue 14) against dense grids, uniform grids and python-adaptive.

Run from the repository root::

    python benches/adaptive.py            # 2-D (k, r) at 2049^2 and 3-D (k, r, c_a) at 257^3
    python benches/adaptive.py --quick    # 2-D at 513^2, 3-D at 65^3: a smoke run
    python benches/adaptive.py --no-learner2d
    python benches/adaptive.py --cases 5d # the 5-D map alone (its peak memory is the process's)
    python benches/adaptive.py --no-infer # every node of the tree solved (no face inference)

For each case: a dense reference grid (every node solved), the adaptive map (coarse grid 17,
label ``kind,n_eq``) rasterised to the reference's resolution, and

- the mislabelled share: nodes of the reference grid whose rasterised label differs from the
  label solved there (docs/conventions.md, "Adaptive regime maps");
- solver calls: the tree's (the map) and the boundary bisection's (exact boundaries to 1e-9),
  as shares of the reference's calls;
- a uniform grid with as many solver calls as the tree, read at every reference node by its
  nearest node (the same "no interpolation" rule), and its mislabelled share; the same with as
  many calls as tree and bisection together;
- the refinement's own time per point (bookkeeping, everything but the solves);
- 2-D only: python-adaptive's ``Learner2D`` on the label (as its index among the labels) with
  as many points as the tree, read by nearest sampled point; its mislabelled share and wall
  time, and the adaptive map's wall time (tree only).

Everything is solved on ``--threads`` engine threads (default 0: all cores). Benchmarks are not
tests. Results are printed side by side and written to ``benches/results/adaptive-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from allysweep.adaptive import (
    bisect_boundaries,
    label_name,
    node_labeller,
    parse_label,
    refine,
    tree_labels,
)
from allysweep.sweeps.adaptive import adaptive_spec, spec_labeller, spec_lattice

CASES = {
    "2d": {"k": (0.0, 0.15, 2049), "r": (0.0, 0.14, 2049)},
    "3d": {"k": (0.0, 0.15, 257), "r": (0.0, 0.14, 257), "c_a": (0.1, 0.2, 257)},
}
#: No dense reference (33^5 = 39 million nodes): point count, time and peak memory only.
FIVE_D = {
    "k": (0.0, 0.15, 33),
    "r": (0.0, 0.14, 33),
    "c_a": (0.1, 0.2, 33),
    "p": (0.3, 0.45, 33),
    "c_c_extra": (0.0, 0.2, 33),
}
QUICK = {
    "2d": {"k": (0.0, 0.15, 513), "r": (0.0, 0.14, 513)},
    "3d": {"k": (0.0, 0.15, 65), "r": (0.0, 0.14, 65), "c_a": (0.1, 0.2, 65)},
}


class Counted:
    """A labeller that counts its points and the seconds spent in it."""

    def __init__(self, label_points):
        self.label_points, self.calls, self.seconds = label_points, 0, 0.0

    def __call__(self, x):
        t = time.perf_counter()
        out = self.label_points(x)
        self.seconds += time.perf_counter() - t
        self.calls += len(x)
        return out


def dense_labels(spec, terms, values, threads):
    """Labels of every node of the finest grid, solved slab by slab along the first axis."""
    label_points = spec_labeller(spec, terms, threads=threads)
    rest = np.meshgrid(*values[1:], indexing="ij")
    rest = np.stack([m.ravel() for m in rest], axis=1)
    out = np.empty((len(values[0]), len(rest)), dtype=np.int64)
    t = time.perf_counter()
    for i, v in enumerate(values[0]):
        out[i] = label_points(np.column_stack([np.full(len(rest), v), rest]))
    return out.reshape((len(values[0]),) * len(values)), time.perf_counter() - t


def nearest_uniform(spec, terms, values, calls, threads, reference):
    """A uniform grid of about ``calls`` nodes read at every reference node by its nearest node."""
    d, n = len(values), len(values[0])
    u = max(2, int(round(calls ** (1 / d))))
    ticks = [np.linspace(v[0], v[-1], u) for v in values]
    mesh = np.meshgrid(*ticks, indexing="ij")
    lab = spec_labeller(spec, terms, threads=threads)(np.stack([m.ravel() for m in mesh], 1)).reshape((u,) * d)
    near = np.rint(np.arange(n) * (u - 1) / (n - 1)).astype(np.int64)
    # Nearest in parameter value (the axes are linear, so nearest in index too).
    wrong = 0
    for i in range(n):
        wrong += int((lab[(near[i],) + np.ix_(*[near] * (d - 1))] != reference[i]).sum())
    return {"points_per_axis": u, "solver_calls": u**d, "mislabelled_share": wrong / reference.size}


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM in /proc/self/status; ru_maxrss can carry over
    a parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_case(name, params, threads, learner, infer=True):
    label = "kind,n_eq"
    terms = parse_label(label)
    spec = adaptive_spec(params, 17, label, 0)
    lattice, values = spec_lattice(spec)
    n, d = lattice.n, lattice.d
    print(f"\n== {name}: {', '.join(params)} at {n}^{d} = {n**d:,} nodes, coarse 17, label {label!r}", flush=True)
    reference, t_ref = dense_labels(spec, terms, values, threads)
    print(f"reference: {n**d:,} solves in {t_ref:.1f} s", flush=True)

    counted = Counted(spec_labeller(spec, terms, threads=threads))
    t0 = time.perf_counter()
    tree = refine(lattice, node_labeller(lattice, values, counted), infer=infer)
    t_tree = time.perf_counter() - t0
    solve_tree, calls_tree = counted.seconds, counted.calls
    t1 = time.perf_counter()
    found = bisect_boundaries(tree, values, counted, tol=1e-9)
    t_bound = time.perf_counter() - t1
    solve_bound = counted.seconds - solve_tree
    t2 = time.perf_counter()
    raster = np.concatenate(
        [tree_labels(tree, part) for part in np.array_split(lattice.grid(1), max(1, n**d // (1 << 20)))]
    ).reshape((n,) * d)
    t_raster = time.perf_counter() - t2
    wrong = raster != reference
    result = {
        "axes": {k: list(v) for k, v in params.items()},
        "nodes": n**d,
        "labels": sorted({label_name(terms, int(c)) for c in np.unique(reference)}),
        "reference_seconds": t_ref,
        "infer": infer,
        "tree_solver_calls": int(calls_tree),
        "tree_solver_share": calls_tree / n**d,
        "tree_nodes": len(tree.keys),
        "inferred_nodes": int(tree.inferred.sum()),
        "inferred_checked_in_tree": int(sum(len(c) for c, _ in tree.checked)),
        "inferred_wrong_nodes": int((tree.labels[tree.inferred] != reference.ravel()[tree.keys[tree.inferred]]).sum()),
        "bisection_verified": int(found["verified"]),
        "bisection_contradicted": int(found["contradicted"]),
        "boundary_solver_calls": int(found["solves"]),
        "total_solver_share": (calls_tree + found["solves"]) / n**d,
        "boundary_points": len(found["axis"]),
        "mislabelled_share": float(wrong.mean()),
        "mislabelled_nodes": int(wrong.sum()),
        "tree_seconds": t_tree,
        "tree_solve_seconds": solve_tree,
        "overhead_us_per_point": (t_tree - solve_tree) / calls_tree * 1e6,
        "refine_bookkeeping_us_per_point": tree.overhead / calls_tree * 1e6,
        "boundary_seconds": t_bound,
        "boundary_overhead_us_per_solve": (t_bound - solve_bound) / max(found["solves"], 1) * 1e6,
        "rasterize_seconds": t_raster,
        "levels": lattice.levels,
        "cells_per_level": [len(c) for c, _ in tree.cells],
    }
    result["uniform_equal_tree_calls"] = nearest_uniform(spec, terms, values, calls_tree, threads, reference)
    result["uniform_equal_total_calls"] = nearest_uniform(
        spec, terms, values, calls_tree + found["solves"], threads, reference
    )
    if learner and d == 2:
        result["learner2d"] = run_learner2d(params, terms, values, learner, threads, reference, infer)
    show(result)
    return result


def run_learner2d(params, terms, values, finest, threads, reference, infer=True):
    """python-adaptive's Learner2D against an adaptive map with the same number of points.

    Learner2D costs milliseconds per point (its triangulation); the comparison is made at the
    point count of an adaptive map whose finest level is ``finest`` per axis (default 2049, the
    full map: about 19,000 points, two minutes of Learner2D; 513 gives about 5,000). Both are
    read at every reference node by their nearest node / sampled point (no interpolation), and
    timed end to end (solves included)."""
    # This file is benches/adaptive.py: keep its folder off the path so ``import adaptive`` finds
    # python-adaptive, not this script.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from scipy.spatial import cKDTree

    import adaptive

    small = {name: (lo, hi, finest) for name, (lo, hi, _) in params.items()}
    spec = adaptive_spec(small, 17, ",".join(str(t) for t in terms), 0)
    lattice, small_values = spec_lattice(spec)
    t = time.perf_counter()
    tree = refine(
        lattice, node_labeller(lattice, small_values, spec_labeller(spec, terms, threads=threads)), infer=infer
    )
    ours_seconds = time.perf_counter() - t
    ours = tree_labels(tree, lattice.grid(1)).reshape(finest, finest)
    n = len(values[0])
    near = np.rint(np.arange(n) * (finest - 1) / (n - 1)).astype(np.int64)
    ours_wrong = int((ours[np.ix_(near, near)] != reference).sum())

    codes = np.unique(reference)
    single = spec_labeller(spec, terms, threads=1)

    def f(xy):
        code = single(np.asarray([xy], dtype=float))[0]
        return float(np.searchsorted(codes, code))

    bounds = [(float(v[0]), float(v[-1])) for v in values]
    learner = adaptive.Learner2D(f, bounds=bounds)
    t = time.perf_counter()
    adaptive.runner.simple(learner, npoints_goal=int(tree.solved))
    seconds = time.perf_counter() - t
    pts = np.array(list(learner.data.keys()))
    vals = np.array(list(learner.data.values()))
    scale = np.array([b - a for a, b in bounds])
    kd = cKDTree(pts / scale)
    wrong = 0
    for i in range(n):
        q = np.column_stack([np.full(n, values[0][i]), values[1]]) / scale
        _, j = kd.query(q)
        wrong += int((codes[vals[j].astype(int)] != reference[i]).sum())
    return {
        "points": len(pts),
        "seconds": seconds,
        "us_per_point": seconds / len(pts) * 1e6,
        "mislabelled_share": wrong / reference.size,
        "adaptive_finest": finest,
        "adaptive_points": int(tree.solved),
        "adaptive_seconds": ours_seconds,
        "adaptive_mislabelled_share": ours_wrong / reference.size,
        "version": adaptive.__version__,
    }


def show(r):
    u, ut = r["uniform_equal_tree_calls"], r["uniform_equal_total_calls"]
    rows = [
        ("", "adaptive (tree)", "uniform, same calls", "uniform, calls incl. bisection"),
        (
            "solver calls",
            f"{r['tree_solver_calls']:,} ({r['tree_solver_share']:.2%})",
            f"{u['solver_calls']:,} ({u['points_per_axis']}/axis)",
            f"{ut['solver_calls']:,} ({ut['points_per_axis']}/axis)",
        ),
        (
            "mislabelled",
            f"{r['mislabelled_share']:.4%} ({r['mislabelled_nodes']:,} nodes)",
            f"{u['mislabelled_share']:.4%}",
            f"{ut['mislabelled_share']:.4%}",
        ),
    ]
    rows.append(("wall time (s)", f"{r['tree_seconds']:.2f}", "", ""))
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)))
    ratio = u["mislabelled_share"] / r["mislabelled_share"] if r["mislabelled_share"] else float("inf")
    print(
        f"uniform/adaptive mislabelled ratio at equal calls: {ratio:.1f}x; boundary bisection: "
        f"{r['boundary_points']:,} points, {r['boundary_solver_calls']:,} calls (total {r['total_solver_share']:.2%} "
        f"of the reference)"
    )
    print(
        f"refinement overhead: {r['overhead_us_per_point']:.2f} us/point (tree wall minus solves; bookkeeping alone "
        f"{r['refine_bookkeeping_us_per_point']:.2f}); bisection overhead {r['boundary_overhead_us_per_solve']:.2f} "
        f"us/solve; rasterize {r['rasterize_seconds']:.1f} s; reference {r['reference_seconds']:.1f} s"
    )
    if "learner2d" in r:
        lr = r["learner2d"]
        f = lr["adaptive_finest"]
        table = [
            ("", f"adaptive (finest {f}, nearest node)", f"Learner2D {lr['version']} (nearest point)"),
            ("points", f"{lr['adaptive_points']:,}", f"{lr['points']:,}"),
            ("mislabelled", f"{lr['adaptive_mislabelled_share']:.4%}", f"{lr['mislabelled_share']:.4%}"),
            ("wall time (s)", f"{lr['adaptive_seconds']:.3f}", f"{lr['seconds']:.2f}"),
        ]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        for row in table:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def run_five(threads, infer=True):
    """A 5-D map (no reference, no bisection: millions of boundary edges): solver calls, wall
    time and this process's peak memory (run it alone: ``--cases 5d``)."""
    label = "kind,n_eq"
    terms = parse_label(label)
    spec = adaptive_spec(FIVE_D, 5, label, 0)
    lattice, values = spec_lattice(spec)
    print(f"\n== 5d: {', '.join(FIVE_D)} up to 33^5 = {33**5:,} nodes, coarse 5", flush=True)
    counted = Counted(spec_labeller(spec, terms, threads=threads))
    t0 = time.perf_counter()
    tree = refine(lattice, node_labeller(lattice, values, counted), infer=infer)
    seconds = time.perf_counter() - t0
    peak = peak_rss_bytes()
    out = {
        "axes": {k: list(v) for k, v in FIVE_D.items()},
        "infer": infer,
        "tree_solver_calls": int(tree.solved),
        "share_of_dense": tree.solved / 33**5,
        "tree_nodes": len(tree.keys),
        "inferred_nodes": int(tree.inferred.sum()),
        "tree_seconds": seconds,
        "cells_per_level": [len(c) for c, _ in tree.cells],
        "overhead_us_per_point": (seconds - counted.seconds) / tree.solved * 1e6 if tree.solved else 0.0,
        "peak_rss_bytes": peak,
        "peak_rss_source": "VmHWM (/proc/self/status)",
        "labels": sorted({label_name(terms, int(c)) for c in tree.label_counts}),
    }
    print(
        f"5-D: {out['tree_solver_calls']:,} tree solves ({out['share_of_dense']:.3%} of 33^5) in {seconds:.1f} s, "
        "(tree only, no bisection); "
        f"overhead {out['overhead_us_per_point']:.2f} us/point; peak RSS of this process {peak / 2**20:,.0f} MiB"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--cases", default="2d,3d", help="2d, 3d and/or 5d (run 5d alone: peak memory)")
    parser.add_argument("--no-learner2d", action="store_true")
    parser.add_argument("--learner-finest", type=int, default=2049, help="finest resolution of the Learner2D match")
    parser.add_argument("--no-infer", action="store_true", help="solve every node of the tree (no face inference)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    cases = QUICK if args.quick else CASES
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "threads": args.threads,
        "quick": args.quick,
    }
    for name in args.cases.split(","):
        if name == "5d":
            results[name] = run_five(args.threads, infer=not args.no_infer)
            continue
        learner = 0 if args.no_learner2d else (min(args.learner_finest, 129) if args.quick else args.learner_finest)
        results[name] = run_case(name, cases[name], args.threads, learner, infer=not args.no_infer)
    # One file per set of cases: a 5-D run does not overwrite the 2-D and 3-D results of the day.
    which = "" if args.cases == "2d,3d" else "-" + args.cases.replace(",", "-")
    stem = f"adaptive{which}-{dt.date.today().isoformat()}{'-quick' if args.quick else ''}"
    out = Path(args.out or f"benches/results/{stem}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=float))
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
