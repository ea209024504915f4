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
from allysweep.engine import OUTPUTS, reference
from allysweep.model.outputs import CATEGORICAL, METADATA
from allysweep.sweeps import store

from helpers import FLOAT_EQ, POINT

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
    """The reference keeps its own lists on purpose (it shares no code with the engine); they
    must still describe the same outputs. It does not compute gain_increasing (solve_flat adds
    it from the outputs)."""
    assert list(reference.INPUT_KEYS) == list(_core.COLUMNS)
    raw = reference.solve_reference(_base_point())  # E2: 2 of 8 slots used
    assert set(raw) == set(CORE) - {"gain_increasing"}
    for name, values in raw.items():
        dtype, per_eq, fill = CORE[name]
        assert values.dtype == dtype, name
        assert (values.ndim == 2) is per_eq, name
        if per_eq:
            assert all(same_fill(v, fill) for v in values[0, 2:]), name
    assert set(asw.solve_flat(_base_point(), method="reference")) == set(CORE)


def test_test_helpers_lists_agree_with_the_schema():
    float_eq = [n for n, (d, per_eq, _) in CORE.items() if per_eq and d == np.float64]
    assert list(FLOAT_EQ) == float_eq
    assert list(POINT) == [n for n, (_, per_eq, _) in CORE.items() if not per_eq]


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
