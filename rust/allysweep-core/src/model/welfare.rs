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

use crate::model::crisis::{Crisis, CrisisPoint, Regime};
use crate::model::dist::TypeDist;
use crate::model::equilibrium::{Equilibrium, Kind};
use crate::model::params::Params;

/// ∫_a^b L_α(θ) dθ for a <= b: L_α is the lower envelope of staying out, (1 - p)θ + αr, and
/// fighting, (1 - p'_α)θ + c_A, which cross at t_α (fighting is the better reply above it).
fn loss_integral(params: &Params, alliance: bool, a: f64, b: f64) -> f64 {
    let t = params.threshold(alliance).clamp(a, b);
    let r = if alliance { params.r } else { 0.0 };
    let line = |slope: f64, level: f64, x0: f64, x1: f64| 0.5 * slope * (x1 * x1 - x0 * x0) + level * (x1 - x0);
    line(1.0 - params.p, r, a, t) + line(1.0 - params.p_prime(alliance), params.c_a, t, b)
}

/// U_A(θ, α) = θ - αk - Λ_α(θ) for one type.
fn ally_at(params: &Params, alliance: bool, crisis: &CrisisPoint, theta: f64) -> f64 {
    let k = if alliance { params.k } else { 0.0 };
    theta - k - crisis.ally_loss(theta, params.loss(alliance, theta))
}

/// ∫_a^b U_A(θ, α) dθ for a uniform θ (not yet divided by the support's width).
fn ally_integral(params: &Params, alliance: bool, crisis: &CrisisPoint, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let k = if alliance { params.k } else { 0.0 };
    (1.0 - crisis.concession()) * 0.5 * (b * b - a * a)
        - k * (b - a)
        - crisis.war() * loss_integral(params, alliance, a, b)
}

/// A's ex-ante expected utility at equilibrium `eq`, net of k and r where paid.
///
/// A uniform θ plays the cut-point strategy (types above `cutpoint` ally; both poolings by their
/// kind). A two-type ally: each type gets the payoff of its best reply to the on-path crises (a
/// type that mixes is indifferent, so this is its payoff whatever it draws).
pub fn ally(params: &Params, eq: &Equilibrium) -> f64 {
    let all = |alliance: bool| -> f64 {
        let Some(c) = eq.crisis(alliance) else { return f64::NAN };
        match params.theta {
            TypeDist::Uniform { lo, hi } => ally_integral(params, alliance, c, lo, hi) / (hi - lo),
            TypeDist::TwoPoint { low, high, prior_high } => {
                (1.0 - prior_high) * ally_at(params, alliance, c, low) + prior_high * ally_at(params, alliance, c, high)
            }
        }
    };
    match eq.kind {
        Kind::PoolNoAlliance => all(false),
        Kind::PoolAlliance => all(true),
        _ => {
            let (Some(c1), Some(c0)) = (eq.crisis(true), eq.crisis(false)) else { return f64::NAN };
            match params.theta {
                TypeDist::Uniform { lo, hi } => {
                    let u = eq.cutpoint.clamp(lo, hi);
                    (ally_integral(params, false, c0, lo, u) + ally_integral(params, true, c1, u, hi)) / (hi - lo)
                }
                TypeDist::TwoPoint { low, high, prior_high } => {
                    let best = |theta: f64| ally_at(params, false, c0, theta).max(ally_at(params, true, c1, theta));
                    (1.0 - prior_high) * best(low) + prior_high * best(high)
                }
            }
        }
    }
}

/// D's expected utility given the crisis after one signal.
fn defender_given(crisis: &CrisisPoint) -> f64 {
    1.0 - crisis.concession() - crisis.war() * (1.0 - crisis.war_value)
}

/// The highest cost of a resolute challenger (one that attacks if resisted) at a crisis point:
/// G(x_A) = m_A (CRISIS.md §2.3 case by case).
fn resolute_threshold(params: &Params, alliance: bool, crisis: &CrisisPoint) -> f64 {
    let tau = (1.0 - params.p) - crisis.q * params.war_shift(alliance);
    match crisis.regime {
        Regime::Resist => tau,
        Regime::BoundaryW0 => tau + crisis.rho / (1.0 - crisis.rho),
        Regime::Mixed | Regime::Concede | Regime::BoundaryConcede => tau + params.b_c,
    }
}

/// C's expected utility (over its cost) given the crisis after signal `alliance`.
fn challenger_given(params: &Params, alliance: bool, crisis: &CrisisPoint) -> f64 {
    let rho = crisis.rho;
    let mut value = rho * crisis.challenge();
    if rho < 1.0 {
        let tau = (1.0 - params.p) - crisis.q * params.war_shift(alliance);
        let x_a = resolute_threshold(params, alliance, crisis);
        let fight = tau * crisis.m_a - params.cost_c.partial_mean(x_a);
        value += (1.0 - rho) * (fight - params.b_c * crisis.m_b);
    }
    value
}

/// Σ over on-path signals of Pr(α)·f(α, crisis).
fn over_signals(eq: &Equilibrium, f: impl Fn(bool, &CrisisPoint) -> f64) -> f64 {
    let mut total = 0.0;
    if let Some(c) = eq.crisis(true) {
        total += eq.prob_alliance * f(true, c);
    }
    if let Some(c) = eq.crisis(false) {
        total += (1.0 - eq.prob_alliance) * f(false, c);
    }
    total
}

/// D's ex-ante expected utility at equilibrium `eq`.
pub fn defender(eq: &Equilibrium) -> f64 {
    over_signals(eq, |_, c| defender_given(c))
}

/// C's ex-ante expected utility (over its war cost) at equilibrium `eq`.
pub fn challenger(params: &Params, eq: &Equilibrium) -> f64 {
    over_signals(eq, |alliance, c| challenger_given(params, alliance, c))
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
        let utility_ally = match params.theta {
            TypeDist::Uniform { lo, hi } => ally_integral(params, false, &crisis, lo, hi) / (hi - lo),
            TypeDist::TwoPoint { low, high, prior_high } => {
                (1.0 - prior_high) * ally_at(params, false, &crisis, low)
                    + prior_high * ally_at(params, false, &crisis, high)
            }
        };
        NoOption {
            crisis,
            utility_ally,
            utility_defender: defender_given(&crisis),
            utility_challenger: challenger_given(params, false, &crisis),
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

    /// ∫ L_α against a fine midpoint rule, with t_α inside, below and above [a, b].
    #[test]
    fn loss_integral_is_the_integral_of_the_loss() {
        let params = Params::default();
        for (alliance, a, b) in [(true, 0.0, 1.0), (false, 0.0, 1.0), (true, 0.4, 0.9), (false, 0.0, 0.2)] {
            let n = 200_000;
            let h = (b - a) / n as f64;
            let riemann: f64 = (0..n).map(|i| params.loss(alliance, a + (i as f64 + 0.5) * h) * h).sum();
            let exact = loss_integral(&params, alliance, a, b);
            assert!((riemann - exact).abs() < 1e-9, "{alliance} [{a}, {b}]: {riemann} vs {exact}");
        }
    }

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
        assert!((defender(&eq) - expect_d).abs() < 1e-12);
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
