//! Checks on reported equilibria that MODEL.md asks for rather than assumes.

use crate::model::crisis::Crisis;
use crate::model::dist::TypeDist;
use crate::model::equilibrium::Equilibrium;
use crate::model::params::Params;

const TOL: f64 = 1e-12;

/// Whether Gain(θ; P_0, P_1) is nondecreasing over the ally's type support at this
/// equilibrium's challenge probabilities (MODEL.md §6 "Single crossing": proved for
/// p_alliance = p_coalition with P_1 < P_0, checked everywhere else). An off-path signal takes the
/// pessimistic belief that sustains a pooling. Gain is piecewise linear in θ with kinks at t_1
/// and t_0, so the slopes of the pieces that meet the support decide.
pub fn gain_increasing(params: &Params, eq: &Equilibrium) -> bool {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let (lo, hi) = match params.theta {
        TypeDist::Uniform { lo, hi } => (lo, hi),
        TypeDist::TwoPoint { low, high, .. } => (low, high),
    };
    let indicator = |b: bool| f64::from(u8::from(b));
    let p1 = if eq.prob_challenge_alliance.is_nan() {
        params.prob_challenge(true, indicator(lo >= t1))
    } else {
        eq.prob_challenge_alliance
    };
    let p0 = if eq.prob_challenge_no_alliance.is_nan() {
        params.prob_challenge(false, indicator(lo >= t0))
    } else {
        eq.prob_challenge_no_alliance
    };
    match params.theta {
        TypeDist::TwoPoint { .. } => params.gain(hi, p0, p1) - params.gain(lo, p0, p1) >= -TOL,
        TypeDist::Uniform { .. } => {
            let s = 1.0 - params.p;
            let below_t1 = lo >= t1 || (p0 - p1) * s >= -TOL;
            let between = !(t1 < hi && t0 > lo && t1 < t0) || p0 * s - p1 * (1.0 - params.p_alliance) >= -TOL;
            let above_t0 = t0 >= hi || p0 * (1.0 - params.p_coalition) - p1 * (1.0 - params.p_alliance) >= -TOL;
            below_t1 && between && above_t0
        }
    }
}

/// [`gain_increasing`] for an equilibrium of the crisis model: Gain(θ) = Λ_0(θ) - Λ_1(θ) - k
/// with Λ_α(θ) = X_α θ + P^war_α L_α(θ) (CRISIS.md §3.1) nondecreasing over the support. An
/// off-path signal takes the crisis at the pessimistic belief (the lowest type's), as above.
/// Gain is piecewise linear in θ with kinks at t_1 and t_0, so comparing it at consecutive
/// kinks decides.
pub fn gain_increasing_crisis(params: &Params, eq: &Equilibrium) -> bool {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let (lo, hi) = match params.theta {
        TypeDist::Uniform { lo, hi } => (lo, hi),
        TypeDist::TwoPoint { low, high, .. } => (low, high),
    };
    let indicator = |b: bool| f64::from(u8::from(b));
    let crisis = |alliance: bool, t: f64| {
        eq.crisis(alliance).copied().unwrap_or_else(|| Crisis::new(params, alliance).at(indicator(lo >= t)))
    };
    let (c1, c0) = (crisis(true, t1), crisis(false, t0));
    let gain = |theta: f64| {
        c0.ally_loss(theta, params.loss(false, theta)) - c1.ally_loss(theta, params.loss(true, theta)) - params.k
    };
    let mut points = [lo, t1.clamp(lo, hi), t0.clamp(lo, hi), hi];
    points.sort_by(f64::total_cmp);
    match params.theta {
        TypeDist::TwoPoint { .. } => gain(hi) - gain(lo) >= -TOL,
        TypeDist::Uniform { .. } => points.windows(2).all(|w| gain(w[1]) - gain(w[0]) >= -TOL * (1.0 + w[1] - w[0])),
    }
}
