"""The engine (`roots`) on the crisis stage (assumption A1 dropped): every worked example of
CRISIS.md §7, to 1e-9, through `asw.solve`. Every expected number is CRISIS.md's exact value
(fractions and surds written as the spec gives them), never a number printed by the code."""

from __future__ import annotations

import math

import numpy as np
import pytest

import allysweep as asw

from helpers import REGIMES

TOL = 1e-9
R, M, C, W0, CB = (REGIMES.index(r) for r in REGIMES)
S19121 = math.sqrt(19121.0)
S113 = math.sqrt(113267281.0)

#: CRISIS.md §6 base parameters (θ ~ U[0,1], c ~ U[0,1] are the API's defaults).
BASE = dict(p=0.3, p_alliance=0.7, p_coalition=0.7, c_d=0.4, c_d_joint=0.05, c_c_extra=0.1, c_a=0.15, r=0.06)
BASE_BC = 0.05


def equilibria(**params) -> list[dict]:
    ds = asw.solve(**{"b_c": BASE_BC, **BASE, **params})
    out = []
    for j in range(int(ds.n_eq)):
        eq = {name: ds[name].values[j].item() for name in ds.data_vars if "eq" in ds[name].dims}
        eq["kind"] = asw.KIND_NAMES[eq["kind"]]
        out.append(eq)
    return out


def find(eqs, kind, **match):
    hits = [e for e in eqs if e["kind"] == kind and all(abs(e[k] - v) < 1e-6 for k, v in match.items())]
    assert len(hits) == 1, (kind, match, eqs)
    return hits[0]


def check(eq, **want):
    for name, value in want.items():
        got = eq[name]
        if isinstance(value, bool) or isinstance(value, int) and name.startswith("crisis_regime"):
            assert got == value, (name, got, value)
        elif isinstance(value, float) and math.isnan(value):
            assert math.isnan(got), (name, got)
        else:
            assert abs(got - value) <= TOL, (name, got, value)


def test_ex_a_three_equilibria():
    eqs = equilibria(k=1 / 10)
    assert len(eqs) == 3
    stable = find(eqs, "cutpoint_honest", cutpoint=182 / 671)
    check(
        stable,
        cutpoint=182 / 671,
        prob_alliance=489 / 671,
        belief_alliance=1.0,
        belief_no_alliance=0.0,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=M,
        prob_concede_alliance=0.0,
        prob_concede_no_alliance=1 / 21,
        prob_challenge_alliance=1 / 5,
        prob_challenge_no_alliance=33 / 40,
        prob_concession_no_alliance=11 / 280,
        prob_war_alliance=1 / 5,
        prob_war_no_alliance=5 / 7,
        immediate_deterrence_no_alliance=1 / 11,
        prob_war=1139 / 3355,
        prob_concession=13 / 1220,
        prob_challenge=4959 / 13420,
        immediate_deterrence=65 / 1204,
        stable=True,
        pinned=False,
        selected=True,
    )
    # The stable root in closed form: θ* = (k + c_A/5)/(κ_0 - 0.06), κ_0 = 151/280.
    assert abs(stable["cutpoint"] - (0.1 + 0.15 / 5) / (151 / 280 - 0.06)) < TOL
    unstable = find(eqs, "cutpoint_honest", cutpoint=9 / 14)
    check(
        unstable,
        prob_alliance=5 / 14,
        belief_alliance=1.0,
        belief_no_alliance=5 / 12,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=R,
        prob_concede_alliance=0.0,
        prob_concede_no_alliance=0.0,
        prob_challenge_alliance=1 / 5,
        prob_challenge_no_alliance=59 / 120,
        prob_war_no_alliance=59 / 120,
        prob_concession_no_alliance=0.0,
        immediate_deterrence_no_alliance=0.0,
        prob_war=31 / 80,
        prob_concession=0.0,
        prob_challenge=31 / 80,
        immediate_deterrence=0.0,
        stable=False,
        pinned=False,
    )
    pool = find(eqs, "pool_no_alliance")
    check(
        pool,
        cutpoint=1.0,
        prob_alliance=0.0,
        belief_alliance=math.nan,
        belief_no_alliance=5 / 8,
        crisis_regime_no_alliance=R,
        crisis_regime_alliance=-1,
        prob_concede_no_alliance=0.0,
        prob_challenge_no_alliance=31 / 80,
        prob_concession_no_alliance=0.0,
        prob_war_no_alliance=31 / 80,
        prob_war=31 / 80,
        prob_concession=0.0,
        prob_challenge=31 / 80,
        immediate_deterrence=0.0,
        ic_ok=True,
        d1_ok=True,
    )


def test_ex_a_bargaining_ranges_and_defender_war_value():
    """CRISIS.md §5 example (mean cost 0.5): without an alliance [-0.1 -> 0, 0.8]; after it
    [0.65, 1.3 -> 1]; the unclipped low end is D's war value."""
    stable = find(equilibria(k=1 / 10), "cutpoint_honest", cutpoint=182 / 671)
    check(
        stable,
        range_lo_no_alliance=0.0,
        range_hi_no_alliance=0.8,
        defender_war_value_no_alliance=-0.1,
        range_lo_alliance=0.65,
        range_hi_alliance=1.0,
        defender_war_value_alliance=0.65,
    )


