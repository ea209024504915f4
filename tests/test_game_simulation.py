"""Self-tests of the independent reference in ``game_simulation.py`` (specs only, no allysweep import).

The worked examples of MODEL.md section 10 and CRISIS.md sections 2.4 and 7 must be reproduced
exactly by :func:`expected`; :func:`simulate` must agree with :func:`expected` within four standard
errors; :func:`no_option_closed_form` must equal :func:`expected` with ``no_option``; and the
utilities must satisfy the accounting identities of the payoff table.
"""

import math

import pytest
from scipy import integrate, stats

from game_simulation import (
    _partial_mean,
    ally_gain,
    concede_boundary_belief,
    crisis_outcomes,
    crisis_state,
    expected,
    no_option_closed_form,
    parse_params,
    simulate,
)

EXACT = 1e-9
N_DRAWS = 200_000

MODEL_BASE = {
    "p": 0.4,
    "p_alliance": 0.7,
    "p_coalition": 0.7,
    "c_d": 0.1,
    "c_d_joint": 0.05,
    "c_c_extra": 0.1,
    "c_a": 0.15,
    "k": 0.03,
    "r": 0.06,
    "b_c": 0.05,
    "theta": ("uniform", 0.0, 1.0),
    "cost_c": ("uniform", 0.0, 1.0),
}
CRISIS_BASE = dict(MODEL_BASE, p=0.3, c_d=0.4, k=0.1)
EX_D = dict(CRISIS_BASE, c_d=0.6, b_c=0.1, k=0.2)
EX_D_PINNED_CUTPOINT = 69 / 716 + 3 * math.sqrt(19121) / 1432
TWO_TYPE = dict(CRISIS_BASE, theta=("two_point", 0.2, 0.35, 0.5))


def pinned_rho(params: dict, cutpoint: float, key: str, lo: float, hi: float) -> float:
    """D's concession probability that makes the cut-point type indifferent (Gain is affine in rho)."""
    gain_lo = ally_gain(params, {"cutpoint": cutpoint, key: lo}, cutpoint)
    gain_hi = ally_gain(params, {"cutpoint": cutpoint, key: hi}, cutpoint)
    return lo + (hi - lo) * gain_lo / (gain_lo - gain_hi)


EX_D_PINNED_RHO = pinned_rho(EX_D, EX_D_PINNED_CUTPOINT, "rho_no_alliance", 0.2, 0.3)

