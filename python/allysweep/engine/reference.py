"""Slow, independent NumPy reference solver for the allysweep model.

This module is a direct transcription of the model specification (``MODEL.md``,
sections 2-10) and of the solver conventions (``docs/conventions.md``). It exists
only to cross-check the fast solvers (MODEL.md section 11, last bullet: "a plain
NumPy reference implementation, slow and obviously correct, for parity tests").
It deliberately shares no code with them: clarity beats speed, every point is
solved by a plain Python loop, and only the root-search grid of a single point is
vectorised.

Section references in the comments (``§5``, ``§6``, ...) are to ``MODEL.md``;
"conventions" refers to ``docs/conventions.md``.

Notation used throughout: ``alpha`` is the signal (1 = alliance, 0 = no
alliance), ``t[alpha]`` the intervention threshold, ``M[alpha]`` the shift of the
challenger's war payoff when A intervenes, ``q`` a belief that A intervenes and
``P`` a probability of challenge.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit, ndtr

MAX_EQ = 8
KIND_NAMES = (
    "cutpoint_honest",
    "cutpoint_bluff",
    "pool_no_alliance",
    "pool_alliance",
    "separating",
    "hybrid",
)
_KIND = {name: code for code, name in enumerate(KIND_NAMES)}

INPUT_KEYS = (
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
    "theta_kind",
    "theta_a",
    "theta_b",
    "theta_c",
    "cost_kind",
    "cost_a",
    "cost_b",
    "range_cost",
)
_POINT_FLOAT_KEYS = ("range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint")
_EQ_FLOAT_KEYS = (
    "cutpoint",
    "prob_alliance",
    "belief_alliance",
    "belief_no_alliance",
    "prob_challenge_alliance",
    "prob_challenge_no_alliance",
    "prob_war",
    "prob_renege",
    "range_lo_alliance",
    "range_hi_alliance",
    "range_lo_no_alliance",
    "range_hi_no_alliance",
)
_EQ_FLAG_KEYS = ("stable", "ic_ok", "d1_ok", "selected", "degenerate")

# Numerical settings of the interior root search (§6, "find every root").
_GRID_PER_PIECE = 2500  # grid points per smooth piece of Phi
_SATURATION_GRID = 4001  # grid used to locate where a uniform G saturates
_XTOL = 1e-14  # absolute tolerance in u (and in G^-1) for brentq
_TANGENT_TOL = 1e-12  # accept a touching (tangent) root when |Phi| < this
_MERGE_TOL = 1e-9  # roots closer than this are one root
_FD_STEP = 1e-6  # finite-difference step for Phi'(u)
_DEGENERATE_TOL = 1e-8  # conventions: degenerate iff |Phi'(u)| < 1e-8
_MAX_TANGENT_CANDIDATES = 50
_CONTINUUM_ROUNDING = 1e-15  # conventions: a piece vanishes where |Phi| <= 1e-15 (1 + k + L_0 + L_1)
_CONTINUUM_REACH = 1e-9  # roots this close to a vanishing interval belong to it
_SNAP_SLOPE = 1e-6  # a root this flat may be a tangency blurred by rounding ...
_SNAP_WIDTH = 1e-5  # ... whose extremum of Phi is searched within this distance

# Status bits (conventions, "Flat point representation").
_STATUS_TOO_MANY = 1  # more equilibria than slots, extra ones dropped
_STATUS_CONTINUUM = 2  # Phi vanishes on a whole interval: one representative reported


def _clamp01(x):
    """clamp(x, 0, 1) elementwise (np.clip has a large per-call overhead on scalars)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


