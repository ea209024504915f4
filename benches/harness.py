"""End-to-end benchmark of every solver variant (MODEL.md §11) on the same point sets.

Run from the repository root (a release build of the extension: ``maturin develop --release``)::

    python benches/harness.py                          # sizes 1e3,1e5,1e6
    python benches/harness.py --sizes 1e3,1e5,1e7      # up to 10^7 points
    python benches/harness.py --quick                  # sizes 1e3,1e4, small budgets: a smoke run

Flags: ``--sizes`` point counts (comma-separated, ``1e5`` notation allowed); ``--quick``;
``--families`` (uniform, two_type, logistic); ``--threads`` engine threads per call (default 1:
the table reports points per second per core); ``--budget`` seconds: a variant is not run at a
size whose time, extrapolated linearly from the previous size, exceeds it (reported as "not
run" with the extrapolated time); ``--reference-max`` / ``--qre-max`` the largest sizes at which
the NumPy reference and the QRE are run; ``--chunk`` points per engine call (outputs of 10^7
points at 8 equilibrium slots would need ~9 GB at once); ``--out`` the JSON file (default
``benches/results/harness-<time>.json``).

Point sets: ``uniform`` = F = U[0,1] and unclipped uniform G with p_alliance == p_coalition
(MODEL.md §9, so ``closed_form`` applies); ``two_type`` = two-point ally, uniform G;
``logistic`` = F = U[0,1], logistic G, p_alliance >= p_coalition.

Columns: time (s), points/s/core, agreement with ``roots`` (share of points whose equilibria are
the same: n_eq, kinds, flags and every value to 1e-9; for ``qre`` the share whose one
equilibrium is within 1e-6 of a ``roots`` equilibrium of the same kind), the largest value
difference, and the speed ratio to the reference (variant rate / reference rate).

Also measured: memory bandwidth (best of several large numpy copies) and ``closed_form``'s time
relative to the bound of writing its outputs at that bandwidth. Benchmarks are not tests.
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

from allysweep import engine as solver
from allysweep.engine import BOOL_OUTPUTS, BUILD_PROFILE, EQ_OUTPUTS

# Per-equilibrium float outputs and exact (integer / flag) outputs, from the one output table.
FLOAT_EQ = tuple(n for n in EQ_OUTPUTS if n != "kind" and n not in BOOL_OUTPUTS)
EXACT = ("n_eq", "status", "kind", *BOOL_OUTPUTS)
VARIANTS = ("roots", "closed_form", "belief_space", "qre", "reference")


def make_points(family: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` random valid points of a family, as flat engine columns."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.7, n)
    p_alliance = p + rng.uniform(0.1, 1.0, n) * (1 - p)
    c_c_extra = rng.uniform(0, 0.3, n)
    c_d = rng.uniform(0, 1, n) * p
    cols = {
        "p": p,
        "p_alliance": p_alliance,
        "p_coalition": p_alliance.copy(),
        "c_d": c_d,
        "c_d_joint": rng.uniform(0, 1, n) * c_d,
        "c_c_extra": c_c_extra,
        "c_a": rng.uniform(0.05, 0.98, n) * (p_alliance - p),
        "k": rng.uniform(0, 0.15, n) * rng.choice([0.1, 1.0], n),
        "b_c": rng.uniform(0, 0.2, n),
        "range_cost": np.full(n, np.nan),
    }
    cols["r"] = rng.uniform(0, 0.98, n) * cols["c_a"]
    if family == "uniform":
        m = p_alliance - p + c_c_extra
        cols.update(theta_kind=np.zeros(n), theta_a=np.zeros(n), theta_b=np.ones(n), theta_c=np.full(n, np.nan))
        cols.update(
            cost_kind=np.zeros(n),
            cost_a=(1 - p - m) - rng.uniform(0.01, 0.5, n),
            cost_b=(1 - p) + rng.uniform(0.01, 0.5, n),
        )
    elif family == "two_type":
        low = rng.uniform(0, 0.6, n)
        cols.update(theta_kind=np.ones(n), theta_a=low, theta_b=low + rng.uniform(0.05, 0.8, n))
        cols["theta_c"] = rng.uniform(0.05, 0.95, n)
        c_lo = rng.uniform(-0.3, 0.3, n)
        cols.update(cost_kind=np.zeros(n), cost_a=c_lo, cost_b=c_lo + rng.uniform(0.2, 1.2, n))
    elif family == "logistic":
        cols["p_coalition"] = p + rng.uniform(0.1, 1.0, n) * (p_alliance - p)
        cols.update(theta_kind=np.zeros(n), theta_a=np.zeros(n), theta_b=np.ones(n), theta_c=np.full(n, np.nan))
        cols.update(cost_kind=np.ones(n), cost_a=rng.uniform(0.0, 0.7, n), cost_b=rng.uniform(0.03, 0.4, n))
    else:
        raise SystemExit(f"unknown family {family!r}")
    return cols


#: Points per variant whose equilibria did not all fit in --max-eq slots (status bit 1).
TRUNCATED: dict[str, int] = {}


def applies(variant: str, family: str) -> bool:
    return variant != "closed_form" or family == "uniform"


#: Output arrays reused from call to call, by (variant, points, max_eq).
BUFFERS: dict[tuple[str, int, int], dict] = {}


def run_variant(
    variant: str, cols: dict[str, np.ndarray], threads: int, chunk: int, max_eq: int = 8
) -> tuple[float, dict]:
    """Solve in chunks; returns (seconds spent in the solver, outputs of the first chunk). The
    engine writes into output arrays kept from earlier calls (``out=``, as sweep workers do), so
    memory stays bounded and the page faults of fresh memory are not what is timed."""
    n = len(cols["p"])
    first: dict = {}
    seconds = 0.0
    for start in range(0, n, chunk):
        part = {k: v[start : start + chunk] for k, v in cols.items()}
        key = (variant, len(part["p"]), max_eq)
        reuse = BUFFERS.get(key) if variant != "reference" else None
        t0 = time.perf_counter()
        out = solver.solve_flat(part, method=variant, threads=threads, max_eq=max_eq, out=reuse)
        seconds += time.perf_counter() - t0
        if variant != "reference":
            BUFFERS[key] = out
        if start == 0:
            first = {k: np.array(v, copy=True) for k, v in out.items()}
        TRUNCATED[variant] = TRUNCATED.get(variant, 0) + int(np.count_nonzero(out["status"] & 1))
    return seconds, first


def agreement(variant: str, got: dict, want: dict) -> tuple[float, float]:
    """(share of points with the same equilibria as roots, max |value difference|)."""
    n = len(want["n_eq"])
    if variant == "qre":
        ok = np.zeros(n, dtype=bool)
        worst = 0.0
        for i in range(n):
            if got["n_eq"][i] != 1:
                continue
            dists = []
            for j in range(int(want["n_eq"][i])):
                if want["kind"][i, j] != got["kind"][i, 0]:
                    continue
                d = [abs(got[c][i, 0] - want[c][i, j]) for c in ("prob_alliance", "prob_war", "cutpoint")]
                dists.append(max(np.nan_to_num(d, nan=0.0)))
            if dists:
                ok[i] = min(dists) < 1e-6
                worst = max(worst, min(dists))
        return float(ok.mean()), worst
    same = np.ones(n, dtype=bool)
    for c in EXACT:
        a, b = np.asarray(got[c]), np.asarray(want[c])
        if c == "status":  # status bit 4 (certified) is set by `roots` only
            a, b = a & ~4, b & ~4
        same &= (a == b).reshape(n, -1).all(axis=1)
    worst = 0.0
    for c in FLOAT_EQ:
        a, b = np.asarray(got[c], dtype=float), np.asarray(want[c], dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        diff = np.where(both, np.abs(a - b), 0.0)
        if both.any():
            worst = max(worst, float(diff.max()))
        same &= ((diff <= 1e-9) & (np.isnan(a) == np.isnan(b))).all(axis=1)
    return float(same.mean()), worst


def bandwidth(nbytes: int = 512 * 2**20, repeats: int = 5, threads: int = 1) -> float:
    """Bytes copied per second (each byte read once and written once) by large numpy copies,
    ``threads`` of them at once on separate halves (numpy releases the GIL while copying)."""
    from concurrent.futures import ThreadPoolExecutor

    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    parts = np.array_split(np.arange(len(src)), threads)
    bounds = [(int(p[0]), int(p[-1]) + 1) for p in parts]
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(lambda b: np.copyto(dst[b[0] : b[1]], src[b[0] : b[1]]), bounds))
            best = min(best, time.perf_counter() - t0)
    return nbytes / best


def closed_form_vs_bandwidth(n: int, max_eq_values: tuple[int, ...], chunk: int) -> list[dict]:
    """``closed_form``'s time against the bound of writing its outputs at the machine's copy
    bandwidth, on one core and on all cores (bandwidth measured the same way: 1 or all threads)."""
    cols = make_points("uniform", n, seed=12345)
    cores = os.cpu_count() or 1
    rows = []
    for threads, label in ((1, "one core"), (0, f"all {cores} cores")):
        bw = bandwidth(threads=1 if threads == 1 else cores)
        for max_eq in max_eq_values:
            run_variant("closed_form", cols, threads, chunk, max_eq)  # allocates the reused outputs
            secs = min(run_variant("closed_form", cols, threads, chunk, max_eq)[0] for _ in range(3))
            bound = n * output_bytes_per_point(max_eq) / bw
            rows.append(
                {
                    "cores": label,
                    "max_eq": max_eq,
                    "bandwidth_bytes_copied_per_s": bw,
                    "seconds": secs,
                    "bound_s": bound,
                    "ratio": secs / bound,
                    "ns_per_point": secs / n * 1e9,
                }
            )
    return rows


def output_bytes_per_point(max_eq: int) -> int:
    """Bytes the engine writes per point: 6 per-point int64/float64 columns, and per slot one int8
    kind, 12 float64 values and 6 bool flags."""
    return 6 * 8 + max_eq * (1 + 12 * 8 + 6 * 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e3,1e5,1e6", help="point counts, comma-separated (default 1e3,1e5,1e6)")
    ap.add_argument("--quick", action="store_true", help="sizes 1e3,1e4 and small budgets (smoke run)")
    ap.add_argument("--families", default="uniform,two_type,logistic")
    ap.add_argument("--threads", type=int, default=1, help="engine threads per call (default 1: per-core rates)")
    ap.add_argument("--budget", type=float, default=60.0, help="skip a run extrapolated to exceed this (s)")
    ap.add_argument("--reference-max", type=float, default=2000, help="largest size for the NumPy reference")
    ap.add_argument("--qre-max", type=float, default=1000, help="largest size for qre")
    ap.add_argument("--chunk", type=float, default=1e5, help="points per engine call")
    ap.add_argument(
        "--max-eq",
        type=int,
        default=4,
        help="equilibrium slots per point in the outputs (default 4; points with more are counted "
        "and reported as truncated)",
    )
    ap.add_argument("--out", type=Path, default=None, help="JSON results file")
    args = ap.parse_args(argv)
    sizes = [1000, 10_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    if args.quick:
        args.budget, args.reference_max, args.qre_max = min(args.budget, 10.0), 300, 200
    families = args.families.split(",")
    if BUILD_PROFILE != "release":
        print("warning: the extension is a debug build; run `maturin develop --release`", file=sys.stderr)
    threads = args.threads
    cores = threads if threads > 0 else os.cpu_count() or 1
    chunk = int(args.chunk)

    bw = bandwidth()
    print(f"memory bandwidth (numpy copy): {bw / 1e9:.2f} GB/s copied; {cores} core(s) per call")
    rows = []
    for family in families:
        rates: dict[str, float] = {}
        # The slow variants also run once at their size limit when every size is above it, so
        # that each family has a measured rate (and a reference ratio) for them.
        run_sizes = sorted({*sizes, *(int(lim) for lim in (args.reference_max, args.qre_max) if 0 < lim < min(sizes))})
        for n in run_sizes:
            cols = make_points(family, n, seed=n)
            results: dict[str, dict] = {}
            firsts: dict[str, dict] = {}
            for variant in VARIANTS:
                if not applies(variant, family):
                    continue
                if n not in sizes and variant not in ("roots", "reference", "qre"):
                    continue
                limit = {"reference": args.reference_max, "qre": args.qre_max}.get(variant, float("inf"))
                est = n / rates[variant] if variant in rates else None
                if n > limit and n not in sizes:
                    continue
                if n > limit or (est is not None and est > args.budget):
                    results[variant] = {"run": False, "extrapolated_s": est}
                    continue
                secs, first = run_variant(variant, cols, threads, chunk, args.max_eq)
                rates[variant] = n / secs
                firsts[variant] = first
                results[variant] = {"run": True, "seconds": secs, "points_per_s_per_core": n / secs / cores}
            want = firsts["roots"]
            ref_rate = rates.get("reference")
            for variant, res in results.items():
                row = {"family": family, "n": n, "variant": variant, **res}
                if res["run"]:
                    got = firsts[variant]
                    m = min(len(got["n_eq"]), len(want["n_eq"]))
                    sub = lambda d, m=m: {k: np.asarray(v)[:m] for k, v in d.items()}  # noqa: E731
                    share, worst = agreement(variant, sub(got), sub(want))
                    row.update(agreement=share, max_diff=worst, compared=m)
                    if ref_rate:
                        row["ratio_to_reference"] = (n / res["seconds"]) / ref_rate
                    if variant == "closed_form":
                        bound = n * output_bytes_per_point(args.max_eq) / bw
                        row["bandwidth_bound_s"] = bound
                        row["ratio_to_bandwidth_bound"] = res["seconds"] / bound
                rows.append(row)

    header = (
        f"{'family':<9} {'n':>9} {'variant':<12} {'time s':>10} {'pts/s/core':>11} "
        f"{'agree':>7} {'max diff':>9} {'x ref':>8}  note"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        if not r["run"]:
            est = r.get("extrapolated_s")
            note = f"not run (extrapolated {est:.3g} s)" if est else "not run (size limit)"
            blank = f"{'—':>10} {'—':>11} {'':>7} {'':>9} {'':>8}"
            print(f"{r['family']:<9} {r['n']:>9} {r['variant']:<12} {blank}  {note}")
            continue
        note = ""
        if "ratio_to_bandwidth_bound" in r:
            note = f"{r['ratio_to_bandwidth_bound']:.2f}x the write-bandwidth bound"
        ratio = f"{r['ratio_to_reference']:.0f}" if "ratio_to_reference" in r else "—"
        print(
            f"{r['family']:<9} {r['n']:>9} {r['variant']:<12} {r['seconds']:>10.4f} "
            f"{r['points_per_s_per_core']:>11.3g} {r['agreement']:>7.4f} {r['max_diff']:>9.1e} {ratio:>8}  {note}"
        )
    print("agreement: share of the first chunk's points with the same equilibria as roots (qre: within 1e-6)")
    print("x ref: variant rate / reference rate at the largest size the reference ran (same family)")
    print(
        f"outputs hold {args.max_eq} equilibrium slots per point; points with more (truncated, selected kept): "
        + (", ".join(f"{v} {n}" for v, n in TRUNCATED.items()) or "none")
    )

    n_bw = max(s for s in sizes if s <= 10**6) if any(s <= 10**6 for s in sizes) else min(sizes)
    bw_rows = closed_form_vs_bandwidth(max(n_bw, 10**5), (4, 8), chunk) if "uniform" in families else []
    if bw_rows:
        print()
        print(f"closed_form against the write-bandwidth bound ({max(n_bw, 10**5):,} uniform points, best of 3)")
        print(
            f"{'cores':<14} {'max_eq':>6} {'copy GB/s':>10} {'bytes/pt':>9} {'ns/pt':>7} "
            f"{'bound ns/pt':>12} {'ratio':>6}"
        )
        for r in bw_rows:
            print(
                f"{r['cores']:<14} {r['max_eq']:>6} {r['bandwidth_bytes_copied_per_s'] / 1e9:>10.2f} "
                f"{output_bytes_per_point(r['max_eq']):>9} {r['ns_per_point']:>7.0f} "
                f"{r['bound_s'] / max(n_bw, 10**5) * 1e9:>12.1f} {r['ratio']:>5.1f}x"
            )

    out = args.out or Path("benches/results") / f"harness-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": " ".join(["python", "benches/harness.py", *(argv if argv is not None else sys.argv[1:])]),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "threads_per_call": threads,
        "build_profile": BUILD_PROFILE,
        "bandwidth_bytes_copied_per_s": bw,
        "output_bytes_per_point": output_bytes_per_point(args.max_eq),
    }
    out.write_text(
        json.dumps({"meta": meta, "rows": rows, "closed_form_vs_bandwidth": bw_rows}, indent=1, default=float)
    )
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
