//! The crisis model's paths (CRISIS.md §3-§4), shared by the solvers of points where A1 fails:
//!
//! - the **cut-point path** of a continuous ally: u from lo to hi, each signal's crisis read
//!   from its belief q_α(u); where a belief crosses a regime boundary, Φ jumps and a boundary
//!   segment (D's ρ moving at fixed u) fills the jump, so the path and Φ along it are continuous;
//! - the **response sets** of an off-path signal: the crisis path Γ_β restricted to the beliefs
//!   the deviating types can generate, sampled for the refinements of poolings.

use crate::model::crisis::{Crisis, CrisisPoint, Regime};
use crate::model::dist::CostDist;
use crate::model::params::Params;
use crate::numeric::{all_roots_resolved, brent, golden_min, Found};
use crate::solvers::certify::{isolate, Belief, Margins, Motion, PieceFn, Signal, Theta};
use crate::solvers::cutpoint_map::CutpointMap;

/// Tolerance of weak inequalities in existence and refinement tests (docs/conventions.md).
pub(crate) const TOL: f64 = 1e-12;
/// Samples per piece of a response set.
const RESPONSE_SAMPLES: usize = 48;

/// Both signals' crisis paths, indexed by `alliance as usize`.
#[derive(Clone, Copy)]
pub(crate) struct Crises<'a>(pub [Crisis<'a>; 2]);

impl<'a> Crises<'a> {
    pub(crate) fn new(params: &'a Params) -> Self {
        Crises([Crisis::new(params, false), Crisis::new(params, true)])
    }

    #[inline]
    pub(crate) fn get(&self, alliance: bool) -> &Crisis<'a> {
        &self.0[usize::from(alliance)]
    }
}

/// A's gain from allying, Gain(θ) = Λ_0(θ) - Λ_1(θ) - k, at crisis points γ_1, γ_0.
#[inline]
pub(crate) fn gain(params: &Params, theta: f64, alliance: &CrisisPoint, no_alliance: &CrisisPoint) -> f64 {
    no_alliance.ally_loss(theta, params.loss(false, theta))
        - alliance.ally_loss(theta, params.loss(true, theta))
        - params.k
}

/// A boundary segment: which one, and ρ from `from` to `to` in path order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    /// Cb (g = π̄) rather than W0 (W = 0).
    pub concede: bool,
    pub from: f64,
    pub to: f64,
}

impl Segment {
    #[inline]
    pub(crate) fn rho(&self, s: f64) -> f64 {
        self.from + s * (self.to - self.from)
    }

    #[inline]
    pub(crate) fn point(&self, crisis: &Crisis<'_>, s: f64) -> CrisisPoint {
        if self.concede {
            crisis.cb(self.rho(s))
        } else {
            crisis.w0(self.rho(s))
        }
    }
}

/// The Cb segment (`concede`) or the W0 segment of signal `crisis`, in path order, W0 split
/// where a uniform G clips along it.
fn segments(params: &Params, crisis: &Crisis<'_>, concede: bool, out: &mut Vec<Segment>) {
    if concede {
        if crisis.has_cb() {
            out.push(Segment { concede: true, from: 1.0, to: crisis.rho_hat });
        }
    } else if crisis.has_w0() {
        // On W0, m_A = G(τ(q̂) + ρ/(1-ρ)): a uniform G clips where that argument meets lo or hi.
        let mut cuts = vec![crisis.rho_hat];
        if let CostDist::Uniform { lo, hi } = params.cost_c {
            for c in [lo, hi] {
                let z = c - crisis.tau(crisis.q_hat);
                let rho = z / (1.0 + z);
                if z > 0.0 && rho < crisis.rho_hat {
                    cuts.push(rho);
                }
            }
        }
        cuts.push(0.0);
        cuts.sort_by(|a, b| b.total_cmp(a));
        cuts.dedup();
        for w in cuts.windows(2) {
            out.push(Segment { concede: false, from: w[0], to: w[1] });
        }
    }
}

/// One piece of the cut-point path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece {
    /// u in [a, b]; each signal's crisis in the regime it has inside (`regime[alliance]`).
    Span { a: f64, b: f64, regime: [Regime; 2] },
    /// At cut-point `u` the crisis after `alliance` moves along a boundary segment.
    Boundary { u: f64, alliance: bool, segment: Segment },
}

