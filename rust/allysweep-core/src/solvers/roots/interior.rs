//! Continuous ally type θ ~ Uniform(lo, hi): interior cutpoint equilibria (MODEL.md §6).
//!
//! Φ(u) = P_0(u) L_0(u) - P_1(u) L_1(u) - k is continuous and piecewise smooth on (lo, hi), with
//! kinks at t_1 and t_0 (where beliefs and A's best reply at war change form) and, for a
//! uniform G, where the challenge probability saturates at 0 or 1. Between kinks:
//! - uniform G: Φ(u)·D(u) is a polynomial of degree <= 2 (D = hi - u below t_1, 1 between t_1
//!   and t_0, u - lo above t_0), so its roots are computed exactly;
//! - logistic / normal G: the zeros are isolated by the certified search
//!   ([`crate::solvers::certify`]: interval enclosures of Φ and Φ', adaptive bisection) and
//!   refined by Brent's method to 1e-13. A piece the search cannot decide (a tangency, Φ
//!   vanishing on it) falls back on the grid search: Φ sampled on a grid, sign changes refined by
//!   Brent and near-touching extrema searched for tangent (double) roots.
//!
//! Either way the point is `certified` (status bit 4) only when every piece was decided (for a
//! uniform G by a sign certificate of the quadratic, [`quadratic_count`], that counts as many
//! roots as the exact solve found) and no two certified roots were merged as one.

use std::cell::Cell;
use std::ops::Deref;

use crate::model::dist::CostDist;
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::numeric::{all_roots_resolved, brent, quadratic_roots, Found};
use crate::solvers::certify::{gain_margin, isolate, REL};
use crate::solvers::cutpoint_map::{CutpointMap, DEGENERATE_SLOPE};

/// Grid cells per smooth piece for non-polynomial G.
const GRID_CELLS: usize = 32;
/// Sub-cells of a piece's first and last cell: roots cluster next to the kinks t_1 and t_0.
const EDGE_SUB: usize = 4;
/// Roots closer than this are one root (found from both sides of a kink).
const MERGE_TOL: f64 = 1e-9;
/// Polynomial pieces (uniform G) whose coefficients are all below this share of their magnitudes
/// are sampled for the continuum rule.
const SMALL_COEFFICIENTS: f64 = 1e-12;
/// Samples of a polynomial piece for the continuum rule.
const VANISH_SAMPLES: usize = 9;

/// One interior root: where, and Φ' there.
#[derive(Clone, Copy)]
struct Root {
    u: f64,
    slope: f64,
    tangent: bool,
}

/// Most separate intervals on which Φ vanishes that one point records (there are at most as many
/// as pieces; adjacent ones are merged).
const MAX_CONTINUA: usize = 8;

/// The interior-root search of one point: the shared cut-point map plus the intervals met on
/// which Φ vanishes identically (continua), adjacent pieces merged into one interval.
pub(crate) struct Interior<'a> {
    map: CutpointMap<'a>,
    continua: Cell<[(f64, f64); MAX_CONTINUA]>,
    n_continua: Cell<usize>,
}

impl<'a> Deref for Interior<'a> {
    type Target = CutpointMap<'a>;

    fn deref(&self) -> &CutpointMap<'a> {
        &self.map
    }
}

impl<'a> Interior<'a> {
    pub(crate) fn new(params: &'a Params, lo: f64, hi: f64) -> Self {
        Interior {
            map: CutpointMap::new(params, lo, hi),
            continua: Cell::new([(f64::NAN, f64::NAN); MAX_CONTINUA]),
            n_continua: Cell::new(0),
        }
    }

