"""The ``allysweep`` command line.

``allysweep solve`` solves one point and prints its equilibria; ``allysweep branches`` follows
every equilibrium along one parameter; ``allysweep run`` computes a sweep into a Zarr cube;
``allysweep info`` describes a cube. Errors in the input are printed on
one line and the exit status is 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..engine import EQ_OUTPUTS, KIND_NAMES, METHODS, POINT_OUTPUTS, REGIME_NAMES
from ..exceptions import AllysweepError, AllysweepWarning, ParameterError
from ..model.distributions import parse_distribution
from ..model.parameters import DEFAULTS, PARAMETERS

EXIT_USAGE = 2


def _parameter_help() -> str:
    lines = ["model parameters (NAME=VALUE; omitted ones take the MODEL.md §10 base case):"]
    for p in PARAMETERS.values():
        default = DEFAULTS[p.name]
        shown = default.to_string() if hasattr(default, "to_string") else default  # type: ignore[union-attr]
        if default is None:
            shown = "see meaning"
        lines.append(f"  {p.name:<12} {p.symbol:<5} {p.meaning}")
        lines.append(f"  {'':<12} {'':<5} domain: {p.domain}; default: {shown}")
    lines.append("  range_cost         challenger cost at which bargaining ranges are evaluated (default: E[c])")
    return "\n".join(lines)


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` words -> parameter dict; distributions as ``family:a,b[,c]``."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(item, item, "NAME=VALUE with NAME one of: " + ", ".join([*PARAMETERS, "range_cost"]))
        if name not in PARAMETERS and name != "range_cost":
            raise ParameterError(name, text, "a model parameter: " + ", ".join([*PARAMETERS, "range_cost"]))
        if name in ("theta", "cost_c"):
            params[name] = parse_distribution(name, text)
            continue
        try:
            params[name] = float(text)
        except ValueError:
            domain = PARAMETERS[name].domain if name in PARAMETERS else "a number"
            raise ParameterError(name, text, f"a number with {domain}") from None
    return params


#: What the columns of ``allysweep solve``'s table mean (printed under it and in ``--help``).
TABLE_LEGEND = (
    "columns: θ* = cutpoint (types above it ally); Pr(ally) = prob_alliance; q1, q0 = belief_alliance, "
    "belief_no_alliance (belief that A intervenes, after an alliance / without one); P1, P0 = "
    "prob_challenge_alliance, prob_challenge_no_alliance (bluffing challengers included); Pr(war) = prob_war; "
    "renege = prob_renege; "
    "stable; IC, D1 = survives the Intuitive Criterion, D1; degen = degenerate; - = off path (NaN)"
)


def status_meaning(status: int) -> str:
    """The ``status`` bit set in words (docs/conventions.md)."""
    if status < 0:
        return "not computed"
    parts = []
    if status & 1:
        parts.append("more equilibria than slots (extra ones dropped)")
    if status & 2:
        parts.append("a continuum of cutpoints (one degenerate representative reported)")
    if not status & 3:
        parts.append("all equilibria reported")
    parts.append("certified complete" if status & 4 else "completeness not certified")
    return "; ".join(parts)


def _json_value(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def point_report(ds: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of ``allysweep solve --json`` from a solved single-point dataset."""
    shown = {}
    for name in PARAMETERS:
        if name in ("theta", "cost_c"):
            family = ds.attrs[f"{name}_family"]
            fields = {k.removeprefix(f"{name}_"): float(v) for k, v in ds.coords.items() if k.startswith(f"{name}_")}
            shown[name] = {"family": family, **fields}
        else:
            shown[name] = float(ds.coords[name])
    if "range_cost" in params:
        shown["range_cost"] = params["range_cost"]
    n_eq = int(ds.n_eq)
    equilibria = []
    for i in range(n_eq):
        row = ds.isel(eq=i)
        eq: dict[str, Any] = {"kind": KIND_NAMES[int(row.kind)]}
        for name in EQ_OUTPUTS:
            if name == "kind":
                continue
            value = row[name].item()
            if name.startswith("crisis_regime_"):  # categorical: its name, None off path
                eq[name] = REGIME_NAMES[int(value)] if int(value) >= 0 else None
            else:
                eq[name] = _json_value(bool(value) if isinstance(value, bool) else float(value))
        equilibria.append(eq)
    status = int(ds.status)
    no_option = {}
    for name in POINT_OUTPUTS:
        if name.endswith("_no_option"):
            value = ds[name].item()
            key = name.removesuffix("_no_option")
            no_option[key] = REGIME_NAMES[int(value)] if key == "crisis_regime" else _json_value(float(value))
    return {
        "params": shown,
        "n_eq": n_eq,
        "status": status,
        "status_meaning": status_meaning(status),
        "equilibria": equilibria,
        "ranges": {
            "alone": [float(ds.range_lo_alone), float(ds.range_hi_alone)],
            "joint": [float(ds.range_lo_joint), float(ds.range_hi_joint)],
        },
        "flags": {"nc_branch": bool(ds.nc_branch), "bluff_mass_free": bool(ds.bluff_mass_free)},
        "no_option": no_option,
    }


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return f"{x:.6g}"


