//! `roots` where A1 fails (CRISIS.md §4): every root of Φ along the continuous cut-point path,
//! interior (on a piece in u) and D-pinned (on a boundary segment), then the poolings with
//! their refinements over the off-path crisis path.

use crate::model::crisis::{CrisisPoint, Regime};
use crate::model::equilibrium::{Equilibrium, Flags, Kind, Solution};
use crate::model::params::Params;
use crate::numeric::{all_roots_resolved, brent, Found};
use crate::solvers::certify::{fixed_gain, isolate};
use crate::solvers::crisis_path::{gain, Crises, CutpointPath, Piece, Responses, TOL};
use crate::solvers::crisis_pooling::{pooling, two_type_pure_profiles};
use crate::solvers::cutpoint_map::DEGENERATE_SLOPE;
use crate::solvers::pooling::Support;

/// Grid cells per piece of the path (edges sub-divided: roots cluster at kinks).
const CELLS: usize = 48;
const EDGE_SUB: usize = 4;
/// Roots closer than this (in u and in both ρ) are one root, found from both sides of a joint.
const MERGE_TOL: f64 = 1e-9;

struct Root {
    u: f64,
    crisis: [CrisisPoint; 2],
    stable: bool,
    degenerate: bool,
    pinned: bool,
}

/// The size below which Φ, or a type θ's Gain, counts as zero at the crises `c0` (after no
/// alliance) and `c1` (after an alliance) (docs/conventions.md, crisis "Continuum").
fn rounding_level(params: &Params, theta: f64, c0: &CrisisPoint, c1: &CrisisPoint) -> f64 {
    let concede = |c: &CrisisPoint| c.rho * (c.m_a + c.m_b);
    params.gain_rounding(theta, concede(c0) + concede(c1))
}

/// The size below which Φ counts as zero at parameter x of `piece`.
fn zero_phi(path: &CutpointPath<'_>, piece: &Piece, x: f64) -> f64 {
    let (u, [c0, c1]) = path.point(piece, x);
    rounding_level(path.params, u, &c0, &c1)
}

/// Every equilibrium of a continuous ally θ ~ U[lo, hi] at a point where A1 fails.
pub(crate) fn continuous(params: &Params, lo: f64, hi: f64, range_cost: f64, out: &mut Solution) {
    let path = CutpointPath::new(params, lo, hi);
    let mut roots: Vec<Root> = Vec::new();
    // Pieces on which Φ vanishes, in path order.
    let mut vanishing: Vec<usize> = Vec::new();
    out.begin_certified();
    for (index, piece) in path.pieces.iter().enumerate() {
        let (a, b) = CutpointPath::range(piece);
        let f = |x: f64| path.phi(piece, x);
        let tol = 1e-14 * (1.0 + (b - a).abs());
        let mut found: Vec<Found> = Vec::new();
        // The certified search; where it cannot decide the piece, the grid search too.
        let iso = isolate(&path.piece_fn(piece), a, b);
        for br in &iso.brackets {
            found.push(Found { x: brent(f, br.a, br.b, br.fa, br.fb, tol), tangent: false });
        }
        if !iso.certified {
            out.doubt();
            if all_roots_resolved(f, a, b, CELLS, EDGE_SUB, tol, |x| zero_phi(&path, piece, x), &mut |r| found.push(r))
            {
                vanishing.push(index);
                continue;
            }
        }
        let (proved, before) = (iso.brackets.len(), roots.len());
        for r in found {
            let (u, crisis) = path.point(piece, r.x);
            if !(u > lo && u < hi) {
                continue; // the path's ends are the poolings
            }
            let slope = path.slope(piece, r.x);
            let (pinned, scale) = match piece {
                Piece::Boundary { segment, .. } => (true, (segment.to - segment.from).abs()),
                Piece::Span { .. } => (false, 1.0),
            };
            let root = Root {
                u,
                crisis,
                stable: slope > 0.0 && !r.tangent,
                degenerate: r.tangent || (slope / scale).abs() < DEGENERATE_SLOPE,
                pinned,
            };
            push_root(&mut roots, root);
        }
        if iso.certified && roots.len() - before < proved {
            out.doubt(); // certified roots closer than MERGE_TOL reported as one
        }
    }
    // Adjacent vanishing pieces join into one interval of the path; each is one degenerate
    // equilibrium at the midpoint in u of its ends, and the isolated roots at it are part of it.
    let spans = join_vanishing(&path, &vanishing);
    roots.retain(|r| !spans.iter().any(|s| s.covers(r.u)));
    for span in &spans {
        if let Some((u, crisis, pinned)) = span.representative {
            push_root(&mut roots, Root { u, crisis, stable: false, degenerate: true, pinned });
        }
    }
    let continuum = !spans.is_empty();
    let t1 = params.threshold(true);
    for root in &roots {
        let kind = if root.u >= t1 { Kind::CutpointHonest } else { Kind::CutpointBluff };
        let flags = Flags { stable: root.stable, ic_ok: true, d1_ok: true, degenerate: root.degenerate };
        let [c0, c1] = root.crisis;
        let prob_alliance = (hi - root.u) / (hi - lo);
        out.push(Equilibrium::with_crisis(
            params,
            range_cost,
            kind,
            root.u,
            prob_alliance,
            Some(c1),
            Some(c0),
            flags,
            root.pinned,
        ));
    }
    if continuum {
        out.mark_continuum();
    }
    let support = Support::Interval { lo, hi };
    pooling(params, &path.crises, support, false, range_cost, hi, out);
    pooling(params, &path.crises, support, true, range_cost, lo, out);
}

