"""``allysweep run``, ``allysweep info`` and ``allysweep verify``: the sweep commands of the CLI."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from ..exceptions import StoreWriteError

#: Exit status of a run stopped by a write error (a full disk): not a usage error (2).
EXIT_WRITE_FAILED = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system ending the job, ``kill``): stops a sweep the way Ctrl-C does."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def cmd_run(args: argparse.Namespace) -> int:
    """``allysweep run SPEC``: compute a sweep, print its summary."""
    import json

    from ..sweeps import block_count, load_spec, open_cube, sweep

    spec = load_spec(args.spec)
    if args.store:
        spec = spec.with_store(args.store)
    if not args.quiet and spec.design == "adaptive":
        n = len(spec.axes[0][1])
        print(
            f"sweep {spec.name!r}: adaptive over {', '.join(spec.swept)} up to {n}^{len(spec.axes)} points, "
            f"coarse {spec.coarse}, label {spec.label!r}, blocks of <= {spec.chunk_points:,} points, "
            f"method {spec.method}",
            file=sys.stderr,
        )
    elif not args.quiet:
        print(
            f"sweep {spec.name!r}: {spec.n_total:,} points ({spec.design} design over "
            f"{', '.join(spec.swept)}), {block_count(spec)} blocks of <= {spec.chunk_points:,} points, "
            f"method {spec.method}",
            file=sys.stderr,
        )
    if args.dry_run:
        return _dry_run(spec, args)
    # A job ended with SIGTERM to its whole process group kills the workers before they clean
    # up; their multiprocessing resource tracker would then warn about leaked semaphores.
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:multiprocessing.resource_tracker")
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        ds = sweep(
            spec,
            resume=args.resume,
            overwrite=args.overwrite,
            scheduler=args.scheduler,
            cluster=args.cluster,
            progress=not args.quiet,
            max_block_memory=args.max_block_memory,
            max_disk=args.max_disk,
            ignore_free_space=args.ignore_free_space,
        )
    except StoreWriteError as err:
        # A full disk or another write error: the run stopped, finished blocks are valid.
        print(f"allysweep: error: {err}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    except KeyboardInterrupt as err:
        what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
        print(
            f"allysweep: {what}; finished blocks are kept. Continue with: allysweep run {args.spec} --resume",
            file=sys.stderr,
        )
        return 143 if isinstance(err, Terminated) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if spec.design == "adaptive":
        a = ds.attrs
        print(f"cube: {spec.store} (adaptive: {a['finished_levels']} levels, label {a['label']})")
        print(
            f"solved: {ds.sizes['point']:,} points ({a['solver_calls_tree']:,} solver calls for the tree, "
            f"{a['solver_calls_boundaries']:,} for {ds.sizes.get('boundary', 0):,} boundary points)"
        )
        print(f"open it with: import allysweep as asw; cube = asw.open_cube({spec.store!r}); asw.rasterize(cube)")
        return 0
    run = json.loads(ds.attrs["last_run"])
    from ..sweeps import SweepSummary

    summary = SweepSummary(**run)
    for line in summary.lines():
        print(line)
    ds = open_cube(summary.store)
    print(
        "holds: "
        + ", ".join(f"{d}={n}" for d, n in ds.sizes.items())
        + f"; {len(ds.data_vars)} variables, among them "
        + ", ".join(v for v in ("kind", "selected", "cutpoint", "prob_alliance", "prob_war", "prob_renege") if v in ds)
    )
    print(f"open it with: import allysweep as asw; ds = asw.open_cube({summary.store!r})")
    return 0


def _dry_run(spec: Any, args: argparse.Namespace) -> int:
    """``allysweep run SPEC --dry-run``: say what the run would do and need, write nothing.
    Exit status 0 when it would run, 2 when it would be refused (the reason on stderr)."""
    from ..sweeps import sweep_plan

    lines, refusal = sweep_plan(
        spec,
        resume=args.resume,
        overwrite=args.overwrite,
        max_block_memory=args.max_block_memory,
        max_disk=args.max_disk,
        ignore_free_space=args.ignore_free_space,
    )
    for line in lines:
        print(line)
    if refusal is not None:
        print(f"allysweep: error: {refusal}", file=sys.stderr)
        return 2
    print("dry run: nothing was written; run it without --dry-run")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``allysweep info STORE``: describe a cube."""
    from ..sweeps import cube_info

    for line in cube_info(args.store):
        print(line)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``allysweep verify STORE``: check a cube; exit 0 when intact, 1 when problems are found."""
    from ..sweeps.verify import verify_cube

    report = verify_cube(args.store, deep=not args.quick)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def _size(text: str) -> int:
    from ..sweeps.resources import parse_size

    try:
        return int(parse_size(text) or 0)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_commands(sub: Any) -> None:
    """Register ``run`` and ``info`` on the CLI's subcommand parser."""
    p_run = sub.add_parser(
        "run",
        help="compute a sweep into a Zarr cube (local Dask cluster by default)",
        description="Compute every point of a sweep specification (TOML) and write a resumable Zarr cube. "
        "By default a local Dask cluster with one single-threaded worker per core does the work; "
        "--scheduler uses an existing cluster, --cluster slurm starts one through dask-jobqueue. "
        "Before any work the run says the number of points and blocks, the cube's expected size on disk "
        "and the expected time (estimates measured on a sample of the sweep's points, solved and compressed "
        "then), and refuses a cube larger than the free space of the target filesystem (both sizes in the "
        "message; --ignore-free-space overrides). --dry-run does only this. Blocks are submitted a few per "
        "worker thread at a time, so memory stays flat whatever the number of blocks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: allysweep run examples/quickstart.toml\n"
        "         allysweep run examples/quickstart.toml --dry-run\n"
        "spec format: see the README (section 'Sweeps') or examples/*.toml",
    )
    p_run.add_argument("spec", help="sweep specification (TOML)")
    p_run.add_argument("--store", help="output Zarr store (default: the spec's sweep.store)")
    p_run.add_argument("--resume", action="store_true", help="continue an interrupted sweep: only unfinished blocks")
    p_run.add_argument("--overwrite", action="store_true", help="replace an existing cube")
    p_run.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="use a running Dask scheduler")
    p_run.add_argument("--cluster", choices=["local", "slurm"], help="kind of cluster to start (default: local)")
    p_run.add_argument("-q", "--quiet", action="store_true", help="no progress bar (batch jobs)")
    p_run.add_argument(
        "--max-block-memory",
        metavar="SIZE",
        type=_size,
        help="refuse the sweep if one block needs more memory on a worker (e.g. 2GB; default: this "
        "machine's memory per core)",
    )
    p_run.add_argument(
        "--max-disk",
        metavar="SIZE",
        type=_size,
        help="refuse the sweep if the cube needs more disk (estimated before anything is written; "
        "the free space is always checked)",
    )
    p_run.add_argument(
        "--ignore-free-space",
        action="store_true",
        help="run even if the estimated cube is larger than the free space of the store's filesystem",
    )
    p_run.add_argument(
        "--dry-run",
        action="store_true",
        help="only say what the run would do and need (points, blocks, estimated disk and time, free space, "
        "whether it would be refused); write nothing",
    )
    p_run.set_defaults(func=cmd_run)

    p_info = sub.add_parser("info", help="describe a cube: specification, dimensions, completeness, summary")
    p_info.add_argument("store", help="a Zarr store written by allysweep run")
    p_info.set_defaults(func=cmd_info)

    p_verify = sub.add_parser(
        "verify",
        help="check a cube: template vs its specification, every finished block's chunks and counts",
        description="Check a cube written by allysweep run: the template against the recorded specification; "
        "that every block flagged done has every chunk present, of the size its header says and decodable "
        "to the expected shape; and the _progress counts against the data. Bad blocks are reported by "
        "index; `allysweep run STORE --resume` recomputes them. Exit status 0: intact; 1: problems found; "
        "2: no cube there. Needs no lock: it may run while a sweep writes the cube (blocks still being "
        "written are not flagged done yet and are not checked).",
    )
    p_verify.add_argument("store", help="a Zarr store written by allysweep run")
    p_verify.add_argument(
        "--quick", action="store_true", help="headers, sizes and counts only: no full decode of every chunk"
    )
    p_verify.set_defaults(func=cmd_verify)
