"""Sweep designs and spec features that were never executed before (lhs and list designs,
geomspace and distribution-field axes, a sweep.method other than roots, --overwrite, the
quick-start spec end to end), each cube checked against values computed here from MODEL.md
(§9 closed forms, §10 worked examples), never against a cube made by the same code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

import allysweep as asw

from helpers import KINDS

pytestmark = pytest.mark.slow

HONEST, BLUFF = KINDS.index("cutpoint_honest"), KINDS.index("cutpoint_bluff")
POOL_NO = KINDS.index("pool_no_alliance")


def section9_cutpoints(k, r, c_c_extra=0.1, c_lo=0.0, c_hi=1.0, p=0.4, pp=0.7, c_a=0.15):
    """Interior cut-points of MODEL.md §9 (F = U[0,1], G = U[c_lo, c_hi] unclipped), vectorised:
    an array (..., 3) with NaN where a region has none, sorted."""
    k, r, c_c_extra, c_hi = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k, r, c_c_extra, c_hi)))
    w = c_hi - c_lo
    a = (1 - p - c_lo) / w
    b = (pp - p + c_c_extra) / w
    t1 = (c_a - r) / (pp - p)
    t0 = c_a / (pp - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        th1 = (k + a * r - b * r * (1 - t1)) / (k + a * r + b * (1 - p) * (1 - t1))
        th2 = (k + (a - b) * c_a) / (a * (1 - p) - (a - b) * (1 - pp))
        th3 = b * t0 * c_a / (k - b * t0 * (1 - pp))
    # Region bounds with 1e-12 of slack: on a grid a root can sit exactly on t_1 or t_0, where
    # both neighbouring formulas give it up to rounding; such twins are one root.
    e = 1e-12
    out = np.stack(
        [
            np.where((th1 > 0) & (th1 < t1 + e), th1, np.nan),
            np.where((th2 >= t1 - e) & (th2 <= t0 + e) & (th2 > 0) & (th2 < 1), th2, np.nan),
            np.where((th3 > t0 - e) & (th3 < 1), th3, np.nan),
        ],
        axis=-1,
    )
    for j in (1, 2):
        twin = np.any(np.abs(out[..., j : j + 1] - out[..., :j]) < 1e-9, axis=-1)
        out[..., j] = np.where(twin, np.nan, out[..., j])
    return np.sort(out, axis=-1), b * t0 * ((1 - pp) + c_a)


def assert_cube_matches_section9(ds, expected, k_d1):
    """Every point: the interior cut-points are the §9 ones (to 1e-12), and the no-alliance
    pooling passes D1 iff k >= b t_0 ((1 - p') + c_A) (points within 1e-12 of it skipped)."""
    kind = ds.kind.values
    interior = np.where((kind == HONEST) | (kind == BLUFF), ds.cutpoint.values, np.nan)
    got = np.sort(interior, axis=-1)[..., :3]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, equal_nan=True)
    assert (ds.status.values & 3 == 0).all()  # all reported: no truncation, no continuum
    pool = kind == POOL_NO
    assert (pool.sum(axis=-1) == 1).all()  # with k >= 0 and θ_lo = 0 it always exists (§6)
    d1 = (ds.d1_ok.values & pool).any(axis=-1)
    k = np.broadcast_to(ds.k.values.reshape(ds.k.shape + (1,) * (d1.ndim - ds.k.ndim)), d1.shape)
    clear = np.abs(k - k_d1) > 1e-12
    assert (d1[clear] == (k >= k_d1)[clear]).all()
    assert (~np.isnan(expected)).sum() > 0


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "allysweep.cli", *args], capture_output=True, text=True, cwd=cwd, env={**os.environ}
    )


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as lc,
        Client(lc) as c,
    ):
        yield c


def sweep(client, tmp_path: Path, spec: dict):
    spec["sweep"]["store"] = str(tmp_path / f"{spec['sweep']['name']}.zarr")
    return asw.sweep(asw.SweepSpec.from_dict(spec), client=client, progress=False).load()


