//! The crisis subgame after a signal α at a public belief q (CRISIS.md §2): D concedes or
//! resists, C attacks or backs down. With A1 (p - c_D >= 0) D always resists and the subgame is
//! MODEL.md's "every challenge is a war"; without it the equilibrium lies on one continuous path
//! in q: C piece | Cb segment | M piece | W0 segment | R piece (CRISIS.md §2.5).
//!
//! A point of the path is (q, ρ, m_A, m_B): D's concession probability ρ, the mass of resolute
//! challengers m_A (they attack if resisted) and the bluff mass m_B (they back down). Everything
//! the model reports about the crisis follows from it (CRISIS.md §5).

use crate::model::params::Params;
use crate::numeric::brent;

/// Probabilities at or below this count as zero where "nobody challenges" decides an output
/// (docs/conventions.md "Crisis stage").
pub const NOBODY: f64 = 1e-300;

/// The crisis regime of a signal (CRISIS.md §2.3); the discriminants are the output codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i8)]
pub enum Regime {
    /// R: D resists (W > 0); every challenger attacks.
    Resist = 0,
    /// M: D concedes with ρ̂ = b_C/(1+b_C); bluffers challenge with mass g|W|.
    Mixed = 1,
    /// C: D always concedes; every type challenges.
    Concede = 2,
    /// The W0 segment (W = 0): D mixes with ρ in [0, ρ̂], every challenger attacks.
    BoundaryW0 = 3,
    /// The Cb segment (g = π̄): D mixes with ρ in [ρ̂, 1], every type challenges.
    BoundaryConcede = 4,
}

impl Regime {
    pub const ALL: [Regime; 5] =
        [Regime::Resist, Regime::Mixed, Regime::Concede, Regime::BoundaryW0, Regime::BoundaryConcede];

    /// The public name of the regime (CF flag_meanings).
    pub fn name(self) -> &'static str {
        match self {
            Regime::Resist => "resist",
            Regime::Mixed => "mixed",
            Regime::Concede => "concede",
            Regime::BoundaryW0 => "boundary_w0",
            Regime::BoundaryConcede => "boundary_concede",
        }
    }
}

/// One point of the crisis path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrisisPoint {
    /// The public belief that A intervenes.
    pub q: f64,
    /// Pr(D concedes | challenge).
    pub rho: f64,
    /// Mass of resolute challengers (attack if resisted).
    pub m_a: f64,
    /// Mass of bluff challengers (back down if resisted).
    pub m_b: f64,
    pub regime: Regime,
    /// D's expected war value W = q (p'_α - c_D') + (1 - q)(p - c_D), unclipped.
    pub war_value: f64,
}

impl CrisisPoint {
    /// MODEL.md's crisis (regime R): a share `p_challenge` challenges and every challenge is a war.
    #[inline]
    pub fn resist(q: f64, p_challenge: f64, war_value: f64) -> Self {
        CrisisPoint { q, rho: 0.0, m_a: p_challenge, m_b: 0.0, regime: Regime::Resist, war_value }
    }

    /// Pr(challenge | α): bluffs included.
    #[inline]
    pub fn challenge(&self) -> f64 {
        self.m_a + self.m_b
    }

    /// Whether anyone challenges: Pr(challenge) above [`NOBODY`] (a cdf's far tail underflows
    /// differently in different implementations below it).
    #[inline]
    pub fn anyone_challenges(&self) -> bool {
        self.challenge() > NOBODY
    }

    /// Pr(D concedes | α).
    #[inline]
    pub fn concession(&self) -> f64 {
        self.rho * self.challenge()
    }

    /// Pr(war | α).
    #[inline]
    pub fn war(&self) -> f64 {
        (1.0 - self.rho) * self.m_a
    }

    /// Pr(C backs down | α).
    #[inline]
    pub fn backdown(&self) -> f64 {
        (1.0 - self.rho) * self.m_b
    }

    /// A's expected loss relative to the status quo: θ when D concedes, `loss` (L_α(θ)) at war
    /// (CRISIS.md §3.1: Λ_α(θ) = X_α θ + P^war_α L_α(θ)).
    #[inline]
    pub fn ally_loss(&self, theta: f64, loss: f64) -> f64 {
        self.concession() * theta + self.war() * loss
    }
}

/// The crisis path of one signal: its boundaries and the point at any belief.
#[derive(Debug, Clone, Copy)]
pub struct Crisis<'a> {
    params: &'a Params,
    /// M_α.
    shift: f64,
    /// d_α = (p'_α - c_D') - (p - c_D) > 0.
    gain_from_help: f64,
    /// ρ̂ = b_C/(1 + b_C).
    pub rho_hat: f64,
    /// q̂ = ω/d (W = 0); -inf where W > 0 at every belief.
    pub q_hat: f64,
    /// q^C (g = π̄); -inf where there is no W < 0 region, 0 where there is no C piece, q̂ where
    /// C meets W0, +inf where C covers [0, 1].
    pub q_concede: f64,
}

