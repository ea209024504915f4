//! Solving one point: dispatch on the type distribution, collect, order and select.

use crate::continuous::Cutpoints;
use crate::dist::TypeDist;
use crate::equilibrium::Solution;
use crate::error::ModelError;
use crate::params::Params;
use crate::pooling::{pool_alliance, pool_no_alliance, Support};
use crate::two_type;

/// Solve one validated point. `range_cost` is the challenger cost at which bargaining ranges are
/// evaluated (NaN = E[c]). Use [`solve`] for unvalidated input.
pub fn solve_unchecked(params: &Params, range_cost: f64) -> Solution {
    let range_cost = if range_cost.is_nan() { params.cost_c.mean() } else { range_cost };
    let mut out = Solution::new(params, range_cost);
    match params.theta {
        TypeDist::Uniform { lo, hi } => {
            Cutpoints::new(params, lo, hi).interior(range_cost, &mut out);
            let support = Support::Interval { lo, hi };
            pool_no_alliance(params, support, range_cost, hi, &mut out);
            pool_alliance(params, support, range_cost, lo, &mut out);
        }
        TypeDist::TwoPoint { low, high, prior_high } => {
            two_type::solve(params, low, high, prior_high, range_cost, &mut out);
        }
    }
    out.finish();
    out
}

/// Validate and solve one point: every equilibrium of MODEL.md §6-§7 with the outputs of §8.
pub fn solve(params: &Params, range_cost: f64) -> Result<Solution, ModelError> {
    params.validate()?;
    if !(range_cost.is_nan() || range_cost.is_finite()) {
        return Err(ModelError::invalid("range_cost", range_cost, "a finite cost, or NaN for E[c]"));
    }
    Ok(solve_unchecked(params, range_cost))
}
