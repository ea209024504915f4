"""Independent reference for the allysweep alliance game: Monte Carlo play and exact expectations.

Written from the specifications only (``MODEL.md`` and its extension ``CRISIS.md``, which drops
assumption A1 so that D may concede and C may back down). It does not import allysweep.

Given the parameters and a *strategy profile of the ally stage* (who allies), the module derives
everything else from the specs:

* the on-path beliefs q_alpha = Pr(A intervenes | alpha) by Bayes, with A intervening iff
  theta >= t_alpha = (c_A - alpha r) / (p'_alpha - p) (MODEL.md section 5.1);
* the crisis equilibrium after each on-path signal (CRISIS.md Proposition 1): regime R (resist),
  M (mixed), C (concede), or one of the boundary segments W0 (q = q_hat) and Cb (q = q^C), where
  D's concession probability rho is free and has to be supplied;
* the payoffs of the table in CRISIS.md section 1.

Three views of the same game are offered, sharing only parameter parsing and the regime
determination (:func:`resolve_profile`, :func:`crisis_state`):

* :func:`simulate` draws theta and c and plays the game tree move by move (C's challenge and
  attack rules, the bluffers' and D's mixing, A's intervention) and averages realised payoffs;
* :func:`expected` computes the same expectations from the aggregate crisis masses of
  Proposition 1 (m_A resolute challengers, m_B bluff challengers) and exact integrals over the
  type distributions;
* :func:`no_option_closed_form` writes the benchmark without the alliance option as explicit
  formulas for uniform theta and uniform (unclipped) challenger costs.

Strategy profile (a dict):

* uniform theta: ``{"cutpoint": u}`` (types theta >= u ally);
* two-point theta: ``{"sigma_low": s_L, "sigma_high": s_H}`` (probability each type allies);
* optional ``"rho_alliance"`` / ``"rho_no_alliance"``: D's concession probability, required where
  the signal's belief lies on a crisis boundary segment (within ``BOUNDARY_TOL``), checked
  against the derived value elsewhere (``None`` or NaN means "not supplied");
* optional ``"no_option": True``: the benchmark in which A cannot ally (alpha = 0 for every type,
  q = Pr(theta >= t_0) under the prior).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

BOUNDARY_TOL = 1e-7
"""A belief within this distance of q_hat or q^C lies on a crisis boundary segment."""
RHO_TOL = 1e-9
"""Largest tolerated gap between a supplied and a derived concession probability."""
INTERVAL_TOL = 1e-12
"""Slack when checking that a supplied rho lies in its boundary segment's interval."""

REGIMES = ("resist", "mixed", "concede", "boundary_w0", "boundary_concede")
PARAM_NAMES = (
    "p",
    "p_alliance",
    "p_coalition",
    "c_d",
    "c_d_joint",
    "c_c_extra",
    "c_a",
    "k",
    "r",
    "b_c",
    "theta",
    "cost_c",
)
SIGNAL_NAMES = {1: "alliance", 0: "no_alliance"}


# ----------------------------------------------------------------------------------------------
# Parameter parsing (shared)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengerCost:
    """C's war-cost distribution G."""

    family: str
    a: float
    b: float

    def cdf(self, x: float) -> float:
        """G(x); the uniform cdf is clipped to [0, 1] outside its support."""
        if self.family == "uniform":
            return float(min(max((x - self.a) / (self.b - self.a), 0.0), 1.0))
        if self.family == "logistic":
            return float(special.expit((x - self.a) / self.b))
        return float(special.ndtr((x - self.a) / self.b))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n costs."""
        if self.family == "uniform":
            return rng.uniform(self.a, self.b, n)
        if self.family == "logistic":
            return rng.logistic(self.a, self.b, n)
        return rng.normal(self.a, self.b, n)


@dataclass(frozen=True)
class AllyType:
    """A's type distribution F: uniform(lo, hi) or two-point(low, high, prior_high)."""

    family: str
    lo: float
    hi: float
    prior_high: float = math.nan

    def prob_at_least(self, t: float) -> float:
        """Pr(theta >= t) under the prior."""
        if self.family == "uniform":
            return float(min(max((self.hi - t) / (self.hi - self.lo), 0.0), 1.0))
        return (self.prior_high if self.hi >= t else 0.0) + ((1.0 - self.prior_high) if self.lo >= t else 0.0)

    def mean(self) -> float:
        """E[theta]."""
        if self.family == "uniform":
            return 0.5 * (self.lo + self.hi)
        return self.prior_high * self.hi + (1.0 - self.prior_high) * self.lo

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw n types."""
        if self.family == "uniform":
            return rng.uniform(self.lo, self.hi, n)
        return np.where(rng.random(n) < self.prior_high, self.hi, self.lo)


@dataclass(frozen=True)
class Game:
    """Validated parameters plus the per-signal derived quantities of the specs."""

    p: float
    p_alliance: float
    p_coalition: float
    c_d: float
    c_d_joint: float
    c_c_extra: float
    c_a: float
    k: float
    r: float
    b_c: float
    theta: AllyType
    cost_c: ChallengerCost

    def p_joint(self, alpha: int) -> float:
        """p'_alpha: D's win probability when A intervenes after signal alpha."""
        return self.p_alliance if alpha == 1 else self.p_coalition

    def threshold(self, alpha: int) -> float:
        """t_alpha: A intervenes iff theta >= t_alpha."""
        return (self.c_a - alpha * self.r) / (self.p_joint(alpha) - self.p)

    def war_shift(self, alpha: int) -> float:
        """M_alpha = p'_alpha - p + Delta_C: what intervention takes from C's war payoff."""
        return self.p_joint(alpha) - self.p + self.c_c_extra

    def defender_gain(self, alpha: int) -> float:
        """d_alpha = (p'_alpha - c_D') - (p - c_D) > 0: what intervention adds to D's war value."""
        return (self.p_joint(alpha) - self.c_d_joint) - (self.p - self.c_d)

    @property
    def omega(self) -> float:
        """omega = c_D - p (> 0 when A1 fails)."""
        return self.c_d - self.p

    @property
    def rho_hat(self) -> float:
        """rho_hat = b_C / (1 + b_C): D's concession probability that makes a bluffer indifferent."""
        return self.b_c / (1.0 + self.b_c)


