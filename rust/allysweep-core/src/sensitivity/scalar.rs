//! The model's formulas written once over a [`Scalar`]: plain `f64` for the welfare outputs,
//! [`Dual`] for their derivatives. Each equilibrium is evaluated *given its structure* (which
//! crisis regime each signal is in, which type mixes): the search for equilibria lives in the
//! solvers; here only the smooth formulas of docs/MODEL.md §13-§14.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::model::crisis::Regime;
use crate::model::dist::{CostDist, TypeDist};
use crate::model::params::Params;
use crate::sensitivity::dual::Dual;

/// A number the formulas can be evaluated in.
pub trait Scalar:
    Copy
    + From<f64>
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    fn value(self) -> f64;
    fn exp(self) -> Self;
    fn ln_1p(self) -> Self;
    fn erfc(self) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
}

impl Scalar for f64 {
    fn value(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln_1p(self) -> Self {
        f64::ln_1p(self)
    }
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    fn min(self, o: Self) -> Self {
        f64::min(self, o)
    }
    fn max(self, o: Self) -> Self {
        f64::max(self, o)
    }
}

impl Scalar for Dual {
    fn value(self) -> f64 {
        self.v
    }
    fn exp(self) -> Self {
        Dual::exp(self)
    }
    fn ln_1p(self) -> Self {
        Dual::ln_1p(self)
    }
    fn erfc(self) -> Self {
        Dual::erfc(self)
    }
    fn min(self, o: Self) -> Self {
        Dual::min(self, o)
    }
    fn max(self, o: Self) -> Self {
        Dual::max(self, o)
    }
}

/// The ally's type distribution in scalars.
#[derive(Debug, Clone, Copy)]
pub enum Types<S> {
    Uniform { lo: S, hi: S },
    TwoPoint { low: S, high: S, prior_high: S },
}

/// The challenger's cost distribution in scalars.
#[derive(Debug, Clone, Copy)]
pub enum Cost<S> {
    Uniform { lo: S, hi: S },
    Logistic { mu: S, scale: S },
    Normal { mu: S, scale: S },
}

impl<S: Scalar> Cost<S> {
    /// G(x).
    pub fn cdf(&self, x: S) -> S {
        match *self {
            Cost::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(S::from(0.0), S::from(1.0)),
            Cost::Logistic { mu, scale } => S::from(1.0) / ((-(x - mu) / scale).exp() + 1.0),
            Cost::Normal { mu, scale } => (-(x - mu) / (scale * std::f64::consts::SQRT_2)).erfc() * 0.5,
        }
    }