def _print_rows(equilibria: list[dict[str, Any]], cols: list[tuple[str, str, int]], out: Any) -> None:
    """A header of column titles, then one row per equilibrium (* = selected). Names (the kind,
    regimes) are printed as they are, "-" where off path; numbers and flags by :func:`_fmt`."""
    print("  " + " ".join(f"{title:<{w}}" for _, title, w in cols), file=out)
    for eq in equilibria:
        mark = "*" if eq["selected"] else " "
        cells = [
            (eq[name] or "-") if name == "kind" or name.startswith("crisis_regime") else _fmt(eq[name])
            for name, _, _ in cols
        ]
        print(mark + " " + " ".join(f"{c:<{w}}" for c, (_, _, w) in zip(cells, cols, strict=True)), file=out)


def print_table(report: dict[str, Any], out: Any = sys.stdout) -> None:
    """Readable table of one point's equilibria."""
    params = report["params"]
    scal = ", ".join(f"{k}={v:g}" for k, v in params.items() if isinstance(v, float))
    dists = ", ".join(
        f"{k}={v['family']}(" + ", ".join(f"{f}={x:g}" for f, x in v.items() if f != "family") + ")"
        for k, v in params.items()
        if isinstance(v, dict)
    )
    print(f"parameters: {scal}", file=out)
    print(f"            {dists}", file=out)
    print(f"{report['n_eq']} equilibri{'um' if report['n_eq'] == 1 else 'a'} (* = selected)", file=out)
    cols = [
        ("kind", "kind", 17),
        ("cutpoint", "θ*", 9),
        ("prob_alliance", "Pr(ally)", 9),
        ("belief_alliance", "q1", 8),
        ("belief_no_alliance", "q0", 8),
        ("prob_challenge_alliance", "P1", 8),
        ("prob_challenge_no_alliance", "P0", 8),
        ("prob_war", "Pr(war)", 8),
        ("prob_renege", "renege", 8),
        ("stable", "stable", 7),
        ("ic_ok", "IC", 4),
        ("d1_ok", "D1", 4),
        ("degenerate", "degen", 6),
    ]
    _print_rows(report["equilibria"], cols, out)
    print(TABLE_LEGEND, file=out)
    if "status" in report:
        print(f"status: {report['status']} ({report['status_meaning']})", file=out)
    crisis = [
        eq
        for eq in report["equilibria"]
        if {eq["crisis_regime_alliance"], eq["crisis_regime_no_alliance"]} - {"resist", None}
    ]
    if crisis:
        # Where D may concede (A1 fails): how each crisis is played (CRISIS.md §2-§5).
        print(
            "crisis stage (MODEL.md §13): regime1, regime0 = crisis_regime_alliance, _no_alliance; ρ1, ρ0 = "
            "prob_concede_* (Pr(D concedes | challenge)); Pr(chal) = prob_challenge; Pr(conc) = prob_concession; "
            "imm.det = immediate_deterrence (Pr(C backs down | D resisted)); pinned",
            file=out,
        )
        ccols = [
            ("crisis_regime_alliance", "regime1", 17),
            ("crisis_regime_no_alliance", "regime0", 17),
            ("prob_concede_alliance", "ρ1", 8),
            ("prob_concede_no_alliance", "ρ0", 8),
            ("prob_challenge", "Pr(chal)", 9),
            ("prob_concession", "Pr(conc)", 9),
            ("immediate_deterrence", "imm.det", 8),
            ("pinned", "pinned", 6),
        ]
        _print_rows(report["equilibria"], ccols, out)
    if "no_option" in report:
        no = report["no_option"]
        print(
            f"without the option to ally (MODEL.md §14): Pr(war) {_fmt(no['prob_war'])}, Pr(challenge) "
            f"{_fmt(no['prob_challenge'])}, regime {no['crisis_regime']}; utilities ally {_fmt(no['utility_ally'])}, "
            f"defender {_fmt(no['utility_defender'])}, challenger {_fmt(no['utility_challenger'])}",
            file=out,
        )
        for eq in report["equilibria"]:
            print(
                f"{'*' if eq['selected'] else ' '} {eq['kind']}: effect on war {_fmt(eq['effect_war'])} (negative: "
                f"the option lowers it); utilities ally {_fmt(eq['utility_ally'])}, defender "
                f"{_fmt(eq['utility_defender'])}, challenger {_fmt(eq['utility_challenger'])}",
                file=out,
            )
    alone, joint = report["ranges"]["alone"], report["ranges"]["joint"]
    print(
        f"bargaining range, D alone: [{alone[0]:.6g}, {alone[1]:.6g}]; with the ally fighting: "
        f"[{joint[0]:.6g}, {joint[1]:.6g}]",
        file=out,
    )
    for eq in report["equilibria"]:
        if eq["selected"]:
            print(
                f"selected ({eq['kind']}): after alliance [{_fmt(eq['range_lo_alliance'])}, "
                f"{_fmt(eq['range_hi_alliance'])}], without [{_fmt(eq['range_lo_no_alliance'])}, "
                f"{_fmt(eq['range_hi_no_alliance'])}]",
                file=out,
            )


