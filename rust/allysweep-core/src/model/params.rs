//! One parameter point of the model (MODEL.md §3) and the quantities derived from it (§5).

use crate::error::ModelError;
use crate::model::dist::{CostDist, TypeDist};

/// A parameter point. Field names are the public parameter names of MODEL.md §3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub p: f64,
    pub p_alliance: f64,
    pub p_coalition: f64,
    pub c_d: f64,
    pub c_d_joint: f64,
    pub c_c_extra: f64,
    pub c_a: f64,
    pub k: f64,
    pub r: f64,
    pub b_c: f64,
    pub theta: TypeDist,
    pub cost_c: CostDist,
}

impl Default for Params {
    /// The base case of MODEL.md §10 (worked example E2).
    fn default() -> Self {
        Params {
            p: 0.4,
            p_alliance: 0.7,
            p_coalition: 0.7,
            c_d: 0.1,
            c_d_joint: 0.05,
            c_c_extra: 0.1,
            c_a: 0.15,
            k: 0.03,
            r: 0.06,
            b_c: 0.05,
            theta: TypeDist::Uniform { lo: 0.0, hi: 1.0 },
            cost_c: CostDist::Uniform { lo: 0.0, hi: 1.0 },
        }
    }
}

/// `domain` is only called on failure: validation runs once per point of every batch, and
/// formatting numbers eagerly cost more than the check itself.
fn check<D: Into<String>>(
    name: &'static str,
    value: f64,
    ok: bool,
    domain: impl FnOnce() -> D,
) -> Result<(), ModelError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(ModelError::invalid(name, value, domain()))
    }
}

impl Params {
    /// Check every parameter against its domain (MODEL.md §3); the first violation is returned.
    pub fn validate(&self) -> Result<(), ModelError> {
        let p = self.p;
        check("p", p, p > 0.0 && p < 1.0, || "0 < p < 1")?;
        check("p_alliance", self.p_alliance, self.p_alliance > p && self.p_alliance <= 1.0, || {
            format!("p < p_alliance <= 1 (p = {p})")
        })?;
        check("p_coalition", self.p_coalition, self.p_coalition > p && self.p_coalition <= self.p_alliance, || {
            format!("p < p_coalition <= p_alliance (p = {p}, p_alliance = {})", self.p_alliance)
        })?;
        check("c_d", self.c_d, self.c_d >= 0.0, || "c_d >= 0 (p - c_d of either sign: CRISIS.md)")?;
        check("c_d_joint", self.c_d_joint, self.c_d_joint >= 0.0 && self.c_d_joint <= self.c_d, || {
            format!("0 <= c_d_joint <= c_d (c_d = {})", self.c_d)
        })?;
        check("c_c_extra", self.c_c_extra, self.c_c_extra >= 0.0, || "c_c_extra >= 0")?;
        check("c_a", self.c_a, self.c_a > 0.0, || "c_a > 0")?;
        check("k", self.k, self.k >= 0.0, || "k >= 0")?;
        check("r", self.r, self.r >= 0.0, || "r >= 0")?;
        check("b_c", self.b_c, self.b_c >= 0.0, || "b_c >= 0")?;
        self.theta.validate()?;
        self.cost_c.validate()
    }

    /// Assumption A1 of MODEL.md, p - c_D >= 0: D always resists, and the crisis stage is
    /// MODEL.md's. Where it fails the crisis model of CRISIS.md applies.
    #[inline]
    pub fn a1_holds(&self) -> bool {
        self.p - self.c_d >= 0.0
    }

    /// Win probability p'_α of D when A intervenes after signal α.
    #[inline]
    pub fn p_prime(&self, alliance: bool) -> f64 {
        if alliance {
            self.p_alliance
        } else {
            self.p_coalition
        }
    }

    /// Intervention threshold t_α = (c_A - α r)/(p'_α - p): A intervenes iff θ >= t_α (§5.1).
    #[inline]
    pub fn threshold(&self, alliance: bool) -> f64 {
        let r = if alliance { self.r } else { 0.0 };
        (self.c_a - r) / (self.p_prime(alliance) - self.p)
    }

    /// M_α = p'_α - p + Δ_C: how much expected intervention lowers C's war payoff (§5.2).
    #[inline]
    pub fn war_shift(&self, alliance: bool) -> f64 {
        self.p_prime(alliance) - self.p + self.c_c_extra
    }

    /// P_α = G(τ_α) with τ_α = (1 - p) - q M_α: probability of a challenge given belief q (§5.4).
    #[inline]
    pub fn prob_challenge(&self, alliance: bool, belief: f64) -> f64 {
        self.cost_c.cdf((1.0 - self.p) - belief * self.war_shift(alliance))
    }

    /// L_α(θ): A's loss from an attack relative to the status quo, at its best reply (§5.5).
    #[inline]
    pub fn loss(&self, alliance: bool, theta: f64) -> f64 {
        let fight = (1.0 - self.p_prime(alliance)) * theta + self.c_a;
        let stay_out = (1.0 - self.p) * theta + if alliance { self.r } else { 0.0 };
        fight.min(stay_out)
    }

    /// The size below which Φ, or type θ's Gain, counts as zero (docs/conventions.md,
    /// "Continuum"): 1e-15·(1 + k + X·θ + L_0(θ) + L_1(θ)), the rounding level of Λ_0 − Λ_1 − k,
    /// with `concession` = X_0 + X_1 the concession probabilities at the two signals' crises (0
    /// where A1 holds).
    #[inline]
    pub(crate) fn gain_rounding(&self, theta: f64, concession: f64) -> f64 {
        1e-15 * (1.0 + self.k + concession * theta.abs() + self.loss(false, theta).abs() + self.loss(true, theta).abs())
    }

    /// Gain(θ) = P_0 L_0(θ) - P_1 L_1(θ) - k: A's gain from allying at challenge probabilities
    /// (P_0, P_1) (§5.5).
    #[inline]
    pub fn gain(&self, theta: f64, p0: f64, p1: f64) -> f64 {
        p0 * self.loss(false, theta) - p1 * self.loss(true, theta) - self.k
    }
}

/// Check the challenger cost at which bargaining ranges are evaluated: finite, or NaN for E[c].
/// The one place this rule is written (single points and batches, every method).
pub fn check_range_cost(range_cost: f64) -> Result<(), ModelError> {
    if range_cost.is_nan() || range_cost.is_finite() {
        Ok(())
    } else {
        Err(ModelError::invalid("range_cost", range_cost, "a finite cost, or NaN for E[c]"))
    }
}

/// The cost at which ranges are evaluated: `range_cost`, or E[c] where it is NaN.
pub fn resolve_range_cost(params: &Params, range_cost: f64) -> f64 {
    if range_cost.is_nan() {
        params.cost_c.mean()
    } else {
        range_cost
    }
}
