//! Belief-space search where A1 fails (CRISIS.md §4 step 8, "the extended map"): equilibria as
//! fixed points of (crisis after each signal) -> (the types that gain from allying) -> (the
//! beliefs they imply), a cross-check of `roots`, which walks the cut-point path instead.
//!
//! Continuous ally: in each region of the cut-point (I: u < t_1, II: t_1 <= u <= t_0, III:
//! u > t_0) at most one belief moves. The search runs along that signal's crisis path Γ
//! (segments included), in the belief: for a crisis point γ at belief q, the cut-point that
//! implies q is explicit, and a fixed point is where that type is indifferent at γ. In region
//! II both beliefs are fixed and Gain is linear in θ, so the indifferent type is explicit. Two-type ally: the mixer's σ is
//! scanned, beliefs by Bayes' rule; where the moving belief crosses a regime boundary, D's mixing
//! on the boundary segment is scanned for the mixer's indifference. Poolings use the shared code.

use crate::model::crisis::{CrisisPoint, Regime};
use crate::model::dist::TypeDist;
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::numeric::{all_roots, Found};
use crate::solvers::crisis_path::{gain, Crises, CutpointPath, Piece, Responses, TOL};
use crate::solvers::crisis_pooling::{pooling, two_type_pure_profiles};
use crate::solvers::cutpoint_map::DEGENERATE_SLOPE;
use crate::solvers::pooling::Support;
use crate::solvers::roots::{crisis_hybrid_vanishing, crisis_vanishing_intervals};

/// Roots closer than this (in u and both ρ) are one.
const MERGE_TOL: f64 = 1e-9;

/// Every equilibrium of a point where A1 fails.
pub(crate) fn solve(params: &Params, range_cost: f64, out: &mut Solution) {
    match params.theta {
        TypeDist::Uniform { lo, hi } => continuous(params, lo, hi, range_cost, out),
        TypeDist::TwoPoint { low, high, prior_high } => two_type(params, low, high, prior_high, range_cost, out),
    }
}

/// The zero in [a, b] of a function that is linear there, from its values at the ends.
fn linear_zero(a: f64, b: f64, ga: f64, gb: f64) -> Option<f64> {
    if ga == gb {
        return None;
    }
    let u = a + (b - a) * ga / (ga - gb);
    (u.is_finite()).then_some(u)
}