# --------------------------------------------------------------------------------------
# The model of one point: §3 parameters, §4-5 payoffs and backward induction.
# --------------------------------------------------------------------------------------
class _Model:
    """Parameters of one point and the primitive functions of §5."""

    def __init__(self, row: dict[str, float]) -> None:
        self.p = row["p"]
        self.p_win = {1: row["p_alliance"], 0: row["p_coalition"]}  # p'_alpha
        self.c_d = row["c_d"]
        self.c_d_joint = row["c_d_joint"]
        self.c_c_extra = row["c_c_extra"]
        self.c_a = row["c_a"]
        self.k = row["k"]
        self.r = row["r"]
        # b_c does not enter any output: C challenges iff W_C >= 0 (§5.4).
        self.b_c = row["b_c"]
        self.cost_kind = int(row["cost_kind"])
        self.cost_a = row["cost_a"]
        self.cost_b = row["cost_b"]
        # §5.1: A intervenes iff theta >= t_alpha = (c_A - alpha r) / (p'_alpha - p).
        self.t = {a: (self.c_a - a * self.r) / (self.p_win[a] - self.p) for a in (0, 1)}
        # §5.2: M_alpha = p'_alpha - p + Delta_C.
        self.M = {a: self.p_win[a] - self.p + self.c_c_extra for a in (0, 1)}

    # --- G, the challenger's cost distribution (§3, conventions "Common definitions").
    def G(self, x):
        """Cdf of the challenger's war cost c."""
        x = np.asarray(x, dtype=float)
        if self.cost_kind == 0:  # Uniform(lo, hi), clipped
            lo, hi = self.cost_a, self.cost_b
            return _clamp01((x - lo) / (hi - lo))
        if self.cost_kind == 1:  # Logistic(mu, scale)
            return expit((x - self.cost_a) / self.cost_b)
        if self.cost_kind == 2:  # Normal(mu, scale)
            return ndtr((x - self.cost_a) / self.cost_b)
        raise ValueError(f"cost_kind must be 0, 1 or 2, got {self.cost_kind}")

    def G_inverse(self, prob: float) -> float:
        """Solve G(x) = prob for 0 < prob < 1 with brentq (no closed form assumed)."""
        if self.cost_kind == 0:
            a, b = self.cost_a, self.cost_b  # G(a) = 0 < prob < 1 = G(b)
        else:
            width = self.cost_b
            while float(self.G(self.cost_a - width)) >= prob:
                width *= 2.0
            a = self.cost_a - width
            width = self.cost_b
            while float(self.G(self.cost_a + width)) <= prob:
                width *= 2.0
            b = self.cost_a + width
        return brentq(lambda x: float(self.G(x)) - prob, a, b, xtol=_XTOL, maxiter=500)

    def mean_cost(self) -> float:
        """E[c]: (lo + hi) / 2 for Uniform, mu for Logistic and Normal."""
        if self.cost_kind == 0:
            return 0.5 * (self.cost_a + self.cost_b)
        return self.cost_a

    # --- §5.4: P_alpha(q) = G((1 - p) - q M_alpha).
    def P(self, alpha: int, q):
        """Probability of a challenge after signal alpha when C believes q."""
        return self.G((1.0 - self.p) - np.asarray(q, dtype=float) * self.M[alpha])

    def q_for_P(self, alpha: int, prob: float) -> float:
        """The belief q with P_alpha(q) = prob (0 < prob < 1), via G^-1."""
        return ((1.0 - self.p) - self.G_inverse(prob)) / self.M[alpha]

    # --- §5.5: A's loss from an attack and its gain from allying.
    def L(self, alpha: int, theta):
        """L_alpha(theta) = min((1 - p'_alpha) theta + c_A, (1 - p) theta + alpha r)."""
        theta = np.asarray(theta, dtype=float)
        return np.minimum(
            (1.0 - self.p_win[alpha]) * theta + self.c_a,
            (1.0 - self.p) * theta + alpha * self.r,
        )

    def gain(self, theta, P0, P1):
        """Gain(theta; P_0, P_1) = P_0 L_0(theta) - P_1 L_1(theta) - k."""
        return P0 * self.L(0, theta) - P1 * self.L(1, theta) - self.k


