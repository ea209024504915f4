"""Scenario discovery (asw.analysis.prim, with the `prim` package): on cubes whose regimes are
known in closed form (MODEL.md §9), the top box of every regime is dense and, where the region
is a box, its bounds lie within one grid step of the region's."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep.exceptions import AnalysisError

STEP = 0.0025
#: k values offset by half a step so no point sits on a regime boundary (k = 0.06, 0.12).
K = 0.00125 + STEP * np.arange(80)


def closed_form_kind(k, r):
    """MODEL.md §9 with the base case (F = G = U[0,1], p = 0.4, p' = 0.7, Δ_C = 0.1, c_A = 0.15):
    a = 0.6, b = 0.4, D = 0.3, θ*_II = (k + 0.2 c_A)/D = (k + 0.03)/0.3, t_1 = (0.15 - r)/0.3,
    t_0 = 0.5. Region II holds iff t_1 <= θ*_II <= t_0, i.e. k + r >= 0.12 and k <= 0.12: the
    selected equilibrium is the honest cut-point. Below (k + r < 0.12) the stable root is in
    region I: bluffing. Above k = 0.12 no stable interior root is left (region III's is
    unstable) and no-alliance pooling, which passes D1 for k >= b t_0 ((1 - p') + c_A) = 0.09, is
    selected."""
    return np.where(k > 0.12, "pool_no_alliance", np.where(k + r >= 0.12, "cutpoint_honest", "cutpoint_bluff"))


def bounding_box(mask, *axes):
    """(lo, hi) along each axis of the grid points where ``mask`` holds."""
    out = []
    for i, a in enumerate(axes):
        hit = a[mask.any(axis=tuple(j for j in range(mask.ndim) if j != i))]
        out.append((hit.min(), hit.max()))
    return out


def test_slabs_in_k_are_found_as_boxes_within_one_grid_step():
    """At r = 0.06 every regime is a box in (k, b_c): bluff k < 0.06, honest 0.06 <= k <= 0.12,
    pooling k > 0.12; b_c enters nothing under A1 (see test_calibration), so no box restricts it."""
    b_c = np.linspace(0.0, 0.3, 7)
    ds = asw.solve(k=K, b_c=b_c, r=0.06)
    kinds = asw.selected(ds).kind.transpose("k", "b_c").values
    expected = closed_form_kind(K[:, None] + 0 * b_c, 0.06)
    assert (kinds == expected).all()
    res = asw.analysis.prim(ds)
    assert sorted(res.label.values) == ["cutpoint_bluff", "cutpoint_honest", "pool_no_alliance"]
    table = asw.analysis.prim_table(res)
    for label in res.label.values:
        (k_lo, k_hi), (b_lo, b_hi) = bounding_box(expected == label, K, b_c)
        row = table.loc[label]
        assert row.loc["k", "density"] >= 0.9, label
        assert abs(row.loc["k", "lo"] - k_lo) <= STEP and abs(row.loc["k", "hi"] - k_hi) <= STEP, (label, row)
        assert not row.loc["b_c", "restricted"]
        assert row.loc["b_c", "lo"] == b_lo and row.loc["b_c", "hi"] == b_hi
    # The peeling trajectory as data: coverage falls from 1, density rises to the chosen box.
    traj = res.sel(label="cutpoint_honest")
    n = int(np.isfinite(traj.coverage).sum())
    assert traj.coverage.values[0] == 1.0 and np.all(np.diff(traj.density.values[:n]) >= -1e-12)
    print(table.to_string())


def test_one_vs_rest_on_a_k_r_map_dense_boxes_and_the_pooling_slab():
    """Over (k, r) the bluffing and honest regions are triangles (k + r < 0.12, k + r >= 0.12 with
    k <= 0.12): not boxes, so only their density is checked; pooling is the slab k > 0.12."""
    r = 0.011 + STEP * np.arange(52)  # k + r never equals 0.12 on the grid
    ds = asw.solve(k=K, r=r)
    kinds = asw.selected(ds).kind.transpose("k", "r").values
    expected = closed_form_kind(K[:, None], r[None, :])
    assert (kinds == expected).all()
    res = asw.analysis.prim(ds)
    table = asw.analysis.prim_table(res)
    for label in res.label.values:
        assert table.loc[(label, "k"), "density"] >= 0.9, label
    (k_lo, k_hi), (r_lo, r_hi) = bounding_box(expected == "pool_no_alliance", K, r)
    pool = table.loc["pool_no_alliance"]
    assert abs(pool.loc["k", "lo"] - k_lo) <= STEP and abs(pool.loc["k", "hi"] - k_hi) <= STEP
    assert abs(pool.loc["r", "lo"] - r_lo) <= STEP and abs(pool.loc["r", "hi"] - r_hi) <= STEP


def test_a_condition_labels_and_errors_naming_what_is_wrong():
    ds = asw.solve(k=K[::4], r=np.linspace(0.01, 0.14, 14))
    one = asw.analysis.prim(ds, "kind == cutpoint_bluff")
    assert list(one.label.values) == ["kind == cutpoint_bluff"]
    two = asw.analysis.prim(ds, labels=["cutpoint_honest"], parameters=["k"])
    assert list(two.parameter.values) == ["k"]
    for kwargs, name in [
        ({"labels": ["hybrid"]}, "label `hybrid`"),
        ({"where": "kind == hybrid"}, "holds at no point"),
        ({"where": "kind == hybrd"}, "kind label `hybrd`"),
        ({"parameters": ["c_a"]}, "parameter `c_a`"),
        ({"mass_min": 0}, "mass_min"),
        ({"where": "stable", "labels": ["cutpoint_bluff"]}, "labels"),
    ]:
        with pytest.raises(AnalysisError) as err:
            asw.analysis.prim(ds, **kwargs)
        assert name in str(err.value), (kwargs, str(err.value))


def test_prim_plots_have_labelled_axes():
    pytest.importorskip("holoviews")
    from allysweep.views import analysis as views

    ds = asw.solve(k=K[::4], r=np.linspace(0.01, 0.14, 14))
    res = asw.analysis.prim(ds)
    traj = views.prim_trajectory(res)
    assert "coverage" in traj.get(0).kdims[0].label
    boxes = views.prim_boxes(res, "k", "r")
    first = boxes.get(0)
    assert first.kdims[0].label.startswith("k: ") and first.kdims[0].unit == "utility"
    with pytest.raises(AnalysisError, match="parameter `p`"):
        views.prim_boxes(res, "k", "p")