def _bad(name: str, value: object, domain: str) -> ValueError:
    return ValueError(f"parameter {name} = {value!r} is outside its domain: {domain}")


def parse_params(params: dict) -> Game:
    """Validate a parameter dict (domains of MODEL.md section 3 with A1 dropped as in CRISIS.md section 1).

    ``p_coalition`` defaults to ``p_alliance`` and ``c_d_joint`` to ``c_d``; unknown keys raise.
    """
    unknown = set(params) - set(PARAM_NAMES)
    if unknown:
        raise ValueError(f"unknown parameter(s): {sorted(unknown)}")
    missing = set(PARAM_NAMES) - {"p_coalition", "c_d_joint"} - set(params)
    if missing:
        raise ValueError(f"missing parameter(s): {sorted(missing)}")
    get = {name: params[name] for name in PARAM_NAMES if name in params}
    p = float(get["p"])
    p1 = float(get["p_alliance"])
    p0 = float(get.get("p_coalition", p1))
    c_d = float(get["c_d"])
    c_dj = float(get.get("c_d_joint", c_d))
    scalars = {
        "c_c_extra": float(get["c_c_extra"]),
        "c_a": float(get["c_a"]),
        "k": float(get["k"]),
        "r": float(get["r"]),
        "b_c": float(get["b_c"]),
    }
    if not 0.0 < p < 1.0:
        raise _bad("p", p, "0 < p < 1")
    if not p < p1 <= 1.0:
        raise _bad("p_alliance", p1, "p < p_alliance <= 1")
    if not p < p0 <= p1:
        raise _bad("p_coalition", p0, "p < p_coalition <= p_alliance")
    if not c_d >= 0.0:
        raise _bad("c_d", c_d, "c_d >= 0")
    if not 0.0 <= c_dj <= c_d:
        raise _bad("c_d_joint", c_dj, "0 <= c_d_joint <= c_d")
    if not scalars["c_a"] > 0.0:
        raise _bad("c_a", scalars["c_a"], "c_a > 0")
    for name in ("c_c_extra", "k", "r", "b_c"):
        if not scalars[name] >= 0.0:
            raise _bad(name, scalars[name], f"{name} >= 0")

    theta = tuple(get["theta"])
    if theta[0] == "uniform" and len(theta) == 3:
        lo, hi = float(theta[1]), float(theta[2])
        if not 0.0 <= lo < hi:
            raise _bad("theta", theta, "uniform(lo, hi) with 0 <= lo < hi")
        ally_type = AllyType("uniform", lo, hi)
    elif theta[0] == "two_point" and len(theta) == 4:
        low, high, prior_high = float(theta[1]), float(theta[2]), float(theta[3])
        if not (0.0 <= low < high and 0.0 < prior_high < 1.0):
            raise _bad("theta", theta, "two_point(low, high, prior_high) with 0 <= low < high, 0 < prior_high < 1")
        ally_type = AllyType("two_point", low, high, prior_high)
    else:
        raise _bad("theta", theta, "('uniform', lo, hi) or ('two_point', low, high, prior_high)")

    cost = tuple(get["cost_c"])
    if cost[0] == "uniform" and len(cost) == 3:
        if not float(cost[1]) < float(cost[2]):
            raise _bad("cost_c", cost, "uniform(lo, hi) with lo < hi")
    elif cost[0] in ("logistic", "normal") and len(cost) == 3:
        if not float(cost[2]) > 0.0:
            raise _bad("cost_c", cost, f"{cost[0]}(mu, scale) with scale > 0")
    else:
        raise _bad("cost_c", cost, "('uniform', lo, hi), ('logistic', mu, scale) or ('normal', mu, scale)")
    cost_dist = ChallengerCost(cost[0], float(cost[1]), float(cost[2]))

    return Game(p, p1, p0, c_d, c_dj, theta=ally_type, cost_c=cost_dist, **scalars)


# ----------------------------------------------------------------------------------------------
# Crisis-regime determination (shared): CRISIS.md Proposition 1
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisState:
    """The crisis equilibrium after one signal at public belief q (CRISIS.md section 2.3).

    ``tau`` is C's expected war payoff plus c, ``tau_attack`` = tau + b_C (C attacks after
    resistance iff c <= tau_attack), ``war_value`` = W(q) (D's expected war payoff, unclipped),
    ``resolute_mass`` = g = G(tau_attack).
    """

    alpha: int
    q: float
    regime: str
    rho: float
    tau: float
    tau_attack: float
    war_value: float
    resolute_mass: float


