"""One output contract: the engine's schema (``_core.OUTPUTS``, generated from the table in
``rust/allysweep-core/src/batch/output.rs``), Python's metadata (``allysweep/model/outputs.py``),
what ``asw.solve`` returns, the sweep template and the NumPy reference's own lists must agree
on every name, dtype, fill value and per-equilibrium flag. Each side is read on its own and
compared with the engine's table, name by name."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep import _core
from allysweep.engine import OUTPUTS, crisis_reference, reference
from allysweep.model.outputs import CATEGORICAL, METADATA
from allysweep.sweeps import store

from helpers import CRISIS_EQ, CRISIS_FLOAT_EQ, CRISIS_POINT, FLOAT_EQ, POINT, REGIMES, WELFARE_EQ, WELFARE_POINT

#: The engine's table as the binding exports it: name -> (dtype, per equilibrium, fill).
CORE = {name: (np.dtype(dtype), per_eq, fill) for name, dtype, per_eq, fill in _core.OUTPUTS}


def same_fill(value, fill) -> bool:
    return (np.isnan(fill) and np.isnan(value)) if isinstance(fill, float) and np.isnan(fill) else value == fill


def test_core_schema_is_exported_whole():
    assert len(CORE) == len(_core.OUTPUTS) >= 25
    assert {d for d, _, _ in CORE.values()} <= {np.dtype(t) for t in ("int64", "int8", "float64", "bool")}
    # Per-point outputs come first (the binding and the docs list them that way).
    flags = [per_eq for _, per_eq, _ in CORE.values()]
    assert flags == sorted(flags)


def test_python_metadata_names_every_core_output_in_order():
    assert list(METADATA) == list(CORE)
    for name, (long_name, units, description) in METADATA.items():
        assert long_name and units and description, name
    assert set(CATEGORICAL) <= set(CORE)


def test_joined_table_matches_core_name_by_name():
    assert list(OUTPUTS) == list(CORE)
    for name, (dtype, per_eq, fill) in CORE.items():
        out = OUTPUTS[name]
        assert out.dtype == dtype, name
        assert out.per_equilibrium is per_eq, name
        assert same_fill(out.fill, fill), name
        assert out.long_name == METADATA[name][0], name
    assert OUTPUTS["kind"].attrs["flag_meanings"].split() == list(_core.KIND_NAMES)
    for side in ("alliance", "no_alliance"):
        assert OUTPUTS[f"crisis_regime_{side}"].attrs["flag_meanings"].split() == list(REGIMES)
        assert OUTPUTS[f"crisis_regime_{side}"].attrs["flag_values"] == [0, 1, 2, 3, 4]
    # `status` is a bit set (docs/conventions.md): CF flag_masks with flag_meanings, written out.
    status = OUTPUTS["status"].attrs
    assert status["flag_masks"] == [1, 2, 4]
    assert status["flag_meanings"] == "truncated continuum certified"
    assert "flag_values" not in status
    assert [tuple(b) for b in _core.STATUS_BITS] == [(1, "truncated"), (2, "continuum"), (4, "certified")]


def test_status_bits_reach_datasets_and_stores(tmp_path):
    """The flag attributes travel with the variable: asw.solve and a sweep's store carry them."""
    ds = asw.solve(k=0.03)
    assert ds.status.attrs["flag_masks"] == [1, 2, 4]
    assert ds.status.attrs["flag_meanings"].split() == ["truncated", "continuum", "certified"]
    assert int(ds.status) & 4  # E2 (uniform G): certified complete
    spec = asw.SweepSpec.from_dict({"sweep": {"store": str(tmp_path / "s.zarr")}, "params": {"k": [0.01]}})
    assert list(store._template(spec).status.attrs["flag_masks"]) == [1, 2, 4]


def test_solve_returns_every_output_with_schema_dtype_dims_fill_and_attrs():
    ds = asw.solve(k=np.array([0.03, 0.5]))  # E2 (two equilibria); only the no-alliance pooling
    assert list(ds.data_vars) == list(CORE)
    n_slots = ds.sizes["eq"]
    for name, (dtype, per_eq, fill) in CORE.items():
        var = ds[name]
        assert var.dtype == dtype, name
        assert ("eq" in var.dims) is per_eq, name
        assert var.attrs["long_name"] == METADATA[name][0], name
        if per_eq:
            empty = ds.n_eq.values <= np.arange(n_slots)[:, None]  # slots without an equilibrium
            values = var.transpose("eq", ...).values[empty]
            assert empty.any() and all(same_fill(v, fill) for v in values), name


def test_sweep_template_has_schema_dtype_dims_fill_and_attrs(tmp_path):
    spec = asw.SweepSpec.from_dict(
        {"sweep": {"store": str(tmp_path / "t.zarr"), "max_eq": 3}, "params": {"k": [0.01, 0.03]}}
    )
    template = store._template(spec)
    assert list(template.data_vars) == list(CORE)
    # Never-written chunks read as "not computed": the engine's fill where it is no result
    # (kind = -1, NaN, False), -1 where the engine's fill would read as one (n_eq = 0 "no
    # equilibrium", status = 0 "all equilibria reported"). Written out here, not imported.
    not_computed = {"n_eq": -1, "status": -1}
    for name, (dtype, per_eq, fill) in CORE.items():
        var = template[name]
        assert var.dtype == dtype, name
        assert ("eq" in var.dims) is per_eq, name
        assert {k: v for k, v in var.attrs.items() if k != "not_computed"} == OUTPUTS[name].attrs, name
        want = not_computed.get(name, fill)
        shown = "NaN" if dtype == np.float64 else "False" if dtype == np.bool_ else str(int(want))
        assert var.attrs["not_computed"].startswith(f"{shown} where the point is not computed yet"), name
        assert all(same_fill(v, want) for v in np.asarray(var.values).ravel()), name


