"""``allysweep analyze CUBE METHOD ...``: calibration, sensitivity and scenario discovery on a cube
(:mod:`allysweep.analysis`), printed as tables."""

from __future__ import annotations

import argparse
from typing import Any

METHODS = ("calibrate", "main-effects", "sobol", "morris", "pawn", "delta", "prim")


def _targets(items: list[str]) -> dict[str, tuple[float, float]]:
    from ..exceptions import AnalysisError

    out = {}
    for item in items:
        name, sep, rest = item.partition("=")
        value, comma, sd = rest.partition(",")
        try:
            if not (sep and comma):
                raise ValueError
            out[name.strip()] = (float(value), float(sd))
        except ValueError:
            raise AnalysisError(
                item, "expected --target OUTPUT=VALUE,UNCERTAINTY (e.g. prob_renege=0.25,0.05)", (), "target"
            ) from None
    return out


def _write(ds: Any, path: str | None) -> None:
    if not path:
        return
    ds = ds.copy()
    for name, var in ds.variables.items():
        if var.dtype == object:
            ds[name] = var.astype(str)
    ds.to_netcdf(path)
    print(f"written: {path}")


def cmd_analyze(args: argparse.Namespace) -> int:
    """Run one analysis on a cube and print its table."""
    import pandas as pd

    from .. import analysis
    from ..exceptions import AnalysisError
    from ..sweeps import open_cube

    cube = open_cube(args.cube)
    eq: str | int = "selected" if args.eq == "selected" else int(args.eq)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if args.method == "calibrate":
        if not args.target:
            raise AnalysisError(
                "--target", "calibrate needs at least one --target OUTPUT=VALUE,UNCERTAINTY", (), "option"
            )
        cal = analysis.calibrate(cube, _targets(args.target), eq=eq, threshold=args.threshold)
        print(f"not ruled out: {int(cal.n_nroy):,} points ({float(cal.nroy_share):.1%})")
        print(analysis.nroy_table(cal).to_string())
        print("identifiability: " + cal.attrs["identifiability"])
        _write(cal, args.output)
        return 0
    if args.method == "prim":
        res = analysis.prim(cube, args.where, eq=eq)
        print(analysis.prim_table(res, restricted_only=True).to_string())
        _write(res, args.output)
        return 0
    if not args.var:
        raise AnalysisError("--var", f"{args.method} needs the output to analyse: --var OUTPUT", (), "option")
    func = {
        "main-effects": analysis.main_effects,
        "sobol": analysis.sobol,
        "morris": analysis.morris,
        "pawn": analysis.pawn,
        "delta": analysis.delta,
    }[args.method]
    res = func(cube, args.var, eq=eq, where=args.where)
    table = res[[v for v in res.data_vars if res[v].dims == ("parameter",)]].to_dataframe()
    print(f"{res.attrs['title']} ({res.attrs['n_points']:,} points; condition: {res.attrs['condition']})")
    print(table.drop(columns=[c for c in table.columns if c not in res.data_vars]).to_string())
    _write(res, args.output)
    return 0


def add_commands(sub: Any) -> None:
    """Register ``analyze`` on the CLI's subcommand parser."""
    p = sub.add_parser(
        "analyze",
        help="calibration, sensitivity or scenario discovery on a cube (asw.analysis)",
        description="Analyse a cube: calibrate (history matching with identifiability), main-effects (exact variance "
        "fractions on a grid), sobol / morris (SALib, on a saltelli / morris design), pawn / delta (any sampled "
        "design, also within a regime), prim (boxes for every regime label, or for --where). docs/analysis.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  allysweep analyze cube.zarr calibrate --target prob_renege=0.25,0.05 --target challenge_ratio=0.72,0.05\n"
        "  allysweep analyze cube.zarr main-effects --var prob_war --where 'kind == cutpoint_bluff'\n"
        "  allysweep analyze cube.zarr prim",
    )
    p.add_argument("cube", help="a Zarr store written by allysweep run")
    p.add_argument("method", choices=METHODS, help="the analysis")
    p.add_argument("--var", help="the output analysed (sensitivity): a variable, challenge_ratio, 'kind == LABEL'")
    p.add_argument("--target", action="append", default=[], metavar="OUTPUT=VALUE,SD", help="a calibration target")
    p.add_argument("--threshold", type=float, default=3.0, help="calibration: largest implausibility kept (3)")
    p.add_argument("--where", help="a condition: 'kind == LABEL', 'kind != LABEL' or a flag such as stable")
    p.add_argument("--eq", default="selected", help="the equilibrium read: selected (default) or a slot number")
    p.add_argument("--output", metavar="FILE.nc", help="also write the result as netCDF")
    p.set_defaults(func=cmd_analyze)