# (id, params, strategy, exact expectations of the specs, type that must be indifferent or None)
WORKED = [
    (
        "E1",
        dict(MODEL_BASE, k=0.075),
        {"cutpoint": 0.35},
        {"prob_war": 0.34, "prob_alliance": 0.65, "belief_alliance": 1.0, "prob_challenge_alliance": 0.2},
        0.35,
    ),
    (
        "E2",
        MODEL_BASE,
        {"cutpoint": 41 / 195},
        {
            "prob_war": 0.32,
            "prob_alliance": 154 / 195,
            "belief_alliance": 39 / 44,
            "prob_challenge_alliance": 27 / 110,
            "prob_challenge_no_alliance": 0.6,
        },
        41 / 195,
    ),
    (
        "E3",
        dict(MODEL_BASE, k=0.0072),
        {"cutpoint": 0.125},
        {"prob_war": 0.32, "prob_alliance": 0.875, "belief_alliance": 0.8, "prob_challenge_alliance": 0.28},
        0.125,
    ),
    (
        "E-pool",
        MODEL_BASE,
        {"cutpoint": 1.0},
        {"prob_war": 0.4, "belief_no_alliance": 0.5, "prob_alliance": 0.0},
        None,
    ),
    (
        "T1",
        dict(MODEL_BASE, k=0.05, theta=("two_point", 0.2, 0.4, 0.5)),
        {"sigma_low": 0.0, "sigma_high": 1.0},
        {"prob_war": 0.4, "prob_alliance": 0.5, "prob_challenge_alliance": 0.2, "prob_challenge_no_alliance": 0.6},
        None,
    ),
    (
        "T2",
        dict(MODEL_BASE, k=0.018, theta=("two_point", 0.2, 0.4, 0.5)),
        {"sigma_low": 1 / 3, "sigma_high": 1.0},
        {"prob_war": 0.4, "prob_alliance": 2 / 3, "belief_alliance": 0.75, "prob_challenge_alliance": 0.3},
        0.2,
    ),
    (
        "EX-A stable",
        CRISIS_BASE,
        {"cutpoint": 182 / 671},
        {
            "prob_war": 1139 / 3355,
            "prob_concession": 13 / 1220,
            "prob_challenge": 4959 / 13420,
            "immediate_deterrence": 65 / 1204,
            "prob_alliance": 489 / 671,
            "rho_no_alliance": 1 / 21,
            "prob_challenge_no_alliance": 33 / 40,
            "prob_war_no_alliance": 5 / 7,
            "prob_concession_no_alliance": 11 / 280,
            "immediate_deterrence_no_alliance": 1 / 11,
            "regime_alliance": "resist",
            "regime_no_alliance": "mixed",
        },
        182 / 671,
    ),
    (
        "EX-A unstable",
        CRISIS_BASE,
        {"cutpoint": 9 / 14},
        {
            "prob_war": 31 / 80,
            "prob_concession": 0.0,
            "prob_challenge": 31 / 80,
            "belief_no_alliance": 5 / 12,
            "prob_challenge_no_alliance": 59 / 120,
        },
        9 / 14,
    ),
    (
        "EX-A pool",
        CRISIS_BASE,
        {"cutpoint": 1.0},
        {"prob_war": 31 / 80, "belief_no_alliance": 5 / 8, "prob_challenge": 31 / 80},
        None,
    ),
    (
        "EX-B",
        dict(CRISIS_BASE, k=0.03),
        {"cutpoint": (10991 - math.sqrt(113267281)) / 2760},
        {
            "prob_war": 0.314302742,
            "prob_concession": 0.004957541,
            "immediate_deterrence": 0.027878911,
            "belief_alliance": (8231 + math.sqrt(113267281)) / 21280,
            "prob_war_alliance": (21561 - math.sqrt(113267281)) / 42560,
        },
        (10991 - math.sqrt(113267281)) / 2760,
    ),
    (
        "EX-D stable",
        EX_D,
        {"cutpoint": 23 / 94},
        {
            "prob_war": 71 / 470,
            "prob_concession": 23 / 94,
            "prob_challenge": 93 / 235,
            "rho_no_alliance": 1.0,
            "regime_no_alliance": "concede",
            "prob_war_no_alliance": 0.0,
        },
        23 / 94,
    ),
    (
        "EX-D pinned",
        EX_D,
        {"cutpoint": EX_D_PINNED_CUTPOINT, "rho_no_alliance": EX_D_PINNED_RHO},
        {
            "prob_war": 0.350253073,
            "belief_no_alliance": (141 - math.sqrt(19121)) / 95,
            "rho_no_alliance": 0.250077132,
            "prob_concession_no_alliance": 0.250077132,
            "prob_challenge_no_alliance": 1.0,
            "prob_war_no_alliance": 0.589197441,
            "immediate_deterrence_no_alliance": (179 - math.sqrt(19121)) / 190,
            "regime_no_alliance": "boundary_concede",
        },
        EX_D_PINNED_CUTPOINT,
    ),
    (
        "TT-1",
        TWO_TYPE,
        {"sigma_low": 0.0, "sigma_high": 1.0},
        {"prob_war": 16 / 35, "prob_concession": 11 / 560, "prob_alliance": 0.5, "rho_no_alliance": 1 / 21},
        None,
    ),
    (
        "TT-2",
        dict(TWO_TYPE, k=1 / 25),
        {"sigma_low": 39 / 101, "sigma_high": 1.0},
        {
            "prob_war": 1285 / 2828,
            "prob_concession": 341 / 28280,
            "prob_alliance": 70 / 101,
            "belief_alliance": 101 / 140,
            "prob_challenge_alliance": 19 / 56,
            "prob_challenge_no_alliance": 33 / 40,
        },
        0.2,
    ),
]

