//! Closed forms of MODEL.md §9: F = U[0,1], G = U[c_lo, c_hi] never clipped, p'_1 = p'_0 = p',
//! 0 <= r < c_A < p' - p.
//!
//! With W = c_hi - c_lo, a = (1 - p - c_lo)/W and b = M/W the challenge probability is affine in
//! the belief, P(q) = a - b q, and Φ has one root formula per region:
//! - I (0 < θ* < t_1, bluff): Φ' = b (1 - t_1)(1 - p + r)/(1 - θ*)² > 0;
//! - II (t_1 <= θ* <= t_0, honest): Φ' = a (1 - p) - (a - b)(1 - p') > 0;
//! - III (t_0 < θ* < 1, honest): Φ' = -b t_0 c_A/θ*² < 0.
//!
//! Poolings and their refinements come from the shared pooling code.

use crate::error::ModelError;
use crate::model::dist::{CostDist, TypeDist};
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::resolve_range_cost;
use crate::model::params::Params;
use crate::solvers::cutpoint_map::DEGENERATE_SLOPE;
use crate::solvers::pooling::{pool_alliance, pool_no_alliance, Support};

/// Roots closer than this are one root (a root on a region boundary is found twice).
const MERGE_TOL: f64 = 1e-9;

fn outside(name: &'static str, value: f64, requirement: impl Into<String>) -> ModelError {
    ModelError::OutsideAssumptions { method: "closed_form", name, value, requirement: requirement.into(), index: None }
}

/// Check the assumptions of MODEL.md §9; the error names the first one violated.
pub fn check(params: &Params) -> Result<(), ModelError> {
    match params.theta {
        TypeDist::Uniform { lo, hi } => {
            if lo != 0.0 {
                return Err(outside("theta.lo", lo, "theta ~ Uniform(0, 1) (MODEL.md §9)"));
            }
            if hi != 1.0 {
                return Err(outside("theta.hi", hi, "theta ~ Uniform(0, 1) (MODEL.md §9)"));
            }
        }
        TypeDist::TwoPoint { .. } => {
            return Err(outside("theta_kind", 1.0, "theta ~ Uniform(0, 1), not a two-point type (MODEL.md §9)"));
        }
    }
    let pp = params.p_alliance;
    if params.p_coalition != pp {
        return Err(outside(
            "p_coalition",
            params.p_coalition,
            format!("p_coalition == p_alliance = {pp} (MODEL.md §9)"),
        ));
    }
    if params.r >= params.c_a {
        return Err(outside("r", params.r, format!("0 <= r < c_a = {} (MODEL.md §9)", params.c_a)));
    }
    if params.c_a >= pp - params.p {
        return Err(outside("c_a", params.c_a, format!("c_a < p_alliance - p = {} (MODEL.md §9)", pp - params.p)));
    }
    let (c_lo, c_hi) = match params.cost_c {
        CostDist::Uniform { lo, hi } => (lo, hi),
        CostDist::Logistic { .. } => {
            return Err(outside("cost_kind", 1.0, "cost_c ~ Uniform(c_lo, c_hi), not logistic (MODEL.md §9)"))
        }
        CostDist::Normal { .. } => {
            return Err(outside("cost_kind", 2.0, "cost_c ~ Uniform(c_lo, c_hi), not normal (MODEL.md §9)"))
        }
    };
    // Never clipped: every threshold τ = (1 - p) - q M, q in [0, 1], lies in [c_lo, c_hi].
    let top = 1.0 - params.p;
    let bottom = top - params.war_shift(true);
    if c_lo > bottom {
        return Err(outside(
            "cost_c.lo",
            c_lo,
            format!("an unclipped G: cost_c.lo <= 1 - p - (p_alliance - p + c_c_extra) = {bottom} (MODEL.md §9)"),
        ));
    }
    if c_hi < top {
        return Err(outside("cost_c.hi", c_hi, format!("an unclipped G: cost_c.hi >= 1 - p = {top} (MODEL.md §9)")));
    }
    Ok(())
}