/// The cut-point path of a continuous ally θ ~ U[lo, hi] with A1 failing.
pub(crate) struct CutpointPath<'a> {
    pub params: &'a Params,
    pub crises: Crises<'a>,
    pub lo: f64,
    pub hi: f64,
    pub t1: f64,
    pub t0: f64,
    pub pieces: Vec<Piece>,
    map: CutpointMap<'a>,
}

impl<'a> CutpointPath<'a> {
    pub(crate) fn new(params: &'a Params, lo: f64, hi: f64) -> Self {
        let crises = Crises::new(params);
        let (t1, t0) = (params.threshold(true), params.threshold(false));
        let map = CutpointMap::new(params, lo, hi);
        let mut path = CutpointPath { params, crises, lo, hi, t1, t0, pieces: Vec::new(), map };
        path.build();
        path
    }

    /// q_α(u), the belief a cut-point u implies after signal α (MODEL.md §6).
    #[inline]
    pub(crate) fn belief(&self, alliance: bool, u: f64) -> f64 {
        if alliance {
            self.map.belief_alliance(u)
        } else {
            self.map.belief_no_alliance(u)
        }
    }

    /// The cut-point u in (lo, hi) at which signal `alliance`'s belief equals `q`, where that
    /// belief moves (region I for the alliance, region III without); `None` if it never does.
    fn cut_at_belief(&self, alliance: bool, q: f64) -> Option<f64> {
        let (lo, hi) = (self.lo, self.hi);
        let u = if alliance {
            // q_1(u) = (hi - t_1)/(hi - u) on [lo, t_1), rising from q_1(lo) to 1.
            if !(self.t1 > lo && self.t1 < hi && q > 0.0 && q < 1.0) {
                return None;
            }
            hi - (hi - self.t1) / q
        } else {
            // q_0(u) = (u - t_0)/(u - lo) on (t_0, hi], rising from 0 to q_0(hi).
            if !(self.t0 > lo && self.t0 < hi && q > 0.0 && q < 1.0) {
                return None;
            }
            (self.t0 - q * lo) / (1.0 - q)
        };
        let (a, b) = if alliance { (lo, self.t1) } else { (self.t0, hi) };
        (u > a && u < b).then_some(u)
    }

