"""Sweeps whose cost does not grow with the cube (issue 17): a benchmark, not a test.

1. **Template**: creating the store of a 10^9- and a 10^10-point grid (every output), each in a
   fresh process: wall time of ``_create_store`` and the process's peak RSS (``VmHWM`` of
   /proc/self/status: ``ru_maxrss`` would carry over the peak of the process that exec'd it).
2. **Sweeps** of 10^7, 10^8 and 10^9 points (``--sizes``) of a few outputs (``--outputs``,
   default ``n_eq,kind,selected,prob_war``), each run as a user runs it: ``allysweep run SPEC
   --quiet`` in a subprocess (default local cluster, one single-threaded worker per core). For
   each: end-to-end points/s (the subprocess's wall time: imports, cluster start, template,
   blocks, summary), points/s of the compute phase (the run's own ``compute_seconds``), the
   peak over the run of the summed RSS of every process of the run (the CLI with its client
   and scheduler, the nanny and worker processes), sampled every 0.2 s, and the peak of the
   CLI process alone (client + scheduler); the cube's size on disk (allocated blocks, as
   ``du``), its apparent size, its number of files, and the disk size :mod:`resources`
   estimated before the run (from a sample compressed as the cube is), to compare.

The grids are k x r x c_c_extra = 1000 x 1000 x N (N = 10, 100, 1000), blocks of 50,000 points.
Stores go to ``--dir`` (default /tmp) and are deleted after being measured.

Run deliberately, e.g. ``nohup python benches/scale.py --sizes 1e7,1e8,1e9 > /tmp/scale.log &``.
The table is printed and the JSON written to ``benches/results/scale-<date>.json`` (rewritten
after each measurement, so a run cut short keeps what it measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

import allysweep as asw
from allysweep.sweeps import block_count, resources

HERE = Path(__file__).resolve().parent


def grid_spec(points: int, store: Path, outputs: list[str] | None, chunk_points: int = 50_000) -> dict:
    depth = max(1, points // 10**6)
    sweep = {"name": f"scale-{points:.0e}", "design": "grid", "chunk_points": chunk_points, "max_eq": 4}
    sweep["store"] = str(store)
    if outputs:
        sweep["outputs"] = outputs
    params = {
        "k": {"linspace": [0.0, 0.12, 1000]},
        "r": {"linspace": [0.0, 0.14, 1000]},
        "c_c_extra": {"linspace": [0.0, 0.2, depth]},
    }
    return {"sweep": sweep, "params": params}


def toml(spec: dict) -> str:
    lines = ["[sweep]"]
    for key, value in spec["sweep"].items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines.append("[params]")
    for key, value in spec["params"].items():
        ((kind, args),) = value.items()
        lines.append(f"{key} = {{ {kind} = {json.dumps(args)} }}")
    return "\n".join(lines) + "\n"


TEMPLATE_CODE = """
import json, sys, time
import allysweep as asw
from allysweep.sweeps import block_count, store
spec = asw.SweepSpec.from_dict(json.loads(sys.argv[1]))
t = time.perf_counter()
store._create_store(spec)
seconds = time.perf_counter() - t
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_rss_mib": int(hwm.split()[1]) / 1024,
                  "blocks": block_count(spec), "points": spec.n_total}))
