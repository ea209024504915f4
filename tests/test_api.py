"""The xarray API and the CLI contract of `allysweep solve`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.engine import EQ_OUTPUTS, POINT_OUTPUTS
from allysweep.model import PARAMETERS


def test_issue_example_call_shape():
    ds = asw.solve(
        theta=asw.Uniform(0, 1),
        cost_c=asw.Uniform(0, 1),
        p=0.4,
        p_alliance=0.7,
        c_d=0.1,
        c_d_joint=0.05,
        c_c_extra=0.1,
        c_a=0.15,
        k=0.03,
        r=0.06,
        b_c=0.05,
    )
    assert isinstance(ds, xr.Dataset)
    assert ds.sizes == {"eq": 2}
    for name in [*POINT_OUTPUTS, *EQ_OUTPUTS]:
        assert name in ds, name
        assert {"long_name", "units", "description"} <= set(ds[name].attrs), name
    for name in ["range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint", "n_eq"]:
        assert ds[name].dims == ()
    for name in ["range_lo_alliance", "range_hi_alliance", "range_lo_no_alliance", "range_hi_no_alliance"]:
        assert ds[name].dims == ("eq",)
    assert ds.kind.attrs["flag_values"] == [0, 1, 2, 3, 4, 5]
    assert ds.kind.attrs["flag_meanings"].split() == list(asw.KIND_NAMES)
    assert "allysweep" in ds.attrs["software"] and "history" in ds.attrs


def test_defaults_are_the_base_case():
    ds = asw.solve()
    assert float(ds.p) == 0.4 and float(ds.p_coalition) == 0.7 and float(ds.c_d_joint) == 0.05
    assert float(ds.k) == 0.03 and float(ds.theta_hi) == 1.0
    # p_coalition follows p_alliance, c_d_joint follows a user-chosen c_d.
    ds2 = asw.solve(p_alliance=0.8, c_d=0.2)
    assert float(ds2.p_coalition) == 0.8 and float(ds2.c_d_joint) == 0.2


def test_numpy_arrays_become_dimensions_and_broadcast():
    k = np.array([0.0072, 0.03, 0.075])
    r = np.array([0.03, 0.06])
    ds = asw.solve(k=k, r=r)
    assert ds.n_eq.dims == ("k", "r")
    assert ds.kind.dims == ("k", "r", "eq")
    np.testing.assert_array_equal(ds.k.values, k)
    # Each point equals the single-point solve (E1-E3 at r = 0.06).
    for kk in k:
        single = asw.solve(k=float(kk))
        sel = ds.sel(k=kk, r=0.06).isel(eq=slice(0, int(single.n_eq)))
        np.testing.assert_allclose(sel.cutpoint.values, single.cutpoint.values, atol=1e-12)


def test_defaults_that_follow_an_array_share_its_dimension():
    pa = np.array([0.6, 0.7])
    cd = np.array([0.05, 0.1, 0.2])
    ds = asw.solve(p_alliance=pa, c_d=cd)
    assert ds.n_eq.dims == ("p_alliance", "c_d")
    np.testing.assert_array_equal(ds.p_coalition.values, pa)
    np.testing.assert_array_equal(ds.c_d_joint.values, cd)


def test_named_dataarrays_keep_dims_and_coords():
    k = xr.DataArray([0.01, 0.03], dims="cost", coords={"cost": ["low", "high"]})
    hi = xr.DataArray([1.0, 2.0, 3.0], dims="width")
    ds = asw.solve(k=k, theta=asw.Uniform(0.0, hi))
    assert set(ds.n_eq.dims) == {"cost", "width"}
    assert list(ds.cost.values) == ["low", "high"]
    assert ds.sizes["width"] == 3


def test_padding_and_one_selected_per_point():
    ds = asw.solve(k=np.linspace(0.0, 0.12, 25))
    n = ds.n_eq.values
    assert ds.sizes["eq"] == n.max()
    for i in range(ds.sizes["k"]):
        row = ds.isel(k=i)
        assert int(row.selected.sum()) == 1
        assert np.all(row.kind.values[n[i] :] == -1)
        assert np.all(np.isnan(row.cutpoint.values[n[i] :]))


def test_json_cli_contract():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "allysweep.cli",
            "solve",
            "--json",
            "p=0.4",
            "k=0.03",
            "theta=uniform:0,1",
            "cost_c=logistic:0.5,0.1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(proc.stdout)
    assert set(doc) == {"params", "n_eq", "status", "status_meaning", "equilibria", "ranges", "flags", "no_option"}
    assert set(doc["no_option"]) == {n.removesuffix("_no_option") for n in POINT_OUTPUTS if n.endswith("_no_option")}
    assert doc["no_option"]["crisis_regime"] in asw.engine.REGIME_NAMES
    assert doc["params"]["k"] == 0.03 and doc["params"]["cost_c"]["family"] == "logistic"
    assert doc["n_eq"] == len(doc["equilibria"]) >= 1
    for eq in doc["equilibria"]:
        assert eq["kind"] in asw.KIND_NAMES
        assert set(EQ_OUTPUTS) <= set(eq)
    assert sum(eq["selected"] for eq in doc["equilibria"]) == 1
    assert len(doc["ranges"]["alone"]) == 2 and len(doc["ranges"]["joint"]) == 2
    # NaN is null: pooling on no alliance has no belief after an alliance.
    pools = [eq for eq in doc["equilibria"] if eq["kind"] == "pool_no_alliance"]
    assert all(eq["belief_alliance"] is None for eq in pools)


def test_json_cli_two_type_matches_t2():
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "solve", "--json", "k=0.018", "theta=two_point:0.2,0.4,0.5"],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(proc.stdout)
    hybrid = [eq for eq in doc["equilibria"] if eq["kind"] == "hybrid"]
    assert len(hybrid) == 1 and hybrid[0]["prob_alliance"] == pytest.approx(2 / 3, abs=1e-9)


def test_table_output_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "solve", "k=0.03"], capture_output=True, text=True, check=True
    ).stdout
    assert "cutpoint_bluff" in out and "0.210256" in out and "* cutpoint_bluff" in out
    for argv in (["--help"], ["solve", "--help"]):
        text = subprocess.run(
            [sys.executable, "-m", "allysweep.cli", *argv], capture_output=True, text=True, check=True
        ).stdout
        for p in PARAMETERS.values():
            assert p.name in text and p.domain.split(" (")[0] in text, (argv, p.name)


@pytest.mark.parametrize("method", ["roots", "reference"])
def test_max_eq_keeps_the_selected_equilibrium_and_flags_truncation(method):
    from helpers import random_base

    rng = np.random.default_rng(5)
    n = 400
    cols = random_base(rng, n)
    cols.update(
        theta_kind=np.zeros(n),
        theta_a=np.zeros(n),
        theta_b=np.ones(n),
        theta_c=np.full(n, np.nan),
        cost_kind=np.zeros(n),
        cost_a=np.zeros(n),
        cost_b=np.ones(n),
        range_cost=np.full(n, np.nan),
    )
    full = asw.solve_flat(cols, method=method)
    one = asw.solve_flat(cols, method=method, max_eq=1)
    assert one["kind"].shape == (n, 1)
    np.testing.assert_array_equal(one["n_eq"], full["n_eq"])
    several = full["n_eq"] > 1
    assert several.sum() > 50
    np.testing.assert_array_equal(one["status"] & 1, several.astype(int))
    assert one["selected"][:, 0].all()
    sel = np.argmax(full["selected"], axis=1)
    for name in ["kind", "cutpoint", "prob_war"]:
        np.testing.assert_array_equal(one[name][:, 0], full[name][np.arange(n), sel])
    with pytest.raises(asw.ParameterError, match="max_eq"):
        asw.solve_flat(cols, max_eq=9)


def _flat_columns(n, seed):
    """Engine input columns of n random valid points (uniform type, clipped-uniform cost)."""
    from allysweep.engine import to_columns

    from helpers import random_base

    base = random_base(np.random.default_rng(seed), n)
    flat = {**base, "theta_lo": np.zeros(n), "theta_hi": np.ones(n), "cost_c_lo": np.zeros(n), "cost_c_hi": np.ones(n)}
    return to_columns(asw.Uniform(0, 1), asw.Uniform(0, 1), flat, n)


@pytest.mark.parametrize("method", ["roots", "belief_space", "reference"])
def test_out_buffers_are_overwritten_completely(method):
    """Reused output buffers (what sweep workers do) give exactly the fresh result, whatever
    they held before: every slot of every output is written, and the same dict is returned."""
    from allysweep.engine import solve_flat

    n = 400 if method != "reference" else 40
    columns = _flat_columns(n, 7)
    fresh = solve_flat(columns, method=method, max_eq=3)
    assert (fresh["n_eq"] >= 2).any() and (fresh["n_eq"] == 1).any(), "needs points with one and several equilibria"
    rng = np.random.default_rng(0)
    garbage = {}
    for name, values in fresh.items():
        junk = np.empty_like(values)
        if junk.dtype == bool:
            junk[...] = rng.random(junk.shape) < 0.5
        else:
            junk[...] = rng.integers(-5, 5, junk.shape) if junk.dtype.kind == "i" else rng.normal(size=junk.shape)
        garbage[name] = junk
    reused = solve_flat(columns, method=method, max_eq=3, out=garbage)
    assert reused is garbage
    for name, values in fresh.items():
        np.testing.assert_array_equal(reused[name], values, err_msg=name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda out: out.pop("cutpoint"),
            r"out\['cutpoint'\] is missing; expected a writeable C-contiguous float64 array of shape \(10, 3\)",
        ),
        (lambda out: out.update(cutpoint=out["cutpoint"].astype(np.float32)), r"out\['cutpoint'\] is .*float32"),
        (
            lambda out: out.update(n_eq=np.zeros(5, dtype=np.int64)),
            r"out\['n_eq'\] has shape \(5,\); expected .*int64 array of shape \(10,\)",
        ),
        (lambda out: out.update(kind=np.asfortranarray(out["kind"])), r"out\['kind'\] is not C-contiguous"),
        (lambda out: out.update(prob_war=out["cutpoint"]), r"out\['(prob_war|cutpoint)'\] cannot be written"),
        (lambda out: out.update(stable=[True] * 30), r"out\['stable'\] is a list"),
    ],
)
def test_bad_out_buffers_are_refused_clearly(change, message):
    from allysweep import _core

    columns = _flat_columns(10, 3)
    arrays = [np.ascontiguousarray(columns[c]) for c in _core.COLUMNS]
    out = dict(_core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 3))
    change(out)
    with pytest.raises(ValueError, match=message):
        _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 3, out)