    fn build(&mut self) {
        let params = self.params;
        let mut cuts: Vec<f64> = vec![self.lo, self.hi];
        // (u, alliance, boundary belief, Cb rather than W0)
        let mut boundaries: Vec<(f64, bool, f64, bool)> = Vec::new();
        for &t in &[self.t1, self.t0] {
            if t > self.lo && t < self.hi {
                cuts.push(t);
            }
        }
        for alliance in [true, false] {
            let crisis = *self.crises.get(alliance);
            for (q, concede) in [(crisis.q_concede, true), (crisis.q_hat, false)] {
                if let Some(u) = self.cut_at_belief(alliance, q) {
                    cuts.push(u);
                    boundaries.push((u, alliance, q, concede));
                }
            }
            if let CostDist::Uniform { lo: c_lo, hi: c_hi } = params.cost_c {
                let shift = params.war_shift(alliance);
                for c in [c_lo, c_hi] {
                    for extra in [0.0, params.b_c] {
                        if let Some(u) = self.cut_at_belief(alliance, ((1.0 - params.p) + extra - c) / shift) {
                            cuts.push(u);
                        }
                    }
                }
            }
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        // Boundaries in path order: by u, then Cb before W0.
        boundaries.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.3.cmp(&a.3)));
        let mut next_boundary = 0;
        let mut segs = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            while next_boundary < boundaries.len() && boundaries[next_boundary].0 <= a {
                self.push_boundary(boundaries[next_boundary], &mut segs);
                next_boundary += 1;
            }
            let mid = 0.5 * (a + b);
            let regime = [false, true].map(|al| self.crises.get(al).regime_at(self.belief(al, mid)));
            self.pieces.push(Piece::Span { a, b, regime });
        }
    }

    fn push_boundary(&mut self, (u, alliance, _, concede): (f64, bool, f64, bool), segs: &mut Vec<Segment>) {
        segs.clear();
        segments(self.params, self.crises.get(alliance), concede, segs);
        for &segment in segs.iter() {
            self.pieces.push(Piece::Boundary { u, alliance, segment });
        }
    }

    /// The piece's parameter range: u for a span, s in [0, 1] along a segment.
    pub(crate) fn range(piece: &Piece) -> (f64, f64) {
        match *piece {
            Piece::Span { a, b, .. } => (a, b),
            Piece::Boundary { .. } => (0.0, 1.0),
        }
    }

    /// The cut-point and both crisis points ([no alliance, alliance]) at parameter x of `piece`.
    pub(crate) fn point(&self, piece: &Piece, x: f64) -> (f64, [CrisisPoint; 2]) {
        match *piece {
            Piece::Span { regime, .. } => {
                let at = |al: bool| self.crises.get(al).in_regime(regime[usize::from(al)], self.belief(al, x));
                (x, [at(false), at(true)])
            }
            Piece::Boundary { u, alliance, segment } => {
                let moving = segment.point(self.crises.get(alliance), x);
                let other = self.crises.get(!alliance).at(self.belief(!alliance, u));
                let pts = if alliance { [other, moving] } else { [moving, other] };
                (u, pts)
            }
        }
    }

    /// dΦ/dx along the path at parameter x of `piece`, by a central difference kept inside it.
    pub(crate) fn slope(&self, piece: &Piece, x: f64) -> f64 {
        let (a, b) = Self::range(piece);
        let h = 1e-6 * (b - a);
        let (x1, x2) = ((x - h).max(a), (x + h).min(b));
        (self.phi(piece, x2) - self.phi(piece, x1)) / (x2 - x1)
    }

    /// Φ at parameter x of `piece`.
    #[inline]
    pub(crate) fn phi(&self, piece: &Piece, x: f64) -> f64 {
        let (u, [c0, c1]) = self.point(piece, x);
        gain(self.params, u, &c1, &c0)
    }

    /// Φ along `piece` as the certified search takes it ([`crate::solvers::certify`]): on a
    /// span each signal's crisis follows its belief in the piece's regime; on a boundary segment
    /// the moving signal's ρ runs along the segment and the other signal's crisis is fixed.
    pub(crate) fn piece_fn(&self, piece: &Piece) -> PieceFn {
        let params = self.params;
        match *piece {
            Piece::Span { a, b, regime } => {
                let sig = |al: bool| {
                    let q = if al { self.map.belief_map_alliance(a, b) } else { self.map.belief_map_no_alliance(a, b) };
                    Signal::new(params, self.crises.get(al), al, Motion::Belief { q, regime: regime[usize::from(al)] })
                };
                PieceFn::new(params, self.map.margins, [sig(false), sig(true)], Theta::Cut, params.k, 1.0)
            }
            Piece::Boundary { u, alliance, segment } => {
                let moving = segment_motion(&segment);
                let fixed = Motion::Fixed(self.crises.get(!alliance).at(self.belief(!alliance, u)));
                let sig = |al: bool| {
                    Signal::new(params, self.crises.get(al), al, if al == alliance { moving } else { fixed })
                };
                PieceFn::new(params, self.map.margins, [sig(false), sig(true)], Theta::Fixed(u), params.k, 1.0)
            }
        }
    }
}

/// A boundary segment as the certified search's motion of its signal.
fn segment_motion(segment: &Segment) -> Motion {
    let (from, to) = (segment.from, segment.to);
    if segment.concede {
        Motion::Cb { from, to }
    } else {
        Motion::W0 { from, to }
    }
}

/// One piece of a response set: beliefs q in [a, b] in one regime, or a segment.
#[derive(Debug, Clone, Copy)]
enum ResponsePiece {
    Beliefs { a: f64, b: f64, regime: Regime },
    Boundary(Segment),
}

/// The crisis path of one signal restricted to beliefs in [qa, qb] (a segment counts when its
/// belief lies in the closed interval), sampled in path order.
pub(crate) struct Responses<'a> {
    crisis: Crisis<'a>,
    pieces: Vec<ResponsePiece>,
    /// (piece, parameter, crisis point) samples.
    pub samples: Vec<(usize, f64, CrisisPoint)>,
}

