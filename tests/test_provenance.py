"""Issue 19, item 2: every parameter value a sweep used, defaults included, is recoverable from
the cube alone with its units, and re-running from that record gives an identical cube even
after allysweep's defaults change."""

from __future__ import annotations

import json

import numpy as np
import pytest

import allysweep as asw
from allysweep.model import parameters
from allysweep.sweeps.spec import spec_from_cube

#: MODEL.md §10 base case (the API's defaults), written out here; units as designed in the
#: parameter table of the README ("share of the good" for D's and C's payoffs, "utility" for A's).
BASE = {
    "p": (0.4, "1"),
    "c_d": (0.1, "share of the good"),
    "c_d_joint": (0.05, "share of the good"),
    "c_c_extra": (0.1, "share of the good"),
    "c_a": (0.15, "utility"),
    "r": (0.06, "utility"),
    "b_c": (0.05, "share of the good"),
    "theta_lo": (0.0, "utility"),
    "theta_hi": (1.0, "utility"),
}


def _run(spec, store, client):
    return asw.sweep(spec, store=store, client=client, progress=False)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    # In-process workers: they see the patched defaults of the test below.
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as lc,
        Client(lc) as c,
    ):
        yield c


def test_every_parameter_recoverable_from_the_cube_and_rerun_is_identical(tmp_path, client, monkeypatch):
    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {"name": "prov", "chunk_points": 40, "max_eq": 4},
            "params": {
                "k": {"linspace": [0.0, 0.12, 13]},
                "p_alliance": [0.6, 0.7, 0.8],
                "cost_c": "logistic:0.5,0.1",
            },
        }
    )
    first = _run(spec, tmp_path / "first.zarr", client).load()

    # 1. From the cube alone: every value used, with its units and how it was set.
    for name, (value, units) in BASE.items():
        coord = first.coords[name]
        assert coord.ndim == 0 and float(coord) == value, name
        assert coord.attrs["units"] == units and coord.attrs["set_by"] == "the default", name
    assert float(first.cost_c_mu) == 0.5 and float(first.cost_c_scale) == 0.1
    assert first.cost_c_mu.attrs["set_by"] == "the specification"
    # p_coalition defaults to p_alliance at every point: a coordinate along p_alliance.
    assert first.p_coalition.dims == ("p_alliance",) and first.p_coalition.attrs["equals"] == "p_alliance"
    np.testing.assert_array_equal(first.p_coalition.values, [0.6, 0.7, 0.8])
    record = json.loads(first.attrs["allysweep_parameters"])
    assert record["c_d_joint"] == {"value": 0.05, "set_by": "default", "units": "share of the good"}
    assert record["theta"] == {"value": "uniform", "set_by": "default", "units": ""}
    assert record["k"]["value"] == "swept" and record["p_coalition"]["value"] == "p_alliance"
    assert record["range_cost"]["value"] == "mean of cost_c"

    # 2. allysweep's defaults change; the original specification now means another sweep ...
    for name, value in {"p": 0.3, "c_d": 0.2, "c_a": 0.2, "r": 0.02, "b_c": 0.0, "c_c_extra": 0.3}.items():
        monkeypatch.setitem(parameters.DEFAULTS, name, value)
    monkeypatch.setitem(parameters.DEFAULTS, "theta", asw.Uniform(0.1, 0.9))
    changed = _run(asw.SweepSpec.from_dict(json.loads(first.attrs["allysweep_spec"])), tmp_path / "c.zarr", client)
    assert not np.array_equal(changed.prob_war.values, first.prob_war.values, equal_nan=True)

    # ... but the record in the cube reruns into an identical cube.
    again = spec_from_cube(tmp_path / "first.zarr", resolved=True)
    second = _run(again, tmp_path / "second.zarr", client).load()
    assert set(second.data_vars) == set(first.data_vars) and dict(second.sizes) == dict(first.sizes)
    for name in first.data_vars:
        np.testing.assert_array_equal(second[name].values, first[name].values, err_msg=name)
    assert set(second.coords) == set(first.coords)
    for name in first.coords:
        np.testing.assert_array_equal(second[name].values, first[name].values, err_msg=name)
    assert json.loads(second.attrs["allysweep_parameters"]) == {
        name: {**entry, "set_by": "spec"} for name, entry in record.items() if name != "range_cost"
    } | {"range_cost": record["range_cost"]}
