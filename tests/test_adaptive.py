"""Boundary-adaptive regime maps (issue 14): boundaries against MODEL.md §9 in closed form,
rasterize against a direct dense solve, the guards against small features, the spec."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep.adaptive import (
    MIXED,
    Lattice,
    bisect_boundaries,
    label_name,
    node_labeller,
    parse_label,
    refine,
    tree_labels,
)
from allysweep.exceptions import SpecError
from allysweep.sweeps.adaptive import adaptive_spec, spec_labeller, spec_lattice

# Base parameters of MODEL.md §10 (the API's defaults): p = 0.4, p' = 0.7, Δ_C = 0.1, c ~ U[0, 1].
P, P_PRIME, EXTRA = 0.4, 0.7, 0.1


def closed_forms(r: np.ndarray, c_a: np.ndarray) -> dict[str, np.ndarray]:
    """The values of k where the label changes, from MODEL.md §9 (derived here, not read from
    the code): with W = 1, a = 1 - p, b = M = p' - p + Δ_C, t_1 = (c_A - r)/(p' - p),
    t_0 = c_A/(p' - p).

    - Region I/II (θ* = t_1; the §9 region I and II formulas agree there):
      k = t_1 b (1 - p) - (a - b) r.
    - D1 threshold: no-alliance pooling survives D1 iff k >= b t_0 ((1 - p') + c_A); the region III
      root b t_0 c_A / (k - b t_0 (1 - p')) equals 1 at the same k, so n_eq changes there.
    - Region II/III (θ* = t_0, where the two roots meet and vanish):
      k = t_0 (a (1 - p) - (a - b)(1 - p')) - (a - b) c_A.
    """
    a, b = 1 - P, P_PRIME - P + EXTRA
    t1, t0 = (c_a - r) / (P_PRIME - P), c_a / (P_PRIME - P)
    return {
        "I/II": t1 * b * (1 - P) - (a - b) * r,
        "D1": b * t0 * ((1 - P_PRIME) + c_a),
        "II/III": t0 * (a * (1 - P) - (a - b) * (1 - P_PRIME)) - (a - b) * c_a,
    }


#: Which closed forms may separate which pair of labels (selected kind, n_eq). Just inside the
#: II/III fold the two roots are closer than the engine's tangency tolerance and are reported as
#: one (n_eq = 2): a sliver of width ~1e-7 (seen when the fold is crossed along c_a), so
#: honest,2 also meets pool,1 there, and honest,2 | honest,3 is either the D1 threshold or that
#: sliver's edge; such a point must lie on one of the two.
PAIRS = {
    frozenset({"cutpoint_bluff,2", "cutpoint_honest,2"}): ("I/II",),
    frozenset({"cutpoint_honest,2", "cutpoint_honest,3"}): ("D1", "II/III"),
    frozenset({"cutpoint_honest,3", "pool_no_alliance,1"}): ("II/III",),
    frozenset({"cutpoint_honest,2", "pool_no_alliance,1"}): ("II/III",),
}


def _boundary_residuals(cube, swept_c_a: bool) -> dict[str, np.ndarray]:
    """|k - k*| of every boundary point, for the closed form k* nearest among those its label
    pair allows, grouped by that closed form."""
    names = cube.attrs["label_names"]
    r = cube["boundary_r"].values
    c_a = cube["boundary_c_a"].values if swept_c_a else np.full(len(r), 0.15)
    k = cube["boundary_k"].values
    forms = closed_forms(r, c_a)
    out: dict[str, list[float]] = {}
    for i in range(cube.sizes["boundary"]):
        pair = frozenset({names[str(int(cube.label_below[i]))], names[str(int(cube.label_above[i]))]})
        assert pair in PAIRS, f"unexpected boundary between {sorted(pair)} at k={k[i]}, r={r[i]}, c_a={c_a[i]}"
        err, which = min((abs(k[i] - forms[w][i]), w) for w in PAIRS[pair])
        out.setdefault(which, []).append(err)
    return {key: np.asarray(v) for key, v in out.items()}


def test_boundaries_2d_on_closed_forms():
    """Every boundary point of the (k, r) map lies on the §9 boundary it separates, within 1e-8
    in k (a point bisected along r is within 5e-10 in r, and |dk/dr| ~ 1 on the I/II line)."""
    cube = asw.adaptive(k=(0.0, 0.15, 257), r=(0.035, 0.14, 257), coarse=17)
    res = _boundary_residuals(cube, swept_c_a=False)
    assert set(res) == {"I/II", "D1", "II/III"}
    for which, err in res.items():
        assert len(err) > 50, which
        assert err.max() < 1e-8, (which, err.max())
    # Both directions were bisected (the I/II line is slanted).
    assert set(np.unique(cube.boundary_axis.values)) == {0, 1}


def test_boundaries_3d_on_closed_forms():
    """The same in (k, r, c_a): the boundaries are surfaces, all three closed forms move with c_a."""
    cube = asw.adaptive(k=(0.0, 0.15, 33), r=(0.035, 0.08, 33), c_a=(0.12, 0.2, 33), coarse=5)
    res = _boundary_residuals(cube, swept_c_a=True)
    assert set(res) == {"I/II", "D1", "II/III"}
    for which, err in res.items():
        assert err.max() < 1e-8, (which, err.max())
    assert set(np.unique(cube.boundary_axis.values)) == {0, 1, 2}


def test_boundary_tolerance_is_honoured():
    """With a loose tolerance the points are off by about that much: the test above can fail."""
    cube = asw.adaptive(k=(0.0, 0.15, 65), r=(0.035, 0.14, 65), coarse=9, tol=1e-4)
    err = np.concatenate(list(_boundary_residuals(cube, swept_c_a=False).values()))
    assert 1e-8 < err.max() < 1e-4


def _dense(params: dict, label: str) -> np.ndarray:
    spec = adaptive_spec(params, 3, label, 0)
    _, values = spec_lattice(spec)
    mesh = np.meshgrid(*values, indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    return spec_labeller(spec, parse_label(label))(points).reshape(mesh[0].shape)


@pytest.mark.parametrize(
    ("params", "label", "coarse"),
    [
        ({"k": (0.0, 0.15, 65), "r": (0.0, 0.14, 65)}, "kind,n_eq", 5),
        # From a 9-point coarse grid one node of 65^2 is mislabelled here: a spike of the
        # prob_war > 0.33 region passes between the corners of an agreeing cell. From 17 none is.
        ({"k": (0.0, 0.15, 65), "r": (0.0, 0.14, 65)}, "prob_war > 0.33", 17),
        ({"k": (0.0, 0.2, 65), "c_d": (0.3, 0.6, 65)}, "crisis_regime_alliance,kind", 9),
        ({"k": (0.0, 0.15, 17), "r": (0.0, 0.14, 17), "c_a": (0.1, 0.2, 17)}, "kind,n_eq", 5),
    ],
)
def test_rasterize_agrees_with_dense_solve(params, label, coarse):
    """At the finest resolution and at a coarser one the rasterised map equals a direct solve."""
    cube = asw.adaptive(coarse=coarse, label=label, boundaries=False, **params)
    dense = _dense(params, label)
    assert len(np.unique(dense)) >= 2  # a map with a boundary, or the test proves nothing
    full = asw.rasterize(cube)
    assert np.array_equal(full.values, dense)
    n = next(iter(params.values()))[2]
    half = asw.rasterize(cube, (n - 1) // 2 + 1)
    assert np.array_equal(half.values, dense[(slice(None, None, 2),) * dense.ndim])
    # Far fewer solves than the dense grid (2-D; the 17^3 case is too small to gain much).
    if len(params) == 2:
        assert cube.attrs["solver_calls_tree"] < 0.5 * dense.size


def test_rasterize_is_not_interpolated():
    """A raster point inside a leaf takes the leaf's label, never a solve of its own: poisoning
    the stored labels of one uniform leaf's corners changes the raster over the whole leaf."""
    cube = asw.adaptive(k=(0.0, 0.15, 65), r=(0.035, 0.14, 65), coarse=5, boundaries=False)
    assert (cube.cell_label.values != MIXED).any()
    raster = asw.rasterize(cube).values
    assert raster.shape == (65, 65)
    with pytest.raises(ValueError):
        asw.rasterize(cube, 12)


def _disc_labeller(center, radius, n):
    def label_points(x):
        return (np.hypot(x[:, 0] - center[0], x[:, 1] - center[1]) < radius).astype(np.int64)

    return label_points


def _synthetic(label_points, n=257, coarse=9, **kw):
    lattice = Lattice(n, coarse, 2)
    values = [np.linspace(0, 1, n)] * 2
    tree = refine(lattice, node_labeller(lattice, values, label_points), **kw)
    mesh = np.meshgrid(*values, indexing="ij")
    truth = label_points(np.stack([m.ravel() for m in mesh], 1))
    got = tree_labels(tree, lattice.grid(1))
    return tree, float((got != truth).mean())


def test_min_level_finds_an_island_between_coarse_nodes():
    """A disc smaller than a coarse cell and touching no coarse node is invisible from the coarse
    grid; a minimum level whose cells are smaller than it finds it, to the finest level."""
    disc = _disc_labeller((0.0625 + 0.03, 0.0625 + 0.03), 0.02, 257)  # coarse step 1/8
    _, missed = _synthetic(disc)
    assert missed > 0
    _, found = _synthetic(disc, min_level=2)  # level-2 cells have side 1/32 < diameter 0.04
    assert found == 0


def test_isolated_label_guard():
    """A thin needle through one coarse node: only that node sees its label, and the needle runs
    on through cells whose corners all miss it. The guard refines around the node."""

    def needle(x):
        u, v = x[:, 0] - 0.5, x[:, 1] - 0.5  # through the coarse node (1/2, 1/2), coarse step 1/8
        along, across = (u + 0.3 * v) / np.hypot(1, 0.3), (0.3 * u - v) / np.hypot(1, 0.3)
        return ((np.abs(across) < 0.02) & (np.abs(along) < 0.2)).astype(np.int64)

    _, without = _synthetic(needle, guard=False)
    _, with_guard = _synthetic(needle, guard=True)
    assert without > 0.003  # 0.54% of the 257^2 nodes when written
    assert with_guard == 0


def test_finest_level_edges_and_labels():
    """Every boundary point's two labels are those of the finest edge it was found on, and the
    bisection keeps a change of label inside its final bracket."""
    lattice = Lattice(33, 5, 2)
    values = [np.linspace(0, 1, 33)] * 2

    def halfplane(x):
        return (x[:, 0] + 0.5 * x[:, 1] > 0.6).astype(np.int64)

    tree = refine(lattice, node_labeller(lattice, values, halfplane))
    found = bisect_boundaries(tree, values, halfplane, tol=1e-12)
    pts = found["points"]
    assert np.abs(pts[:, 0] + 0.5 * pts[:, 1] - 0.6).max() < 1e-11
    assert (found["label_below"] == 0).all() and (found["label_above"] == 1).all()


def test_labels_parse_and_name():
    terms = parse_label("kind,n_eq")
    assert label_name(terms, (1 + 1) | (2 + 1) << 16) == "cutpoint_bluff,2"
    assert str(parse_label("prob_war>0.3")[0]) == "prob_war > 0.3"
    for bad in ("prob_war", "nonsense", "kind,,n_eq", "prob_war > x"):
        with pytest.raises(SpecError):
            parse_label(bad)


def test_spec_adaptive_design():
    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {"design": "adaptive", "coarse": 9, "label": "kind,n_eq"},
            "params": {"k": {"linspace": [0.0, 0.15, 65]}, "r": {"linspace": [0.0, 0.14, 65]}},
        }
    )
    assert (spec.coarse, spec.label, spec.min_level) == (9, "kind,n_eq", 0)
    assert spec.to_dict()["sweep"]["coarse"] == 9
    bad = [
        ({"design": "adaptive"}, {"k": {"linspace": [0.0, 0.15, 64]}, "r": {"linspace": [0.0, 0.14, 64]}}),
        ({"design": "adaptive"}, {"k": {"linspace": [0.0, 0.15, 65]}, "r": {"linspace": [0.0, 0.14, 33]}}),
        ({"design": "adaptive"}, {"k": {"linspace": [0.0, 0.15, 65]}}),
        ({"design": "adaptive", "coarse": 6}, {"k": {"linspace": [0.0, 0.15, 65]}, "r": {"linspace": [0, 0.1, 65]}}),
        ({"design": "adaptive", "label": "prob_war"}, {"k": {"linspace": [0, 0.1, 9]}, "r": {"linspace": [0, 0.1, 9]}}),
        ({"design": "grid", "coarse": 9}, {"k": {"linspace": [0.0, 0.15, 65]}}),
    ]
    for sweep, params in bad:
        with pytest.raises(SpecError):
            asw.SweepSpec.from_dict({"sweep": sweep, "params": params})


def test_regime_map_draws_an_adaptive_cube():
    """plot.regime_map on an adaptive cube: the raster, the label legend, points and boundaries."""
    pytest.importorskip("holoviews")
    import holoviews as hv

    from allysweep.views import plot

    cube = asw.adaptive(k=(0.0, 0.15, 65), r=(0.0, 0.14, 65), c_a=(0.1, 0.2, 65), coarse=9)
    view = plot.regime_map(cube, "k", "r", max_cells=33)
    labels = [layer.label for layer in view]
    assert "exact boundary" in labels and "solved points" in labels
    assert set(cube.attrs["label_names"].values()) >= {lab for lab in labels if "," in lab}
    image = view.get(0)
    assert image.data["label"].shape == (33, 33)
    assert hv.render(view) is not None
    with pytest.raises(asw.exceptions.PlotError):
        plot.regime_map(cube, "k", "p")


_RUN = """
import sys
from distributed import Client
import allysweep as asw
spec = asw.load_spec(sys.argv[1]).with_store(sys.argv[2])
with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
    asw.sweep(spec, client=client, resume=sys.argv[3] == "resume", progress=False)
"""


def _adaptive_run(spec_path, store, mode, kill_after=None):
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("ALLYSWEEP_TEST_ADAPTIVE_KILL_AFTER", None)
    if kill_after is not None:
        env["ALLYSWEEP_TEST_ADAPTIVE_KILL_AFTER"] = str(kill_after)
    return subprocess.run(
        [sys.executable, "-c", _RUN, str(spec_path), str(store), mode], env=env, capture_output=True, text=True
    )


def test_resume_after_sigkill_equals_uninterrupted(tmp_path):
    """A Dask run SIGKILLed after two persisted levels, then resumed, gives the cube of an
    uninterrupted run (every point, cell and boundary point; the attributes but timings)."""
    import zarr

    spec_path = tmp_path / "map.toml"
    spec_path.write_text(
        '[sweep]\ndesign = "adaptive"\ncoarse = 9\nchunk_points = 300\n'
        "[params]\nk = { linspace = [0.0, 0.15, 129] }\nr = { linspace = [0.0, 0.14, 129] }\n"
    )
    killed = _adaptive_run(spec_path, tmp_path / "killed.zarr", "new", kill_after=2)
    assert killed.returncode == -9, killed.stderr
    group = zarr.open_group(str(tmp_path / "killed.zarr"), mode="r")
    assert group["_adaptive"].attrs["finished_levels"] == 2
    assert "cube" not in group
    with pytest.raises(asw.StoreError):
        asw.open_cube(tmp_path / "killed.zarr")
    resumed = _adaptive_run(spec_path, tmp_path / "killed.zarr", "resume")
    assert resumed.returncode == 0, resumed.stderr
    whole = _adaptive_run(spec_path, tmp_path / "whole.zarr", "new")
    assert whole.returncode == 0, whole.stderr
    a, b = asw.open_cube(tmp_path / "killed.zarr"), asw.open_cube(tmp_path / "whole.zarr")
    assert a.attrs["levels_resumed"] == 2 and b.attrs["levels_resumed"] == 0
    assert a.sizes == b.sizes and a.sizes["boundary"] > 0
    assert a["inferred"].any() and a.attrs["inferred_points"] == b.attrs["inferred_points"]  # inference persisted
    for name in [*a.data_vars, *a.coords]:
        assert np.array_equal(a[name].values, b[name].values), name
    skip = {"levels_resumed", "refine_seconds", "boundary_seconds", "refine_overhead_seconds"}
    assert {k: v for k, v in a.attrs.items() if k not in skip} == {k: v for k, v in b.attrs.items() if k not in skip}
    # The Dask run is the in-process one.
    local = asw.adaptive(k=(0.0, 0.15, 129), r=(0.0, 0.14, 129), coarse=9)
    assert np.array_equal(asw.rasterize(a).values, asw.rasterize(local).values)


def test_adaptive_store_refusals(tmp_path):
    """An existing adaptive store is neither overwritten silently nor resumed by another spec."""
    from distributed import Client

    def spec(n):
        return asw.SweepSpec.from_dict(
            {
                "sweep": {"design": "adaptive", "coarse": 5, "store": str(tmp_path / "m.zarr")},
                "params": {"k": {"linspace": [0.0, 0.15, n]}, "r": {"linspace": [0.0, 0.14, n]}},
            }
        )

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        first = asw.sweep(spec(33), client=client, progress=False)
        with pytest.raises(asw.StoreError, match="exists"):
            asw.sweep(spec(33), client=client, progress=False)
        with pytest.raises(asw.StoreError, match="another specification"):
            asw.sweep(spec(65), client=client, resume=True, progress=False)
        again = asw.sweep(spec(33), client=client, resume=True, progress=False)
        assert again.attrs["levels_resumed"] == first.attrs["finished_levels"]
        assert np.array_equal(again.label.values, first.label.values)
        replaced = asw.sweep(spec(65), client=client, overwrite=True, progress=False)
    assert replaced.sizes["point"] > first.sizes["point"]


# ----------------------------------------------------------------------------- face inference
def _model_tree(params: dict, coarse: int, infer: bool, label: str = "kind,n_eq"):
    spec = adaptive_spec(params, coarse, label, 0)
    lattice, values = spec_lattice(spec)
    label_points = spec_labeller(spec, parse_label(label))
    return refine(lattice, node_labeller(lattice, values, label_points), infer=infer), values, label_points


MAP_2D = {"k": (0.0, 0.15, 257), "r": (0.0, 0.14, 257)}
MAP_3D = {"k": (0.0, 0.15, 33), "r": (0.035, 0.08, 33), "c_a": (0.12, 0.2, 33)}


def test_infer_false_solves_every_node_as_before():
    """``infer=False`` is the refinement before face inference: every node is solved. The call
    count is pinned from the code before inference was added (3,796 on this map)."""
    tree, _, _ = _model_tree(MAP_2D, 17, infer=False)
    assert not tree.inferred.any()
    assert tree.solved == len(tree.keys) == 3796


@pytest.mark.parametrize(("params", "coarse"), [(MAP_2D, 17), (MAP_3D, 5)])
def test_inference_keeps_the_tree_and_saves_solves(params, coarse):
    """Where every inferred label is right, inference changes nothing but the solver calls: the
    same nodes, labels and cells as solving every node, fewer calls, and each inferred label
    equals a direct solve at that node (MODEL.md §9's regions: the boundaries are smooth)."""
    full, values, label_points = _model_tree(params, coarse, infer=False)
    tree, _, _ = _model_tree(params, coarse, infer=True)
    assert tree.inferred.sum() > 0.2 * len(tree.keys)
    assert tree.solved == int((~tree.inferred).sum()) < 0.8 * full.solved
    lattice = tree.lattice
    nodes = lattice.nodes(tree.keys[tree.inferred])
    x = np.stack([values[j][nodes[:, j]] for j in range(lattice.d)], axis=1)
    assert np.array_equal(label_points(x), tree.labels[tree.inferred])
    assert np.array_equal(tree.keys, full.keys) and np.array_equal(tree.labels, full.labels)
    assert len(tree.cells) == len(full.cells)
    for (ca, la), (cb, lb) in zip(tree.cells, full.cells, strict=True):
        assert np.array_equal(ca, cb) and np.array_equal(la, lb)


def test_inferred_nodes_lie_on_agreeing_faces_only():
    """On a disc (a curved boundary known in closed form) every inferred label is the disc's,
    the rasterised map is exact, and no cell centre is ever inferred: a node is inferred only
    where it sits on a lower-dimensional face (some coordinate on the parent's grid)."""
    disc = _disc_labeller((0.41, 0.57), 0.23, 257)
    tree, missed = _synthetic(disc, infer=True)
    full, _ = _synthetic(disc, infer=False)
    assert missed == 0 and tree.inferred.any() and tree.solved < 0.7 * full.solved
    lattice = tree.lattice
    nodes = lattice.nodes(tree.keys[tree.inferred])
    assert np.array_equal(disc(nodes / (lattice.n - 1)), tree.labels[tree.inferred])
    level = tree.point_level[tree.inferred].astype(np.int64)
    parent_side = np.array([lattice.side(lv - 1) for lv in range(lattice.levels)])[level]
    on_parent_grid = nodes % parent_side[:, None] == 0
    assert on_parent_grid.any(axis=1).all()


def test_solved_wins_over_inferred(monkeypatch):
    """A node on an agreeing face of a mixed cell is inferred, unless a cell split without
    inference (here one the isolated-label guard is forced to pick) needs it: then it is solved.
    33^2, coarse 5 (side 8): the line x = 0.7 crosses the coarse column 16..24, near its right
    side; the left edges (x = 16) of its cells agree on 0, far from the line (no edge through
    their midpoints disagrees, so no check solves them), and the node (16, 4) is also on the
    forced cell (8, 0)."""
    import importlib

    core = importlib.import_module("allysweep.adaptive")  # the module (asw.adaptive is the function)

    lattice = Lattice(33, 5, 2)
    values = [np.linspace(0, 1, 33)] * 2

    def halfplane(x):
        return (x[:, 0] > 0.7).astype(np.int64)

    solved: list[np.ndarray] = []

    def label_nodes(index):
        solved.append(index.copy())
        return node_labeller(lattice, values, halfplane)(index)

    def at(i, j):
        return int(lattice.index(np.array([[i, j]]))[0])

    plain = refine(lattice, label_nodes, guard=False)
    flag = dict(zip(plain.keys.tolist(), plain.inferred.tolist(), strict=True))
    assert flag[at(16, 4)] and flag[at(16, 12)]

    def forced(tree, level):
        return np.array([at(8, 0)]) if level == 0 else np.empty(0, np.int64)

    monkeypatch.setattr(core, "_guard_cells", forced)
    solved.clear()
    tree = refine(lattice, label_nodes)
    flag = dict(zip(tree.keys.tolist(), tree.inferred.tolist(), strict=True))
    assert not flag[at(16, 4)] and flag[at(16, 12)]
    assert at(16, 4) in np.concatenate(solved)
    # The forced cell's nodes are all solved, none inferred; the two trees label alike.
    inside = [at(8 + a, b) for a in (0, 4, 8) for b in (0, 4, 8)]
    assert not any(flag[k] for k in inside)
    assert np.array_equal(tree_labels(tree, lattice.grid(1)), tree_labels(plain, lattice.grid(1)))


def test_inference_guards_still_work():
    """With inference on, the min_level island and the guarded needle are still found."""
    disc = _disc_labeller((0.0625 + 0.03, 0.0625 + 0.03), 0.02, 257)
    assert _synthetic(disc, infer=True)[1] > 0
    assert _synthetic(disc, min_level=2, infer=True)[1] == 0

    def needle(x):
        u, v = x[:, 0] - 0.5, x[:, 1] - 0.5
        along, across = (u + 0.3 * v) / np.hypot(1, 0.3), (0.3 * u - v) / np.hypot(1, 0.3)
        return ((np.abs(across) < 0.02) & (np.abs(along) < 0.2)).astype(np.int64)

    assert _synthetic(needle, guard=False, infer=True)[1] > 0.003
    assert _synthetic(needle, guard=True, infer=True)[1] == 0


def test_bisection_solves_inferred_ends_first():
    """A boundary edge's inferred end is solved before bisecting: a wrong inferred label (planted
    here) is caught, its edges dropped where the solved ends agree, and every boundary point
    still separates two solved labels on the true line."""
    lattice = Lattice(33, 5, 2)
    values = [np.linspace(0, 1, 33)] * 2

    def halfplane(x):
        return (x[:, 0] + 0.5 * x[:, 1] > 0.6).astype(np.int64)

    tree = refine(lattice, node_labeller(lattice, values, halfplane), infer=False)
    honest = bisect_boundaries(tree, values, halfplane, tol=1e-12)
    assert honest["verified"] == honest["contradicted"] == 0
    # Plant a wrong inferred label at the lower end of the first boundary edge (a 0 node).
    from allysweep.adaptive import boundary_edges

    low, _ = boundary_edges(tree)
    pos = np.searchsorted(tree.keys, low[0])
    assert tree.labels[pos] == 0
    tree.labels[pos], tree.inferred[pos] = 1, True
    found = bisect_boundaries(tree, values, halfplane, tol=1e-12)
    assert found["verified"] == 1 and found["contradicted"] == 1
    assert (found["label_below"] == 0).all() and (found["label_above"] == 1).all()
    pts = found["points"]
    assert np.abs(pts[:, 0] + 0.5 * pts[:, 1] - 0.6).max() < 1e-11
    assert 0 < len(honest["axis"]) - len(found["axis"]) <= 2


def test_cube_flags_inferred_points():
    """The cube says which labels were inferred; rasterize reads them back through the tree."""
    cube = asw.adaptive(**MAP_2D, coarse=17, boundaries=False)
    flat = asw.adaptive(**MAP_2D, coarse=17, boundaries=False, infer=False)
    assert cube["inferred"].dtype == bool and int(cube["inferred"].sum()) == cube.attrs["inferred_points"] > 0
    assert not flat["inferred"].any() and flat.attrs["inferred_points"] == 0
    assert cube.attrs["solver_calls_tree"] == int((~cube["inferred"]).sum()) < flat.attrs["solver_calls_tree"]
    assert np.array_equal(asw.rasterize(cube).values, asw.rasterize(flat).values)
