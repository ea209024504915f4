"""The engine (`roots`), its belief-space search and the independent NumPy crisis reference
agree on >= 10,000 random points of the crisis model, at least half of them with A1 failing
(the defender may concede):
the same equilibria in the same order, the same kinds, regimes, flags and pinned roots, and every
value to 1e-9. The mix covers uniform types and two-type allies; uniform (often clipped),
logistic and normal challenger costs; p_alliance > p_coalition."""

from __future__ import annotations

import numpy as np
import pytest

import allysweep as asw
from allysweep.engine import EQ_OUTPUTS, POINT_OUTPUTS, crisis_reference
from test_parity import random_columns

from helpers import CERTIFIED, WELFARE_EQ, WELFARE_POINT

#: gain_increasing is the engine's own check; the crisis reference computes neither it nor the
#: welfare outputs (tests/test_welfare.py checks those against an independent simulation).
COMPARED_EQ = [n for n in EQ_OUTPUTS if n != "gain_increasing" and n not in WELFARE_EQ]
COMPARED_POINT = [n for n in POINT_OUTPUTS if n not in WELFARE_POINT]


def crisis_columns(seed: int, n: int, theta_kind: int, cost_kind: int) -> dict[str, np.ndarray]:
    cols = random_columns(seed=seed, n=n, theta_kind=theta_kind, cost_kind=cost_kind)
    rng = np.random.default_rng(seed + 991)
    fail = rng.random(n) < 0.65
    cols["c_d"] = np.where(fail, cols["p"] + rng.uniform(0.001, 0.6, n), cols["c_d"])
    cols["c_d_joint"] = rng.uniform(0, 1, n) * cols["c_d"]
    return cols


CASES = [
    # (theta kind, cost kind, points)
    (0, 0, 2500),
    (0, 1, 1500),
    (0, 2, 1500),
    (1, 0, 2000),
    (1, 1, 1300),
    (1, 2, 1200),
]


def test_cases_reach_ten_thousand_points_most_without_a1():
    assert sum(n for *_, n in CASES) >= 10_000
    fails = sum(
        int(np.sum(c["p"] < c["c_d"])) for c in (crisis_columns(500 + i, n, t, k) for i, (t, k, n) in enumerate(CASES))
    )
    assert fails >= 0.5 * sum(n for *_, n in CASES)


@pytest.mark.slow
@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)))
def test_engine_and_crisis_reference_agree(index, case):
    theta_kind, cost_kind, n = case
    cols = crisis_columns(500 + index, n, theta_kind, cost_kind)
    fast = asw.solve_flat(cols, method="roots")
    slow = crisis_reference.solve_crisis_reference(cols)
    np.testing.assert_array_equal(fast["n_eq"], slow["n_eq"])
    used = np.arange(fast["kind"].shape[1]) < fast["n_eq"][:, None]
    for name in COMPARED_EQ:
        a, b = fast[name][used], slow[name][used]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, atol=1e-9, rtol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    for name in COMPARED_POINT:
        if fast[name].dtype.kind == "f":
            np.testing.assert_allclose(fast[name], slow[name], atol=1e-9, rtol=0, err_msg=name)
        elif name == "status":  # only `roots` certifies (bit 4)
            np.testing.assert_array_equal(fast[name] & ~CERTIFIED, slow[name], err_msg=name)
        else:
            np.testing.assert_array_equal(fast[name], slow[name], err_msg=name)
    # belief_space, the engine's own cross-check, searches in the belief along the crisis path.
    other = asw.solve_flat(cols, method="belief_space")
    np.testing.assert_array_equal(other["n_eq"], fast["n_eq"])
    for name in COMPARED_EQ:
        a, b = other[name][used], fast[name][used]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, atol=1e-9, rtol=0, err_msg=f"belief_space {name}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"belief_space {name}")
    # The mix reaches the crisis regimes (not only "resist") and, across cases, pinned roots.
    regimes = np.concatenate([fast[f"crisis_regime_{s}"][used] for s in ("alliance", "no_alliance")])
    assert {0, 1, 2} <= set(np.unique(regimes).tolist())