def concede_boundary_belief(game: Game, alpha: int) -> float | None:
    """q^C_alpha: the belief where g(q)(1 + |W(q)|) = 1 on [0, min(q_hat, 1)], or None.

    The left side is continuous and strictly decreasing where G increases (CRISIS.md section 2.4), so
    a root is bracketed iff the left side is >= 1 at q = 0 and <= 1 at the right end.
    """
    q_hat = game.omega / game.defender_gain(alpha)
    if q_hat <= 0.0:
        return None
    q_max = min(q_hat, 1.0)

    def excess(q: float) -> float:
        tau_attack = (1.0 - game.p) - q * game.war_shift(alpha) + game.b_c
        war_value = (game.p - game.c_d) + q * game.defender_gain(alpha)
        return game.cost_c.cdf(tau_attack) * (1.0 + max(-war_value, 0.0)) - 1.0

    at_zero, at_end = excess(0.0), excess(q_max)
    if at_zero < 0.0 or at_end > 0.0:
        return None
    if at_zero == 0.0:
        return 0.0
    if at_end == 0.0:
        return q_max
    return float(optimize.brentq(excess, 0.0, q_max, xtol=1e-16, rtol=8.9e-16, maxiter=500))


def _supplied(rho: float | None) -> bool:
    return rho is not None and not math.isnan(float(rho))


def crisis_state(game: Game, alpha: int, q: float, rho: float | None = None) -> CrisisState:
    """Classify the crisis after signal alpha at belief q and fix D's concession probability.

    On a boundary segment (|q - q^C| or |q - q_hat| <= ``BOUNDARY_TOL``) rho is free and must be
    supplied within the segment's interval ([rho_hat, 1] on Cb, [0, rho_hat] on W0); the one
    exception is p = c_D exactly, where the W0 segment at q = 0 takes the "resist" convention
    rho = 0 when no rho is given. Away from the boundaries rho follows from the regime (R: 0,
    M: rho_hat, C: 1) and a supplied rho must agree with it to ``RHO_TOL``.
    """
    name = f"rho_{SIGNAL_NAMES[alpha]}"
    tau = (1.0 - game.p) - q * game.war_shift(alpha)
    tau_attack = tau + game.b_c
    war_value = (game.p - game.c_d) + q * game.defender_gain(alpha)
    resolute = game.cost_c.cdf(tau_attack)
    q_hat = game.omega / game.defender_gain(alpha)
    q_conc = concede_boundary_belief(game, alpha)
    rho_hat = game.rho_hat

    interval: tuple[float, float] | None = None
    if q_conc is not None and abs(q - q_conc) <= BOUNDARY_TOL and abs(q - q_hat) <= BOUNDARY_TOL:
        # Lead's edit (CRISIS.md §2.5): with no M piece, C meets W0 at q_hat = q^C, and the Cb
        # segment (rho from 1 to rho_hat) and the W0 segment (rho_hat to 0) join at one belief.
        regime, interval = "boundary_concede", (0.0, 1.0)
    elif q_conc is not None and abs(q - q_conc) <= BOUNDARY_TOL:
        regime, interval = "boundary_concede", (rho_hat, 1.0)
    elif abs(q - q_hat) <= BOUNDARY_TOL:
        regime, interval = "boundary_w0", (0.0, rho_hat)
        if not _supplied(rho) and game.omega == 0.0:
            rho = 0.0  # p = c_D exactly: the canonical "resist" convention (CRISIS.md section 2.3)
    elif war_value > 0.0:
        regime, derived = "resist", 0.0
    elif resolute * (1.0 - war_value) < 1.0:
        regime, derived = "mixed", rho_hat
    else:
        regime, derived = "concede", 1.0

    if interval is not None:
        if not _supplied(rho):
            raise ValueError(
                f"belief q = {q!r} after signal {SIGNAL_NAMES[alpha]} lies on the {regime} segment: "
                f"D's concession probability {name} must be supplied in [{interval[0]!r}, {interval[1]!r}]"
            )
        rho = float(rho)
        if not interval[0] - INTERVAL_TOL <= rho <= interval[1] + INTERVAL_TOL:
            raise ValueError(f"{name} = {rho!r} is outside the {regime} segment's interval {interval!r}")
        rho = min(max(rho, interval[0]), interval[1])
    else:
        if _supplied(rho) and abs(float(rho) - derived) > RHO_TOL:
            raise ValueError(
                f"{name} = {rho!r} disagrees with the {regime} regime at q = {q!r}, whose rho is {derived!r}"
            )
        rho = derived
    return CrisisState(alpha, q, regime, rho, tau, tau_attack, war_value, resolute)


