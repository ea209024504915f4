//! What the solver reports about one equilibrium and one point (MODEL.md §8).

use std::cell::Cell;

use arrayvec::ArrayVec;

use crate::model::checks::{gain_increasing, gain_increasing_crisis};
use crate::model::crisis::{Crisis, CrisisPoint};
use crate::model::dist::TypeDist;
use crate::model::params::Params;
use crate::model::welfare::{LazyNoOption, NoOption};

/// Most equilibria reported per point; more are counted in `status` and dropped.
pub const MAX_EQ: usize = 8;
/// Candidate buffer before sorting and truncating to `MAX_EQ`.
const MAX_CANDIDATES: usize = 16;

/// Equilibrium kind (MODEL.md §8). The discriminants are the flat codes of the `kind` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i8)]
pub enum Kind {
    CutpointHonest = 0,
    CutpointBluff = 1,
    PoolNoAlliance = 2,
    PoolAlliance = 3,
    Separating = 4,
    Hybrid = 5,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::CutpointHonest,
        Kind::CutpointBluff,
        Kind::PoolNoAlliance,
        Kind::PoolAlliance,
        Kind::Separating,
        Kind::Hybrid,
    ];

    /// The public name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CutpointHonest => "cutpoint_honest",
            Kind::CutpointBluff => "cutpoint_bluff",
            Kind::PoolNoAlliance => "pool_no_alliance",
            Kind::PoolAlliance => "pool_alliance",
            Kind::Separating => "separating",
            Kind::Hybrid => "hybrid",
        }
    }
}

/// Refinement and stability flags of one equilibrium.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Flags {
    pub stable: bool,
    pub ic_ok: bool,
    pub d1_ok: bool,
    pub degenerate: bool,
}

/// One equilibrium, with every per-equilibrium output of MODEL.md §8. Off-path quantities are NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Equilibrium {
    pub kind: Kind,
    pub cutpoint: f64,
    pub prob_alliance: f64,
    /// 1 − prob_alliance, computed without cancellation: F(u) = (u − lo)/(hi − lo) at a
    /// cut-point of a continuous ally (a cut-point next to lo has prob_alliance within an ulp of
    /// 1, and 1 − prob_alliance keeps few digits of F(u)); the weight of "no alliance" in every
    /// aggregate over signals.
    pub prob_no_alliance: f64,
    pub belief_alliance: f64,
    pub belief_no_alliance: f64,
    pub prob_challenge_alliance: f64,
    pub prob_challenge_no_alliance: f64,
    pub prob_war: f64,
    pub prob_renege: f64,
    pub range_lo_alliance: f64,
    pub range_hi_alliance: f64,
    pub range_lo_no_alliance: f64,
    pub range_hi_no_alliance: f64,
    pub flags: Flags,
    pub selected: bool,
    /// Gain(θ) nondecreasing over the type support at this equilibrium's challenge
    /// probabilities: single crossing, checked rather than assumed ([`crate::model::checks`]).
    pub gain_increasing: bool,
    /// The crisis after an alliance and after none (CRISIS.md §2); `None` where that signal is
    /// off path.
    pub crisis_alliance: Option<CrisisPoint>,
    pub crisis_no_alliance: Option<CrisisPoint>,
    /// D mixes on a boundary segment and the cut-point is locked there (CRISIS.md §3.3).
    pub pinned: bool,
}

/// D's expected war value W_α = q (p'_α - c_D') + (1 - q)(p - c_D) after a signal that makes C
/// and D believe A intervenes with probability `belief`: the unclipped low end of the range.
#[inline]
pub fn war_value(params: &Params, alliance: bool, belief: f64) -> f64 {
    belief * (params.p_prime(alliance) - params.c_d_joint) + (1.0 - belief) * (params.p - params.c_d)
}

/// Bargaining range [lo, hi] over D's share after a signal that makes C and D believe A
/// intervenes with probability `belief`, at challenger cost `cost` (MODEL.md §8), clipped to [0, 1].
#[inline]
pub fn bargaining_range(params: &Params, alliance: bool, belief: f64, cost: f64) -> (f64, f64) {
    let lo = belief * (params.p_prime(alliance) - params.c_d_joint) + (1.0 - belief) * (params.p - params.c_d);
    let hi = params.p + cost + belief * params.war_shift(alliance);
    (lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0))
}