# Further profiles (not equilibria need not be): other G families, hawks, p'_1 > p'_0, no option.
EXTRA = [
    ("logistic", dict(CRISIS_BASE, cost_c=("logistic", 0.5, 0.2)), {"cutpoint": 0.3}),
    ("normal", dict(EX_D, cost_c=("normal", 0.4, 0.3)), {"cutpoint": 0.5}),
    ("hawks", dict(CRISIS_BASE, cost_c=("uniform", -0.3, 1.1)), {"cutpoint": 0.15}),
    ("p1>p0", dict(CRISIS_BASE, p_alliance=0.8, p_coalition=0.6, theta=("uniform", 0.1, 1.5)), {"cutpoint": 0.9}),
    ("b_c=0", dict(CRISIS_BASE, b_c=0.0), {"cutpoint": 0.4}),
    (
        "no option, logistic",
        dict(CRISIS_BASE, theta=("uniform", 0.0, 0.3), cost_c=("logistic", 0.5, 0.2)),
        {"no_option": True, "cutpoint": 0.3},
    ),
    # W0 segment after the alliance in region I: q_1 = (1 - t_1)/(1 - u) = q_hat_1 = 0.8, C without
    ("W0 after alliance", dict(CRISIS_BASE, c_d=2.9), {"cutpoint": 0.03125, "rho_alliance": 0.02}),
    # Cb segment after the alliance, two types: sigma_L puts q_1 at q^C_1
    ("Cb after alliance", dict(TWO_TYPE, c_d=2.9, theta=("two_point", 0.2, 0.35, 0.2)), "cb-two-type"),
    ("no option two-type", TWO_TYPE, {"no_option": True}),
]


def _cb_two_type_strategy(params: dict) -> dict:
    q_conc = concede_boundary_belief(parse_params(params), 1)
    prior_high = params["theta"][3]
    sigma_low = prior_high * (1 - q_conc) / ((1 - prior_high) * q_conc)
    return {"sigma_low": sigma_low, "sigma_high": 1.0, "rho_alliance": 0.5}


EXTRA = [(c, p, _cb_two_type_strategy(p) if s == "cb-two-type" else s) for c, p, s in EXTRA]

SIM_KEYS = (
    "utility_ally",
    "utility_defender",
    "utility_challenger",
    "prob_war",
    "prob_challenge",
    "prob_concession",
    "prob_backdown",
    "prob_alliance",
    "immediate_deterrence",
)


def assert_close(actual, target, tol=EXACT, label=""):
    if isinstance(target, str) or target is None:
        assert actual == target, label
    elif math.isnan(target):
        assert math.isnan(actual), label
    else:
        assert abs(actual - target) <= tol, f"{label}: {actual!r} vs {target!r}"


@pytest.mark.parametrize(("case", "params", "strategy", "targets", "indifferent"), WORKED, ids=[w[0] for w in WORKED])
def test_expected_reproduces_worked_examples(case, params, strategy, targets, indifferent):
    result = expected(params, strategy)
    for key, target in targets.items():
        assert_close(result[key], target, label=f"{case} {key}")
    if indifferent is not None:
        # the spec's equilibrium: the cut-point (or the mixing type) is indifferent
        assert abs(ally_gain(params, strategy, indifferent)) <= 1e-12


def test_pinned_ex_d_rho_matches_spec():
    assert abs(EX_D_PINNED_RHO - 0.250077132) <= EXACT
    assert 1 / 11 < EX_D_PINNED_RHO < 1


@pytest.mark.parametrize(
    ("case", "params", "strategy"),
    [w[:3] for w in WORKED] + EXTRA,
    ids=[w[0] for w in WORKED] + [e[0] for e in EXTRA],
)
def test_simulate_agrees_with_expected(case, params, strategy):
    exact = expected(params, strategy)
    sim = simulate(params, strategy, n=N_DRAWS, seed=20240611)
    for key in SIM_KEYS:
        mean, se = sim[key]
        if math.isnan(exact[key]):
            assert math.isnan(mean), f"{case} {key}"
            continue
        assert abs(mean - exact[key]) <= 4.0 * se + 1e-12, f"{case} {key}: {mean} +- {se} vs {exact[key]}"