/// Samples per piece of the continuum check in [`vanishing_intervals`].
const VANISH_SAMPLES: usize = 9;

/// One interval of the cut-point path on which Φ vanishes (docs/conventions.md, crisis path
/// "Continuum"): its ends in u and its representative equilibrium (u, crises [after no
/// alliance, after alliance], pinned), if that lies in (lo, hi).
pub(crate) struct Vanishing {
    pub ends: (f64, f64),
    pub representative: Option<(f64, [CrisisPoint; 2], bool)>,
}

impl Vanishing {
    /// Whether a root at `u` is part of the interval.
    pub fn covers(&self, u: f64) -> bool {
        let (ua, ub) = self.ends;
        u >= ua.min(ub) - MERGE_TOL && u <= ua.max(ub) + MERGE_TOL
    }
}

/// The vanishing intervals from the indices of the vanishing pieces (in path order): adjacent
/// pieces joined, each represented at the midpoint in u of its ends.
fn join_vanishing(path: &CutpointPath<'_>, vanishing: &[usize]) -> Vec<Vanishing> {
    let mut intervals: Vec<(usize, usize)> = Vec::new();
    for &i in vanishing {
        match intervals.last_mut() {
            Some(last) if last.1 + 1 == i => last.1 = i,
            _ => intervals.push((i, i)),
        }
    }
    let u_at = |i: usize, end: bool| {
        let (a, b) = CutpointPath::range(&path.pieces[i]);
        path.point(&path.pieces[i], if end { b } else { a }).0
    };
    let (lo, hi) = (path.lo, path.hi);
    intervals
        .iter()
        .map(|&(first, last)| {
            let (ua, ub) = (u_at(first, false), u_at(last, true));
            let at = if ua == ub {
                // Segments at one u only: the midpoint in ρ of the first one.
                let piece = &path.pieces[first];
                let (a, b) = CutpointPath::range(piece);
                Some((piece, 0.5 * (a + b)))
            } else {
                let um = 0.5 * (ua + ub);
                path.pieces[first..=last]
                    .iter()
                    .chain(&path.pieces)
                    .find(|p| matches!(p, Piece::Span { a, b, .. } if *a <= um && um <= *b))
                    .map(|p| (p, um))
            };
            let representative = at.and_then(|(piece, x)| {
                let (u, crisis) = path.point(piece, x);
                (u > lo && u < hi).then_some((u, crisis, matches!(piece, Piece::Boundary { .. })))
            });
            Vanishing { ends: (ua, ub), representative }
        })
        .collect()
}