# --------------------------------------------------------------------------------------
# Type supports. Gain(.; P_0, P_1) is piecewise linear in theta with kinks at t_1 and
# t_0 only (conventions), so extremes over an interval are at its ends or at t_1, t_0.
# --------------------------------------------------------------------------------------
class _Interval:
    """Uniform(lo, hi) ally types (continuous F)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def F(self, x):
        return _clamp01((np.asarray(x, dtype=float) - self.lo) / (self.hi - self.lo))

    def prob_at_least(self, t: float) -> float:
        """Pr(theta >= t) = 1 - F(t), F clamped."""
        return 1.0 - float(self.F(t))

    def extreme_points(self, m: _Model) -> np.ndarray:
        inner = [t for t in (m.t[1], m.t[0]) if self.lo < t < self.hi]
        return np.array([self.lo, self.hi, *inner])

    def exists_below(self, m: _Model, values, threshold: float) -> bool:
        """Is there a type theta < threshold with values(theta) >= 0?

        ``values`` is piecewise linear with kinks at t_1, t_0. On [lo, T) its
        supremum is at lo, at a kink inside, or approached at T; a value only
        approached at T counts only if it is strictly positive (continuity).
        """
        if threshold <= self.lo:
            return False
        if threshold > self.hi:
            return bool(np.max(values(self.extreme_points(m))) >= 0.0)
        inside = [t for t in (m.t[1], m.t[0]) if self.lo < t < threshold]
        attained = np.max(values(np.array([self.lo, *inside]))) >= 0.0
        return bool(attained or float(values(threshold)) > 0.0)


class _TwoPoint:
    """TwoPoint(low, high, prior_high) ally types (§7)."""

    def __init__(self, low: float, high: float, prior_high: float) -> None:
        self.lo, self.hi = low, high
        self.types = np.array([low, high])
        self.weights = np.array([1.0 - prior_high, prior_high])

    def prob_at_least(self, t: float) -> float:
        return float(np.sum(self.weights[self.types >= t]))

    def extreme_points(self, m: _Model) -> np.ndarray:
        return self.types

    def exists_below(self, m: _Model, values, threshold: float) -> bool:
        below = self.types[self.types < threshold]
        return bool(below.size > 0 and np.max(values(below)) >= 0.0)


def _max_gain(m: _Model, support, P0, P1) -> float:
    return float(np.max(m.gain(support.extreme_points(m), P0, P1)))


def _min_gain(m: _Model, support, P0, P1) -> float:
    return float(np.min(m.gain(support.extreme_points(m), P0, P1)))


def _equilibrium(
    kind, cutpoint, prob_alliance, q1, q0, P1, P0, stable, ic_ok, d1_ok, degenerate, prob_no_alliance=None
) -> dict:
    """One equilibrium record; off-path belief / probability must be passed as NaN.

    ``prob_no_alliance`` is Pr(no alliance), the weight of the no-alliance signal in
    ``prob_war``; ``None`` means ``1 - prob_alliance``. A cut-point passes F(u)
    computed directly (conventions): next to lo, ``1 - prob_alliance`` keeps few
    correct digits of it.
    """
    return {
        "kind": _KIND[kind],
        "cutpoint": cutpoint,
        "prob_alliance": prob_alliance,
        "_pna": 1.0 - prob_alliance if prob_no_alliance is None else prob_no_alliance,
        "q1": q1,
        "q0": q0,
        "P1": P1,
        "P0": P0,
        "stable": bool(stable),
        "ic_ok": bool(ic_ok),
        "d1_ok": bool(d1_ok),
        "degenerate": bool(degenerate),
    }


# --------------------------------------------------------------------------------------
# Pooling equilibria (§6, conventions "Pooling on no alliance" / "Pooling on alliance").
# Shared by the continuous and the two-type case (type set [lo, hi] or {theta_L, theta_H}).
# --------------------------------------------------------------------------------------
def _pool_no_alliance(m: _Model, support, cutpoint: float) -> dict | None:
    t1, t0 = m.t[1], m.t[0]
    q0 = support.prob_at_least(t0)  # on path: q_0 = 1 - F(t_0)
    P0 = float(m.P(0, q0))
    # PBE iff the pessimistic off-path belief (deviation by the lowest type) deters all.
    q_pess = 1.0 if support.lo >= t1 else 0.0
    if _max_gain(m, support, P0, float(m.P(1, q_pess))) > 0.0:
        return None
    # D1: the deviation is attributed to the highest type.
    q_d1 = 1.0 if support.hi >= t1 else 0.0
    g_d1 = float(m.gain(support.hi, P0, float(m.P(1, q_d1))))
    d1_ok = g_d1 <= 0.0
    stable = g_d1 < 0.0
    # Intuitive Criterion: Theta** = types that could gain at the best response q = 1.
    P1_best = float(m.P(1, 1.0))
    if _max_gain(m, support, P0, P1_best) < 0.0:  # Theta** empty
        ic_ok = True
    else:
        below = support.exists_below(m, lambda th: m.gain(th, P0, P1_best), t1)
        q_min = 0.0 if below else 1.0
        ic_ok = not (_max_gain(m, support, P0, float(m.P(1, q_min))) > 0.0)
    return _equilibrium("pool_no_alliance", cutpoint, 0.0, math.nan, q0, math.nan, P0, stable, ic_ok, d1_ok, False)


def _pool_alliance(m: _Model, support, cutpoint: float) -> dict | None:
    t1, t0 = m.t[1], m.t[0]
    q1 = support.prob_at_least(t1)  # on path: q_1 = 1 - F(t_1)
    P1 = float(m.P(1, q1))
    # Pessimistic belief after the off-path "no alliance": the lowest type sent it.
    q0_pess = 1.0 if support.lo >= t0 else 0.0
    if _min_gain(m, support, float(m.P(0, q0_pess)), P1) < 0.0:
        return None
    # D1 puts the deviation on lo as well: same belief, so d1_ok whenever reported.
    q_d1 = q0_pess
    stable = float(m.gain(support.lo, float(m.P(0, q_d1)), P1)) > 0.0
    # Intuitive Criterion: Theta** = types that could gain by not allying (q_0 = 1).
    P0_best = float(m.P(0, 1.0))
    if _min_gain(m, support, P0_best, P1) > 0.0:  # Theta** empty
        ic_ok = True
    else:
        below = support.exists_below(m, lambda th: -m.gain(th, P0_best, P1), t0)
        q0_min = 0.0 if below else 1.0
        ic_ok = not (_min_gain(m, support, float(m.P(0, q0_min)), P1) < 0.0)
    return _equilibrium("pool_alliance", cutpoint, 1.0, q1, math.nan, P1, math.nan, stable, ic_ok, True, False)


# --------------------------------------------------------------------------------------
# Continuous types, interior cutpoints (§6).
# --------------------------------------------------------------------------------------
def _beliefs(m: _Model, sup: _Interval, u):
    """q_1(u), q_0(u) of §6, extended by continuity to u = lo and u = hi."""
    u = np.asarray(u, dtype=float)
    Fu = sup.F(u)
    F_t0 = float(sup.F(m.t[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        # q_1(u) = (1 - F(max(t_1, u))) / (1 - F(u)); at u = hi the limit is 1[t_1 < hi].
        q1 = (1.0 - sup.F(np.maximum(m.t[1], u))) / (1.0 - Fu)
        q1_at_hi = 1.0 if m.t[1] < sup.hi else 0.0
        q1 = np.where(Fu < 1.0, q1, q1_at_hi)
        # q_0(u) = max(F(u) - F(t_0), 0) / F(u); at u = lo the limit is 1[t_0 <= lo].
        q0 = np.maximum(Fu - F_t0, 0.0) / Fu
        q0_at_lo = 1.0 if F_t0 == 0.0 else 0.0
        q0 = np.where(Fu > 0.0, q0, q0_at_lo)
    return q1, q0


def _phi(m: _Model, sup: _Interval, u):
    """Phi(u) = P_0(u) L_0(u) - P_1(u) L_1(u) - k (§6)."""
    q1, q0 = _beliefs(m, sup, u)
    return m.P(0, q0) * m.L(0, u) - m.P(1, q1) * m.L(1, u) - m.k


def _sign_change_points(x: np.ndarray, f: np.ndarray, func) -> list[float]:
    """Zeros of a function sampled as f on the grid x: bracketed roots and exact zeros.

    Exact zeros are kept only at the ends of runs of zeros, so a function that
    vanishes on a whole stretch contributes two points, not thousands.
    """
    out = []
    s = np.sign(f)
    for i in np.nonzero(s[:-1] * s[1:] < 0)[0]:
        out.append(brentq(func, x[i], x[i + 1], xtol=_XTOL, maxiter=500))
    zero = s == 0
    for i in np.nonzero(zero)[0]:
        if i == 0 or i == len(x) - 1 or not zero[i - 1] or not zero[i + 1]:
            out.append(float(x[i]))
    return out


def _root_strictly_inside(func, a: float, b: float) -> float:
    """The root of func in (a, b), where func(a) and func(b) are nonzero of opposite signs.

    Such a root lies strictly inside (a, b). brentq may return an end when the root is
    within _XTOL of it (e.g. a root at u = 1e-28 next to lo = 0), which would wrongly
    drop it from the open interval (lo, hi): then refine with relative precision only.
    """
    u = brentq(func, a, b, xtol=_XTOL, maxiter=500)
    if not a < u < b:
        u = brentq(func, a, b, xtol=1e-300, maxiter=5000)
    if not a < u < b:  # the root is closer to an end than floating point resolves
        u = float(np.nextafter(a, b)) if u <= a else float(np.nextafter(b, a))
    return u


def _phi_kinks(m: _Model, sup: _Interval) -> np.ndarray:
    """lo, hi and the kinks of Phi inside: t_1, t_0 and where a uniform G saturates."""
    points = [sup.lo, sup.hi] + [t for t in (m.t[1], m.t[0]) if sup.lo < t < sup.hi]
    if m.cost_kind == 0:
        # The argument x_alpha(u) = (1 - p) - q_alpha(u) M_alpha of G crosses the
        # support ends of G; found on a dense grid, refined by brentq.
        grid = np.linspace(sup.lo, sup.hi, _SATURATION_GRID)
        for alpha in (0, 1):
            for edge in (m.cost_a, m.cost_b):

                def arg_minus_edge(u, alpha=alpha, edge=edge):
                    q = _beliefs(m, sup, u)[1 - alpha]
                    return float((1.0 - m.p) - q * m.M[alpha] - edge)

                q_grid = _beliefs(m, sup, grid)[1 - alpha]
                f = (1.0 - m.p) - q_grid * m.M[alpha] - edge
                points += _sign_change_points(grid, f, arg_minus_edge)
    points = [x for x in points if sup.lo <= x <= sup.hi]
    return np.unique(np.array(points, dtype=float))


def _piece_of(kinks: np.ndarray, u: float) -> tuple[float, float]:
    """The smooth piece [a, b] of Phi that contains u (the right one at a kink)."""
    i = int(np.clip(np.searchsorted(kinks, u, side="right") - 1, 0, len(kinks) - 2))
    return float(kinks[i]), float(kinks[i + 1])


def _phi_derivative(m: _Model, sup: _Interval, u: float, piece: tuple[float, float]) -> float:
    """Phi'(u) by finite differences kept inside the smooth piece ``piece``."""
    a, b = piece
    room_left, room_right = u - a, b - u

    def phi(x):
        return float(_phi(m, sup, x))

    if min(room_left, room_right) >= _FD_STEP:  # central difference
        h = _FD_STEP
        return (phi(u + h) - phi(u - h)) / (2.0 * h)
    if room_right >= room_left:  # one-sided, second order
        h = min(_FD_STEP, room_right / 2.0)
        return (-3.0 * phi(u) + 4.0 * phi(u + h) - phi(u + 2.0 * h)) / (2.0 * h)
    h = min(_FD_STEP, room_left / 2.0)
    return (3.0 * phi(u) - 4.0 * phi(u - h) + phi(u - 2.0 * h)) / (2.0 * h)