impl<'a> Responses<'a> {
    pub(crate) fn new(params: &'a Params, crisis: Crisis<'a>, qa: f64, qb: f64) -> Self {
        let mut pieces = Vec::new();
        let (qc, qh) = (crisis.q_concede, crisis.q_hat);
        let mut segs = Vec::new();
        // Beliefs where a uniform G clips (τ or τ + b_C at a support end): kinks, so pieces end there.
        let mut clips: Vec<f64> = Vec::new();
        if let CostDist::Uniform { lo, hi } = params.cost_c {
            for c in [lo, hi] {
                for extra in [0.0, params.b_c] {
                    clips.push(((1.0 - params.p) + extra - c) / crisis.shift());
                }
            }
        }
        let add = |a: f64, b: f64, regime: Regime, pieces: &mut Vec<ResponsePiece>| {
            if a > b {
                return;
            }
            let mut cuts: Vec<f64> = clips.iter().copied().filter(|&q| q > a && q < b).collect();
            cuts.sort_by(f64::total_cmp);
            let mut start = a;
            for q in cuts.into_iter().chain(std::iter::once(b)) {
                if q > start || (a == b && q == start) {
                    pieces.push(ResponsePiece::Beliefs { a: start, b: q, regime });
                    start = q;
                }
            }
        };
        if qa < qc {
            add(qa, qb.min(qc), Regime::Concede, &mut pieces);
        }
        if crisis.has_cb() && qa <= qc && qc <= qb {
            segments(params, &crisis, true, &mut segs);
            pieces.extend(segs.iter().map(|&s| ResponsePiece::Boundary(s)));
        }
        let (m_lo, m_hi) = (qa.max(qc.max(0.0)), qb.min(qh));
        if m_lo < m_hi || (m_lo == m_hi && m_lo < qh && m_lo >= qc) {
            add(m_lo, m_hi, Regime::Mixed, &mut pieces);
        }
        if crisis.has_w0() && qa <= qh && qh <= qb {
            segs.clear();
            segments(params, &crisis, false, &mut segs);
            pieces.extend(segs.iter().map(|&s| ResponsePiece::Boundary(s)));
        }
        if qb >= qh {
            add(qa.max(qh), qb, Regime::Resist, &mut pieces);
        }
        let mut r = Responses { crisis, pieces, samples: Vec::new() };
        for i in 0..r.pieces.len() {
            let (a, b) = r.range(i);
            let n = if a == b { 1 } else { RESPONSE_SAMPLES };
            for j in 0..n {
                let x = if n == 1 { a } else { a + (b - a) * j as f64 / (n - 1) as f64 };
                r.samples.push((i, x, r.point(i, x)));
            }
        }
        r
    }

    pub(crate) fn range(&self, i: usize) -> (f64, f64) {
        match self.pieces[i] {
            ResponsePiece::Beliefs { a, b, .. } => (a, b),
            ResponsePiece::Boundary(_) => (0.0, 1.0),
        }
    }

