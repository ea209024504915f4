//! Two-type ally (MODEL.md §7), the `roots` way: the one-type-mixing profiles (hybrids), with σ
//! pinned by the mixer's indifference solved in closed form through G's inverse. The pure
//! profiles are shared with the other solvers (`solvers::two_type`).

use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::solvers::certify::gain_margin;
use crate::solvers::two_type::{pure_profiles, types, Type};

/// Relative closeness to an end of (0, 1) of a mixing probability or of the challenge
/// probability an indifference pins down, below which a hybrid's existence is not certified
/// (far above the rounding of these closed forms: docs/conventions.md, "Certified").
const EDGE: f64 = 1e-9;

pub(crate) fn solve(params: &Params, low: f64, high: f64, prior_high: f64, range_cost: f64, out: &mut Solution) {
    // Every profile is enumerated and solved in closed form: nothing is searched, so the point
    // is certified unless a decision falls within rounding of its threshold.
    out.begin_certified();
    pure_profiles(params, low, high, prior_high, range_cost, out);
    let (lo_t, hi_t) = types(params, low, high, prior_high);

    // One type mixes, the other plays a pure strategy.
    for (mixer, other) in [(lo_t, hi_t), (hi_t, lo_t)] {
        for other_allies in [true, false] {
            mixed(params, mixer, other, other_allies, range_cost, out);
        }
    }
}

/// The profile where `mixer` allies with probability σ in (0, 1) and `other` allies surely
/// (`other_allies`) or never. Only the belief after the signal both types send depends on σ;
/// σ is pinned down by the mixer's indifference.
pub(crate) fn mixed(
    params: &Params,
    mixer: Type,
    other: Type,
    other_allies: bool,
    range_cost: f64,
    out: &mut Solution,
) {
    let g = &params.cost_c;
    let s = 1.0 - params.p;
    let (q1, q0, sigma, stable);
    if other_allies {
        // Non-allied types are all mixers: q_0 fixed. q_1 varies with σ iff h differs.
        if mixer.honours == other.honours {
            return;
        }
        q0 = mixer.intervenes;
        let p0 = params.prob_challenge(false, q0);
        let l1 = params.loss(true, mixer.theta);
        if l1 <= 0.0 {
            return;
        }
        let p1_star = (p0 * params.loss(false, mixer.theta) - params.k) / l1;
        if near_edge(p1_star) {
            out.doubt();
        }
        if !(p1_star > 0.0 && p1_star < 1.0) {
            return;
        }
        q1 = (s - g.quantile(p1_star)) / params.war_shift(true);
        // q_1 = (w_o h_o + w_m σ h_m)/(w_o + w_m σ)  =>  σ = w_o (h_o - q_1)/(w_m (q_1 - h_m)).
        sigma = other.weight * (other.honours - q1) / (mixer.weight * (q1 - mixer.honours));
        stable = mixer.honours < other.honours;
    } else {
        // Allied types are all mixers: q_1 fixed. q_0 varies with σ iff g differs.
        if mixer.intervenes == other.intervenes {
            return;
        }
        q1 = mixer.honours;
        let p1 = params.prob_challenge(true, q1);
        let l0 = params.loss(false, mixer.theta);
        if l0 <= 0.0 {
            return;
        }
        let p0_star = (p1 * params.loss(true, mixer.theta) + params.k) / l0;
        if near_edge(p0_star) {
            out.doubt();
        }
        if !(p0_star > 0.0 && p0_star < 1.0) {
            return;
        }
        q0 = (s - g.quantile(p0_star)) / params.war_shift(false);
        // q_0 = (w_o g_o + w_m x g_m)/(w_o + w_m x) with x = 1 - σ.
        let x = other.weight * (other.intervenes - q0) / (mixer.weight * (q0 - mixer.intervenes));
        sigma = 1.0 - x;
        stable = mixer.intervenes < other.intervenes;
    }
    if near_edge(sigma) {
        out.doubt();
    }
    if !(sigma > 0.0 && sigma < 1.0) {
        return;
    }
    let (p0, p1) = (params.prob_challenge(false, q0), params.prob_challenge(true, q1));
    let g_other = params.gain(other.theta, p0, p1);
    if g_other.abs() <= gain_margin(params, other.theta.max(mixer.theta), p0, p1) {
        out.doubt();
    }
    let other_ok = if other_allies { g_other >= 0.0 } else { g_other <= 0.0 };
    if !other_ok {
        return;
    }
    let prob_alliance = mixer.weight * sigma + if other_allies { other.weight } else { 0.0 };
    let flags = Flags { stable, ic_ok: true, d1_ok: true, degenerate: false };
    out.push(Equilibrium::new(params, range_cost, Kind::Hybrid, f64::NAN, prob_alliance, Some(q1), Some(q0), flags));
}

/// Whether x lies within [`EDGE`] of 0 or 1 (the ends of the open interval it must lie in).
fn near_edge(x: f64) -> bool {
    x.abs() <= EDGE || (x - 1.0).abs() <= EDGE
}
