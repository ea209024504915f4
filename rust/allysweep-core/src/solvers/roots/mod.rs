//! The default solver, `roots`: every equilibrium of one point by exact root finding on Φ
//! (MODEL.md §6-§7). Continuous types: interior cut-points ([`interior`]) and both poolings;
//! two types: the pure profiles and the hybrids ([`hybrid`]). Where A1 fails, the crisis model's
//! cut-point path ([`crisis`]).

mod crisis;
mod hybrid;
mod interior;

pub(crate) use crisis::{
    hybrid_vanishing as crisis_hybrid_vanishing, vanishing_intervals as crisis_vanishing_intervals,
};
pub(crate) use hybrid::mixed as hybrid_mixed;
pub(crate) use interior::vanishing_intervals;

use crate::model::dist::TypeDist;
use crate::model::equilibrium::Solution;
use crate::model::params::{resolve_range_cost, Params};
use crate::solvers::pooling::{pool_alliance, pool_no_alliance, Support};

/// Solve one validated point. `range_cost` is the challenger cost at which bargaining ranges are
/// evaluated (NaN = E[c]). Validation is the caller's ([`crate::Method::solve`]).
pub fn solve_unchecked(params: &Params, range_cost: f64) -> Solution {
    let range_cost = resolve_range_cost(params, range_cost);
    let mut out = Solution::new(params, range_cost);
    // Which types intervene decides beliefs discontinuously: a type within rounding of a
    // threshold leaves them unsettled (the continuous ally's pessimistic beliefs use its lowest
    // type; its thresholds inside the support are kinks, which the root search handles).
    let unsettled = |theta: f64| {
        [params.threshold(true), params.threshold(false)]
            .into_iter()
            .any(|t| (theta - t).abs() <= 1e-14 * (1.0 + theta.abs()))
    };
    let unsettled_types = match params.theta {
        TypeDist::Uniform { lo, .. } => unsettled(lo),
        TypeDist::TwoPoint { low, high, .. } => unsettled(low) || unsettled(high),
    };
    if !params.a1_holds() {
        match params.theta {
            TypeDist::Uniform { lo, hi } => crisis::continuous(params, lo, hi, range_cost, &mut out),
            TypeDist::TwoPoint { low, high, prior_high } => {
                crisis::two_type(params, low, high, prior_high, range_cost, &mut out)
            }
        }
        if unsettled_types {
            out.doubt();
        }
        out.finish();
        out.mark_nc_branch(params);
        return out;
    }
    match params.theta {
        TypeDist::Uniform { lo, hi } => {
            out.begin_certified();
            let complete = interior::Interior::new(params, lo, hi).interior(range_cost, &mut out);
            if !complete {
                out.doubt();
            }
            let support = Support::Interval { lo, hi };
            pool_no_alliance(params, support, range_cost, hi, &mut out);
            pool_alliance(params, support, range_cost, lo, &mut out);
        }
        TypeDist::TwoPoint { low, high, prior_high } => {
            hybrid::solve(params, low, high, prior_high, range_cost, &mut out);
        }
    }
    if unsettled_types {
        out.doubt();
    }
    out.finish();
    out
}