fn continuous(params: &Params, lo: f64, hi: f64, range_cost: f64, out: &mut Solution) {
    let path = CutpointPath::new(params, lo, hi);
    let crises = path.crises;
    let (t1, t0) = (path.t1, path.t0);
    let (b1, b0) = (t1.clamp(lo, hi), t0.clamp(lo, hi));
    // (u, [γ_0, γ_1])
    let mut roots: Vec<(f64, [CrisisPoint; 2])> = Vec::new();
    // Where Φ vanishes within rounding on whole pieces of the path, the fixed-point residual is
    // rounding noise too and its zeros are no fixed points: those intervals come from the
    // continuum rule (shared with `roots`, so continua are not cross-checked), one degenerate
    // equilibrium each.
    let spans = crisis_vanishing_intervals(&path);
    let mut push = |u: f64, g: [CrisisPoint; 2]| {
        if !(u > lo && u < hi) || spans.iter().any(|s| s.covers(u)) {
            return;
        }
        let same = |o: &(f64, [CrisisPoint; 2])| {
            (o.0 - u).abs() < MERGE_TOL
                && (o.1[0].rho - g[0].rho).abs() < MERGE_TOL
                && (o.1[1].rho - g[1].rho).abs() < MERGE_TOL
        };
        if !roots.iter().any(same) {
            roots.push((u, g));
        }
    };
    let gain_at = |u: f64, g: &[CrisisPoint; 2]| gain(params, u, &g[1], &g[0]);
    // Region II: both beliefs fixed; Gain is linear in θ there.
    if b0 >= b1 && b1 < hi && b0 > lo && b0 > b1 {
        let mid = 0.5 * (b1 + b0);
        let g = [crises.get(false).at(path.belief(false, mid)), crises.get(true).at(path.belief(true, mid))];
        if let Some(u) = linear_zero(b1, b0, gain_at(b1, &g), gain_at(b0, &g)) {
            if u >= b1 && u <= b0 {
                push(u, g);
            }
        }
    }
    // Regions I and III: one belief moves along its crisis path.
    let mut continuum = false;
    for alliance in [true, false] {
        let (a, b) = if alliance { (lo, b1) } else { (b0, hi) };
        if b <= a {
            continue;
        }
        let mid = 0.5 * (a + b);
        let fixed = crises.get(!alliance).at(path.belief(!alliance, mid));
        let (qa, qb) = (path.belief(alliance, a), path.belief(alliance, b));
        if qb == qa {
            // The belief does not move here (every type, or none, would intervene): both crises
            // are fixed and Gain is linear in θ, as in region II.
            let g = [crises.get(false).at(path.belief(false, mid)), crises.get(true).at(path.belief(true, mid))];
            if let Some(u) = linear_zero(a, b, gain_at(a, &g), gain_at(b, &g)) {
                if u >= a && u <= b {
                    push(u, g);
                }
            }
            continue;
        }
        if qb < qa || qb.is_nan() || qa.is_nan() {
            continue;
        }
        let pair = |g: &CrisisPoint| if alliance { [fixed, *g] } else { [*g, fixed] };
        // The cut-point whose types imply belief q (region I: q_1 = (hi - t_1)/(hi - u); region
        // III: q_0 = (u - t_0)/(u - lo)), and the gain of that type at the crisis γ: a fixed
        // point is a zero along Γ.
        let cut = |q: f64| if alliance { hi - (hi - t1) / q } else { (t0 - q * lo) / (1.0 - q) };
        let residual = |g: &CrisisPoint| gain_at(cut(g.q), &pair(g));
        let responses = Responses::new(params, *crises.get(alliance), qa, qb);
        // Rounding level 1e-15: where Φ vanishes the spans above decide, the rest is noise.
        for (g, _, _) in responses.zeros(residual, |_| 1e-15, None, &mut false).0 {
            let u = cut(g.q);
            if u > a && u < b {
                push(u, pair(&g));
            }
        }
    }
    let mut found: Vec<(f64, [CrisisPoint; 2], Option<bool>)> = roots.into_iter().map(|(u, g)| (u, g, None)).collect();
    for span in &spans {
        if let Some((u, g, pinned)) = span.representative {
            found.push((u, g, Some(pinned)));
        }
        continuum = true;
    }
    for (u, g, representative) in found {
        let (stable, degenerate, pinned) = match representative {
            Some(pinned) => (false, true, pinned),
            None => flags_on_path(&path, u, &g),
        };
        let kind = if u >= t1 { Kind::CutpointHonest } else { Kind::CutpointBluff };
        let flags = Flags { stable, ic_ok: true, d1_ok: true, degenerate };
        let prob_alliance = (hi - u) / (hi - lo);
        out.push(Equilibrium::with_crisis(
            params,
            range_cost,
            kind,
            u,
            prob_alliance,
            Some(g[1]),
            Some(g[0]),
            flags,
            pinned,
        ));
    }
    if continuum {
        out.mark_continuum();
    }
    let support = Support::Interval { lo, hi };
    pooling(params, &crises, support, false, range_cost, hi, out);
    pooling(params, &crises, support, true, range_cost, lo, out);
}

