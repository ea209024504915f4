//! The cut-point map of a continuous ally type θ ~ Uniform(lo, hi) (MODEL.md §6): the beliefs
//! q_1(u), q_0(u) a cut-point u implies and Φ(u) = Gain(u; P_0(u), P_1(u)), whose roots are the
//! interior equilibria. Shared by the solvers that search for those roots (`roots`,
//! `belief_space`).

use crate::model::params::Params;
use crate::solvers::certify::{Belief, Margins, PieceFn, Signal, Theta};

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
    /// The certified search's rounding constants.
    pub(crate) margins: Margins,
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
            margins: Margins::new(params),
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

    /// How q_1 moves on a piece [a, b] between kinks (MODEL.md §6, as [`Self::belief_alliance`]).
    pub(crate) fn belief_map_alliance(&self, a: f64, b: f64) -> Belief {
        if 0.5 * (a + b) >= self.t1 {
            return Belief::Const(1.0);
        }
        let n = self.hi - self.t1.clamp(self.lo, self.hi);
        if n > 0.0 {
            Belief::Alliance { n, h: self.hi }
        } else {
            Belief::Const(0.0)
        }
    }

    /// How q_0 moves on a piece [a, b] between kinks (as [`Self::belief_no_alliance`]).
    pub(crate) fn belief_map_no_alliance(&self, a: f64, b: f64) -> Belief {
        if 0.5 * (a + b) <= self.t0 {
            return Belief::Const(0.0);
        }
        let t = self.t0.clamp(self.lo, self.hi);
        if t > self.lo {
            Belief::NoAlliance { t, l: self.lo }
        } else {
            Belief::Const(1.0)
        }
    }

    /// Φ on the piece [a, b] as the certified search takes it (A1: D always resists).
    pub(crate) fn piece_fn(&self, a: f64, b: f64) -> PieceFn {
        let params = self.params;
        let at = |alliance: bool, q: Belief| match q {
            Belief::Const(0.0) if !alliance => self.p0_at_zero,
            Belief::Const(1.0) if alliance => self.p1_at_one,
            Belief::Const(q) => params.prob_challenge(alliance, q),
            _ => f64::NAN,
        };
        let (q0, q1) = (self.belief_map_no_alliance(a, b), self.belief_map_alliance(a, b));
        let sig = [Signal::resist(params, false, q0, at(false, q0)), Signal::resist(params, true, q1, at(true, q1))];
        PieceFn::new(params, self.margins, sig, Theta::Cut, params.k, 1.0)
    }

    /// The smooth pieces of Φ for a smooth G: [lo, hi] cut at t_1 and t_0.
    #[cfg(test)]
    pub(crate) fn pieces(&self) -> Vec<(f64, f64)> {
        let mut cuts = vec![self.lo];
        for t in [self.t1, self.t0] {
            if t > self.lo && t < self.hi {
                cuts.push(t);
            }
        }
        cuts.push(self.hi);
        cuts.windows(2).filter(|w| w[1] > w[0]).map(|w| (w[0], w[1])).collect()
    }
}
