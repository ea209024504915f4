"""``ds.hvplot.image(..., rasterize=True)`` on a 10^7-point cube renders lazily within a memory
bound (issue 15, must-show 4).

The cube here is **not** a sweep: solving 10^7 points and writing them takes about 40 s on the
2-core CI machine, so the test writes a Zarr store with the layout of a real sweep's cube
directly (the same dimensions, the chunks ``SweepSpec.chunks()`` gives for the default
``chunk_points``, four equilibrium slots, ``selected`` flags and a per-equilibrium ``prob_war``
with the engine's attributes), filled with a smooth synthetic ``prob_war``. The render is the one
``benches/hvplot_bench.py`` runs on a real 10^7-point sweep (results in benches/results/), in a
fresh process that samples its own peak resident memory."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: 3163^2 = 1.0e7 points.
SIDE = 3163
#: In-memory size of the two variables the render reads (float64 prob_war and bool selected, four
#: slots): 343 MiB.
TOUCHED_MIB = SIDE * SIDE * 4 * 9 / 2**20
#: The bound on the render's peak resident memory above the process's memory just before it: a
#: third of that. On the real 10^7-point sweep the peak was 59 to 63 MiB above (benches/results/
#: hvplot-2026-12-02.json: 211 chunks of 15 x 3163 x 4).
BOUND_MIB = TOUCHED_MIB / 3


def _bench():
    spec = importlib.util.spec_from_file_location("hvplot_bench", ROOT / "benches" / "hvplot_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Where the selected slot changes from 0 to 1 (a jump of 0.05 in the selected prob_war).
K_SWITCH = 0.06


def synthetic_prob_war(k, r, slot):
    """Smooth in (k, r), different in each slot: what the test checks the pixels against."""
    return 0.25 + 0.5 * k + 0.4 * r * r + 0.05 * slot


def write_cube_layout(store: Path) -> None:
    """A Zarr store with a 10^7-point grid cube's layout, written block by block (Dask)."""
    import dask.array as da
    import xarray as xr

    import allysweep as asw

    spec = asw.SweepSpec.from_dict(
        {
            "sweep": {"name": "layout", "design": "grid", "max_eq": 4, "outputs": ["selected", "prob_war"]},
            "params": {"k": {"linspace": [0.0, 0.12, SIDE]}, "r": {"linspace": [0.0, 0.14, SIDE]}},
        }
    )
    chunks = (*spec.chunks(), 4)
    like = asw.solve(k=np.array([0.0, 0.1]), r=np.array([0.0, 0.1]))  # the engine's attributes
    k = np.linspace(0.0, 0.12, SIDE)
    r = np.linspace(0.0, 0.14, SIDE)

    def block(block_info=None):
        (k0, k1), (r0, r1), (e0, e1) = block_info[None]["array-location"]
        kk, rr, ee = np.meshgrid(k[k0:k1], r[r0:r1], np.arange(e0, e1), indexing="ij")
        value = synthetic_prob_war(kk, rr, ee)
        return np.where(ee <= (np.arange(k0, k1)[:, None, None] % 2) + 1, value, np.nan)  # 2 or 3 slots filled

    def chosen(block_info=None):
        (k0, k1), (r0, r1), (e0, e1) = block_info[None]["array-location"]
        slot = np.broadcast_to((k[k0:k1] > K_SWITCH)[:, None, None].astype(int), (k1 - k0, r1 - r0, 1))
        return np.arange(e0, e1)[None, None, :] == slot  # slot 0 below K_SWITCH, slot 1 above

    shape = (SIDE, SIDE, 4)
    chunks = da.core.normalize_chunks(chunks, shape)
    prob_war = da.map_blocks(block, chunks=chunks, dtype=np.float64, meta=np.array((), np.float64))
    selected = da.map_blocks(chosen, chunks=chunks, dtype=bool, meta=np.array((), bool))
    assert prob_war.shape == shape == selected.shape
    cube = xr.Dataset(
        {
            "prob_war": (("k", "r", "eq"), prob_war, dict(like.prob_war.attrs)),
            "selected": (("k", "r", "eq"), selected, dict(like.selected.attrs)),
        },
        coords={"k": ("k", k, dict(like.k.attrs)), "r": ("r", r, dict(like.r.attrs)), "eq": np.arange(4)},
        attrs={"title": "the layout of a 10^7-point grid cube (synthetic values)"},
    )
    cube.to_zarr(store, mode="w", consolidated=False)


@pytest.fixture(scope="module")
def layout_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("large_cube") / "cube.zarr"
    write_cube_layout(store)
    return store


def test_hvplot_image_of_a_1e7_point_cube_renders_lazily_within_the_memory_bound(layout_store):
    result = _bench().render(layout_store, width=600, height=450)
    print(result)  # shown with -s; the figures to compare with benches/results/hvplot-*.json
    assert result["points"] == SIDE * SIDE >= 10**7
    assert result["chunks"] == {"k": 15, "r": SIDE, "eq": 4}  # SweepSpec.chunks() at 50,000 points per block
    assert result["lazy_before_render"]  # Dask-backed: nothing was read before the render
    # An actual rendered result: a 600 x 450 datashaded image (one value per pixel, none missing)
    # that is the selected slot's prob_war at the pixels' centres to within its change across a
    # pixel (smooth: 0.5 per unit of k, 0.11 per unit of r), except at the column or two where
    # the selected slot switches (a jump of 0.05, averaged over the pixels that straddle it).
    assert result["image_shape"] == [450, 600] and result["finite_share"] == 1.0
    lo, hi = synthetic_prob_war(0.0, 0.0, 0), synthetic_prob_war(0.12, 0.14, 1)
    assert lo - 1e-9 <= result["range"][0] < result["range"][1] <= hi + 1e-9
    assert result["share_within_1e-3_of_pixel_centres"] > 1 - 3 / 600
    # Within the memory bound, and far below what reading the two variables whole would take.
    assert result["touched_in_memory_mib"] == pytest.approx(TOUCHED_MIB)
    assert result["peak_above_before_mib"] < BOUND_MIB, (result, BOUND_MIB)


def test_the_bound_is_not_met_by_reading_the_cube_whole(layout_store):
    """The measurement can fail: the same process that reads the two variables into memory (what
    a plot of a loaded, not lazy, cube holds) goes far over the bound the rasterised render
    stays under."""
    import subprocess

    script = (
        "import psutil, xarray as xr; me = psutil.Process();"
        f"cube = xr.open_zarr({str(layout_store)!r}, consolidated=False); base = me.memory_info().rss;"
        "cube[['selected', 'prob_war']].load(); print((me.memory_info().rss - base) / 2**20)"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) > 2 * BOUND_MIB