/// Stability (Φ rising along the cut-point path), tangency and pinning of a root found in
/// belief space, read off the shared cut-point path at the root.
fn flags_on_path(path: &CutpointPath<'_>, u: f64, g: &[CrisisPoint; 2]) -> (bool, bool, bool) {
    let on_segment = |c: &CrisisPoint| matches!(c.regime, Regime::BoundaryW0 | Regime::BoundaryConcede);
    for piece in &path.pieces {
        let (x, scale) = match *piece {
            Piece::Boundary { u: ub, alliance, segment } => {
                let c = &g[usize::from(alliance)];
                let matches = on_segment(c)
                    && (ub - u).abs() < 1e-9
                    && (c.regime == Regime::BoundaryConcede) == segment.concede
                    && c.rho >= segment.from.min(segment.to) - 1e-12
                    && c.rho <= segment.from.max(segment.to) + 1e-12;
                if !matches {
                    continue;
                }
                ((c.rho - segment.from) / (segment.to - segment.from), (segment.to - segment.from).abs())
            }
            Piece::Span { a, b, .. } => {
                if on_segment(&g[0]) || on_segment(&g[1]) || u < a || u > b {
                    continue;
                }
                (u, 1.0)
            }
        };
        let slope = path.slope(piece, x);
        let pinned = matches!(piece, Piece::Boundary { .. });
        return (slope > 0.0, (slope / scale).abs() < DEGENERATE_SLOPE, pinned);
    }
    (false, true, false)
}

fn two_type(params: &Params, low: f64, high: f64, prior_high: f64, range_cost: f64, out: &mut Solution) {
    let crises = Crises::new(params);
    two_type_pure_profiles(params, &crises, (low, high, prior_high), range_cost, out);
    let types = [(low, 1.0 - prior_high), (high, prior_high)];
    for (mixer, other) in [(0, 1), (1, 0)] {
        for other_allies in [true, false] {
            mixing(params, &crises, types[mixer], types[other], other_allies, range_cost, out);
        }
    }
}

