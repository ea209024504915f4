//! Certified root isolation on one smooth piece (issue 12, "every equilibrium, certified").
//!
//! On a smooth piece of the cut-point path (or of an off-path response set), the function whose
//! zeros are equilibria is `sign·(Λ_0(x) - Λ_1(x) - offset)`: Φ (MODEL.md §6, docs/MODEL.md
//! §13.3), or a deviating type's gain. Each signal's loss Λ_α is built from factors that are
//! monotone in the piece parameter x (u along a span of cut-points, q along a response set, or
//! D's ρ along a boundary segment):
//!
//! - the belief q(x): n/(hi - x) below t_1, (x - t_0)/(x - lo) above t_0, x itself, or constant;
//!   q' is monotone too;
//! - the cdf G at an argument affine in q (τ = (1-p) - qM, plus b_C in regime M) or in
//!   ρ/(1-ρ) (W0 segment): G is monotone, and its density g is unimodal (peak at mu) or, for a
//!   uniform G, constant between the kinks, so its range over an argument interval is known;
//! - 1 + |W(q)|, the type θ (x, or fixed), L_α(θ) (nondecreasing, linear between its kinks),
//!   and ρ(x) (affine).
//!
//! So each factor's range over a cell [x_l, x_r] is spanned by its values at the cell's ends,
//! and sums and products of those ranges (interval arithmetic) enclose Λ_α and Λ_α' over the
//! cell. [`isolate`] bisects a piece adaptively until every cell
//!
//! - has no zero: the natural enclosure of the function, or its mean-value form
//!   f(m) + f'([x_l, x_r])·[-h/2, h/2], excludes [-BAND, BAND] (a closer approach to zero than
//!   BAND at an extremum is a tangency, which is not certified); or f' excludes 0 and f has the
//!   same certain sign at both ends;
//! - has exactly one zero: f' excludes 0 and f has certain, opposite signs at the ends (the
//!   bracket is handed back for Brent's method);
//! - or cannot be decided: narrower than 2^-MAX_DEPTH of the piece, or the sample budget is
//!   spent. Then the piece is not certified and the caller falls back on the grid search.
//!
//! **Rounding.** Every computed value and every enclosure is widened by a stated margin
//! (docs/conventions.md, "Certified"): `REL·(|Λ_0| + |Λ_1| + |offset| + sup g·X·(m_0 + m_1))`,
//! where m_α is the multiplier of the cdf value in Λ_α and X = 1 + |1-p| + max M_α + b_C + |mu|
//! bounds the cdf's arguments. A cdf is computed with relative error below 4 ulp (libm's exp and
//! erfc are accurate to ~1 ulp, plus at most four operations) at an argument with absolute error
//! below 8 ulp of X, which moves G by at most sup g·8ε·X; the remaining operations (fewer than 40)
//! add less than 40ε relative to the sum of the magnitudes of the terms. REL = 1e-13 ≈ 450ε
//! covers all of it with a factor of ten to spare. Derived parameters (t_α, a crisis boundary
//! belief found by Brent to 1e-15) are rounded too; a piece's computed end lies within a few ulps
//! of the true kink, where Φ is continuous (or, at a crisis boundary, continued by its segment),
//! so the difference is of the same order and covered by the same margin. The density's
//! enclosure is widened by `REL·sup|g'|·X` for its argument's error.

use arrayvec::ArrayVec;

use crate::model::crisis::{Crisis, CrisisPoint, Regime};
use crate::model::dist::CostDist;
use crate::model::params::Params;

/// Relative margin for rounding (module documentation).
pub(crate) const REL: f64 = 1e-13;
/// |f| at or below this at an extremum counts as a tangency (the grid search's tangency
/// tolerance): such a cell is never certified free of zeros.
pub(crate) const BAND: f64 = 1e-12;
/// Cells narrower than 2^-MAX_DEPTH of the piece are not bisected further.
const MAX_DEPTH: u32 = 44;
/// Samples per piece before the search gives up.
const MAX_SAMPLES: usize = 256;
/// Brackets (certified simple zeros) one piece can hold.
pub(crate) const MAX_BRACKETS: usize = 16;

/// A closed interval [lo, hi] (computed in round-to-nearest; callers add the margins).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Iv {
    pub lo: f64,
    pub hi: f64,
}

impl Iv {
    #[inline]
    pub(crate) fn pt(x: f64) -> Self {
        Iv { lo: x, hi: x }
    }

    /// The interval spanned by two values, in either order.
    #[inline]
    pub(crate) fn of(a: f64, b: f64) -> Self {
        if a <= b {
            Iv { lo: a, hi: b }
        } else {
            Iv { lo: b, hi: a }
        }
    }

    #[inline]
    fn add(self, o: Iv) -> Iv {
        Iv { lo: self.lo + o.lo, hi: self.hi + o.hi }
    }

    #[inline]
    fn sub(self, o: Iv) -> Iv {
        Iv { lo: self.lo - o.hi, hi: self.hi - o.lo }
    }

    /// Product of two intervals of nonnegative numbers.
    #[inline]
    fn mul_nn(self, o: Iv) -> Iv {
        Iv { lo: self.lo * o.lo, hi: self.hi * o.hi }
    }