impl Equilibrium {
    /// Build the record from the equilibrium's on-path beliefs (`None` = that signal is off path).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        params: &Params,
        range_cost: f64,
        kind: Kind,
        cutpoint: f64,
        prob_alliance: f64,
        belief_alliance: Option<f64>,
        belief_no_alliance: Option<f64>,
        flags: Flags,
    ) -> Self {
        let p1 = belief_alliance.map(|q| params.prob_challenge(true, q));
        let p0 = belief_no_alliance.map(|q| params.prob_challenge(false, q));
        // With A1 D always resists: the crisis is regime R at the challenge probability.
        let resist = |alliance: bool, q: Option<f64>, p: Option<f64>| {
            q.zip(p).map(|(q, p)| CrisisPoint::resist(q, p, war_value(params, alliance, q)))
        };
        let (c1, c0) = (resist(true, belief_alliance, p1), resist(false, belief_no_alliance, p0));
        let mut eq = Self::record(params, range_cost, kind, cutpoint, prob_alliance, c1, c0, flags, false);
        eq.gain_increasing = gain_increasing(params, &eq);
        eq
    }

    /// The record of an equilibrium of the crisis model (CRISIS.md §5) from the crisis point
    /// after each on-path signal (`None` = off path).
    #[allow(clippy::too_many_arguments)]
    pub fn with_crisis(
        params: &Params,
        range_cost: f64,
        kind: Kind,
        cutpoint: f64,
        prob_alliance: f64,
        crisis_alliance: Option<CrisisPoint>,
        crisis_no_alliance: Option<CrisisPoint>,
        flags: Flags,
        pinned: bool,
    ) -> Self {
        let mut eq = Self::record(
            params,
            range_cost,
            kind,
            cutpoint,
            prob_alliance,
            crisis_alliance,
            crisis_no_alliance,
            flags,
            pinned,
        );
        eq.gain_increasing = gain_increasing_crisis(params, &eq);
        eq
    }

    /// The record without its single-crossing check (each constructor computes its own).
    #[allow(clippy::too_many_arguments)]
    fn record(
        params: &Params,
        range_cost: f64,
        kind: Kind,
        cutpoint: f64,
        prob_alliance: f64,
        crisis_alliance: Option<CrisisPoint>,
        crisis_no_alliance: Option<CrisisPoint>,
        flags: Flags,
        pinned: bool,
    ) -> Self {
        let nan = f64::NAN;
        let prob_no_alliance = match (kind, params.theta) {
            (Kind::CutpointHonest | Kind::CutpointBluff, TypeDist::Uniform { lo, hi }) => (cutpoint - lo) / (hi - lo),
            _ => 1.0 - prob_alliance,
        };
        let weight = |alliance: bool| if alliance { prob_alliance } else { prob_no_alliance };
        let war: f64 = [(true, crisis_alliance), (false, crisis_no_alliance)]
            .iter()
            .filter_map(|&(a, c)| c.map(|c| weight(a) * c.war()))
            .sum();
        let range = |alliance: bool, c: Option<CrisisPoint>| {
            c.map_or((nan, nan), |c| bargaining_range(params, alliance, c.q, range_cost))
        };
        let (ra_lo, ra_hi) = range(true, crisis_alliance);
        let (rn_lo, rn_hi) = range(false, crisis_no_alliance);
        Equilibrium {
            kind,
            cutpoint,
            prob_alliance,
            prob_no_alliance,
            belief_alliance: crisis_alliance.map_or(nan, |c| c.q),
            belief_no_alliance: crisis_no_alliance.map_or(nan, |c| c.q),
            prob_challenge_alliance: crisis_alliance.map_or(nan, |c| c.challenge()),
            prob_challenge_no_alliance: crisis_no_alliance.map_or(nan, |c| c.challenge()),
            prob_war: war,
            prob_renege: crisis_alliance.map_or(nan, |c| 1.0 - c.q),
            range_lo_alliance: ra_lo,
            range_hi_alliance: ra_hi,
            range_lo_no_alliance: rn_lo,
            range_hi_no_alliance: rn_hi,
            flags,
            selected: false,
            gain_increasing: false,
            crisis_alliance,
            crisis_no_alliance,
            pinned,
        }
    }

    /// The crisis after signal `alliance`, if on path.
    #[inline]
    pub fn crisis(&self, alliance: bool) -> Option<&CrisisPoint> {
        if alliance {
            self.crisis_alliance.as_ref()
        } else {
            self.crisis_no_alliance.as_ref()
        }
    }

    /// A per-signal output: `f` of the crisis after `alliance`, NaN off path.
    #[inline]
    pub fn per_signal(&self, alliance: bool, f: impl Fn(&CrisisPoint) -> f64) -> f64 {
        self.crisis(alliance).map_or(f64::NAN, f)
    }

    /// The crisis regime code after `alliance` (-1 off path).
    #[inline]
    pub fn regime_code(&self, alliance: bool) -> i8 {
        self.crisis(alliance).map_or(-1, |c| c.regime as i8)
    }

    /// Σ over on-path signals of Pr(signal)·f(crisis).
    #[inline]
    pub fn aggregate(&self, f: impl Fn(&CrisisPoint) -> f64) -> f64 {
        let mut total = 0.0;
        if let Some(c) = &self.crisis_alliance {
            total += self.prob_alliance * f(c);
        }
        if let Some(c) = &self.crisis_no_alliance {
            total += self.prob_no_alliance * f(c);
        }
        total
    }

    /// Pr(C backs down | D resisted), aggregated over on-path signals (NaN where D never resists
    /// a challenge).
    pub fn immediate_deterrence(&self) -> f64 {
        let resisted = self.aggregate(|c| (1.0 - c.rho) * c.challenge());
        if resisted > crate::model::crisis::NOBODY {
            self.aggregate(CrisisPoint::backdown) / resisted
        } else {
            f64::NAN
        }
    }

    /// Output order: prob_alliance, kind, cutpoint, then unpinned before pinned, then D's ρ after
    /// an alliance and after none (docs/conventions.md "Order").
    fn sort_key(&self) -> (f64, Kind, f64, bool, f64, f64) {
        let rho = |c: Option<CrisisPoint>| c.map_or(f64::NAN, |c| c.rho);
        (
            self.prob_alliance,
            self.kind,
            self.cutpoint,
            self.pinned,
            rho(self.crisis_alliance),
            rho(self.crisis_no_alliance),
        )
    }
}

