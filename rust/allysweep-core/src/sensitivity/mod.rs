//! Exact comparative statics (docs/MODEL.md §14.4) and the welfare outputs they share their
//! formulas with.
//!
//! An equilibrium found by a solver is described by its *structure*: which crisis regime each
//! on-path signal is in, whether the cut-point is pinned to a boundary segment, which type of a
//! two-type ally mixes. Given the structure, the equilibrium is the solution x of a small system
//! F(x; λ) = 0 (at most three unknowns) and every output is a smooth function y = h(x; λ):
//!
//! - interior cut-point: x = (u), F = Φ(u);
//! - pinned to signal α's W0 segment: x = (u, ρ_α), F = (q_α(u) - q̂_α, Φ);
//! - pinned to its Cb segment: x = (u, ρ_α, q^C_α), F = (q_α(u) - q^C_α, Φ, g(q^C)(1 + |W|) - 1);
//! - two-type hybrid: the same with the mixer's σ in place of u and its Gain in place of Φ;
//! - poolings and separating profiles: no unknown.
//!
//! [`Dual`] numbers give F_x, F_λ, h_x and h_λ exactly; the implicit function theorem gives
//! dx/dλ = -F_x⁻¹ F_λ and dy/dλ = h_x dx/dλ + h_λ. Where the equilibrium is not differentiable
//! (a tangency, a kink of Φ, a belief on a regime boundary, a clipped G at its clip point, a
//! boundary segment's end) the derivatives are NaN and `differentiable` is false.

pub mod dual;
pub mod scalar;

use rayon::prelude::*;

use crate::batch::BatchInput;
use crate::error::ModelError;
use crate::method::Method;
use crate::model::crisis::{Crisis as EngineCrisis, CrisisPoint, Regime, NOBODY};
use crate::model::dist::{CostDist, TypeDist};
use crate::model::equilibrium::{Equilibrium, Kind, Solution};
use crate::model::params::Params;
use dual::Dual;
use scalar::{Crisis, Point, Scalar, Types, WRT_COLUMNS};

/// The outputs that have derivatives, in the order of the derivative arrays.
pub const DERIVATIVE_OUTPUTS: [&str; 12] = [
    "cutpoint",
    "prob_alliance",
    "belief_alliance",
    "belief_no_alliance",
    "prob_war",
    "prob_renege",
    "prob_challenge",
    "prob_concession",
    "immediate_deterrence",
    "utility_ally",
    "utility_defender",
    "utility_challenger",
];
const NOUT: usize = DERIVATIVE_OUTPUTS.len();

/// Distance (in the quantity's own units) within which a root, belief or argument counts as
/// sitting on a kink or boundary: not differentiable there.
const EDGE: f64 = 1e-9;
/// The residual the structure must reproduce at the reported equilibrium (else the structure
/// was misread, and nothing is claimed).
const RESIDUAL: f64 = 1e-7;

/// How an equilibrium is determined (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Structure {
    kind: Kind,
    /// Regime after no alliance (index 0) and after an alliance (1); `None` off path.
    regimes: [Option<Regime>; 2],
    /// Two-type: each type's probability of allying (low, high).
    sigma: [f64; 2],
    /// Two-type hybrid: the type that mixes.
    mixer: Option<usize>,
    /// The signal whose crisis lies on a boundary segment (pinned equilibria).
    pinned: Option<bool>,
    /// Unknowns and their values at the equilibrium.
    n: usize,
    x0: [f64; 3],
}

fn regime(c: Option<&CrisisPoint>) -> Option<Regime> {
    c.map(|c| c.regime)
}

fn is_segment(r: Option<Regime>) -> bool {
    matches!(r, Some(Regime::BoundaryW0 | Regime::BoundaryConcede))
}

/// (σ_L, σ_H) of a two-type equilibrium from its Pr(alliance) and beliefs (Bayes' rule).
fn two_type_sigma(params: &Params, eq: &Equilibrium, low: f64, high: f64, w_h: f64) -> [f64; 2] {
    let w_l = 1.0 - w_h;
    let pa = eq.prob_alliance;
    match eq.kind {
        Kind::PoolNoAlliance => return [0.0, 0.0],
        Kind::PoolAlliance => return [1.0, 1.0],
        _ => {}
    }
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let ind = |b: bool| f64::from(u8::from(b));
    let (h_l, h_h, g_l, g_h) = (ind(low >= t1), ind(high >= t1), ind(low >= t0), ind(high >= t0));
    let s_h = if h_l != h_h {
        pa * (eq.belief_alliance - h_l) / (w_h * (h_h - h_l))
    } else if g_l != g_h {
        1.0 - (1.0 - pa) * (eq.belief_no_alliance - g_l) / (w_h * (g_h - g_l))
    } else {
        (pa / w_h).min(1.0)
    };
    let s_l = (pa - w_h * s_h) / w_l;
    [s_l.clamp(0.0, 1.0), s_h.clamp(0.0, 1.0)]
}