    /// Product of two intervals of any sign.
    #[inline]
    fn mul(self, o: Iv) -> Iv {
        let (a, b, c, d) = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi);
        Iv { lo: a.min(b).min(c.min(d)), hi: a.max(b).max(c.max(d)) }
    }

    #[inline]
    fn scale(self, c: f64) -> Iv {
        Iv::of(self.lo * c, self.hi * c)
    }

    /// max |x| over the interval (infinite for a NaN bound).
    #[inline]
    pub(crate) fn mag(self) -> f64 {
        if self.lo <= self.hi {
            self.lo.abs().max(self.hi.abs())
        } else {
            f64::INFINITY
        }
    }

    #[inline]
    fn widen(self, d: f64) -> Iv {
        Iv { lo: self.lo - d, hi: self.hi + d }
    }

    /// Whether every point lies outside [-band, band] (false for a NaN bound).
    #[inline]
    pub(crate) fn excludes(self, band: f64) -> bool {
        self.lo <= self.hi && (self.lo > band || self.hi < -band)
    }

    #[cfg(test)]
    pub(crate) fn contains(self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// How a signal's belief moves with the piece parameter x (nondecreasing in every case).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Belief {
    Const(f64),
    /// q = n/(h - x): the alliance belief below t_1 (n = hi - t_1 > 0, h = hi, x < h).
    Alliance {
        n: f64,
        h: f64,
    },
    /// q = (x - t)/(x - l): the no-alliance belief above t_0 (t = t_0 > l = lo, x >= t).
    NoAlliance {
        t: f64,
        l: f64,
    },
    /// q = x: a response set parametrised by the belief itself.
    Identity,
}

impl Belief {
    /// (q(x), q'(x)).
    #[inline]
    fn at(self, x: f64) -> (f64, f64) {
        match self {
            Belief::Const(q) => (q, 0.0),
            Belief::Alliance { n, h } => {
                let d = h - x;
                (n / d, n / (d * d))
            }
            Belief::NoAlliance { t, l } => {
                let d = x - l;
                ((x - t) / d, (t - l) / (d * d))
            }
            Belief::Identity => (x, 1.0),
        }
    }
}

/// How one signal's crisis moves along the piece.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Motion {
    /// The belief moves (or not) and the crisis stays in one regime of the main branch.
    Belief { q: Belief, regime: Regime },
    /// The W0 segment at q̂: ρ = from + x (to - from).
    W0 { from: f64, to: f64 },
    /// The Cb segment at q^C: ρ = from + x (to - from).
    Cb { from: f64, to: f64 },
    /// A fixed crisis point.
    Fixed(CrisisPoint),
}

/// One signal's part of the function: its motion and the constants its loss needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signal {
    motion: Motion,
    /// 1 - p.
    s: f64,
    /// M_α.
    shift: f64,
    b_c: f64,
    rho_hat: f64,
    /// W at q = 0: p - c_D.
    w_base: f64,
    /// d_α: W(q) = w_base + q d.
    d: f64,
    /// τ(q̂) (W0 segment) and π̄(q^C) (Cb segment).
    tau_hat: f64,
    pi_bar: f64,
    /// L_α(θ) = min(fight, stay), each (slope, intercept).
    fight: (f64, f64),
    stay: (f64, f64),
}

impl Signal {
    /// The signal `alliance` of `crisis` (its path) moving as `motion`. A constant belief is
    /// turned into its fixed crisis point.
    pub(crate) fn new(params: &Params, crisis: &Crisis<'_>, alliance: bool, motion: Motion) -> Self {
        let motion = match motion {
            Motion::Belief { q: Belief::Const(q), regime } => Motion::Fixed(crisis.in_regime(regime, q)),
            m => m,
        };
        let (tau_hat, pi_bar) = match motion {
            Motion::W0 { .. } => (crisis.tau(crisis.q_hat), 0.0),
            Motion::Cb { .. } => {
                let w = crisis.war_value(crisis.q_concede);
                (0.0, 1.0 / (1.0 + (-w).max(0.0)))
            }
            _ => (0.0, 0.0),
        };
        Signal {
            motion,
            tau_hat,
            pi_bar,
            d: crisis.war_gain(),
            rho_hat: crisis.rho_hat,
            ..Self::base(params, alliance, motion)
        }
    }

    /// The signal with A1 (D always resists, MODEL.md §6): P_α = G(τ_α(q)). For a constant
    /// belief, `p_const` is P_α there (the caller has it).
    pub(crate) fn resist(params: &Params, alliance: bool, q: Belief, p_const: f64) -> Self {
        let motion = match q {
            Belief::Const(q) => Motion::Fixed(CrisisPoint::resist(q, p_const, 0.0)),
            q => Motion::Belief { q, regime: Regime::Resist },
        };
        Self::base(params, alliance, motion)
    }

    /// The signal with a fixed crisis point.
    pub(crate) fn fixed(params: &Params, alliance: bool, point: CrisisPoint) -> Self {
        Self::base(params, alliance, Motion::Fixed(point))
    }

    fn base(params: &Params, alliance: bool, motion: Motion) -> Self {
        let r = if alliance { params.r } else { 0.0 };
        Signal {
            motion,
            s: 1.0 - params.p,
            shift: params.war_shift(alliance),
            b_c: params.b_c,
            rho_hat: 0.0,
            w_base: params.p - params.c_d,
            d: 0.0,
            tau_hat: 0.0,
            pi_bar: 0.0,
            fight: (1.0 - params.p_prime(alliance), params.c_a),
            stay: (1.0 - params.p, r),
        }
    }

    /// L_α(θ), as [`Params::loss`] computes it.
    #[inline]
    fn loss(&self, theta: f64) -> f64 {
        let fight = self.fight.0 * theta + self.fight.1;
        let stay = self.stay.0 * theta + self.stay.1;
        fight.min(stay)
    }

