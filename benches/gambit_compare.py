"""Compare allysweep with Gambit (pygambit 16.7) on the finite two-type alliance game.

The two-type game of MODEL.md §7 is built as an extensive game: Nature draws the ally's type
θ ∈ {θ_L, θ_H} and the challenger's war cost c from N equally likely values (the midpoints of N
equal slices of G = Uniform(lo, hi)); the ally chooses alliance or not knowing θ only; the
challenger sees the signal and its own cost and challenges or not; after a challenge (a war, D
always resists under A1) the ally intervenes or stays out. Gambit's agent logit tracer
(``pygambit.nash.logit_solve``) follows the principal branch of the logit QRE to a Nash
equilibrium, which is compared with the equilibria allysweep reports for the continuous G
(differences of order 1/N are the discretisation, not disagreement).

Run deliberately (not a test): ``pip install ".[gambit]"`` then
``python benches/gambit_compare.py [--types 40]``. Writes benches/results/gambit-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np

import allysweep as asw

BASE = dict(p=0.4, p_alliance=0.7, c_d=0.1, c_d_joint=0.05, c_c_extra=0.1, c_a=0.15, r=0.06, b_c=0.05)
POINTS = [
    # (label, k, theta_L, theta_H, prior_H)
    ("T1 separating (MODEL.md §10)", 0.05, 0.2, 0.4, 0.5),
    ("T2 hybrid (MODEL.md §10)", 0.018, 0.2, 0.4, 0.5),
    ("k above k_H: no alliance", 0.12, 0.2, 0.4, 0.5),
    ("both types honour", 0.04, 0.35, 0.8, 0.3),
]


def build_game(k: float, lo_t: float, hi_t: float, prior_h: float, costs: np.ndarray):
    import pygambit as gbt

    p, pa, dc, ca, r = BASE["p"], BASE["p_alliance"], BASE["c_c_extra"], BASE["c_a"], BASE["r"]
    g = gbt.Game.new_tree(players=["Ally", "Challenger"], title="two-type alliance game")
    g.append_move(g.root, g.players.chance, ["theta_L", "theta_H"])
    g.set_chance_probs(g.root.infoset, [1 - prior_h, prior_h])
    n = len(costs)
    types = ["theta_L", "theta_H"]
    signals = ["ally", "no_ally"]
    root = g.root
    for tnode in root.children:
        g.append_move(tnode, g.players.chance, [f"c{j}" for j in range(n)])
        g.set_chance_probs(tnode.infoset, [1 / n] * n)

    def at(*labels):
        node = root
        for label in labels:
            node = node.children[label]
        return node

    # The ally knows its type, not the challenger's cost: one information set per type.
    for t in types:
        g.append_move([at(t, f"c{j}") for j in range(n)], "Ally", signals)
    # The challenger knows the signal and its cost, not the ally's type.
    for a in signals:
        for j in range(n):
            g.append_move([at(t, f"c{j}", a) for t in types], "Challenger", ["challenge", "status_quo"])
    # At war the ally knows its type and its own signal: one information set per (θ, α).
    for t in types:
        for a in signals:
            g.append_move([at(t, f"c{j}", a, "challenge") for j in range(n)], "Ally", ["intervene", "stay_out"])
    for t, theta in zip(types, (lo_t, hi_t), strict=True):
        for j, c in enumerate(costs):
            for a, alliance in zip(signals, (1, 0), strict=True):
                kk, rr, pp = k * alliance, r * alliance, pa  # p_coalition = p_alliance here
                # Payoffs in the game's player order: (Ally, Challenger), MODEL.md §4.
                war = at(t, f"c{j}", a, "challenge")
                g.set_outcome(
                    war.children["intervene"],
                    g.add_outcome(f"{t} c{j} {a} war intervene", [pp * theta - ca - kk, 1 - pp - c - dc]),
                )
                g.set_outcome(
                    war.children["stay_out"],
                    g.add_outcome(f"{t} c{j} {a} war stay out", [p * theta - kk - rr, 1 - p - c]),
                )
                g.set_outcome(
                    at(t, f"c{j}", a, "status_quo"), g.add_outcome(f"{t} c{j} {a} status quo", [theta - kk, 0.0])
                )
    return g


def gambit_equilibrium(g, prior_h: float, n: int) -> dict[str, float]:
    import pygambit as gbt

    eq = gbt.nash.logit_solve(g).equilibria[0]

    def at(*labels):
        node = g.root
        for label in labels:
            node = node.children[label]
        return node

    def prob(node, action):
        return float(eq[node.infoset.actions[action]])

    ally = [prob(at(t, "c0"), "ally") for t in ("theta_L", "theta_H")]
    prob_alliance = (1 - prior_h) * ally[0] + prior_h * ally[1]
    chal = np.zeros((2, n))
    for a_index, a in enumerate(("ally", "no_ally")):
        for j in range(n):
            chal[a_index, j] = prob(at("theta_L", f"c{j}", a), "challenge")
    out = {
        "prob_alliance": prob_alliance,
        "sigma_L": ally[0],
        "sigma_H": ally[1],
        "prob_challenge_alliance": float(chal[0].mean()),
        "prob_challenge_no_alliance": float(chal[1].mean()),
    }
    # Intervention belief after an alliance: Bayes over the types that ally.
    honour = [prob(at(t, "c0", "ally", "challenge"), "intervene") for t in ("theta_L", "theta_H")]
    w = np.array([(1 - prior_h) * ally[0], prior_h * ally[1]])
    out["belief_alliance"] = float(w @ honour / w.sum()) if w.sum() > 1e-9 else float("nan")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", type=int, default=40, help="challenger cost types N (default 40)")
    args = ap.parse_args()
    n = args.types
    costs = (np.arange(n) + 0.5) / n  # midpoints of N equal slices of U[0, 1]
    rows = []
    for label, k, lo_t, hi_t, prior_h in POINTS:
        t0 = time.perf_counter()
        g = build_game(k, lo_t, hi_t, prior_h, costs)
        gb = gambit_equilibrium(g, prior_h, n)
        t_gambit = time.perf_counter() - t0
        t0 = time.perf_counter()
        ds = asw.solve(theta=asw.TwoPoint(lo_t, hi_t, prior_h), k=k, **BASE)
        t_ours = time.perf_counter() - t0
        # The allysweep equilibrium nearest to Gambit's (all of ours are listed).
        ours = []
        for j in range(int(ds.n_eq)):
            e = {
                v: float(ds[v].values[j])
                for v in ("prob_alliance", "prob_challenge_alliance", "prob_challenge_no_alliance", "belief_alliance")
            }
            e["kind"] = asw.KIND_NAMES[int(ds.kind.values[j])]
            e["selected"] = bool(ds.selected.values[j])
            e["distance"] = max(
                abs(e[v] - gb[v])
                for v in ("prob_alliance", "prob_challenge_alliance", "prob_challenge_no_alliance")
                if not np.isnan(e[v])
            )
            ours.append(e)
        best = min(ours, key=lambda e: e["distance"])
        rows.append(
            {
                "label": label,
                "k": k,
                "theta": [lo_t, hi_t, prior_h],
                "gambit": gb,
                "allysweep": ours,
                "nearest": best,
                "seconds_gambit": t_gambit,
                "seconds_allysweep": t_ours,
            }
        )
        print(f"\n{label}: k={k}, θ_L={lo_t}, θ_H={hi_t}, π_H={prior_h}, N={n} cost types")
        print(
            f"  Gambit   prob_alliance {gb['prob_alliance']:.4f} (σ_L {gb['sigma_L']:.3f}, σ_H {gb['sigma_H']:.3f}), "
            f"P1 {gb['prob_challenge_alliance']:.4f}, P0 {gb['prob_challenge_no_alliance']:.4f}, "
            f"q1 {gb['belief_alliance']:.4f}   [{t_gambit:.2f} s]"
        )
        for e in ours:
            mark = "*" if e["selected"] else " "
            near = "  <- nearest" if e is best else ""
            print(
                f" {mark}ours {e['kind']:<17} prob_alliance {e['prob_alliance']:.4f}, "
                f"P1 {e['prob_challenge_alliance']:.4f}, P0 {e['prob_challenge_no_alliance']:.4f}, "
                f"q1 {e['belief_alliance']:.4f}{near}"
            )
        print(
            f"  nearest distance {best['distance']:.4f} (discretisation scale 1/N = {1 / n:.4f}); "
            f"time per point: Gambit {t_gambit:.2f} s, allysweep {t_ours * 1e3:.1f} ms (one point, through xarray)"
        )
    out = Path(__file__).parent / "results" / f"gambit-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"types": n, "rows": rows}, indent=2, default=float))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
