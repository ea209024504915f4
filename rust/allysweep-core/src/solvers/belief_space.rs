//! Belief-space search (MODEL.md §11): equilibria as fixed points of the best-response map
//! (P_0, P_1) -> (G(τ_0(S)), G(τ_1(S))), S the set of types that gain from allying.
//!
//! Continuous ally (θ ~ U[lo, hi]). For fixed (P_0, P_1) Gain is piecewise linear in θ, so the
//! indifferent type u*(P) is explicit. Between the kinks t_1 <= t_0 at most one of the two
//! beliefs moves with the cutpoint (q_1 below t_1, q_0 above t_0; neither in between), so in
//! each region the fixed point is a one-dimensional problem in the moving probability P:
//! h(P) = G(τ(q(u*(P)))) - P = 0, scanned over the P's that make some type in the region
//! indifferent. This searches a different function in a different coordinate than `roots`
//! (which finds zeros of Φ in the cutpoint), so agreement is a real cross-check.
//!
//! Two-type ally: pure profiles are checked directly; for one-type mixing the mixer's
//! indifference is solved by a scan in σ (beliefs by Bayes' rule), not by inverting G.
//! Poolings (fixed points with a signal off path) use the shared pooling code.

use crate::model::dist::TypeDist;
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::resolve_range_cost;
use crate::model::params::Params;
use crate::numeric::{all_roots, Found};
use crate::solvers::cutpoint_map::{CutpointMap, DEGENERATE_SLOPE};
use crate::solvers::pooling::{pool_alliance, pool_no_alliance, Support};
use crate::solvers::two_type::{self, Type};

/// Grid cells of the scan in P (per region) and in σ.
const CELLS: usize = 48;
/// Roots closer than this are one root (found from both sides of a region boundary).
const MERGE_TOL: f64 = 1e-9;

/// Solve one valid point: every equilibrium, as `roots` reports it.
pub fn solve_unchecked(params: &Params, range_cost: f64) -> Solution {
    let range_cost = resolve_range_cost(params, range_cost);
    let mut out = Solution::new(params, range_cost);
    if !params.a1_holds() {
        crate::solvers::belief_space_crisis::solve(params, range_cost, &mut out);
        out.finish();
        out.mark_nc_branch(params);
        return out;
    }
    match params.theta {
        TypeDist::Uniform { lo, hi } => {
            continuous(params, lo, hi, range_cost, &mut out);
            let support = Support::Interval { lo, hi };
            pool_no_alliance(params, support, range_cost, hi, &mut out);
            pool_alliance(params, support, range_cost, lo, &mut out);
        }
        TypeDist::TwoPoint { low, high, prior_high } => two_type(params, low, high, prior_high, range_cost, &mut out),
    }
    out.finish();
    out
}

/// Which challenge probability moves with the cutpoint in a region.
#[derive(Clone, Copy, PartialEq)]
enum Moving {
    /// Region I (u < t_1): P_1 moves, P_0 = G(1 - p).
    AfterAlliance,
    /// Region II (t_1 <= u <= t_0): both fixed.
    Neither,
    /// Region III (u > t_0): P_0 moves, P_1 = G(1 - p - M_1).
    AfterNoAlliance,
}

struct Region<'a> {
    params: &'a Params,
    lo: f64,
    hi: f64,
    t1: f64,
    t0: f64,
}

