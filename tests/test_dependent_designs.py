"""Designs that are not boxes: a range that depends on another parameter
(``p_alliance = { above = "p", uniform = [0.05, 0.4] }`` is p_alliance = p + U(0.05, 0.4)).

Every sampled point lies in the model's domain (checked point by point on 10^5 points, not
only at the corners the spec reader checks), a spec whose dependent range cannot be satisfied
is refused before anything is written and names the key, and the cube records the dependence
in its specification, read back by ``spec_from_cube``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import allysweep as asw
from allysweep.engine import native
from allysweep.exceptions import SpecError
from allysweep.sweeps.design import factor_values, sampled_design
from allysweep.sweeps.spec import SPEC_ATTR, SweepSpec, spec_from_cube

#: p in [0.2, 0.6] and p_alliance above it: refused today by a corner check of a box (p = 0.6 >
#: p_alliance = 0.45), a valid design once p_alliance is p + U(0.05, 0.4).
ABOVE = {
    "p": {"uniform": [0.2, 0.6]},
    "p_alliance": {"above": "p", "uniform": [0.05, 0.4]},
    "c_d": {"uniform": [0.1, 0.3]},
    "c_d_joint": {"below": "c_d", "uniform": [0.0, 0.1]},
}


@pytest.mark.parametrize(("design", "n"), [("lhs", 100_000), ("sobol", 1 << 17)])
def test_1e5_sampled_points_never_violate_a_domain(design, n):
    spec = SweepSpec.from_dict({"sweep": {"design": design, "n_points": n, "seed": 11}, "params": dict(ABOVE)})
    values = sampled_design(spec)
    assert spec.n_total == n >= 100_000 and all(len(v) == n for v in values.values())
    # The engine's own domain check, at every point (raises ParameterError naming the first).
    native.validate_batch(spec.columns(values, n))
    p, pa, c_d, c_dj = values["p"], values["p_alliance"], values["c_d"], values["c_d_joint"]
    assert ((0.2 <= p) & (p <= 0.6)).all()
    assert ((0.05 <= pa - p + 1e-15) & (pa - p <= 0.4 + 1e-15)).all()
    assert ((p < pa) & (pa <= 1)).all()
    assert ((0 <= c_dj) & (c_dj <= c_d)).all() and ((c_d - c_dj) <= 0.1 + 1e-15).all()
    # The factors are the offsets: a space-filling design in them (each marginal near uniform).
    f = factor_values(spec, values)
    assert [name for name, *_ in spec.factors] == ["p", "c_d", "p_alliance - p", "c_d - c_d_joint"]
    lo, hi = np.array([0.2, 0.1, 0.05, 0.0]), np.array([0.6, 0.3, 0.4, 0.1])
    unit = (f - lo) / (hi - lo)
    counts = np.stack([np.histogram(unit[:, j], bins=10, range=(0, 1))[0] for j in range(4)])
    assert (np.abs(counts - n / 10) <= 0.01 * n / 10).all()
    # A box over the same ranges is refused (the starting point).
    with pytest.raises(SpecError, match=r"params\.p_alliance.*p = 0\.6.*p < p_alliance"):
        SweepSpec.from_dict(
            {"sweep": {"design": design, "n_points": 64}, "params": {"p": {"uniform": [0.2, 0.6]}, "p_alliance": 0.45}}
        )


REFUSED = [
    # (params, key, reason fragment)
    ({"p": {"uniform": [0.2, 0.6]}, "p_alliance": {"above": "p", "uniform": [0.05, 0.5]}}, "params.p_alliance", "1.1"),
    ({"p": {"uniform": [0.2, 0.6]}, "p_alliance": {"below": "p", "uniform": [0.0, 0.1]}}, "params.p_alliance", "p <"),
    ({"p_alliance": {"above": "q", "uniform": [0.05, 0.1]}}, "params.p_alliance", "not a parameter"),
    ({"k": {"above": "k", "uniform": [0.0, 0.1]}}, "params.k", "itself"),
    ({"p_alliance": {"above": "p", "uniform": [-0.1, 0.2]}}, "params.p_alliance", "must be >= 0"),
    ({"p_alliance": {"above": "p", "linspace": [0.0, 0.2, 3]}}, "params.p_alliance", "unknown range kind"),
    ({"p_alliance": {"above": "p", "uniform": [0.1, 0.2], "below": "p"}}, "params.p_alliance", "one relation"),
    ({"p_alliance": {"above": 0.4, "uniform": [0.1, 0.2]}}, "params.p_alliance", "names another parameter"),
    ({"p_alliance": {"above": "p_coalition", "uniform": [0.0, 0.2]}}, "params.p_alliance", "follows p_alliance"),
    (
        {"r": {"above": "k", "uniform": [0.0, 0.1]}, "k": {"above": "c_a", "uniform": [0.0, 0.1]}},
        "params.r",
        "chains are refused",
    ),
]


@pytest.mark.parametrize(("params", "key", "reason"), REFUSED)
def test_unsatisfiable_or_malformed_dependent_ranges_are_refused_naming_the_key(params, key, reason):
    with pytest.raises(SpecError) as err:
        SweepSpec.from_dict({"sweep": {"design": "sobol", "n_points": 64}, "params": params})
    assert f"{key}:" in str(err.value) and reason in str(err.value)


def test_dependent_range_needs_a_sampled_design():
    with pytest.raises(SpecError, match=r"params\.p_alliance: a dependent range .* design 'grid' is not"):
        SweepSpec.from_dict(
            {"params": {"p": [0.3, 0.4], "p_alliance": {"above": "p", "uniform": [0.05, 0.4]}}}, source="x.toml"
        )


def test_refused_from_the_cli_before_anything_is_written(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        '[sweep]\nname = "bad"\ndesign = "lhs"\nn_points = 100\n'
        '[params]\np = { uniform = [0.2, 0.6] }\np_alliance = { above = "p", uniform = [0.05, 0.45] }\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "run", str(spec), "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ},
    )
    assert proc.returncode == 2
    assert "params.p_alliance" in proc.stderr and "p = 0.6, p_alliance = p + 0.45" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.toml"]


@pytest.mark.slow
def test_cube_of_a_dependent_design_records_it_and_solves_every_point(tmp_path):
    from distributed import Client, LocalCluster

    store = tmp_path / "dep.zarr"
    data = {
        "sweep": {
            "name": "dep",
            "design": "sobol",
            "n_points": 256,
            "chunk_points": 100,
            "seed": 2,
            "store": str(store),
        },
        "params": {"p": {"uniform": [0.2, 0.6]}, "p_alliance": {"above": "p", "uniform": [0.05, 0.4]}},
    }
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        ds = asw.sweep(SweepSpec.from_dict(data), client=client, progress=False).load()
    stored = json.loads(ds.attrs[SPEC_ATTR])
    assert stored["params"]["p_alliance"] == {"above": "p", "uniform": [0.05, 0.4]}
    assert ds.p_alliance.attrs["depends_on"] == "p"
    assert "p_alliance = p + uniform[0.05, 0.4]" in ds.p_alliance.attrs["dependence"]
    # p_coalition follows p_alliance (its default rule), point by point.
    np.testing.assert_array_equal(ds.p_coalition.values, ds.p_alliance.values)
    # Every point computed against a direct solve of the same parameters.
    direct = asw.solve(p=ds.p, p_alliance=ds.p_alliance, p_coalition=ds.p_alliance)
    np.testing.assert_array_equal(ds.n_eq.values, direct.n_eq.values)
    m = direct.sizes["eq"]
    np.testing.assert_allclose(ds.prob_war.values[:, :m], direct.prob_war.values, equal_nan=True)
    again = spec_from_cube(store)
    assert again.dependents == SweepSpec.from_dict(data).dependents
    assert again.fingerprint() == SweepSpec.from_dict(data).fingerprint()