impl Structure {
    /// The structure of a reported equilibrium (`None`: not one this module can describe).
    pub fn of(params: &Params, eq: &Equilibrium) -> Option<Self> {
        let regimes = [regime(eq.crisis(false)), regime(eq.crisis(true))];
        let pinned = if is_segment(regimes[1]) {
            Some(true)
        } else if is_segment(regimes[0]) {
            Some(false)
        } else {
            None
        };
        let mut st =
            Structure { kind: eq.kind, regimes, sigma: [f64::NAN; 2], mixer: None, pinned, n: 0, x0: [0.0; 3] };
        let interior = match params.theta {
            TypeDist::Uniform { .. } => matches!(eq.kind, Kind::CutpointHonest | Kind::CutpointBluff),
            TypeDist::TwoPoint { low, high, prior_high } => {
                st.sigma = two_type_sigma(params, eq, low, high, prior_high);
                st.mixer = (0..2).find(|&i| st.sigma[i] > 0.0 && st.sigma[i] < 1.0);
                eq.kind == Kind::Hybrid
            }
        };
        if interior {
            let x = match st.mixer {
                Some(i) => st.sigma[i],
                None if eq.kind == Kind::Hybrid => return None,
                None => eq.cutpoint,
            };
            st.x0[0] = x;
            st.n = 1;
            if let Some(al) = pinned {
                let c = eq.crisis(al)?;
                st.x0[1] = c.rho;
                st.n = 2;
                if c.regime == Regime::BoundaryConcede {
                    st.x0[2] = c.q;
                    st.n = 3;
                }
            }
        } else if pinned.is_some() {
            return None; // a pooling or separating profile exactly on a segment: not generic
        }
        Some(st)
    }
}

