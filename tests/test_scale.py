"""Sweeps whose cost does not grow with the cube (issue 17): the template written through zarr's
array API equals what xarray's own writer makes of the same dataset, at any size in about the
same time and memory; the size of a sweep is stated and checked before any work; and blocks
are submitted in a bounded window, so the client's and scheduler's memory stay flat in the
number of blocks and a SIGKILLed run still resumes exactly the missing blocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import allysweep as asw
from allysweep.sweeps import chunks, store

pytestmark = pytest.mark.slow


def metadata(root: Path) -> dict[str, object]:
    """Every file of a store: ``zarr.json`` documents parsed (``history`` dropped: it holds the
    time of creation), other files by content."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        key = str(path.relative_to(root))
        if path.name == "zarr.json":
            doc = json.loads(path.read_text())
            doc.get("attributes", {}).pop("history", None)
            out[key] = doc
        else:
            out[key] = path.read_bytes()
    return out


def xarray_template(spec: asw.SweepSpec) -> None:
    """The template as ``xarray.Dataset.to_zarr(compute=False)`` writes it (the way the cube was
    created before issue 17): the independent reference for the layout."""
    import zarr

    ds = store._template(spec)
    encoding = {
        name: {
            **chunks.encoding(var.ndim, per_equilibrium="eq" in var.dims and "wrt" not in var.dims),
            "fill_value": store.STORE_FILLS[name],
        }
        for name, var in ds.data_vars.items()
    }
    ds.to_zarr(spec.store, mode="w-", compute=False, encoding=encoding, consolidated=False)
    progress = zarr.open_group(spec.store, mode="r+").create_group(store.PROGRESS_GROUP)
    n = asw.sweeps.block_count(spec)
    codec = chunks.encoding()
    for name, dtype in (("done", "int8"), ("computed", "int32"), ("started", "int32")):
        progress.create_array(name, shape=(n,), chunks=(1,), dtype=dtype, fill_value=0, **codec)
    width = len(store.STATS)
    progress.create_array("stats", shape=(n, width), chunks=(1, width), dtype="int64", fill_value=0, **codec)


@pytest.mark.parametrize(
    "sweep,params",
    [
        # A grid with derivatives (d_* and `differentiable`, a string `wrt` coordinate), a
        # parameter following a swept one (a non-dimension coordinate) and scalar coordinates.
        (
            {"design": "grid", "chunk_points": 600, "max_eq": 4, "derivatives": ["k", "r"]},
            {
                "k": {"linspace": [0.0, 0.12, 61]},
                "r": {"linspace": [0.0, 0.12, 41]},
                "p_alliance": [0.6, 0.7, 0.8],
                "p_coalition": "p_alliance",
                "cost_c": "uniform:0,1",
            },
        ),
        # A sampled design (coordinates along `point`) with a subset of the outputs.
        (
            {"design": "lhs", "n_points": 5000, "chunk_points": 1024, "seed": 3, "outputs": ["n_eq", "kind"]},
            {"k": {"uniform": [0.0, 0.1]}, "r": {"loguniform": [0.001, 0.2]}, "cost_c": "logistic:0.5,0.1"},
        ),
    ],
    ids=["grid-derivatives", "lhs-outputs"],
)
def test_template_equals_xarrays_to_zarr_file_for_file(tmp_path, sweep, params):
    where = str(tmp_path / "a.zarr")
    spec = asw.SweepSpec.from_dict({"sweep": {"name": "t", **sweep, "store": where}, "params": params})
    store._create_store(spec)
    reference = spec.with_store(str(tmp_path / "b.zarr"))
    xarray_template(reference)
    ours, theirs = metadata(Path(spec.store)), metadata(Path(reference.store))
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert ours[key] == theirs[key], key
    # No chunk of an output is written: only coordinates hold data.
    outputs = {*spec.outputs, *(f"d_{n}" for n in asw.engine.schema.DERIVATIVE_OUTPUTS if spec.derivatives)}
    assert not [k for k in ours if k.split("/")[0] in outputs and not k.endswith("zarr.json")]
    # Read back by xarray with the store's fills (the newcomer fixes): -1, NaN, False.
    import xarray as xr

    ds = xr.open_zarr(spec.store, consolidated=False)
    assert int(ds.n_eq.values.ravel()[0]) == -1 and int(ds.kind.values.ravel()[0]) == -1
    if "prob_war" in ds:
        assert bool(ds.prob_war.isnull().all())