def cmd_solve(args: argparse.Namespace) -> int:
    """``allysweep solve NAME=VALUE ...``: solve one point, print a table or JSON."""
    from ..labelled import solve

    params = parse_assignments(args.params)
    if args.lam is not None and args.method != "qre":
        raise ParameterError("lam", args.lam, "λ >= 0 together with --method qre (other methods take no λ)")
    ds = solve(**params, method=args.method, lam=args.lam)
    report = point_report(ds, params)
    if args.json:
        json.dump(report, sys.stdout, indent=None if args.compact else 2)
        print()
    else:
        print_table(report)
    return 0


def print_branches(bds: Any, out: Any = sys.stdout) -> None:
    """Readable summary of :func:`allysweep.branches`: each branch's extent, kind and
    stability, then each fold."""
    name = bds.attrs["parameter"]
    xs = bds[name].values
    print(
        f"{bds.sizes['branch']} branches of equilibria along {name} in [{xs[0]:g}, {xs[-1]:g}] ({len(xs)} values)",
        file=out,
    )
    print(f"  {'branch':<7} {name + ' from':<14} {'to':<14} {'kind (at start)':<17} {'stability':<10}", file=out)
    for b in range(bds.sizes["branch"]):
        here = (bds.slot.values[b] >= 0).nonzero()[0]
        start = int(here[0])
        kind = KIND_NAMES[int(bds.kind.values[b, start])]
        stab = bds.stable.values[b, here]
        stability = "stable" if stab.all() else "unstable" if not stab.any() else "changes"
        print(f"  {b:<7} {xs[here[0]]:<14.8g} {xs[here[-1]]:<14.8g} {kind:<17} {stability:<10}", file=out)
    n_fold = bds.sizes.get("fold", 0)
    print(f"{n_fold} fold{'' if n_fold == 1 else 's'} (a stable and an unstable branch meet and vanish):", file=out)
    for f in range(n_fold):
        print(
            f"  {name} = {float(bds.fold_value[f]):.12g}: branches {int(bds.fold_stable_branch[f])} (stable) and "
            f"{int(bds.fold_unstable_branch[f])} (unstable) meet at cutpoint {float(bds.fold_cutpoint[f]):.9g}, "
            f"prob_alliance {float(bds.fold_prob_alliance[f]):.9g}",
            file=out,
        )