impl<'a> Crisis<'a> {
    pub fn new(params: &'a Params, alliance: bool) -> Self {
        let shift = params.war_shift(alliance);
        let d = (params.p_prime(alliance) - params.c_d_joint) - (params.p - params.c_d);
        let omega = params.c_d - params.p;
        let rho_hat = params.b_c / (1.0 + params.b_c);
        let mut c = Crisis {
            params,
            shift,
            gain_from_help: d,
            rho_hat,
            q_hat: f64::NEG_INFINITY,
            q_concede: f64::NEG_INFINITY,
        };
        if omega > 0.0 {
            c.q_hat = omega / d;
            c.q_concede = c.find_q_concede();
        }
        c
    }

    /// M_α, how much the belief that A intervenes lowers C's war payoff.
    #[inline]
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// d_α = (p'_α - c_D') - (p - c_D): how much intervention raises D's war value.
    #[inline]
    pub fn war_gain(&self) -> f64 {
        self.gain_from_help
    }

    /// τ(q): C's expected war payoff is τ - c.
    #[inline]
    pub fn tau(&self, q: f64) -> f64 {
        (1.0 - self.params.p) - q * self.shift
    }

    /// W(q), unclipped.
    #[inline]
    pub fn war_value(&self, q: f64) -> f64 {
        (self.params.p - self.params.c_d) + q * self.gain_from_help
    }

    /// g(q)(1 + |W(q)|) - 1: positive where D always concedes (regime C).
    fn concede_excess(&self, q: f64) -> f64 {
        let g = self.params.cost_c.cdf(self.tau(q) + self.params.b_c);
        g * (1.0 + (-self.war_value(q)).max(0.0)) - 1.0
    }

    fn find_q_concede(&self) -> f64 {
        let top = self.q_hat.min(1.0);
        let h0 = self.concede_excess(0.0);
        if h0 <= 0.0 {
            return 0.0;
        }
        let h_top = self.concede_excess(top);
        if h_top >= 0.0 {
            return if self.q_hat <= 1.0 { self.q_hat } else { f64::INFINITY };
        }
        brent(|q| self.concede_excess(q), 0.0, top, h0, h_top, 1e-15)
    }

    /// Whether D may concede after this signal at some belief in [0, 1].
    #[inline]
    pub fn may_concede(&self) -> bool {
        self.q_hat > 0.0
    }

    /// The main-branch crisis point at belief q: C below q^C, M on [q^C, q̂), R from q̂ on (at
    /// a boundary belief the regime reached from above: docs/conventions.md).
    pub fn at(&self, q: f64) -> CrisisPoint {
        self.in_regime(self.regime_at(q), q)
    }

    /// The crisis point at belief q computed with the formulas of `regime` (R, M or C), whatever
    /// the regime at q: a piece of the path extended continuously to its ends.
    pub fn in_regime(&self, regime: Regime, q: f64) -> CrisisPoint {
        let w = self.war_value(q);
        let g_of = |x: f64| self.params.cost_c.cdf(x);
        match regime {
            Regime::Concede => {
                let g = g_of(self.tau(q) + self.params.b_c);
                CrisisPoint { q, rho: 1.0, m_a: g, m_b: 1.0 - g, regime, war_value: w }
            }
            Regime::Mixed => {
                let g = g_of(self.tau(q) + self.params.b_c);
                let m_a = if self.params.b_c == 0.0 { g_of(self.tau(q)) } else { g };
                CrisisPoint { q, rho: self.rho_hat, m_a, m_b: g * (-w).max(0.0), regime, war_value: w }
            }
            _ => CrisisPoint::resist(q, g_of(self.tau(q)), w),
        }
    }

    /// The regime at belief q on the main branch (boundaries as in [`Crisis::at`]).
    pub fn regime_at(&self, q: f64) -> Regime {
        if q >= self.q_hat {
            Regime::Resist
        } else if q < self.q_concede {
            Regime::Concede
        } else {
            Regime::Mixed
        }
    }

    /// The W0 segment at q̂ with D conceding with probability `rho` in [0, ρ̂].
    pub fn w0(&self, rho: f64) -> CrisisPoint {
        let q = self.q_hat;
        let m_a = self.params.cost_c.cdf(self.tau(q) + rho / (1.0 - rho));
        CrisisPoint { q, rho, m_a, m_b: 0.0, regime: Regime::BoundaryW0, war_value: 0.0 }
    }

    /// The Cb segment at q^C with D conceding with probability `rho` in [ρ̂, 1].
    pub fn cb(&self, rho: f64) -> CrisisPoint {
        let q = self.q_concede;
        let w = self.war_value(q);
        let pi_bar = 1.0 / (1.0 + (-w).max(0.0));
        CrisisPoint { q, rho, m_a: pi_bar, m_b: 1.0 - pi_bar, regime: Regime::BoundaryConcede, war_value: w }
    }