"""


def template(points: int, where: Path) -> dict:
    store = where / f"template-{points:.0e}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    spec = grid_spec(points, store, None)
    proc = subprocess.run([sys.executable, "-c", TEMPLATE_CODE, json.dumps(spec)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["files"] = sum(len(f) for _, _, f in os.walk(store))
    out["disk_mib"] = disk(store)[0] / 2**20
    shutil.rmtree(store, ignore_errors=True)
    return out


class TreeMemory:
    """Peaks of the summed RSS of a process and all its descendants, and of the process alone;
    and the process's own RSS every ``every`` seconds (``trace``: (seconds, MiB)), to see
    whether the client and scheduler level off or keep growing over a long run."""

    def __init__(self, pid: int, interval: float = 0.2, every: float = 30.0):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.every = every
        self.peak = self.peak_root = 0
        self.trace: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if p.pid == self.root.pid:
                    self.peak_root = max(self.peak_root, rss)
                    elapsed = time.monotonic() - start
                    if not self.trace or elapsed - self.trace[-1][0] >= self.every:
                        self.trace.append((round(elapsed, 1), round(rss / 2**20, 1)))
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def disk(path: Path) -> tuple[int, int, int]:
    """(allocated bytes, apparent bytes, files) under ``path``."""
    allocated = apparent = files = 0
    for root, _, names in os.walk(path):
        for name in names:
            st = os.lstat(os.path.join(root, name))
            allocated += st.st_blocks * 512
            apparent += st.st_size
            files += 1
    return allocated, apparent, files


def sweep(points: int, outputs: list[str], where: Path) -> dict:
    store = where / f"scale-{points:.0e}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    spec_dict = grid_spec(points, store, outputs)
    spec_file = where / f"scale-{points:.0e}.toml"
    spec_file.write_text(toml(spec_dict))
    spec = asw.load_spec(spec_file)
    estimated = resources.estimate(spec)
    t = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec_file), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeMemory(run.pid) as memory:
        out, err = run.communicate()
    wall = time.perf_counter() - t
    if run.returncode != 0:
        raise SystemExit(f"allysweep run failed ({run.returncode}): {err}")
    last = json.loads(asw.open_cube(store).attrs["last_run"])
    allocated, apparent, files = disk(store)
    shutil.rmtree(store, ignore_errors=True)
    spec_file.unlink()
    return {
        "points": points,
        "blocks": block_count(spec),
        "outputs": outputs,
        "wall_seconds": wall,
        "end_to_end_points_per_s": points / wall,
        "compute_seconds": last["compute_seconds"],
        "compute_points_per_s": points / last["compute_seconds"],
        "peak_rss_all_processes_mib": memory.peak / 2**20,
        "peak_rss_client_scheduler_mib": memory.peak_root / 2**20,
        "rss_client_scheduler_trace_mib": memory.trace,
        "disk_mib": allocated / 2**20,
        "apparent_mib": apparent / 2**20,
        "files": files,
        "estimated_disk_mib": estimated.disk_bytes / 2**20,
        "estimate_sample_points": estimated.sample_points,
        "stdout": out.strip().splitlines(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e7,1e8,1e9", help="sweep sizes in points (comma-separated)")
    parser.add_argument("--templates", default="1e9,1e10", help="template sizes in points ('' for none)")
    parser.add_argument("--outputs", default="n_eq,kind,selected,prob_war")
    parser.add_argument("--dir", default="/tmp", help="where the stores are written (and deleted)")
    parser.add_argument("--tag", default="", help="suffix of the result file (scale-<date>-<tag>.json)")
    args = parser.parse_args()
    where = Path(args.dir) / f"allysweep-scale-{os.getpid()}"
    where.mkdir(parents=True)
    outputs = args.outputs.split(",")
    result: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "version": asw.__version__,
        "templates": [],
        "sweeps": [],
    }
    path = HERE / "results" / f"scale-{dt.date.today().isoformat()}{'-' + args.tag if args.tag else ''}.json"

    def save() -> None:
        path.write_text(json.dumps(result, indent=2) + "\n")

    try:
        for size in filter(None, args.templates.split(",")):
            row = template(int(float(size)), where)
            result["templates"].append(row)
            save()
            print(
                f"template {row['points']:.0e} points ({row['blocks']:,} blocks): {row['seconds']:.2f} s, "
                f"peak RSS {row['peak_rss_mib']:.0f} MiB, {row['files']} files, {row['disk_mib']:.1f} MiB",
                flush=True,
            )
        header = (
            f"{'points':>8} {'blocks':>7} {'e2e pts/s':>11} {'compute pts/s':>13} {'peak all MiB':>12} "
            f"{'peak CLI MiB':>12} {'disk MiB':>9} {'est. MiB':>9} {'files':>7} {'wall s':>7}"
        )
        print(header, flush=True)
        for size in args.sizes.split(","):
            row = sweep(int(float(size)), outputs, where)
            row["load_average_after"] = os.getloadavg()
            result["sweeps"].append(row)
            save()
            print(
                f"{row['points']:>8.0e} {row['blocks']:>7,} {row['end_to_end_points_per_s']:>11,.0f} "
                f"{row['compute_points_per_s']:>13,.0f} {row['peak_rss_all_processes_mib']:>12,.0f} "
                f"{row['peak_rss_client_scheduler_mib']:>12,.0f} {row['disk_mib']:>9,.1f} "
                f"{row['estimated_disk_mib']:>9,.1f} {row['files']:>7,} {row['wall_seconds']:>7,.1f}",
                flush=True,
            )
    finally:
        shutil.rmtree(where, ignore_errors=True)
        save()
    print(f"written to {path}")


if __name__ == "__main__":
    main()