    /// The pieces of Φ: lo, the kinks inside (t_1, t_0, a uniform G's saturation points), hi,
    /// sorted; the count used.
    fn bounds(&self) -> ([f64; 10], usize) {
        let mut cuts = [f64::NAN; 8];
        let mut n = 0;
        let mut add = |x: f64| {
            if x > self.lo && x < self.hi && n < cuts.len() {
                cuts[n] = x;
                n += 1;
            }
        };
        add(self.lo);
        add(self.t1);
        add(self.t0);
        if let CostDist::Uniform { lo: c_lo, hi: c_hi } = self.params.cost_c {
            for c in [c_lo, c_hi] {
                for x in self.saturation_points(c) {
                    add(x);
                }
            }
        }
        let inner = &mut cuts[..n];
        inner.sort_by(f64::total_cmp);
        let mut bounds = [f64::NAN; 10];
        bounds[0] = self.lo;
        bounds[1..=n].copy_from_slice(inner);
        bounds[n + 1] = self.hi;
        (bounds, n + 2)
    }

    /// Every interior equilibrium, pushed into `out`; whether the search was certified complete
    /// (every piece decided, module documentation).
    pub(crate) fn interior(&self, range_cost: f64, out: &mut Solution) -> bool {
        let (bounds, n_bounds) = self.bounds();
        let bounds = &bounds[..n_bounds];

        let mut roots = [Root { u: f64::NAN, slope: f64::NAN, tangent: false }; 24];
        let mut n_roots = 0;
        let uniform = self.params.cost_c.is_uniform();
        let mut certified = true;
        // Uniform G: roots certified on the pieces, to compare with the polynomial solve's count.
        let mut n_certified = 0;
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            let before = n_roots;
            let mut push = |root: Root| {
                let inside = root.u > self.lo && root.u < self.hi && n_roots < roots.len();
                if inside && !roots[..n_roots].iter().any(|r| (r.u - root.u).abs() < MERGE_TOL) {
                    roots[n_roots] = root;
                    n_roots += 1;
                }
            };
            if uniform {
                match self.piece_roots_polynomial(a, b, &mut push) {
                    Some(n) => n_certified += n,
                    None => certified = false,
                }
            } else {
                let (decided, found) = self.piece_roots_certified(a, b, &mut push);
                // Roots closer than MERGE_TOL are reported as one: then the count is not proved.
                certified &= decided && n_roots - before == found;
            }
        }
        certified &= !uniform || n_certified == n_roots;
        // A continuum is one equilibrium, reported at the middle of the whole interval on which Φ
        // vanishes (docs/conventions.md): roots at its ends, found on the neighbouring pieces,
        // are part of it and not reported again.
        let continua = self.continua.get();
        let continua = &continua[..self.n_continua.get()];
        let in_continuum = |u: f64| continua.iter().any(|&(a, b)| u >= a - MERGE_TOL && u <= b + MERGE_TOL);
        for root in roots[..n_roots].iter().filter(|r| !in_continuum(r.u)) {
            out.push(self.equilibrium_at(*root, range_cost));
        }
        for &(a, b) in continua {
            let root = Root { u: 0.5 * (a + b), slope: 0.0, tangent: true };
            if root.u > self.lo && root.u < self.hi {
                out.push(self.equilibrium_at(root, range_cost));
            }
        }
        if !continua.is_empty() {
            out.mark_continuum();
        }
        certified && continua.is_empty()
    }

    /// u in (lo, hi) where the argument of a uniform G crosses the support end `c`.
    fn saturation_points(&self, c: f64) -> [f64; 2] {
        let params = self.params;
        let s = 1.0 - params.p;
        let mut pts = [f64::NAN; 2];
        // Below t_1: τ_1(u) = s - M_1 N_1/(hi - u).
        let n1 = self.hi - self.t1.clamp(self.lo, self.hi);
        if n1 > 0.0 && s - c > 0.0 {
            pts[0] = self.hi - params.war_shift(true) * n1 / (s - c);
        }
        // Above t_0: τ_0(u) = s - M_0 (u - t0c)/(u - lo).
        let m0 = params.war_shift(false);
        let t0c = self.t0.clamp(self.lo, self.hi);
        let den = m0 - (s - c);
        if den != 0.0 {
            let u = (m0 * t0c - (s - c) * self.lo) / den;
            if u > t0c {
                pts[1] = u;
            }
        }
        pts
    }

    /// Local affine form P = A - B q of a uniform G around belief q (slope 0 where clipped).
    fn affine_challenge(&self, alliance: bool, q: f64) -> (f64, f64) {
        let params = self.params;
        let CostDist::Uniform { lo: c_lo, hi: c_hi } = params.cost_c else {
            unreachable!("affine_challenge is only called for a uniform G")
        };
        let s = 1.0 - params.p;
        let m = params.war_shift(alliance);
        let tau = s - q * m;
        let w = c_hi - c_lo;
        if tau <= c_lo {
            (0.0, 0.0)
        } else if tau >= c_hi {
            (1.0, 0.0)
        } else {
            ((s - c_lo) / w, m / w)
        }
    }

    /// Exact roots of Φ on a piece [a, b] for uniform G, where Φ·D is a quadratic. Returns how
    /// many roots [a, b] provably holds ([`quadratic_count`]), or `None` where rounding leaves
    /// it open.
    fn piece_roots_polynomial(&self, a: f64, b: f64, push: &mut impl FnMut(Root)) -> Option<usize> {
        let params = self.params;
        let (lo, hi, t1, t0) = (self.lo, self.hi, self.t1, self.t0);
        let mid = 0.5 * (a + b);
        let s = 1.0 - params.p;
        let s1 = 1.0 - params.p_alliance;
        let s0 = 1.0 - params.p_coalition;
        let (c_a, k, r) = (params.c_a, params.k, params.r);
        let p_bar = params.prob_challenge(false, 0.0);
        let p_low = params.prob_challenge(true, 1.0);
        // A probability's absolute rounding error beyond its relative one, in units of REL.
        let pm = self.margins.cdf_scale();
        // (a2, a1, a0) of Q(u) = Φ(u)·D(u), and D as (d1, d0): D(u) = d1 u + d0. (m2, m1, m0)
        // bound the sums of the magnitudes of the terms of each coefficient (rounding), and
        // `d_positive` says D > 0 on all of [a, b] (else the belief is constant on the piece
        // and D vanishes at its end).
        let (a2, a1, a0, d1, d0);
        let (m2, m1, m0, d_positive);
        if mid < t1 {
            // Below t_1 (and t_0): q_0 = 0, q_1 = N_1/(hi - u); L_0 = s u, L_1 = s u + r.
            let n1 = hi - t1.clamp(lo, hi);
            let (aa, bb) = self.affine_challenge(true, self.belief_alliance(mid));
            let alpha = (p_bar - aa) * s;
            let beta = -aa * r - k;
            a2 = -alpha;
            a1 = alpha * hi - beta + bb * n1 * s;
            a0 = beta * hi + bb * n1 * r;
            (d1, d0) = (-1.0, hi);
            let (ma, mb) = ((p_bar + aa.abs() + 2.0 * pm) * s, (aa.abs() + pm) * r + k);
            (m2, m1, m0) = (ma, ma * hi + mb + bb.abs() * n1 * s, mb * hi + bb.abs() * n1 * r);
            d_positive = n1 > 0.0;
        } else if mid < t0 {
            // Between t_1 and t_0: q_1 = 1, q_0 = 0; L_0 = s u, L_1 = s_1 u + c_A.
            a2 = 0.0;
            a1 = p_bar * s - p_low * s1;
            a0 = -p_low * c_a - k;
            (d1, d0) = (0.0, 1.0);
            (m2, m1, m0) = (0.0, (p_bar + pm) * s + (p_low + pm) * s1, (p_low + pm) * c_a + k);
            d_positive = true;
        } else {
            // Above t_0: q_1 = 1, q_0 = (u - t0c)/(u - lo); L_α = s_α u + c_A.
            let t0c = t0.clamp(lo, hi);
            let (aa, bb) = self.affine_challenge(false, self.belief_no_alliance(mid));
            let gamma = aa - bb;
            let delta = -aa * lo + bb * t0c;
            a2 = gamma * s0 - p_low * s1;
            a1 = gamma * c_a + delta * s0 - p_low * c_a - k + lo * p_low * s1;
            a0 = delta * c_a + lo * (p_low * c_a + k);
            (d1, d0) = (1.0, -lo);
            let (mg, md) = (aa.abs() + bb.abs() + pm, (aa.abs() + pm) * lo + bb.abs() * t0c);
            let ml = p_low + pm;
            m2 = mg * s0 + ml * s1;
            m1 = mg * c_a + md * s0 + ml * c_a + k + lo * ml * s1;
            m0 = md * c_a + lo * (ml * c_a + k);
            d_positive = t0c > lo;
        }
        let small = |c: f64, m: f64| c.abs() <= SMALL_COEFFICIENTS * (1.0 + m);
        if small(a2, m2) && small(a1, m1) && small(a0, m0) && self.vanishes_on(a, b) {
            self.continuum(a, b);
            return None;
        }
        // With the belief constant, Q's root where D vanishes is no root of Φ; Φ itself is affine
        // there (both challenge probabilities are constant), so its certain signs at the ends
        // decide the piece (the margin of a gain with probabilities at most 1).
        let count = if d_positive {
            quadratic_count([a2, a1, a0], [m2, m1, m0], a, b)
        } else {
            let err = gain_margin(params, a.abs().max(b.abs()), 1.0, 1.0);
            let sign = |v: f64| {
                if v > err {
                    1
                } else if v < -err {
                    -1
                } else {
                    0
                }
            };
            match (sign(self.phi(a)), sign(self.phi(b))) {
                (0, _) | (_, 0) => None,
                (sa, sb) => Some(usize::from(sa != sb)),
            }
        };
        let (cands, n, tangent) = quadratic_roots(a2, a1, a0);
        let slack = 1e-12 * (1.0 + b.abs());
        for &u0 in &cands[..n] {
            if !(u0 >= a - slack && u0 <= b + slack) {
                continue;
            }
            // One Newton step on the exact polynomial polishes rounding in the formula.
            let dq = 2.0 * a2 * u0 + a1;
            let q = (a2 * u0 + a1) * u0 + a0;
            let u = if !tangent && dq != 0.0 { u0 - q / dq } else { u0 };
            let u = u.clamp(a, b);
            let denom = d1 * u + d0;
            // Q = Φ·D also vanishes where D does (u = lo above t_0 when t_0 <= lo, u = hi below
            // t_1 when t_1 >= hi): those are not roots of Φ.
            if denom.abs() <= 1e-9 * (hi - lo) {
                continue;
            }
            let slope = (2.0 * a2 * u + a1) / denom;
            push(Root { u, slope, tangent });
        }
        count
    }

    /// Roots of Φ on a piece [a, b] for smooth G by the certified search, refined by Brent; where
    /// the search cannot decide the piece, the grid search's roots are added. Returns whether the
    /// piece was decided, and how many roots it proved.
    fn piece_roots_certified(&self, a: f64, b: f64, push: &mut impl FnMut(Root)) -> (bool, usize) {
        let iso = isolate(&self.piece_fn(a, b), a, b);
        for br in &iso.brackets {
            let u = brent(|u| self.phi(u), br.a, br.b, br.fa, br.fb, 1e-13);
            push(Root { u, slope: self.slope_in_piece(u, a, b), tangent: false });
        }
        if !iso.certified {
            self.piece_roots_grid(a, b, push);
        }
        (iso.certified, iso.brackets.len())
    }

    /// Roots of Φ on a piece [a, b] for smooth G, by grid bracketing, Brent and extremum search.
    fn piece_roots_grid(&self, a: f64, b: f64, push: &mut impl FnMut(Root)) {
        // Between t_1 and t_0 both beliefs are constant (q_1 = 1, q_0 = 0), so P_0 and P_1 are
        // too and Φ is linear in u: it has at most one root and no interior extremum, and the
        // coarsest grid finds exactly what the fine one would.
        let mid = 0.5 * (a + b);
        let linear = self.belief_alliance(mid) == 1.0 && self.belief_no_alliance(mid) == 0.0;
        let (cells, edge_sub) = if linear { (2, 1) } else { (GRID_CELLS, EDGE_SUB) };
        let vanishes = all_roots_resolved(
            |u| self.phi(u),
            a,
            b,
            cells,
            edge_sub,
            1e-13,
            |u| self.zero_phi(u),
            &mut |found: Found| {
                let slope = if found.tangent { 0.0 } else { self.slope_in_piece(found.x, a, b) };
                push(Root { u: found.x, slope, tangent: found.tangent });
            },
        );
        if vanishes {
            self.continuum(a, b);
        }
    }

    /// The size below which Φ(u) counts as zero: Φ vanishes identically on a piece when
    /// |Φ(u)| <= 1e-15·(1 + k + L_0(u) + L_1(u)) on all of it (docs/conventions.md "Continuum"):
    /// the rounding of Φ grows with the losses it subtracts.
    fn zero_phi(&self, u: f64) -> f64 {
        self.params.gain_rounding(u, 0.0)
    }

    /// Whether |Φ| <= [`Self::zero_phi`] at [`VANISH_SAMPLES`] evenly spaced points of [a, b], ends
    /// included.
    fn vanishes_on(&self, a: f64, b: f64) -> bool {
        (0..VANISH_SAMPLES).all(|i| {
            let u = if i + 1 == VANISH_SAMPLES { b } else { a + (b - a) * i as f64 / (VANISH_SAMPLES - 1) as f64 };
            self.phi(u).abs() <= self.zero_phi(u)
        })
    }

    /// Φ vanishes on all of [a, b]: every cutpoint there is an equilibrium. Record the interval
    /// (merged with an adjacent one); its midpoint is reported as one degenerate representative.
    fn continuum(&self, a: f64, b: f64) {
        let mut spans = self.continua.get();
        let n = self.n_continua.get();
        if n > 0 && spans[n - 1].1 == a {
            spans[n - 1].1 = b;
        } else if n < MAX_CONTINUA {
            spans[n] = (a, b);
            self.n_continua.set(n + 1);
        }
        self.continua.set(spans);
    }

    /// Φ'(u) by a central difference kept inside the smooth piece [a, b].
    fn slope_in_piece(&self, u: f64, a: f64, b: f64) -> f64 {
        let h = 1e-6 * (b - a).max(1e-300);
        let (x1, x2) = ((u - h).max(a), (u + h).min(b));
        (self.phi(x2) - self.phi(x1)) / (x2 - x1)
    }

    fn equilibrium_at(&self, root: Root, range_cost: f64) -> Equilibrium {
        let u = root.u;
        let kind = if u >= self.t1 { Kind::CutpointHonest } else { Kind::CutpointBluff };
        let prob_alliance = (self.hi - u) / (self.hi - self.lo);
        let degenerate = root.tangent || root.slope.abs() < DEGENERATE_SLOPE;
        let flags = Flags { stable: root.slope > 0.0 && !root.tangent, ic_ok: true, d1_ok: true, degenerate };
        Equilibrium::new(
            self.params,
            range_cost,
            kind,
            u,
            prob_alliance,
            Some(self.belief_alliance(u)),
            Some(self.belief_no_alliance(u)),
            flags,
        )
    }
}

