"""``allysweep explore`` and ``allysweep report``: looking at a cube from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _open(store: str, warn: bool = True) -> Any:
    from ..sweeps import open_cube

    return open_cube(store, warn=warn)


def cmd_explore(args: argparse.Namespace) -> int:
    import panel as pn

    from ..views.explore import explorer

    ds = _open(args.store, warn=False)  # the explorer warns once on an incomplete cube
    explorer(ds)  # fail here, before serving, on a cube that cannot be explored

    def app() -> Any:
        import warnings

        from ..exceptions import IncompleteCubeWarning

        with warnings.catch_warnings():  # said once above
            warnings.simplefilter("ignore", IncompleteCubeWarning)
            return explorer(ds)

    url = f"http://{args.address}:{args.port}/"
    print(f"serving {args.store} on {url} (Ctrl-C stops)", flush=True)
    origins = [f"{args.address}:{args.port}", f"localhost:{args.port}", f"127.0.0.1:{args.port}"]
    try:
        pn.serve(
            {"/": app},
            port=args.port,
            address=args.address,
            show=not args.no_browser,
            websocket_origin=origins,
            title=f"allysweep: {args.store}",
            threaded=False,
            print_url=False,
        )
    except KeyboardInterrupt:
        print("allysweep: stopped", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..exceptions import AllysweepError
    from ..views.explore import write_report

    out = Path(args.output)
    if not out.parent.is_dir():  # before any work
        raise AllysweepError(f"cannot write the report {out}: directory {out.parent} does not exist")
    if out.is_dir():
        raise AllysweepError(f"cannot write the report {out}: it is a directory; give a file name in it")
    # The report warns once (and says so on the page) when the cube is incomplete.
    path = write_report(_open(args.store, warn=False), out, title=args.title)
    print(f"wrote {path} (self-contained: open it in any browser, no server needed)")
    return 0


def add_commands(sub: Any) -> None:
    p_explore = sub.add_parser(
        "explore",
        help="serve an interactive page over a cube (needs the plot extra)",
        description="Serve an interactive page over a cube: choose the variable and the two axes, "
        "move sliders for the other dimensions, hover a cell to see every equilibrium there. "
        "Needs pip install 'allysweep[plot]'.",
    )
    p_explore.add_argument("store", help="a Zarr store written by allysweep run")
    p_explore.add_argument("--port", type=int, default=5006, help="port to serve on (default: 5006)")
    p_explore.add_argument("--address", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p_explore.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p_explore.set_defaults(func=cmd_explore)

    p_report = sub.add_parser(
        "report",
        help="write a self-contained HTML page with the main views of a cube",
        description="Write one HTML file (scripts inlined, opens without a server) with the regime map, "
        "heatmaps, line plots and bargaining ranges of a cube. Needs pip install 'allysweep[plot]'.",
    )
    p_report.add_argument("store", help="a Zarr store written by allysweep run")
    p_report.add_argument("-o", "--output", default="report.html", help="output file (default: report.html)")
    p_report.add_argument("--title", help="page heading (default: the cube's title)")
    p_report.set_defaults(func=cmd_report)