impl Region<'_> {
    fn q1(&self, u: f64) -> f64 {
        (self.hi - self.t1.max(u).clamp(self.lo, self.hi)) / (self.hi - u)
    }

    fn q0(&self, u: f64) -> f64 {
        (u - self.t0.clamp(self.lo, self.hi)).max(0.0) / (u - self.lo)
    }

    /// Gain(θ) = c1 θ + c0 on the region for fixed (P_0, P_1): (c1, c0).
    fn gain_line(&self, region: Moving, p0: f64, p1: f64) -> (f64, f64) {
        let pr = self.params;
        let (s, s1, s0) = (1.0 - pr.p, 1.0 - pr.p_alliance, 1.0 - pr.p_coalition);
        match region {
            Moving::AfterAlliance => (p0 * s - p1 * s, -p1 * pr.r - pr.k),
            Moving::Neither => (p0 * s - p1 * s1, -p1 * pr.c_a - pr.k),
            Moving::AfterNoAlliance => (p0 * s0 - p1 * s1, (p0 - p1) * pr.c_a - pr.k),
        }
    }

    /// The moving P that makes type u indifferent (the other P fixed at `fixed`).
    fn indifference_p(&self, region: Moving, fixed: f64, u: f64) -> f64 {
        let pr = self.params;
        let (s, s1, s0) = (1.0 - pr.p, 1.0 - pr.p_alliance, 1.0 - pr.p_coalition);
        match region {
            // P_0 s u = P_1 (s u + r) + k.
            Moving::AfterAlliance => (fixed * s * u - pr.k) / (s * u + pr.r),
            // P_0 (s_0 u + c_A) = P_1 (s_1 u + c_A) + k.
            Moving::AfterNoAlliance => (fixed * (s1 * u + pr.c_a) + pr.k) / (s0 * u + pr.c_a),
            Moving::Neither => f64::NAN,
        }
    }

    /// The type made indifferent by (P_0, P_1), if Gain is not flat.
    fn indifferent_type(&self, region: Moving, p0: f64, p1: f64) -> f64 {
        let (c1, c0) = self.gain_line(region, p0, p1);
        -c0 / c1
    }

    /// Search one region [a, b] of cutpoints; push the cutpoints of the fixed points found.
    fn search(&self, region: Moving, a: f64, b: f64, push: &mut impl FnMut(f64, bool), continuum: &mut bool) {
        let pr = self.params;
        let p_bar = pr.prob_challenge(false, 0.0);
        let p_low = pr.prob_challenge(true, 1.0);
        // The beliefs that do not move with u (the other signal's belief is constant here).
        let (p0_fixed, p1_fixed) = match region {
            Moving::AfterAlliance => (pr.prob_challenge(false, self.q0(0.5 * (a + b))), f64::NAN),
            Moving::Neither => {
                let mid = 0.5 * (a + b);
                (pr.prob_challenge(false, self.q0(mid)), pr.prob_challenge(true, self.q1(mid)))
            }
            Moving::AfterNoAlliance => (f64::NAN, p_low),
        };
        let moving_is_constant = match region {
            Moving::AfterAlliance => self.t1 >= self.hi,
            Moving::AfterNoAlliance => self.t0 <= self.lo,
            Moving::Neither => true,
        };
        if moving_is_constant {
            let mid = 0.5 * (a + b);
            let p0 = if p0_fixed.is_nan() { pr.prob_challenge(false, self.q0(mid)) } else { p0_fixed };
            let p1 = if p1_fixed.is_nan() { pr.prob_challenge(true, self.q1(mid)) } else { p1_fixed };
            let (c1, c0) = self.gain_line(region, p0, p1);
            let scale = p0 + p1 + pr.k + 1e-300;
            if c1.abs() <= 1e-15 * scale && c0.abs() <= 1e-15 * scale {
                *continuum = true;
                push(mid, true);
            } else if c1 != 0.0 {
                let u = -c0 / c1;
                if u >= a && u <= b {
                    push(u, false);
                }
            }
            return;
        }
        let _ = p_bar;
        let fixed = if region == Moving::AfterAlliance { p0_fixed } else { p1_fixed };
        // The moving P as a function of the indifferent type is monotone (linear-fractional):
        // its values at the region's ends bound the P's worth searching.
        let (pa, pb) = (self.indifference_p(region, fixed, a), self.indifference_p(region, fixed, b));
        let (p_min, p_max) = (pa.min(pb).max(0.0), pa.max(pb).min(1.0));
        if p_min > p_max {
            return;
        }
        let image = |u: f64| match region {
            Moving::AfterAlliance => pr.prob_challenge(true, self.q1(u)),
            _ => pr.prob_challenge(false, self.q0(u)),
        };
        let to_u = |p: f64| match region {
            Moving::AfterAlliance => self.indifferent_type(region, fixed, p),
            _ => self.indifferent_type(region, p, fixed),
        };
        let h = |p: f64| image(to_u(p).clamp(a, b)) - p;
        if p_max - p_min <= 1e-14 {
            // Every cutpoint of the region is indifferent at (nearly) one P: look for cutpoints
            // whose own P equals it.
            let p_star = 0.5 * (p_min + p_max);
            all_roots(|u| image(u) - p_star, a, b, CELLS, 1, 1e-15, |_| -1.0, &mut |f: Found| push(f.x, f.tangent));
            return;
        }
        all_roots(h, p_min, p_max, CELLS, 1, 0.0, |_| -1.0, &mut |f: Found| {
            let u = to_u(f.x);
            if u >= a && u <= b {
                push(u, f.tangent);
            }
        });
    }
}