/// The residuals F(x) and the outputs h(x) of an equilibrium of structure `st`.
fn evaluate<S: Scalar>(pt: &Point<S>, st: &Structure, x: &[S; 3]) -> ([S; 3], [S; NOUT]) {
    let one = S::from(1.0);
    let zero = S::from(0.0);
    let nan = S::from(f64::NAN);
    let (t1, t0) = (pt.threshold(true), pt.threshold(false));
    // Beliefs, signal probabilities and who sends what.
    let (cut, pa, q1, q0);
    let mut mixer_theta = nan;
    match pt.theta {
        Types::Uniform { lo, hi } => {
            let u = match st.kind {
                Kind::PoolNoAlliance => hi,
                Kind::PoolAlliance => lo,
                _ => x[0],
            };
            cut = u;
            pa = (hi - u) / (hi - lo);
            q1 = if u.value() >= hi.value() {
                S::from(if t1.value() < hi.value() { 1.0 } else { 0.0 })
            } else {
                (hi - t1.max(u).clamp(lo, hi)) / (hi - u)
            };
            q0 = if u.value() <= lo.value() {
                S::from(if t0.value() <= lo.value() { 1.0 } else { 0.0 })
            } else {
                (u - t0.clamp(lo, hi)).max(zero) / (u - lo)
            };
            mixer_theta = u;
        }
        Types::TwoPoint { low, high, prior_high } => {
            let mut sigma = [S::from(st.sigma[0]), S::from(st.sigma[1])];
            if let Some(i) = st.mixer {
                sigma[i] = x[0];
                mixer_theta = if i == 0 { low } else { high };
            }
            let w = [one - prior_high, prior_high];
            let theta = [low, high];
            let ind = |th: S, t: S| S::from(f64::from(u8::from(th.value() >= t.value())));
            cut = nan;
            pa = w[0] * sigma[0] + w[1] * sigma[1];
            q1 = (w[0] * sigma[0] * ind(theta[0], t1) + w[1] * sigma[1] * ind(theta[1], t1)) / pa;
            q0 = (w[0] * (one - sigma[0]) * ind(theta[0], t0) + w[1] * (one - sigma[1]) * ind(theta[1], t0))
                / (one - pa);
        }
    }
    let beliefs = [q0, q1];
    // The crisis after each on-path signal, in its regime.
    let crisis = |al: bool| -> Option<Crisis<S>> {
        let r = st.regimes[usize::from(al)]?;
        Some(match r {
            Regime::BoundaryW0 => pt.crisis(al, r, pt.q_hat(al), x[1]),
            Regime::BoundaryConcede => pt.crisis(al, r, x[2], x[1]),
            _ => pt.crisis(al, r, beliefs[usize::from(al)], zero),
        })
    };
    let (c0, c1) = (crisis(false), crisis(true));
    // Residuals.
    let mut res = [zero; 3];
    if st.n > 0 {
        let (Some(a), Some(b)) = (c1.as_ref(), c0.as_ref()) else { return ([nan; 3], [nan; NOUT]) };
        match st.pinned {
            None => res[0] = pt.gain(mixer_theta, a, b),
            Some(al) => {
                let seg = if al { a } else { b };
                res[0] = beliefs[usize::from(al)] - seg.q;
                res[1] = pt.gain(mixer_theta, a, b);
                if st.n == 3 {
                    res[2] = pt.concede_excess(al, x[2]);
                }
            }
        }
    }
    // Outputs.
    let weight = |al: bool| if al { pa } else { one - pa };
    let over = |f: &dyn Fn(&Crisis<S>) -> S| -> S {
        let mut total = zero;
        for (al, c) in [(true, c1.as_ref()), (false, c0.as_ref())] {
            if let Some(c) = c {
                total = total + weight(al) * f(c);
            }
        }
        total
    };
    let resisted = over(&|c| (one - c.rho) * c.challenge());
    let imm = if resisted.value() > NOBODY { over(&|c| c.backdown()) / resisted } else { nan };
    let ally = match pt.theta {
        Types::Uniform { lo, hi } => {
            let part = |c: Option<&Crisis<S>>, a: S, b: S| c.map_or(zero, |c| pt.ally_integral(c, a, b));
            (part(c0.as_ref(), lo, cut) + part(c1.as_ref(), cut, hi)) / (hi - lo)
        }
        Types::TwoPoint { low, high, prior_high } => {
            let mut sigma = [S::from(st.sigma[0]), S::from(st.sigma[1])];
            if let Some(i) = st.mixer {
                sigma[i] = x[0];
            }
            let u = |c: Option<&Crisis<S>>, th: S| c.map_or(zero, |c| pt.ally_at(c, th));
            let of = |i: usize, th: S| sigma[i] * u(c1.as_ref(), th) + (one - sigma[i]) * u(c0.as_ref(), th);
            (one - prior_high) * of(0, low) + prior_high * of(1, high)
        }
    };
    let on = |c: &Option<Crisis<S>>, v: S| if c.is_some() { v } else { nan };
    let outputs = [
        cut,
        pa,
        on(&c1, q1),
        on(&c0, q0),
        over(&|c| c.war()),
        on(&c1, one - q1),
        over(&|c| c.challenge()),
        over(&|c| c.concession()),
        imm,
        ally,
        over(&|c| pt.defender_given(c)),
        over(&|c| pt.challenger_given(c)),
    ];
    (res, outputs)
}

/// The welfare outputs of an equilibrium, (ally, defender, challenger), NaN where its structure
/// cannot be read.
pub fn welfare(params: &Params, eq: &Equilibrium) -> [f64; 3] {
    let Some(st) = Structure::of(params, eq) else { return [f64::NAN; 3] };
    let pt = Point::from_params(params);
    let (_, out) = evaluate(&pt, &st, &st.x0);
    [out[9], out[10], out[11]]
}