# ----------------------------------------------------------------------------------------------
# Ally-stage profile and Bayes beliefs (shared)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """An ally-stage profile with its on-path beliefs and crisis states.

    ``prob_signal[alpha]`` is Pr(alpha); ``belief[alpha]`` is q_alpha (NaN off path);
    ``crisis[alpha]`` is the CrisisState (None off path). For uniform theta ``cutpoint`` is u;
    for two-point theta ``sigma`` = (sigma_low, sigma_high).
    """

    game: Game
    no_option: bool
    cutpoint: float
    sigma: tuple[float, float]
    prob_signal: tuple[float, float]
    belief: tuple[float, float]
    crisis: tuple[CrisisState | None, CrisisState | None]


def resolve_profile(params: dict, strategy: dict) -> Profile:
    """Parse parameters and strategy, derive q_1, q_0 by Bayes and the crisis state after each signal."""
    game = parse_params(params)
    known = {"cutpoint", "sigma_low", "sigma_high", "rho_alliance", "rho_no_alliance", "no_option"}
    unknown = set(strategy) - known
    if unknown:
        raise ValueError(f"unknown strategy key(s): {sorted(unknown)}")
    no_option = bool(strategy.get("no_option", False))
    dist = game.theta
    t0, t1 = game.threshold(0), game.threshold(1)
    cutpoint, sigma = math.nan, (math.nan, math.nan)

    if no_option:
        prob_ally = 0.0
        honour_mass = (dist.prob_at_least(t0), 0.0)  # (unallied & intervening, allied & intervening)
    elif dist.family == "uniform":
        if "cutpoint" not in strategy:
            raise ValueError("a uniform-theta profile needs 'cutpoint'")
        u = float(strategy["cutpoint"])
        if not dist.lo <= u <= dist.hi:
            raise ValueError(f"cutpoint = {u!r} is outside [{dist.lo!r}, {dist.hi!r}]")
        cutpoint = u
        width = dist.hi - dist.lo
        prob_ally = (dist.hi - u) / width
        # allied types [u, hi] intervene iff theta >= t_1; unallied [lo, u] iff theta >= t_0
        allied_honour = max(dist.hi - max(t1, u), 0.0) / width
        unallied_honour = max(u - max(t0, dist.lo), 0.0) / width
        honour_mass = (unallied_honour, allied_honour)
    else:
        if "sigma_low" not in strategy or "sigma_high" not in strategy:
            raise ValueError("a two-point-theta profile needs 'sigma_low' and 'sigma_high'")
        s_low, s_high = float(strategy["sigma_low"]), float(strategy["sigma_high"])
        for key, value in (("sigma_low", s_low), ("sigma_high", s_high)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} = {value!r} is not a probability")
        sigma = (s_low, s_high)
        w_low, w_high = (1.0 - dist.prior_high), dist.prior_high
        prob_ally = w_low * s_low + w_high * s_high
        allied_honour = w_low * s_low * (dist.lo >= t1) + w_high * s_high * (dist.hi >= t1)
        unallied_honour = w_low * (1.0 - s_low) * (dist.lo >= t0) + w_high * (1.0 - s_high) * (dist.hi >= t0)
        honour_mass = (unallied_honour, allied_honour)

    prob_signal = (1.0 - prob_ally, prob_ally)
    beliefs = []
    states: list[CrisisState | None] = []
    for alpha in (0, 1):
        if prob_signal[alpha] > 0.0:
            q = min(max(honour_mass[alpha] / prob_signal[alpha], 0.0), 1.0)
            rho = strategy.get(f"rho_{SIGNAL_NAMES[alpha]}")
            beliefs.append(q)
            states.append(crisis_state(game, alpha, q, rho))
        else:
            beliefs.append(math.nan)
            states.append(None)
    return Profile(game, no_option, cutpoint, sigma, prob_signal, (beliefs[0], beliefs[1]), (states[0], states[1]))


# ----------------------------------------------------------------------------------------------
# Monte Carlo: play the game tree
# ----------------------------------------------------------------------------------------------


def _bluff_probability(state: CrisisState) -> float:
    """Probability that a bluffer (c > tau_attack) challenges."""
    if state.regime in ("concede", "boundary_concede"):
        return 1.0
    if state.regime == "mixed":
        g = state.resolute_mass
        # each bluffer challenges with beta = g|W|/(1 - g), so the bluff mass is g|W| (Proposition 1, M)
        return min(g * (-state.war_value) / (1.0 - g), 1.0) if g < 1.0 else 0.0
    return 0.0


def simulate(params: dict, strategy: dict, n: int = 200_000, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Monte Carlo of the whole game under the given ally-stage profile.

    Nature draws theta ~ F and c ~ G independently; A allies by the profile (mixing for two-point
    types); C challenges if resolute (c <= tau_attack) and c <= kappa(rho) = tau + rho/(1 - rho),
    or, if a bluffer, with the regime's bluff probability (0 in R/W0, beta in M, 1 in C/Cb); D
    concedes with probability rho; a resisted C attacks iff resolute and backs down otherwise; A
    intervenes in a war iff theta >= t_alpha. Payoffs are read off the table of CRISIS.md section 1.

    Parameters
    ----------
    params, strategy : dict
        See the module docstring.
    n : int
        Number of draws.
    seed : int
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    dict
        key -> (sample mean, standard error of the mean) for ``utility_ally``, ``utility_defender``,
        ``utility_challenger``, ``prob_war``, ``prob_challenge``, ``prob_concession``,
        ``prob_backdown``, ``prob_alliance``, plus ``immediate_deterrence`` (ratio of backdowns to
        resistances, delta-method standard error; NaN if D never resisted).
    """
    if n < 2:
        raise ValueError("n must be at least 2")
    prof = resolve_profile(params, strategy)
    game = prof.game
    rng = np.random.default_rng(seed)
    theta = game.theta.sample(rng, n)
    cost = game.cost_c.sample(rng, n)
    draw_ally, draw_bluff, draw_concede = rng.random((3, n))

    if prof.no_option:
        allied = np.zeros(n, dtype=bool)
    elif game.theta.family == "uniform":
        allied = theta >= prof.cutpoint
    else:
        sigma = np.where(theta == game.theta.hi, prof.sigma[1], prof.sigma[0])
        allied = draw_ally < sigma
    alpha = allied.astype(np.int64)

    def per_signal(fn) -> np.ndarray:
        values = [fn(s) if s is not None else 0.0 for s in prof.crisis]
        return np.asarray(values, dtype=float)[alpha]

    tau_attack = per_signal(lambda s: s.tau_attack)
    rho = per_signal(lambda s: s.rho)
    kappa = per_signal(lambda s: s.tau + s.rho / (1.0 - s.rho) if s.rho < 1.0 else math.inf)
    bluff = per_signal(_bluff_probability)
    threshold = np.array([game.threshold(0), game.threshold(1)])[alpha]
    p_joint = np.array([game.p_joint(0), game.p_joint(1)])[alpha]

    resolute = cost <= tau_attack
    challenge = np.where(resolute, cost <= kappa, draw_bluff < bluff)
    concede = challenge & (draw_concede < rho)
    resisted = challenge & ~concede
    war = resisted & resolute
    backdown = resisted & ~resolute
    intervene = war & (theta >= threshold)
    stay_out = war & ~intervene

    ally_cost = alpha * game.k
    u_ally = theta - ally_cost
    u_ally = np.where(concede, -ally_cost, u_ally)
    u_ally = np.where(intervene, p_joint * theta - game.c_a - ally_cost, u_ally)
    u_ally = np.where(stay_out, game.p * theta - ally_cost - alpha * game.r, u_ally)

    u_def = np.ones(n)
    u_def = np.where(concede, 0.0, u_def)
    u_def = np.where(intervene, p_joint - game.c_d_joint, u_def)
    u_def = np.where(stay_out, game.p - game.c_d, u_def)

    u_chal = np.zeros(n)
    u_chal = np.where(concede, 1.0, u_chal)
    u_chal = np.where(backdown, -game.b_c, u_chal)
    u_chal = np.where(intervene, 1.0 - p_joint - cost - game.c_c_extra, u_chal)
    u_chal = np.where(stay_out, 1.0 - game.p - cost, u_chal)

    def mean_se(x: np.ndarray) -> tuple[float, float]:
        x = np.asarray(x, dtype=float)
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))

    out = {
        "utility_ally": mean_se(u_ally),
        "utility_defender": mean_se(u_def),
        "utility_challenger": mean_se(u_chal),
        "prob_war": mean_se(war),
        "prob_challenge": mean_se(challenge),
        "prob_concession": mean_se(concede),
        "prob_backdown": mean_se(backdown),
        "prob_alliance": mean_se(allied),
    }
    res_mean = resisted.mean()
    if res_mean > 0.0:
        ratio = backdown.mean() / res_mean
        # delta method for a ratio of means; backdown implies resisted
        resid = backdown.astype(float) - ratio * resisted.astype(float)
        out["immediate_deterrence"] = (float(ratio), float(resid.std(ddof=1) / (res_mean * math.sqrt(n))))
    else:
        out["immediate_deterrence"] = (math.nan, math.nan)
    return out