    /// The range of dL/dθ over types [a, b]: one slope where one line is the lower at both ends.
    #[inline]
    fn loss_slope(&self, a: f64, b: f64) -> Iv {
        let below = |t: f64| self.fight.0 * t + self.fight.1 <= self.stay.0 * t + self.stay.1;
        match (below(a), below(b)) {
            (true, true) => Iv::pt(self.fight.0),
            (false, false) => Iv::pt(self.stay.0),
            _ => Iv::of(self.fight.0, self.stay.0),
        }
    }
}

/// The point's constants of the rounding margin (module documentation): sup g · X and
/// sup |g'| · X, X bounding the magnitude of the cdf's arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Margins {
    g_x: f64,
    g1_x: f64,
}

impl Margins {
    pub(crate) fn new(params: &Params) -> Self {
        let g = params.cost_c;
        let x_mag = 1.0
            + (1.0 - params.p).abs()
            + params.war_shift(true).max(params.war_shift(false))
            + params.b_c
            + g.location_magnitude();
        Margins { g_x: g.pdf_max() * x_mag, g1_x: g.pdf_slope_max() * x_mag }
    }

    /// sup g · X: a cdf value's rounding error, in units of REL, beyond its relative error.
    pub(crate) fn cdf_scale(&self) -> f64 {
        self.g_x
    }
}

/// The type θ along the piece.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Theta {
    /// θ = x (a span of cut-points).
    Cut,
    Fixed(f64),
}

/// One signal's values at a sample.
#[derive(Debug, Clone, Copy, Default)]
struct Sig {
    /// Λ_α.
    lam: f64,
    /// What multiplies the cdf value in Λ_α (for the rounding margin and the enclosures).
    mult: f64,
    /// The cdf's argument, G and g there.
    arg: f64,
    cdf: f64,
    pdf: f64,
    q: f64,
    dq: f64,
    rho: f64,
    /// L_α(θ).
    l: f64,
}

/// The function at one point of the piece, with its rounding margin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub x: f64,
    pub value: f64,
    /// |true value - value| <= err.
    pub err: f64,
    theta: f64,
    sig: [Sig; 2],
}

impl Sample {
    /// The sign of the true value if the margin decides it, else 0.
    #[inline]
    pub(crate) fn sign(&self) -> i8 {
        if self.value > self.err {
            1
        } else if self.value < -self.err {
            -1
        } else {
            0
        }
    }
}

/// `sign·(Λ_0 - Λ_1 - offset)` on one smooth piece: what [`isolate`] searches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PieceFn {
    g: CostDist,
    /// sup g · X and sup |g'| · X (module documentation).
    g_x: f64,
    g1_x: f64,
    /// Leave the density out of samples (computed when an enclosure of the derivative needs
    /// it): a normal G's density costs an `exp` of its own, a logistic's comes with the cdf.
    lazy_pdf: bool,
    /// [no alliance, alliance].
    sig: [Signal; 2],
    theta: Theta,
    offset: f64,
    sign: f64,
}

impl PieceFn {
    pub(crate) fn new(
        params: &Params,
        margins: Margins,
        sig: [Signal; 2],
        theta: Theta,
        offset: f64,
        sign: f64,
    ) -> Self {
        let g = params.cost_c;
        let lazy_pdf = matches!(g, CostDist::Normal { .. });
        PieceFn { g, g_x: margins.g_x, g1_x: margins.g1_x, lazy_pdf, sig, theta, offset, sign }
    }

    /// G at x, and g unless it is left for later (NaN then).
    #[inline]
    fn cdf_pdf(&self, x: f64) -> (f64, f64) {
        if self.lazy_pdf {
            (self.g.cdf(x), f64::NAN)
        } else {
            self.g.cdf_pdf(x)
        }
    }

    #[inline]
    fn sample_sig(&self, s: &Signal, theta: f64, x: f64) -> Sig {
        let l = s.loss(theta);
        match s.motion {
            Motion::Belief { q: belief, regime } => {
                let (q, dq) = belief.at(x);
                match regime {
                    Regime::Concede => Sig { lam: theta, l, q, dq, ..Sig::default() },
                    Regime::Mixed if s.b_c > 0.0 => {
                        let arg = (s.s - q * s.shift) + s.b_c;
                        let (cdf, pdf) = self.cdf_pdf(arg);
                        let w_abs = (-(s.w_base + q * s.d)).max(0.0);
                        let conc = s.rho_hat * (cdf + cdf * w_abs);
                        let war = (1.0 - s.rho_hat) * cdf;
                        let mult = s.rho_hat * (1.0 + w_abs) * theta + (1.0 - s.rho_hat) * l;
                        Sig { lam: conc * theta + war * l, mult, arg, cdf, pdf, q, dq, rho: s.rho_hat, l }
                    }
                    // R, or M with b_C = 0 (ρ̂ = 0: the canonical loss).
                    _ => {
                        let arg = s.s - q * s.shift;
                        let (cdf, pdf) = self.cdf_pdf(arg);
                        Sig { lam: cdf * l, mult: l, arg, cdf, pdf, q, dq, rho: 0.0, l }
                    }
                }
            }
            Motion::W0 { from, to } => {
                let rho = from + x * (to - from);
                let arg = s.tau_hat + rho / (1.0 - rho);
                let (cdf, pdf) = self.cdf_pdf(arg);
                let mult = rho * theta + (1.0 - rho) * l;
                Sig { lam: rho * cdf * theta + (1.0 - rho) * cdf * l, mult, arg, cdf, pdf, rho, l, ..Sig::default() }
            }
            Motion::Cb { from, to } => {
                let rho = from + x * (to - from);
                Sig { lam: rho * theta + (1.0 - rho) * s.pi_bar * l, rho, l, ..Sig::default() }
            }
            Motion::Fixed(c) => Sig { lam: c.ally_loss(theta, l), mult: theta + l, l, ..Sig::default() },
        }
    }