/// Point status: a bit set, 0 when everything was found and reported.
pub mod status {
    /// Everything found and reported.
    pub const OK: i64 = 0;
    /// More equilibria than `MAX_EQ` slots; the extra ones were dropped.
    pub const TRUNCATED: i64 = 1;
    /// Φ vanishes on a whole interval: a continuum of cutpoint equilibria, represented by one
    /// degenerate equilibrium at the interval's midpoint.
    pub const CONTINUUM: i64 = 2;
    /// Every equilibrium was found, and this is proved: each piece's root search was certified
    /// complete and every existence decision cleared its rounding margin (docs/conventions.md,
    /// "Certified"). Set by `roots` only.
    pub const CERTIFIED: i64 = 4;

    /// Every bit: (mask, name), for CF `flag_masks` / `flag_meanings`.
    pub const BITS: [(i64, &str); 3] = [(TRUNCATED, "truncated"), (CONTINUUM, "continuum"), (CERTIFIED, "certified")];
}

/// Everything the solver reports for one point.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Found so far (an inline vector: nothing to initialise per point, which matters at a few
    /// hundred nanoseconds per point).
    candidates: ArrayVec<Equilibrium, MAX_CANDIDATES>,
    overflow: bool,
    continuum: bool,
    /// The search was certified complete so far (status bit `CERTIFIED`; false unless a solver
    /// that certifies began with [`Solution::begin_certified`]).
    certified: bool,
    /// Full-information bargaining range, D alone: [p - c_D, p + c].
    pub range_alone: (f64, f64),
    /// Full-information bargaining range, D and A together: [p'_1 - c_D', p'_1 + c + Δ_C].
    pub range_joint: (f64, f64),
    /// The excluded "nobody challenges" PBE exists at a reported equilibrium (CRISIS.md §2.3).
    pub nc_branch: bool,
    /// b_C = 0: the bluff mass is not pinned (CRISIS.md §2.3; the b_C -> 0+ limit is reported).
    pub bluff_mass_free: bool,
    /// The point (welfare and the no-option benchmark are computed from it when asked for).
    pub params: Params,
    no_option: LazyNoOption,
    /// The three utilities of the equilibrium last asked for (keyed by its address): the writer
    /// asks for them one output at a time, and they share one evaluation.
    welfare: Cell<Option<(usize, [f64; 3])>>,
}

impl Solution {
    pub(crate) fn new(params: &Params, range_cost: f64) -> Self {
        let c = range_cost;
        let clip = |x: f64| x.clamp(0.0, 1.0);
        Solution {
            candidates: ArrayVec::new(),
            overflow: false,
            continuum: false,
            certified: false,
            range_alone: (clip(params.p - params.c_d), clip(params.p + c)),
            range_joint: (clip(params.p_alliance - params.c_d_joint), clip(params.p_alliance + c + params.c_c_extra)),
            nc_branch: false,
            bluff_mass_free: params.b_c == 0.0,
            params: *params,
            no_option: LazyNoOption::default(),
            welfare: Cell::new(None),
        }
    }