    /// `sign·(Λ_0 - Λ_1 - k)` for type θ along piece i as the certified search takes it: this
    /// set's signal (`alliance`) moves along the piece, the other signal's crisis is `fixed`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn piece_fn(
        &self,
        i: usize,
        params: &Params,
        margins: Margins,
        alliance: bool,
        fixed: &CrisisPoint,
        theta: f64,
        sign: f64,
    ) -> PieceFn {
        let motion = match self.pieces[i] {
            ResponsePiece::Beliefs { regime, .. } => Motion::Belief { q: Belief::Identity, regime },
            ResponsePiece::Boundary(seg) => segment_motion(&seg),
        };
        let moving = Signal::new(params, &self.crisis, alliance, motion);
        let other = Signal::fixed(params, !alliance, *fixed);
        let sig = if alliance { [other, moving] } else { [moving, other] };
        PieceFn::new(params, margins, sig, Theta::Fixed(theta), params.k, sign)
    }

    /// Pieces of the set.
    pub(crate) fn len(&self) -> usize {
        self.pieces.len()
    }

    fn point(&self, i: usize, x: f64) -> CrisisPoint {
        match self.pieces[i] {
            ResponsePiece::Beliefs { regime, .. } => self.crisis.in_regime(regime, x),
            ResponsePiece::Boundary(seg) => seg.point(&self.crisis, x),
        }
    }

    /// Every zero of `f` along the set (in path order): the crisis point there, whether `f` rises
    /// through it along the path, and whether it is a tangency. With `certify` (the certified
    /// search's function of piece i, `f` as a [`PieceFn`]) the zeros are isolated by [`isolate`]
    /// and refined by Brent, with the grid search added on a piece it cannot decide; `certified`
    /// is cleared then.
    ///
    /// The cut-point path's continuum and tangency rules apply (docs/conventions.md, two-type
    /// "Hybrid continua and tangencies"): `zero(γ)` is the rounding level of `f` at γ. A
    /// piece vanishes when |f| <= zero at every one of its grid samples; adjacent vanishing pieces
    /// (zero-length pieces between them aside) join into one interval, represented by the crisis
    /// point at the midpoint in q of its ends (on the first belief piece containing it; an
    /// interval of segments at one q: the middle of its first segment). Returns the isolated
    /// zeros, less those within 1e-9 in q of an interval, the representatives and the intervals'
    /// ends in q.
    #[allow(clippy::type_complexity)]
    pub(crate) fn zeros(
        &self,
        f: impl Fn(&CrisisPoint) -> f64,
        zero: impl Fn(&CrisisPoint) -> f64,
        certify: Option<&dyn Fn(usize) -> PieceFn>,
        certified: &mut bool,
    ) -> (Vec<(CrisisPoint, bool, bool)>, Vec<CrisisPoint>, Vec<(f64, f64)>) {
        let mut out: Vec<(CrisisPoint, bool, bool)> = Vec::new();
        // (first, last) piece of each vanishing interval, in path order.
        let mut intervals: Vec<(usize, usize)> = Vec::new();
        let mut last_vanished = false;
        for i in 0..self.pieces.len() {
            let (a, b) = self.range(i);
            if b <= a {
                continue;
            }
            let g = |x: f64| f(&self.point(i, x));
            let tol = 1e-14 * (1.0 + b - a);
            let mut found = Vec::new();
            let (grid, proved) = match certify {
                Some(piece_fn) => {
                    let iso = isolate(&piece_fn(i), a, b);
                    for br in &iso.brackets {
                        found.push(Found { x: brent(g, br.a, br.b, br.fa, br.fb, tol), tangent: false });
                    }
                    *certified &= iso.certified;
                    (!iso.certified, iso.brackets.len())
                }
                None => (true, 0),
            };
            if grid && all_roots_resolved(g, a, b, 48, 4, tol, |x| zero(&self.point(i, x)), &mut |r| found.push(r)) {
                match intervals.last_mut() {
                    Some(last) if last_vanished => last.1 = i,
                    _ => intervals.push((i, i)),
                }
                last_vanished = true;
                continue;
            }
            last_vanished = false;
            let before = out.len();
            for r in found {
                let h = 1e-6 * (b - a);
                let (x1, x2) = ((r.x - h).max(a), (r.x + h).min(b));
                let rising = g(x2) > g(x1);
                let point = self.point(i, r.x);
                let same = |o: &(CrisisPoint, bool, bool)| {
                    (o.0.q - point.q).abs() < 1e-9 && (o.0.rho - point.rho).abs() < 1e-9
                };
                if !out.iter().any(same) {
                    out.push((point, rising, r.tangent));
                }
            }
            if !grid && out.len() - before < proved {
                *certified = false; // certified zeros closer than 1e-9 reported as one
            }
        }
        let q_at = |i: usize, end: bool| {
            let (a, b) = self.range(i);
            self.point(i, if end { b } else { a }).q
        };
        let spans: Vec<(f64, f64)> = intervals.iter().map(|&(f, l)| (q_at(f, false), q_at(l, true))).collect();
        out.retain(|(c, _, _)| !spans.iter().any(|&(qa, qb)| c.q >= qa.min(qb) - 1e-9 && c.q <= qa.max(qb) + 1e-9));
        let mut representatives = Vec::new();
        for (&(first, last), &(qa, qb)) in intervals.iter().zip(&spans) {
            if qa == qb {
                let (a, b) = self.range(first);
                representatives.push(self.point(first, 0.5 * (a + b)));
                continue;
            }
            let qm = 0.5 * (qa + qb);
            let on = |i: usize| matches!(self.pieces[i], ResponsePiece::Beliefs { a, b, .. } if a <= qm && qm <= b);
            if let Some(i) = (first..=last).chain(0..self.pieces.len()).find(|&i| on(i)) {
                representatives.push(self.point(i, qm));
            }
        }
        (out, representatives, spans)
    }

    /// Whether min over responses of `value` exceeds `threshold` (refined only when the sampled
    /// minimum does).
    pub(crate) fn min_above(&self, value: impl Fn(&CrisisPoint) -> f64, threshold: f64) -> bool {
        if self.samples.iter().any(|(_, _, c)| value(c) <= threshold) {
            return false;
        }
        self.min_of(value) > threshold
    }

    /// min over responses γ of `value(γ)`: the sampled minimum, refined by golden-section search
    /// between its neighbouring samples of the same piece. +inf for an empty set.
    pub(crate) fn min_of(&self, value: impl Fn(&CrisisPoint) -> f64) -> f64 {
        let mut best = (f64::INFINITY, usize::MAX);
        for (k, (_, _, c)) in self.samples.iter().enumerate() {
            let v = value(c);
            if v < best.0 {
                best = (v, k);
            }
        }
        let (v, k) = best;
        if k == usize::MAX {
            return v;
        }
        let (piece, x, _) = self.samples[k];
        let (a, b) = self.range(piece);
        if a == b {
            return v;
        }
        let step = (b - a) / (RESPONSE_SAMPLES - 1) as f64;
        let (l, r) = ((x - step).max(a), (x + step).min(b));
        let (_, refined) = golden_min(|y| value(&self.point(piece, y)), l, r, 1e-12 * (1.0 + (b - a)));
        v.min(refined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solvers::certify::tests::{check_cell, random_crisis, Rng};

    /// Along the off-path response sets (beliefs in R, M, C and the segments), the certified
    /// search's function for a fixed type is ±Gain at the set's crisis points, to rounding,
    /// and its enclosures hold on random cells.
    #[test]
    fn response_pieces_are_the_gain_and_their_enclosures_hold() {
        let mut rng = Rng::new(23);
        let mut pieces = 0;
        for _ in 0..1500 {
            let params = random_crisis(&mut rng);
            let crises = Crises::new(&params);
            let margins = Margins::new(&params);
            for alliance in [true, false] {
                let set = Responses::new(&params, *crises.get(alliance), 0.0, 1.0);
                let fixed = crises.get(!alliance).at(rng.next());
                let theta = rng.range(0.0, 1.5);
                let sign = if rng.next() < 0.5 { 1.0 } else { -1.0 };
                for i in 0..set.len() {
                    let (a, b) = set.range(i);
                    if b <= a {
                        continue;
                    }
                    let f = set.piece_fn(i, &params, margins, alliance, &fixed, theta, sign);
                    for _ in 0..4 {
                        let x = rng.range(a, b);
                        let moving = set.point(i, x);
                        let (c1, c0) = if alliance { (moving, fixed) } else { (fixed, moving) };
                        let want = sign * gain(&params, theta, &c1, &c0);
                        let s = f.sample(x);
                        assert!((s.value - want).abs() <= s.err, "{params:?} piece {i} at {x}: {} vs {want}", s.value);
                    }
                    check_cell(&f, a, b, &mut rng, &|| format!("{params:?} response piece {i}"));
                    pieces += 1;
                }
            }
        }
        assert!(pieces > 3000, "{pieces}");
    }

    /// `min_max_above` proves only what holds: where it says min over the piece of max over
    /// the types exceeds a threshold, dense samples agree, and it says so for thresholds clearly
    /// below the sampled minimum.
    #[test]
    fn min_max_above_proves_only_what_holds() {
        use crate::solvers::certify::min_max_above;
        let mut rng = Rng::new(29);
        let (mut proved, mut cases) = (0, 0);
        for _ in 0..400 {
            let params = random_crisis(&mut rng);
            let crises = Crises::new(&params);
            let margins = Margins::new(&params);
            let alliance = rng.next() < 0.5;
            let set = Responses::new(&params, *crises.get(alliance), 0.0, 1.0);
            let fixed = crises.get(!alliance).at(rng.next());
            let types = [0.0, rng.range(0.1, 0.6), 1.0];
            for i in 0..set.len() {
                let (a, b) = set.range(i);
                let fs: Vec<PieceFn> =
                    types.iter().map(|&th| set.piece_fn(i, &params, margins, alliance, &fixed, th, 1.0)).collect();
                let n = 4000;
                let dense = (0..=n)
                    .map(|j| {
                        let x = a + (b - a) * j as f64 / n as f64;
                        fs.iter().map(|f| f.sample(x).value).fold(f64::NEG_INFINITY, f64::max)
                    })
                    .fold(f64::INFINITY, f64::min);
                let scale = 1e-3 * (1.0 + dense.abs());
                for threshold in [dense - 10.0 * scale, dense - scale, dense + scale, dense + 10.0 * scale] {
                    cases += 1;
                    let holds = min_max_above(&fs, a, b, threshold);
                    if holds {
                        proved += 1;
                        assert!(dense > threshold, "{params:?} piece {i}: proved {threshold} < min, sampled {dense}");
                    }
                    if threshold <= dense - 10.0 * scale {
                        assert!(holds, "{params:?} piece {i}: not proved {threshold} < {dense}");
                    }
                }
            }
        }
        assert!(proved > cases / 4, "{proved} of {cases}");
    }
}
