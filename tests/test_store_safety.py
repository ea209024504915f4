"""Stores that survive people (issue 16): one writer per store (the lock, its owner record and
stale-lock takeover), `allysweep verify` and the repairs `--resume` makes, write errors (a full
disk) mid-sweep, and resource bounds checked before anything is written."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import allysweep as asw
from allysweep.sweeps import SweepSummary, completed_blocks, design, store, worker
from allysweep.sweeps.lock import StoreLock, StoreLockedError, lock_path, read_owner
from test_sweep import assert_same_cube, run_cli, write_spec

pytestmark = pytest.mark.slow


def clean_cube(tmp: Path, name: str = "clean.zarr", cost: str = "uniform:0,1"):
    """The reference: every block of tests/test_sweep.py's SPEC written in this process by the
    workers' own code, in order, into a fresh store (no cluster, no interruption)."""
    spec = asw.load_spec(write_spec(tmp, f"{name}.toml", cost=cost)).with_store(str(tmp / name))
    store._create_store(spec)
    for i in range(design.block_count(spec)):
        worker.compute_block(spec, i)
    return asw.open_cube(spec.store).load()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return clean_cube(tmp_path_factory.mktemp("safety-ref"))


def start_run(spec: Path, store_path: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--store", str(store_path), "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def wait_for(condition, run: subprocess.Popen | None, what: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        if run is not None and run.poll() is not None:
            raise AssertionError(f"{what}: the run ended first ({run.returncode}): {run.communicate()[1]}")
        assert time.time() < deadline, f"{what}: not reached within {timeout} s"
        time.sleep(0.05)


def progress_sum(store_path: Path, name: str) -> int:
    import zarr

    try:
        return int(np.asarray(zarr.open_group(str(store_path), mode="r")["_progress"][name][:]).sum())
    except Exception:
        return 0


# --------------------------------------------------------------------------- the lock itself
def test_lock_refuses_a_second_holder_naming_the_owner_and_is_removed_on_release(tmp_path):
    target = tmp_path / "cube.zarr"
    first = StoreLock(target, command="allysweep run first.toml").acquire()
    owner = read_owner(target)
    assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
    assert owner["command"] == "allysweep run first.toml" and owner["started"]
    with pytest.raises(StoreLockedError) as info:
        StoreLock(target).acquire()  # another open file description: flock refuses it
    message = str(info.value)
    assert "\n" not in message
    assert f"pid {os.getpid()} on host {socket.gethostname()}" in message
    assert "allysweep run first.toml" in message and "nothing was changed" in message
    assert info.value.owner["pid"] == os.getpid()
    first.release()
    assert not lock_path(target).exists()  # a run that ends leaves nothing behind
    with StoreLock(target) as again:
        assert again.held and again.took_over is None


def plant_owner(target: Path, **record) -> Path:
    path = lock_path(target)
    path.write_text(json.dumps({"started": "2026-01-01T00:00:00+0000", "command": "allysweep run old.toml", **record}))
    return path


def test_stale_locks_are_taken_over_saying_so_and_live_foreign_ones_refused(tmp_path):
    target = tmp_path / "cube.zarr"
    said: list[str] = []
    # A run killed on this host: its pid is gone.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    plant_owner(target, host=socket.gethostname(), pid=dead.pid)
    with StoreLock(target, say=said.append) as lock:
        assert lock.took_over["pid"] == dead.pid and "no longer running" in lock.took_over["reason"]
    assert len(said) == 1 and f"pid {dead.pid}" in said[0] and "taking over the stale lock" in said[0]

    # An owner on another host (a cluster filesystem) with a fresh heartbeat counts as alive.
    path = plant_owner(target, host="node-17.cluster", pid=4242)
    with pytest.raises(StoreLockedError, match=r"pid 4242 on host node-17\.cluster .*heartbeat 0 s ago"):
        StoreLock(target, say=said.append).acquire()
    # ... until its heartbeat is older than the threshold.
    old = time.time() - 3600
    os.utime(path, (old, old))
    with StoreLock(target, say=said.append) as lock:
        assert "heartbeat is 3600 s old" in lock.took_over["reason"]
    # A live process on this host that is not the recorded one (a reused pid) is not the owner.
    plant_owner(target, host=socket.gethostname(), pid=os.getpid(), process_start="1")
    with StoreLock(target, say=said.append) as lock:
        assert "another process" in lock.took_over["reason"]


def test_heartbeat_refreshes_the_lock_file(tmp_path, monkeypatch):
    from allysweep.sweeps import lock as lock_module

    monkeypatch.setattr(lock_module, "HEARTBEAT_SECONDS", 0.05)
    target = tmp_path / "cube.zarr"
    with StoreLock(target):
        path = lock_path(target)
        old = time.time() - 1000
        os.utime(path, (old, old))
        wait_for(lambda: time.time() - path.stat().st_mtime < 10, None, "a heartbeat", timeout=10)


# --------------------------------------------------------------------------- two writers
def test_second_writer_is_refused_naming_the_owner_and_the_first_completes(tmp_path, reference):
    """It must show 1: while a sweep runs (its blocks held, unfinished, by the testing hook), a
    second `allysweep run` on the same store is refused with one line naming the owner and exit
    2, with the same spec, with --resume, and with another spec and --overwrite; readers need no
    lock; the first run then completes to a cube identical to a clean run."""
    release = tmp_path / "release"
    spec = write_spec(tmp_path)
    other = write_spec(tmp_path, "other.toml", cost="logistic:0.5,0.1")
    target = tmp_path / "shared.zarr"
    first = start_run(spec, target, env={"ALLYSWEEP_TEST_BLOCK_HOLD": str(release)})
    try:
        wait_for(lambda: progress_sum(target, "started") >= 1, first, "the first run started a block")
        for argv in ([str(spec)], [str(spec), "--resume"], [str(other), "--overwrite"], [str(target), "--resume"]):
            refused = run_cli("run", *argv, "--store", str(target), "--quiet")
            assert refused.returncode == 2, (argv, refused.stderr)
            lines = refused.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in refused.stderr, (argv, refused.stderr)
            assert f"is being written by another run: pid {first.pid} on host {socket.gethostname()}" in lines[0]
            assert "allysweep run" in lines[0] and "nothing was changed" in lines[0], lines[0]
        # Readers never need the lock.
        info = run_cli("info", str(target))
        assert info.returncode == 0 and "blocks done" in info.stdout, info.stderr
        assert not asw.open_cube(target, warn=False).attrs["complete"]
        release.touch()
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        release.touch()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert "computed 9 of 9 blocks" in out, out
    assert not lock_path(target).exists()
    assert_same_cube(asw.open_cube(target).load(), reference)


def test_sigkilled_runs_stale_lock_is_taken_over_by_resume(tmp_path, reference):
    spec = write_spec(tmp_path)
    target = tmp_path / "killed.zarr"
    run = start_run(spec, target, env={"ALLYSWEEP_TEST_BLOCK_DELAY": "0.8"})
    wait_for(lambda: (target / "_progress").exists() and completed_blocks(target).sum() >= 2, run, "two blocks")
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    owner = read_owner(target)
    assert owner is not None and owner["pid"] == run.pid  # the killed run's record stays
    done = int(completed_blocks(target).sum())
    checked = run_cli("verify", str(target))  # a reader: needs no lock, stale or not
    assert checked.returncode == 0 and f"blocks: {done} of 9 flagged done" in checked.stdout, checked.stdout
    resumed = run_cli("run", str(spec), "--store", str(target), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"taking over the stale lock of {target}: its owner, pid {run.pid} on host" in resumed.stderr
    assert "is no longer running" in resumed.stderr
    assert not lock_path(target).exists()
    assert_same_cube(asw.open_cube(target).load(), reference)


# --------------------------------------------------------------------------- verify and repair
def plant_damage(target: Path) -> dict[int, str]:
    """Damage a complete cube four ways; returns what verify must say, by block index."""
    import zarr

    cut = target / "cutpoint" / "c.2.0.0.0"
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # a copy cut short / a full disk
    (target / "prob_war" / "c.5.0.0.0").unlink()  # a lost chunk
    stats = zarr.open_group(str(target), mode="r+")["_progress/stats"]
    row = stats[7]
    row[1] += 3  # three equilibria more than the block holds
    stats[7] = row
    (target / "_progress" / "done" / "c.1").write_bytes(b"\x02\x01garbage")  # not a blosc chunk
    return {
        1: "_progress/done entry: _progress/done: chunk c.1 is truncated",
        2: f"cutpoint: chunk c.2.0.0.0 is truncated ({len(data) // 2} bytes on disk, header says {len(data)})",
        5: "prob_war: chunk c.5.0.0.0 is missing",
        7: "_progress/stats disagrees with the stored data: equilibria",
    }


def test_verify_finds_planted_damage_by_block_and_resume_repairs_it(tmp_path, reference):
    """It must show 2: a truncated chunk, a deleted chunk and corrupted `_progress` entries are
    each found by block index (the CLI exits 1 and lists them); `--resume` recomputes exactly
    those blocks, says how many, and gives a cube identical to a clean run, which then verifies."""
    from allysweep.sweeps.verify import verify_cube

    target = tmp_path / "damaged.zarr"
    clean_cube(tmp_path, "damaged.zarr")
    assert verify_cube(target).ok
    expected = plant_damage(target)
    report = verify_cube(target)
    assert report.bad_blocks == sorted(expected) and not report.template, report.lines()
    for block, text in expected.items():
        assert any(text in p for p in report.bad[block]), (block, report.bad[block])
    assert verify_cube(target, deep=False).bad_blocks == sorted(expected)
    cli = run_cli("verify", str(target))
    assert cli.returncode == 1, cli.stderr
    for block in expected:
        assert f"\nblock {block}: " in cli.stdout, cli.stdout
    assert "found 0 template problem(s) and 4 bad block(s) (1, 2, 5, 7)" in cli.stdout
    # Readers still open it: the damaged done entry reads as an unfinished block.
    info = run_cli("info", str(target))
    assert info.returncode == 0 and "8 of 9 blocks done" in info.stdout, info.stderr

    resumed = run_cli("run", str(target), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"verify found 4 bad finished block(s) in {target} (1, 2, 5, 7): recomputing them" in resumed.stderr
    assert "computed 4 of 9 blocks (5 were already done)" in resumed.stdout, resumed.stdout
    assert "repaired: 4 finished blocks were found bad" in resumed.stdout
    again = run_cli("verify", str(target))
    assert again.returncode == 0 and "ok: the template matches" in again.stdout, again.stdout
    assert_same_cube(asw.open_cube(target).load(), reference)


def test_verify_reports_a_template_that_differs_and_resume_refuses_it(tmp_path):
    import zarr

    from allysweep.exceptions import StoreError
    from allysweep.sweeps.verify import verify_cube

    target = tmp_path / "template.zarr"
    clean_cube(tmp_path, "template.zarr")
    group = zarr.open_group(str(target), mode="r+")
    k = group["k"][:]
    k[3] += 1e-9
    group["k"][:] = k
    report = verify_cube(target)
    assert report.template == ["coordinate k: its values differ from the specification's"], report.lines()
    assert "cannot be repaired: replace the cube with --overwrite" in report.lines()[-1]
    spec = asw.load_spec(target)
    with pytest.raises(StoreError, match="template does not match its specification .*coordinate k"):
        asw.sweep(spec, resume=True, progress=False)
    missing = run_cli("verify", str(tmp_path / "nothing.zarr"))
    assert missing.returncode == 2 and "no allysweep cube" in missing.stderr


# --------------------------------------------------------------------------- a full disk
def stray_files(target: Path) -> list[Path]:
    return [p for p in target.rglob(".*") if p.is_file()]


def test_write_error_mid_sweep_fails_its_block_cleanly_and_resume_completes(tmp_path, reference, monkeypatch):
    """A write hook raises ENOSPC from the fourth block on (in-process workers, one thread):
    the sweep stops with StoreWriteError saying what failed and how to resume; the blocks
    finished before are flagged done and verify intact; no partial chunk file is left; resume
    (space "freed": the hook removed) completes a cube identical to a clean run."""
    import errno

    from distributed import Client, LocalCluster

    from allysweep.exceptions import StoreWriteError
    from allysweep.sweeps import chunks
    from allysweep.sweeps.verify import verify_cube

    spec = asw.load_spec(write_spec(tmp_path)).with_store(str(tmp_path / "full.zarr"))
    n_outputs = len(spec.outputs) + 3  # and the block's stats, computed and done entries
    writes = {"n": 0}

    def disk_fills_up() -> None:
        writes["n"] += 1
        if writes["n"] > 3 * n_outputs + 5:  # a few chunks into the fourth block
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(chunks, "_test_write_failure", disk_fills_up)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        with pytest.raises(StoreWriteError) as info:
            asw.sweep(spec, client=client, progress=False)
        err = info.value
        assert err.errno == errno.ENOSPC and err.block == 3, (err.errno, err.block)
        message = str(err)
        assert "the sweep stopped: block 3: cannot write" in message and "No space left on device" in message
        assert "The 3 finished blocks of 9 are kept and valid" in message
        assert f"continue with: allysweep run {spec.store} --resume" in message
        np.testing.assert_array_equal(completed_blocks(spec.store), np.arange(9) < 3)
        assert verify_cube(spec.store).ok and not stray_files(Path(spec.store))
        assert not lock_path(spec.store).exists()  # the failed run released its lock
        monkeypatch.undo()  # space freed
        ds = asw.sweep(spec, client=client, resume=True, progress=False)
    assert ds.attrs["last_run"] and "computed 6 of 9 blocks" in "\n".join(
        SweepSummary(**json.loads(ds.attrs["last_run"])).lines()
    )
    assert_same_cube(asw.open_cube(spec.store).load(), reference)


@pytest.fixture
def small_filesystem(tmp_path):
    """A tmpfs mounted on a directory of tmp_path (needs root: skipped, saying so, elsewhere);
    yields (mount point, resize(bytes)), unmounted afterwards."""
    mount = tmp_path / "mnt"
    mount.mkdir()

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, capture_output=True, text=True)

    tried = run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount))
    if tried.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root): {tried.stderr.strip()}")

    def resize(nbytes: int) -> None:
        got = run("mount", "-o", f"remount,size={nbytes}", str(mount))
        assert got.returncode == 0, got.stderr

    try:
        yield mount, resize
    finally:
        run("umount", "-l", str(mount))