def test_quickstart_spec_end_to_end(tmp_path, repo_root):
    """`allysweep run examples/quickstart.toml`, as the README says, from a fresh directory; every
    one of its 203,163 points against the §9 closed forms (r <= 0.14 < c_A = 0.15 < p' - p and
    τ >= 0.6 - 0.5 > 0: §9 holds at every grid point)."""
    spec = repo_root / "examples" / "quickstart.toml"
    proc = run_cli("run", str(spec), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ds = asw.open_cube(tmp_path / "quickstart.zarr").load()
    assert ds.kind.dims == ("k", "r", "c_c_extra", "eq") and ds.sizes["k"] == 241 and ds.sizes["r"] == 281
    k, r, cc = np.meshgrid(ds.k.values, ds.r.values, ds.c_c_extra.values, indexing="ij")
    expected, k_d1 = section9_cutpoints(k, r, cc)
    assert_cube_matches_section9(ds, expected, k_d1)


def test_geomspace_axis_and_a_distribution_field_axis(client, tmp_path):
    """r on a log-spaced axis and cost_c_hi (G = U(0, c_hi), unclipped for c_hi >= 0.6) swept."""
    ds = sweep(
        client,
        tmp_path,
        {
            "sweep": {"name": "geom", "design": "grid", "chunk_points": 700, "max_eq": 4},
            "params": {
                "k": {"linspace": [0.0, 0.12, 25]},
                "r": {"geomspace": [0.001, 0.14, 30]},
                "cost_c_hi": {"linspace": [0.6, 1.5, 10]},
            },
        },
    )
    # geomspace: r_i = 0.001 · 140^(i / 29), written out.
    np.testing.assert_allclose(ds.r.values, 0.001 * 140.0 ** (np.arange(30) / 29), rtol=1e-13)
    np.testing.assert_allclose(ds.cost_c_hi.values, 0.6 + 0.1 * np.arange(10), rtol=0, atol=1e-13)
    k, r, c_hi = np.meshgrid(ds.k.values, ds.r.values, ds.cost_c_hi.values, indexing="ij")
    expected, k_d1 = section9_cutpoints(k, r, c_hi=c_hi)
    assert_cube_matches_section9(ds, expected, k_d1)


def test_sweep_method_other_than_roots(client, tmp_path):
    """sweep.method = "belief_space" and "closed_form": the same §9 cut-points."""
    for method in ("belief_space", "closed_form"):
        ds = sweep(
            client,
            tmp_path,
            {
                "sweep": {"name": f"m-{method}", "design": "grid", "chunk_points": 400, "max_eq": 4, "method": method},
                "params": {"k": {"linspace": [0.0, 0.12, 31]}, "r": {"linspace": [0.0, 0.14, 29]}},
            },
        )
        assert method in ds.attrs["solver_settings"]
        k, r = np.meshgrid(ds.k.values, ds.r.values, indexing="ij")
        expected, k_d1 = section9_cutpoints(k, r)
        assert_cube_matches_section9(ds, expected, k_d1)


def test_lhs_design_is_a_latin_hypercube_and_matches_section9(client, tmp_path):
    n = 600
    ds = sweep(
        client,
        tmp_path,
        {
            "sweep": {"name": "lhs", "design": "lhs", "n_points": n, "chunk_points": 128, "seed": 7},
            "params": {"k": {"uniform": [0.0, 0.12]}, "r": {"loguniform": [0.001, 0.14]}},
        },
    )
    assert ds.kind.dims == ("point", "eq") and ds.sizes["point"] == n
    k, r = ds.k.values, ds.r.values
    # Latin hypercube: each of the n equal strata of each (transformed) range holds one point.
    for unit in ((k - 0.0) / 0.12, np.log(r / 0.001) / np.log(140.0)):
        assert sorted(np.floor(unit * n).astype(int).tolist()) == list(range(n))
    expected, k_d1 = section9_cutpoints(k, r)
    assert_cube_matches_section9(ds, expected, k_d1)


def test_list_design_reproduces_the_worked_examples(client, tmp_path):
    """A list design over MODEL.md §10's E1, E2, E3: their interior equilibria and poolings."""
    ds = sweep(
        client,
        tmp_path,
        {
            "sweep": {"name": "list", "design": "list", "chunk_points": 2, "max_eq": 4},
            "params": {},
            "points": {"k": [0.075, 0.03, 0.0072], "r": [0.06, 0.06, 0.06]},
        },
    )
    assert ds.sizes["point"] == 3
    np.testing.assert_array_equal(ds.k.values, [0.075, 0.03, 0.0072])
    # (θ*, kind, prob_alliance, q_1, P_1, prob_war, prob_renege) of §10.
    table = [
        (0.35, HONEST, 0.65, 1.0, 0.2, 0.34, 0.0),
        (41 / 195, BLUFF, 154 / 195, 39 / 44, 27 / 110, 0.32, 5 / 44),
        (0.125, BLUFF, 0.875, 0.8, 0.28, 0.32, 0.2),
    ]
    for i, (u, kind, pa, q1, p1, war, renege) in enumerate(table):
        row = ds.isel(point=i)
        kinds = row.kind.values.tolist()
        assert kinds[:2] == [POOL_NO, kind], kinds
        e = row.isel(eq=1)
        got = [float(e[v]) for v in ("cutpoint", "prob_alliance", "belief_alliance", "prob_challenge_alliance")]
        np.testing.assert_allclose(got, [u, pa, q1, p1], rtol=0, atol=1e-9)
        np.testing.assert_allclose([float(e.prob_war), float(e.prob_renege)], [war, renege], rtol=0, atol=1e-9)
        assert bool(e.stable) and bool(e.selected)
        pool = row.isel(eq=0)
        np.testing.assert_allclose([float(pool.prob_war)], [0.4], atol=1e-9)
        assert not bool(pool.d1_ok)
        assert bool(pool.ic_ok) == (i == 2)  # E3: passes IC; E1, E2 fail it


def test_overwrite_replaces_the_cube(tmp_path):
    spec = tmp_path / "spec.toml"
    store = tmp_path / "cube.zarr"
    text = """
[sweep]
name = "over"
design = "grid"
chunk_points = 200
max_eq = 4

[params]
k = {{ linspace = [{lo}, 0.12, 21] }}
r = [0.06]
"""
    spec.write_text(text.format(lo=0.0))
    assert run_cli("run", str(spec), "--store", str(store), "--quiet").returncode == 0
    refused = run_cli("run", str(spec), "--store", str(store), "--quiet")
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    spec.write_text(text.format(lo=0.06))  # a different specification into the same store
    proc = run_cli("run", str(spec), "--store", str(store), "--overwrite", "--quiet")
    assert proc.returncode == 0, proc.stderr
    ds = asw.open_cube(store).load()
    np.testing.assert_allclose(ds.k.values, np.linspace(0.06, 0.12, 21), rtol=0, atol=1e-15)
    computed = np.asarray(zarr.open_group(str(store))["_progress"]["computed"][:])
    assert (computed == 1).all(), computed  # a fresh cube, every block computed once
    expected, k_d1 = section9_cutpoints(ds.k.values[:, None], ds.r.values[None, :])
    assert_cube_matches_section9(ds, expected, k_d1)