# ----------------------------------------------------------------------------------------------
# Exact expectations: aggregate crisis masses and integrals over the type distributions
# ----------------------------------------------------------------------------------------------


def _partial_mean(dist: ChallengerCost, x: float) -> float:
    """int_{-inf}^{x} c dG(c)."""
    if dist.family == "uniform":
        lo, hi = dist.a, dist.b
        x = min(max(x, lo), hi)
        return (x * x - lo * lo) / (2.0 * (hi - lo))
    if dist.family == "logistic":
        # int c dG = x G(x) - int G = x G(x) - s log(1 + exp((x - mu)/s))
        z = (x - dist.a) / dist.b
        return float(x * special.expit(z) - dist.b * np.logaddexp(0.0, z))
    z = (x - dist.a) / dist.b
    return float(dist.a * special.ndtr(z) - dist.b * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))


def crisis_outcomes(game: Game, state: CrisisState) -> dict[str, float]:
    """Per-signal aggregates of Proposition 1 from the masses (m_A, m_B) of CRISIS.md section 2.5.

    ``war_cut`` bounds the resolute challengers (c <= war_cut): tau in R, kappa(rho) on W0,
    tau_attack otherwise; m_A = G(war_cut). The bluff mass is 0 in R/W0, g|W| in M and 1 - g in
    C/Cb. Returns P^ch, X, P^war, backdown, immediate deterrence, and the conditional payoffs of
    D and C given the signal.
    """
    rho, regime = state.rho, state.regime
    if regime == "resist":
        war_cut = state.tau
    elif regime == "boundary_w0":
        war_cut = state.tau + rho / (1.0 - rho)
    else:
        war_cut = state.tau_attack
    m_resolute = game.cost_c.cdf(war_cut)
    if regime == "mixed":
        m_bluff = state.resolute_mass * max(-state.war_value, 0.0)
    elif regime in ("concede", "boundary_concede"):
        m_bluff = 1.0 - state.resolute_mass
    else:
        m_bluff = 0.0
    challenge = m_resolute + m_bluff
    concession = rho * challenge
    war = (1.0 - rho) * m_resolute
    backdown = (1.0 - rho) * m_bluff
    imm = m_bluff / challenge if (rho < 1.0 and challenge > 0.0) else math.nan
    # D: status quo and back-down give 1, concession 0, war W (A intervenes w.p. q independently of c)
    u_def = 1.0 - concession - war * (1.0 - state.war_value)
    # C: concession 1, back-down -b_C, war tau - c for each resolute challenger
    war_surplus = state.tau * m_resolute - _partial_mean(game.cost_c, war_cut) if rho < 1.0 else 0.0
    u_chal = concession - game.b_c * backdown + (1.0 - rho) * war_surplus
    return {
        "prob_challenge": challenge,
        "prob_concession": concession,
        "prob_war": war,
        "prob_backdown": backdown,
        "immediate_deterrence": imm,
        "utility_defender": u_def,
        "utility_challenger": u_chal,
    }