    /// The function at x, with its margin.
    #[inline]
    pub(crate) fn sample(&self, x: f64) -> Sample {
        let theta = match self.theta {
            Theta::Cut => x,
            Theta::Fixed(t) => t,
        };
        let sig = [self.sample_sig(&self.sig[0], theta, x), self.sample_sig(&self.sig[1], theta, x)];
        let raw = sig[0].lam - sig[1].lam - self.offset;
        let size = sig[0].lam.abs() + sig[1].lam.abs() + self.offset.abs() + self.g_x * (sig[0].mult + sig[1].mult);
        let value = self.sign * raw;
        // Anything not finite (never expected: beliefs stay finite inside their pieces) leaves
        // the sample's sign undecided and its cells unenclosed.
        let finite = value.is_finite() && sig.iter().all(|s| (s.dq + s.arg + s.mult + s.cdf).is_finite());
        let err = if finite { REL * size + f64::MIN_POSITIVE } else { f64::INFINITY };
        Sample { x, value, err, theta, sig }
    }

    /// The density at a sample's cdf argument (computed here when the sample left it out).
    #[inline]
    fn pdf_at(&self, s: &Sig) -> f64 {
        if s.pdf.is_nan() {
            self.g.pdf(s.arg)
        } else {
            s.pdf
        }
    }

    /// The multiplier of the cdf in Λ in regime M: ρ̂(1 + |W|)θ + (1 - ρ̂)L, and the range of
    /// 1 + |W|.
    #[inline]
    fn mixed_factor(s: &Signal, l: &Sig, r: &Sig, th: Iv, loss: Iv) -> (Iv, Iv) {
        let w_abs = |q: f64| 1.0 + (-(s.w_base + q * s.d)).max(0.0);
        let wf = Iv::of(w_abs(l.q), w_abs(r.q));
        (th.mul_nn(wf).scale(s.rho_hat).add(loss.scale(1.0 - s.rho_hat)), wf)
    }

    /// Enclosure of one signal's Λ over the cell between samples `l` and `r`, and its margin.
    #[inline]
    fn value_sig(&self, s: &Signal, l: &Sig, r: &Sig, th: Iv) -> (Iv, f64) {
        let loss = Iv::of(l.l, r.l);
        match s.motion {
            Motion::Belief { regime: Regime::Concede, .. } => (th, REL * th.mag()),
            Motion::Belief { regime: Regime::Mixed, .. } if s.b_c > 0.0 => {
                let (b, _) = Self::mixed_factor(s, l, r, th, loss);
                let val = Iv::of(l.cdf, r.cdf).mul_nn(b);
                (val, REL * (val.mag() + self.g_x * b.hi))
            }
            Motion::Belief { .. } => {
                let val = Iv::of(l.cdf, r.cdf).mul_nn(loss);
                (val, REL * (val.mag() + self.g_x * loss.hi))
            }
            Motion::W0 { .. } => {
                let c = Iv::of(l.mult, r.mult);
                let val = Iv::of(l.cdf, r.cdf).mul_nn(c);
                (val, REL * (val.mag() + self.g_x * c.hi))
            }
            Motion::Cb { .. } => {
                let val = Iv::of(l.lam, r.lam);
                (val, REL * val.mag())
            }
            Motion::Fixed(c) => {
                let val = th.scale(c.concession()).add(loss.scale(c.war()));
                (val, REL * (val.mag() + self.g_x * (th.hi + loss.hi)))
            }
        }
    }

    /// Enclosure of one signal's Λ' over the cell between samples `l` and `r`, and its margin.
    #[inline]
    fn slope_sig(&self, s: &Signal, l: &Sig, r: &Sig, th: Iv, dth: f64) -> (Iv, f64) {
        let loss = Iv::of(l.l, r.l);
        let lslope = if dth == 0.0 { Iv::pt(0.0) } else { s.loss_slope(th.lo, th.hi) };
        let density = || {
            let (gl, gr) = (self.pdf_at(l), self.pdf_at(r));
            let (a, b, ga, gb) = if l.arg <= r.arg { (l.arg, r.arg, gl, gr) } else { (r.arg, l.arg, gr, gl) };
            let (lo, hi) = self.g.pdf_range(a, b, ga, gb);
            Iv { lo, hi }
        };
        let dq = Iv::of(l.dq, r.dq);
        match s.motion {
            Motion::Belief { regime: Regime::Concede, .. } => (Iv::pt(dth), 0.0),
            Motion::Belief { regime: Regime::Mixed, .. } if s.b_c > 0.0 => {
                let cdf = Iv::of(l.cdf, r.cdf);
                let (b, wf) = Self::mixed_factor(s, l, r, th, loss);
                let db = dq
                    .mul_nn(th)
                    .scale(-s.rho_hat * s.d)
                    .add(wf.scale(s.rho_hat * dth))
                    .add(lslope.scale(1.0 - s.rho_hat));
                let t1 = density().mul_nn(dq).mul_nn(b).scale(-s.shift);
                let t2 = cdf.mul(db);
                (t1.add(t2), REL * (t1.mag() + t2.mag() + self.g1_x * s.shift * dq.hi * b.hi))
            }
            Motion::Belief { .. } => {
                let cdf = Iv::of(l.cdf, r.cdf);
                let t1 = density().mul_nn(dq).mul_nn(loss).scale(-s.shift);
                let t2 = cdf.mul_nn(lslope);
                (t1.add(t2), REL * (t1.mag() + t2.mag() + self.g1_x * s.shift * dq.hi * loss.hi))
            }
            Motion::W0 { from, to } => {
                let cdf = Iv::of(l.cdf, r.cdf);
                let c = Iv::of(l.mult, r.mult);
                let zp = |rho: f64| 1.0 / ((1.0 - rho) * (1.0 - rho));
                let dz = Iv::of(zp(l.rho), zp(r.rho));
                let t1 = density().mul_nn(dz).mul_nn(c).scale(to - from);
                let t2 = cdf.mul(th.sub(loss)).scale(to - from);
                (t1.add(t2), REL * (t1.mag() + t2.mag() + self.g1_x * dz.hi * c.hi * (to - from).abs()))
            }
            Motion::Cb { from, to } => {
                let der = th.sub(loss.scale(s.pi_bar)).scale(to - from);
                (der, REL * der.mag())
            }
            Motion::Fixed(c) => {
                let der = Iv::pt(c.concession() * dth).add(lslope.scale(c.war()));
                (der, REL * der.mag())
            }
        }
    }

