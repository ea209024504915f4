//! Pooling equilibria and their refinements (MODEL.md §6 "Pooling", docs/conventions.md).
//!
//! The same code serves the continuous ally (types fill [lo, hi]) and the two-type ally (types
//! {θ_L, θ_H}): all it needs is the type support, the share of types at or above a threshold,
//! and the extremes of Gain over the support. For fixed challenge probabilities Gain is
//! piecewise linear in θ with kinks only at t_1 and t_0, so its extremes over an interval sit at
//! the interval's ends or at those kinks.

use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::solvers::certify::gain_margin;

/// The support of the ally's type distribution.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Support {
    /// θ ~ Uniform(lo, hi).
    Interval { lo: f64, hi: f64 },
    /// θ ∈ {low, high}, Pr(high) = prior_high.
    Points { low: f64, high: f64, prior_high: f64 },
}

impl Support {
    pub(crate) fn lowest(&self) -> f64 {
        match *self {
            Support::Interval { lo, .. } => lo,
            Support::Points { low, .. } => low,
        }
    }

    pub(crate) fn highest(&self) -> f64 {
        match *self {
            Support::Interval { hi, .. } => hi,
            Support::Points { high, .. } => high,
        }
    }

    /// Pr(θ >= t): the share of types that would intervene at threshold t.
    pub(crate) fn share_at_least(&self, t: f64) -> f64 {
        match *self {
            Support::Interval { lo, hi } => (hi - t.clamp(lo, hi)) / (hi - lo),
            Support::Points { low, high, prior_high } => {
                f64::from(u8::from(high >= t)) * prior_high + f64::from(u8::from(low >= t)) * (1.0 - prior_high)
            }
        }
    }

    /// Max (or min, with `sign = -1`) of Gain(θ; P_0, P_1) over types θ <= `upto`
    /// (all types when `upto` = +inf). `None` when no type qualifies.
    fn extreme_gain(&self, params: &Params, p0: f64, p1: f64, upto: f64, sign: f64) -> Option<f64> {
        let mut best: Option<f64> = None;
        let mut consider = |theta: f64| {
            let g = sign * params.gain(theta, p0, p1);
            best = Some(best.map_or(g, |b: f64| b.max(g)));
        };
        match *self {
            Support::Interval { lo, hi } => {
                let end = hi.min(upto);
                if end < lo {
                    return None;
                }
                consider(lo);
                consider(end);
                for kink in [params.threshold(true), params.threshold(false)] {
                    if kink > lo && kink < end {
                        consider(kink);
                    }
                }
            }
            Support::Points { low, high, .. } => {
                for theta in [low, high] {
                    if theta <= upto {
                        consider(theta);
                    }
                }
            }
        }
        best.map(|b| sign * b)
    }

    fn max_gain(&self, params: &Params, p0: f64, p1: f64) -> f64 {
        self.extreme_gain(params, p0, p1, f64::INFINITY, 1.0).unwrap_or(f64::NEG_INFINITY)
    }

    fn min_gain(&self, params: &Params, p0: f64, p1: f64) -> f64 {
        self.extreme_gain(params, p0, p1, f64::INFINITY, -1.0).unwrap_or(f64::INFINITY)
    }

    /// Whether some type strictly below `t` has sign·Gain >= 0 (for "Θ** contains a type below t").
    fn some_type_below(&self, params: &Params, p0: f64, p1: f64, t: f64, sign: f64) -> bool {
        match *self {
            Support::Interval { lo, .. } if t <= lo => false,
            Support::Interval { .. } => self.extreme_gain(params, p0, p1, t, sign).is_some_and(|g| sign * g >= 0.0),
            Support::Points { low, high, .. } => {
                [low, high].into_iter().any(|th| th < t && sign * params.gain(th, p0, p1) >= 0.0)
            }
        }
    }
}

fn indicator(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Pooling on no alliance: every type stays out of an alliance (u = highest type).
pub(crate) fn pool_no_alliance(params: &Params, support: Support, range_cost: f64, cutpoint: f64, out: &mut Solution) {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let q0 = support.share_at_least(t0);
    let p0 = params.prob_challenge(false, q0);
    let p1_at = |q: f64| params.prob_challenge(true, q);
    // PBE: the pessimistic off-path belief (deviation by the lowest type) deters every type.
    let q_pess = indicator(support.lowest() >= t1);
    let (p1_pess, top) = (p1_at(q_pess), support.max_gain(params, p0, p1_at(q_pess)));
    if top.abs() <= gain_margin(params, support.highest(), p0, p1_pess) {
        out.doubt(); // existence within rounding of its threshold
    }
    if top > 0.0 {
        return;
    }
    // D1: the highest type has the most to gain from allying.
    let g_d1 = params.gain(support.highest(), p0, p1_at(indicator(support.highest() >= t1)));
    // Intuitive Criterion.
    let p1_best = p1_at(1.0);
    let ic_ok = if support.max_gain(params, p0, p1_best) < 0.0 {
        true
    } else {
        let q_min = if support.some_type_below(params, p0, p1_best, t1, 1.0) { 0.0 } else { 1.0 };
        support.max_gain(params, p0, p1_at(q_min)) <= 0.0
    };
    let flags = Flags { stable: g_d1 < 0.0, ic_ok, d1_ok: g_d1 <= 0.0, degenerate: false };
    out.push(Equilibrium::new(params, range_cost, Kind::PoolNoAlliance, cutpoint, 0.0, None, Some(q0), flags));
}

/// Pooling on alliance: every type allies (u = lowest type).
pub(crate) fn pool_alliance(params: &Params, support: Support, range_cost: f64, cutpoint: f64, out: &mut Solution) {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let q1 = support.share_at_least(t1);
    let p1 = params.prob_challenge(true, q1);
    let p0_at = |q: f64| params.prob_challenge(false, q);
    // PBE: the pessimistic belief after no alliance (the lowest type) makes every type ally.
    let q0_pess = indicator(support.lowest() >= t0);
    let p0_pess = p0_at(q0_pess);
    let bottom = support.min_gain(params, p0_pess, p1);
    if bottom.abs() <= gain_margin(params, support.highest(), p0_pess, p1) {
        out.doubt();
    }
    if bottom < 0.0 {
        return;
    }
    // D1 puts the deviation on the lowest type: the same belief as the pessimistic one.
    let g_d1 = params.gain(support.lowest(), p0_pess, p1);
    let p0_best = p0_at(1.0);
    let ic_ok = if support.min_gain(params, p0_best, p1) > 0.0 {
        true
    } else {
        let q0_min = if support.some_type_below(params, p0_best, p1, t0, -1.0) { 0.0 } else { 1.0 };
        support.min_gain(params, p0_at(q0_min), p1) >= 0.0
    };
    let flags = Flags { stable: g_d1 > 0.0, ic_ok, d1_ok: true, degenerate: false };
    out.push(Equilibrium::new(params, range_cost, Kind::PoolAlliance, cutpoint, 1.0, Some(q1), None, flags));
}