    /// E[c; c <= x] (docs/MODEL.md §14.2).
    pub fn partial_mean(&self, x: S) -> S {
        match *self {
            Cost::Uniform { lo, hi } => {
                let m = x.clamp(lo, hi);
                (m * m - lo * lo) / ((hi - lo) * 2.0)
            }
            Cost::Logistic { mu, scale } => {
                let z = (x - mu) / scale;
                let tail = if z.value() > 0.0 {
                    let e = (-z).exp();
                    -(z * e) / (e + 1.0) - e.ln_1p()
                } else {
                    z / ((-z).exp() + 1.0) - z.exp().ln_1p()
                };
                mu * self.cdf(x) + scale * tail
            }
            Cost::Normal { mu, scale } => {
                let z = (x - mu) / scale;
                mu * self.cdf(x) - scale * (-(z * z) * 0.5).exp() / (2.0 * std::f64::consts::PI).sqrt()
            }
        }
    }
}

/// A parameter point in scalars (field names as [`Params`]).
#[derive(Debug, Clone, Copy)]
pub struct Point<S> {
    pub p: S,
    pub p_alliance: S,
    pub p_coalition: S,
    pub c_d: S,
    pub c_d_joint: S,
    pub c_c_extra: S,
    pub c_a: S,
    pub k: S,
    pub r: S,
    pub b_c: S,
    pub theta: Types<S>,
    pub cost_c: Cost<S>,
}

/// The input columns a derivative can be taken along, in the batch's column order
/// ([`crate::BatchInput::COLUMNS`] without the codes and `range_cost`).
pub const WRT_COLUMNS: [&str; 15] = [
    "p",
    "p_alliance",
    "p_coalition",
    "c_d",
    "c_d_joint",
    "c_c_extra",
    "c_a",
    "k",
    "r",
    "b_c",
    "theta_a",
    "theta_b",
    "theta_c",
    "cost_a",
    "cost_b",
];

impl Point<f64> {
    pub fn from_params(params: &Params) -> Self {
        Point::build(params, |_, v| v)
    }
}

impl Point<Dual> {
    /// The point in duals, with column `wrt` (an index into [`WRT_COLUMNS`]) a variable along
    /// direction `dir` (no column for `usize::MAX`).
    pub fn seeded(params: &Params, wrt: usize, dir: usize) -> Self {
        Point::build(params, |i, v| if i == wrt { Dual::var(v, dir) } else { Dual::c(v) })
    }
}

impl<S: Scalar> Point<S> {
    /// The point with each input column `i` (of [`WRT_COLUMNS`]) made a scalar by `make(i, value)`.
    fn build(params: &Params, mut make: impl FnMut(usize, f64) -> S) -> Self {
        let mut i = 0;
        let mut next = |v: f64| {
            let x = make(i, v);
            i += 1;
            x
        };
        let (p, p_alliance, p_coalition, c_d, c_d_joint) = (
            next(params.p),
            next(params.p_alliance),
            next(params.p_coalition),
            next(params.c_d),
            next(params.c_d_joint),
        );
        let (c_c_extra, c_a, k, r, b_c) =
            (next(params.c_c_extra), next(params.c_a), next(params.k), next(params.r), next(params.b_c));
        let theta = match params.theta {
            TypeDist::Uniform { lo, hi } => {
                let (lo, hi) = (next(lo), next(hi));
                next(f64::NAN);
                Types::Uniform { lo, hi }
            }
            TypeDist::TwoPoint { low, high, prior_high } => {
                Types::TwoPoint { low: next(low), high: next(high), prior_high: next(prior_high) }
            }
        };
        let cost_c = match params.cost_c {
            CostDist::Uniform { lo, hi } => Cost::Uniform { lo: next(lo), hi: next(hi) },
            CostDist::Logistic { mu, scale } => Cost::Logistic { mu: next(mu), scale: next(scale) },
            CostDist::Normal { mu, scale } => Cost::Normal { mu: next(mu), scale: next(scale) },
        };
        Point { p, p_alliance, p_coalition, c_d, c_d_joint, c_c_extra, c_a, k, r, b_c, theta, cost_c }
    }
}

/// One crisis (CRISIS.md §2.5) in scalars: belief, D's concession probability, resolute and
/// bluff masses, D's war value and the highest resolute cost x_A (G(x_A) = m_A).
#[derive(Debug, Clone, Copy)]
pub struct Crisis<S> {
    pub q: S,
    pub rho: S,
    pub m_a: S,
    pub m_b: S,
    pub war_value: S,
    pub x_a: S,
    /// The signal (for M_α).
    pub alliance: bool,
}

impl<S: Scalar> Crisis<S> {
    pub fn challenge(&self) -> S {
        self.m_a + self.m_b
    }
    pub fn concession(&self) -> S {
        self.rho * self.challenge()
    }
    pub fn war(&self) -> S {
        (S::from(1.0) - self.rho) * self.m_a
    }
    pub fn backdown(&self) -> S {
        (S::from(1.0) - self.rho) * self.m_b
    }
}

impl<S: Scalar> Point<S> {
    pub fn p_prime(&self, alliance: bool) -> S {
        if alliance {
            self.p_alliance
        } else {
            self.p_coalition
        }
    }

    /// t_α.
    pub fn threshold(&self, alliance: bool) -> S {
        let r = if alliance { self.r } else { S::from(0.0) };
        (self.c_a - r) / (self.p_prime(alliance) - self.p)
    }

    /// M_α.
    pub fn war_shift(&self, alliance: bool) -> S {
        self.p_prime(alliance) - self.p + self.c_c_extra
    }

    /// d_α = (p'_α - c_D') - (p - c_D).
    pub fn gain_from_help(&self, alliance: bool) -> S {
        (self.p_prime(alliance) - self.c_d_joint) - (self.p - self.c_d)
    }

    /// q̂_α = (c_D - p)/d_α: the belief at which W = 0.
    pub fn q_hat(&self, alliance: bool) -> S {
        (self.c_d - self.p) / self.gain_from_help(alliance)
    }

    pub fn tau(&self, alliance: bool, q: S) -> S {
        (S::from(1.0) - self.p) - q * self.war_shift(alliance)
    }

    pub fn war_value(&self, alliance: bool, q: S) -> S {
        (self.p - self.c_d) + q * self.gain_from_help(alliance)
    }

    /// g(q)(1 + |W(q)|) - 1, which vanishes at q^C (the M | C boundary).
    pub fn concede_excess(&self, alliance: bool, q: S) -> S {
        let g = self.cost_c.cdf(self.tau(alliance, q) + self.b_c);
        g * (S::from(1.0) - self.war_value(alliance, q).min(S::from(0.0))) - 1.0
    }

    /// The crisis after signal `alliance` at belief `q` played in `regime`; `rho` is D's
    /// concession probability on a boundary segment (W0, Cb), ignored elsewhere.
    pub fn crisis(&self, alliance: bool, regime: Regime, q: S, rho: S) -> Crisis<S> {
        let tau = self.tau(alliance, q);
        let w = self.war_value(alliance, q);
        let g = |x: S| self.cost_c.cdf(x);
        let zero = S::from(0.0);
        let (rho, m_a, m_b, x_a) = match regime {
            Regime::Resist => (zero, g(tau), zero, tau),
            Regime::Mixed => {
                let ga = g(tau + self.b_c);
                let m_a = if self.b_c.value() == 0.0 { g(tau) } else { ga };
                (self.b_c / (self.b_c + 1.0), m_a, ga * (-w).max(zero), tau + self.b_c)
            }
            Regime::Concede => {
                let ga = g(tau + self.b_c);
                (S::from(1.0), ga, S::from(1.0) - ga, tau + self.b_c)
            }
            Regime::BoundaryW0 => {
                let x = tau + rho / (S::from(1.0) - rho);
                (rho, g(x), zero, x)
            }
            Regime::BoundaryConcede => {
                let pi_bar = S::from(1.0) / (S::from(1.0) - w.min(zero));
                (rho, pi_bar, S::from(1.0) - pi_bar, tau + self.b_c)
            }
        };
        Crisis { q, rho, m_a, m_b, war_value: w, x_a, alliance }
    }