def _critical_point_near(m: _Model, sup: _Interval, u: float, kinks: np.ndarray) -> float | None:
    """A zero of Phi' within _SNAP_WIDTH of u, inside u's smooth piece, or None.

    An extremum located from values of Phi alone is only known to ~sqrt(eps) ~ 1e-8,
    where Phi' can still exceed the degenerate threshold; the zero of the
    finite-difference Phi' locates it to ~1e-10.
    """
    piece = _piece_of(kinks, u)
    a = max(piece[0], u - _SNAP_WIDTH)
    b = min(piece[1], u + _SNAP_WIDTH)
    if not a < b:
        return None

    def d_phi(x):
        return _phi_derivative(m, sup, x, piece)

    da, db = d_phi(a), d_phi(b)
    if da == 0.0:
        return a
    if db == 0.0:
        return b
    if da * db > 0.0:
        return None
    return brentq(d_phi, a, b, xtol=_XTOL, maxiter=500)


def _continuum_scale(m: _Model, u):
    """Z(u) = 1e-15 (1 + k + L_0(u) + L_1(u)): the rounding level of Phi (conventions).

    Below Z the sign of Phi is not resolved: the products P_alpha L_alpha round at
    about 1e-16 of their size, and G is accurate to about one ulp near 1.
    """
    return _CONTINUUM_ROUNDING * (1.0 + m.k + np.abs(m.L(0, u)) + np.abs(m.L(1, u)))