    /// Enclosure of the function over the cell between `l` and `r` (l.x < r.x), margin included.
    #[inline]
    pub(crate) fn enclose_value(&self, l: &Sample, r: &Sample) -> Iv {
        let th = Iv::of(l.theta, r.theta);
        let (v0, e0) = self.value_sig(&self.sig[0], &l.sig[0], &r.sig[0], th);
        let (v1, e1) = self.value_sig(&self.sig[1], &l.sig[1], &r.sig[1], th);
        let val = v0.sub(v1).sub(Iv::pt(self.offset)).scale(self.sign);
        val.widen(e0 + e1 + REL * self.offset.abs() + f64::MIN_POSITIVE)
    }

    /// Enclosure of the function's derivative over the cell between `l` and `r`, margin included.
    #[inline]
    pub(crate) fn enclose_slope(&self, l: &Sample, r: &Sample) -> Iv {
        let th = Iv::of(l.theta, r.theta);
        let dth = if matches!(self.theta, Theta::Cut) { 1.0 } else { 0.0 };
        let (d0, f0) = self.slope_sig(&self.sig[0], &l.sig[0], &r.sig[0], th, dth);
        let (d1, f1) = self.slope_sig(&self.sig[1], &l.sig[1], &r.sig[1], th, dth);
        d0.sub(d1).scale(self.sign).widen(f0 + f1)
    }

    /// Both enclosures.
    #[cfg(test)]
    pub(crate) fn enclose(&self, l: &Sample, r: &Sample) -> (Iv, Iv) {
        (self.enclose_value(l, r), self.enclose_slope(l, r))
    }
}

/// A cell with exactly one zero, a simple one: its ends and the function's values there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bracket {
    pub a: f64,
    pub b: f64,
    pub fa: f64,
    pub fb: f64,
}

/// What [`isolate`] found on a piece.
#[derive(Debug, Clone)]
pub(crate) struct Isolation {
    /// Cells with exactly one zero (a simple one), in increasing x.
    pub brackets: ArrayVec<Bracket, MAX_BRACKETS>,
    /// Every cell was decided: the brackets hold every zero of the piece.
    pub certified: bool,
    /// Samples taken.
    pub samples: usize,
}

/// Isolate the zeros of `f` on [a, b] (module documentation). Stops at the first cell it cannot
/// decide (then `certified` is false and the brackets found so far are kept).
pub(crate) fn isolate(f: &PieceFn, a: f64, b: f64) -> Isolation {
    let mut out = Isolation { brackets: ArrayVec::new(), certified: true, samples: 2 };
    let (sa, sb) = (f.sample(a), f.sample(b));
    // Most pieces are decided whole.
    let first = decide(f, &sa, &sb);
    match first {
        Cell::Empty => return out,
        Cell::Root => {
            out.brackets.push(Bracket { a, b, fa: sa.value, fb: sb.value });
            return out;
        }
        Cell::Split(_) => bisect(f, sa, sb, first, &mut out),
    }
    out
}

/// The rest of [`isolate`] once the whole piece is undecided (kept out of line: its sample
/// pool makes a large stack frame, which the common case should not pay for).
#[inline(never)]
fn bisect(f: &PieceFn, sa: Sample, sb: Sample, first: Cell, out: &mut Isolation) {
    // Depth-first, left to right, over a pool of samples: the current cell is [left, the top of
    // `rights`]; a decided cell hands its right end over as the next left end, a split one
    // pushes its midpoint.
    let mut pool: ArrayVec<Sample, MAX_SAMPLES> = ArrayVec::new();
    pool.push(sa);
    pool.push(sb);
    let mut left = 0usize;
    let mut rights: ArrayVec<(usize, u32), 64> = ArrayVec::new();
    rights.push((1, 0));
    let mut cell = Some(first);
    while let Some(&(right, depth)) = rights.last() {
        let (l, r) = (&pool[left], &pool[right]);
        let verdict = cell.take().unwrap_or_else(|| decide(f, l, r));
        match verdict {
            Cell::Empty => {}
            Cell::Root => {
                if out.brackets.try_push(Bracket { a: l.x, b: r.x, fa: l.value, fb: r.value }).is_err() {
                    out.certified = false;
                    return;
                }
            }
            Cell::Split(mono) => {
                let mid = l.x + 0.5 * (r.x - l.x);
                if depth >= MAX_DEPTH || pool.is_full() || !(mid > l.x && mid < r.x) {
                    out.certified = false;
                    return;
                }
                let half = 0.5 * (r.x - l.x);
                let m = f.sample(mid);
                out.samples += 1;
                let done = mono.is_some_and(|der| {
                    // Mean-value form: f on the cell lies in f(m) + f'·[-h/2, h/2].
                    let rad = der.mag() * half;
                    let slack = m.err + rad + 4.0 * f64::EPSILON * (m.value.abs() + rad);
                    Iv::pt(m.value).widen(slack).excludes(BAND)
                });
                if !done {
                    pool.push(m);
                    if let Some(top) = rights.last_mut() {
                        top.1 = depth + 1;
                    }
                    rights.push((pool.len() - 1, depth + 1));
                    continue;
                }
            }
        }
        if let Some((next, _)) = rights.pop() {
            left = next;
        }
    }
}

