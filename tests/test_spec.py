"""Sweep specifications: every rejected specification gets its message (file, key, reason)
before any work starts, and a refused run leaves an existing store byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import allysweep as asw
from allysweep.exceptions import SpecError

GOOD = """
[sweep]
name = "tiny"
chunk_points = 200

[params]
k = { linspace = [0.0, 0.1, 11] }
r = [0.02, 0.06]
"""

REJECTED = [
    # (TOML text, key named, reason fragment)
    ("[sweeep]\n", "sweeep", "unknown section"),
    ("[sweep]\nchunk = 5\n[params]\nk=[0.1]\n", "sweep.chunk", "unknown key"),
    ('[sweep]\nchunk_points = "many"\n[params]\nk=[0.1]\n', "sweep.chunk_points", "expected int"),
    ("[sweep]\nmax_eq = 3.5\n[params]\nk=[0.1]\n", "sweep.max_eq", "expected int"),
    ('[sweep]\ndesign = "random"\n[params]\nk=[0.1]\n', "sweep.design", "not one of"),
    ('[sweep]\nmethod = "guess"\n[params]\nk=[0.1]\n', "sweep.method", "not one of"),
    ("[params]\nk = { linspace = [0.1, 0.1, 5] }\n", "params.k", "empty range"),
    ("[params]\nk = { linspace = [0.0, 0.1, 0] }\n", "params.k", "count must be"),
    ("[params]\nk = []\n", "params.k", "empty list"),
    ("[params]\nk = [0.1, 0.1]\n", "params.k", "values repeat"),
    ('[sweep]\ndesign = "lhs"\nn_points = 10\n[params]\nk = { uniform = [0.2, 0.1] }\n', "params.k", "empty range"),
    ("[params]\nk = { linspace = [-0.1, 0.1, 5] }\n", "params.k", "-0.1 outside the model's domain"),
    ("[params]\np = 1.2\nk = [0.1]\n", "params.p", "outside the model's domain"),
    # A1 (p - c_d >= 0) is no longer a domain restriction (CRISIS.md); c_d < 0 still is.
    ("[params]\nc_d = { linspace = [-0.1, 0.5, 5] }\n", "params.c_d", "c_d >= 0"),
    ("[params]\nfoo = 1\nk = [0.1]\n", "params.foo", "unknown parameter"),
    ('[params]\nk = "a lot"\n', "params.k", "expected a number"),
    ("[params]\nk = { between = [0, 1] }\n", "params.k", "unknown range kind"),
    ('[params]\ntheta = "uniform:1"\nk = [0.1]\n', "params.theta", "uniform:LO,HI"),
    ('[params]\ntheta = "uniform:0.5,0.2"\nk = [0.1]\n', "params", "outside the model's domain"),
    ('[sweep]\ndesign = "lhs"\n[params]\nk = { uniform = [0, 0.1] }\n', "sweep.n_points", "required"),
    (
        '[sweep]\ndesign = "sobol"\nn_points = 8\n[params]\nk = { linspace = [0, 0.1, 3] }\n',
        "params.k",
        "makes a grid axis",
    ),
    ('[sweep]\ndesign = "list"\n[points]\nk = [0.1, 0.2]\nr = [0.1]\n', "points", "different lengths"),
    ('[sweep]\ndesign = "list"\n[points]\nk = [0.1, -0.2]\n', "points.k", "outside the model's domain"),
    ("[params]\np = 0.4\n", "params", "at least one swept parameter"),
    ("[params\nk = 1\n", "not valid TOML", ""),
    ('[cluster]\nkind = "kubernetes"\n[params]\nk=[0.1]\n', "cluster.kind", "not one of"),
]


@pytest.mark.parametrize(("text", "key", "reason"), REJECTED)
def test_rejected_specs_name_file_key_reason(tmp_path, text, key, reason):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        asw.load_spec(path)
    msg = str(info.value)
    assert str(path) in msg and key in msg and reason in msg, msg
    assert isinstance(info.value, ValueError)


def test_rejected_spec_from_cli_one_line_no_store(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(REJECTED[6][0])  # empty k range; the store would have been bad.zarr
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "run", str(path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "params.k" in proc.stderr
    assert not any(tmp_path.glob("*.zarr"))


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "allysweep.cli", *args], capture_output=True, text=True, cwd=cwd, env={**os.environ}
    )


@pytest.mark.slow
def test_refused_runs_leave_store_byte_for_byte_unchanged(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(GOOD)
    store = tmp_path / "cube.zarr"
    first = run_cli("run", str(spec), "--store", str(store), "--quiet", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = tree_digest(store)
    assert len(before) > 10

    again = run_cli("run", str(spec), "--store", str(store), "--quiet", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr and "--resume" in again.stderr

    other = tmp_path / "other.toml"
    other.write_text(GOOD.replace("0.06]", "0.07]"))
    wrong = run_cli("run", str(other), "--store", str(store), "--resume", "--quiet", cwd=tmp_path)
    assert wrong.returncode == 2 and "different specification" in wrong.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("r = [0.02, 0.06]", "r = [0.02, -0.06]"))
    invalid = run_cli("run", str(bad), "--store", str(store), "--overwrite", "--quiet", cwd=tmp_path)
    assert invalid.returncode == 2 and "params.r" in invalid.stderr

    both = run_cli("run", str(spec), "--store", str(store), "--resume", "--overwrite", "--quiet", cwd=tmp_path)
    assert both.returncode == 2

    assert tree_digest(store) == before

    # A finished cube resumed by its own spec computes nothing and changes no data.
    noop = run_cli("run", str(spec), "--store", str(store), "--resume", "--quiet", cwd=tmp_path)
    assert noop.returncode == 0 and "computed 0 of" in noop.stdout
    after = tree_digest(store)
    data_files = [k for k in before if not k.endswith(("zarr.json", ".zattrs"))]
    assert all(after[k] == before[k] for k in data_files)


def test_overwrite_refuses_a_directory_that_is_not_a_cube(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(GOOD)
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("important")
    proc = run_cli("run", str(spec), "--store", str(precious), "--overwrite", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "not an allysweep cube" in proc.stderr
    assert (precious / "chapter1.tex").read_text() == "important"


def test_spec_built_in_python_equals_toml(tmp_path):
    import tomllib

    path = tmp_path / "tiny.toml"
    path.write_text(GOOD)
    from_file = asw.load_spec(path)
    from_dict = asw.SweepSpec.from_dict(tomllib.loads(GOOD), source=str(path))
    assert from_file.fingerprint() == from_dict.fingerprint()
    assert from_file.shape == (11, 2) and from_file.dims == ("k", "r")


def test_shipped_examples_are_valid(repo_root):
    for path in sorted((repo_root / "examples").glob("*.toml")):
        spec = asw.load_spec(path)
        if spec.design == "adaptive":  # points are chosen as it runs: its finest grid is not empty
            assert all(len(values) > 1 for _, values in spec.axes) and spec.coarse > 1, path
        else:
            assert spec.n_total > 0, path


def test_slurm_without_dask_jobqueue_is_a_clear_error_before_any_write(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # as if not installed
    spec = asw.SweepSpec.from_dict(
        {"sweep": {"store": str(tmp_path / "c.zarr")}, "params": {"k": [0.01, 0.02]}, "cluster": {"kind": "slurm"}}
    )
    with pytest.raises(asw.AllysweepError, match=r"dask-jobqueue.*allysweep\[hpc\]"):
        asw.sweep(spec, progress=False)
    assert not (tmp_path / "c.zarr").exists()


def test_dependent_defaults_are_the_same_in_sweeps_and_solve():
    swept = asw.SweepSpec.from_dict({"params": {"p_alliance": [0.6, 0.8], "c_d": 0.2}})
    cols = swept.columns({"p_alliance": np.array([0.6, 0.8])}, 2)
    np.testing.assert_array_equal(cols["p_coalition"], [0.6, 0.8])
    np.testing.assert_array_equal(cols["c_d_joint"], [0.2, 0.2])
    ds = asw.solve(p_alliance=np.array([0.6, 0.8]), c_d=0.2)
    np.testing.assert_array_equal(ds.p_coalition.values, [0.6, 0.8])
    assert float(ds.c_d_joint) == 0.2
    base = asw.SweepSpec.from_dict({"params": {"k": [0.01, 0.02]}})
    assert base.columns({"k": np.array([0.01, 0.02])}, 2)["c_d_joint"].tolist() == [0.05, 0.05]
    assert float(asw.solve(k=0.01).c_d_joint) == 0.05