/// Whether the equilibrium is differentiable: no tangency, nothing on a kink or boundary.
fn smooth(params: &Params, eq: &Equilibrium, st: &Structure) -> bool {
    if eq.flags.degenerate {
        return false;
    }
    let near = |a: f64, b: f64| (a - b).abs() <= EDGE * (1.0 + b.abs());
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    match params.theta {
        TypeDist::Uniform { lo, hi } if st.n > 0 && st.mixer.is_none() => {
            let u = eq.cutpoint;
            if [t1, t0].iter().any(|&t| t > lo && t < hi && near(u, t)) {
                return false;
            }
        }
        TypeDist::TwoPoint { low, high, .. } if [low, high].iter().any(|&th| near(th, t1) || near(th, t0)) => {
            return false;
        }
        _ => {}
    }
    let rho_hat = params.b_c / (1.0 + params.b_c);
    for al in [false, true] {
        let Some(c) = eq.crisis(al) else { continue };
        let engine = EngineCrisis::new(params, al);
        let boundaries = [engine.q_hat, engine.q_concede];
        match c.regime {
            Regime::BoundaryW0 => {
                if near(c.rho, 0.0) || near(c.rho, rho_hat) {
                    return false;
                }
            }
            Regime::BoundaryConcede => {
                if near(c.rho, rho_hat) || near(c.rho, 1.0) {
                    return false;
                }
            }
            _ => {
                if boundaries.iter().any(|&b| b.is_finite() && near(c.q, b)) {
                    return false;
                }
                if params.b_c == 0.0 && c.regime != Regime::Resist {
                    return false;
                }
            }
        }
        if let CostDist::Uniform { lo, hi } = params.cost_c {
            let tau = (1.0 - params.p) - c.q * params.war_shift(al);
            let args = [tau, tau + params.b_c, tau + c.rho / (1.0 - c.rho)];
            if args.iter().any(|&x| x.is_finite() && (near(x, lo) || near(x, hi))) {
                return false;
            }
        }
    }
    true
}