def cmd_branches(args: argparse.Namespace) -> int:
    """``allysweep branches NAME LO HI NAME=VALUE ...``: the equilibrium correspondence."""
    from pathlib import Path

    from ..branches import branches

    params = parse_assignments(args.params)
    for path in (args.output, args.plot):
        if path and not Path(path).parent.is_dir():
            raise AllysweepError(f"cannot write {path}: directory {Path(path).parent} does not exist")
    bds = branches(args.name, args.lo, args.hi, n=args.n, **params)
    print_branches(bds)
    if args.output:
        bds.to_netcdf(args.output)
        print(f"branches written to {args.output}")
    if args.plot:
        from ..views import plot

        plot.save(plot.lines(bds, args.var, args.name), args.plot)
        print(f"plot of {args.var} written to {args.plot}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``allysweep`` command with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="allysweep",
        description=(
            "Exact equilibria of the costly-signalling alliance model (MODEL.md): an ally with a "
            "private interest θ in a defender chooses whether to form a costly alliance (sunk cost k, "
            "reputation cost r if it reneges); a challenger with a private war cost sees the signal "
            "and challenges or not. Solve one point, sweep parameter spaces into Zarr cubes, inspect them."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_parameter_help(),
    )
    parser.add_argument("--version", action="version", version=f"allysweep {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_solve = sub.add_parser(
        "solve",
        help="solve one parameter point and print every equilibrium",
        description="Solve one parameter point and print every equilibrium (MODEL.md §6-§8) and the "
        "bargaining ranges. Example: allysweep solve --json k=0.03 theta=uniform:0,1 cost_c=logistic:0.5,0.1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_parameter_help() + "\n\ntable " + TABLE_LEGEND + "\n--json adds status (bit set: +1 more equilibria "
        "than the slots, +2 a continuum, +4 certified complete) and status_meaning",
    )
    p_solve.add_argument("params", nargs="*", metavar="NAME=VALUE", help="model parameters (see below)")
    p_solve.add_argument("--json", action="store_true", help="print one JSON object (NaN as null)")
    p_solve.add_argument("--compact", action="store_true", help="with --json: on one line")
    p_solve.add_argument(
        "--method",
        default="roots",
        choices=list(METHODS),
        help="solver variant (default: roots, the Rust engine)",
    )
    p_solve.add_argument(
        "--lam",
        type=float,
        default=None,
        metavar="λ",
        help="with --method qre: the precision 0 <= λ <= 1e10 the logit QRE path is followed to "
        "(default 1e8, the λ -> ∞ limit to about 1e-8; small λ gives noisy play)",
    )
    p_solve.set_defaults(func=cmd_solve)

    p_br = sub.add_parser(
        "branches",
        help="follow every equilibrium branch along one parameter and locate the folds",
        description="Solve every equilibrium on a grid of one parameter, link them into branches (each "
        "one equilibrium followed as the parameter moves) and locate every fold, where a stable and an "
        "unstable branch meet and vanish, to 1e-12 relative (docs/MODEL.md §14.3). "
        "Example: allysweep branches k 0.26 0.38 cost_c=logistic:0.45,0.02 --plot branches.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_parameter_help(),
    )
    p_br.add_argument("name", help="the scalar parameter that moves (k, r, c_a, p, ...)")
    p_br.add_argument("lo", type=float, help="lowest value of the parameter")
    p_br.add_argument("hi", type=float, help="highest value of the parameter")
    p_br.add_argument("params", nargs="*", metavar="NAME=VALUE", help="every other parameter (see below)")
    p_br.add_argument("--n", type=int, default=201, help="grid values (default 201)")
    p_br.add_argument("--output", metavar="FILE.nc", help="write the branches as netCDF")
    p_br.add_argument("--plot", metavar="FILE.html", help="write a plot of the branches (one HTML file)")
    p_br.add_argument("--var", default="cutpoint", help="the output plotted with --plot (default: cutpoint)")
    p_br.set_defaults(func=cmd_branches)
    _add_sweep_commands(sub)
    return parser


def _add_sweep_commands(sub: Any) -> None:
    """Subcommands that live in their own modules (sweeps; exploring cubes)."""
    from . import analyze, plot, sweep

    sweep.add_commands(sub)
    plot.add_commands(sub)
    analyze.add_commands(sub)


def _version() -> str:
    return __version__


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """allysweep's own warnings as one line on stderr (no source line); others as Python does."""
    if issubclass(category, AllysweepWarning):
        print(f"allysweep: warning: {message}", file=sys.stderr if file is None else file)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


_PYTHON_SHOWWARNING = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``allysweep`` command."""
    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except (AllysweepError, ValueError) as err:
        print(f"allysweep: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("allysweep: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = None  # type: ignore[assignment]
        return 0