fn continuous(params: &Params, lo: f64, hi: f64, range_cost: f64, out: &mut Solution) {
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let region = Region { params, lo, hi, t1, t0 };
    let mut roots: [(f64, bool); 24] = [(f64::NAN, false); 24];
    let mut n = 0;
    let mut continuum = false;
    // Where Φ vanishes within rounding on whole pieces, the fixed-point residual is rounding noise
    // too and its sign changes are no fixed points: those intervals come from the continuum rule
    // (shared with `roots`, so continua are not cross-checked), one equilibrium at each midpoint.
    let (spans, n_spans) = crate::solvers::roots::vanishing_intervals(params, lo, hi);
    let spans = &spans[..n_spans];
    let in_span = |u: f64| spans.iter().any(|&(a, b)| u >= a - MERGE_TOL && u <= b + MERGE_TOL);
    let mut push = |u: f64, tangent: bool| {
        if in_span(u) {
            return;
        }
        if u > lo && u < hi && n < roots.len() && !roots[..n].iter().any(|(v, _)| (v - u).abs() < MERGE_TOL) {
            roots[n] = (u, tangent);
            n += 1;
        }
    };
    let (b1, b0) = (t1.clamp(lo, hi), t0.clamp(lo, hi));
    // Region II first so that a root on t_1 or t_0 keeps its honest label.
    if b0 >= b1 && b1 < hi && b0 > lo {
        region.search(Moving::Neither, b1, b0, &mut push, &mut continuum);
    }
    if b1 > lo {
        region.search(Moving::AfterAlliance, lo, b1, &mut push, &mut continuum);
    }
    if b0 < hi {
        region.search(Moving::AfterNoAlliance, b0, hi, &mut push, &mut continuum);
    }
    for &(a, b) in spans {
        let u = 0.5 * (a + b);
        if u > lo && u < hi && n < roots.len() {
            roots[n] = (u, true);
            n += 1;
        }
        continuum = true;
    }
    let phi = CutpointMap::new(params, lo, hi);
    for &(u, tangent) in &roots[..n] {
        // Φ'(u) for the flags, by a central difference kept on u's side of the kinks.
        let (mut a, mut b) = (lo, hi);
        for kink in [t1, t0] {
            if kink < u && kink > a {
                a = kink;
            }
            if kink > u && kink < b {
                b = kink;
            }
        }
        let step = 1e-6 * (b - a).max(1e-300);
        let (x1, x2) = ((u - step).max(a), (u + step).min(b));
        let slope = (phi.phi(x2) - phi.phi(x1)) / (x2 - x1);
        let kind = if u >= t1 { Kind::CutpointHonest } else { Kind::CutpointBluff };
        let degenerate = tangent || slope.abs() < DEGENERATE_SLOPE;
        let flags = Flags { stable: slope > 0.0 && !tangent, ic_ok: true, d1_ok: true, degenerate };
        let prob_alliance = (hi - u) / (hi - lo);
        out.push(Equilibrium::new(
            params,
            range_cost,
            kind,
            u,
            prob_alliance,
            Some(region.q1(u)),
            Some(region.q0(u)),
            flags,
        ));
    }
    if continuum {
        out.mark_continuum();
    }
}