/// Solve the n × n system J dx = b in place (Gaussian elimination with partial pivoting);
/// `None` if J is singular to working precision.
fn solve_linear(n: usize, mut j: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    let scale = j.iter().take(n).flat_map(|row| row[..n].iter()).fold(0.0_f64, |m, v| m.max(v.abs()));
    for col in 0..n {
        let piv = (col..n).max_by(|&a, &c| j[a][col].abs().total_cmp(&j[c][col].abs()))?;
        if j[piv][col].abs() <= 1e-12 * scale.max(1e-300) {
            return None;
        }
        j.swap(col, piv);
        b.swap(col, piv);
        let pivot_row = j[col];
        for row in col + 1..n {
            let f = j[row][col] / pivot_row[col];
            for (x, p) in j[row][col..n].iter_mut().zip(&pivot_row[col..n]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| j[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / j[row][row];
    }
    Some(x)
}

/// d(output)/d(column) for each of `wrt` (indices into [`WRT_COLUMNS`]) at one equilibrium:
/// `out[o * wrt.len() + w]`; returns whether it is differentiable (else `out` is NaN).
pub fn derivatives(params: &Params, eq: &Equilibrium, wrt: &[usize], out: &mut [f64]) -> bool {
    out.fill(f64::NAN);
    let Some(st) = Structure::of(params, eq) else { return false };
    if !smooth(params, eq, &st) {
        return false;
    }
    let x: [Dual; 3] = std::array::from_fn(|i| if i < st.n { Dual::var(st.x0[i], i) } else { Dual::c(st.x0[i]) });
    let nw = wrt.len();
    for (w, &col) in wrt.iter().enumerate() {
        let pt = Point::<Dual>::seeded(params, col, 3);
        let (res, outs) = evaluate(&pt, &st, &x);
        let mut dx = [0.0; 3];
        if st.n > 0 {
            if res[..st.n].iter().any(|r| r.v.is_nan() || r.v.abs() > RESIDUAL) {
                return false;
            }
            let mut jac = [[0.0; 3]; 3];
            let mut rhs = [0.0; 3];
            for (r, residual) in res[..st.n].iter().enumerate() {
                jac[r][..st.n].copy_from_slice(&residual.d[..st.n]);
                rhs[r] = -residual.d[3];
            }
            match solve_linear(st.n, jac, rhs) {
                Some(v) => dx = v,
                None => {
                    out.fill(f64::NAN);
                    return false;
                }
            }
        }
        for (o, y) in outs.iter().enumerate() {
            let total = y.d[3] + (0..st.n).map(|i| y.d[i] * dx[i]).sum::<f64>();
            out[o * nw + w] = if y.v.is_nan() { f64::NAN } else { total };
        }
    }
    true
}

/// The column indices of `names` (each one of [`WRT_COLUMNS`]).
pub fn wrt_indices(names: &[&str]) -> Result<Vec<usize>, ModelError> {
    names
        .iter()
        .map(|n| {
            WRT_COLUMNS.iter().position(|c| c == n).ok_or_else(|| {
                ModelError::invalid("derivatives", f64::NAN, format!("column names among {}", WRT_COLUMNS.join(", ")))
            })
        })
        .collect()
}

/// Derivatives of every point of a batch: solve each point with `method`, then for each of
/// `slots` equilibrium slots (the slot rule of [`crate::BatchOutput`]) write
/// `values[((i * slots + j) * NOUT + o) * wrt.len() + w]` and `differentiable[i * slots + j]`.
pub fn derivative_batch(
    method: Method,
    input: &BatchInput<'_>,
    slots: usize,
    wrt: &[usize],
    threads: usize,
    values: &mut [f64],
    differentiable: &mut [bool],
) -> Result<(), ModelError> {
    input.check_lengths()?;
    let n = input.len();
    let per_eq = NOUT * wrt.len();
    if values.len() != n * slots * per_eq || differentiable.len() != n * slots {
        return Err(ModelError::ShapeMismatch { name: "derivatives", len: values.len(), expected: n * slots * per_eq });
    }
    let one = |i: usize, vals: &mut [f64], diff: &mut [bool]| -> Result<(), ModelError> {
        let (params, range_cost) = input.valid_point(i)?;
        let sol: Solution = method.solve(&params, range_cost).map_err(|e| e.at_index(i))?;
        let n_eq = sol.n_eq();
        let selected = (0..n_eq).find(|&j| sol.get(j).is_some_and(|e| e.selected)).unwrap_or(0);
        for j in 0..slots {
            let source = if j == slots - 1 && n_eq > slots && selected >= slots { selected } else { j };
            let cell = &mut vals[j * per_eq..(j + 1) * per_eq];
            diff[j] = match sol.get(source) {
                Some(eq) => derivatives(&params, eq, wrt, cell),
                None => {
                    cell.fill(f64::NAN);
                    false
                }
            };
        }
        Ok(())
    };
    let run = |values: &mut [f64], differentiable: &mut [bool]| -> Result<(), ModelError> {
        if per_eq == 0 {
            return (0..n).try_for_each(|i| one(i, &mut [], &mut differentiable[i * slots..(i + 1) * slots]));
        }
        values
            .par_chunks_mut(slots * per_eq)
            .zip(differentiable.par_chunks_mut(slots))
            .enumerate()
            .try_for_each(|(i, (v, d))| one(i, v, d))
    };
    match threads {
        1 => {
            for i in 0..n {
                let (v, d) = (
                    &mut values[i * slots * per_eq..(i + 1) * slots * per_eq],
                    &mut differentiable[i * slots..(i + 1) * slots],
                );
                one(i, v, d)?;
            }
            Ok(())
        }
        0 => run(values, differentiable),
        t => match rayon::ThreadPoolBuilder::new().num_threads(t).build() {
            Ok(pool) => pool.install(|| run(values, differentiable)),
            Err(_) => run(values, differentiable),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Derivatives against a central difference of the solver at E1 (k = 0.075) along k, r
    /// and c_a, and the welfare outputs against the engine's record of E1.
    #[test]
    fn e1_derivatives_match_central_differences() {
        let base = Params { k: 0.075, ..Params::default() };
        let sol = crate::solve(&base, f64::NAN).expect("solves");
        let (j, eq) =
            sol.equilibria().into_iter().enumerate().find(|(_, e)| e.kind == Kind::CutpointHonest).expect("E1");
        let wrt = wrt_indices(&["k", "r", "c_a", "theta_b", "cost_b"]).expect("names");
        let mut out = vec![0.0; NOUT * wrt.len()];
        assert!(derivatives(&base, &eq, &wrt, &mut out));
        // E1 by hand (MODEL.md §9 region II): θ* = (k + (a - b)c_A)/(a(1-p) - (a - b)(1-p')),
        // with a = 0.6, b = 0.4: dθ*/dk = 1/(0.36 - 0.06) = 10/3.
        assert!((out[0] - 10.0 / 3.0).abs() < 1e-12, "{}", out[0]);
        let h = 1e-6;
        for (w, name) in ["k", "r", "c_a"].iter().enumerate() {
            let bump = |d: f64| {
                let mut p = base;
                match *name {
                    "k" => p.k += d,
                    "r" => p.r += d,
                    _ => p.c_a += d,
                }
                crate::solve(&p, f64::NAN).expect("solves").get(j).expect("same slot").cutpoint
            };
            let fd = (bump(h) - bump(-h)) / (2.0 * h);
            assert!((out[w] - fd).abs() < 1e-6, "{name}: {} vs {fd}", out[w]);
        }
        let [a, d, c] = welfare(&base, &eq);
        assert!((a - crate::model::welfare::ally(&base, &eq)).abs() < 1e-14);
        assert!((d - 0.8075).abs() < 1e-12 && c.is_finite());
    }
}