def _loss_pieces(game: Game, alpha: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """L_alpha(theta) as (slope, intercept) below and above t_alpha (A's best reply at war)."""
    below = (1.0 - game.p, alpha * game.r)  # stays out
    above = (1.0 - game.p_joint(alpha), game.c_a)  # intervenes
    return below, above


def _ally_loss(game: Game, alpha: int, outcomes: dict[str, float], theta: float) -> float:
    """Lambda_alpha(theta) = X_alpha theta + P^war_alpha L_alpha(theta) (CRISIS.md section 3.1)."""
    loss_war = min((1.0 - game.p_joint(alpha)) * theta + game.c_a, (1.0 - game.p) * theta + alpha * game.r)
    return outcomes["prob_concession"] * theta + outcomes["prob_war"] * loss_war


def _uniform_ally_loss(game: Game, alpha: int, outcomes: dict[str, float], x0: float, x1: float) -> float:
    """int_{x0}^{x1} Lambda_alpha(theta) dF(theta) for uniform F (a piecewise linear integrand)."""
    dist = game.theta
    width = dist.hi - dist.lo

    def lin(slope: float, intercept: float, a: float, b: float) -> float:
        if b <= a:
            return 0.0
        return (0.5 * slope * (b * b - a * a) + intercept * (b - a)) / width

    t = game.threshold(alpha)
    below, above = _loss_pieces(game, alpha)
    split = min(max(t, x0), x1)
    war_loss = lin(*below, x0, split) + lin(*above, split, x1)
    return outcomes["prob_concession"] * lin(1.0, 0.0, x0, x1) + outcomes["prob_war"] * war_loss


def expected(params: dict, strategy: dict) -> dict[str, float | str | None]:
    """Exact expectations of the game under the given ally-stage profile.

    Per on-path signal alpha the crisis aggregates come from :func:`crisis_outcomes`. Then, with
    Pr(alpha) the signal probability,

    * ``utility_defender`` = sum_alpha Pr(alpha) [1 - X_alpha - P^war_alpha (1 - W_alpha)];
    * ``utility_challenger`` = sum_alpha Pr(alpha) [X_alpha - b_C B_alpha
      + (1 - rho_alpha) int_{c <= cut_alpha} (tau_alpha - c) dG];
    * ``utility_ally`` = E[theta] - k Pr(alpha = 1) - sum_alpha int_{types sending alpha}
      Lambda_alpha(theta) dF, Lambda_alpha = X_alpha theta + P^war_alpha L_alpha(theta).

    Returns
    -------
    dict
        The keys of :func:`simulate` (floats) plus ``belief_*``, ``rho_*``, ``regime_*``,
        ``prob_challenge_*``, ``prob_war_*``, ``prob_concession_*``, ``prob_backdown_*``,
        ``immediate_deterrence_*`` for ``*`` in (``alliance``, ``no_alliance``), NaN / None off
        path, and the aggregate ``immediate_deterrence`` (NaN where D never resists).
    """
    prof = resolve_profile(params, strategy)
    game = prof.game
    dist = game.theta
    per: dict[int, dict[str, float] | None] = {}
    for alpha in (0, 1):
        state = prof.crisis[alpha]
        per[alpha] = crisis_outcomes(game, state) if state is not None else None

    out: dict[str, float | str | None] = {"prob_alliance": prof.prob_signal[1]}
    for key in ("prob_war", "prob_challenge", "prob_concession", "prob_backdown", "utility_defender"):
        out[key] = sum(prof.prob_signal[a] * per[a][key] for a in (0, 1) if per[a] is not None)
    out["utility_challenger"] = sum(
        prof.prob_signal[a] * per[a]["utility_challenger"] for a in (0, 1) if per[a] is not None
    )

    loss = 0.0
    if dist.family == "uniform":
        u = dist.hi if prof.no_option else prof.cutpoint
        if per[0] is not None:
            loss += _uniform_ally_loss(game, 0, per[0], dist.lo, u)
        if per[1] is not None:
            loss += _uniform_ally_loss(game, 1, per[1], u, dist.hi)
    else:
        s_low, s_high = (0.0, 0.0) if prof.no_option else prof.sigma
        for weight, theta, s in ((1.0 - dist.prior_high, dist.lo, s_low), (dist.prior_high, dist.hi, s_high)):
            if s > 0.0:
                loss += weight * s * _ally_loss(game, 1, per[1], theta)
            if s < 1.0:
                loss += weight * (1.0 - s) * _ally_loss(game, 0, per[0], theta)
    out["utility_ally"] = dist.mean() - game.k * prof.prob_signal[1] - loss

    resisted = sum(
        prof.prob_signal[a] * (1.0 - prof.crisis[a].rho) * per[a]["prob_challenge"]
        for a in (0, 1)
        if per[a] is not None
    )
    out["immediate_deterrence"] = out["prob_backdown"] / resisted if resisted > 0.0 else math.nan

    for alpha, name in SIGNAL_NAMES.items():
        state, agg = prof.crisis[alpha], per[alpha]
        out[f"belief_{name}"] = prof.belief[alpha]
        out[f"rho_{name}"] = state.rho if state is not None else math.nan
        out[f"regime_{name}"] = state.regime if state is not None else None
        out[f"defender_war_value_{name}"] = state.war_value if state is not None else math.nan
        for key in ("prob_challenge", "prob_war", "prob_concession", "prob_backdown", "immediate_deterrence"):
            out[f"{key}_{name}"] = agg[key] if agg is not None else math.nan
    return out


def ally_gain(params: dict, strategy: dict, theta: float) -> float:
    """Gain(theta) = Lambda_0(theta) - Lambda_1(theta) - k at the profile's crisis states.

    Both signals must be on path (their beliefs come from the profile). Zero at an interior
    cut-point equilibrium, and at a mixing type of a two-type hybrid.
    """
    prof = resolve_profile(params, strategy)
    if prof.crisis[0] is None or prof.crisis[1] is None:
        raise ValueError("ally_gain needs both signals on path")
    game = prof.game
    outcomes = [crisis_outcomes(game, s) for s in prof.crisis]
    return _ally_loss(game, 0, outcomes[0], theta) - _ally_loss(game, 1, outcomes[1], theta) - game.k


# ----------------------------------------------------------------------------------------------
# Closed form of the no-option benchmark (uniform theta, uniform G)
# ----------------------------------------------------------------------------------------------


def no_option_closed_form(params: dict, rho: float | None = None) -> dict[str, float | str]:
    r"""Explicit formulas for the game in which A cannot ally, theta ~ U[lo, hi], c ~ U[c_lo, c_hi].

    Derivation. Every type sends alpha = 0, so C and D hold the prior belief

        q = Pr(theta >= t_0) = clip((hi - t_0)/(hi - lo), 0, 1),   t_0 = c_A/(p'_0 - p).

    With w = c_hi - c_lo, a = (1 - p - c_lo)/w, beta = M_0/w, e = b_C/w, omega = c_D - p,
    d = d_0, tau = 1 - p - q M_0, tau_A = tau + b_C, W = q d - omega:

    * R (W > 0; needs c_lo <= tau <= c_hi): P^ch = P^war = P = a - beta q, X = 0, no back-down,
      immediate deterrence 0. C's hawks (c <= tau) each get tau - c, so
      U_C = int_{c_lo}^{tau} (tau - c) dc / w = w P^2 / 2; D gets 1 without a challenge and W in
      a war: U_D = 1 - P (1 - W).
    * M (W < 0, g (1 + |W|) < 1 with g = a + e - beta q; needs c_lo <= tau_A <= c_hi):
      P^ch = g (1 + |W|), X = rho_hat P^ch, P^war = g/(1 + b_C), back-down g|W|/(1 + b_C),
      immediate deterrence |W|/(1 + |W|). Bluffers are indifferent (their challenge is worth 0);
      each resolute type gets rho_hat + (1 - rho_hat)(tau - c), so
      U_C = rho_hat g + (1 - rho_hat) w [(g - e)^2 - e^2]/2 = g [b_C + w g/2 - w e]/(1 + b_C).
      D is indifferent between conceding (0) and resisting, so a challenge is worth 0 to it:
      U_D = 1 - P^ch (= 1 - X - P^war (1 + |W|)).
    * C (W < 0, g (1 + |W|) > 1): everybody challenges and D concedes: P^ch = X = 1,
      P^war = 0, immediate deterrence NaN, U_C = 1, U_D = 0.
    * W0 segment (q = q_hat = omega/d, rho in [0, rho_hat] supplied, or 0 when p = c_D):
      with z = rho/(1 - rho), P^ch = a - beta q + z/w, X = rho P^ch, P^war = (1 - rho) P^ch,
      U_C = rho P^ch + (1 - rho) w [(a - beta q)^2 - (z/w)^2]/2,
      U_D = 1 - P^ch + P^war W (= 1 - P^ch on the segment, W = 0).
    * Cb segment (q = q^C, the smaller root of (a + e - beta q)(1 + omega - d q) = 1, rho in
      [rho_hat, 1] supplied): P^ch = 1, X = rho, P^war = (1 - rho) g, back-down (1 - rho)(1 - g),
      immediate deterrence 1 - g, U_C = rho - b_C (1 - rho)(1 - g) + (1 - rho) w [(g - e)^2 - e^2]/2,
      U_D = 1 - rho - (1 - rho) g (1 + |W|) (= 0 on the segment).

    A's loss relative to theta is theta when D concedes and
    L_0(theta) = min((1 - p'_0) theta + c_A, (1 - p) theta) = (1 - p) theta - (p'_0 - p)(theta - t_0)^+
    at war, so with theta_bar = (lo + hi)/2, m = max(t_0, lo) and
    E[(theta - t_0)^+] = [(hi - m)^2/2 + (m - t_0)(hi - m)]/(hi - lo) (0 if m >= hi),

        U_A = theta_bar (1 - X - (1 - p) P^war) + P^war (p'_0 - p) E[(theta - t_0)^+].

    Parameters
    ----------
    params : dict
        Must have ``theta = ("uniform", lo, hi)`` and ``cost_c = ("uniform", c_lo, c_hi)``.
    rho : float, optional
        D's concession probability, needed only on a boundary segment.

    Returns
    -------
    dict
        ``prob_war_no_option``, ``prob_challenge_no_option``, ``prob_concession_no_option``,
        ``immediate_deterrence_no_option``, ``crisis_regime_no_option``, ``utility_ally_no_option``,
        ``utility_defender_no_option``, ``utility_challenger_no_option``.
    """
    game = parse_params(params)
    if game.theta.family != "uniform" or game.cost_c.family != "uniform":
        raise ValueError("no_option_closed_form needs uniform theta and uniform cost_c")
    lo, hi = game.theta.lo, game.theta.hi
    c_lo, c_hi = game.cost_c.a, game.cost_c.b
    p, p0, b_c = game.p, game.p_coalition, game.b_c
    t0 = game.c_a / (p0 - p)
    q = min(max((hi - t0) / (hi - lo), 0.0), 1.0)
    w = c_hi - c_lo
    m0 = p0 - p + game.c_c_extra
    d0 = (p0 - game.c_d_joint) - (p - game.c_d)
    a, beta, e, omega = (1.0 - p - c_lo) / w, m0 / w, b_c / w, game.c_d - p
    rho_hat = b_c / (1.0 + b_c)
    tau = 1.0 - p - q * m0
    tau_a = tau + b_c
    war_value = q * d0 - omega
    gap = -war_value  # |W| where W < 0
    q_hat = omega / d0

    big_a, big_b = a + e, 1.0 + omega
    disc = (big_a * d0 + big_b * beta) ** 2 - 4.0 * beta * d0 * (big_a * big_b - 1.0)
    q_conc = math.nan
    if disc >= 0.0:
        q_conc = ((big_a * d0 + big_b * beta) - math.sqrt(disc)) / (2.0 * beta * d0)
        if not 0.0 <= q_conc <= min(q_hat, 1.0):
            q_conc = math.nan

    def unclipped(x: float, what: str) -> None:
        if not c_lo <= x <= c_hi:
            raise ValueError(f"G is clipped at {what} = {x!r} (support [{c_lo!r}, {c_hi!r}])")

    def need_rho(lo_r: float, hi_r: float) -> float:
        if rho is None:
            if omega == 0.0 and hi_r == rho_hat:
                return 0.0
            raise ValueError(f"q = {q!r} lies on a crisis boundary: supply rho in [{lo_r!r}, {hi_r!r}]")
        if not lo_r - INTERVAL_TOL <= rho <= hi_r + INTERVAL_TOL:
            raise ValueError(f"rho = {rho!r} is outside [{lo_r!r}, {hi_r!r}]")
        return float(rho)

    if not math.isnan(q_conc) and abs(q - q_conc) <= BOUNDARY_TOL:
        regime = "boundary_concede"
        rho_d = need_rho(rho_hat, 1.0)
        unclipped(tau_a, "tau_A")
        g = a + e - beta * q
        challenge, concession, war = 1.0, rho_d, (1.0 - rho_d) * g
        imm = 1.0 - g if rho_d < 1.0 else math.nan
        u_chal = rho_d - b_c * (1.0 - rho_d) * (1.0 - g) + (1.0 - rho_d) * w * ((g - e) ** 2 - e**2) / 2.0
        u_def = 1.0 - rho_d - (1.0 - rho_d) * g * (1.0 + gap)
    elif abs(q - q_hat) <= BOUNDARY_TOL:
        regime = "boundary_w0"
        rho_d = need_rho(0.0, rho_hat)
        z = rho_d / (1.0 - rho_d)
        unclipped(tau + z, "kappa")
        challenge = a - beta * q + z / w
        concession, war, imm = rho_d * challenge, (1.0 - rho_d) * challenge, 0.0
        u_chal = rho_d * challenge + (1.0 - rho_d) * w * ((a - beta * q) ** 2 - (z / w) ** 2) / 2.0
        u_def = 1.0 - challenge + (1.0 - rho_d) * challenge * war_value
    elif war_value > 0.0:
        regime = "resist"
        unclipped(tau, "tau")
        challenge = war = a - beta * q
        concession, imm = 0.0, 0.0
        u_chal = w * challenge**2 / 2.0
        u_def = 1.0 - challenge * (1.0 - war_value)
    else:
        unclipped(tau_a, "tau_A")
        g = a + e - beta * q
        if g * (1.0 + gap) < 1.0:
            regime = "mixed"
            challenge = g * (1.0 + gap)
            concession = rho_hat * challenge
            war = g / (1.0 + b_c)
            imm = gap / (1.0 + gap)
            u_chal = g * (b_c + w * g / 2.0 - w * e) / (1.0 + b_c)
            u_def = 1.0 - challenge
        else:
            regime = "concede"
            challenge, concession, war, imm = 1.0, 1.0, 0.0, math.nan
            u_chal, u_def = 1.0, 0.0

    theta_bar = 0.5 * (lo + hi)
    upper = max(t0, lo)
    excess = ((hi - upper) ** 2 / 2.0 + (upper - t0) * (hi - upper)) / (hi - lo) if upper < hi else 0.0
    u_ally = theta_bar * (1.0 - concession - (1.0 - p) * war) + war * (p0 - p) * excess
    return {
        "prob_war_no_option": war,
        "prob_challenge_no_option": challenge,
        "prob_concession_no_option": concession,
        "immediate_deterrence_no_option": imm,
        "crisis_regime_no_option": regime,
        "utility_ally_no_option": u_ally,
        "utility_defender_no_option": u_def,
        "utility_challenger_no_option": u_chal,
    }