def _vanishing_intervals(kinks: np.ndarray, grid: np.ndarray, small: np.ndarray) -> list[tuple[float, float]]:
    """The intervals on which Phi vanishes (conventions, "Continuum").

    A piece [kinks[i], kinks[i + 1]] vanishes when ``small`` (|Phi| <= Z) holds at
    every grid sample of it, its ends included; adjacent vanishing pieces are joined
    across the kink between them.
    """
    out: list[list[float]] = []
    for a, b in itertools.pairwise(kinks):
        if not np.all(small[(grid >= a) & (grid <= b)]):
            continue
        if out and out[-1][1] == a:
            out[-1][1] = float(b)  # join across the kink a
        else:
            out.append([float(a), float(b)])
    return [(a, b) for a, b in out]


def _interior_roots(m: _Model, sup: _Interval) -> tuple[list[float], list[float], np.ndarray]:
    """Roots of Phi on the open interval (lo, hi) (§6).

    A piece between consecutive kinks on which |Phi| <= Z(u) at every grid sample
    vanishes (conventions, "Continuum"); adjacent vanishing pieces are joined. Every
    other piece is searched for isolated roots: sign changes, exact zeros and
    tangencies. Roots within ``_CONTINUUM_REACH`` of a vanishing interval (found on
    a neighbouring piece at the shared kink, say) are part of it and dropped.

    Returns
    -------
    roots : list of float
        The isolated roots, sorted, merged within ``_MERGE_TOL``.
    continua : list of float
        The midpoint of each vanishing interval (one equilibrium each, status bit 2).
    kinks : numpy.ndarray
        lo, the kinks of Phi inside (lo, hi) and hi, sorted.
    """
    kinks = _phi_kinks(m, sup)

    def phi(x):
        return float(_phi(m, sup, x))

    grid = np.unique(np.concatenate([np.linspace(a, b, _GRID_PER_PIECE) for a, b in itertools.pairwise(kinks)]))
    values = _phi(m, sup, grid)
    s = np.sign(values)

    # Continua: whole pieces where Phi is within rounding of zero, joined across kinks.
    intervals = _vanishing_intervals(kinks, grid, np.abs(values) <= _continuum_scale(m, grid))
    continua = [0.5 * (a + b) for a, b in intervals]
    inside = np.zeros(len(grid), dtype=bool)  # grid points on a vanishing interval
    for a, b in intervals:
        inside |= (grid >= a) & (grid <= b)

    def near_continuum(u: float) -> bool:
        return any(a - _CONTINUUM_REACH <= u <= b + _CONTINUUM_REACH for a, b in intervals)

    # Exact zeros off the vanishing intervals: the ends of each run of zeros (a run
    # cannot be a whole piece there, so it is rounding around an isolated root).
    roots: list[float] = []
    zero = (s == 0) & ~inside
    for i in np.nonzero(zero)[0]:
        if i == 0 or i == len(grid) - 1 or not zero[i - 1] or not zero[i + 1]:
            roots.append(float(grid[i]))

    # Simple roots: sign changes between neighbouring grid points, refined by brentq
    # (not between two points of a vanishing interval: there the sign is noise).
    for i in np.nonzero((s[:-1] * s[1:] < 0) & ~(inside[:-1] & inside[1:]))[0]:
        roots.append(_root_strictly_inside(phi, grid[i], grid[i + 1]))

    # Tangent (touching) roots: a grid local minimum of |Phi| whose neighbours share
    # its sign. Find the extremum of sign * Phi around it: if it (nearly) touches zero
    # it is a tangent root, if it crosses zero there are two close simple roots.
    mag = s * values
    idx = np.arange(1, len(grid) - 1)
    cand = idx[
        (s[idx - 1] == s[idx])
        & (s[idx + 1] == s[idx])
        & (s[idx] != 0)
        & (mag[idx] < mag[idx - 1])
        & (mag[idx] <= mag[idx + 1])
        & ~inside[idx]
    ]
    # A minimum touching zero lies within a grid step of grid point i, so |Phi_i| is at
    # most of the order of the change of Phi over one step (a quarter of it for a
    # parabola); minima far above that cannot reach zero and are skipped. The change
    # must also exceed the rounding level Z(u_i) (conventions, "Tangencies in rounding
    # noise"): on a flat run of rounding noise (|Phi| ~ 1e-14 changing by an ulp from
    # sample to sample, on a piece that does not vanish as a whole) the minima of the
    # noise are not resolved and are not tangencies.
    step_change = np.maximum(np.abs(values[cand - 1] - values[cand]), np.abs(values[cand + 1] - values[cand]))
    keep = (mag[cand] <= 10.0 * step_change) & (step_change > _continuum_scale(m, grid[cand]))
    cand = cand[keep]
    if cand.size > _MAX_TANGENT_CANDIDATES:
        cand = cand[np.argsort(mag[cand])[:_MAX_TANGENT_CANDIDATES]]
    for i in cand:
        sign = s[i]
        a, b = grid[i - 1], grid[i + 1]
        res = minimize_scalar(
            lambda x, sign=sign: sign * phi(x),
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-15, "maxiter": 500},
        )
        u_ext = float(res.x)
        polished = _critical_point_near(m, sup, u_ext, kinks)
        if polished is not None and a <= polished <= b:
            u_ext = polished
        f_ext = phi(u_ext)
        if abs(f_ext) < _TANGENT_TOL:  # touches zero: tangent root
            roots.append(u_ext)
        elif sign * f_ext < 0.0:  # dips through zero: two simple roots
            roots.append(_root_strictly_inside(phi, a, u_ext))
            roots.append(_root_strictly_inside(phi, u_ext, b))

    # Rounding noise near a tangency can make sign changes of its own: a flat root
    # with an extremum of Phi within _SNAP_WIDTH where |Phi| < _TANGENT_TOL is that
    # tangency, and is moved onto it (so near-tangent twins merge below).
    snapped = []
    for u in roots:
        if abs(_phi_derivative(m, sup, u, _piece_of(kinks, u))) < _SNAP_SLOPE:
            u_c = _critical_point_near(m, sup, u, kinks)
            if u_c is not None and abs(phi(u_c)) < _TANGENT_TOL:
                u = u_c
        snapped.append(u)

    # Keep the open interval less the vanishing intervals' reach, merge roots closer
    # than _MERGE_TOL (keep smaller |Phi|).
    merged: list[float] = []
    for u in sorted(u for u in snapped if sup.lo < u < sup.hi and not near_continuum(u)):
        if merged and u - merged[-1] < _MERGE_TOL:
            if abs(phi(u)) < abs(phi(merged[-1])):
                merged[-1] = u
        else:
            merged.append(u)
    return merged, continua, kinks


