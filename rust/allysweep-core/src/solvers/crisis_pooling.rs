//! Poolings of the crisis model and their refinements over the off-path crisis path
//! (CRISIS.md §3.4; the rules are spelled out in docs/conventions.md, "Crisis stage"). The
//! response to an off-path signal is no longer a number but a point of that signal's crisis
//! path Γ_β, restricted to the beliefs the deviating types can generate.

use crate::model::crisis::CrisisPoint;
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::solvers::certify::{fixed_gain, min_max_above, Margins, PieceFn};
use crate::solvers::crisis_path::{gain, Crises, Responses, TOL};
use crate::solvers::pooling::Support;

/// Types θ at which a gain that is piecewise linear in θ (kinks t_1, t_0) attains its extremes
/// over the support's types in [from, to].
fn extreme_types(params: &Params, support: Support, from: f64, to: f64) -> Vec<f64> {
    match support {
        Support::Interval { lo, hi } => {
            let (a, b) = (lo.max(from), hi.min(to));
            if a > b {
                return Vec::new();
            }
            let mut out = vec![a, b];
            for t in [params.threshold(true), params.threshold(false)] {
                if t > a && t < b {
                    out.push(t);
                }
            }
            out
        }
        Support::Points { low, high, .. } => [low, high].into_iter().filter(|&x| x >= from && x <= to).collect(),
    }
}

/// The types at which "some type gains at every response" is checked: the extremes and a grid.
fn type_grid(params: &Params, support: Support) -> Vec<f64> {
    match support {
        Support::Interval { lo, hi } => {
            let mut out: Vec<f64> = (0..=400).map(|i| lo + (hi - lo) * i as f64 / 400.0).collect();
            out.extend(extreme_types(params, support, lo, hi));
            out
        }
        Support::Points { low, high, .. } => vec![low, high],
    }
}

/// A pooling of the crisis model: every type sends `on` (true = alliance); the other signal is
/// off path. Pushes it when it is a PBE, with its D1 / IC flags.
pub(crate) fn pooling(
    params: &Params,
    crises: &Crises<'_>,
    support: Support,
    on: bool,
    range_cost: f64,
    cutpoint: f64,
    out: &mut Solution,
) {
    let off = !on;
    let t_on = params.threshold(on);
    let t_off = params.threshold(off);
    let q_on = support.share_at_least(t_on);
    let gamma_on = crises.get(on).at(q_on);
    // dev(θ; γ): what type θ gains by sending the off-path signal when the response is γ.
    let dev = |theta: f64, g_off: &CrisisPoint| {
        if on {
            -gain(params, theta, &gamma_on, g_off)
        } else {
            gain(params, theta, g_off, &gamma_on)
        }
    };
    let indicator = |b: bool| f64::from(u8::from(b));
    let (lo, hi) = (support.lowest(), support.highest());
    let responses = |qa: f64, qb: f64| Responses::new(params, *crises.get(off), qa, qb);
    // Every response the types can generate: beliefs between the lowest and highest types'.
    let all = responses(indicator(lo >= t_off), indicator(hi >= t_off));
    let all_types = extreme_types(params, support, lo, hi);
    let max_dev = |types: &[f64], g: &CrisisPoint| types.iter().map(|&th| dev(th, g)).fold(f64::NEG_INFINITY, f64::max);
    let not_pbe = all.min_above(|g| max_dev(&all_types, g), TOL);
    if out.certifying() && !existence_certified(params, &all, off, &gamma_on, &all_types, not_pbe) {
        out.doubt();
    }
    if not_pbe {
        return; // no response deters every type: not a PBE
    }
    // D1: the deviation is put on the type with most to gain (hi for an alliance, lo for none).
    let d1_type = if on { lo } else { hi };
    let q_d1 = indicator(d1_type >= t_off);
    let g_d1 = responses(q_d1, q_d1).min_of(|g| dev(d1_type, g));
    // Intuitive Criterion: the types that could gain at some response, on either side of t_off.
    let gains_somewhere = |from: f64, to: f64| {
        let types = extreme_types(params, support, from, to);
        !types.is_empty() && all.samples.iter().any(|(_, _, g)| max_dev(&types, g) >= 0.0)
    };
    let below = gains_somewhere(f64::NEG_INFINITY, t_off);
    let above = gains_somewhere(t_off, f64::INFINITY);
    let ic_ok = if !below && !above {
        true
    } else {
        let restricted = responses(if below { 0.0 } else { 1.0 }, if above { 1.0 } else { 0.0 });
        // Fails iff some type gains at every response of the restricted set.
        !type_grid(params, support).into_iter().any(|th| restricted.min_above(|g| dev(th, g), TOL))
    };
    let flags = Flags { stable: g_d1 < -TOL, ic_ok, d1_ok: g_d1 <= TOL, degenerate: false };
    let (kind, prob_alliance) = if on { (Kind::PoolAlliance, 1.0) } else { (Kind::PoolNoAlliance, 0.0) };
    let (c1, c0) = if on { (Some(gamma_on), None) } else { (None, Some(gamma_on)) };
    out.push(Equilibrium::with_crisis(params, range_cost, kind, cutpoint, prob_alliance, c1, c0, flags, false));
}