def test_crisis_table_of_spec_section_2_4():
    game = parse_params(CRISIS_BASE)
    rows = [
        # q, regime, P^ch, rho, X, P^war, back-down, imm
        (0.0, "mixed", 33 / 40, 1 / 21, 11 / 280, 5 / 7, 1 / 14, 1 / 11),
        (1 / 15, "mixed", 301 / 400, 1 / 21, 43 / 1200, 43 / 63, 43 / 1260, 1 / 21),
        (1 / 2, "resist", 9 / 20, 0.0, 0.0, 9 / 20, 0.0, 0.0),
        (1.0, "resist", 1 / 5, 0.0, 0.0, 1 / 5, 0.0, 0.0),
    ]
    for q, regime, challenge, rho, concession, war, backdown, imm in rows:
        state = crisis_state(game, 0, q)
        out = crisis_outcomes(game, state)
        assert state.regime == regime
        assert_close(state.rho, rho)
        assert_close(out["prob_challenge"], challenge)
        assert_close(out["prob_concession"], concession)
        assert_close(out["prob_war"], war)
        assert_close(out["prob_backdown"], backdown)
        assert_close(out["immediate_deterrence"], imm)
    # the W0 segment at q_hat = 2/15: P^ch = G(19/30 + rho/(1 - rho))
    state = crisis_state(game, 0, 2 / 15, rho=0.03)
    out = crisis_outcomes(game, state)
    assert state.regime == "boundary_w0"
    assert_close(out["prob_challenge"], 19 / 30 + 0.03 / 0.97)
    assert_close(out["prob_war"], 0.97 * (19 / 30 + 0.03 / 0.97))
    # second example: q^C and q_hat
    game_d = parse_params(EX_D)
    assert_close(concede_boundary_belief(game_d, 0), (141 - math.sqrt(19121)) / 95, tol=1e-14)
    assert_close(game_d.omega / game_d.defender_gain(0), 6 / 19, tol=1e-15)


def test_boundary_rho_rules():
    u = EX_D_PINNED_CUTPOINT
    with pytest.raises(ValueError, match="must be supplied"):
        expected(EX_D, {"cutpoint": u})
    with pytest.raises(ValueError, match="outside"):
        expected(EX_D, {"cutpoint": u, "rho_no_alliance": 0.05})  # below rho_hat = 1/11
    with pytest.raises(ValueError, match="disagrees"):
        expected(CRISIS_BASE, {"cutpoint": 182 / 671, "rho_no_alliance": 0.0})  # regime M has 1/21
    # consistent or NaN rhos away from a boundary are accepted
    expected(CRISIS_BASE, {"cutpoint": 182 / 671, "rho_no_alliance": 1 / 21, "rho_alliance": 0.0})
    expected(CRISIS_BASE, {"cutpoint": 1.0, "rho_alliance": math.nan})


def test_p_equal_c_d_uses_resist_convention():
    params = dict(MODEL_BASE, c_d=0.4)  # p = c_D: W_0(0) = 0, q_0 = 0 for cut-points below t_0 = 0.5
    result = expected(params, {"cutpoint": 0.35})
    assert result["regime_no_alliance"] == "boundary_w0"
    assert result["rho_no_alliance"] == 0.0
    assert_close(result["prob_war"], result["prob_challenge"])
    assert_close(result["prob_challenge_no_alliance"], 0.6)
    assert_close(result["prob_concession"], 0.0)


# ----------------------------------------------------------------------------------------------
# The no-option benchmark: closed form vs the general derivation
# ----------------------------------------------------------------------------------------------

Q_HAT_HI = 0.375 * 15 / 13  # theta ~ U[0, hi] puts q_0 = (hi - t_0)/hi at q_hat = 2/15 (base)
Q_CONC = (141 - math.sqrt(19121)) / 95
NO_OPTION_CASES = [
    # id, params, rho, expected regime
    ("A1 holds", MODEL_BASE, None, "resist"),
    ("A1 holds, t_0 < lo", dict(MODEL_BASE, theta=("uniform", 0.6, 1.0)), None, "resist"),
    ("A1 fails, resist", CRISIS_BASE, None, "resist"),
    (
        "hawks, resist",
        dict(CRISIS_BASE, theta=("uniform", 0.1, 0.9), cost_c=("uniform", -0.2, 1.2)),
        None,
        "resist",
    ),
    ("mixed at q = 0", dict(CRISIS_BASE, theta=("uniform", 0.0, 0.3)), None, "mixed"),
    ("mixed at q > 0", dict(CRISIS_BASE, c_d=0.5, theta=("uniform", 0.0, 0.45)), None, "mixed"),
    (
        "mixed, shifted G",
        dict(CRISIS_BASE, c_d=0.5, theta=("uniform", 0.05, 0.45), cost_c=("uniform", 0.1, 1.3)),
        None,
        "mixed",
    ),
    ("concede", dict(CRISIS_BASE, c_d=0.9, theta=("uniform", 0.0, 0.3)), None, "concede"),
    ("W0 segment", dict(CRISIS_BASE, theta=("uniform", 0.0, Q_HAT_HI)), 0.02, "boundary_w0"),
    ("Cb segment", dict(EX_D, theta=("uniform", 0.0, 0.375 / (1 - Q_CONC))), 0.5, "boundary_concede"),
    ("p = c_D", dict(MODEL_BASE, c_d=0.4, theta=("uniform", 0.0, 0.4)), None, "boundary_w0"),
]