/// `mixer` allies with probability σ, `other` surely (`other_allies`) or never.
fn mixing(
    params: &Params,
    crises: &Crises<'_>,
    (th_m, w_m): (f64, f64),
    (th_o, w_o): (f64, f64),
    other_allies: bool,
    range_cost: f64,
    out: &mut Solution,
) {
    let moving = other_allies;
    let t_move = params.threshold(moving);
    let indicator = |b: bool| f64::from(u8::from(b));
    let (x_o, x_m) = (indicator(th_o >= t_move), indicator(th_m >= t_move));
    if x_o == x_m || w_o == 0.0 {
        return;
    }
    let crisis = crises.get(moving);
    let fixed = crises.get(!moving).at(indicator(th_m >= params.threshold(!moving)));
    // The mixer's mass on the moving signal at σ, and the belief there (Bayes).
    let mass = |sigma: f64| if moving { w_m * sigma } else { w_m * (1.0 - sigma) };
    let belief = |sigma: f64| (w_o * x_o + mass(sigma) * x_m) / (w_o + mass(sigma));
    let pair = |g: &CrisisPoint| if moving { (*g, fixed) } else { (fixed, *g) };
    let mixer_gain = |g: &CrisisPoint| {
        let (c1, c0) = pair(g);
        gain(params, th_m, &c1, &c0)
    };
    // Where the mixer's gain vanishes within rounding on whole pieces of the hybrid path, its
    // scan in σ sees rounding noise: those intervals (in q) and their representatives come
    // from the continuum rule shared with `roots` (not cross-checked).
    let (spans, representatives) = crisis_hybrid_vanishing(params, crises, (th_m, w_m), (th_o, w_o), other_allies);
    let in_span = |q: f64| spans.iter().any(|&(a, b)| q >= a.min(b) - MERGE_TOL && q <= a.max(b) + MERGE_TOL);
    let mut found: Vec<(CrisisPoint, f64)> = Vec::new();
    let sigma_of = |q: f64| {
        let w = w_o * (x_o - q) / (q - x_m);
        if moving {
            w / w_m
        } else {
            1.0 - w / w_m
        }
    };
    let add = |g: CrisisPoint, sigma: f64, found: &mut Vec<(CrisisPoint, f64)>| {
        if !in_span(g.q)
            && sigma > 0.0
            && sigma < 1.0
            && !found.iter().any(|(o, s)| (s - sigma).abs() < MERGE_TOL && (o.rho - g.rho).abs() < MERGE_TOL)
        {
            found.push((g, sigma));
        }
    };
    // The mixer's gain as σ moves, the crisis on the main branch at the belief σ implies.
    let scan = |sigma: f64| mixer_gain(&crisis.at(belief(sigma)));
    let mut hits: Vec<Found> = Vec::new();
    all_roots(scan, 0.0, 1.0, 64, 4, 1e-14, |_| -1.0, &mut |f| hits.push(f));
    for f in hits {
        let g = crisis.at(belief(f.x));
        if mixer_gain(&g).abs() < 1e-9 {
            add(g, f.x, &mut found);
        }
    }
    // Where the belief crosses a regime boundary, the gain jumps; D's mixing on that boundary's
    // segment fills the jump and may hold the mixer indifferent.
    let (q_lo, q_hi) = (belief(0.0).min(belief(1.0)), belief(0.0).max(belief(1.0)));
    for (q, concede) in [(crisis.q_concede, true), (crisis.q_hat, false)] {
        if !(q > q_lo && q < q_hi) {
            continue;
        }
        let exists = if concede { crisis.has_cb() } else { crisis.has_w0() };
        if !exists {
            continue;
        }
        let (r0, r1) = if concede { (crisis.rho_hat, 1.0) } else { (0.0, crisis.rho_hat) };
        let seg = |rho: f64| if concede { crisis.cb(rho) } else { crisis.w0(rho) };
        let mut hits: Vec<Found> = Vec::new();
        all_roots(|rho| mixer_gain(&seg(rho)), r0, r1, 48, 4, 1e-14, |_| -1.0, &mut |f| hits.push(f));
        for f in hits {
            add(seg(f.x), sigma_of(q), &mut found);
        }
    }
    let candidates = found
        .into_iter()
        .map(|(g, sigma)| (g, sigma, false))
        .chain(representatives.into_iter().map(|g| (g, sigma_of(g.q), true)))
        .filter(|&(_, sigma, _)| sigma > 0.0 && sigma < 1.0);
    let mut continuum = false;
    for (g, sigma, representative) in candidates {
        let (c1, c0) = pair(&g);
        let g_other = gain(params, th_o, &c1, &c0);
        if (other_allies && g_other < -TOL) || (!other_allies && g_other > TOL) {
            continue;
        }
        // Stable iff the mixer's gain falls as it allies more, by a difference in σ across the
        // root (on a segment: in D's ρ, mapped to the direction σ moves the belief).
        let pinned = matches!(g.regime, Regime::BoundaryW0 | Regime::BoundaryConcede);
        let stable = if pinned {
            let (r0, r1) =
                if g.regime == Regime::BoundaryConcede { (crisis.rho_hat, 1.0) } else { (0.0, crisis.rho_hat) };
            let h = 1e-6 * (r1 - r0);
            let seg = |rho: f64| if g.regime == Regime::BoundaryConcede { crisis.cb(rho) } else { crisis.w0(rho) };
            let (a, b) = ((g.rho - h).max(r0), (g.rho + h).min(r1));
            // Along the path ρ falls as q rises; dq/dσ has the sign of (x_m - x_o) if the mass
            // rises with σ (moving after an alliance), the opposite otherwise.
            let dgain_drho = mixer_gain(&seg(b)) - mixer_gain(&seg(a));
            let dq_dsigma = (x_m - x_o) * if moving { 1.0 } else { -1.0 };
            -dgain_drho * dq_dsigma < 0.0
        } else {
            let h = 1e-7;
            let (a, b) = ((sigma - h).max(0.0), (sigma + h).min(1.0));
            scan(b) - scan(a) < 0.0
        };
        let prob_alliance = w_m * sigma + if other_allies { w_o } else { 0.0 };
        let flags = Flags { stable: stable && !representative, ic_ok: true, d1_ok: true, degenerate: representative };
        continuum |= representative;
        out.push(Equilibrium::with_crisis(
            params,
            range_cost,
            Kind::Hybrid,
            f64::NAN,
            prob_alliance,
            Some(c1),
            Some(c0),
            flags,
            pinned,
        ));
    }
    if continuum {
        out.mark_continuum();
    }
}