/// What a cell is, from its ends.
enum Cell {
    /// No zero.
    Empty,
    /// Exactly one simple zero.
    Root,
    /// Undecided: bisect; with the derivative's enclosure when it contains 0 (for the
    /// mean-value test at the midpoint).
    Split(Option<Iv>),
}

#[inline]
fn decide(f: &PieceFn, l: &Sample, r: &Sample) -> Cell {
    if !(l.err.is_finite() && r.err.is_finite()) {
        return Cell::Split(None);
    }
    if f.enclose_value(l, r).excludes(BAND) {
        return Cell::Empty;
    }
    let der = f.enclose_slope(l, r);
    if !der.excludes(0.0) {
        return Cell::Split(Some(der));
    }
    match (l.sign(), r.sign()) {
        (0, _) | (_, 0) => Cell::Split(None),
        (sl, sr) if sl != sr => Cell::Root,
        _ => Cell::Empty,
    }
}

/// Whether min over x in [a, b] of max_i f_i(x) provably exceeds `threshold` (the existence
/// test of a pooling: no response deters every type). Each cell's lower bound is the largest
/// over i of the lower end of f_i's enclosure, natural or mean-value; cells are bisected until
/// the bound clears the threshold, some midpoint is certainly at or below it (then the claim is
/// false), or the depth or sample budget runs out (not proved).
pub(crate) fn min_max_above(fs: &[PieceFn], a: f64, b: f64, threshold: f64) -> bool {
    const MAX_FNS: usize = 4;
    type Ends = ArrayVec<Sample, MAX_FNS>;
    if fs.is_empty() || fs.len() > MAX_FNS {
        return false;
    }
    let at = |x: f64| -> Ends { fs.iter().map(|f| f.sample(x)).collect() };
    let above = |s: &Ends| s.iter().any(|v| v.value - v.err > threshold);
    if b <= a {
        return above(&at(a));
    }
    let mut budget = MAX_SAMPLES;
    let mut stack: ArrayVec<(f64, Ends, f64, Ends, u32), 48> = ArrayVec::new();
    stack.push((a, at(a), b, at(b), 0));
    while let Some((xl, l, xr, r, depth)) = stack.pop() {
        let mut ders: ArrayVec<Iv, MAX_FNS> = ArrayVec::new();
        let mut bound = f64::NEG_INFINITY;
        let finite = |i: usize| l[i].err.is_finite() && r[i].err.is_finite();
        for (i, f) in fs.iter().enumerate() {
            if finite(i) {
                bound = bound.max(f.enclose_value(&l[i], &r[i]).lo);
            }
        }
        if bound > threshold {
            continue;
        }
        for (i, f) in fs.iter().enumerate() {
            let unknown = Iv { lo: f64::NEG_INFINITY, hi: f64::INFINITY };
            ders.push(if finite(i) { f.enclose_slope(&l[i], &r[i]) } else { unknown });
        }
        let mid = xl + 0.5 * (xr - xl);
        if depth >= MAX_DEPTH || budget == 0 || stack.is_full() || !(mid > xl && mid < xr) {
            return false;
        }
        budget -= 1;
        let m = at(mid);
        if m.iter().all(|v| v.value + v.err <= threshold) {
            return false; // a response that certainly deters every type
        }
        let half = 0.5 * (xr - xl);
        let lower = |(v, d): (&Sample, &Iv)| {
            let rad = d.mag() * half;
            v.value - v.err - rad - 4.0 * f64::EPSILON * (v.value.abs() + rad)
        };
        // Mean-value form: f_i on the cell lies above f_i(m) - |f_i'|·h/2.
        if m.iter().zip(&ders).map(lower).fold(f64::NEG_INFINITY, f64::max) > threshold {
            continue;
        }
        stack.push((mid, m.clone(), xr, r, depth + 1));
        if stack.is_full() {
            return false;
        }
        stack.push((xl, l, mid, m, depth + 1));
    }
    true
}

/// Gain(θ) = Λ_0 - Λ_1 - k at fixed crisis points, with its rounding margin.
pub(crate) fn fixed_gain(params: &Params, theta: f64, alliance: &CrisisPoint, no_alliance: &CrisisPoint) -> Sample {
    let sig = [Signal::fixed(params, false, *no_alliance), Signal::fixed(params, true, *alliance)];
    PieceFn::new(params, Margins::new(params), sig, Theta::Fixed(theta), params.k, 1.0).sample(theta)
}

