//! Who pays: each player's ex-ante expected utility at an equilibrium, and the no-option
//! benchmark, the same game in which A cannot form an alliance (docs/MODEL.md §14).
//!
//! Payoffs are those of MODEL.md §4 / CRISIS.md §1. Given a signal α, the crisis point
//! (q, ρ, m_A, m_B) of CRISIS.md §2.5 decides everything C and D get, and nothing in the crisis
//! depends on θ, so each utility is a sum over on-path signals of Pr(α) times a per-signal value:
//!
//! - D: `1 - X_α - P^war_α (1 - W_α)` (status quo and back-down 1, concession 0, war W_α on
//!   average, W_α = D's war value at q_α);
//! - C: `ρ P^ch + (1 - ρ)(τ m_A - E[c; c <= x_A]) - (1 - ρ) b_C m_B`: a concession is worth 1, a
//!   resolute challenger (c <= x_A, where G(x_A) = m_A) fights for τ - c when resisted, a bluffer
//!   backs down for -b_C;
//! - A (type θ): `θ - α k - Λ_α(θ)` with `Λ_α(θ) = X_α θ + P^war_α L_α(θ)` (CRISIS.md §3.1),
//!   integrated over the types that send α.

use std::cell::OnceCell;

use crate::model::crisis::{Crisis, CrisisPoint};
use crate::model::dist::TypeDist;
use crate::model::equilibrium::Equilibrium;
use crate::model::params::Params;
use crate::sensitivity::scalar::{Point, Types};

/// A's ex-ante expected utility at equilibrium `eq`, net of k and r where paid: a uniform θ
/// plays the cut-point strategy; each type of a two-type ally its (σ_L, σ_H), which a mixing type
/// is indifferent over. The formulas are those the derivatives differentiate
/// ([`crate::sensitivity`]).
pub fn ally(params: &Params, eq: &Equilibrium) -> f64 {
    crate::sensitivity::welfare(params, eq)[0]
}

/// D's ex-ante expected utility at equilibrium `eq`.
pub fn defender(params: &Params, eq: &Equilibrium) -> f64 {
    crate::sensitivity::welfare(params, eq)[1]
}

/// C's ex-ante expected utility (over its war cost) at equilibrium `eq`.
pub fn challenger(params: &Params, eq: &Equilibrium) -> f64 {
    crate::sensitivity::welfare(params, eq)[2]
}

/// The benchmark game in which A cannot form an alliance: every type sends "no alliance", so C
/// and D know only the prior, q = Pr(θ >= t_0); A still intervenes iff θ >= t_0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoOption {
    /// The crisis at the prior belief.
    pub crisis: CrisisPoint,
    pub utility_ally: f64,
    pub utility_defender: f64,
    pub utility_challenger: f64,
}

impl NoOption {
    pub fn new(params: &Params) -> Self {
        let t0 = params.threshold(false);
        let q = match params.theta {
            TypeDist::Uniform { lo, hi } => ((hi - t0.max(lo)) / (hi - lo)).clamp(0.0, 1.0),
            TypeDist::TwoPoint { low, high, prior_high } => {
                let on = |theta: f64| f64::from(u8::from(theta >= t0));
                (1.0 - prior_high) * on(low) + prior_high * on(high)
            }
        };
        let crisis = Crisis::new(params, false).at(q);
        let pt = Point::from_params(params);
        let c = pt.crisis(false, crisis.regime, crisis.q, crisis.rho);
        let utility_ally = match pt.theta {
            Types::Uniform { lo, hi } => pt.ally_integral(&c, lo, hi) / (hi - lo),
            Types::TwoPoint { low, high, prior_high } => {
                (1.0 - prior_high) * pt.ally_at(&c, low) + prior_high * pt.ally_at(&c, high)
            }
        };
        NoOption {
            crisis,
            utility_ally,
            utility_defender: pt.defender_given(&c),
            utility_challenger: pt.challenger_given(&c),
        }
    }
}

/// The benchmark of one point, computed on first use (only sweeps that store it pay for it).
#[derive(Debug, Clone, Default)]
pub struct LazyNoOption(OnceCell<NoOption>);

impl LazyNoOption {
    pub fn get(&self, params: &Params) -> &NoOption {
        self.0.get_or_init(|| NoOption::new(params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::CostDist;
    use crate::model::equilibrium::Kind;

    /// MODEL.md §10 E1 in closed form: θ* = 0.35, P_1 = 0.2, P_0 = 0.6, no reneging (honest), so
    /// E[U_A] = E[θ] - 0.6 ∫_0^0.35 0.6θ dθ - 0.2 ∫_0.35^1 (0.3θ + 0.15) dθ - 0.65 k.
    #[test]
    fn e1_ally_and_defender_by_hand() {
        let params = Params { k: 0.075, ..Params::default() };
        let sol = crate::solve(&params, f64::NAN).expect("E1 solves");
        let eq = sol.equilibria().into_iter().find(|e| e.kind == Kind::CutpointHonest).expect("E1 interior");
        let int_out = 0.6 * 0.6 * 0.35f64.powi(2) / 2.0;
        let int_in = 0.2 * (0.3 * (1.0 - 0.35f64.powi(2)) / 2.0 + 0.15 * 0.65);
        let expect = 0.5 - int_out - int_in - 0.65 * 0.075;
        assert!((ally(&params, &eq) - expect).abs() < 1e-12, "{} vs {expect}", ally(&params, &eq));
        // D: W_1 = 0.65 (q_1 = 1), W_0 = 0.3 (q_0 = 0); every challenge is a war.
        let expect_d = 0.65 * (1.0 - 0.2 * 0.35) + 0.35 * (1.0 - 0.6 * 0.7);
        assert!((defender(&params, &eq) - expect_d).abs() < 1e-12);
        // C with c ~ U[0, 1] in R: ∫_0^P (τ - c) dc = τ P - P²/2 with P = τ.
        let expect_c = 0.65 * 0.2f64.powi(2) / 2.0 + 0.35 * 0.6f64.powi(2) / 2.0;
        assert!((challenger(&params, &eq) - expect_c).abs() < 1e-12);
    }

    /// With A1 and q = 1 - F(t_0) the no-option crisis is the no-alliance pooling's (MODEL.md §10:
    /// q_0 = 0.5, P_0 = 0.4 in E1-E3).
    #[test]
    fn no_option_is_the_prior_crisis() {
        let params = Params::default();
        let no = NoOption::new(&params);
        assert!((no.crisis.q - 0.5).abs() < 1e-15 && (no.crisis.war() - 0.4).abs() < 1e-15);
        let normal = Params { cost_c: CostDist::Normal { mu: 0.3, scale: 0.2 }, ..params };
        let no = NoOption::new(&normal);
        assert!((no.crisis.challenge() - normal.prob_challenge(false, 0.5)).abs() < 1e-15);
    }
}