    /// L_α(θ).
    pub fn loss(&self, alliance: bool, theta: S) -> S {
        let fight = (S::from(1.0) - self.p_prime(alliance)) * theta + self.c_a;
        let r = if alliance { self.r } else { S::from(0.0) };
        let stay_out = (S::from(1.0) - self.p) * theta + r;
        fight.min(stay_out)
    }

    /// Λ_α(θ) = X θ + P^war L_α(θ).
    pub fn ally_loss(&self, c: &Crisis<S>, theta: S) -> S {
        c.concession() * theta + c.war() * self.loss(c.alliance, theta)
    }

    /// Gain(θ) = Λ_0(θ) - Λ_1(θ) - k.
    pub fn gain(&self, theta: S, c1: &Crisis<S>, c0: &Crisis<S>) -> S {
        self.ally_loss(c0, theta) - self.ally_loss(c1, theta) - self.k
    }

    /// U_A(θ, α).
    pub fn ally_at(&self, c: &Crisis<S>, theta: S) -> S {
        let k = if c.alliance { self.k } else { S::from(0.0) };
        theta - k - self.ally_loss(c, theta)
    }

    /// ∫_a^b L_α(θ) dθ (the two lines of L_α meet at t_α).
    fn loss_integral(&self, alliance: bool, a: S, b: S) -> S {
        let t = self.threshold(alliance).clamp(a, b);
        let r = if alliance { self.r } else { S::from(0.0) };
        let line = |slope: S, level: S, x0: S, x1: S| slope * (x1 * x1 - x0 * x0) * 0.5 + level * (x1 - x0);
        line(S::from(1.0) - self.p, r, a, t) + line(S::from(1.0) - self.p_prime(alliance), self.c_a, t, b)
    }

    /// ∫_a^b U_A(θ, α) dθ over a uniform θ (not divided by the width).
    pub fn ally_integral(&self, c: &Crisis<S>, a: S, b: S) -> S {
        if b.value() <= a.value() {
            return S::from(0.0);
        }
        let k = if c.alliance { self.k } else { S::from(0.0) };
        (S::from(1.0) - c.concession()) * (b * b - a * a) * 0.5
            - k * (b - a)
            - c.war() * self.loss_integral(c.alliance, a, b)
    }

    /// D's expected utility given one crisis.
    pub fn defender_given(&self, c: &Crisis<S>) -> S {
        S::from(1.0) - c.concession() - c.war() * (S::from(1.0) - c.war_value)
    }

    /// C's expected utility (over its cost) given one crisis.
    pub fn challenger_given(&self, c: &Crisis<S>) -> S {
        let mut value = c.rho * c.challenge();
        if c.rho.value() < 1.0 {
            let tau = self.tau(c.alliance, c.q);
            let fight = tau * c.m_a - self.cost_c.partial_mean(c.x_a);
            value = value + (S::from(1.0) - c.rho) * (fight - self.b_c * c.m_b);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::CostDist;
    use crate::model::params::Params;

    /// E[c; c <= x] against a fine midpoint rule of ∫ c g(c) dc.
    #[test]
    fn partial_mean_is_the_integral_of_c_dg() {
        let dists = [
            CostDist::Uniform { lo: -0.2, hi: 0.9 },
            CostDist::Logistic { mu: 0.3, scale: 0.15 },
            CostDist::Normal { mu: 0.4, scale: 0.2 },
        ];
        for g in dists {
            let params = Params { cost_c: g, ..Params::default() };
            let cost = Point::from_params(&params).cost_c;
            for x in [-0.5, 0.1, 0.35, 0.8, 2.0] {
                // Integrate over the support only (a uniform density jumps at its ends).
                let (a, top) = match g {
                    CostDist::Uniform { lo, hi } => (lo, f64::min(x, hi)),
                    _ => (-4.0, x),
                };
                let n = 400_000;
                let h = ((top - a) / n as f64).max(0.0);
                let riemann: f64 = (0..n)
                    .map(|i| {
                        let c = a + (i as f64 + 0.5) * h;
                        c * g.pdf(c) * h
                    })
                    .sum();
                assert!(
                    (riemann - cost.partial_mean(x)).abs() < 1e-9,
                    "{g:?} at {x}: {riemann} vs {}",
                    cost.partial_mean(x)
                );
            }
            assert!((cost.partial_mean(50.0) - g.mean()).abs() < 1e-12);
        }
    }
}