/// Solve a point that passed [`check`] (results are meaningless otherwise).
pub fn solve_unchecked(params: &Params, range_cost: f64) -> Solution {
    let range_cost = resolve_range_cost(params, range_cost);
    let mut out = Solution::new(params, range_cost);
    let CostDist::Uniform { lo: c_lo, hi: c_hi } = params.cost_c else {
        return out;
    };
    let (p, pp, c_a, k, r) = (params.p, params.p_alliance, params.c_a, params.k, params.r);
    let w = c_hi - c_lo;
    let a = (1.0 - p - c_lo) / w;
    let b = params.war_shift(true) / w;
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let s = 1.0 - p;

    let mut roots: [(f64, f64); 3] = [(f64::NAN, f64::NAN); 3];
    let mut n = 0;
    let mut push = |u: f64, slope: f64| {
        if u > 0.0 && u < 1.0 && !roots[..n].iter().any(|(v, _)| (v - u).abs() < MERGE_TOL) {
            roots[n] = (u, slope);
            n += 1;
        }
    };
    // Region II first so that a root on t_1 or t_0 keeps its honest label.
    let den2 = a * s - (a - b) * (1.0 - pp);
    let th2 = (k + (a - b) * c_a) / den2;
    if th2 >= t1 && th2 <= t0 {
        push(th2, den2);
    }
    let th1 = (k + a * r - b * r * (1.0 - t1)) / (k + a * r + b * s * (1.0 - t1));
    if th1 < t1 {
        push(th1, b * (1.0 - t1) * (s + r) / ((1.0 - th1) * (1.0 - th1)));
    }
    let den3 = k - b * t0 * (1.0 - pp);
    if den3 != 0.0 {
        let th3 = b * t0 * c_a / den3;
        if th3 > t0 {
            push(th3, -b * t0 * c_a / (th3 * th3));
        }
    }
    for &(u, slope) in &roots[..n] {
        let kind = if u >= t1 { Kind::CutpointHonest } else { Kind::CutpointBluff };
        let q1 = (1.0 - t1.max(u)) / (1.0 - u);
        let q0 = (u - t0).max(0.0) / u;
        let flags = Flags { stable: slope > 0.0, ic_ok: true, d1_ok: true, degenerate: slope.abs() < DEGENERATE_SLOPE };
        out.push(Equilibrium::new(params, range_cost, kind, u, 1.0 - u, Some(q1), Some(q0), flags));
    }
    let support = Support::Interval { lo: 0.0, hi: 1.0 };
    pool_no_alliance(params, support, range_cost, 1.0, &mut out);
    pool_alliance(params, support, range_cost, 0.0, &mut out);
    out.finish();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_e2() {
        let params = Params { k: 0.03, ..Params::default() };
        check(&params).expect("E2 satisfies §9");
        let sol = solve_unchecked(&params, f64::NAN);
        let eqs = sol.equilibria();
        let bluff = eqs.iter().find(|e| e.kind == Kind::CutpointBluff).expect("bluff equilibrium");
        assert!((bluff.cutpoint - 41.0 / 195.0).abs() < 1e-12);
        assert!((bluff.belief_alliance - 39.0 / 44.0).abs() < 1e-12);
        assert!(bluff.flags.stable);
    }

    #[test]
    fn refuses_outside_assumptions() {
        let params = Params { p_coalition: 0.6, ..Params::default() };
        assert!(matches!(check(&params), Err(ModelError::OutsideAssumptions { name: "p_coalition", .. })));
        let params = Params { r: 0.2, ..Params::default() };
        assert!(matches!(check(&params), Err(ModelError::OutsideAssumptions { name: "r", .. })));
        // U[0,1] costs are clipped in the base case? τ in [0.2, 0.6]: no, they are inside.
        let params = Params { cost_c: CostDist::Uniform { lo: 0.3, hi: 1.0 }, ..Params::default() };
        assert!(matches!(check(&params), Err(ModelError::OutsideAssumptions { name: "cost_c.lo", .. })));
    }
}
