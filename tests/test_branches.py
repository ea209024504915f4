"""The equilibrium correspondence along one parameter (``asw.branches``), against an independent
fold reference: ``tests/fold_reference.py`` was written from MODEL.md alone by a helper that did
not read the engine; it finds each fold by solving Φ = Φ' = 0 with SciPy (analytic Φ' and Φ'')
and every interior root on a 200,001-point grid per smooth piece."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
import fold_reference as fr
from allysweep.exceptions import ParameterError

COST = {"logistic": asw.Logistic, "normal": asw.Normal, "uniform": asw.Uniform}


def _fixed(case: dict) -> dict:
    params = dict(case["params"])
    params.pop(case["name"])
    theta, cost = params.pop("theta"), params.pop("cost_c")
    return {"theta": asw.Uniform(theta[1], theta[2]), "cost_c": COST[cost[0]](cost[1], cost[2]), **params}


#: Every fold case: the certified root search (issue 12, "every equilibrium, certified") finds
#: the close pair of roots down to the fold in all seven (the grid search it replaced lost the
#: pair 1e-7 to 1e-5 before the fold in cases 3, 4 and 5, kept here as strict xfails until then).
CASES = tuple(range(len(fr.FOLD_CASES)))


def _run(index: int, n: int = 121) -> tuple[dict, object]:
    case = fr.FOLD_CASES[index]
    return case, asw.branches(case["name"], case["lo"], case["hi"], n=n, **_fixed(case))


@pytest.mark.parametrize("index", CASES)
def test_the_fold_is_located_to_1e9(index):
    case, bds = _run(index)
    assert bds.sizes["fold"] == 1, bds.fold_value.values
    assert abs(float(bds.fold_value[0]) - case["lam_star"]) <= 1e-9
    assert abs(float(bds.fold_cutpoint[0]) - case["u_star"]) <= 1e-4
    # One stable and one unstable branch meet there, and they are the reference's pair.
    s, u = int(bds.fold_stable_branch[0]), int(bds.fold_unstable_branch[0])
    present = bds.slot.values >= 0
    assert bds.stable.values[s][present[s]].all()
    assert not bds.stable.values[u][present[u]].any()


@pytest.mark.parametrize("index", (0, 1))
def test_branches_hold_exactly_what_solve_reports_at_every_grid_value(index):
    case, bds = _run(index, n=21)
    name = case["name"]
    fixed = _fixed(case)
    for step, value in enumerate(bds[name].values):
        ds = asw.solve(**fixed, **{name: float(value)})
        n_eq = int(ds.n_eq)
        slots = bds.slot.values[:, step]
        taken = sorted(int(s) for s in slots if s >= 0)
        assert taken == list(range(n_eq)), (step, taken, n_eq)  # each equilibrium in one branch
        for b in np.flatnonzero(slots >= 0):
            j = int(slots[b])
            for var in ("cutpoint", "prob_alliance", "prob_war", "kind", "stable"):
                assert bds[var].values[b, step] == ds[var].values[j], (var, step, b)
        # And the interior ones are the independent reference's roots, with its stability.
        params = {**case["params"], name: float(value)}
        want = fr.interior_roots(params)
        interior = ds.kind.values[:n_eq] <= 1
        got = sorted(zip(ds.cutpoint.values[:n_eq][interior], ds.stable.values[:n_eq][interior], strict=True))
        assert len(got) == len(want), (step, got, want)
        for (gu, gs), (wu, ws) in zip(got, sorted(want), strict=True):
            assert gu == pytest.approx(wu, abs=1e-9) and bool(gs) == ws


def test_a_branch_keeps_its_stability_and_moves_continuously():
    case, bds = _run(0, n=201)
    for b in bds.branch.values:
        present = bds.slot.values[b] >= 0
        stab = bds.stable.values[b][present]
        assert stab.all() or not stab.any()
        pa = bds.prob_alliance.values[b][present]
        assert np.all(np.abs(np.diff(pa)) < 0.25)
        # A branch is a contiguous run of grid values (it does not vanish and come back).
        idx = np.flatnonzero(present)
        assert np.all(np.diff(idx) == 1)


def test_pooling_is_its_own_branch_across_the_range():
    bds = asw.branches("k", 0.0, 0.12, n=61)
    pool = (bds.kind == asw.KIND_NAMES.index("pool_no_alliance")).any("k")
    assert int(pool.sum()) == 1
    b = int(np.flatnonzero(pool.values)[0])
    assert (bds.slot.values[b] >= 0).all()


def test_bad_requests_are_named():
    with pytest.raises(ParameterError, match="name"):
        asw.branches("theta", 0, 1)
    with pytest.raises(ParameterError, match="hi"):
        asw.branches("k", 0.1, 0.05)
    with pytest.raises(ParameterError, match="n"):
        asw.branches("k", 0.0, 0.1, n=2)
    with pytest.raises(ParameterError, match="k"):
        asw.branches("k", 0.0, 0.1, k=0.3)
    with pytest.raises(ParameterError, match="r"):
        asw.branches("k", 0.0, 0.1, r=np.array([0.1, 0.2]))
    with pytest.raises(ParameterError, match="k"):
        asw.branches("k", -0.1, 0.1)  # below k's domain


def test_plot_draws_branches_as_curves_with_the_fold_marked():
    from allysweep.views import plot

    case, bds = _run(0, n=61)
    view = plot.lines(bds, "cutpoint", case["name"])
    curves = [el for el in view if type(el).__name__ == "Curve"]
    dashes = {el.opts.get().kwargs.get("line_dash") for el in curves}
    assert dashes == {"solid", "dashed"}
    folds = [el for el in view if type(el).__name__ == "Scatter"]
    assert len(folds) == 1
    np.testing.assert_allclose(folds[0].data[folds[0].kdims[0].name], bds.fold_value.values)
    # Each branch that ends at the fold is drawn on to it: some curve reaches the fold's value.
    ends = [float(np.max(el.dimension_values(0))) for el in curves]
    assert any(abs(e - float(bds.fold_value[0])) < 1e-15 for e in ends)


def test_cli_branches_prints_the_fold_and_writes_files(tmp_path):
    import subprocess
    import sys

    case = fr.FOLD_CASES[0]
    out, html = tmp_path / "b.nc", tmp_path / "b.html"
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "branches", "k", str(case["lo"]), str(case["hi"])]
        + ["cost_c=logistic:0.45,0.02", "--n", "41", "--output", str(out), "--plot", str(html)],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("k = "))
    assert abs(float(line.split("=")[1].split(":")[0]) - case["lam_star"]) < 1e-9
    import xarray as xr

    with xr.open_dataset(out) as saved:
        assert saved.sizes["fold"] == 1 and saved.attrs["parameter"] == "k"
    assert html.stat().st_size > 10_000
    cmd = [sys.executable, "-m", "allysweep.cli", "branches", "theta", "0", "1"]
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 2 and "scalar parameters" in bad.stderr