def _cutpoint_equilibrium(m: _Model, sup: _Interval, u: float, d_phi: float, degenerate: bool) -> dict:
    """The interior cutpoint equilibrium at u (§6, conventions "Interior cutpoints")."""
    q1, q0 = (float(v) for v in _beliefs(m, sup, u))
    kind = "cutpoint_honest" if u >= m.t[1] else "cutpoint_bluff"
    # Both signals are on path: no off-path belief, so IC and D1 hold trivially.
    return _equilibrium(
        kind,
        u,
        1.0 - float(sup.F(u)),
        q1,
        q0,
        float(m.P(1, q1)),
        float(m.P(0, q0)),
        stable=d_phi > 0.0,
        ic_ok=True,
        d1_ok=True,
        degenerate=degenerate,
        prob_no_alliance=float(sup.F(u)),
    )


def _solve_continuous(m: _Model, sup: _Interval) -> tuple[list[dict], int]:
    """All equilibria for Uniform types, and the status bits set on the way."""
    eqs = []
    status = 0
    roots, continua, kinks = _interior_roots(m, sup)
    for u in roots:
        d_phi = _phi_derivative(m, sup, u, _piece_of(kinks, u))
        eqs.append(_cutpoint_equilibrium(m, sup, u, d_phi, degenerate=abs(d_phi) < _DEGENERATE_TOL))
    for u in continua:
        # Phi vanishes on a whole interval: one representative at its midpoint, flagged
        # degenerate and not stable (conventions, "Continuum").
        status |= _STATUS_CONTINUUM
        eqs.append(_cutpoint_equilibrium(m, sup, u, 0.0, degenerate=True))
    for eq in (_pool_no_alliance(m, sup, sup.hi), _pool_alliance(m, sup, sup.lo)):
        if eq is not None:
            eqs.append(eq)
    return eqs, status


# --------------------------------------------------------------------------------------
# Two-type ally (§7, conventions "Two-type ally"): enumerate strategy profiles.
# --------------------------------------------------------------------------------------
def _two_type_pure(m: _Model, sup: _TwoPoint, sigma_low: int, sigma_high: int) -> dict | None:
    """A separating profile (exactly one type allies), checked for best responses."""
    ally = 0 if sigma_low == 1 else 1
    stay = 1 - ally
    theta_ally, theta_stay = sup.types[ally], sup.types[stay]
    q1 = 1.0 if theta_ally >= m.t[1] else 0.0  # Bayes: only `ally` sends alliance
    q0 = 1.0 if theta_stay >= m.t[0] else 0.0
    P1, P0 = float(m.P(1, q1)), float(m.P(0, q0))
    g_ally = float(m.gain(theta_ally, P0, P1))
    g_stay = float(m.gain(theta_stay, P0, P1))
    if not (g_ally >= 0.0 and g_stay <= 0.0):
        return None
    return _equilibrium(
        "separating",
        math.nan,
        float(sup.weights[ally]),
        q1,
        q0,
        P1,
        P0,
        stable=g_ally > 0.0 and g_stay < 0.0,
        ic_ok=True,
        d1_ok=True,
        degenerate=False,
    )


