//! The one entry point to every solver: [`Method`] names a variant (MODEL.md §11) and solves a
//! point ([`Method::solve`]) or a batch ([`Method::solve_batch`]). The solvers themselves live in
//! [`crate::solvers`], one module each.

use crate::batch::{solve_batch_with, BatchInput, BatchOutput};
use crate::error::ModelError;
use crate::model::equilibrium::Solution;
use crate::model::params::{check_range_cost, Params};
use crate::solvers::{belief_space, closed_form, qre, roots};

/// The largest QRE precision accepted. Beyond it the continuation loses precision (and at 1e12
/// took minutes per point where 1e8 takes a fraction of a second); 1e8 already reaches the
/// λ -> ∞ limit to about 1e-8.
pub const MAX_LAM: f64 = 1e10;

/// The domain of `lam`, in words (the binding and the Python checks say the same).
pub const LAM_DOMAIN: &str = "lam >= 0 and lam <= 1e10 (finite; 1e8 already reaches the λ -> ∞ limit to ~1e-8)";

/// A solver variant, as chosen by the `method` argument of the public API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Exact roots of Φ (the default; [`crate::solvers::roots`]).
    Roots,
    /// Closed forms of MODEL.md §9.
    ClosedForm,
    /// Fixed points in (P_0, P_1).
    BeliefSpace,
    /// Logit agent QRE at precision `lam` (>= 0).
    Qre { lam: f64 },
}