/// The intervals of (lo, hi) on which Φ vanishes (docs/conventions.md, "Continuum"): each piece
/// between Φ's kinks checked on its evenly spaced samples, adjacent vanishing pieces joined. For
/// `belief_space`, whose fixed-point search cannot tell a vanishing Φ from rounding noise.
pub(crate) fn vanishing_intervals(params: &Params, lo: f64, hi: f64) -> ([(f64, f64); MAX_CONTINUA], usize) {
    let interior = Interior::new(params, lo, hi);
    let (bounds, n_bounds) = interior.bounds();
    for w in bounds[..n_bounds].windows(2) {
        if w[1] > w[0] && interior.vanishes_on(w[0], w[1]) {
            interior.continuum(w[0], w[1]);
        }
    }
    (interior.continua.get(), interior.n_continua.get())
}

/// How many roots the quadratic Q(u) = c[0] u² + c[1] u + c[2] provably has on [a, b], or
/// `None` where rounding leaves it open. `m` bounds, per coefficient, the sum of the magnitudes
/// of the terms it was computed from; each coefficient and each evaluation of Q is then within
/// `REL·(m[0] u² + m[1] |u| + m[2])` of the exact one (at most a dozen operations on inputs
/// with relative error below 4ε: a margin of ~450ε covers it, as in `certify`). The count
/// follows from Q's certain signs at a, b and, where it lies inside, at its extremum: opposite
/// signs at the ends mean one root; equal ones mean two if the extremum has the other sign
/// (it is then a minimum of the ends' sign), none if it has the same sign or lies outside.
fn quadratic_count(c: [f64; 3], m: [f64; 3], a: f64, b: f64) -> Option<usize> {
    let top = a.abs().max(b.abs());
    let err = REL * ((m[0] * top + m[1]) * top + m[2]) + f64::MIN_POSITIVE;
    let q = |u: f64| (c[0] * u + c[1]) * u + c[2];
    let sign = |v: f64| {
        if v > err {
            1
        } else if v < -err {
            -1
        } else {
            0
        }
    };
    let (sa, sb) = (sign(q(a)), sign(q(b)));
    if sa == 0 || sb == 0 {
        return None;
    }
    if sa != sb {
        return Some(1);
    }
    if c[0] == 0.0 || f64::from(sa) * c[0] < 0.0 {
        // Affine, or an extremum of the other orientation (a maximum of sa·Q): no root.
        return Some(0);
    }
    let v = -c[1] / (2.0 * c[0]);
    if !(v > a && v < b) {
        return Some(0);
    }
    match sign(q(v)) {
        0 => None,
        sv if sv == sa => Some(0),
        _ => Some(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solvers::certify::tests::Rng;

    /// The quadratic's certified count is its true number of roots on [a, b], and it declines
    /// where a double root (or one at an end) leaves the count to rounding.
    #[test]
    fn quadratic_count_is_the_number_of_roots_or_none() {
        let mut rng = Rng::new(31);
        let mut decided = 0;
        for case in 0..20_000 {
            let (r1, r2) = (rng.range(-1.0, 2.0), rng.range(-1.0, 2.0));
            let c = rng.range(-3.0, 3.0);
            let (a, b) = (rng.range(-0.5, 0.5), rng.range(0.6, 1.5));
            // c (u - r1)(u - r2), or (case % 4 == 0) the affine c (u - r1).
            let (coef, m) = if case % 4 == 0 {
                ([0.0, c, -c * r1], [0.0, c.abs(), (c * r1).abs()])
            } else {
                ([c, -c * (r1 + r2), c * r1 * r2], [c.abs(), (c * (r1 + r2)).abs(), (c * r1 * r2).abs()])
            };
            let inside = |r: f64| r >= a && r <= b;
            let truth =
                if case % 4 == 0 { usize::from(inside(r1)) } else { usize::from(inside(r1)) + usize::from(inside(r2)) };
            if let Some(n) = quadratic_count(coef, m, a, b) {
                assert_eq!(n, truth, "{coef:?} on [{a}, {b}]: roots {r1}, {r2}");
                decided += 1;
            }
        }
        assert!(decided > 19_900, "{decided}");
        // A double root, and a root at an end: undecided.
        assert_eq!(quadratic_count([1.0, -1.0, 0.25], [1.0, 1.0, 0.25], 0.0, 1.0), None);
        assert_eq!(quadratic_count([0.0, 1.0, -0.5], [0.0, 1.0, 0.5], 0.5, 1.0), None);
        // Two close roots, well resolved: two.
        assert_eq!(quadratic_count([1.0, -1.0, 0.25 - 1e-8], [1.0, 1.0, 0.25], 0.0, 1.0), Some(2));
    }
}