def _two_type_hybrid(m: _Model, sup: _TwoPoint, mixer: int, other_action: int) -> dict | None:
    """One type (``mixer``: 0 = L, 1 = H) mixes, the other plays ``other_action``.

    The mixer is indifferent (Gain = 0). The signal the other type never sends is
    sent by the mixer alone, which fixes that signal's belief; the other signal's
    probability of challenge follows from the indifference, its belief from G^-1 and
    the mixing probability from Bayes' rule.
    """
    other = 1 - mixer
    th_m, th_o = sup.types[mixer], sup.types[other]
    w_m, w_o = sup.weights[mixer], sup.weights[other]
    h_m, h_o = (1.0 if th >= m.t[1] else 0.0 for th in (th_m, th_o))
    g_m, g_o = (1.0 if th >= m.t[0] else 0.0 for th in (th_m, th_o))
    if other_action == 1:
        # No alliance is sent only by the mixer: q_0 = g_m.
        if h_m == h_o:
            return None  # q_1 independent of sigma: non-generic
        q0 = g_m
        P0 = float(m.P(0, q0))
        L1 = float(m.L(1, th_m))
        if not L1 > 0.0:
            return None
        P1 = (P0 * float(m.L(0, th_m)) - m.k) / L1
        if not 0.0 < P1 < 1.0:
            return None
        q1 = m.q_for_P(1, P1)
        # Bayes: q_1 = (w_o h_o + w_m sigma h_m) / (w_o + w_m sigma).
        if q1 == h_m:
            return None
        sigma = w_o * (h_o - q1) / (w_m * (q1 - h_m))
        if not (0.0 < sigma < 1.0 and float(m.gain(th_o, P0, P1)) >= 0.0):
            return None
        # More mixing moves q_1 toward h_m; the mixer's gain falls (stable) iff h_m < h_o.
        stable = h_m < h_o
    else:
        # Alliance is sent only by the mixer: q_1 = h_m.
        if g_m == g_o:
            return None  # q_0 independent of sigma: non-generic
        q1 = h_m
        P1 = float(m.P(1, q1))
        L0 = float(m.L(0, th_m))
        if not L0 > 0.0:
            return None
        P0 = (P1 * float(m.L(1, th_m)) + m.k) / L0
        if not 0.0 < P0 < 1.0:
            return None
        q0 = m.q_for_P(0, P0)
        # Bayes: q_0 = (w_o g_o + w_m (1 - sigma) g_m) / (w_o + w_m (1 - sigma)).
        if q0 == g_m:
            return None
        sigma = 1.0 - w_o * (g_o - q0) / (w_m * (q0 - g_m))
        if not (0.0 < sigma < 1.0 and float(m.gain(th_o, P0, P1)) <= 0.0):
            return None
        # More mixing moves q_0 toward g_o; the mixer's gain falls (stable) iff g_m < g_o.
        stable = g_m < g_o
    prob_alliance = float(w_m * sigma + w_o * other_action)
    return _equilibrium(
        "hybrid", math.nan, prob_alliance, q1, q0, P1, P0, stable=stable, ic_ok=True, d1_ok=True, degenerate=False
    )


def _solve_two_type(m: _Model, sup: _TwoPoint) -> list[dict]:
    candidates = [
        _two_type_pure(m, sup, 0, 1),  # separating: H allies, L does not
        _two_type_pure(m, sup, 1, 0),  # reversed separating
        _pool_no_alliance(m, sup, math.nan),  # (0, 0)
        _pool_alliance(m, sup, math.nan),  # (1, 1)
        _two_type_hybrid(m, sup, mixer=0, other_action=1),  # L mixes, H allies
        _two_type_hybrid(m, sup, mixer=1, other_action=0),  # H mixes, L does not
        _two_type_hybrid(m, sup, mixer=0, other_action=0),  # reversed: L mixes, H not
        _two_type_hybrid(m, sup, mixer=1, other_action=1),  # reversed: H mixes, L allies
    ]
    return [eq for eq in candidates if eq is not None]


# --------------------------------------------------------------------------------------
# Bargaining ranges (§8) and the per-point driver.
# --------------------------------------------------------------------------------------
def _clip01(x: float) -> float:
    return float(np.clip(x, 0.0, 1.0))


def _signal_range(m: _Model, alpha: int, q: float, c: float) -> tuple[float, float]:
    """lo = q (p'_a - c_D') + (1 - q)(p - c_D), hi = p + c + q M_a, clipped to [0, 1]."""
    if math.isnan(q):
        return math.nan, math.nan
    lo = q * (m.p_win[alpha] - m.c_d_joint) + (1.0 - q) * (m.p - m.c_d)
    hi = m.p + c + q * m.M[alpha]
    return _clip01(lo), _clip01(hi)


def solve_point(row: dict[str, float], max_eq: int = MAX_EQ) -> dict:
    """Solve one parameter point.

    Parameters
    ----------
    row : dict of str to float
        One point: the scalar value of every key in :data:`INPUT_KEYS`.
    max_eq : int, optional
        Number of equilibrium slots; further equilibria are dropped (status bit 1).

    Returns
    -------
    dict
        ``status`` (bit 1: equilibria dropped; bit 2: Phi vanishes on an interval,
        one representative reported), the full-information ranges and
        ``equilibria``: a list of at most ``max_eq`` dicts, sorted as the conventions
        require, each with every per-equilibrium output (``kind`` as an integer code).
    """
    m = _Model(row)
    if int(row["theta_kind"]) == 0:
        eqs, status = _solve_continuous(m, _Interval(row["theta_a"], row["theta_b"]))
    elif int(row["theta_kind"]) == 1:
        eqs = _solve_two_type(m, _TwoPoint(row["theta_a"], row["theta_b"], row["theta_c"]))
        status = 0
    else:
        raise ValueError(f"theta_kind must be 0 or 1, got {row['theta_kind']}")

    c = row["range_cost"]
    c = m.mean_cost() if math.isnan(c) else c
    for eq in eqs:
        pa = eq["prob_alliance"]
        # Pr(no alliance): F(u) at a cut-point, else 1 - pa (conventions).
        pna = eq.pop("_pna")
        # §8: prob_war = pa P_1 + Pr(no alliance) P_0, leaving out an off-path term.
        war = 0.0
        if pa > 0.0:
            war += pa * eq["P1"]
        if pna > 0.0:
            war += pna * eq["P0"]
        eq["prob_war"] = war
        eq["prob_renege"] = 1.0 - eq["q1"] if pa > 0.0 else math.nan
        eq["range_alliance"] = _signal_range(m, 1, eq["q1"], c)
        eq["range_no_alliance"] = _signal_range(m, 0, eq["q0"], c)

    # Order: prob_alliance ascending, then kind code, then cutpoint (conventions).
    eqs.sort(key=lambda e: (e["prob_alliance"], e["kind"], -math.inf if math.isnan(e["cutpoint"]) else e["cutpoint"]))
    if len(eqs) > max_eq:
        status |= _STATUS_TOO_MANY
    eqs = eqs[:max_eq]
    # Selection: max of (d1_ok, stable, prob_alliance); ties to the lower slot.
    if eqs:
        best = max(range(len(eqs)), key=lambda i: (eqs[i]["d1_ok"], eqs[i]["stable"], eqs[i]["prob_alliance"], -i))
        for i, eq in enumerate(eqs):
            eq["selected"] = i == best

    p1, cdj, dc = m.p_win[1], m.c_d_joint, m.c_c_extra
    return {
        "status": status,
        "range_lo_alone": _clip01(m.p - m.c_d),
        "range_hi_alone": _clip01(m.p + c),
        "range_lo_joint": _clip01(p1 - cdj),
        "range_hi_joint": _clip01(p1 + c + dc),
        "equilibria": eqs,
    }