impl Method {
    /// Public names accepted by [`Method::from_name`].
    pub const NAMES: [&'static str; 4] = ["roots", "closed_form", "belief_space", "qre"];

    /// The method called `name`; `lam` is used by `qre` only.
    pub fn from_name(name: &str, lam: f64) -> Result<Self, ModelError> {
        let method = match name {
            "roots" => Method::Roots,
            "closed_form" => Method::ClosedForm,
            "belief_space" => Method::BeliefSpace,
            "qre" => Method::Qre { lam },
            _ => {
                return Err(ModelError::invalid(
                    "method",
                    f64::NAN,
                    format!("one of {} (got {name:?})", Method::NAMES.join(", ")),
                ))
            }
        };
        if let Method::Qre { lam } = method {
            if !(lam.is_finite() && (0.0..=MAX_LAM).contains(&lam)) {
                return Err(ModelError::invalid("lam", lam, LAM_DOMAIN));
            }
        }
        Ok(method)
    }

    /// Whether this method can solve a (domain-valid) point.
    pub fn check(&self, params: &Params) -> Result<(), ModelError> {
        if !params.a1_holds() && !matches!(self, Method::Roots | Method::BeliefSpace) {
            // Where D may concede only `roots` and its cross-check `belief_space` solve the model
            // (CRISIS.md); the other variants are MODEL.md's.
            return Err(ModelError::OutsideAssumptions {
                method: self.name(),
                name: "c_d",
                value: params.c_d,
                requirement: format!(
                    "assumption A1 (p - c_d >= 0, p = {}): only methods `roots` and `belief_space` solve the crisis \
                     stage, where the defender may concede",
                    params.p
                ),
                index: None,
            });
        }
        match self {
            Method::ClosedForm => closed_form::check(params),
            _ => Ok(()),
        }
    }

    /// The public name of the method.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Roots => "roots",
            Method::ClosedForm => "closed_form",
            Method::BeliefSpace => "belief_space",
            Method::Qre { .. } => "qre",
        }
    }

    /// Solve one valid point that passed [`Method::check`]. `range_cost` NaN = E[c].
    pub fn solve_unchecked(&self, params: &Params, range_cost: f64) -> Solution {
        match *self {
            Method::Roots => roots::solve_unchecked(params, range_cost),
            Method::ClosedForm => closed_form::solve_unchecked(params, range_cost),
            Method::BeliefSpace => belief_space::solve_unchecked(params, range_cost),
            Method::Qre { lam } => qre::solve_unchecked(params, range_cost, lam),
        }
    }

    /// Validate (domain, then this method's assumptions) and solve one point.
    pub fn solve(&self, params: &Params, range_cost: f64) -> Result<Solution, ModelError> {
        params.validate()?;
        check_range_cost(range_cost)?;
        self.check(params)?;
        Ok(self.solve_unchecked(params, range_cost))
    }

    /// Validate and solve a batch (see [`crate::solve_batch`]).
    pub fn solve_batch(&self, input: &BatchInput<'_>, out: BatchOutput<'_>, threads: usize) -> Result<(), ModelError> {
        let method = *self;
        solve_batch_with(input, out, threads, |p| method.check(p), move |p, c| method.solve_unchecked(p, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::{CostDist, TypeDist};
    use crate::model::equilibrium::Equilibrium;
    use crate::solvers::roots::solve_unchecked;

    /// A small deterministic generator (no dependency needed for a test).
    struct Lcg(u64);
    impl Lcg {
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    fn random_point(rng: &mut Lcg, family: usize) -> Params {
        let p = rng.uniform(0.05, 0.85);
        let p_alliance = p + rng.uniform(0.02, 1.0) * (1.0 - p);
        let c_d = rng.uniform(0.0, 1.0) * p;
        let theta = if family == 1 {
            let low = rng.uniform(0.0, 0.6);
            TypeDist::TwoPoint { low, high: low + rng.uniform(0.05, 0.6), prior_high: rng.uniform(0.1, 0.9) }
        } else {
            TypeDist::Uniform { lo: 0.0, hi: 1.0 }
        };
        let cost_c = if family == 2 {
            CostDist::Logistic { mu: rng.uniform(0.1, 0.6), scale: rng.uniform(0.05, 0.3) }
        } else {
            let lo = rng.uniform(-0.3, 0.3);
            CostDist::Uniform { lo, hi: lo + rng.uniform(0.3, 1.5) }
        };
        Params {
            p,
            p_alliance,
            p_coalition: p + rng.uniform(0.1, 1.0) * (p_alliance - p),
            c_d,
            c_d_joint: rng.uniform(0.0, 1.0) * c_d,
            c_c_extra: rng.uniform(0.0, 0.3),
            c_a: rng.uniform(0.01, 0.4),
            k: rng.uniform(0.0, 0.15) * if rng.uniform(0.0, 1.0) < 0.5 { 0.1 } else { 1.0 },
            r: rng.uniform(0.0, 0.3),
            b_c: rng.uniform(0.0, 0.2),
            theta,
            cost_c,
        }
    }

    fn same(a: &[Equilibrium], b: &[Equilibrium]) -> bool {
        let close = |x: f64, y: f64| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9;
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.kind == y.kind
                    && x.flags == y.flags
                    && x.selected == y.selected
                    && close(x.cutpoint, y.cutpoint)
                    && close(x.prob_alliance, y.prob_alliance)
                    && close(x.prob_war, y.prob_war)
                    && close(x.belief_alliance, y.belief_alliance)
                    && close(x.belief_no_alliance, y.belief_no_alliance)
            })
    }

    #[test]
    fn belief_space_agrees_with_roots() {
        let mut rng = Lcg(7);
        for family in 0..3 {
            let mut bad = 0;
            for _ in 0..2000 {
                let params = random_point(&mut rng, family);
                let want = solve_unchecked(&params, f64::NAN).equilibria();
                let got = belief_space::solve_unchecked(&params, f64::NAN).equilibria();
                if !same(&want, &got) {
                    bad += 1;
                    if bad < 4 {
                        eprintln!("family {family}: {params:?}\n roots {want:#?}\n belief_space {got:#?}");
                    }
                }
            }
            assert_eq!(bad, 0, "family {family}");
        }
    }

    fn same_crisis(a: &[Equilibrium], b: &[Equilibrium]) -> bool {
        let close = |x: f64, y: f64| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9;
        let rho = |c: Option<crate::model::crisis::CrisisPoint>| c.map_or(f64::NAN, |c| c.rho);
        same(a, b)
            && a.iter().zip(b).all(|(x, y)| {
                x.pinned == y.pinned
                    && x.regime_code(true) == y.regime_code(true)
                    && x.regime_code(false) == y.regime_code(false)
                    && close(rho(x.crisis_alliance), rho(y.crisis_alliance))
                    && close(rho(x.crisis_no_alliance), rho(y.crisis_no_alliance))
                    && close(x.prob_challenge_alliance, y.prob_challenge_alliance)
                    && close(x.prob_challenge_no_alliance, y.prob_challenge_no_alliance)
            })
    }

    #[test]
    fn belief_space_agrees_with_roots_where_a1_fails() {
        let mut rng = Lcg(11);
        for family in 0..3 {
            let mut bad = 0;
            let mut pinned = 0;
            for _ in 0..600 {
                let mut params = random_point(&mut rng, family);
                params.c_d = params.p + rng.uniform(0.001, 0.6);
                params.c_d_joint = rng.uniform(0.0, 1.0) * params.c_d;
                params.b_c = rng.uniform(0.01, 0.2);
                let want = solve_unchecked(&params, f64::NAN).equilibria();
                let got = belief_space::solve_unchecked(&params, f64::NAN).equilibria();
                pinned += want.iter().filter(|e| e.pinned).count();
                if !same_crisis(&want, &got) {
                    bad += 1;
                    if bad < 3 {
                        eprintln!("family {family}: {params:?}\n roots {want:#?}\n belief_space {got:#?}");
                    }
                }
            }
            assert_eq!(bad, 0, "family {family}");
            eprintln!("family {family}: {pinned} pinned equilibria");
        }
    }

    #[test]
    fn qre_reaches_e2() {
        let params = Params { k: 0.03, ..Params::default() };
        let sol = qre::solve_unchecked(&params, f64::NAN, 1e8);
        let eq = sol.get(0).expect("one equilibrium");
        assert_eq!(eq.kind, crate::Kind::CutpointBluff);
        assert!((eq.cutpoint - 41.0 / 195.0).abs() < 1e-6, "{eq:?}");
        assert!((eq.prob_alliance - 154.0 / 195.0).abs() < 1e-6, "{eq:?}");
    }
}
