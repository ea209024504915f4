"""Properties of the engine's equilibria of the crisis model on random valid parameters, with A1
failing in about 60% of the draws (hypothesis; derandomized in CI). At every reported
equilibrium, checked by brute force from the payoff tables (tests/test_crisis_reference.py):
no ally type gains by switching on a fine θ grid; the challenger's cost types best-respond
(challenge, attack or back down) and D is indifferent exactly where it mixes; beliefs follow
Bayes' rule; every probability lies in [0, 1]; prob_war + prob_concession +
prob_status_quo_kept = 1; the M/M identity of CRISIS.md §5 where it applies."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allysweep as asw
from test_crisis_reference import check_eq_brute, close, m_m_identity_applies, m_m_value, random_point


def engine_equilibria(point: dict) -> list[dict]:
    cols = {k: np.array([v], dtype=float) for k, v in point.items()}
    out = asw.solve_flat(cols, method="roots")
    return [{name: out[name][0, j].item() for name in asw.engine.EQ_OUTPUTS} for j in range(int(out["n_eq"][0]))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), two_type=st.booleans())
def test_every_engine_equilibrium_passes_the_brute_force_checks(seed, two_type):
    point = random_point(np.random.default_rng(seed), two_type=two_type)
    eqs = engine_equilibria(point)
    assert sum(e["selected"] for e in eqs) == (1 if eqs else 0)
    for e in eqs:
        check_eq_brute(dict(point), e)
        if m_m_identity_applies(point, e):
            assert close(e["prob_war"], m_m_value(point, e), 1e-9)
        for key in ("prob_concession", "prob_status_quo_kept", "prob_challenge", "general_deterrence"):
            assert not math.isnan(e[key])


def test_draws_fail_a1_in_at_least_half():
    rng = np.random.default_rng(0)
    draws = [random_point(rng, two_type=bool(i % 2)) for i in range(400)]
    assert np.mean([d["c_d"] > d["p"] for d in draws]) >= 0.5
