"""The notebooks in notebooks/ run top to bottom (executed here with nbclient, the engine nbmake
uses) and are stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_lecture_story.ipynb",
        "03_credibility_costs.ipynb",
        "04_dask_cluster.ipynb",
        "05_immediate_deterrence.ipynb",
        "06_does_the_alliance_deter.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_outputs_are_stripped(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: cell {i} has outputs (strip them before committing)"
            assert cell.get("execution_count") is None, f"{path.name}: cell {i} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # Run where the notebook's files (Zarr stores) may be written and thrown away.
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "display_data"]
    assert shown, "the notebook displayed nothing"


@pytest.mark.slow
def test_a_notebook_fails_when_one_of_its_claims_is_made_false(tmp_path):
    """The notebooks' claims are asserted, so a notebook stops being runnable when one of them stops
    being true. 02_lecture_story claims (finding 1) that at the challenger's mean cost E[c] the ally
    narrows the bargaining range everywhere on its sweep, because p' + E[c] > 1 clips the joint
    range at x = 1. A cell inserted after the notebook's parameters cell makes challengers weaker
    (c ~ U[0, 0.5], E[c] = 0.25): then nothing is clipped where Δ_C is small, the ally widens the
    range above the line Δ_C = c_D - c_D', and execution must fail on that claim's assert, in that
    cell and in no cell before it."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = next(p for p in NOTEBOOKS if p.stem == "02_lecture_story")
    nb = nbformat.read(path, as_version=4)
    (at,) = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    perturb = nbformat.v4.new_code_cell('BASE["cost_c"] = asw.Uniform(0, 0.5)  # inserted by the test')
    nb.cells.insert(at + 1, perturb)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    assert failure.value.ename == "AssertionError"
    assert "finding 1: at the mean cost the ally narrows the range everywhere" in failure.value.evalue
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count") is not None]
    failed = [c.id for c in ran if any(o.output_type == "error" for o in c.outputs)]
    assert failed == ["d6e8ad26"] and ran[-1].id == "d6e8ad26"  # the claim's cell, and the first to fail
    assert "at c = E[c] = 0.25" in "".join(o.get("text", "") for o in ran[-1].outputs)  # the perturbation took
