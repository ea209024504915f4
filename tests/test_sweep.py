"""Sweeps with real Dask processes and real Zarr stores: local default vs an external
scheduler with two workers, a worker killed mid-sweep, the whole run SIGKILLed and resumed, and
the SLURM path through dask-jobqueue with stand-in sbatch/scancel commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.sweeps import completed_blocks

pytestmark = pytest.mark.slow

SPEC = """
[sweep]
name = "small"
design = "grid"
chunk_points = 600
max_eq = 4

[params]
k = {{ linspace = [0.0, 0.12, 61] }}
r = {{ linspace = [0.0, 0.12, 41] }}
c_c_extra = [0.05, 0.15]
cost_c = "{cost}"
"""


def write_spec(tmp: Path, name: str = "spec.toml", cost: str = "uniform:0,1") -> Path:
    path = tmp / name
    path.write_text(SPEC.format(cost=cost))
    return path


def run_cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "allysweep.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        **kw,
    )


def load(store: Path) -> xr.Dataset:
    return asw.open_cube(store).load()


def assert_same_cube(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    assert dict(a.sizes) == dict(b.sizes)
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert np.array_equal(x, y), name
    for name in a.coords:
        assert np.array_equal(a[name].values, b[name].values), name


@pytest.fixture(scope="module")
def reference_cube(tmp_path_factory) -> xr.Dataset:
    """A clean run with the default local cluster, through the CLI."""
    tmp = tmp_path_factory.mktemp("ref")
    spec = write_spec(tmp)
    proc = run_cli("run", str(spec), "--store", str(tmp / "ref.zarr"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "computed 9 of 9 blocks" in proc.stdout, proc.stdout
    return load(tmp / "ref.zarr")


def test_cube_has_labelled_dims_and_matches_direct_solve(reference_cube):
    ds = reference_cube
    assert ds.kind.dims == ("k", "r", "c_c_extra", "eq")
    assert ds.sizes["eq"] == 4
    for name in ds.data_vars:
        assert {"long_name", "units", "description"} <= set(ds[name].attrs), name
    assert ds.k.attrs["long_name"].startswith("A's sunk peacetime cost")
    assert "allysweep_spec" in ds.attrs and "history" in ds.attrs and "solver_settings" in ds.attrs
    # Spot-check against the in-memory solver on a few points (same engine, other code path).
    for k, r, cc in [(0.03, 0.06, 0.15), (0.12, 0.0, 0.05), (0.0, 0.12, 0.15)]:
        point = ds.sel(k=k, r=r, c_c_extra=cc, method="nearest")
        direct = asw.solve(k=float(point.k), r=float(point.r), c_c_extra=float(point.c_c_extra))
        n = int(direct.n_eq)
        assert int(point.n_eq) == n
        np.testing.assert_array_equal(point.kind.values[:n], direct.kind.values)
        np.testing.assert_allclose(point.prob_war.values[:n], direct.prob_war.values, rtol=0, atol=0)


def test_cube_matches_the_section9_closed_forms(reference_cube):
    """Every point of the cube against MODEL.md §9, computed in the test (G = U[0, 1],
    r <= 0.12 < c_A = 0.15 < p' - p, τ >= 0.6 - 0.45 > 0: §9 holds on the whole grid)."""
    from test_sweep_designs import assert_cube_matches_section9, section9_cutpoints

    ds = reference_cube
    k, r, cc = np.meshgrid(ds.k.values, ds.r.values, ds.c_c_extra.values, indexing="ij")
    expected, k_d1 = section9_cutpoints(k, r, cc)
    assert_cube_matches_section9(ds, expected, k_d1)


def dask_bin() -> str:
    return str(Path(sys.executable).parent / "dask")


def start_cluster(tmp: Path, n_workers: int = 2, env: dict | None = None, nanny: bool = True):
    sched_file = tmp / "scheduler.json"
    env = {**os.environ, **(env or {})}
    sched = subprocess.Popen(
        [dask_bin(), "scheduler", "--scheduler-file", str(sched_file), "--port", "0", "--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while not sched_file.exists():
        assert time.time() < deadline, "scheduler did not start"
        time.sleep(0.2)
    import json

    address = json.loads(sched_file.read_text())["address"]
    # Without a nanny each worker is the process started here (what a test kills is the worker
    # itself, and nothing restarts it).
    how = ["--nworkers", "1"] if nanny else ["--no-nanny"]
    workers = [
        subprocess.Popen(
            [dask_bin(), "worker", address, "--nthreads", "1", *how, "--no-dashboard", "--name", f"w{i}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(n_workers)
    ]
    from distributed import Client

    with Client(address) as c:
        c.wait_for_workers(n_workers, timeout=60)
    return address, sched, workers


def stop(*procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def test_external_scheduler_two_workers_same_cube(tmp_path, reference_cube):
    address, sched, workers = start_cluster(tmp_path)
    try:
        spec = write_spec(tmp_path)
        proc = run_cli("run", str(spec), "--store", str(tmp_path / "ext.zarr"), "--scheduler", address, "--quiet")
        assert proc.returncode == 0, proc.stderr
    finally:
        stop(*workers, sched)
    assert_same_cube(load(tmp_path / "ext.zarr"), reference_cube)


def progress_entry(store: Path, name: str) -> np.ndarray:
    import zarr

    return np.asarray(zarr.open_group(str(store), mode="r")["_progress"][name][:])


def test_worker_killed_holding_a_running_block_which_is_recomputed(tmp_path, reference_cube):
    """SIGKILL a worker while it holds a running block: the sweep still completes into the
    reference cube, and `_progress` shows that block started twice (the killed attempt and the
    one that finished it) but computed once, every other block started and computed once.

    Each block, once its outputs are written, waits for a file to appear before recording itself
    done (the ALLYSWEEP_TEST_BLOCK_HOLD hook). With two single-threaded workers, two started blocks
    mean each worker holds one, still running: the kill cannot hit an idle worker, nor one that
    has just finished its block."""
    release = tmp_path / "release"
    env = {"ALLYSWEEP_TEST_BLOCK_HOLD": str(release)}
    address, sched, workers = start_cluster(tmp_path, env=env, nanny=False)
    store = tmp_path / "killed-worker.zarr"
    run = None
    try:
        from distributed import Client

        with Client(address) as client:
            pids = client.run(os.getpid)
        victim = workers[0]
        assert victim.pid in pids.values(), (victim.pid, pids)  # the process killed is a worker
        spec = write_spec(tmp_path)
        run = subprocess.Popen(
            [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store)]
            + ["--scheduler", address, "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        deadline = time.time() + 120
        while not ((store / "_progress" / "started").exists() and progress_entry(store, "started").sum() >= 2):
            assert time.time() < deadline and run.poll() is None, "the two workers did not start a block each"
            time.sleep(0.05)
        running = np.flatnonzero(progress_entry(store, "started"))
        assert len(running) == 2 and progress_entry(store, "done").sum() == 0, running
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        release.touch()
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    finally:
        release.touch()
        if run is not None and run.poll() is None:
            run.kill()
        stop(*workers, sched)
    assert "computed 9 of 9 blocks" in out, out
    started, computed = progress_entry(store, "started"), progress_entry(store, "computed")
    # The killed block: started twice, computed once (the killed attempt never finished).
    [killed] = np.flatnonzero(started > computed)
    assert killed in running and started[killed] == 2, (started, computed)
    np.testing.assert_array_equal(computed, np.ones(9))
    np.testing.assert_array_equal(np.delete(started, killed), np.ones(8))
    assert completed_blocks(store).all()
    assert_same_cube(load(store), reference_cube)


def test_sigkill_whole_run_then_resume_computes_only_missing_blocks(tmp_path, reference_cube):
    env = {"ALLYSWEEP_TEST_BLOCK_DELAY": "0.8"}
    spec = write_spec(tmp_path)
    store = tmp_path / "killed.zarr"
    run = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.time() + 120
    while not ((store / "_progress").exists() and completed_blocks(store).sum() >= 2):
        assert time.time() < deadline and run.poll() is None, "sweep did not start"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # the CLI, its local cluster and workers: all at once
    run.wait(timeout=30)
    time.sleep(0.5)
    done_before = int(completed_blocks(store).sum())
    assert 2 <= done_before < 9, done_before

    # Without --resume the store is refused and left untouched.
    refused = run_cli("run", str(spec), "--store", str(store), "--quiet")
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = run_cli("run", str(spec), "--store", str(store), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    missing = 9 - done_before
    assert f"computed {missing} of 9 blocks ({done_before} were already done)" in resumed.stdout, resumed.stdout
    import zarr

    computed = np.asarray(zarr.open_group(str(store))["_progress"]["computed"][:])
    assert int(computed.sum()) >= 9 and completed_blocks(store).all()
    assert_same_cube(load(store), reference_cube)


def test_python_api_sweep_with_client_and_sampled_design(tmp_path):
    from distributed import Client, LocalCluster

    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {
                "name": "sobol",
                "design": "sobol",
                "n_points": 4096,
                "chunk_points": 1024,
                "seed": 3,
                "store": str(tmp_path / "sobol.zarr"),
            },
            "params": {"k": {"uniform": [0.0, 0.1]}, "r": {"loguniform": [0.001, 0.2]}, "cost_c": "logistic:0.5,0.1"},
        }
    )
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        ds = asw.sweep(spec, client=client, progress=False)
    assert ds.kind.dims == ("point", "eq") and ds.sizes["point"] == 4096
    k, r = ds.k.values, ds.r.values
    assert 0 <= k.min() and k.max() <= 0.1 and 0.001 <= r.min() and r.max() <= 0.2
    # The cube's points equal a direct solve of the same parameter values, in every one of the
    # four blocks (not only the first), on every variable.
    direct = asw.solve(k=xr.DataArray(k, dims="point"), r=xr.DataArray(r, dims="point"), cost_c=asw.Logistic(0.5, 0.1))
    n = min(direct.sizes["eq"], 4)
    np.testing.assert_array_equal(ds.n_eq.values, direct.n_eq.values)
    for name in ds.data_vars:
        got, want = ds[name].values, direct[name].values
        if got.ndim == 2:
            got, want = got[:, :n], want[:, :n]
        np.testing.assert_array_equal(got, want, err_msg=name)
    again = asw.open_cube(tmp_path / "sobol.zarr")
    assert "allysweep_spec_sha256" in again.attrs


def test_info_describes_cube(tmp_path, reference_cube):
    spec = write_spec(tmp_path)
    store = tmp_path / "info.zarr"
    assert run_cli("run", str(spec), "--store", str(store), "--quiet").returncode == 0
    out = run_cli("info", str(store))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "9 of 9 blocks done (complete)" in text
    assert "k=61" in text and "eq=4" in text and "params.cost_c = uniform:0,1" in text
    assert "selected equilibrium kinds:" in text
    missing = run_cli("info", str(tmp_path / "nope.zarr"))
    assert missing.returncode == 2 and "no allysweep cube" in missing.stderr


def test_ctrl_c_keeps_finished_blocks_and_says_how_to_resume(tmp_path, reference_cube):
    env = {"ALLYSWEEP_TEST_BLOCK_DELAY": "0.8"}
    spec = write_spec(tmp_path)
    store = tmp_path / "interrupted.zarr"
    run = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    deadline = time.time() + 120
    while not ((store / "_progress").exists() and completed_blocks(store).sum() >= 1):
        assert time.time() < deadline and run.poll() is None, "sweep did not start"
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "--resume" in err and "finished blocks are kept" in err
    done = int(completed_blocks(store).sum())
    assert 1 <= done < 9
    resumed = run_cli("run", str(spec), "--store", str(store), "--resume", "--quiet")
    assert resumed.returncode == 0 and f"computed {9 - done} of 9 blocks" in resumed.stdout
    assert_same_cube(load(store), reference_cube)


def test_output_subset_and_summaries_from_block_stats(tmp_path):
    spec = tmp_path / "subset.toml"
    spec.write_text(SPEC.format(cost="uniform:0,1").replace("max_eq = 4", 'max_eq = 4\noutputs = ["prob_war"]'))
    store = tmp_path / "subset.zarr"
    proc = run_cli("run", str(spec), "--store", str(store), "--quiet")
    assert proc.returncode == 0, proc.stderr
    ds = load(store)
    assert set(ds.data_vars) == {"n_eq", "status", "prob_war"}  # n_eq and status are always kept
    n_eq = int(ds.n_eq.sum())
    assert f"equilibria found: {n_eq:,};" in proc.stdout
    share = float((ds.n_eq > 1).mean())
    assert f"points with several equilibria: {share:.1%}" in proc.stdout
    info = run_cli("info", str(store)).stdout
    # Kinds of the selected equilibria come from per-block counts, although `kind` was not stored.
    assert "selected equilibrium kinds:" in info and "cutpoint_" in info


FAKE_SBATCH = """#!/bin/bash
# A stand-in for SLURM's sbatch: runs the job script dask-jobqueue wrote as a local background
# job in its own session and answers like sbatch does.
# (dask-jobqueue deletes its script once sbatch returns: the job runs from a copy.)
cp "${@: -1}" "$FAKE_SLURM/job-$$.sh"
setsid bash "$FAKE_SLURM/job-$$.sh" > "$FAKE_SLURM/job-$$.log" 2>&1 < /dev/null &
echo $! > "$FAKE_SLURM/job-$$.pid"
echo "Submitted batch job $$"
"""

FAKE_SCANCEL = """#!/bin/bash
# A stand-in for SLURM's scancel: stops the jobs' whole sessions.
for id in "$@"; do
  echo "$id" >> "$FAKE_SLURM/cancelled"
  pid=$(cat "$FAKE_SLURM/job-$id.pid" 2>/dev/null) && kill -TERM -- "-$pid" 2>/dev/null
done
exit 0
"""


def test_slurm_cluster_through_dask_jobqueue(tmp_path, reference_cube):
    """`--cluster slurm` submits dask-jobqueue job scripts with the spec's [cluster.jobqueue]
    settings; fake sbatch/scancel commands run them as local processes (no SLURM here), so the
    whole path runs: scripts written and submitted, workers join, the cube equals the local one,
    and the jobs are cancelled at the end."""
    pytest.importorskip("dask_jobqueue")
    bin_dir, jobs_dir = tmp_path / "bin", tmp_path / "jobs"
    bin_dir.mkdir()
    jobs_dir.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("scancel", FAKE_SCANCEL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    spec = write_spec(tmp_path)
    spec.write_text(
        spec.read_text().replace(
            "[params]",
            '[cluster]\nkind = "slurm"\n[cluster.jobqueue]\nqueue = "short"\ncores = 1\nprocesses = 1\n'
            'memory = "2GB"\nwalltime = "00:10:00"\njobs = 2\n'
            f'python = "{sys.executable}"\nlocal_directory = "{tmp_path}"\n\n[params]',
        )
    )
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_SLURM": str(jobs_dir)}
    proc = run_cli("run", str(spec), "--store", str(tmp_path / "slurm.zarr"), "--quiet", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    scripts = sorted(jobs_dir.glob("job-*.sh"))
    assert len(scripts) == 2, scripts
    text = scripts[0].read_text()
    assert "#SBATCH -p short" in text and "#SBATCH -t 00:10:00" in text and "#SBATCH --mem=" in text, text
    assert "distributed.cli.dask_worker" in text and "--nthreads 1" in text, text
    cancelled = (jobs_dir / "cancelled").read_text().split()
    assert sorted(cancelled) == sorted(p.stem.removeprefix("job-") for p in scripts)
    assert_same_cube(load(tmp_path / "slurm.zarr"), reference_cube)


def test_threaded_workers_do_not_share_buffers(tmp_path, reference_cube, monkeypatch):
    """Workers with several threads run blocks at the same time in one process (the engine
    releases the GIL): each thread must write into its own reused output buffers. An in-process
    cluster of one worker with four threads gives the same cube as the default, with two blocks
    shown to overlap: the first full block solved holds its outputs, unwritten, until another
    thread has solved a block of the same size (the size that would share its buffers) into its
    own. The same run with one buffer cache for all threads fails: the engine refuses a buffer
    another thread is solving into, or the cube differs (a block written with another block's
    values): the overlap is what catches shared buffers."""
    import threading
    import types

    from distributed import Client, LocalCluster

    from allysweep.sweeps import chunks, worker

    spec = asw.load_spec(write_spec(tmp_path))
    full = 7 * 41 * 2  # points of a full block (_block_of_k); the last block has fewer
    real = worker.solve_flat

    def sweep_recording(store: Path) -> tuple[xr.Dataset, list[tuple[str, int, int]]]:
        events: list[tuple[str, int, int]] = []  # (what, thread, points), in the order they happened
        held: list[int] = []  # the thread holding its solved block, once one has
        over: list[bool] = []  # set when the sweep has ended (a failed one too): stop holding
        cond = threading.Condition()

        def solve_then_hold(columns, **kwargs):
            me = threading.get_ident()
            result = real(columns, **kwargs)
            n = len(result["n_eq"])
            with cond:
                events.append(("solved", me, n))
                cond.notify_all()
                if n == full and not held:
                    held.append(me)
                    events.append(("held", me, n))
                    mark = len(events)
                    if not cond.wait_for(
                        lambda: over or any(e == "solved" and t != me and m == full for e, t, m in events[mark:]),
                        timeout=120,
                    ):
                        raise AssertionError(f"no other thread solved a block while one held its outputs: {events}")
                    events.append(("released", me, n))
            return result

        monkeypatch.setattr(worker, "solve_flat", solve_then_hold)
        try:
            with (
                LocalCluster(n_workers=1, threads_per_worker=4, processes=False, dashboard_address=None) as lc,
                Client(lc) as client,
            ):
                ds = asw.sweep(spec, store=store, client=client, progress=False).load()
        finally:
            with cond:
                over.append(True)
                cond.notify_all()
            monkeypatch.setattr(worker, "solve_flat", real)
        return ds, events

    ds, events = sweep_recording(tmp_path / "threads.zarr")
    assert_same_cube(ds, reference_cube)
    # Two blocks overlapped in time: between the holder's "held" and "released", another thread
    # solved a full block (into its buffers, while the holder's outputs were still unwritten).
    assert sum(e == "solved" for e, _, _ in events) == 9, events
    [(held_at, holder)] = [(i, t) for i, (e, t, _) in enumerate(events) if e == "held"]
    [released_at] = [i for i, (e, t, _) in enumerate(events) if e == "released" and t == holder]
    between = events[held_at + 1 : released_at]
    assert any(e == "solved" and t != holder and n == full for e, t, n in between), events

    # The bite check: one buffer cache shared by every thread (what the per-thread cache
    # prevents) with the same overlap is caught.
    monkeypatch.setattr(chunks, "_REUSED", types.SimpleNamespace())
    try:
        shared, _ = sweep_recording(tmp_path / "shared.zarr")
    except ValueError as err:  # two threads solving into one buffer at once
        assert "already borrowed" in str(err), err
    else:  # the holder's buffers were solved into by another block before it wrote them
        with pytest.raises(AssertionError):
            assert_same_cube(shared, reference_cube)


def _block_of_k(n_k: int = 61, chunk_k: int = 7) -> np.ndarray:
    """Block index of every k of SPEC: 600 points per block over (k=61, r=41, c_c_extra=2) is
    7 values of k (7 * 41 * 2 = 574 points), so 9 blocks along k, the last with 5 values."""
    return np.arange(n_k) // chunk_k


def test_sigkilled_sweep_reads_as_not_computed_warns_and_reports_it(tmp_path, reference_cube):
    """It must show 1: SIGKILL a sweep mid-run and open the cube: no unfinished point reads as
    an equilibrium kind or as "all equilibria reported"; the warning names the missing share;
    the report says so; `allysweep run CUBE --resume` finishes it into the reference cube."""
    import warnings

    import zarr

    from allysweep.exceptions import IncompleteCubeWarning

    env = {"ALLYSWEEP_TEST_BLOCK_DELAY": "0.8"}
    spec = write_spec(tmp_path)
    store = tmp_path / "killed.zarr"
    run = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.time() + 120
    while not ((store / "_progress").exists() and completed_blocks(store).sum() >= 2):
        assert time.time() < deadline and run.poll() is None, "sweep did not start"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    time.sleep(0.5)
    done = np.asarray(zarr.open_group(str(store))["_progress"]["done"][:]) == 1
    assert 2 <= done.sum() < 9, done
    # Points per unfinished block, from the geometry written out in _block_of_k.
    sizes = np.where(np.arange(9) < 8, 7 * 41 * 2, 5 * 41 * 2)
    missing, blocks = int(sizes[~done].sum()), int((~done).sum())
    path = str(store.resolve())
    expected = (
        f"{path} is incomplete: {missing:,} of 5,002 points ({missing / 5002:.1%}) in {blocks} of 9 blocks are "
        "not computed; they read as n_eq = -1, kind = -1, status = -1 (see the `computed` coordinate), not as "
        f"results. Finish the sweep with: allysweep run {path} --resume"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = asw.open_cube(store).load()
    assert [str(w.message) for w in caught if w.category is IncompleteCubeWarning] == [expected]
    assert ds.attrs["complete"] is False
    assert zarr.open_group(str(store)).attrs["complete"] is False  # the store says so too

    unfinished = ~done[_block_of_k()]  # along k
    np.testing.assert_array_equal(ds.computed.values.all(axis=(1, 2)), ~unfinished)
    np.testing.assert_array_equal(ds.computed.values.any(axis=(1, 2)), ~unfinished)
    gone = ds.isel(k=np.flatnonzero(unfinished))
    assert gone.sizes["k"] > 0
    assert (gone.kind.values == -1).all()  # no kind code 0..5 (0 = cutpoint_honest)
    assert (gone.status.values == -1).all()  # not 0 = "all equilibria reported"
    assert (gone.n_eq.values == -1).all()
    assert np.isnan(gone.prob_war.values).all() and not gone.selected.values.any()
    kept = ds.isel(k=np.flatnonzero(~unfinished))
    ref = reference_cube.isel(k=np.flatnonzero(~unfinished))
    for name in ("kind", "n_eq", "status", "prob_war", "selected"):
        np.testing.assert_array_equal(kept[name].values, ref[name].values, err_msg=name)
    # Plain xarray / zarr readers see the same fills for chunks never written.
    for name in ("kind", "n_eq", "status"):
        assert zarr.open_group(str(store))[name].fill_value == -1, name

    report = run_cli("report", str(store), "-o", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert report.stderr.strip().splitlines() == [f"allysweep: warning: report: {expected}"]
    html = (tmp_path / "r.html").read_text()
    assert "Incomplete cube." in html and f"{missing:,} of 5,002 points ({missing / 5002:.1%})" in html
    assert "not computed" in html  # the regime map's legend entry
    info = run_cli("info", str(store))
    assert f"{int(done.sum())} of 9 blocks done (incomplete: {expected})" in info.stdout

    resumed = run_cli("run", str(store), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"computed {blocks} of 9 blocks" in resumed.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteCubeWarning)  # complete now: no warning
        final = load(store)
    assert final.attrs["complete"] is True and bool(final.computed.all())
    assert_same_cube(final.drop_vars("computed"), reference_cube.drop_vars("computed"))


@pytest.mark.parametrize(
    ("sig", "code", "what"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")]
)
def test_ctrl_c_or_sigterm_to_the_process_group_prints_only_our_line(tmp_path, sig, code, what):
    """Ctrl-C in a terminal (and a batch system's SIGTERM) reaches every process of the group,
    workers included: stderr holds allysweep's one line and nothing from distributed."""
    env = {"ALLYSWEEP_TEST_BLOCK_DELAY": "0.8"}
    spec = write_spec(tmp_path)
    store = tmp_path / "stopped.zarr"
    run = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.time() + 120
    while not ((store / "_progress").exists() and completed_blocks(store).sum() >= 1):
        assert time.time() < deadline and run.poll() is None, "sweep did not start"
        time.sleep(0.05)
    os.killpg(run.pid, sig)
    out, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    assert err == f"allysweep: {what}; finished blocks are kept. Continue with: allysweep run {spec} --resume\n"
    assert 1 <= completed_blocks(store).sum() < 9


def test_sweep_stores_derivatives_equal_to_a_direct_solve(tmp_path):
    """``sweep.derivatives`` stores d_<output> along ``wrt`` and ``differentiable``, block by block
    on real Dask workers: equal to ``asw.solve(..., derivatives=...)`` of the same grid, with A1
    holding (c_d = 0.1) and failing (c_d = 0.5); a method without derivatives is refused."""
    from distributed import Client, LocalCluster

    store = tmp_path / "d.zarr"
    sweep = {"name": "d", "design": "grid", "chunk_points": 20, "store": str(store), "derivatives": ["k", "cost_c_hi"]}
    params = {"k": {"linspace": [0.0, 0.12, 31]}, "c_d": [0.1, 0.5], "p": 0.3}
    spec = asw.SweepSpec.from_dict({"sweep": sweep, "params": params})
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        ds = asw.sweep(spec, client=client, progress=False).load()
    assert ds.d_cutpoint.dims == ("k", "c_d", "eq", "wrt") and list(ds.wrt.values) == ["k", "cost_c_hi"]
    direct = asw.solve(k=np.linspace(0, 0.12, 31), c_d=np.array([0.1, 0.5]), p=0.3, derivatives=["k", "cost_c_hi"])
    n = min(4, direct.sizes["eq"])
    assert int(ds.differentiable.sum()) > 50
    for name in ("d_cutpoint", "d_prob_war", "d_utility_ally", "d_immediate_deterrence", "differentiable"):
        got = ds[name].values[:, :, :n]
        want = direct[name].transpose(*ds[name].dims).values[:, :, :n]
        np.testing.assert_array_equal(got, want, err_msg=name)
    bad = {"sweep": {**sweep, "method": "reference"}, "params": params}
    with pytest.raises(asw.SpecError, match="derivatives"):
        asw.SweepSpec.from_dict(bad)
    with pytest.raises(asw.SpecError, match="derivatives"):
        asw.SweepSpec.from_dict({"sweep": {**sweep, "derivatives": ["cost_c_mu"]}, "params": params})