def solve_reference(points: dict[str, np.ndarray], max_eq: int = MAX_EQ) -> dict[str, np.ndarray]:
    """Solve a batch of points with the slow reference solver.

    Parameters
    ----------
    points : dict of str to numpy.ndarray
        The flat point representation of ``docs/conventions.md``: 1-D arrays of equal
        length N for every key in :data:`INPUT_KEYS` (``p``, ``p_alliance``,
        ``p_coalition``, ``c_d``, ``c_d_joint``, ``c_c_extra``, ``c_a``, ``k``, ``r``,
        ``b_c``, ``theta_kind``, ``theta_a``, ``theta_b``, ``theta_c``, ``cost_kind``,
        ``cost_a``, ``cost_b``, ``range_cost``). Inputs are assumed valid.
    max_eq : int, optional
        Number of equilibrium slots per point (default :data:`MAX_EQ`).

    Returns
    -------
    dict of str to numpy.ndarray
        Per point, shape (N,): ``n_eq`` and ``status`` (int64; a bit set: 1 = more
        equilibria than slots, extra ones dropped; 2 = Phi vanishes on a whole interval
        of cutpoints, one representative at its midpoint reported), ``range_lo_alone``,
        ``range_hi_alone``, ``range_lo_joint``, ``range_hi_joint`` (float64).
        Per equilibrium, shape (N, max_eq): ``kind`` (int8, -1 padding), the float64
        outputs ``cutpoint``, ``prob_alliance``, ``belief_alliance``,
        ``belief_no_alliance``, ``prob_challenge_alliance``,
        ``prob_challenge_no_alliance``, ``prob_war``, ``prob_renege``,
        ``range_lo_alliance``, ``range_hi_alliance``, ``range_lo_no_alliance``,
        ``range_hi_no_alliance`` (NaN padding) and the bool flags ``stable``,
        ``ic_ok``, ``d1_ok``, ``selected``, ``degenerate`` (False padding).
    """
    arrays = {key: np.asarray(points[key], dtype=float).ravel() for key in INPUT_KEYS}
    n = len(arrays["p"])
    out: dict[str, np.ndarray] = {
        "n_eq": np.zeros(n, dtype=np.int64),
        "status": np.zeros(n, dtype=np.int64),
        "kind": np.full((n, max_eq), -1, dtype=np.int8),
    }
    for key in _POINT_FLOAT_KEYS:
        out[key] = np.full(n, np.nan)
    for key in _EQ_FLOAT_KEYS:
        out[key] = np.full((n, max_eq), np.nan)
    for key in _EQ_FLAG_KEYS:
        out[key] = np.zeros((n, max_eq), dtype=bool)

    for i in range(n):
        res = solve_point({key: float(arrays[key][i]) for key in INPUT_KEYS}, max_eq)
        out["status"][i] = res["status"]
        out["n_eq"][i] = len(res["equilibria"])
        for key in _POINT_FLOAT_KEYS:
            out[key][i] = res[key]
        for j, eq in enumerate(res["equilibria"]):
            out["kind"][i, j] = eq["kind"]
            out["cutpoint"][i, j] = eq["cutpoint"]
            out["prob_alliance"][i, j] = eq["prob_alliance"]
            out["belief_alliance"][i, j] = eq["q1"]
            out["belief_no_alliance"][i, j] = eq["q0"]
            out["prob_challenge_alliance"][i, j] = eq["P1"]
            out["prob_challenge_no_alliance"][i, j] = eq["P0"]
            out["prob_war"][i, j] = eq["prob_war"]
            out["prob_renege"][i, j] = eq["prob_renege"]
            out["range_lo_alliance"][i, j], out["range_hi_alliance"][i, j] = eq["range_alliance"]
            out["range_lo_no_alliance"][i, j], out["range_hi_no_alliance"][i, j] = eq["range_no_alliance"]
            for key in _EQ_FLAG_KEYS:
                out[key][i, j] = eq[key]
    return out