@pytest.mark.parametrize(("case", "params", "rho", "regime"), NO_OPTION_CASES, ids=[c[0] for c in NO_OPTION_CASES])
def test_no_option_closed_form_matches_expected(case, params, rho, regime):
    closed = no_option_closed_form(params, rho=rho)
    assert closed["crisis_regime_no_option"] == regime
    strategy = {"no_option": True, "rho_no_alliance": rho}
    general = expected(params, strategy)
    assert general["regime_no_alliance"] == regime
    assert general["prob_alliance"] == 0.0
    for key in (
        "prob_war",
        "prob_challenge",
        "prob_concession",
        "immediate_deterrence",
        "utility_ally",
        "utility_defender",
        "utility_challenger",
    ):
        assert_close(closed[f"{key}_no_option"], general[key], label=f"{case} {key}")
    sim = simulate(params, strategy, n=N_DRAWS, seed=7)
    for key in ("prob_war", "prob_challenge", "utility_ally", "utility_defender", "utility_challenger"):
        mean, se = sim[key]
        assert abs(mean - general[key]) <= 4.0 * se + 1e-12, f"{case} {key}"


def test_no_option_closed_form_rejects_clipping_and_other_families():
    with pytest.raises(ValueError, match="clipped"):
        no_option_closed_form(dict(MODEL_BASE, cost_c=("uniform", 0.5, 1.0)))
    with pytest.raises(ValueError, match="uniform"):
        no_option_closed_form(dict(MODEL_BASE, cost_c=("logistic", 0.5, 0.2)))
    with pytest.raises(ValueError, match="boundary"):
        no_option_closed_form(dict(CRISIS_BASE, theta=("uniform", 0.0, Q_HAT_HI)))


# ----------------------------------------------------------------------------------------------
# Accounting identities of the payoff table
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["E1", "E2", "E3", "E-pool", "T1", "T2"])
def test_challenger_plus_defender_identity_without_concessions(case):
    """Under A1 (regime R after both signals, G = U[0, 1]) nobody concedes or backs down.

    From the payoff table, C + D get 1 at the status quo and 1 - c - Delta_C - c_D' (A intervenes)
    or 1 - c - c_D (A stays out) at war. War after signal alpha happens iff c <= tau_alpha = P_alpha,
    so E[c; war | alpha] = P_alpha^2/2 and, with A intervening with probability q_alpha,

        U_C + U_D = 1 - sum_alpha Pr(alpha) P_alpha [P_alpha/2 + q_alpha (c_D' + Delta_C) + (1 - q_alpha) c_D].

    Also U_C = sum_alpha Pr(alpha) P_alpha^2/2 (the hawks' surplus int_0^tau (tau - c) dc).
    """
    params, strategy = next((w[1], w[2]) for w in WORKED if w[0] == case)
    result = expected(params, strategy)
    assert result["prob_concession"] == 0.0 and result["prob_backdown"] == 0.0
    deadweight, hawk_surplus = 0.0, 0.0
    for signal, weight in (("alliance", result["prob_alliance"]), ("no_alliance", 1.0 - result["prob_alliance"])):
        if weight == 0.0:
            continue
        war, q = result[f"prob_war_{signal}"], result[f"belief_{signal}"]
        joint_cost = params["c_d_joint"] + params["c_c_extra"]
        deadweight += weight * war * (war / 2.0 + q * joint_cost + (1.0 - q) * params["c_d"])
        hawk_surplus += weight * war**2 / 2.0
    total = result["utility_challenger"] + result["utility_defender"]
    assert_close(total, 1.0 - deadweight, tol=1e-12)
    assert_close(result["utility_challenger"], hawk_surplus, tol=1e-12)
    sim = simulate(params, strategy, n=N_DRAWS, seed=3)
    se = sim["utility_challenger"][1] + sim["utility_defender"][1]
    assert abs(sim["utility_challenger"][0] + sim["utility_defender"][0] - (1.0 - deadweight)) <= 4.0 * se