/// The intervals of the cut-point path on which Φ vanishes, each piece checked at
/// [`VANISH_SAMPLES`] evenly spaced samples (ends included). For `belief_space`, whose
/// fixed-point search cannot tell a vanishing Φ from rounding noise.
pub(crate) fn vanishing_intervals(path: &CutpointPath<'_>) -> Vec<Vanishing> {
    let vanishing: Vec<usize> = (0..path.pieces.len())
        .filter(|&i| {
            let piece = &path.pieces[i];
            let (a, b) = CutpointPath::range(piece);
            (0..VANISH_SAMPLES).all(|s| {
                let x = if s + 1 == VANISH_SAMPLES { b } else { a + (b - a) * s as f64 / (VANISH_SAMPLES - 1) as f64 };
                path.phi(piece, x).abs() <= zero_phi(path, piece, x)
            })
        })
        .collect();
    join_vanishing(path, &vanishing)
}

/// Add `root` unless one within MERGE_TOL (in u and both ρ) is already there.
fn push_root(roots: &mut Vec<Root>, root: Root) {
    let same = |o: &Root| {
        (o.u - root.u).abs() < MERGE_TOL
            && (o.crisis[0].rho - root.crisis[0].rho).abs() < MERGE_TOL
            && (o.crisis[1].rho - root.crisis[1].rho).abs() < MERGE_TOL
    };
    if !roots.iter().any(same) {
        roots.push(root);
    }
}