    /// The utilities (ally, defender, challenger) of `eq`, one of this solution's equilibria,
    /// evaluated once however many of them are asked for.
    pub fn utilities(&self, eq: &Equilibrium) -> [f64; 3] {
        let key = std::ptr::from_ref(eq) as usize;
        if let Some((k, u)) = self.welfare.get() {
            if k == key {
                return u;
            }
        }
        let u = crate::sensitivity::welfare(&self.params, eq);
        self.welfare.set(Some((key, u)));
        u
    }

    /// The no-option benchmark of this point (computed on first use).
    pub fn no_option(&self) -> &NoOption {
        self.no_option.get(&self.params)
    }

    pub(crate) fn push(&mut self, eq: Equilibrium) {
        if let Err(full) = self.candidates.try_push(eq) {
            // Keep the first candidates in output order, whatever order they were found in (a
            // pooling found after many interior roots is not the one dropped).
            self.overflow = true;
            let eq = full.element();
            let order = |a: &Equilibrium, b: &Equilibrium| {
                a.sort_key().partial_cmp(&b.sort_key()).unwrap_or(std::cmp::Ordering::Equal)
            };
            if let Some((i, last)) = self.candidates.iter().enumerate().max_by(|a, b| order(a.1, b.1)) {
                if order(&eq, last) == std::cmp::Ordering::Less {
                    self.candidates[i] = eq;
                }
            }
        }
    }

    /// Set `nc_branch` where some reported equilibrium's on-path crisis has the "nobody
    /// challenges" branch.
    pub(crate) fn mark_nc_branch(&mut self, params: &Params) {
        let crises = [Crisis::new(params, false), Crisis::new(params, true)];
        self.nc_branch = self.candidates.iter().any(|e| {
            [false, true].into_iter().any(|al| e.crisis(al).is_some_and(|c| crises[usize::from(al)].nc_branch(c.q)))
        });
    }

    pub(crate) fn mark_continuum(&mut self) {
        self.continuum = true;
    }

    /// A certifying search starts: the point is certified unless something casts doubt.
    pub(crate) fn begin_certified(&mut self) {
        self.certified = true;
    }

    /// Completeness could not be proved (an undecided piece, a decision within rounding of its
    /// threshold): the point keeps its best answer but is not certified.
    pub(crate) fn doubt(&mut self) {
        self.certified = false;
    }

    /// Whether a certifying search is under way and nothing has cast doubt yet (checks that
    /// only certification needs can be skipped otherwise).
    pub(crate) fn certifying(&self) -> bool {
        self.certified
    }

    /// Whether the point is certified complete (status bit `CERTIFIED`).
    pub fn certified(&self) -> bool {
        self.certified && !self.continuum
    }

    /// Sort (prob_alliance ascending, then kind, then cutpoint), truncate to `MAX_EQ`, and mark
    /// the selected equilibrium: the lexicographic maximum of (d1_ok, stable, prob_alliance),
    /// ties to the lower slot (MODEL.md §6 "Selection").
    pub(crate) fn finish(&mut self) {
        self.candidates.sort_by(|a, b| a.sort_key().partial_cmp(&b.sort_key()).unwrap_or(std::cmp::Ordering::Equal));
        if self.candidates.len() > MAX_EQ {
            self.overflow = true;
            self.candidates.truncate(MAX_EQ);
        }
        let mut best: Option<(usize, (bool, bool, f64))> = None;
        for (i, eq) in self.candidates.iter().enumerate() {
            let key = (eq.flags.d1_ok, eq.flags.stable, eq.prob_alliance);
            if best.is_none_or(|(_, b)| key > b) {
                best = Some((i, key));
            }
        }
        if let Some((i, _)) = best {
            self.candidates[i].selected = true;
        }
    }

    /// The equilibria found, in output order.
    pub fn equilibria(&self) -> Vec<Equilibrium> {
        self.candidates.to_vec()
    }

    /// The i-th reported equilibrium, if any.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Equilibrium> {
        self.candidates.get(i)
    }

    /// Number of equilibria reported.
    pub fn n_eq(&self) -> usize {
        self.candidates.len()
    }

    /// Status code (see [`status`]).
    pub fn status(&self) -> i64 {
        let mut code = status::OK;
        if self.overflow {
            code |= status::TRUNCATED;
        }
        if self.continuum {
            code |= status::CONTINUUM;
        }
        if self.certified() {
            code |= status::CERTIFIED;
        }
        code
    }
}
