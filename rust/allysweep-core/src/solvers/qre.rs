//! Logit agent quantal response equilibrium (MODEL.md §11).
//!
//! At precision λ the ally's agents respond with logit noise: Pr(ally | θ) = Λ(λ Gain(θ)) (Gain
//! with A's best-reply losses L_α, as in MODEL.md §5) and Pr(intervene | θ, α) =
//! Λ(λ((p'_α - p)θ - c_A + α r)); the challenger best-responds to the beliefs these imply,
//! P_α = G((1 - p) - q_α M_α). A QRE is a fixed point P = T_λ(P) in (P_0, P_1).
//!
//! The path starts at λ = 0 (every agent mixes 50/50: q_α = 1/2) and is followed in
//! (P_0, P_1, μ), μ = ln(1 + λ), by pseudo-arclength predictor-corrector continuation, so
//! turning points of the branch are passed. The equilibrium the path reaches at `lam` is
//! reported with the kind its structure has (a cutpoint, a pooling, a separating or hybrid
//! profile); its refinement flags are those of the exact equilibrium of that kind nearest to it.

use crate::model::dist::TypeDist;
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::resolve_range_cost;
use crate::model::params::Params;
use crate::solvers::roots::solve_unchecked as solve_roots;

/// Predictor-corrector attempts one QRE path may make (about 30 times what the default
/// λ = 1e8 takes at the base case).
const CORRECTOR_BUDGET: usize = 3000;

/// One point of the QRE path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    pub lam: f64,
    pub prob_challenge_no_alliance: f64,
    pub prob_challenge_alliance: f64,
    pub prob_alliance: f64,
    pub belief_alliance: f64,
    pub belief_no_alliance: f64,
    /// Type made indifferent by the path's challenge probabilities (NaN: none, or two-type).
    pub cutpoint: f64,
}

/// Gauss-Legendre 8-point nodes and weights on [-1, 1].
const GL_X: [f64; 4] =
    [0.183_434_642_495_649_8, 0.525_532_409_916_329, 0.796_666_477_413_626_7, 0.960_289_856_497_536_3];
const GL_W: [f64; 4] =
    [0.362_683_783_378_362, 0.313_706_645_877_887_3, 0.222_381_034_453_374_5, 0.101_228_536_290_376_3];

#[inline]
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// What the agents' strategies imply at (λ, P_0, P_1).
#[derive(Debug, Clone, Copy)]
struct Profile {
    prob_alliance: f64,
    q1: f64,
    q0: f64,
    /// Two-type: σ_L, σ_H.
    sigma: [f64; 2],
}

struct Qre<'a> {
    params: &'a Params,
    t1: f64,
    t0: f64,
}

