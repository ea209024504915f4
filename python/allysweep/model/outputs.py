"""What every output means: long name, units and description (MODEL.md §8, docs/conventions.md).

This is Python's half of the output contract. The other half, each output's element type,
whether it is per point or per equilibrium, and its fill value, is the engine's schema
(``rust/allysweep-core/src/batch/output.rs``), exported as ``_core.OUTPUTS``;
:mod:`allysweep.engine.schema` joins the two, and ``tests/test_schema.py`` checks, name by name,
that they list the same outputs.
"""

from __future__ import annotations

__all__ = ["METADATA", "CATEGORICAL", "BITFIELDS"]

_RANGE = "share of the good (D's share x)"

#: name -> (long_name, units, description), in the engine's output order.
METADATA: dict[str, tuple[str, str, str]] = {
    "n_eq": ("number of equilibria", "1", "Number of perfect Bayesian equilibria found at this point."),
    "status": (
        "solver status",
        "1",
        "Bit set (see flag_masks / flag_meanings): +1 = more equilibria than slots along `eq` (extra "
        "dropped); +2 = a continuum of cutpoints (one degenerate representative reported); +4 = certified: "
        "method `roots` proved that no equilibrium was missed (docs/conventions.md, 'Certified'). 0 = none of these: "
        "all equilibria found are reported, but completeness is not proved.",
    ),
    "range_lo_alone": (
        "bargaining range low end, D alone",
        _RANGE,
        "Full information, no ally: p - c_D, clipped to [0, 1].",
    ),
    "range_hi_alone": (
        "bargaining range high end, D alone",
        _RANGE,
        "Full information, no ally: p + c at the challenger's cost c (mean by default).",
    ),
    "range_lo_joint": ("bargaining range low end, D and ally", _RANGE, "Full information, ally fights: p'_1 - c_D'."),
    "range_hi_joint": (
        "bargaining range high end, D and ally",
        _RANGE,
        "Full information, ally fights: p'_1 + c + Δ_C.",
    ),
    "nc_branch": (
        "no-challenge branch exists",
        "1",
        "True where a reported equilibrium's crisis also has the excluded 'nobody challenges' weak PBE "
        "(W < 0 and G(τ) = 0 < G(τ + b_C); CRISIS.md §2.3). It fails a challenger-D1 test and is not reported.",
    ),
    "bluff_mass_free": (
        "bluff mass not pinned",
        "1",
        "b_C = 0: bluffers are indifferent, so the bluff mass is not pinned; its b_C -> 0+ limit g|W| is "
        "reported (CRISIS.md §2.3).",
    ),
    "belief_no_option": (
        "belief A intervenes, no alliance option",
        "1",
        "No-option benchmark (A cannot ally; docs/MODEL.md §14): the prior share of types that intervene, "
        "Pr(θ >= t_0).",
    ),
    "crisis_regime_no_option": (
        "crisis regime, no alliance option",
        "1",
        "How the crisis is played in the no-option benchmark, at the prior belief (CRISIS.md §2.3).",
    ),
    "prob_challenge_no_option": (
        "probability of challenge, no alliance option",
        "1",
        "Pr(challenge) in the benchmark game in which no alliance can be formed (bluffs included).",
    ),
    "prob_war_no_option": (
        "probability of war, no alliance option",
        "1",
        "Pr(war) in the benchmark game in which no alliance can be formed.",
    ),
    "prob_concession_no_option": (
        "probability D concedes, no alliance option",
        "1",
        "Pr(D concedes) in the benchmark game in which no alliance can be formed.",
    ),
    "immediate_deterrence_no_option": (
        "immediate deterrence success, no alliance option",
        "1",
        "Pr(C backs down | D resisted) in the benchmark game; NaN if D never resists.",
    ),
    "utility_ally_no_option": (
        "ally's expected utility, no alliance option",
        "utility",
        "E_θ[θ - Λ_0(θ)] at the prior belief: A's ex-ante payoff when no alliance can be formed.",
    ),
    "utility_defender_no_option": (
        "defender's expected utility, no alliance option",
        "share of the good",
        "D's ex-ante payoff when no alliance can be formed: 1 - X - P^war (1 - W).",
    ),
    "utility_challenger_no_option": (
        "challenger's expected utility, no alliance option",
        "share of the good",
        "C's ex-ante payoff (over its war cost) when no alliance can be formed.",
    ),
    "kind": ("equilibrium kind", "1", "Kind of equilibrium; see flag_values / flag_meanings; -1 = no equilibrium."),
    "cutpoint": ("cutpoint θ*", "utility", "Types above θ* ally (NaN for a two-type ally)."),
    "prob_alliance": ("probability of alliance", "1", "Ex-ante probability that A forms the alliance."),
    "belief_alliance": (
        "belief A intervenes, given alliance",
        "1",
        "q_1: share of allied types that honour the alliance (NaN if off path).",
    ),
    "belief_no_alliance": (
        "belief A intervenes, given no alliance",
        "1",
        "q_0: share of non-allied types that intervene anyway (NaN if off path).",
    ),
    "prob_challenge_alliance": (
        "probability of challenge, given alliance",
        "1",
        "Pr(challenge | alliance), bluffing challengers included (CRISIS.md §5: m_A + m_B). Where A1 holds "
        "every challenge is a war and this is MODEL.md's P_1 = G(τ_1). NaN if off path.",
    ),
    "prob_challenge_no_alliance": (
        "probability of challenge, given no alliance",
        "1",
        "Pr(challenge | no alliance), bluffing challengers included; MODEL.md's P_0 = G(τ_0) where A1 "
        "holds. NaN if off path.",
    ),
    "prob_war": (
        "probability of war",
        "1",
        "Pr(war) = Σ_α Pr(α)·Pr(war | α) (CRISIS.md §5). Where A1 holds every challenge is a war and this is "
        "MODEL.md's prob_alliance·P_1 + (1 - prob_alliance)·P_0; where D may concede it is below "
        "prob_challenge.",
    ),
    "prob_renege": (
        "probability the ally reneges",
        "1",
        "1 - q_1: the ally stays out given allied and D attacked (NaN if no alliance).",
    ),
    "range_lo_alliance": (
        "bargaining range low end after alliance",
        _RANGE,
        "W_1 = q_1 (p'_1 - c_D') + (1 - q_1)(p - c_D), clipped to [0, 1] (unclipped: defender_war_value_alliance).",
    ),
    "range_hi_alliance": ("bargaining range high end after alliance", _RANGE, "p + c + q_1 M_1, clipped."),
    "range_lo_no_alliance": (
        "bargaining range low end without alliance",
        _RANGE,
        "W_0 = q_0 (p'_0 - c_D') + (1 - q_0)(p - c_D), clipped (unclipped: defender_war_value_no_alliance).",
    ),
    "range_hi_no_alliance": ("bargaining range high end without alliance", _RANGE, "p + c + q_0 M_0, clipped."),
    "stable": ("stable", "1", "Stable under best-response dynamics (interior: Φ'(θ*) > 0)."),
    "ic_ok": ("survives the Intuitive Criterion", "1", "True where no off-path signal or it survives IC."),
    "d1_ok": ("survives D1", "1", "True where no off-path signal or it survives D1."),
    "selected": (
        "selected equilibrium",
        "1",
        "One per point: prefer D1 survivors, then stable, then highest probability of alliance.",
    ),
    "degenerate": ("degenerate", "1", "A tangency (Φ'(θ*) ≈ 0): not robust to small parameter changes."),
    "gain_increasing": (
        "ally's gain increasing in its type",
        "1",
        "Gain(θ) = P_0 L_0 - P_1 L_1 - k nondecreasing in θ at this equilibrium's challenge "
        "probabilities (MODEL.md §6 single crossing; checked, not assumed, e.g. for "
        "p_alliance > p_coalition).",
    ),
    "pinned": (
        "D-pinned equilibrium",
        "1",
        "The cut-point is locked at a crisis-regime boundary where D mixes (on the W0 or Cb segment) and "
        "D's concession probability absorbs k (CRISIS.md §3.3).",
    ),
    "crisis_regime_alliance": (
        "crisis regime after an alliance",
        "1",
        "How the crisis after an alliance is played at belief q_1 (CRISIS.md §2.3); -1 = off path.",
    ),
    "crisis_regime_no_alliance": (
        "crisis regime without an alliance",
        "1",
        "How the crisis without an alliance is played at belief q_0 (CRISIS.md §2.3); -1 = off path.",
    ),
    "prob_concede_alliance": (
        "probability D concedes a challenge after an alliance",
        "1",
        "Pr(D concedes | challenge, an alliance) = ρ (NaN if nobody challenges). NaN if off path.",
    ),
    "prob_concede_no_alliance": (
        "probability D concedes a challenge after no alliance",
        "1",
        "Pr(D concedes | challenge, no alliance) = ρ (NaN if nobody challenges). NaN if off path.",
    ),
    "prob_war_alliance": (
        "probability of war, given an alliance",
        "1",
        "Pr(war | an alliance) = (1 - ρ) m_A. NaN if off path.",
    ),
    "prob_war_no_alliance": (
        "probability of war, given no alliance",
        "1",
        "Pr(war | no alliance) = (1 - ρ) m_A. NaN if off path.",
    ),
    "prob_concession_alliance": (
        "probability D concedes, given an alliance",
        "1",
        "Pr(D concedes | an alliance) = ρ·Pr(challenge | an alliance). NaN if off path.",
    ),
    "prob_concession_no_alliance": (
        "probability D concedes, given no alliance",
        "1",
        "Pr(D concedes | no alliance) = ρ·Pr(challenge | no alliance). NaN if off path.",
    ),
    "prob_backdown_alliance": (
        "probability C backs down, given an alliance",
        "1",
        "Pr(C backs down | an alliance) = (1 - ρ) m_B. NaN if off path.",
    ),
    "prob_backdown_no_alliance": (
        "probability C backs down, given no alliance",
        "1",
        "Pr(C backs down | no alliance) = (1 - ρ) m_B. NaN if off path.",
    ),
    "immediate_deterrence_alliance": (
        "immediate deterrence success, given an alliance",
        "1",
        "Pr(C backs down | D resisted, an alliance) = m_B/(m_A + m_B); NaN if D never resists or off path.",
    ),
    "immediate_deterrence_no_alliance": (
        "immediate deterrence success, given no alliance",
        "1",
        "Pr(C backs down | D resisted, no alliance) = m_B/(m_A + m_B); NaN if D never resists or off path.",
    ),
    "general_deterrence_alliance": (
        "general deterrence, given an alliance",
        "1",
        "Pr(no challenge | an alliance) = 1 - Pr(challenge | an alliance). NaN if off path.",
    ),
    "general_deterrence_no_alliance": (
        "general deterrence, given no alliance",
        "1",
        "Pr(no challenge | no alliance) = 1 - Pr(challenge | no alliance). NaN if off path.",
    ),
    "defender_war_value_alliance": (
        "D's war value, given an alliance",
        "share of the good",
        "W = q (p'_α - c_D') + (1 - q)(p - c_D), unclipped: > 0 means D resists (regime resist). NaN if off path.",
    ),
    "defender_war_value_no_alliance": (
        "D's war value, given no alliance",
        "share of the good",
        "W = q (p'_α - c_D') + (1 - q)(p - c_D), unclipped: > 0 means D resists (regime resist). NaN if off path.",
    ),
    "prob_challenge": (
        "probability of challenge",
        "1",
        "Pr(challenge) = Σ_α Pr(α)·Pr(challenge | α), bluffs included; equals prob_war where A1 holds.",
    ),
    "general_deterrence": ("general deterrence", "1", "Pr(no challenge) = 1 - prob_challenge."),
    "prob_concession": ("probability D concedes", "1", "Pr(D concedes) = Σ_α Pr(α)·ρ_α·Pr(challenge | α)."),
    "immediate_deterrence": (
        "immediate deterrence success",
        "1",
        "Pr(C backs down | D resisted) = Σ Pr(α)(1 - ρ_α) m_B,α / Σ Pr(α)(1 - ρ_α) P^ch_α (CRISIS.md §5); "
        "NaN if D never resists.",
    ),
    "prob_status_quo_kept": (
        "probability the status quo is kept",
        "1",
        "1 - prob_war - prob_concession: no challenge, or C backs down.",
    ),
    "effect_war": (
        "effect of the alliance option on war",
        "1",
        "prob_war - prob_war_no_option: negative means the option to ally lowers the probability of war.",
    ),
    "effect_challenge": (
        "effect of the alliance option on challenges",
        "1",
        "prob_challenge - prob_challenge_no_option: negative means the option to ally deters challenges.",
    ),
    "utility_ally": (
        "ally's expected utility",
        "utility",
        "A's ex-ante expected payoff over its type, net of k and r where paid: E_θ[θ - αk - Λ_α(θ)] "
        "(docs/MODEL.md §14).",
    ),
    "utility_defender": (
        "defender's expected utility",
        "share of the good",
        "D's ex-ante expected payoff: Σ_α Pr(α)(1 - X_α - P^war_α (1 - W_α)) (docs/MODEL.md §14).",
    ),
    "utility_challenger": (
        "challenger's expected utility",
        "share of the good",
        "C's ex-ante expected payoff over its war cost (docs/MODEL.md §14).",
    ),
}

#: Categorical outputs -> the engine's list of category names (CF ``flag_values`` 0, 1, ... and
#: ``flag_meanings``; -1 = no equilibrium in that slot).
CATEGORICAL: dict[str, str] = {
    "kind": "KIND_NAMES",
    "crisis_regime_alliance": "REGIME_NAMES",
    "crisis_regime_no_alliance": "REGIME_NAMES",
    "crisis_regime_no_option": "REGIME_NAMES",
}

#: Bit-set outputs -> the engine's list of (mask, name) (CF ``flag_masks`` and ``flag_meanings``).
BITFIELDS: dict[str, str] = {"status": "STATUS_BITS"}