    /// Whether the Cb segment exists at a belief in (0, 1] (where C meets W0 directly, at q̂).
    pub fn has_cb(&self) -> bool {
        self.q_concede > 0.0 && self.q_concede <= 1.0
    }

    /// Whether the W0 segment exists inside (0, 1] (q̂ in (0, 1] and b_C > 0).
    pub fn has_w0(&self) -> bool {
        self.q_hat > 0.0 && self.q_hat <= 1.0 && self.params.b_c > 0.0
    }

    /// Whether the "nobody challenges" branch exists at belief q (CRISIS.md §2.3 NC).
    pub fn nc_branch(&self, q: f64) -> bool {
        let g = |x: f64| self.params.cost_c.cdf(x);
        self.war_value(q) < 0.0 && g(self.tau(q)) <= NOBODY && g(self.tau(q) + self.params.b_c) > NOBODY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CRISIS.md §6 base parameters.
    fn base() -> Params {
        Params { p: 0.3, c_d: 0.4, k: 0.1, ..Params::default() }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// The exact crisis table of CRISIS.md §2.4 (c ~ U[0,1], M = 1/2, d = 3/4, q̂ = 2/15).
    #[test]
    fn crisis_table() {
        let params = base();
        let c = Crisis::new(&params, true);
        assert!(close(c.q_hat, 2.0 / 15.0) && close(c.rho_hat, 1.0 / 21.0));
        assert_eq!(c.q_concede, 0.0); // g(0)(1 + |W(0)|) = 0.8 · 1.1 < 1: no C piece
        let rows: [(f64, Regime, f64, f64, f64, f64, f64); 4] = [
            // q, regime, W, P^ch, X, P^war, back down
            (0.0, Regime::Mixed, -0.1, 33.0 / 40.0, 11.0 / 280.0, 5.0 / 7.0, 1.0 / 14.0),
            (1.0 / 15.0, Regime::Mixed, -0.05, 301.0 / 400.0, 43.0 / 1200.0, 43.0 / 63.0, 43.0 / 1260.0),
            (0.5, Regime::Resist, 11.0 / 40.0, 9.0 / 20.0, 0.0, 9.0 / 20.0, 0.0),
            (1.0, Regime::Resist, 13.0 / 20.0, 0.2, 0.0, 0.2, 0.0),
        ];
        for (q, regime, w, pch, x, war, back) in rows {
            let pt = c.at(q);
            assert_eq!(pt.regime, regime, "q = {q}");
            assert!(close(pt.war_value, w) && close(pt.challenge(), pch), "q = {q}: {pt:?}");
            assert!(close(pt.concession(), x) && close(pt.war(), war) && close(pt.backdown(), back), "{pt:?}");
        }
        // Pr(back down | resisted) = |W|/(1 + |W|): 1/11 at q = 0, 1/21 at q = 1/15.
        let imm = |pt: CrisisPoint| pt.backdown() / ((1.0 - pt.rho) * pt.challenge());
        assert!(close(imm(c.at(0.0)), 1.0 / 11.0) && close(imm(c.at(1.0 / 15.0)), 1.0 / 21.0));
        // The W0 segment: P^ch = G(19/30 + ρ/(1-ρ)), from M (ρ = ρ̂) to R (ρ = 0).
        let w0 = c.w0(c.rho_hat);
        assert!(close(w0.challenge(), (19.0 / 30.0 + 1.0 / 20.0_f64).min(1.0)));
        assert!(close(c.w0(0.0).challenge(), 19.0 / 30.0));
    }

    /// CRISIS.md §2.4 second example: c_D = 0.6, b_C = 0.1.
    #[test]
    fn concede_boundary() {
        let params = Params { c_d: 0.6, b_c: 0.1, ..base() };
        let c = Crisis::new(&params, true);
        assert!(close(c.q_hat, 6.0 / 19.0));
        assert!((c.q_concede - (141.0 - 19121f64.sqrt()) / 95.0).abs() < 1e-13, "{}", c.q_concede);
        assert_eq!(c.at(0.0).regime, Regime::Concede);
        assert_eq!(c.at(0.1).regime, Regime::Mixed);
        // The path is continuous through both segments.
        let cb_start = c.cb(1.0);
        assert!(close(cb_start.challenge(), 1.0));
        let m_end = c.at(c.q_concede);
        assert!(close(c.cb(c.rho_hat).concession(), m_end.concession()), "{:?} {m_end:?}", c.cb(c.rho_hat));
        assert!(close(c.cb(c.rho_hat).war(), m_end.war()));
    }

    /// With A1 every belief is in R, with MODEL.md's challenge probability.
    #[test]
    fn a1_is_resist_everywhere() {
        let params = Params::default();
        let c = Crisis::new(&params, false);
        for q in [0.0, 0.3, 1.0] {
            let pt = c.at(q);
            assert_eq!(pt.regime, Regime::Resist);
            assert_eq!(pt.challenge(), params.prob_challenge(false, q));
        }
    }
}