def used(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def test_a_full_filesystem_mid_sweep_stops_cleanly_and_resume_completes(tmp_path, reference, small_filesystem):
    """It must show 3, on a real full disk: a tmpfs sized for the template and about four of
    the nine blocks. `allysweep run` stops with one clear line (ENOSPC, how many blocks are
    kept, how to resume) and exit 1; every finished block verifies; after the filesystem is
    enlarged ("space freed"), `--resume` completes a cube identical to a clean run."""
    mount, resize = small_filesystem
    base = used(mount)
    spec = asw.load_spec(write_spec(tmp_path)).with_store(str(mount / "measure.zarr"))
    store._create_store(spec)
    template = used(mount) - base
    for i in range(design.block_count(spec)):
        worker.compute_block(spec, i)
    per_block = (used(mount) - base - template) / 9
    subprocess.run(["rm", "-rf", spec.store], check=True)
    resize(int(base + template + 4.5 * per_block) // 4096 * 4096 + 8192)  # room for the lock file too

    target = mount / "cube.zarr"
    # The size check foresees that the cube does not fit (it is refused with exit 2 otherwise):
    # overridden here, to meet the full disk mid-sweep.
    proc = run_cli("run", str(write_spec(tmp_path)), "--store", str(target), "--quiet", "--ignore-free-space")
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("allysweep: error: the sweep stopped: block ") and "No space left on device" in lines[0]
    done = int(completed_blocks(target).sum())
    assert 1 <= done < 9, done
    assert f"The {done} finished blocks of 9 are kept and valid" in lines[0], lines[0]
    assert f"continue with: allysweep run {target} --resume" in lines[0]
    checked = run_cli("verify", str(target))
    assert checked.returncode == 0, checked.stdout
    assert not stray_files(target)

    resize(64 << 20)  # space freed
    resumed = run_cli("run", str(target), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"computed {9 - done} of 9 blocks ({done} were already done)" in resumed.stdout, resumed.stdout
    assert_same_cube(asw.open_cube(target).load(), reference)


# --------------------------------------------------------------------------- resource bounds
def test_limits_refuse_a_sweep_before_anything_is_written(tmp_path, monkeypatch):
    """A block over --max-block-memory, a cube over --max-disk or over the free space, and a
    design whose coordinates would not fit in memory are refused with the sizes, exit 2, and
    nothing is written (no store, no lock file)."""
    from allysweep.sweeps import resources

    spec = write_spec(tmp_path)
    target = tmp_path / "limited.zarr"
    for flags, text in (
        (["--max-block-memory", "100KB"], "one block of 574 points needs about "),
        (["--max-disk", "10KB"], "more than the limit of 9.8 KiB (--max-disk)"),
    ):
        proc = run_cli("run", str(spec), "--store", str(target), "--quiet", *flags)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0] and "nothing was written" in lines[0], lines
        assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]
    bad = run_cli("run", str(spec), "--max-disk", "lots")
    assert bad.returncode == 2 and "'lots' is not a size" in bad.stderr

    loaded = asw.load_spec(spec).with_store(str(target))
    needs = resources.estimate(loaded)
    assert needs.block_points == 574 and needs.cube_bytes > needs.disk_bytes > 0
    monkeypatch.setattr(resources, "_free_bytes", lambda path: 1000)
    with pytest.raises(resources.ResourceError, match=r"on disk for 9 blocks .* but only 1,000 B are free there"):
        asw.sweep(loaded, progress=False)
    huge = asw.SweepSpec.from_dict(
        {
            "sweep": {"design": "lhs", "n_points": 10**11, "store": str(target)},
            "params": {"k": {"uniform": [0.0, 0.1]}},
        }
    )
    with pytest.raises(resources.ResourceError, match="the design's 100,000,000,000 points need about 1.5 TiB"):
        asw.sweep(huge, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]
    assert resources.parse_size("2GiB") == 2**31 and resources.parse_size(1e9) == 10**9
