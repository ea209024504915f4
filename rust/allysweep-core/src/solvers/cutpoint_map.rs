//! The cut-point map of a continuous ally type θ ~ Uniform(lo, hi) (MODEL.md §6): the beliefs
//! q_1(u), q_0(u) a cut-point u implies and Φ(u) = Gain(u; P_0(u), P_1(u)), whose roots are the
//! interior equilibria. Shared by the solvers that search for those roots (`roots`,
//! `belief_space`).

use crate::model::params::Params;

/// |Φ'(u)| below this marks a tangency: `degenerate` (every solver uses the same rule).
pub const DEGENERATE_SLOPE: f64 = 1e-8;

/// The quantities Φ needs, computed once per point.
pub(crate) struct CutpointMap<'a> {
    pub(crate) params: &'a Params,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) t1: f64,
    pub(crate) t0: f64,
    /// P_0 at belief 0 and P_1 at belief 1: what Φ needs on the pieces where that belief is
    /// constant (below t_0 no non-allied type intervenes; above t_1 every allied type does), so a
    /// smooth G's cdf is evaluated once per Φ there instead of twice.
    pub(crate) p0_at_zero: f64,
    pub(crate) p1_at_one: f64,
}

impl<'a> CutpointMap<'a> {
    pub(crate) fn new(params: &'a Params, lo: f64, hi: f64) -> Self {
        CutpointMap {
            params,
            lo,
            hi,
            t1: params.threshold(true),
            t0: params.threshold(false),
            p0_at_zero: params.prob_challenge(false, 0.0),
            p1_at_one: params.prob_challenge(true, 1.0),
        }
    }

    /// q_1(u): share of allied types (θ >= u) that honour (θ >= t_1). Limit value at u = hi.
    #[inline]
    pub(crate) fn belief_alliance(&self, u: f64) -> f64 {
        if u >= self.hi {
            return if self.t1 < self.hi { 1.0 } else { 0.0 };
        }
        (self.hi - self.t1.max(u).clamp(self.lo, self.hi)) / (self.hi - u)
    }

    /// q_0(u): share of non-allied types (θ < u) that intervene anyway (θ >= t_0). Limit at u = lo.
    #[inline]
    pub(crate) fn belief_no_alliance(&self, u: f64) -> f64 {
        if u <= self.lo {
            return if self.t0 <= self.lo { 1.0 } else { 0.0 };
        }
        (u - self.t0.clamp(self.lo, self.hi)).max(0.0) / (u - self.lo)
    }

    /// Φ(u), MODEL.md §6.
    #[inline]
    pub(crate) fn phi(&self, u: f64) -> f64 {
        let (q0, q1) = (self.belief_no_alliance(u), self.belief_alliance(u));
        let p0 = if q0 == 0.0 { self.p0_at_zero } else { self.params.prob_challenge(false, q0) };
        let p1 = if q1 == 1.0 { self.p1_at_one } else { self.params.prob_challenge(true, q1) };
        self.params.gain(u, p0, p1)
    }
}
