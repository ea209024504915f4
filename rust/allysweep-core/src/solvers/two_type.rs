//! Two-type ally θ ∈ {θ_L, θ_H} (MODEL.md §7): enumerate the pure and one-type-mixing profiles
//! and keep those where every type best-responds and beliefs follow Bayes' rule.

use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::solvers::certify::gain_margin;
use crate::solvers::pooling::{pool_alliance, pool_no_alliance, Support};

fn indicator(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// One type of the ally: its value, prior weight, and whether it honours (h) an alliance /
/// intervenes without one (g).
#[derive(Clone, Copy)]
pub(crate) struct Type {
    pub(crate) theta: f64,
    pub(crate) weight: f64,
    pub(crate) honours: f64,
    pub(crate) intervenes: f64,
}

/// The low and the high type of a two-point ally.
pub(crate) fn types(params: &Params, low: f64, high: f64, prior_high: f64) -> (Type, Type) {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let make = |theta: f64, weight: f64| Type {
        theta,
        weight,
        honours: indicator(theta >= t1),
        intervenes: indicator(theta >= t0),
    };
    (make(low, 1.0 - prior_high), make(high, prior_high))
}

/// The pure profiles: both poolings and both separating profiles (every solver variant shares
/// them; they differ in how they find the mixed ones).
pub(crate) fn pure_profiles(
    params: &Params,
    low: f64,
    high: f64,
    prior_high: f64,
    range_cost: f64,
    out: &mut Solution,
) {
    let (lo_t, hi_t) = types(params, low, high, prior_high);
    let support = Support::Points { low, high, prior_high };
    pool_no_alliance(params, support, range_cost, f64::NAN, out);
    pool_alliance(params, support, range_cost, f64::NAN, out);
    // Separating profiles: one type allies, the other does not.
    for (ally, other) in [(hi_t, lo_t), (lo_t, hi_t)] {
        let q1 = ally.honours;
        let q0 = other.intervenes;
        let (p0, p1) = (params.prob_challenge(false, q0), params.prob_challenge(true, q1));
        let (g_ally, g_other) = (params.gain(ally.theta, p0, p1), params.gain(other.theta, p0, p1));
        let margin = gain_margin(params, ally.theta.max(other.theta), p0, p1);
        // A separating profile decided within rounding of indifference is not certified.
        if (g_ally.abs() <= margin && g_other <= margin) || (g_other.abs() <= margin && g_ally >= -margin) {
            out.doubt();
        }
        if g_ally >= 0.0 && g_other <= 0.0 {
            let flags = Flags { stable: g_ally > 0.0 && g_other < 0.0, ic_ok: true, d1_ok: true, degenerate: false };
            let eq = Equilibrium::new(
                params,
                range_cost,
                Kind::Separating,
                f64::NAN,
                ally.weight,
                Some(q1),
                Some(q0),
                flags,
            );
            out.push(eq);
        }
    }
}
