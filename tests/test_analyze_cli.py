"""`allysweep analyze CUBE METHOD`: the analyses of asw.analysis on a cube from the shell, with
errors on one line naming what is wrong (exit status 2)."""

from __future__ import annotations

import pytest

from allysweep.cli.main import main

pytestmark = pytest.mark.slow


def test_analyze_calibrate_main_effects_and_prim(grid_cube_store, capsys, tmp_path):
    store = str(grid_cube_store)
    assert (
        main(["analyze", store, "calibrate", "--target", "prob_renege=0.25,0.05", "--target", "prob_war=0.35,0.05"])
        == 0
    )
    out = capsys.readouterr().out
    assert "not ruled out:" in out and "identifiability: k:" in out and "c_c_extra" in out
    assert main(["analyze", store, "main-effects", "--var", "prob_war", "--where", "kind == cutpoint_bluff"]) == 0
    out = capsys.readouterr().out
    assert "condition: kind == cutpoint_bluff" in out and "S1" in out
    nc = tmp_path / "prim.nc"
    assert main(["analyze", store, "prim", "--output", str(nc)]) == 0
    out = capsys.readouterr().out
    assert "cutpoint_honest" in out and nc.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calibrate", "--target", "prob_renge=0.25,0.05"], "output `prob_renge`"),
        (["calibrate", "--target", "prob_renege=0.25"], "OUTPUT=VALUE,UNCERTAINTY"),
        (["calibrate"], "--target"),
        (["sobol", "--var", "prob_war"], "method `sobol`: needs a sampled design"),
        (["pawn"], "--var"),
        (["main-effects", "--var", "prob_war", "--where", "kind == bluff"], "kind label `bluff`"),
    ],
)
def test_analyze_errors_name_what_is_wrong(grid_cube_store, capsys, args, message):
    assert main(["analyze", str(grid_cube_store), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("allysweep: error:") and message in err and err.count("\n") == 1
