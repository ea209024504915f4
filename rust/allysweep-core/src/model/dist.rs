//! Distributions of the ally's type θ (F) and of the challenger's war cost c (G).

use crate::error::ModelError;

/// The ally's type distribution F (MODEL.md §3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TypeDist {
    /// θ ~ Uniform(lo, hi), 0 <= lo < hi.
    Uniform { lo: f64, hi: f64 },
    /// θ = high with probability `prior_high`, otherwise low; 0 <= low < high.
    TwoPoint { low: f64, high: f64, prior_high: f64 },
}

/// The challenger's war-cost distribution G (MODEL.md §3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CostDist {
    /// c ~ Uniform(lo, hi), lo < hi; the cdf is clipped to [0, 1] outside the support.
    Uniform { lo: f64, hi: f64 },
    /// c ~ Logistic(mu, scale), scale > 0.
    Logistic { mu: f64, scale: f64 },
    /// c ~ Normal(mu, scale), scale > 0.
    Normal { mu: f64, scale: f64 },
}

impl TypeDist {
    /// Flat code used at the array boundary: 0 uniform, 1 two-point.
    pub fn from_code(code: f64, a: f64, b: f64, c: f64) -> Result<Self, ModelError> {
        match code {
            0.0 => Ok(TypeDist::Uniform { lo: a, hi: b }),
            1.0 => Ok(TypeDist::TwoPoint { low: a, high: b, prior_high: c }),
            _ => Err(ModelError::invalid("theta_kind", code, "0 (uniform) or 1 (two_point)")),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ModelError> {
        match *self {
            TypeDist::Uniform { lo, hi } => {
                if !(lo.is_finite() && lo >= 0.0) {
                    return Err(ModelError::invalid("theta.lo", lo, "0 <= lo < hi (finite)"));
                }
                if !(hi.is_finite() && hi > lo) {
                    return Err(ModelError::invalid("theta.hi", hi, format!("hi > lo = {lo} (finite)")));
                }
            }
            TypeDist::TwoPoint { low, high, prior_high } => {
                if !(low.is_finite() && low >= 0.0) {
                    return Err(ModelError::invalid("theta.low", low, "0 <= low < high (finite)"));
                }
                if !(high.is_finite() && high > low) {
                    return Err(ModelError::invalid("theta.high", high, format!("high > low = {low} (finite)")));
                }
                if !(prior_high > 0.0 && prior_high < 1.0) {
                    return Err(ModelError::invalid("theta.prior_high", prior_high, "0 < prior_high < 1"));
                }
            }
        }
        Ok(())
    }
}

impl CostDist {
    /// Flat code used at the array boundary: 0 uniform, 1 logistic, 2 normal.
    pub fn from_code(code: f64, a: f64, b: f64) -> Result<Self, ModelError> {
        match code {
            0.0 => Ok(CostDist::Uniform { lo: a, hi: b }),
            1.0 => Ok(CostDist::Logistic { mu: a, scale: b }),
            2.0 => Ok(CostDist::Normal { mu: a, scale: b }),
            _ => Err(ModelError::invalid("cost_kind", code, "0 (uniform), 1 (logistic) or 2 (normal)")),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ModelError> {
        match *self {
            CostDist::Uniform { lo, hi } => {
                if !lo.is_finite() {
                    return Err(ModelError::invalid("cost_c.lo", lo, "a finite number below hi"));
                }
                if !(hi.is_finite() && hi > lo) {
                    return Err(ModelError::invalid("cost_c.hi", hi, format!("hi > lo = {lo} (finite)")));
                }
            }
            CostDist::Logistic { mu, scale } | CostDist::Normal { mu, scale } => {
                if !mu.is_finite() {
                    return Err(ModelError::invalid("cost_c.mu", mu, "a finite number"));
                }
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(ModelError::invalid("cost_c.scale", scale, "scale > 0 (finite)"));
                }
            }
        }
        Ok(())
    }

    /// The cdf G(x).
    #[inline]
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
            CostDist::Logistic { mu, scale } => 1.0 / (1.0 + (-(x - mu) / scale).exp()),
            CostDist::Normal { mu, scale } => 0.5 * libm::erfc(-(x - mu) / (scale * std::f64::consts::SQRT_2)),
        }
    }

    /// The density g(x) (used for stability of mixed profiles and derivatives).
    #[inline]
    pub fn pdf(&self, x: f64) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => {
                if x > lo && x < hi {
                    1.0 / (hi - lo)
                } else {
                    0.0
                }
            }
            CostDist::Logistic { mu, scale } => {
                let e = (-(x - mu).abs() / scale).exp();
                e / (scale * (1.0 + e) * (1.0 + e))
            }
            CostDist::Normal { mu, scale } => {
                let z = (x - mu) / scale;
                (-0.5 * z * z).exp() / (scale * (2.0 * std::f64::consts::PI).sqrt())
            }
        }
    }

    /// E[c], the challenger's mean war cost.
    pub fn mean(&self) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => 0.5 * (lo + hi),
            CostDist::Logistic { mu, .. } | CostDist::Normal { mu, .. } => mu,
        }
    }

    /// The x with G(x) = prob, for 0 < prob < 1 (G is strictly increasing there).
    pub fn quantile(&self, prob: f64) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => lo + prob * (hi - lo),
            CostDist::Logistic { mu, scale } => mu + scale * (prob / (1.0 - prob)).ln(),
            CostDist::Normal { mu, scale } => {
                // Bisect in z to a bracket of 1e-15: exact to rounding, no table needed.
                let (mut a, mut b) = (-40.0_f64, 40.0_f64);
                let g = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2) - prob;
                for _ in 0..200 {
                    let m = 0.5 * (a + b);
                    if g(m) < 0.0 {
                        a = m
                    } else {
                        b = m
                    }
                    if b - a < 1e-15 {
                        break;
                    }
                }
                mu + scale * 0.5 * (a + b)
            }
        }
    }

    pub(crate) fn is_uniform(&self) -> bool {
        matches!(self, CostDist::Uniform { .. })
    }

    /// (G(x), g(x)) in one go: one `exp` for a logistic G (the certified root search needs both
    /// at every sample). Same values as [`CostDist::cdf`] and [`CostDist::pdf`] up to rounding.
    #[inline]
    pub(crate) fn cdf_pdf(&self, x: f64) -> (f64, f64) {
        match *self {
            CostDist::Logistic { mu, scale } => {
                let z = (x - mu) / scale;
                let e = (-z.abs()).exp();
                let cdf = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
                (cdf, e / (scale * (1.0 + e) * (1.0 + e)))
            }
            _ => (self.cdf(x), self.pdf(x)),
        }
    }

    /// sup over x of g(x).
    pub(crate) fn pdf_max(&self) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => 1.0 / (hi - lo),
            CostDist::Logistic { scale, .. } => 0.25 / scale,
            CostDist::Normal { scale, .. } => 1.0 / (scale * (2.0 * std::f64::consts::PI).sqrt()),
        }
    }

    /// sup over x of |g'(x)| (0 for a uniform G: its density is constant between its kinks,
    /// which the root search treats as piece ends).
    pub(crate) fn pdf_slope_max(&self) -> f64 {
        match *self {
            CostDist::Uniform { .. } => 0.0,
            // |σ(1-σ)(1-2σ)| <= 1/(6√3); the normal's |z φ(z)| peaks at z = 1.
            CostDist::Logistic { scale, .. } => 0.096_225_044_864_937_6 / (scale * scale),
            CostDist::Normal { scale, .. } => 0.241_970_724_519_143_37 / (scale * scale),
        }
    }

    /// A bound on |x| for the location of G: |mu|, or the larger |end| of a uniform support.
    pub(crate) fn location_magnitude(&self) -> f64 {
        match *self {
            CostDist::Uniform { lo, hi } => lo.abs().max(hi.abs()),
            CostDist::Logistic { mu, .. } | CostDist::Normal { mu, .. } => mu.abs(),
        }
    }

    /// The range of the density g over the arguments [a, b] (a <= b), given g(a) and g(b): g is
    /// unimodal (peak at mu) for a logistic or normal G, and constant inside a uniform support.
    #[inline]
    pub(crate) fn pdf_range(&self, a: f64, b: f64, ga: f64, gb: f64) -> (f64, f64) {
        match *self {
            CostDist::Uniform { lo, hi } => {
                let top = 1.0 / (hi - lo);
                if b <= lo || a >= hi {
                    (0.0, 0.0)
                } else if a >= lo && b <= hi {
                    (top, top)
                } else {
                    (0.0, top)
                }
            }
            CostDist::Logistic { mu, .. } | CostDist::Normal { mu, .. } => {
                let hi = if a <= mu && mu <= b { self.pdf_max() } else { ga.max(gb) };
                (ga.min(gb), hi)
            }
        }
    }
}