def _create_in_subprocess(tmp_path: Path, points_exp: int) -> dict[str, float]:
    target = str(tmp_path / f"c{points_exp}.zarr")
    code = f"""
import json, time
import allysweep as asw
from allysweep.sweeps import store

def peak_kib():
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child forked from a large
    # pytest process would report the parent's size.
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM:")).split()[1])
spec = asw.SweepSpec.from_dict({{"sweep": {{"design": "grid", "chunk_points": 50000, "store": {target!r}}},
    "params": {{"k": {{"linspace": [0, 0.12, 1000]}}, "r": {{"linspace": [0, 0.14, 1000]}},
               "c_c_extra": {{"linspace": [0, 0.2, {10 ** (points_exp - 6)}]}}}}}})
before = peak_kib()
t = time.perf_counter()
store._create_store(spec)
print(json.dumps({{"seconds": time.perf_counter() - t, "rss_kib": peak_kib(),
                  "before_kib": before}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_template_cost_does_not_grow_with_the_blocks(tmp_path):
    """10^7 points (200 blocks) and 10^10 points (200,000 blocks, every output): the larger one
    takes under 5 s and adds under 300 MB of peak memory (the 10^7 one is the baseline)."""
    small, large = _create_in_subprocess(tmp_path, 7), _create_in_subprocess(tmp_path, 10)
    assert large["seconds"] < 5, large
    assert (large["rss_kib"] - small["rss_kib"]) * 1024 < 50e6, (small, large)
    assert large["rss_kib"] * 1024 < 300e6, large
    files = sum(1 for _ in (tmp_path / "c10.zarr").rglob("*") if _.is_file())
    assert files < 200, files  # metadata and coordinates only, not one file per block
    assert os.path.isdir(tmp_path / "c10.zarr" / "_progress" / "done")


# --------------------------------------------------------------------------- size before work
BIG = {
    "sweep": {"name": "big", "design": "grid", "chunk_points": 50_000, "max_eq": 4},
    "params": {
        "k": {"linspace": [0.0, 0.12, 1000]},
        "r": {"linspace": [0.0, 0.14, 1000]},
        "c_c_extra": {"linspace": [0.0, 0.2, 10_000]},
    },
}


def big_spec(store: Path) -> asw.SweepSpec:
    outputs = ["n_eq", "kind", "selected", "prob_war"]
    return asw.SweepSpec.from_dict({**BIG, "sweep": {**BIG["sweep"], "store": str(store), "outputs": outputs}})


def tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def size_in(text: str, after: str) -> float:
    """The first size (``12.3 GiB``) in ``text`` after ``after``, in bytes."""
    import re

    units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}
    match = re.search(re.escape(after) + r"\s*([\d,.]+) (B|KiB|MiB|GiB|TiB|PiB)", text)
    assert match, (after, text)
    return float(match.group(1).replace(",", "")) * units[match.group(2)]


def test_a_cube_larger_than_the_free_space_is_refused_with_both_sizes_writing_nothing(tmp_path, monkeypatch):
    """A 10^10-point spec (200,000 blocks) against a patched free space of 50 GiB: refused before
    anything is written, the message naming the cube's size and the free space. The size is
    checked against the disk a few real blocks of the same spec take when computed (blocks the
    estimate does not sample), scaled to every block; --ignore-free-space lets it past."""
    from allysweep.sweeps import design, resources, worker

    # The independent figure: compute three blocks of the spec into a real store, measure them.
    probe = big_spec(tmp_path / "probe" / "cube.zarr")
    Path(probe.store).parent.mkdir()
    store._create_store(probe)
    before = tree_bytes(Path(probe.store))
    picks = (12_345, 77_777, 150_001)
    for index in picks:
        worker.compute_block(probe, index)
    per_block = (tree_bytes(Path(probe.store)) - before) / len(picks)
    real = per_block * design.block_count(probe)
    subprocess.run(["rm", "-rf", str(tmp_path / "probe")], check=True)

    target = tmp_path / "out"
    target.mkdir()
    spec = big_spec(target / "cube.zarr")
    free = 50 * 2**30
    monkeypatch.setattr(resources, "_free_bytes", lambda path: free)
    with pytest.raises(resources.ResourceError) as refused:
        asw.sweep(spec, progress=False)
    message = str(refused.value)
    assert "nothing was written" in message and "--ignore-free-space" in message
    needed = size_in(message, "needs about")
    assert 0.8 * real < needed < 2.0 * real, (needed, real)  # with its 25% margin
    assert size_in(message, "but only") == pytest.approx(free, rel=1e-3)
    assert list(target.iterdir()) == []  # no store, no lock file
    # The dry run says the same, and writes nothing either.
    lines, refusal = asw.sweeps.sweep_plan(spec)
    assert isinstance(refusal, resources.ResourceError) and str(refusal) == message
    text = "\n".join(lines)
    assert "10,000,000,000 points in 200,000 blocks" in text and "50.0 GiB free there" in text
    assert list(target.iterdir()) == []
    # Overridden explicitly: the check passes (the plan has no refusal).
    assert asw.sweeps.sweep_plan(spec, ignore_free_space=True)[1] is None


def test_dry_run_on_a_small_filesystem_refuses_with_both_sizes_and_writes_nothing(tmp_path):
    """The CLI against a real 1 MiB tmpfs (needs root; skipped elsewhere): ``--dry-run`` and a
    real run both exit 2 with one error line naming the sizes; the free figure is the
    filesystem's own (statvfs); nothing appears on it."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    tried = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if tried.returncode != 0:
        pytest.skip("cannot mount a size-limited tmpfs here (needs root)")
    try:
        st = os.statvfs(mount)
        free = st.f_bavail * st.f_frsize
        spec = tmp_path / "spec.toml"
        spec.write_text(
            '[sweep]\nname = "s"\ndesign = "grid"\nchunk_points = 100\noutputs = ["n_eq", "prob_war"]\n'
            "[params]\nk = { linspace = [0.0, 0.12, 100] }\nr = { linspace = [0.0, 0.14, 200] }\n"
        )
        for extra in (["--dry-run"], ["--quiet"]):
            proc = subprocess.run(
                [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(mount / "c.zarr"), *extra],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 2, (proc.returncode, proc.stderr)
            errors = [line for line in proc.stderr.splitlines() if line.startswith("allysweep: error:")]
            assert len(errors) == 1 and "nothing was written" in errors[0], proc.stderr
            assert size_in(errors[0], "but only") == pytest.approx(free, rel=0.01)
            assert size_in(errors[0], "needs about") > free
            assert list(mount.iterdir()) == []
            if "--dry-run" in extra:
                assert "20,000 points in 200 blocks of <= 100 points" in proc.stdout, proc.stdout
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


# --------------------------------------------------------------------------- bounded submission
def tiny_spec(tmp: Path, name: str, k_values: int, r_values: int) -> Path:
    """A grid of one-point blocks, storing only n_eq: as many blocks as points."""
    path = tmp / f"{name}.toml"
    path.write_text(
        f'[sweep]\nname = "{name}"\ndesign = "grid"\nchunk_points = 1\nmax_eq = 2\noutputs = ["n_eq"]\n'
        f"[params]\nk = {{ linspace = [0.0, 0.12, {k_values}] }}\nr = {{ linspace = [0.0, 0.14, {r_values}] }}\n"
    )
    return path


def done_files(cube: Path) -> int:
    """Blocks flagged done: files of ``_progress/done`` (a worker writes a block's entry only when
    it finishes it), counted without reading them."""
    try:
        return sum(1 for e in os.scandir(cube / "_progress" / "done") if e.name.startswith("c"))
    except FileNotFoundError:
        return 0


def test_many_tiny_blocks_keep_the_scheduler_bounded_and_sigkill_resume_computes_exactly_the_missing(tmp_path):
    """Part 1: 400 one-point blocks, the whole run SIGKILLed mid-way, then resumed: every block
    done before the kill is not computed again (its ``computed`` count stays 1), every other one
    is computed, the resumed run says how many, and the cube equals the engine solving the grid.

    Part 2: 100,000 one-point blocks (computing them all takes this 2-core machine about 15
    minutes, so the run is interrupted after 25 s of running, as Ctrl-C would). Sampled every
    0.2 s from the scheduler itself: it never holds more than 16 tasks (submitting every block
    at once puts 100,000 there before the first finishes); and this process's memory (the
    client and the scheduler, on the embedded cluster's settings) grows by less than 90 MB
    from the first finished block on (with distributed's default log lengths it grows ~140 MB
    over the first ~2,500 blocks) and by less than 15 MB over the second half of the run,
    when the bounded histories are full: what still grows per block there grows without bound."""
    import _thread
    import signal
    import threading
    import time

    import dask
    import numpy as np
    import psutil
    import zarr
    from distributed import Client, LocalCluster

    from allysweep.sweeps import completed_blocks
    from allysweep.sweeps.cluster import LOCAL_CLUSTER_CONFIG
    from test_store_safety import start_run

    start = start_run  # the CLI run of tests/test_store_safety.py

    # Part 1.
    small = tiny_spec(tmp_path, "small", 20, 20)
    cube = tmp_path / "small.zarr"
    run = start(small, cube, env={"ALLYSWEEP_TEST_BLOCK_DELAY": "0.01"})
    deadline = time.time() + 180
    while done_files(cube) < 100:
        assert run.poll() is None and time.time() < deadline, run.communicate() if run.poll() is not None else ""
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    time.sleep(0.3)
    done_before = completed_blocks(cube)
    assert 100 <= done_before.sum() < 400, int(done_before.sum())
    resumed = start(small, cube, "--resume")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    missing = 400 - int(done_before.sum())
    assert f"computed {missing} of 400 blocks ({int(done_before.sum())} were already done)" in out, out
    computed = np.asarray(zarr.open_group(str(cube), mode="r")["_progress"]["computed"][:])
    assert completed_blocks(cube).all()
    assert (computed[done_before] == 1).all()  # none of the finished blocks was computed again
    assert (computed[~done_before] >= 1).all()  # every missing one was
    ds = asw.open_cube(cube)
    direct = asw.solve(k=ds.k, r=ds.r)
    np.testing.assert_array_equal(ds.n_eq.values, direct.n_eq.transpose("k", "r").values)

    # Part 2.
    spec = asw.load_spec(tiny_spec(tmp_path, "large", 1000, 100)).with_store(str(tmp_path / "large.zarr"))
    me = psutil.Process()
    samples: list[tuple[int, int, int]] = []  # (blocks done, scheduler tasks, RSS of this process)
    stop = threading.Event()
    with (
        dask.config.set(LOCAL_CLUSTER_CONFIG),  # as the embedded cluster runs
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):

        def sample() -> None:
            first = None
            while not stop.is_set():
                done = done_files(Path(spec.store))
                tasks = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
                samples.append((done, tasks, me.memory_info().rss))
                if done and first is None:
                    first = time.monotonic()
                if first is not None and time.monotonic() - first > 25:
                    _thread.interrupt_main()  # as Ctrl-C: the sweep cancels what it submitted
                    return
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with pytest.raises(KeyboardInterrupt):
            asw.sweep(spec, client=client, progress=False)
        stop.set()
        sampler.join()
    running = [s for s in samples if s[0] > 0]
    reached = running[-1][0]
    assert 200 < reached < 100_000, reached  # many windows turned over, far from all blocks
    assert max(s[1] for s in samples) <= 16, max(s[1] for s in samples)
    grown = max(s[2] for s in running) - running[0][2]
    assert grown < 90e6, grown / 1e6
    second_half = [s for s in running if s[0] >= reached / 2]
    late = max(s[2] for s in second_half) - second_half[0][2]
    assert late < 15e6, (late / 1e6, reached)