/// Whether the pooling's existence decision (`not_pbe`: no response in `all` deters every one
/// of `types`) is proved: not a PBE needs min over responses of max over types of dev to exceed
/// TOL on every piece of the set ([`min_max_above`]); a PBE needs one sampled response at which
/// every type's dev is certainly at or below TOL.
fn existence_certified(
    params: &Params,
    all: &Responses<'_>,
    off: bool,
    gamma_on: &CrisisPoint,
    types: &[f64],
    not_pbe: bool,
) -> bool {
    let margins = Margins::new(params);
    // dev(θ; γ) = Gain(θ) for no-alliance pooling (the alliance is off path), -Gain(θ) for
    // alliance pooling.
    let sign = if off { 1.0 } else { -1.0 };
    // Per piece of the set: its range and the function of each type.
    let pieces: Vec<(f64, f64, Vec<PieceFn>)> = (0..all.len())
        .map(|i| {
            let (a, b) = all.range(i);
            (a, b, types.iter().map(|&th| all.piece_fn(i, params, margins, off, gamma_on, th, sign)).collect())
        })
        .collect();
    if not_pbe {
        return pieces.iter().all(|(a, b, f)| min_max_above(f, *a, *b, TOL));
    }
    all.samples.iter().any(|&(i, x, _)| {
        pieces[i].2.iter().all(|f| {
            let s = f.sample(x);
            s.value + s.err <= TOL
        })
    })
}

/// The four pure profiles of a two-type ally in the crisis model (CRISIS.md §3.5): both
/// poolings, and each type allying alone (separating) where both types best-respond.
pub(crate) fn two_type_pure_profiles(
    params: &Params,
    crises: &Crises<'_>,
    (low, high, prior_high): (f64, f64, f64),
    range_cost: f64,
    out: &mut Solution,
) {
    let support = Support::Points { low, high, prior_high };
    pooling(params, crises, support, false, range_cost, f64::NAN, out);
    pooling(params, crises, support, true, range_cost, f64::NAN, out);
    let indicator = |b: bool| f64::from(u8::from(b));
    let (t1, t0) = (params.threshold(true), params.threshold(false));
    let types = [(low, 1.0 - prior_high), (high, prior_high)];
    for (ally, other) in [(1, 0), (0, 1)] {
        let (th_a, w_a) = types[ally];
        let th_o = types[other].0;
        let c1 = crises.get(true).at(indicator(th_a >= t1));
        let c0 = crises.get(false).at(indicator(th_o >= t0));
        let (g_a, g_o) = (gain(params, th_a, &c1, &c0), gain(params, th_o, &c1, &c0));
        if out.certifying() {
            // Decided within rounding of a threshold: not certified.
            let err = |th: f64| fixed_gain(params, th, &c1, &c0).err;
            let (e_a, e_o) = (err(th_a), err(th_o));
            if ((g_a + TOL).abs() <= e_a && g_o <= TOL + e_o) || ((g_o - TOL).abs() <= e_o && g_a >= -TOL - e_a) {
                out.doubt();
            }
        }
        if g_a >= -TOL && g_o <= TOL {
            let flags = Flags { stable: g_a > TOL && g_o < -TOL, ic_ok: true, d1_ok: true, degenerate: false };
            let eq = Equilibrium::with_crisis(
                params,
                range_cost,
                Kind::Separating,
                f64::NAN,
                w_a,
                Some(c1),
                Some(c0),
                flags,
                false,
            );
            out.push(eq);
        }
    }
}