def test_reference_lists_agree_with_the_schema():
    """The references keep their own lists on purpose (they share no code with the engine); they
    must still describe the same outputs. The canonical reference outputs MODEL.md §8, the crisis
    reference everything CRISIS.md §5 adds too; neither computes gain_increasing (solve_flat adds
    it from the outputs for the canonical one)."""
    assert list(reference.INPUT_KEYS) == list(_core.COLUMNS)
    canonical = reference.solve_reference(_base_point())  # E2: 2 of 8 slots used
    crisis = crisis_reference.solve_crisis_reference(_base_point())
    new = set(CRISIS_EQ) | set(CRISIS_POINT)
    welfare = set(WELFARE_EQ) | set(WELFARE_POINT)
    assert set(canonical) == set(CORE) - new - welfare - {"gain_increasing"}
    assert set(crisis) == set(CORE) - welfare - {"gain_increasing"}
    for raw in (canonical, crisis):
        for name, values in raw.items():
            dtype, per_eq, fill = CORE[name]
            assert values.dtype == dtype, name
            assert (values.ndim == 2) is per_eq, name
            if per_eq:
                assert all(same_fill(v, fill) for v in values[0, 2:]), name
    assert set(asw.solve_flat(_base_point(), method="reference")) == set(CORE)


def test_test_helpers_lists_agree_with_the_schema():
    float_eq = [n for n, (d, per_eq, _) in CORE.items() if per_eq and d == np.float64]
    assert [*FLOAT_EQ, *CRISIS_FLOAT_EQ, *WELFARE_EQ] == float_eq
    assert [*POINT, *CRISIS_POINT, *WELFARE_POINT] == [n for n, (_, per_eq, _) in CORE.items() if not per_eq]
    assert set(CRISIS_EQ) <= {n for n, (_, per_eq, _) in CORE.items() if per_eq}
    assert list(_core.REGIME_NAMES) == list(REGIMES)


def test_binding_refuses_output_buffers_of_the_wrong_type():
    cols = _base_point()
    arrays = [np.ascontiguousarray(cols[c]) for c in _core.COLUMNS]
    out = dict(_core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 2))
    out["cutpoint"] = out["cutpoint"].astype(np.float32)
    with pytest.raises(ValueError, match="cutpoint"):
        _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 2, out)


def _base_point() -> dict[str, np.ndarray]:
    """MODEL.md §10 base case with k = 0.03 (E2), as flat columns of one point."""
    values = dict(p=0.4, p_alliance=0.7, p_coalition=0.7, c_d=0.1, c_d_joint=0.05, c_c_extra=0.1, c_a=0.15)
    values.update(k=0.03, r=0.06, b_c=0.05, theta_kind=0, theta_a=0, theta_b=1, theta_c=np.nan)
    values.update(cost_kind=0, cost_a=0, cost_b=1, range_cost=np.nan)
    return {k: np.asarray([v], dtype=float) for k, v in values.items()}


def test_a_subset_of_outputs_is_computed_alone_and_equals_the_full_result():
    cols = {k: np.repeat(v, 3) for k, v in _base_point().items()}
    cols["k"] = np.array([0.03, 0.075, 0.5])
    full = asw.solve_flat(cols)
    some = asw.solve_flat(cols, outputs=["prob_war", "kind", "crisis_regime_alliance"])
    assert set(some) == {"prob_war", "kind", "crisis_regime_alliance"}
    for name, values in some.items():
        np.testing.assert_array_equal(values, full[name])
    with pytest.raises(asw.ParameterError, match="outputs"):
        asw.solve_flat(cols, outputs=["prob_peace"])


def test_regime_map_colours_by_crisis_regime():
    from allysweep.views import plot

    ds = asw.solve(c_d=np.linspace(0.1, 0.8, 8), k=np.linspace(0.0, 0.3, 7), p=0.3, c_d_joint=0.05)
    view = plot.regime_map(ds, "c_d", "k", variable="crisis_regime_no_alliance", dynamic=False)
    labels = {el.label for el in view}
    codes = np.unique(ds.crisis_regime_no_alliance.isel(eq=ds.selected.argmax("eq")))
    present = {REGIMES[c] for c in codes if c >= 0}
    assert present <= labels and len(present) >= 2
    with pytest.raises(asw.exceptions.PlotError, match="categorical variable"):
        plot.regime_map(ds, "c_d", "k", variable="prob_war")


def test_solve_second_pass_for_points_with_more_equilibria_than_the_first_slots(monkeypatch):
    """asw.solve solves with 4 slots and again with all slots where a point had more: forcing the
    second pass (1 slot first) gives the same dataset."""
    from allysweep import labelled

    k = np.array([0.03, 0.075, 0.5])  # two, two and one equilibria
    want = asw.solve(k=k, p=0.3, c_d=0.4, c_d_joint=0.05)
    monkeypatch.setattr(labelled, "FIRST_SLOTS", 1)
    got = asw.solve(k=k, p=0.3, c_d=0.4, c_d_joint=0.05)
    assert got.sizes["eq"] == want.sizes["eq"] >= 2
    for name in want.data_vars:
        np.testing.assert_array_equal(got[name].values, want[name].values, err_msg=name)