def test_defender_indifference_identity():
    """Where D concedes with positive probability it is indifferent, so a challenge is worth 0 to it.

    Then U_D | alpha = 1 - P^ch_alpha (regimes M, C and both boundary segments); in R,
    U_D | alpha = 1 - P^war_alpha (1 - W_alpha). EX-A stable: R after the alliance, M without.
    """
    for params, strategy in (
        (CRISIS_BASE, {"cutpoint": 182 / 671}),
        (EX_D, {"cutpoint": 23 / 94}),
        (EX_D, {"cutpoint": EX_D_PINNED_CUTPOINT, "rho_no_alliance": EX_D_PINNED_RHO}),
    ):
        result = expected(params, strategy)
        value = 0.0
        for signal, weight in (("alliance", result["prob_alliance"]), ("no_alliance", 1.0 - result["prob_alliance"])):
            if result[f"regime_{signal}"] == "resist":
                value += weight * (1.0 - result[f"prob_war_{signal}"] * (1.0 - result[f"defender_war_value_{signal}"]))
            else:
                value += weight * (1.0 - result[f"prob_challenge_{signal}"])
        assert_close(result["utility_defender"], value, tol=1e-12)


def test_ally_utility_equals_prior_mean_less_losses():
    """U_A from ``expected`` equals a quadrature of the type-by-type payoff theta - alpha k - Lambda_alpha(theta)."""
    params, strategy = CRISIS_BASE, {"cutpoint": 182 / 671}
    result = expected(params, strategy)
    u = strategy["cutpoint"]
    game = parse_params(params)
    outs = {
        a: crisis_outcomes(game, crisis_state(game, a, result[f"belief_{s}"]))
        for a, s in ((0, "no_alliance"), (1, "alliance"))
    }

    def payoff(theta: float, alpha: int) -> float:
        o = outs[alpha]
        war_loss = min((1 - game.p_joint(alpha)) * theta + game.c_a, (1 - game.p) * theta + alpha * game.r)
        return theta - alpha * game.k - o["prob_concession"] * theta - o["prob_war"] * war_loss

    kinks = sorted({0.0, u, game.threshold(0), game.threshold(1), 1.0})
    total = 0.0
    for a, b in zip(kinks[:-1], kinks[1:], strict=True):
        alpha = 1 if a >= u else 0
        total += integrate.quad(payoff, a, b, args=(alpha,), epsabs=1e-13, epsrel=1e-13)[0]
    assert_close(result["utility_ally"], total, tol=1e-12)


@pytest.mark.parametrize("family", [("logistic", 0.4, 0.25), ("normal", 0.45, 0.3)])
def test_partial_mean_closed_forms_against_quadrature(family):
    """C's war surplus int (tau - c) dG uses closed-form partial means; check them by quadrature."""
    dist = parse_params(dict(MODEL_BASE, cost_c=family)).cost_c
    name, mu, scale = family
    density = stats.logistic(mu, scale).pdf if name == "logistic" else stats.norm(mu, scale).pdf
    for x in (-0.5, 0.1, 0.6, 1.4):
        value, _ = integrate.quad(lambda c: c * density(c), mu - 40 * scale, x, epsabs=1e-14, epsrel=1e-13, limit=200)
        assert_close(_partial_mean(dist, x), value, tol=1e-11)


def test_a1_reduces_to_canonical():
    """With A1 every crisis is R: no concessions, war = challenge, MODEL.md's prob_war = a - b Pr(intervene)."""
    for u in (0.1, 0.25, 0.4, 0.6, 0.9):
        result = expected(MODEL_BASE, {"cutpoint": u})
        assert result["prob_concession"] == 0.0
        assert_close(result["prob_war"], result["prob_challenge"], tol=1e-15)
        t1, t0 = 0.3, 0.5
        intervene = (1 - max(t1, u)) + max(u - t0, 0.0)
        assert_close(result["prob_war"], 0.6 - 0.4 * intervene, tol=1e-14)