impl Qre<'_> {
    fn intervene(&self, lam: f64, alliance: bool, theta: f64) -> f64 {
        let pr = self.params;
        let r = if alliance { pr.r } else { 0.0 };
        logistic(lam * ((pr.p_prime(alliance) - pr.p) * theta - pr.c_a + r))
    }

    fn profile(&self, lam: f64, p0: f64, p1: f64) -> Profile {
        let pr = self.params;
        match pr.theta {
            TypeDist::TwoPoint { low, high, prior_high } => {
                let types = [(low, 1.0 - prior_high), (high, prior_high)];
                let (mut a1, mut b1, mut a0, mut b0) = (0.0, 0.0, 0.0, 0.0);
                let mut sigma = [0.0; 2];
                for (i, &(theta, w)) in types.iter().enumerate() {
                    let s = logistic(lam * pr.gain(theta, p0, p1));
                    sigma[i] = s;
                    a1 += w * s;
                    b1 += w * s * self.intervene(lam, true, theta);
                    a0 += w * (1.0 - s);
                    b0 += w * (1.0 - s) * self.intervene(lam, false, theta);
                }
                let (q1, q0) = self.ratios(lam, p0, p1, a1, b1, a0, b0, &[low, high]);
                Profile { prob_alliance: a1, q1, q0, sigma }
            }
            TypeDist::Uniform { lo, hi } => {
                let (mut a1, mut b1, mut a0, mut b0) = (0.0, 0.0, 0.0, 0.0);
                let breaks = self.panels(lam, p0, p1, lo, hi);
                let density = 1.0 / (hi - lo);
                for w in breaks.windows(2) {
                    let (c, h) = (0.5 * (w[0] + w[1]), 0.5 * (w[1] - w[0]));
                    if h <= 0.0 {
                        continue;
                    }
                    for j in 0..8 {
                        let (x, wt) =
                            if j < 4 { (c - h * GL_X[j], GL_W[j]) } else { (c + h * GL_X[j - 4], GL_W[j - 4]) };
                        let wt = wt * h * density;
                        let s = logistic(lam * pr.gain(x, p0, p1));
                        a1 += wt * s;
                        b1 += wt * s * self.intervene(lam, true, x);
                        a0 += wt * (1.0 - s);
                        b0 += wt * (1.0 - s) * self.intervene(lam, false, x);
                    }
                }
                let (q1, q0) = self.ratios(lam, p0, p1, a1, b1, a0, b0, &[lo, hi, self.t1, self.t0]);
                Profile { prob_alliance: a1, q1, q0, sigma: [f64::NAN; 2] }
            }
        }
    }

    /// q_α = B_α / A_α; when a signal's mass underflows, the limit: the belief of the type that
    /// sends it most (highest Gain for an alliance, lowest for none).
    #[allow(clippy::too_many_arguments)]
    fn ratios(&self, lam: f64, p0: f64, p1: f64, a1: f64, b1: f64, a0: f64, b0: f64, cands: &[f64]) -> (f64, f64) {
        let pr = self.params;
        let (lo, hi) = (cands[0], cands[1]);
        let extreme = |sign: f64| {
            cands
                .iter()
                .filter(|&&t| t >= lo && t <= hi)
                .copied()
                .fold((f64::NAN, f64::NEG_INFINITY), |best, t| {
                    let g = sign * pr.gain(t, p0, p1);
                    if g > best.1 {
                        (t, g)
                    } else {
                        best
                    }
                })
                .0
        };
        let q1 = if a1 > 1e-300 { (b1 / a1).min(1.0) } else { self.intervene(lam, true, extreme(1.0)) };
        let q0 = if a0 > 1e-300 { (b0 / a0).min(1.0) } else { self.intervene(lam, false, extreme(-1.0)) };
        (q1, q0)
    }

    /// Panel boundaries on [lo, hi], graded geometrically around every place where an agent's
    /// logit response switches (zeros of Gain, t_1, t_0) and the type support's ends.
    fn panels(&self, lam: f64, p0: f64, p1: f64, lo: f64, hi: f64) -> Vec<f64> {
        let pr = self.params;
        let width = hi - lo;
        let mut centers = [f64::NAN; 8];
        let mut n = 0;
        let mut add = |x: f64| {
            if x >= lo && x <= hi && n < centers.len() {
                centers[n] = x;
                n += 1;
            }
        };
        add(lo);
        add(hi);
        add(self.t1);
        add(self.t0);
        // Gain is linear between the kinks: its zeros are explicit.
        let mut knots = [lo, self.t1.clamp(lo, hi), self.t0.clamp(lo, hi), hi];
        knots.sort_by(f64::total_cmp);
        let mut max_slope: f64 = (pr.p_alliance - pr.p).max(pr.p_coalition - pr.p);
        for w in knots.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            let (ga, gb) = (pr.gain(a, p0, p1), pr.gain(b, p0, p1));
            max_slope = max_slope.max(((gb - ga) / (b - a)).abs());
            if (ga > 0.0) != (gb > 0.0) {
                add(a + (b - a) * ga / (ga - gb));
            }
        }
        let mut breaks = Vec::with_capacity(16 + 2 * 64 * n);
        for i in 0..=8 {
            breaks.push(lo + width * f64::from(i) / 8.0);
        }
        if lam > 0.0 {
            let w_min = 0.25 / (lam * max_slope);
            // w_min is 0 where lam * max_slope overflows (a corrector step far out in μ): the
            // doubling below would never reach the width (found by tests/fuzz_batch.rs).
            if w_min > 0.0 && w_min < width {
                for &c in &centers[..n] {
                    breaks.push(c);
                    let mut d = w_min;
                    while d < width && breaks.len() < 16 + 2 * 64 * n {
                        for x in [c - d, c + d] {
                            if x > lo && x < hi {
                                breaks.push(x);
                            }
                        }
                        d *= 2.0;
                    }
                }
            }
        }
        breaks.sort_by(f64::total_cmp);
        breaks.dedup();
        breaks
    }

    /// H(P_0, P_1, μ) = P - T_λ(P), λ = e^μ - 1.
    fn residual(&self, x: [f64; 3]) -> [f64; 2] {
        let lam = x[2].exp_m1();
        let prof = self.profile(lam, x[0], x[1]);
        let pr = self.params;
        [x[0] - pr.prob_challenge(false, prof.q0), x[1] - pr.prob_challenge(true, prof.q1)]
    }

    /// Forward-difference Jacobian of H (2 x 3). The steps in (P_0, P_1) shrink like 1/λ: with
    /// two types, a mixing type's Pr(ally) = Λ(λ Gain) turns within O(1/λ) of the indifference
    /// curve, and a fixed step would straddle the turn (Newton then fails at large λ).
    fn jacobian(&self, x: [f64; 3], h0: [f64; 2]) -> [[f64; 3]; 2] {
        let mut jac = [[0.0; 3]; 2];
        let dp = 1e-7_f64.min(1e-5 / (1.0 + x[2].exp_m1()));
        for (j, step) in [dp, dp, 1e-7].into_iter().enumerate() {
            let mut xs = x;
            // Step inward for the probabilities so they stay in [0, 1].
            let step = if j < 2 && x[j] + step > 1.0 { -step } else { step };
            xs[j] += step;
            let hs = self.residual(xs);
            for i in 0..2 {
                jac[i][j] = (hs[i] - h0[i]) / step;
            }
        }
        jac
    }

    /// Follow the branch from λ = 0 to `lam`; `None` if continuation breaks down.
    fn follow(&self, lam: f64, mut path: Option<&mut Vec<PathPoint>>) -> Option<[f64; 2]> {
        let pr = self.params;
        let mu_end = lam.ln_1p();
        let mut x = [pr.prob_challenge(false, 0.5), pr.prob_challenge(true, 0.5), 0.0];
        let record = |x: [f64; 3], path: &mut Option<&mut Vec<PathPoint>>| {
            if let Some(path) = path.as_deref_mut() {
                path.push(self.path_point(x));
            }
        };
        record(x, &mut path);
        if mu_end == 0.0 {
            return Some([x[0], x[1]]);
        }
        let mut tangent_prev = [0.0, 0.0, 1.0];
        let mut h = 0.05_f64.min(mu_end);
        // A bound on the work of one path (predictor-corrector attempts, step halvings
        // included): a path that needs more has broken down, and is reported as such rather
        // than left to run for minutes (found by tests/fuzz_batch.rs).
        let mut budget = CORRECTOR_BUDGET;
        for _ in 0..5000 {
            let hx = self.residual(x);
            let jac = self.jacobian(x, hx);
            let mut t = cross(jac[0], jac[1]);
            let norm = dot(t, t).sqrt();
            if norm.is_nan() || norm <= 0.0 {
                return None;
            }
            t = t.map(|v| v / norm);
            if dot(t, tangent_prev) < 0.0 {
                t = t.map(|v| -v);
            }
            loop {
                if h < 1e-10 || budget == 0 {
                    return None;
                }
                budget -= 1;
                let pred = [x[0] + h * t[0], x[1] + h * t[1], x[2] + h * t[2]];
                match self.correct(pred, t, jac) {
                    Some((next, iters)) => {
                        if next[2] >= mu_end {
                            // Overshot the target: land on it with λ fixed, from the chord.
                            let f = (mu_end - x[2]) / (next[2] - x[2]);
                            let start = [x[0] + f * (next[0] - x[0]), x[1] + f * (next[1] - x[1]), mu_end];
                            let end = self.correct_fixed(start)?;
                            record(end, &mut path);
                            return Some([end[0], end[1]]);
                        }
                        let chord = [next[0] - x[0], next[1] - x[1], next[2] - x[2]];
                        if dot(chord, t) <= 0.0 {
                            h *= 0.5;
                            continue;
                        }
                        x = next;
                        tangent_prev = t;
                        record(x, &mut path);
                        if iters <= 3 {
                            h = (h * 1.6).min(2.0);
                        }
                        break;
                    }
                    None => h *= 0.5,
                }
            }
        }
        None
    }

    /// Newton corrector on {H = 0, t·(x - pred) = 0}; returns the point and iterations used.
    fn correct(&self, pred: [f64; 3], t: [f64; 3], jac0: [[f64; 3]; 2]) -> Option<([f64; 3], usize)> {
        let mut x = pred;
        let mut jac = jac0;
        for it in 1..=8 {
            let hx = self.residual(x);
            if it > 1 {
                jac = self.jacobian(x, hx);
            }
            let rhs = [-hx[0], -hx[1], -dot(t, [x[0] - pred[0], x[1] - pred[1], x[2] - pred[2]])];
            let dx = solve3([jac[0], jac[1], t], rhs)?;
            for i in 0..3 {
                x[i] += dx[i];
            }
            if !(x[0].is_finite() && x[1].is_finite() && x[2].is_finite()) {
                return None;
            }
            x[0] = x[0].clamp(0.0, 1.0);
            x[1] = x[1].clamp(0.0, 1.0);
            let hn = self.residual(x);
            // H can only be resolved to rounding times its slope, which grows with λ for two types.
            let tol = 1e-13 * jac.iter().flatten().fold(1.0_f64, |m, v| m.max(v.abs()));
            if hn[0].abs().max(hn[1].abs()) < tol && dx.iter().fold(0.0_f64, |m, v| m.max(v.abs())) < 1e-9 {
                return Some((x, it));
            }
        }
        None
    }

    /// Newton in (P_0, P_1) at fixed μ.
    fn correct_fixed(&self, start: [f64; 3]) -> Option<[f64; 3]> {
        let mut x = start;
        for _ in 0..30 {
            let hx = self.residual(x);
            let jac = self.jacobian(x, hx);
            let det = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0];
            if det == 0.0 || !det.is_finite() {
                return None;
            }
            let d0 = (-hx[0] * jac[1][1] + hx[1] * jac[0][1]) / det;
            let d1 = (-hx[1] * jac[0][0] + hx[0] * jac[1][0]) / det;
            x[0] = (x[0] + d0).clamp(0.0, 1.0);
            x[1] = (x[1] + d1).clamp(0.0, 1.0);
            let hn = self.residual(x);
            if hn[0].abs().max(hn[1].abs()) < 1e-14 || d0.abs().max(d1.abs()) < 1e-15 {
                return Some(x);
            }
        }
        let hn = self.residual(x);
        (hn[0].abs().max(hn[1].abs()) < 1e-10).then_some(x)
    }

    /// The type made indifferent by (P_0, P_1): the upward zero of Gain on the support, or the
    /// support's end when every type strictly prefers one signal (NaN for two types).
    fn cutpoint(&self, p0: f64, p1: f64) -> f64 {
        let pr = self.params;
        let TypeDist::Uniform { lo, hi } = pr.theta else { return f64::NAN };
        let mut knots = [lo, self.t1.clamp(lo, hi), self.t0.clamp(lo, hi), hi];
        knots.sort_by(f64::total_cmp);
        if pr.gain(lo, p0, p1) > 0.0 {
            return lo;
        }
        for w in knots.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (ga, gb) = (pr.gain(a, p0, p1), pr.gain(b, p0, p1));
            if b > a && ga <= 0.0 && gb > 0.0 {
                return a + (b - a) * ga / (ga - gb);
            }
        }
        hi
    }

    fn path_point(&self, x: [f64; 3]) -> PathPoint {
        let lam = x[2].exp_m1();
        let prof = self.profile(lam, x[0], x[1]);
        PathPoint {
            lam,
            prob_challenge_no_alliance: x[0],
            prob_challenge_alliance: x[1],
            prob_alliance: prof.prob_alliance,
            belief_alliance: prof.q1,
            belief_no_alliance: prof.q0,
            cutpoint: self.cutpoint(x[0], x[1]),
        }
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Solve the 3 x 3 system m·x = rhs by Cramer's rule.
fn solve3(m: [[f64; 3]; 3], rhs: [f64; 3]) -> Option<[f64; 3]> {
    let det = dot(m[0], cross(m[1], m[2]));
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let mut x = [0.0; 3];
    for (j, xj) in x.iter_mut().enumerate() {
        let mut mj = m;
        for i in 0..3 {
            mj[i][j] = rhs[i];
        }
        *xj = dot(mj[0], cross(mj[1], mj[2])) / det;
    }
    Some(x)
}

/// The QRE path from λ = 0 to `lam` (every accepted continuation step; the last point is at
/// `lam` exactly). Empty if continuation broke down before reaching `lam`.
pub fn path(params: &Params, lam: f64) -> Vec<PathPoint> {
    let qre = Qre { params, t1: params.threshold(true), t0: params.threshold(false) };
    let mut points = Vec::new();
    match qre.follow(lam, Some(&mut points)) {
        Some(_) => points,
        None => Vec::new(),
    }
}

/// Solve one valid point: the one equilibrium the QRE path reaches at `lam` (none reported if
/// continuation broke down).
pub fn solve_unchecked(params: &Params, range_cost: f64, lam: f64) -> Solution {
    let range_cost = resolve_range_cost(params, range_cost);
    let mut out = Solution::new(params, range_cost);
    let qre = Qre { params, t1: params.threshold(true), t0: params.threshold(false) };
    let Some([p0, p1]) = qre.follow(lam, None) else {
        out.finish();
        return out;
    };
    let prof = qre.profile(lam, p0, p1);
    // Structure of the profile: which signals are (essentially) on path, who mixes.
    let pure = 1e-6;
    let (kind, cutpoint, on1, on0) = match params.theta {
        TypeDist::Uniform { lo, hi } => {
            let u = qre.cutpoint(p0, p1);
            if prof.prob_alliance < pure || u >= hi {
                (Kind::PoolNoAlliance, hi, false, true)
            } else if prof.prob_alliance > 1.0 - pure || u <= lo {
                (Kind::PoolAlliance, lo, true, false)
            } else if u >= qre.t1 {
                (Kind::CutpointHonest, u, true, true)
            } else {
                (Kind::CutpointBluff, u, true, true)
            }
        }
        TypeDist::TwoPoint { .. } => {
            let [s_l, s_h] = prof.sigma;
            let near = |s: f64, v: f64| (s - v).abs() < pure;
            let kind = if near(s_l, 0.0) && near(s_h, 0.0) {
                Kind::PoolNoAlliance
            } else if near(s_l, 1.0) && near(s_h, 1.0) {
                Kind::PoolAlliance
            } else if (near(s_l, 0.0) && near(s_h, 1.0)) || (near(s_l, 1.0) && near(s_h, 0.0)) {
                Kind::Separating
            } else {
                Kind::Hybrid
            };
            (kind, f64::NAN, kind != Kind::PoolNoAlliance, kind != Kind::PoolAlliance)
        }
    };
    // Flags belong to the limit equilibrium: take them from the exact equilibrium of this kind
    // nearest to the path's end.
    let exact = solve_roots(params, range_cost);
    let flags = exact
        .equilibria()
        .into_iter()
        .filter(|e| e.kind == kind)
        .min_by(|a, b| {
            let da = (a.prob_alliance - prof.prob_alliance).abs();
            let db = (b.prob_alliance - prof.prob_alliance).abs();
            da.total_cmp(&db)
        })
        .map_or(Flags { stable: true, ic_ok: true, d1_ok: true, degenerate: false }, |e| e.flags);
    let prob_alliance = match kind {
        Kind::PoolNoAlliance => 0.0,
        Kind::PoolAlliance => 1.0,
        _ => prof.prob_alliance,
    };
    out.push(Equilibrium::new(
        params,
        range_cost,
        kind,
        cutpoint,
        prob_alliance,
        on1.then_some(prof.q1),
        on0.then_some(prof.q0),
        flags,
    ));
    out.finish();
    out
}