/// Every equilibrium of a two-type ally θ ∈ {low, high} at a point where A1 fails (CRISIS.md
/// §3.5): the four pure profiles, then one type mixing while the other plays a pure strategy,
/// its indifference solved along the crisis path of the signal whose belief the mixing moves.
pub(crate) fn two_type(params: &Params, low: f64, high: f64, prior_high: f64, range_cost: f64, out: &mut Solution) {
    let crises = Crises::new(params);
    out.begin_certified();
    let margins = crate::solvers::certify::Margins::new(params);
    two_type_pure_profiles(params, &crises, (low, high, prior_high), range_cost, out);
    let types = [(low, 1.0 - prior_high), (high, prior_high)];
    // One type mixes; the other allies surely (the alliance belief moves) or never (the
    // no-alliance belief moves).
    let mut continuum = false;
    for (mixer, other) in [(0, 1), (1, 0)] {
        let (th_m, w_m) = types[mixer];
        let (th_o, w_o) = types[other];
        for other_allies in [true, false] {
            let Some(profile) = HybridProfile::new(params, &crises, types[mixer], types[other], other_allies) else {
                continue; // the belief does not move with the mixing
            };
            let HybridProfile { moving, x_a, x_b, qa, qb, fixed, .. } = profile;
            let pair = |g: &CrisisPoint| profile.pair(g);
            let path = Responses::new(params, *crises.get(moving), qa, qb);
            let piece_fn = |i: usize| path.piece_fn(i, params, margins, moving, &fixed, th_m, 1.0);
            let mut complete = true;
            let (zeros, representatives, _) = path.zeros(
                |g| profile.gain(params, g),
                |g| profile.rounding_level(params, g),
                Some(&piece_fn),
                &mut complete,
            );
            if !complete {
                out.doubt();
            }
            // A vanishing interval's representative is a candidate like any zero: degenerate,
            // not stable, and a continuum when kept.
            let candidates = zeros
                .into_iter()
                .map(|(g, rising, tangent)| (g, rising, tangent, false))
                .chain(representatives.into_iter().map(|g| (g, false, true, true)));
            for (g, rising, tangent, representative) in candidates {
                // Existence decided within rounding of a threshold is not certified.
                let edge = |q: f64| (g.q - q).abs() <= 1e-14;
                if edge(qa) || edge(qb) {
                    out.doubt();
                }
                if !(g.q > qa && g.q < qb) {
                    continue;
                }
                let (c1, c0) = pair(&g);
                let g_other = gain(params, th_o, &c1, &c0);
                let e_other = fixed_gain(params, th_o, &c1, &c0).err;
                if (other_allies && (g_other + TOL).abs() <= e_other)
                    || (!other_allies && (g_other - TOL).abs() <= e_other)
                {
                    out.doubt();
                }
                if (other_allies && g_other < -TOL) || (!other_allies && g_other > TOL) {
                    continue;
                }
                // The mixer's mass on the moving signal, then its probability of allying.
                let w = w_o * (x_a - g.q) / (g.q - x_b);
                let sigma = if moving { w / w_m } else { 1.0 - w / w_m };
                if sigma.abs() <= 1e-9 || (sigma - 1.0).abs() <= 1e-9 {
                    out.doubt();
                }
                if !(sigma > 0.0 && sigma < 1.0) {
                    continue;
                }
                let prob_alliance = w_m * sigma + if other_allies { w_o } else { 0.0 };
                // Stable iff the mixer's gain falls as it allies more: d Gain/dσ < 0.
                let along = if rising { 1.0 } else { -1.0 };
                let dsigma = along * (x_b - x_a).signum() * if moving { 1.0 } else { -1.0 };
                let pinned = matches!(g.regime, Regime::BoundaryW0 | Regime::BoundaryConcede);
                let flags = Flags { stable: dsigma < 0.0 && !tangent, ic_ok: true, d1_ok: true, degenerate: tangent };
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
        }
    }
    if continuum {
        out.mark_continuum();
    }
}

/// The vanishing intervals of a hybrid profile's search (docs/conventions.md, two-type "Hybrid
/// continua and tangencies"): their ends in q and their representatives, for `belief_space`,
/// whose scan in σ cannot tell a vanishing gain from rounding noise. `mixer` and `other` are
/// (θ, prior mass); the other type allies surely (`other_allies`) or never.
pub(crate) fn hybrid_vanishing(
    params: &Params,
    crises: &Crises<'_>,
    mixer: (f64, f64),
    other: (f64, f64),
    other_allies: bool,
) -> (Vec<(f64, f64)>, Vec<CrisisPoint>) {
    let Some(profile) = HybridProfile::new(params, crises, mixer, other, other_allies) else {
        return (Vec::new(), Vec::new());
    };
    let path = Responses::new(params, *crises.get(profile.moving), profile.qa, profile.qb);
    let (_, representatives, spans) =
        path.zeros(|g| profile.gain(params, g), |g| profile.rounding_level(params, g), None, &mut true);
    (spans, representatives)
}

/// One type mixing while the other allies surely or never: the moving signal, the belief
/// interval the mixing sweeps, and the other signal's fixed crisis.
struct HybridProfile {
    /// The mixer's type.
    th_m: f64,
    /// The moving signal is the alliance (the other type allies surely).
    moving: bool,
    /// The pure type's and the mixer's intervention indicators on the moving signal.
    x_a: f64,
    x_b: f64,
    /// The open belief interval the mixing sweeps.
    qa: f64,
    qb: f64,
    /// The crisis after the signal only the mixer sends (its own indicator as the belief).
    fixed: CrisisPoint,
}

impl HybridProfile {
    /// `mixer` and `other` are (θ, prior mass); None where the belief does not move with σ.
    fn new(
        params: &Params,
        crises: &Crises<'_>,
        mixer: (f64, f64),
        other: (f64, f64),
        other_allies: bool,
    ) -> Option<Self> {
        let ((th_m, w_m), (th_o, w_o)) = (mixer, other);
        let indicator = |b: bool| f64::from(u8::from(b));
        let moving = other_allies;
        let t_move = params.threshold(moving);
        let (x_a, x_b) = (indicator(th_o >= t_move), indicator(th_m >= t_move));
        if w_o == 0.0 || x_a == x_b {
            return None;
        }
        let q_end = (w_o * x_a + w_m * x_b) / (w_o + w_m);
        let fixed = crises.get(!moving).at(indicator(th_m >= params.threshold(!moving)));
        Some(HybridProfile { th_m, moving, x_a, x_b, qa: x_a.min(q_end), qb: x_a.max(q_end), fixed })
    }

    /// (crisis after an alliance, after none) with the moving signal at `g`.
    fn pair(&self, g: &CrisisPoint) -> (CrisisPoint, CrisisPoint) {
        if self.moving {
            (*g, self.fixed)
        } else {
            (self.fixed, *g)
        }
    }

    /// The mixer's Gain with the moving signal at `g`.
    fn gain(&self, params: &Params, g: &CrisisPoint) -> f64 {
        let (c1, c0) = self.pair(g);
        gain(params, self.th_m, &c1, &c0)
    }

    /// Its rounding level: the cut-point path's Z with θ_m for u (docs/conventions.md,
    /// "Hybrid continua and tangencies").
    fn rounding_level(&self, params: &Params, g: &CrisisPoint) -> f64 {
        let (c1, c0) = self.pair(g);
        rounding_level(params, self.th_m, &c0, &c1)
    }
}