def test_ex_b_bluffing_cutpoint_in_region_one():
    eqs = equilibria(k=3 / 100)
    theta = (10991 - S113) / 2760
    bluff = find(eqs, "cutpoint_bluff", cutpoint=theta)
    check(
        bluff,
        cutpoint=theta,
        belief_alliance=(8231 + S113) / 21280,
        belief_no_alliance=0.0,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=M,
        prob_challenge_alliance=(21561 - S113) / 42560,
        prob_war_alliance=(21561 - S113) / 42560,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        prob_concession_no_alliance=11 / 280,
        prob_war_no_alliance=5 / 7,
        immediate_deterrence_no_alliance=1 / 11,
        stable=True,
    )
    # The spec gives these to nine digits.
    for name, value in (
        ("prob_war", 0.314302742),
        ("prob_concession", 0.004957541),
        ("prob_renege", 0.113077527),
        ("immediate_deterrence", 0.027878911),
    ):
        assert abs(bluff[name] - value) < 1e-9, name
    # θ* is the root in (0, t_1) of -(69/1400)u² + 0.3925357…u - 0.04875.
    pool = find(eqs, "pool_no_alliance")
    assert pool["ic_ok"] is False and pool["d1_ok"] is False


def test_ex_d_concession_without_alliance_and_a_pinned_root():
    eqs = equilibria(c_d=0.6, b_c=0.1, k=1 / 5)
    assert len(eqs) == 3
    stable = find(eqs, "cutpoint_honest", cutpoint=23 / 94)
    check(
        stable,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=C,
        prob_concede_no_alliance=1.0,
        prob_challenge_no_alliance=1.0,
        prob_concession_no_alliance=1.0,
        prob_war_no_alliance=0.0,
        immediate_deterrence_no_alliance=math.nan,
        prob_challenge_alliance=1 / 5,
        prob_war_alliance=1 / 5,
        prob_war=71 / 470,
        prob_concession=23 / 94,
        prob_challenge=93 / 235,
        stable=True,
        pinned=False,
    )
    assert abs(stable["cutpoint"] - (0.2 + 0.15 / 5) / (1 - (1 / 5) * (3 / 10))) < TOL
    pinned = find(eqs, "cutpoint_honest", cutpoint=69 / 716 + 3 * S19121 / 1432)
    check(
        pinned,
        belief_no_alliance=(141 - S19121) / 95,
        crisis_regime_no_alliance=CB,
        crisis_regime_alliance=R,
        prob_challenge_no_alliance=1.0,
        immediate_deterrence_no_alliance=(179 - S19121) / 190,
        stable=False,
        pinned=True,
    )
    for name, value in (
        ("prob_concede_no_alliance", 0.250077132),
        ("prob_concession_no_alliance", 0.250077132),
        ("prob_war_no_alliance", 0.589197441),
        ("prob_war", 0.350253073),
    ):
        assert abs(pinned[name] - value) < 1e-9, name
    assert 1 / 11 < pinned["prob_concede_no_alliance"] < 1  # ρ_0 in (ρ̂, 1)
    pool = find(eqs, "pool_no_alliance")
    assert pool["ic_ok"] is True and pool["d1_ok"] is True


TT = dict(theta=asw.TwoPoint(0.2, 0.35, 0.5))


def test_tt1_separating_in_regimes_r_and_m():
    eqs = equilibria(k=1 / 10, **TT)
    sep = find(eqs, "separating")
    check(
        sep,
        prob_alliance=1 / 2,
        belief_alliance=1.0,
        prob_challenge_alliance=1 / 5,
        prob_concede_alliance=0.0,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=M,
        prob_war=16 / 35,
        prob_concession=11 / 560,
        prob_renege=0.0,
    )
    pool = find(eqs, "pool_no_alliance")
    assert pool["ic_ok"] is False and pool["d1_ok"] is False


def test_tt2_low_type_mixes():
    eqs = equilibria(k=1 / 25, **TT)
    hybrid = find(eqs, "hybrid")
    sigma_l = 39 / 101
    check(
        hybrid,
        prob_alliance=0.5 + 0.5 * sigma_l,
        belief_alliance=101 / 140,
        prob_challenge_alliance=19 / 56,
        prob_concede_alliance=0.0,
        prob_challenge_no_alliance=33 / 40,
        prob_concede_no_alliance=1 / 21,
        crisis_regime_alliance=R,
        crisis_regime_no_alliance=M,
        prob_war=1285 / 2828,
        prob_concession=341 / 28280,
        prob_renege=39 / 140,
    )
    assert abs(hybrid["prob_alliance"] - 70 / 101) < TOL
    pool = find(eqs, "pool_no_alliance")
    assert pool["ic_ok"] is True and pool["d1_ok"] is False


@pytest.mark.parametrize("k", [1 / 10, 3 / 100])
def test_accounting_identity(k):
    """Every challenge ends in war, a concession or a back-down: prob_war + prob_concession +
    prob_status_quo_kept = 1, and prob_challenge = prob_war + prob_concession + Pr(back down)."""
    ds = asw.solve(b_c=BASE_BC, k=k, **BASE)
    used = np.arange(ds.sizes["eq"]) < int(ds.n_eq)
    total = ds.prob_war + ds.prob_concession + ds.prob_status_quo_kept
    np.testing.assert_allclose(total.values[used], 1.0, atol=1e-12)


def test_a1_refused_only_by_the_model_md_variants():
    for method in ("closed_form", "qre"):
        with pytest.raises(asw.ParameterError, match="A1"):
            asw.solve(method=method, **BASE)