fn two_type(params: &Params, low: f64, high: f64, prior_high: f64, range_cost: f64, out: &mut Solution) {
    two_type::pure_profiles(params, low, high, prior_high, range_cost, out);
    let (lo_t, hi_t) = two_type::types(params, low, high, prior_high);
    for (mixer, other) in [(lo_t, hi_t), (hi_t, lo_t)] {
        for other_allies in [true, false] {
            mixing(params, mixer, other, other_allies, range_cost, out);
        }
    }
}

/// `mixer` allies with probability σ in (0, 1), `other` surely (`other_allies`) or never:
/// scan σ for the mixer's indifference, beliefs by Bayes' rule.
fn mixing(params: &Params, mixer: Type, other: Type, other_allies: bool, range_cost: f64, out: &mut Solution) {
    // Only the belief after the signal both types send moves with σ; if both types act alike
    // after it, σ is not pinned down (non-generic: skipped, as in `roots`).
    if other_allies && mixer.honours == other.honours || !other_allies && mixer.intervenes == other.intervenes {
        return;
    }
    let beliefs = |sigma: f64| {
        if other_allies {
            let q1 = (other.weight * other.honours + mixer.weight * sigma * mixer.honours)
                / (other.weight + mixer.weight * sigma);
            (q1, mixer.intervenes)
        } else {
            let x = 1.0 - sigma;
            let q0 = (other.weight * other.intervenes + mixer.weight * x * mixer.intervenes)
                / (other.weight + mixer.weight * x);
            (mixer.honours, q0)
        }
    };
    let probs = |sigma: f64| {
        let (q1, q0) = beliefs(sigma);
        (params.prob_challenge(false, q0), params.prob_challenge(true, q1))
    };
    let residual = |sigma: f64| {
        let (p0, p1) = probs(sigma);
        params.gain(mixer.theta, p0, p1)
    };
    let mut found = [f64::NAN; 8];
    let mut n = 0;
    // The mixer's gain within rounding of 0 for every σ (its challenge probabilities saturated,
    // say): the residual is rounding noise and its sign changes are no fixed points. The
    // indifference is then decided as `roots` decides it, in closed form (not cross-checked).
    let zero = params.gain_rounding(mixer.theta, 0.0);
    let vanishes = all_roots(residual, 0.0, 1.0, 8, 1, 0.0, |_| zero, &mut |f: Found| {
        if f.x > 0.0 && f.x < 1.0 && n < found.len() && !found[..n].iter().any(|s| (s - f.x).abs() < MERGE_TOL) {
            found[n] = f.x;
            n += 1;
        }
    });
    if vanishes {
        crate::solvers::roots::hybrid_mixed(params, mixer, other, other_allies, range_cost, out);
        return;
    }
    for &sigma in &found[..n] {
        let (q1, q0) = beliefs(sigma);
        let (p0, p1) = probs(sigma);
        // The indifference pins σ only through a challenge probability strictly inside (0, 1)
        // (docs/conventions.md, two-type hybrids: "needs 0 < P* < 1"): where G is saturated,
        // the gain is flat in σ and its zeros there are no hybrids.
        let moving = if other_allies { p1 } else { p0 };
        if !(moving > 0.0 && moving < 1.0) {
            continue;
        }
        let g_other = params.gain(other.theta, p0, p1);
        if (other_allies && g_other < 0.0) || (!other_allies && g_other > 0.0) {
            continue;
        }
        let stable = if other_allies { mixer.honours < other.honours } else { mixer.intervenes < other.intervenes };
        let prob_alliance = mixer.weight * sigma + if other_allies { other.weight } else { 0.0 };
        let flags = Flags { stable, ic_ok: true, d1_ok: true, degenerate: false };
        out.push(Equilibrium::new(
            params,
            range_cost,
            Kind::Hybrid,
            f64::NAN,
            prob_alliance,
            Some(q1),
            Some(q0),
            flags,
        ));
    }
}