/// A bound on the rounding error of a gain computed as `p0 L_0(θ) - p1 L_1(θ) - k` from
/// challenge probabilities p_α = G(·) (the same margin as [`PieceFn::sample`]'s): decisions
/// closer to their threshold than this are not certified.
pub(crate) fn gain_margin(params: &Params, theta: f64, p0: f64, p1: f64) -> f64 {
    let g = params.cost_c;
    let x_mag = 1.0
        + (1.0 - params.p).abs()
        + params.war_shift(true).max(params.war_shift(false))
        + params.b_c
        + g.location_magnitude();
    let (l0, l1) = (params.loss(false, theta).abs(), params.loss(true, theta).abs());
    REL * (p0 * l0 + p1 * l1 + params.k + g.pdf_max() * x_mag * (l0 + l1)) + f64::MIN_POSITIVE
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::dist::{CostDist, TypeDist};
    use crate::solvers::cutpoint_map::CutpointMap;

    /// A small deterministic generator (xorshift), so the tests need no dependency.
    pub(crate) struct Rng(u64);

    impl Rng {
        pub(crate) fn new(seed: u64) -> Self {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        pub(crate) fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        pub(crate) fn range(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * self.next()
        }
    }

    /// The known miss of the grid search (issue 12): two roots 1.4e-3 apart in region III.
    fn close_pair() -> Params {
        Params {
            p: 0.351_023_082_206_662 + 1e-5,
            k: 0.34,
            cost_c: CostDist::Logistic { mu: 0.42, scale: 0.02 },
            ..Params::default()
        }
    }

    #[test]
    fn the_close_pair_is_isolated_and_certified() {
        let params = close_pair();
        let map = CutpointMap::new(&params, 0.0, 1.0);
        let (a, b) = (map.t0, 1.0);
        let f = map.piece_fn(a, b);
        let iso = isolate(&f, a, b);
        assert!(iso.certified);
        assert_eq!(iso.brackets.len(), 2, "{:?}", iso.brackets);
        let br = iso.brackets[0];
        assert!(br.a < 0.680_79 && br.b > 0.680_78, "{br:?}");
        let br = iso.brackets[1];
        assert!(br.a < 0.682_19 && br.b > 0.682_18, "{br:?}");
    }

    /// The certifier's own Φ is the cut-point map's to rounding.
    #[test]
    fn sampled_phi_is_the_cutpoint_maps() {
        let mut rng = Rng::new(3);
        for _ in 0..2000 {
            let params = random_a1(&mut rng);
            let TypeDist::Uniform { lo, hi } = params.theta else { unreachable!() };
            let map = CutpointMap::new(&params, lo, hi);
            for (a, b) in map.pieces() {
                let f = map.piece_fn(a, b);
                for _ in 0..5 {
                    let x = rng.range(a, b);
                    let s = f.sample(x);
                    assert!((s.value - map.phi(x)).abs() <= s.err, "{params:?} at {x}: {} vs {}", s.value, map.phi(x));
                }
            }
        }
    }

    pub(crate) fn random_a1(rng: &mut Rng) -> Params {
        let p = rng.range(0.05, 0.85);
        let p_alliance = p + rng.range(0.02, 1.0) * (1.0 - p);
        let p_coalition = if rng.next() < 0.3 { p_alliance } else { p + rng.range(0.02, 1.0) * (p_alliance - p) };
        let c_d = rng.range(0.0, 1.0) * p;
        let lo = if rng.next() < 0.5 { 0.0 } else { rng.range(0.0, 0.5) };
        let cost_c = if rng.next() < 0.5 {
            CostDist::Logistic { mu: rng.range(-0.2, 1.0), scale: rng.range(0.01, 0.5) }
        } else {
            CostDist::Normal { mu: rng.range(-0.2, 1.0), scale: rng.range(0.01, 0.5) }
        };
        Params {
            p,
            p_alliance,
            p_coalition,
            c_d,
            c_d_joint: rng.range(0.0, 1.0) * c_d,
            c_c_extra: rng.range(0.0, 0.3),
            c_a: rng.range(0.01, 0.4),
            k: rng.range(0.0, 0.3),
            r: rng.range(0.0, 0.3),
            b_c: rng.range(0.0, 0.2),
            theta: TypeDist::Uniform { lo, hi: lo + rng.range(0.1, 1.5) },
            cost_c,
        }
    }

    /// A random point where A1 fails (D may concede), uniform, logistic or normal G.
    pub(crate) fn random_crisis(rng: &mut Rng) -> Params {
        let mut params = random_a1(rng);
        params.c_d = params.p + rng.range(0.001, 0.6);
        params.c_d_joint = rng.range(0.0, 1.0) * params.c_d;
        if rng.next() < 0.3 {
            let lo = rng.range(-0.5, 0.8);
            params.cost_c = CostDist::Uniform { lo, hi: lo + rng.range(0.05, 1.2) };
        }
        if rng.next() < 0.1 {
            params.b_c = 0.0;
        }
        params
    }

    /// Enclosures of `f` on a random cell of [a, b] against dense samples of the function (and
    /// its difference quotients against the derivative's enclosure).
    pub(crate) fn check_cell(f: &PieceFn, a: f64, b: f64, rng: &mut Rng, what: &dyn Fn() -> String) {
        let w = (b - a) * rng.next().powi(3);
        let xl = a + (b - a - w) * rng.next();
        let (l, r) = (f.sample(xl), f.sample(xl + w));
        let (val, der) = f.enclose(&l, &r);
        let n = 64;
        let mut prev = l;
        for i in 1..=n {
            let x = xl + w * i as f64 / n as f64;
            let s = f.sample(x);
            assert!(
                val.widen(s.err).contains(s.value),
                "{} cell [{xl}, {}]: {} not in {val:?}",
                what(),
                xl + w,
                s.value
            );
            // A difference quotient is f' at some point of the cell (mean value theorem).
            let h = s.x - prev.x;
            if h > 1e-7 * (b - a) {
                let quotient = (s.value - prev.value) / h;
                let slack = (s.err + prev.err) / h;
                assert!(der.widen(slack).contains(quotient), "{}: f' {quotient} not in {der:?}", what());
            }
            prev = s;
        }
    }

    /// Along the crisis cut-point path (A1 fails: spans in regimes R, M, C and the W0 / Cb
    /// segments), the certifier's Φ is the path's to rounding and the enclosures hold.
    #[test]
    fn crisis_pieces_are_the_paths_and_their_enclosures_hold() {
        use crate::solvers::crisis_path::{CutpointPath, Piece};
        let mut rng = Rng::new(17);
        let (mut spans, mut segments) = (0, 0);
        for _ in 0..3000 {
            let params = random_crisis(&mut rng);
            let TypeDist::Uniform { lo, hi } = params.theta else { unreachable!() };
            let path = CutpointPath::new(&params, lo, hi);
            for piece in &path.pieces {
                let (a, b) = CutpointPath::range(piece);
                let f = path.piece_fn(piece);
                for _ in 0..4 {
                    let x = rng.range(a, b);
                    let s = f.sample(x);
                    let want = path.phi(piece, x);
                    assert!((s.value - want).abs() <= s.err, "{params:?} {piece:?} at {x}: {} vs {want}", s.value);
                }
                check_cell(&f, a, b, &mut rng, &|| format!("{params:?} {piece:?}"));
                match piece {
                    Piece::Span { .. } => spans += 1,
                    Piece::Boundary { .. } => segments += 1,
                }
            }
        }
        assert!(spans > 3000 && segments > 300, "{spans} {segments}");
    }

    /// Next to a tangency along the crisis path (k shifted so that Φ touches zero at a local
    /// extremum of a piece): never certified at the touch; 1e-8 away, certified with exactly the
    /// zeros a dense scan of the piece finds (a pair on one side, none on the other).
    #[test]
    fn crisis_tangencies_are_flagged_and_near_ones_counted() {
        use crate::solvers::crisis_path::CutpointPath;
        let mut rng = Rng::new(37);
        let (mut touches, mut near) = (0, 0);
        for _ in 0..6000 {
            let params = random_crisis(&mut rng);
            let TypeDist::Uniform { lo, hi } = params.theta else { unreachable!() };
            let path = CutpointPath::new(&params, lo, hi);
            for (i, piece) in path.pieces.iter().enumerate() {
                let (a, b) = CutpointPath::range(piece);
                let n = 400;
                let xs: Vec<f64> = (0..=n).map(|j| a + (b - a) * j as f64 / n as f64).collect();
                let ys: Vec<f64> = xs.iter().map(|&x| path.phi(piece, x)).collect();
                // An interior local extremum of Φ on the piece, well inside it.
                let Some(j) = (n / 10..9 * n / 10).find(|&j| (ys[j] - ys[j - 1]) * (ys[j + 1] - ys[j]) < 0.0) else {
                    continue;
                };
                let (x_ext, _) = crate::numeric::golden_min(
                    |x| if ys[j] > ys[j - 1] { -path.phi(piece, x) } else { path.phi(piece, x) },
                    xs[j - 1],
                    xs[j + 1],
                    1e-12,
                );
                let touch = path.phi(piece, x_ext);
                for shift in [0.0, 1e-8, -1e-8] {
                    let moved = Params { k: params.k + touch + shift, ..params };
                    if moved.k < 0.0 {
                        continue;
                    }
                    let path2 = CutpointPath::new(&moved, lo, hi);
                    let piece2 = &path2.pieces[i];
                    let iso = isolate(&path2.piece_fn(piece2), a, b);
                    if shift == 0.0 {
                        assert!(!iso.certified, "{moved:?} piece {i}: a tangency at {x_ext} certified");
                        touches += 1;
                    } else if iso.certified {
                        let dense = 40_000;
                        let vals: Vec<f64> =
                            (0..=dense).map(|j| path2.phi(piece2, a + (b - a) * j as f64 / dense as f64)).collect();
                        let changes = vals.windows(2).filter(|w| (w[0] > 0.0) != (w[1] > 0.0)).count();
                        assert_eq!(iso.brackets.len(), changes, "{moved:?} piece {i} near {x_ext}");
                        near += 1;
                    }
                }
            }
        }
        assert!(touches > 60 && near > 100, "{touches} {near}");
    }

    /// The bound is rigorous: on random cells of random pieces, Φ sampled densely never leaves
    /// the enclosure, nor its difference quotients the derivative's enclosure.
    #[test]
    fn sampled_phi_never_leaves_the_enclosure() {
        let mut rng = Rng::new(11);
        let mut cells = 0;
        for _ in 0..3000 {
            let params = random_a1(&mut rng);
            let TypeDist::Uniform { lo, hi } = params.theta else { unreachable!() };
            let map = CutpointMap::new(&params, lo, hi);
            for (a, b) in map.pieces() {
                let f = map.piece_fn(a, b);
                let w = (b - a) * rng.next().powi(3);
                let xl = a + (b - a - w) * rng.next();
                let (l, r) = (f.sample(xl), f.sample(xl + w));
                let (val, der) = f.enclose(&l, &r);
                let n = 64;
                let mut prev = l;
                for i in 1..=n {
                    let x = xl + w * i as f64 / n as f64;
                    let s = f.sample(x);
                    assert!(
                        val.widen(s.err).contains(s.value),
                        "{params:?} cell [{xl}, {}]: {} not in {val:?}",
                        xl + w,
                        s.value
                    );
                    // A difference quotient is Φ' at some point of the cell (mean value theorem).
                    let h = s.x - prev.x;
                    if h > 1e-7 * (b - a) {
                        let quotient = (s.value - prev.value) / h;
                        let slack = (s.err + prev.err) / h;
                        assert!(der.widen(slack).contains(quotient), "{params:?}: Φ' {quotient} not in {der:?}");
                    }
                    prev = s;
                }
                cells += 1;
            }
        }
        assert!(cells > 3000, "{cells}");
    }
}
