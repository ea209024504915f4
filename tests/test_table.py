"""``asw.to_latex``: one point's equilibria as a booktabs table, numbers from the solver."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep.exceptions import PlotError


def test_e1_table_rows_are_the_solver_numbers(tmp_path):
    ds = asw.solve(k=0.075)  # MODEL.md §10 E1: pooling and the honest cut-point 0.35
    tex = asw.to_latex(ds, caption="E1", label="tab:e1", path=tmp_path / "e1.tex")
    assert (tmp_path / "e1.tex").read_text().strip() == tex
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}" and r"\toprule" in lines and r"\bottomrule" in lines
    rows = [ln for ln in lines if ln.endswith(r"\\") and ("cut-point" in ln or "pooling" in ln)]
    assert len(rows) == int(ds.n_eq) == 2
    honest = next(r for r in rows if r.startswith("honest"))
    cells = [c.strip() for c in honest.removesuffix(r"\\").split("&")]
    assert cells[0] == "honest cut-point*"  # selected
    for cell, name in zip(cells[1:], list(asw.views.table.DEFAULT_COLUMNS)[1:], strict=True):
        value = ds[name].values[int(np.flatnonzero(ds.kind.values == 0)[0])]
        assert cell == ({True: "yes", False: "no"}[bool(value)] if value.dtype == bool else f"{float(value):.3f}")
    pool = next(r for r in rows if r.startswith("pooling"))
    assert " -- " in pool  # its belief after an alliance is off path: prob_renege NaN
    assert r"\caption{E1}" in tex and r"\label{tab:e1}" in tex


def test_bad_requests_are_named():
    with pytest.raises(PlotError, match="select one value of k"):
        asw.to_latex(asw.solve(k=np.array([0.03, 0.075])))
    with pytest.raises(PlotError, match="no_such_output"):
        asw.to_latex(asw.solve(k=0.03), ["kind", "no_such_output"])
