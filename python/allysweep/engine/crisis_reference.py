"""Plain NumPy/SciPy reference implementation of the allysweep crisis extension.

Written from ``MODEL.md``, ``CRISIS.md`` (the crisis stage: assumption A1 dropped) and
``docs/conventions.md`` only, by someone who had not read the engine's code. It is
deliberately slow and simple; it is meant to cross-check a fast engine. The choices the
specifications leave open are listed in ``docs/conventions.md``, section "Crisis stage".

Public functions
----------------
crisis_boundaries, crisis_outcome, crisis_segment, crisis_path
    The D-C crisis subgame for a fixed public belief (CRISIS.md 2.3-2.5).
solve_crisis_point
    All equilibria of one parameter point.
solve_crisis_reference
    The same over N points given as flat columns.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

#: tolerance for weak inequalities ("<= 0") in existence / refinement tests where A1
#: fails; where A1 holds (p - c_D >= 0) the model is the canonical one and these tests
#: use the canonical exact comparisons (tolerance 0, ``Model.tol``)
TOL = 1e-12
#: samples per piece of a path
N_PIECE = 400
#: Phi'(u) below this is a tangency (conventions.md)
DEGENERATE_SLOPE = 1e-8
#: |Phi| below this at a local extremum without sign change is a tangency root
TANGENCY_EPS = 1e-10
#: relative rounding level of Phi on the cut-point path: a piece vanishes where
#: |Phi| <= 1e-15 (1 + k + X_0 u + X_1 u + L_0 + L_1) (conventions, "Continuum")
CONTINUUM_ROUNDING = 1e-15
#: roots within this distance in u of a vanishing interval are part of it (conventions)
CONTINUUM_REACH = 1e-9

REGIME_CODE = {"R": 0, "M": 1, "C": 2, "W0": 3, "Cb": 4}
KIND_CODE = {
    "cutpoint_honest": 0,
    "cutpoint_bluff": 1,
    "pool_no_alliance": 2,
    "pool_alliance": 3,
    "separating": 4,
    "hybrid": 5,
}

FLOAT_PARAMS = [
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
    "theta_a",
    "theta_b",
    "theta_c",
    "cost_a",
    "cost_b",
    "range_cost",
]
INT_PARAMS = ["theta_kind", "cost_kind"]

SIGNAL_NAMES = {1: "alliance", 0: "no_alliance"}
PER_SIGNAL_FLOAT = [
    "prob_concede",
    "prob_war",
    "prob_concession",
    "prob_backdown",
    "immediate_deterrence",
    "general_deterrence",
    "defender_war_value",
]
EQ_FLOAT = (
    [
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
    ]
    + [f"{n}_{s}" for s in ("alliance", "no_alliance") for n in PER_SIGNAL_FLOAT]
    + ["prob_challenge", "general_deterrence", "prob_concession", "immediate_deterrence", "prob_status_quo_kept"]
)
EQ_BOOL = ["stable", "ic_ok", "d1_ok", "selected", "degenerate", "pinned"]
EQ_INT8 = ["kind", "crisis_regime_alliance", "crisis_regime_no_alliance"]
POINT_FLOAT = ["range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint"]
POINT_INT = ["n_eq", "status"]
POINT_BOOL = ["nc_branch", "bluff_mass_free"]


# ----------------------------------------------------------------------------
# validation and derived quantities
# ----------------------------------------------------------------------------


def _bad(name, value, allowed):
    raise ValueError(f"parameter {name} = {value!r} is outside its domain: {allowed}")


def validate_point(point):
    """Check one point against the domain of CRISIS.md section 1 / MODEL.md section 3.

    Parameters
    ----------
    point : dict
        Scalar flat columns (see ``docs/conventions.md``).

    Returns
    -------
    dict
        A cleaned copy with float / int values.

    Raises
    ------
    ValueError
        Naming the parameter, its value and the allowed range.
    """
    out = {}
    for name in FLOAT_PARAMS:
        if name not in point:
            if name == "range_cost":
                out[name] = float("nan")
                continue
            if name == "theta_c":
                out[name] = float("nan")
                continue
            raise ValueError(f"parameter {name} is missing")
        out[name] = float(point[name])
    for name in INT_PARAMS:
        if name not in point:
            raise ValueError(f"parameter {name} is missing")
        v = point[name]
        if not (math.isfinite(float(v)) and float(v) == int(float(v))):
            _bad(name, v, "an integer code")
        out[name] = int(v)
    for name in FLOAT_PARAMS:
        if name in ("range_cost", "theta_c"):
            continue
        if not math.isfinite(out[name]):
            _bad(name, out[name], "a finite number")
    p = out["p"]
    if not (0.0 < p < 1.0):
        _bad("p", p, "0 < p < 1")
    if not (p < out["p_alliance"] <= 1.0):
        _bad("p_alliance", out["p_alliance"], f"p < p_alliance <= 1 (p = {p})")
    if not (p < out["p_coalition"] <= out["p_alliance"]):
        _bad(
            "p_coalition",
            out["p_coalition"],
            f"p < p_coalition <= p_alliance (p = {p}, p_alliance = {out['p_alliance']})",
        )
    if not (out["c_d"] >= 0.0):
        _bad("c_d", out["c_d"], "c_d >= 0 (p - c_d of either sign)")
    if not (0.0 <= out["c_d_joint"] <= out["c_d"]):
        _bad("c_d_joint", out["c_d_joint"], f"0 <= c_d_joint <= c_d (c_d = {out['c_d']})")
    for name, rng in (("c_c_extra", ">= 0"), ("k", ">= 0"), ("r", ">= 0"), ("b_c", ">= 0")):
        if not (out[name] >= 0.0):
            _bad(name, out[name], rng)
    if not (out["c_a"] > 0.0):
        _bad("c_a", out["c_a"], "c_a > 0")
    tk = out["theta_kind"]
    if tk == 0:
        if not (0.0 <= out["theta_a"] < out["theta_b"]):
            _bad("theta_a", out["theta_a"], f"Uniform(lo, hi) needs 0 <= lo < hi (hi = {out['theta_b']})")
    elif tk == 1:
        if not (0.0 <= out["theta_a"] < out["theta_b"]):
            _bad(
                "theta_a",
                out["theta_a"],
                f"TwoPoint(low, high, prior_high) needs 0 <= low < high (high = {out['theta_b']})",
            )
        if not (0.0 < out["theta_c"] < 1.0):
            _bad("theta_c", out["theta_c"], "TwoPoint prior_high in (0, 1)")
    else:
        _bad("theta_kind", tk, "0 (Uniform) or 1 (TwoPoint)")
    ck = out["cost_kind"]
    if ck == 0:
        if not (out["cost_a"] < out["cost_b"]):
            _bad("cost_a", out["cost_a"], f"Uniform(lo, hi) needs lo < hi (hi = {out['cost_b']})")
    elif ck in (1, 2):
        if not (out["cost_b"] > 0.0):
            _bad("cost_b", out["cost_b"], "scale > 0")
    else:
        _bad("cost_kind", ck, "0 (Uniform), 1 (Logistic) or 2 (Normal)")
    rc = out["range_cost"]
    if not (math.isnan(rc) or math.isfinite(rc)):
        _bad("range_cost", rc, "a finite number or NaN (= E[c])")
    return out


class Model:
    """Parameters of one point plus the derived quantities of CRISIS.md 2.1.

    Parameters
    ----------
    point : dict
        Scalar flat columns (validated here).
    """

    def __init__(self, point):
        v = validate_point(point)
        self.v = v
        self.p = v["p"]
        self.pp = {1: v["p_alliance"], 0: v["p_coalition"]}
        self.cd = v["c_d"]
        self.cdj = v["c_d_joint"]
        self.dc = v["c_c_extra"]
        self.ca = v["c_a"]
        self.k = v["k"]
        self.r = v["r"]
        self.bc = v["b_c"]
        self.theta_kind = v["theta_kind"]
        self.cost_kind = v["cost_kind"]
        self.cost_a = v["cost_a"]
        self.cost_b = v["cost_b"]
        self.M = {a: self.pp[a] - self.p + self.dc for a in (0, 1)}
        self.d = {a: (self.pp[a] - self.cdj) - (self.p - self.cd) for a in (0, 1)}
        self.omega = self.cd - self.p
        self.rho_hat = self.bc / (1.0 + self.bc)
        # tolerance of the pooling, refinement and two-type profile tests: 0 where A1
        # holds, so that the canonical results are reproduced exactly (CRISIS.md, intro)
        self.tol = 0.0 if self.omega <= 0.0 else TOL
        self.t = {1: (self.ca - self.r) / (self.pp[1] - self.p), 0: self.ca / (self.pp[0] - self.p)}
        if self.cost_kind == 0:
            self.mean_c = 0.5 * (self.cost_a + self.cost_b)
        else:
            self.mean_c = self.cost_a
        self.c_range = self.mean_c if math.isnan(v["range_cost"]) else v["range_cost"]
        self.qhat = {}
        self.qC = {}
        self.has_Cb = {}
        for a in (0, 1):
            self._boundaries(a)

    # --- primitives -------------------------------------------------------
    def G(self, x):
        """C's war-cost cdf (uniform clipped, logistic or normal)."""
        x = np.asarray(x, dtype=float)
        if self.cost_kind == 0:
            return np.clip((x - self.cost_a) / (self.cost_b - self.cost_a), 0.0, 1.0)
        if self.cost_kind == 1:
            return special.expit((x - self.cost_a) / self.cost_b)
        return special.ndtr((x - self.cost_a) / self.cost_b)

    def tau(self, a, q):
        return (1.0 - self.p) - np.asarray(q, dtype=float) * self.M[a]

    def W(self, a, q):
        return (self.p - self.cd) + np.asarray(q, dtype=float) * self.d[a]

    def _boundaries(self, a):
        d = self.d[a]
        qhat = self.omega / d
        self.qhat[a] = qhat
        self.has_Cb[a] = False
        if self.omega <= 0.0:
            self.qC[a] = -math.inf
            return

        def h(q):
            return float(self.G(self.tau(a, q) + self.bc)) * (1.0 + self.omega - q * d) - 1.0

        qmax = min(qhat, 1.0)
        if h(0.0) <= 0.0:
            self.qC[a] = 0.0
        elif h(qmax) >= 0.0:
            if qhat <= 1.0:
                self.qC[a] = qhat
                self.has_Cb[a] = True
            else:
                self.qC[a] = math.inf
        else:
            self.qC[a] = optimize.brentq(h, 0.0, qmax, xtol=1e-15, rtol=1e-15, maxiter=500)
            self.has_Cb[a] = True

    def regime(self, a, q):
        """Regime letter at belief q (boundary convention: q = q^C -> M, q = q-hat -> R)."""
        if q < self.qC[a]:
            return "C"
        if q < self.qhat[a]:
            return "M"
        return "R"

    # --- crisis outcomes ----------------------------------------------------
    def crisis_regime_arrays(self, a, reg, q):
        """(rho, m_A, m_B) on the continuous piece ``reg`` in {R, M, C} at beliefs q."""
        q = np.asarray(q, dtype=float)
        if reg == "R":
            mA = self.G(self.tau(a, q))
            return np.zeros_like(q), mA, np.zeros_like(q)
        g = self.G(self.tau(a, q) + self.bc)
        if reg == "M":
            wabs = np.maximum(-self.W(a, q), 0.0)
            return np.full_like(q, self.rho_hat), g, g * wabs
        if reg == "C":
            return np.ones_like(q), g, 1.0 - g
        raise ValueError(reg)

    def crisis_segment_arrays(self, a, seg, rho):
        """(q, m_A, m_B) on the segment ``seg`` in {W0, Cb} at D's concession prob. rho."""
        rho = np.asarray(rho, dtype=float)
        if seg == "W0":
            q = self.qhat[a]
            z = rho / (1.0 - rho)
            mA = self.G(self.tau(a, q) + z)
            return q, mA, np.zeros_like(rho)
        if seg == "Cb":
            q = self.qC[a]
            pibar = 1.0 / (1.0 + max(-float(self.W(a, q)), 0.0))
            return q, np.full_like(rho, pibar), np.full_like(rho, 1.0 - pibar)
        raise ValueError(seg)

    def gamma_pieces(self, a, qa=0.0, qb=1.0):
        """Pieces of the crisis path Gamma_a restricted to beliefs q in [qa, qb].

        Returns a list of tuples in path order: ``("C"|"M"|"R", q_start, q_end)`` for
        continuous pieces, ``("Cb"|"W0", q, rho_start, rho_end)`` for segments (closed:
        a segment is included when its q lies in [qa, qb]).  When qa == qb the list holds
        the single point ``(regime, q, q)`` plus any segment at that q.
        """
        qC, qh = self.qC[a], self.qhat[a]
        full = []
        if self.omega > 0.0:
            if qC > 0.0:
                full.append(("C", 0.0, min(qC, 1.0)))
            if self.has_Cb[a] and qC <= 1.0 and self.rho_hat < 1.0:
                full.append(("Cb", qC, 1.0, self.rho_hat))
            m0, m1 = max(qC, 0.0), min(qh, 1.0)
            if m1 > m0:
                full.append(("M", m0, m1))
            if 0.0 < qh <= 1.0 and self.rho_hat > 0.0:
                full.append(("W0", qh, self.rho_hat, 0.0))
        if qh < 1.0:
            full.append(("R", max(qh, 0.0), 1.0))
        out = []
        if qa == qb:
            out.append((self.regime(a, qa), qa, qa))
            out += [pc for pc in full if pc[0] in ("Cb", "W0") and pc[1] == qa]
            # keep path order: segments at the same q come before the point when the
            # point is on the far side (R after W0, M after Cb)
            return sorted(out, key=lambda pc: _piece_rank(pc))
        for pc in full:
            if pc[0] in ("Cb", "W0"):
                if qa <= pc[1] <= qb:
                    out.append(pc)
            else:
                lo_, hi_ = max(pc[1], qa), min(pc[2], qb)
                if hi_ > lo_:
                    out.append((pc[0], lo_, hi_))
        return out

    def eval_gamma_piece(self, a, pc, lam):
        """Evaluate a Gamma piece at local parameters lam in [0, 1].

        Returns
        -------
        dict of arrays q, rho, mA, mB, reg (regime code)
        """
        lam = np.asarray(lam, dtype=float)
        if pc[0] in ("R", "M", "C"):
            q = pc[1] + lam * (pc[2] - pc[1])
            rho, mA, mB = self.crisis_regime_arrays(a, pc[0], q)
        else:
            rho = pc[2] + lam * (pc[3] - pc[2])
            q0, mA, mB = self.crisis_segment_arrays(a, pc[0], rho)
            q = np.full_like(lam, q0)
        return {"q": q, "rho": rho, "mA": mA, "mB": mB, "reg": np.full(lam.shape, REGIME_CODE[pc[0]], dtype=np.int8)}

    # --- ally payoffs ------------------------------------------------------
    def L(self, a, theta):
        """A's loss at war (it plays its best reply), MODEL.md 5."""
        theta = np.asarray(theta, dtype=float)
        if a == 1:
            return np.minimum((1.0 - self.pp[1]) * theta + self.ca, (1.0 - self.p) * theta + self.r)
        return np.minimum((1.0 - self.pp[0]) * theta + self.ca, (1.0 - self.p) * theta)

    def Lam(self, a, theta, cr):
        """Lambda_a(theta) = X theta + P_war L_a(theta) for crisis outcome dict cr."""
        X = cr["rho"] * (cr["mA"] + cr["mB"])
        Pw = (1.0 - cr["rho"]) * cr["mA"]
        return X * theta + Pw * self.L(a, theta)

    def gain(self, theta, cr1, cr0):
        """Gain(theta) = Lambda_0 - Lambda_1 - k."""
        return self.Lam(0, theta, cr0) - self.Lam(1, theta, cr1) - self.k


def _piece_rank(pc):
    # path order at a single belief: C < Cb < M < W0 < R
    return {"C": 0, "Cb": 1, "M": 2, "W0": 3, "R": 4}[pc[0]]


# ----------------------------------------------------------------------------
# public crisis-subgame functions
# ----------------------------------------------------------------------------


def _model(params):
    return params if isinstance(params, Model) else Model(params)


def _crisis_dict(m, a, q, rho, mA, mB, reg):
    pch = mA + mB
    return {
        "regime": int(REGIME_CODE[reg] if isinstance(reg, str) else reg),
        "q": float(q),
        "rho": float(rho),
        "m_A": float(mA),
        "m_B": float(mB),
        "P_ch": float(pch),
        "X": float(rho * pch),
        "P_war": float((1.0 - rho) * mA),
        "backdown": float((1.0 - rho) * mB),
        "immediate_deterrence": float(mB / pch) if (pch > 0.0 and rho < 1.0) else float("nan"),
        "W": float(m.W(a, q)),
    }


def crisis_boundaries(alpha, params):
    """Crisis boundaries for signal ``alpha``.

    Parameters
    ----------
    alpha : int
        1 = alliance, 0 = no alliance.
    params : dict or Model
        Point parameters (flat columns).

    Returns
    -------
    dict
        ``q_hat`` (W = 0; may lie outside [0, 1]), ``q_C`` (g = pibar; ``-inf`` when A1
        holds, ``0`` when there is no C piece, ``inf`` when C covers [0, 1]) and
        ``has_Cb`` (whether the Cb segment lies in [0, 1]).
    """
    m = _model(params)
    return {"q_hat": m.qhat[alpha], "q_C": m.qC[alpha], "has_Cb": m.has_Cb[alpha]}


def crisis_outcome(q, alpha, params):
    """Crisis-subgame equilibrium on the main branch at belief q (CRISIS.md 2.3-2.4).

    Parameters
    ----------
    q : float
        Public belief that A intervenes, in [0, 1].
    alpha : int
        Signal (1 alliance, 0 no alliance).
    params : dict or Model
        Point parameters.

    Returns
    -------
    dict
        ``regime`` (0 R, 1 M, 2 C), ``rho``, ``m_A``, ``m_B``, ``P_ch``, ``X``,
        ``P_war``, ``backdown``, ``immediate_deterrence`` (NaN when rho = 1 or nobody
        challenges) and ``W`` (unclipped).  Exactly at a boundary the convention is
        q = q^C -> M (rho = rho-hat), q = q-hat -> R (rho = 0); use
        :func:`crisis_segment` for the other points of the boundary segments.
    """
    m = _model(params)
    reg = m.regime(alpha, q)
    rho, mA, mB = m.crisis_regime_arrays(alpha, reg, np.array([q]))
    return _crisis_dict(m, alpha, q, rho[0], mA[0], mB[0], reg)


def crisis_segment(alpha, params, which, rho):
    """A point of a boundary segment of the crisis path.

    Parameters
    ----------
    alpha : int
        Signal.
    params : dict or Model
        Point parameters.
    which : {"W0", "Cb"}
        W0: q = q-hat, rho in [0, rho-hat]; Cb: q = q^C, rho in [rho-hat, 1].
    rho : float
        D's concession probability on the segment.

    Returns
    -------
    dict
        As :func:`crisis_outcome`, with ``regime`` 3 (W0) or 4 (Cb).
    """
    m = _model(params)
    q, mA, mB = m.crisis_segment_arrays(alpha, which, np.array([rho]))
    return _crisis_dict(m, alpha, q, rho, mA[0], mB[0], which)


def crisis_path(alpha, params, n=N_PIECE):
    """Walk the whole crisis path C | Cb | M | W0 | R over q in [0, 1] (CRISIS.md 2.5).

    Parameters
    ----------
    alpha : int
        Signal.
    params : dict or Model
        Point parameters.
    n : int
        Samples per piece.

    Returns
    -------
    list of (piece, list of dict)
        ``piece`` as in :meth:`Model.gamma_pieces`; each dict as :func:`crisis_outcome`.
    """
    m = _model(params)
    out = []
    for pc in m.gamma_pieces(alpha):
        ev = m.eval_gamma_piece(alpha, pc, np.linspace(0.0, 1.0, n))
        pts = [
            _crisis_dict(m, alpha, ev["q"][i], ev["rho"][i], ev["mA"][i], ev["mB"][i], int(ev["reg"][i]))
            for i in range(n)
        ]
        out.append((pc, pts))
    return out


# ----------------------------------------------------------------------------
# equilibrium records
# ----------------------------------------------------------------------------


def _signal_outputs(m, a, cr):
    """Per-signal outputs from a crisis dict (scalars) or None (off path)."""
    s = SIGNAL_NAMES[a]
    nan = float("nan")
    if cr is None:
        d = {f"{n}_{s}": nan for n in PER_SIGNAL_FLOAT}
        d.update(
            {
                f"belief_{s}": nan,
                f"prob_challenge_{s}": nan,
                f"range_lo_{s}": nan,
                f"range_hi_{s}": nan,
                f"crisis_regime_{s}": -1,
            }
        )
        return d
    q, rho, mA, mB = float(cr["q"]), float(cr["rho"]), float(cr["mA"]), float(cr["mB"])
    pch = mA + mB
    W = float(m.W(a, q))
    return {
        f"belief_{s}": q,
        f"prob_challenge_{s}": pch,
        f"prob_concede_{s}": rho if pch > 0.0 else nan,
        f"prob_war_{s}": (1.0 - rho) * mA,
        f"prob_concession_{s}": rho * pch,
        f"prob_backdown_{s}": (1.0 - rho) * mB,
        f"immediate_deterrence_{s}": mB / pch if (pch > 0.0 and rho < 1.0) else nan,
        f"general_deterrence_{s}": 1.0 - pch,
        f"defender_war_value_{s}": W,
        f"range_lo_{s}": min(max(W, 0.0), 1.0),
        f"range_hi_{s}": min(max(m.p + m.c_range + q * m.M[a], 0.0), 1.0),
        f"crisis_regime_{s}": int(cr["reg"]),
    }


def _scalar_cr(cr):
    return {
        key: (float(np.asarray(val).reshape(-1)[0]) if key != "reg" else int(np.asarray(val).reshape(-1)[0]))
        for key, val in cr.items()
    }


def _make_eq(m, kind, cutpoint, pa, cr1, cr0, stable, ic_ok, d1_ok, degenerate, pinned, both_on_path=False, pna=None):
    """Assemble one equilibrium record (dict of scalars).

    ``pna`` is Pr(no alliance), the weight of the no-alliance signal in the
    aggregates over signals (CRISIS.md 5); ``None`` means ``1 - pa``. At a
    cut-point u of a continuous ally it is passed as F(u) = (u - lo)/(hi - lo),
    computed directly: next to lo, ``pa`` is within an ulp of 1 and ``1 - pa``
    keeps few correct digits of F(u) (conventions).

    ``both_on_path`` marks a profile in which both signals are sent with positive
    probability (an interior cut-point lo < u < hi, or a hybrid profile).
    Its per-signal outputs are then reported even when ``pa`` rounds to 0 or 1: e.g.
    at u = 1.6e-55 with lo = 0, F(u) = 5e-57 and 1 - F(u) == 1.0, yet no alliance is
    on path with belief q_0(u) (MODEL.md 6).
    """
    eq = {
        "kind": KIND_CODE[kind],
        "cutpoint": float(cutpoint),
        "prob_alliance": float(pa),
        "stable": bool(stable),
        "ic_ok": bool(ic_ok),
        "d1_ok": bool(d1_ok),
        "selected": False,
        "degenerate": bool(degenerate),
        "pinned": bool(pinned),
    }
    cr1 = None if (cr1 is None or (pa <= 0.0 and not both_on_path)) else _scalar_cr(cr1)
    cr0 = None if (cr0 is None or (pa >= 1.0 and not both_on_path)) else _scalar_cr(cr0)
    eq.update(_signal_outputs(m, 1, cr1))
    eq.update(_signal_outputs(m, 0, cr0))
    w = {1: pa, 0: 1.0 - pa if pna is None else pna}
    war = conc = ch = bd = res = 0.0
    for a, cr in ((1, cr1), (0, cr0)):
        if cr is None:
            continue
        pch = cr["mA"] + cr["mB"]
        war += w[a] * (1.0 - cr["rho"]) * cr["mA"]
        conc += w[a] * cr["rho"] * pch
        ch += w[a] * pch
        bd += w[a] * (1.0 - cr["rho"]) * cr["mB"]
        res += w[a] * (1.0 - cr["rho"]) * pch
    eq["prob_war"] = war
    eq["prob_concession"] = conc
    eq["prob_challenge"] = ch
    eq["general_deterrence"] = 1.0 - ch
    eq["immediate_deterrence"] = bd / res if res > 0.0 else float("nan")
    eq["prob_status_quo_kept"] = 1.0 - war - conc
    eq["prob_renege"] = 1.0 - cr1["q"] if cr1 is not None else float("nan")
    # p = c_D: D's rho at an on-path belief 0 is free (CRISIS.md 2.3); resist, flag it
    if m.omega == 0.0:
        for cr in (cr1, cr0):
            if cr is not None and cr["q"] == 0.0:
                eq["degenerate"] = True
    return eq


def _nc_at(m, a, cr):
    """Whether the excluded no-challenge branch exists at an on-path crisis point."""
    if cr is None:
        return False
    q = float(cr["q"])
    return bool(float(m.W(a, q)) < 0.0 and float(m.G(m.tau(a, q))) == 0.0 and float(m.G(m.tau(a, q) + m.bc)) > 0.0)


# ----------------------------------------------------------------------------
# continuous ally type: the cut-point path
# ----------------------------------------------------------------------------


class CutPath:
    """The cut-point path (u, rho_1, rho_0) for theta ~ Uniform(lo, hi) (CRISIS.md 3.3, 4).

    Pieces are dicts: ``{"kind": "u", "ua", "ub", "reg1", "reg0"}`` (u varies, both
    crisis points on continuous pieces) or ``{"kind": "seg", "u", "alpha", "seg",
    "ra", "rb"}`` (u fixed at a u-boundary, D's rho_alpha runs along the segment).
    """

    def __init__(self, m):
        self.m = m
        self.lo = m.v["theta_a"]
        self.hi = m.v["theta_b"]
        self.t1, self.t0 = m.t[1], m.t[0]
        self.pieces = self._build()

    # beliefs given a cut-point u (MODEL.md 6)
    def F(self, x):
        return np.clip((np.asarray(x, dtype=float) - self.lo) / (self.hi - self.lo), 0.0, 1.0)

    def q1(self, u):
        u = np.asarray(u, dtype=float)
        num = 1.0 - self.F(np.maximum(self.t1, u))
        den = 1.0 - self.F(u)
        # den = 0 only at u = hi < t1, where the limit is 0
        return np.where(u >= self.t1, 1.0, np.where(den > 0.0, num / np.where(den > 0, den, 1.0), 0.0))

    def q0(self, u):
        u = np.asarray(u, dtype=float)
        Fu = self.F(u)
        num = np.maximum(Fu - self.F(self.t0), 0.0)
        return np.where(u <= self.t0, 0.0, np.where(Fu > 0.0, num / np.where(Fu > 0, Fu, 1.0), 1.0))

    def _u_of_q1(self, q):
        # region I inverse (lo <= t1 < hi): q1 = (hi - t1)/(hi - u)
        return self.hi - (self.hi - self.t1) / q

    def _u_of_q0(self, q):
        # region III inverse (lo <= t0 < hi): q0 = (u - t0)/(u - lo)
        return (self.t0 - q * self.lo) / (1.0 - q)

    def _kink_qs(self, a):
        m = self.m
        out = []
        if m.cost_kind == 0:
            for c in (m.cost_a, m.cost_b):
                out.append(((1.0 - m.p) - c) / m.M[a])
                out.append(((1.0 - m.p) + m.bc - c) / m.M[a])
        return out

    def _build(self):
        m, lo, hi, t1, t0 = self.m, self.lo, self.hi, self.t1, self.t0
        bps = {lo: [], hi: []}

        def add(u, seg=None):
            if not (lo < u < hi):
                return
            for key in bps:
                if abs(key - u) <= 1e-15:
                    u = key
                    break
            bps.setdefault(u, [])
            if seg is not None:
                bps[u].append(seg)

        add(t1)
        add(t0)
        # region I: q1 moves from 1-F(t1) to 1 (only when lo <= t1 < hi)
        if lo <= t1 < hi:
            qs = float(self.q1(lo))
            segs = []
            if m.has_Cb[1]:
                segs.append((m.qC[1], "Cb", 1.0, m.rho_hat))
            if m.omega > 0 and m.rho_hat > 0:
                segs.append((m.qhat[1], "W0", m.rho_hat, 0.0))
            for qb, seg, ra, rb in segs:
                if qs < qb < 1.0:
                    add(self._u_of_q1(qb), {"kind": "seg", "alpha": 1, "seg": seg, "ra": ra, "rb": rb})
            for qk in self._kink_qs(1):
                if qs < qk < 1.0:
                    add(self._u_of_q1(qk))
        # region III: q0 moves from 0 to 1-F(t0) (only when lo <= t0 < hi)
        if lo <= t0 < hi:
            qe = float(1.0 - self.F(t0))
            segs = []
            if m.has_Cb[0]:
                segs.append((m.qC[0], "Cb", 1.0, m.rho_hat))
            if m.omega > 0 and m.rho_hat > 0:
                segs.append((m.qhat[0], "W0", m.rho_hat, 0.0))
            for qb, seg, ra, rb in segs:
                if 0.0 < qb < qe:
                    add(self._u_of_q0(qb), {"kind": "seg", "alpha": 0, "seg": seg, "ra": ra, "rb": rb})
            for qk in self._kink_qs(0):
                if 0.0 < qk < qe:
                    add(self._u_of_q0(qk))
        us = sorted(bps)
        pieces = []
        for i, u in enumerate(us):
            if i > 0:
                ua = us[i - 1]
                mid = 0.5 * (ua + u)
                pieces.append(
                    {
                        "kind": "u",
                        "ua": ua,
                        "ub": u,
                        "reg1": self._piece_regime(1, float(self.q1(mid)), bps[ua], bps[u]),
                        "reg0": self._piece_regime(0, float(self.q0(mid)), bps[ua], bps[u]),
                    }
                )
            if 0 < i < len(us) - 1:
                segs = sorted(bps[u], key=lambda s: 0 if s["seg"] == "Cb" else 1)
                for s in segs:
                    s = dict(s)
                    s["u"] = u
                    pieces.append(s)
        return pieces

    def _piece_regime(self, a, q_mid, segs_start, segs_end):
        """Regime of signal ``a`` on a u-piece: the regime at its midpoint belief ``q_mid``,
        moved back into path order next to a segment of ``a`` at one of the piece's ends.

        The path runs C | Cb | M | W0 | R and the moving belief increases with u, so a piece
        that starts at a segment's u-boundary lies after it (at least M after Cb, R after
        W0) and one that ends at it lies before it (C before Cb, at most M before W0).
        This matters when the piece is a few ulps wide, e.g. the empty M piece when
        q^C = q-hat (g = 1): its midpoint belief, computed through u, can fall on the
        wrong side of a boundary by rounding, and the wrong regime would put jumps into
        Phi and spurious roots at the joints.  Elsewhere the midpoint's regime is kept.
        """
        order = "CMR"
        i = order.index(self.m.regime(a, q_mid))
        for s in segs_start:
            if s["alpha"] == a:
                i = max(i, 1 if s["seg"] == "Cb" else 2)
        for s in segs_end:
            if s["alpha"] == a:
                i = min(i, 0 if s["seg"] == "Cb" else 1)
        return order[i]

    # evaluation -------------------------------------------------------------
    def eval(self, pc, x):
        """Evaluate piece ``pc`` at native parameters x (u or rho).

        Returns
        -------
        dict with arrays u, Phi and crisis dicts cr1, cr0 (arrays q, rho, mA, mB, reg)
        """
        m = self.m
        x = np.atleast_1d(np.asarray(x, dtype=float))
        if pc["kind"] == "u":
            u = x
            crs = {}
            for a, reg, qf in ((1, pc["reg1"], self.q1), (0, pc["reg0"], self.q0)):
                q = qf(u)
                rho, mA, mB = m.crisis_regime_arrays(a, reg, q)
                crs[a] = {
                    "q": q,
                    "rho": rho,
                    "mA": mA,
                    "mB": mB,
                    "reg": np.full(u.shape, REGIME_CODE[reg], dtype=np.int8),
                }
        else:
            u = np.full_like(x, pc["u"])
            a = pc["alpha"]
            q, mA, mB = m.crisis_segment_arrays(a, pc["seg"], x)
            crs = {
                a: {
                    "q": np.full_like(x, q),
                    "rho": x,
                    "mA": mA,
                    "mB": mB,
                    "reg": np.full(x.shape, REGIME_CODE[pc["seg"]], dtype=np.int8),
                }
            }
            b = 1 - a
            qb = float((self.q1 if b == 1 else self.q0)(pc["u"]))
            reg = m.regime(b, qb)
            rho, mA, mB = m.crisis_regime_arrays(b, reg, np.full_like(x, qb))
            crs[b] = {
                "q": np.full_like(x, qb),
                "rho": rho,
                "mA": mA,
                "mB": mB,
                "reg": np.full(x.shape, REGIME_CODE[reg], dtype=np.int8),
            }
        phi = m.gain(u, crs[1], crs[0])
        return {"u": u, "Phi": phi, "cr1": crs[1], "cr0": crs[0]}

    def continuum_scale(self, pc, x):
        """Z = 1e-15 (1 + k + X_0 u + X_1 u + L_0(u) + L_1(u)) at native parameters x.

        The rounding level of Phi = Lambda_0 - Lambda_1 - k (conventions, "Continuum"):
        X_alpha = rho_alpha P^ch_alpha is the concession probability at the sample's
        crisis point. Where A1 holds X = 0 and this is the canonical model's Z.
        """
        ev = self.eval(pc, x)
        u, m = ev["u"], self.m
        scale = 1.0 + m.k + np.abs(m.L(0, u)) + np.abs(m.L(1, u))
        for cr in (ev["cr0"], ev["cr1"]):
            scale = scale + cr["rho"] * (cr["mA"] + cr["mB"]) * u
        return CONTINUUM_ROUNDING * scale

    def u_at(self, pc, x):
        """The cut-point u at native parameter x of piece pc."""
        return float(x) if pc["kind"] == "u" else float(pc["u"])

    # the path coordinate of the continuum rule (see :func:`_path_coord`): u here
    def coord_at(self, pc, x):
        """The path coordinate (the cut-point u) at native parameter x of piece pc."""
        return self.u_at(pc, x)

    def coord_span(self, pc):
        """(start, end) of the coordinate on a u-piece; None on a segment (u fixed)."""
        return (pc["ua"], pc["ub"]) if pc["kind"] == "u" else None

    def native_at(self, pc, c):
        """The native parameter of u-piece pc at coordinate c (u itself)."""
        return float(c)

    def piece_range(self, pc):
        if pc["kind"] == "u":
            return pc["ua"], pc["ub"]
        return pc["ra"], pc["rb"]

    def piece_grid(self, pc, n=N_PIECE):
        a, b = self.piece_range(pc)
        x = np.linspace(a, b, n)
        if pc["kind"] == "seg" and pc["seg"] == "W0" and self.m.cost_kind == 0:
            # G clipping points of kappa(rho) = tau(q-hat) + rho/(1-rho)
            tq = float(self.m.tau(pc["alpha"], self.m.qhat[pc["alpha"]]))
            extra = []
            for c in (self.m.cost_a, self.m.cost_b):
                z = c - tq
                if z > 0:
                    rr = z / (1.0 + z)
                    if min(a, b) < rr < max(a, b):
                        extra.append(rr)
            if extra:
                x = np.concatenate([x, extra])
                x = np.sort(x)[::-1] if b < a else np.sort(x)
        return x


def _path_coord(path, pc, x):
    """The path coordinate at native parameter x of piece pc: u on the cut-point path, q on
    a two-type hybrid's Gamma path (conventions, "Two-type ally", **Hybrid continua and
    tangencies**: "q (rho on a segment) as the path parameter"). Paths without
    ``coord_at`` use ``u_at``."""
    f = getattr(path, "coord_at", None)
    return float(f(pc, x)) if f is not None else float(path.u_at(pc, x))


def _coord_span(path, pc):
    """(start, end) of the coordinate on a piece that moves it (a u- or q-piece), else None."""
    f = getattr(path, "coord_span", None)
    if f is not None:
        return f(pc)
    return (pc["ua"], pc["ub"]) if pc["kind"] == "u" else None


def _native_at(path, pc, c):
    """The native parameter of a coordinate-moving piece at coordinate c (identity by default)."""
    f = getattr(path, "native_at", None)
    return float(f(pc, c)) if f is not None else float(c)


def _vanishing_intervals(path, own_x, own_v, own_z):
    """The intervals of the path on which the function vanishes (conventions, "Continuum").

    A piece (u- or q-piece, or segment) vanishes when ``|value| <= Z`` at every one of its
    own samples, both ends included; consecutive vanishing pieces are joined across their
    joint sample.

    Returns
    -------
    list of dict(first, last, ua, ub, piece, x)
        Piece indices of the interval, its two ends in the path coordinate (u on the
        cut-point path, q on a hybrid's Gamma path; see :func:`_path_coord`), and the
        representative: the midpoint of the two ends on the coordinate-moving piece that
        contains it (the first in path order, i.e. the one that ends there when a segment
        sits at that coordinate), as a native parameter of that piece, or, for an interval
        made only of segments at one coordinate, the midpoint in rho of its first segment.
    """
    runs = []
    for j, (v, z) in enumerate(zip(own_v, own_z, strict=True)):
        if not bool(np.all(np.abs(v) <= z)):
            continue
        if runs and runs[-1][1] == j - 1:
            runs[-1][1] = j
        else:
            runs.append([j, j])
    out = []
    for j0, j1 in runs:
        ua = _path_coord(path, path.pieces[j0], own_x[j0][0])
        ub = _path_coord(path, path.pieces[j1], own_x[j1][-1])
        if ub > ua:
            um = 0.5 * (ua + ub)
            rep = None
            for j in range(j0, j1 + 1):
                span = _coord_span(path, path.pieces[j])
                if span is not None and min(span) <= um <= max(span):
                    rep = j
                    break
            x = _native_at(path, path.pieces[rep], um)
        else:
            rep = j0
            ra, rb = path.piece_range(path.pieces[j0])
            x = 0.5 * (ra + rb)
        out.append({"first": j0, "last": j1, "ua": ua, "ub": ub, "piece": rep, "x": float(x)})
    return out


def _root_strictly_inside(f, a, b):
    """The root of f in (a, b), where f(a) and f(b) are nonzero of opposite signs.

    conventions.md, "Cut-point path", **Roots.**: a strict sign change is refined by brentq
    with xtol 1e-14 and rtol 1e-15. Such a root lies strictly inside (a, b), but brentq may
    return an end (or a point outside the open bracket) when the root is within xtol of it,
    e.g. a root at u = 6e-85 next to lo = 0, which the cut-point path would then drop as
    not in (lo, hi). As in the canonical reference (``reference._root_strictly_inside``):
    refine again with relative precision only (xtol 1e-300), and if even that does not
    resolve, take the float next to the end, inside.

    Raises
    ------
    ValueError
        From brentq when the refined ends do not bracket a sign change.
    """
    u = optimize.brentq(f, a, b, xtol=1e-14, rtol=1e-15, maxiter=200)
    if not a < u < b:
        u = optimize.brentq(f, a, b, xtol=1e-300, rtol=1e-15, maxiter=5000)
    if not a < u < b:  # the root is closer to an end than floating point resolves
        u = float(np.nextafter(a, b)) if u <= a else float(np.nextafter(b, a))
    return u


def _find_path_roots(path, fun_eval, n=N_PIECE, scale_eval=None, intervals_on=True):
    """Roots of a scalar function along a piecewise path.

    Parameters
    ----------
    path : object with ``pieces``, ``piece_grid(pc, n)`` and ``piece_range(pc)``
        With ``scale_eval`` also the path coordinate of the continuum rule: ``coord_at(pc,
        x)``, ``coord_span(pc)`` and ``native_at(pc, c)`` (u on :class:`CutPath`, q on
        :class:`_GammaPath`), or only ``u_at(pc, x)`` for pieces that are dicts with
        ``kind`` "u" (ends ``ua``, ``ub``) or "seg" (see :func:`_path_coord`).
    fun_eval : callable(pc, x_array) -> value array
    n : int
    scale_eval : callable(pc, x_array) -> array, optional
        The rounding level Z of the function at the samples. Given (the cut-point path),
        the continuum rule of conventions.md: a piece vanishes when |value| <= Z at all
        of its samples, adjacent vanishing pieces join into one interval, reported once
        (see :func:`_vanishing_intervals`); sign changes inside an interval are not
        roots, and roots within ``CONTINUUM_REACH`` in the coordinate of it are dropped; a tangency
        candidate (a sample minimum of |value| without sign change) must be strict,
        |V_i| < |V_{i-1}| and |V_i| <= |V_{i+1}|, and resolved, max(|V_{i-1} - V_i|,
        |V_{i+1} - V_i|) > Z_i (conventions, "Tangencies"). Both solvers pass it (the
        two-type hybrids since 2026-12-03, conventions "Two-type ally", **Hybrid continua
        and tangencies**). Omitted, the rule before that: three or more consecutive
        samples with |value| <= 1e-14 form a continuum, reported at the run's midpoint.

    intervals_on : bool
        With ``scale_eval``: False forms no vanishing intervals (no continuum candidates, and
        sign changes below Z are roots), keeping the strict/resolved tangency filter. The
        two-type hybrids where A1 holds (conventions, "Two-type ally", **Hybrid continua and
        tangencies**, last paragraph: the hybrids are the canonical model's, a vanishing
        interval gives no hybrid, and the closed form pins sigma through P* even where the
        gain is below Z).

    A strict sign change is refined by :func:`_root_strictly_inside`: the root lies strictly
    inside its bracket even when it is within brentq's xtol of an end.

    Returns
    -------
    roots : list of dict(piece_index, x, direction, tangency, continuum)
        direction +1 if the function goes - to + along the path, -1 if + to -, 0 for a
        tangency or a continuum; roots at the very first or last sample of the path are
        dropped.
    """
    xs, vals, pidx, zs = [], [], [], []
    own_x, own_v, own_z = [], [], []
    for j, pc in enumerate(path.pieces):
        x = path.piece_grid(pc, n)
        v = np.asarray(fun_eval(pc, x), dtype=float)
        z = None
        if scale_eval is not None:
            z = np.asarray(scale_eval(pc, x), dtype=float)
            own_x.append(x)
            own_v.append(v)
            own_z.append(z)
        if j > 0:
            x, v = x[1:], v[1:]
            z = None if z is None else z[1:]
        xs.append(x)
        vals.append(v)
        pidx.append(np.full(x.shape, j))
        if z is not None:
            zs.append(z)
    X = np.concatenate(xs)
    V = np.concatenate(vals)
    P = np.concatenate(pidx)
    Z = np.concatenate(zs) if scale_eval is not None else None  # Z at each path sample
    N = len(V)
    sg = np.sign(V)
    roots = []
    intervals = []
    if scale_eval is None:
        # continuum runs (|V| exactly ~ 0 on >= 3 consecutive samples)
        zero = np.abs(V) <= 1e-14
        i = 0
        in_run = np.zeros(N, dtype=bool)
        while i < N:
            if zero[i]:
                j = i
                while j + 1 < N and zero[j + 1]:
                    j += 1
                if j - i + 1 >= 3:
                    in_run[i : j + 1] = True
                    if P[i] == P[j]:
                        # midpoint of the zero interval in the piece parameter
                        pm, xm = int(P[i]), 0.5 * (float(X[i]) + float(X[j]))
                    else:
                        mid = (i + j) // 2
                        pm, xm = int(P[mid]), float(X[mid])
                    roots.append({"piece": pm, "x": xm, "direction": 0, "tangency": False, "continuum": True})
                i = j + 1
            else:
                i += 1
        skip_pair = in_run[1:] | in_run[:-1]
        skip_zero = np.zeros(N, dtype=bool)
        skip_tangency = np.zeros(N, dtype=bool)
    else:
        intervals = _vanishing_intervals(path, own_x, own_v, own_z) if intervals_on else []
        # samples on a vanishing interval: every sample of its pieces, and the joint
        # sample before its first piece (stored with the piece before)
        inside = np.zeros(N, dtype=bool)
        for iv in intervals:
            inside |= (P >= iv["first"]) & (P <= iv["last"])
            if iv["first"] > 0:
                inside[np.nonzero(P == iv["first"] - 1)[0][-1]] = True
        zero = sg == 0
        skip_pair = inside[1:] & inside[:-1]  # a sign change inside an interval is noise
        skip_zero = inside
        skip_tangency = inside
    for i in range(1, N):
        if skip_pair[i - 1]:
            continue
        j = int(P[i])
        pc = path.pieces[j]
        xa = X[i - 1] if P[i - 1] == j else path.piece_range(pc)[0]
        if sg[i - 1] * sg[i] < 0:

            def f(x, pc=pc):
                return float(fun_eval(pc, np.array([x]))[0])

            try:
                xr = _root_strictly_inside(f, *sorted((float(xa), float(X[i]))))
            except ValueError:
                # sign of the refined ends disagrees with the grid (numerical jitter)
                xr = 0.5 * (xa + X[i])
            roots.append(
                {
                    "piece": j,
                    "x": xr,
                    "direction": int(sg[i] - sg[i - 1] > 0) * 2 - 1,
                    "tangency": False,
                    "continuum": False,
                }
            )
        elif sg[i] == 0 and 0 < i < N - 1 and not zero[i - 1] and not zero[i + 1] and not skip_zero[i]:
            if sg[i - 1] * sg[i + 1] < 0:
                roots.append(
                    {"piece": j, "x": float(X[i]), "direction": int(sg[i + 1]), "tangency": False, "continuum": False}
                )
            else:
                roots.append({"piece": j, "x": float(X[i]), "direction": 0, "tangency": True, "continuum": False})
    # tangencies: local extrema of |V| without sign change, refined
    for i in range(1, N - 1):
        if sg[i] == 0 or sg[i - 1] != sg[i] or sg[i + 1] != sg[i] or skip_tangency[i]:
            continue
        if not (abs(V[i]) <= abs(V[i - 1]) and abs(V[i]) <= abs(V[i + 1])):
            continue
        if abs(V[i]) > 1e-6 or P[i - 1] != P[i] or P[i + 1] != P[i]:
            continue
        if Z is not None:
            # the cut-point path (conventions, "Tangencies"): the sample minimum must be
            # strict and resolved, i.e. change by more than the rounding level Z to a
            # neighbour; the minima of a flat run of rounding noise are not tangencies
            if not abs(V[i]) < abs(V[i - 1]):
                continue
            if not max(abs(V[i - 1] - V[i]), abs(V[i + 1] - V[i])) > Z[i]:
                continue
        j = int(P[i])
        pc = path.pieces[j]
        a_, b_ = sorted((X[i - 1], X[i + 1]))
        s = sg[i]
        res = optimize.minimize_scalar(
            lambda x, s=s, pc=pc: s * float(fun_eval(pc, np.array([x]))[0]),
            bounds=(a_, b_),
            method="bounded",
            options={"xatol": 1e-13},
        )
        if abs(res.fun) < TANGENCY_EPS:
            roots.append({"piece": j, "x": float(res.x), "direction": 0, "tangency": True, "continuum": False})
    if intervals:
        # isolated roots within CONTINUUM_REACH in the coordinate (u or q) of an interval
        # are part of it
        def near(rt):
            u = _path_coord(path, path.pieces[rt["piece"]], rt["x"])
            return any(iv["ua"] - CONTINUUM_REACH <= u <= iv["ub"] + CONTINUUM_REACH for iv in intervals)

        roots = [rt for rt in roots if not near(rt)]
        roots += [
            {"piece": iv["piece"], "x": iv["x"], "direction": 0, "tangency": False, "continuum": True}
            for iv in intervals
        ]
    return roots


def _solve_continuous(m):
    """All equilibria for theta ~ Uniform(lo, hi). Returns (list of eq dicts, status bits, nc)."""
    path = CutPath(m)
    eqs = []
    status = 0
    lo, hi, t1 = path.lo, path.hi, path.t1

    def phi(pc, x):
        return path.eval(pc, x)["Phi"]

    for rt in _find_path_roots(path, phi, scale_eval=path.continuum_scale):
        pc = path.pieces[rt["piece"]]
        ev = path.eval(pc, np.array([rt["x"]]))
        u = float(ev["u"][0])
        if not (lo < u < hi):
            continue
        # slope in the native parameter (u or rho) by central differences
        a_, b_ = sorted(path.piece_range(pc))
        h = 1e-6 * max(b_ - a_, 1e-300)
        xl, xr = max(rt["x"] - h, a_), min(rt["x"] + h, b_)
        slope = (float(phi(pc, np.array([xr]))[0]) - float(phi(pc, np.array([xl]))[0])) / (xr - xl) if xr > xl else 0.0
        pinned = pc["kind"] == "seg"
        if rt["continuum"]:
            status |= 2
        degenerate = rt["tangency"] or rt["continuum"] or abs(slope) < DEGENERATE_SLOPE
        stable = rt["direction"] > 0
        kind = "cutpoint_honest" if u >= t1 else "cutpoint_bluff"
        eqs.append(
            _make_eq(
                m,
                kind,
                u,
                float(1.0 - path.F(u)),
                ev["cr1"],
                ev["cr0"],
                stable,
                True,
                True,
                degenerate,
                pinned,
                both_on_path=True,
                pna=float(path.F(u)),
            )
        )
        eqs[-1]["_rho1"], eqs[-1]["_rho0"] = float(ev["cr1"]["rho"][0]), float(ev["cr0"]["rho"][0])

    types = {"kind": "interval", "lo": lo, "hi": hi}
    # pooling on no alliance (u = hi)
    q0 = float(1.0 - path.F(m.t[0]))
    pool = _pooling(m, types, on=0, q_on=q0)
    if pool is not None:
        eqs.append(_make_eq(m, "pool_no_alliance", hi, 0.0, None, pool["cr_on"], **pool["flags"]))
    # pooling on alliance (u = lo)
    q1 = float(1.0 - path.F(max(m.t[1], lo)))
    pool = _pooling(m, types, on=1, q_on=q1)
    if pool is not None:
        eqs.append(_make_eq(m, "pool_alliance", lo, 1.0, pool["cr_on"], None, **pool["flags"]))
    return eqs, status


# ----------------------------------------------------------------------------
# pooling and refinements over the off-path crisis path
# ----------------------------------------------------------------------------


def _type_points(m, types, sub=None):
    """Candidate types where a piecewise-linear-in-theta gain attains its extrema.

    ``sub`` = (a, b) restricts to an interval of the support.
    """
    if types["kind"] == "two":
        pts = [types["lo"], types["hi"]]
        if sub is not None:
            pts = [x for x in pts if sub[0] <= x <= sub[1]]
        return np.array(pts, dtype=float)
    a, b = (types["lo"], types["hi"]) if sub is None else sub
    pts = [a, b] + [t for t in (m.t[1], m.t[0]) if a < t < b]
    return np.array(pts, dtype=float)


def _response_set(m, a, qa, qb, n=N_PIECE):
    """Sampled crisis outcomes on Gamma_a restricted to q in [qa, qb].

    Returns list of (piece, lam, crisis dict of arrays).
    """
    out = []
    for pc in m.gamma_pieces(a, qa, qb):
        if pc[0] in ("R", "M", "C") and pc[1] == pc[2]:
            lam = np.array([0.0])
        else:
            lam = np.linspace(0.0, 1.0, n)
        out.append((pc, lam, m.eval_gamma_piece(a, pc, lam)))
    return out


def _dev_gain(m, theta, off, cr_off, cr_on):
    """Gain of deviating to the off-path signal ``off`` (theta and crisis arrays broadcast)."""
    if off == 1:
        return m.gain(theta, cr_off, cr_on)
    return -m.gain(theta, cr_on, cr_off)


def _bcast(cr, shape_axis):
    return {key: (np.asarray(v)[:, None] if key != "reg" else v) for key, v in cr.items()}


def _min_over_responses_of_max_dev(m, off, rset, cr_on, thetas):
    """min over responses gamma of max over thetas of the deviation gain (refined)."""
    best = math.inf
    best_at = None
    for pc, lam, cr in rset:
        vals = _dev_gain(m, thetas[None, :], off, _bcast(cr, 0), cr_on).max(axis=1)
        i = int(np.argmin(vals))
        if vals[i] < best:
            best, best_at = float(vals[i]), (pc, lam, i)
    if best_at is not None and best > m.tol and len(best_at[1]) > 1:
        pc, lam, i = best_at
        a_, b_ = lam[max(i - 1, 0)], lam[min(i + 1, len(lam) - 1)]

        def f(x):
            cr = m.eval_gamma_piece(off, pc, np.array([x]))
            return float(_dev_gain(m, thetas[None, :], off, _bcast(cr, 0), cr_on).max())

        res = optimize.minimize_scalar(f, bounds=(a_, b_), method="bounded", options={"xatol": 1e-13})
        best = min(best, float(res.fun))
    return best


def _max_dev_over_responses(m, off, rset, cr_on, thetas):
    """max over responses and thetas of the deviation gain."""
    best = -math.inf
    for _pc, _lam, cr in rset:
        best = max(best, float(_dev_gain(m, thetas[None, :], off, _bcast(cr, 0), cr_on).max()))
    return best


def _pooling(m, types, on, q_on):
    """Pooling on signal ``on`` (0: nobody allies, 1: everybody allies).

    Returns None when it is not a PBE, else {"cr_on": crisis dict, "flags": {...}}.
    """
    off = 1 - on
    t_off = m.t[off]
    lo, hi = types["lo"], types["hi"]
    # on-path crisis point
    reg = m.regime(on, q_on)
    rho, mA, mB = m.crisis_regime_arrays(on, reg, np.array([q_on]))
    cr_on = {"q": np.array([q_on]), "rho": rho, "mA": mA, "mB": mB, "reg": np.array([REGIME_CODE[reg]], dtype=np.int8)}
    all_types = _type_points(m, types)

    def hq(x):  # belief that type x would intervene after the off-path signal
        return 1.0 if x >= t_off else 0.0

    # PBE: some response to a feasible belief deters every type
    r_all = _response_set(m, off, min(hq(lo), hq(hi)), max(hq(lo), hq(hi)))
    if _min_over_responses_of_max_dev(m, off, r_all, cr_on, all_types) > m.tol:
        return None
    # D1: belief on the type with most to gain (hi for no-alliance pooling, lo for alliance)
    th_d1 = hi if on == 0 else lo
    r_d1 = _response_set(m, off, hq(th_d1), hq(th_d1))
    g_d1 = _min_over_responses_of_max_dev(m, off, r_d1, cr_on, np.array([th_d1]))
    d1_ok = g_d1 <= m.tol
    stable = g_d1 < -m.tol
    # Intuitive Criterion
    if types["kind"] == "two":
        below_pts = np.array([x for x in (lo, hi) if x < t_off])
        above_pts = np.array([x for x in (lo, hi) if x >= t_off])
    else:
        below_pts = _type_points(m, types, (lo, min(t_off, hi))) if t_off > lo else np.array([])
        above_pts = _type_points(m, types, (max(t_off, lo), hi)) if t_off <= hi else np.array([])
    has_below = len(below_pts) > 0 and _max_dev_over_responses(m, off, r_all, cr_on, below_pts) >= 0.0
    has_above = len(above_pts) > 0 and _max_dev_over_responses(m, off, r_all, cr_on, above_pts) >= 0.0
    if not (has_below or has_above):
        ic_ok = True
    else:
        qa = 0.0 if has_below else 1.0
        qb = 1.0 if has_above else 0.0
        r_ic = _response_set(m, off, qa, qb)
        # fails iff some type gains at every response to beliefs on Theta**
        if types["kind"] == "two":
            grid = all_types
        else:
            grid = np.unique(np.concatenate([np.linspace(lo, hi, 401), all_types]))
        worst = np.full(grid.shape, math.inf)
        for _pc, _lam, cr in r_ic:
            worst = np.minimum(worst, _dev_gain(m, grid[None, :], off, _bcast(cr, 0), cr_on).min(axis=0))
        ic_ok = not bool(np.any(worst > m.tol))
    return {
        "cr_on": cr_on,
        "flags": {"stable": stable, "ic_ok": ic_ok, "d1_ok": d1_ok, "degenerate": False, "pinned": False},
    }


# ----------------------------------------------------------------------------
# two-type ally (CRISIS.md 3.5, conventions.md)
# ----------------------------------------------------------------------------


class _GammaPath:
    """Gamma_a restricted to an open belief interval, in path order, for root finding.

    Pieces are those of :meth:`Model.gamma_pieces` (q increases along the path), the
    continuous ones split at a uniform G's clip beliefs (:meth:`clip_beliefs`; since
    2026-12-03: without the split a piece whose gain vanishes only where G saturates was not
    found vanishing, and joined intervals ended at the wrong q), each sampled in its local
    parameter lam in [0, 1]. :meth:`Model.gamma_pieces` itself (the poolings' response sets)
    is not split. The coordinate of the continuum rule is
    the belief q (conventions, "Two-type ally", **Hybrid continua and tangencies**): q =
    q_start + lam (q_end - q_start) on a continuous piece, the segment's q on a segment.
    """

    def __init__(self, m, a, qa, qb):
        self.m, self.a = m, a
        pieces = [
            pc for pc in m.gamma_pieces(a, qa, qb) if not (pc[0] in ("Cb", "W0") and (pc[1] <= qa or pc[1] >= qb))
        ]
        # the continuous pieces are split, like the cut-point path's u-pieces, at the
        # beliefs where a uniform G's argument tau_a(q) or tauA_a(q) = tau_a(q) + b_C
        # crosses an end of G's support (kinks of the gain; conventions, "Two-type ally",
        # **Hybrid continua and tangencies**)
        cuts = self.clip_beliefs(m, a)
        self.pieces = []
        for pc in pieces:
            if pc[0] in ("Cb", "W0") or not cuts:
                self.pieces.append(pc)
                continue
            inner = [q for q in cuts if pc[1] < q < pc[2]]
            ends = [pc[1], *inner, pc[2]]
            self.pieces += [(pc[0], q0, q1) for q0, q1 in zip(ends[:-1], ends[1:], strict=True)]

    @staticmethod
    def clip_beliefs(m, a):
        """Sorted beliefs q = ((1 - p) + e - c)/M_a, e in {0, b_C}, c in {cost_a, cost_b}
        (uniform cost only; empty otherwise), where tau_a(q) + e = c."""
        if m.cost_kind != 0 or not m.M[a] > 0.0:
            return []
        qs = {((1.0 - m.p) + e - c) / m.M[a] for e in (0.0, m.bc) for c in (m.cost_a, m.cost_b)}
        return sorted(q for q in qs if math.isfinite(q))

    def piece_range(self, pc):
        return (0.0, 1.0)

    def piece_grid(self, pc, n=N_PIECE):
        return np.linspace(0.0, 1.0, n)

    def coord_at(self, pc, x):
        """The belief q at local parameter x (exactly the piece's ends at x = 0, 1)."""
        if pc[0] in ("Cb", "W0"):
            return float(pc[1])
        x = float(x)
        if x == 0.0:
            return float(pc[1])
        if x == 1.0:
            return float(pc[2])
        return float(pc[1] + x * (pc[2] - pc[1]))

    def coord_span(self, pc):
        """(q_start, q_end) on a continuous piece; None on a segment (q fixed)."""
        return None if pc[0] in ("Cb", "W0") else (pc[1], pc[2])

    def native_at(self, pc, c):
        """The local parameter of continuous piece pc at belief c."""
        if pc[2] == pc[1]:
            return 0.0
        return float(min(max((c - pc[1]) / (pc[2] - pc[1]), 0.0), 1.0))


def _solve_two_type(m):
    """All equilibria for theta ~ TwoPoint(low, high, prior_high)."""
    thL, thH, piH = m.v["theta_a"], m.v["theta_b"], m.v["theta_c"]
    piL = 1.0 - piH
    h = {"L": 1.0 if thL >= m.t[1] else 0.0, "H": 1.0 if thH >= m.t[1] else 0.0}
    g = {"L": 1.0 if thL >= m.t[0] else 0.0, "H": 1.0 if thH >= m.t[0] else 0.0}
    th = {"L": thL, "H": thH}
    eqs = []
    status = 0

    def cr_at(a, q):
        reg = m.regime(a, q)
        rho, mA, mB = m.crisis_regime_arrays(a, reg, np.array([q]))
        return {"q": np.array([q]), "rho": rho, "mA": mA, "mB": mB, "reg": np.array([REGIME_CODE[reg]], dtype=np.int8)}

    def gain_of(x, cr1, cr0):
        return float(m.gain(np.array([x]), cr1, cr0)[0])

    # separating profiles (sigma_L, sigma_H) = (0, 1) and (1, 0)
    for ally, stay in (("H", "L"), ("L", "H")):
        cr1 = cr_at(1, h[ally])
        cr0 = cr_at(0, g[stay])
        ga, gs = gain_of(th[ally], cr1, cr0), gain_of(th[stay], cr1, cr0)
        if ga >= -m.tol and gs <= m.tol:
            pa = piH if ally == "H" else piL
            eqs.append(
                _make_eq(m, "separating", math.nan, pa, cr1, cr0, ga > m.tol and gs < -m.tol, True, True, False, False)
            )
    types = {"kind": "two", "lo": thL, "hi": thH}
    pool = _pooling(m, types, on=0, q_on=piH * g["H"] + piL * g["L"])
    if pool is not None:
        eqs.append(_make_eq(m, "pool_no_alliance", math.nan, 0.0, None, pool["cr_on"], **pool["flags"]))
    pool = _pooling(m, types, on=1, q_on=piH * h["H"] + piL * h["L"])
    if pool is not None:
        eqs.append(_make_eq(m, "pool_alliance", math.nan, 1.0, pool["cr_on"], None, **pool["flags"]))

    # one type mixing.  (mixer, other's sigma, moving signal)
    cases = [("L", 1.0, 1), ("H", 0.0, 0), ("L", 0.0, 0), ("H", 1.0, 1)]
    prior = {"L": piL, "H": piH}
    for mixer, s_other, a in cases:
        other = "H" if mixer == "L" else "L"
        ind = h if a == 1 else g
        # on the moving signal: fixed mass of the pure type, x_a its indicator;
        # mixing mass w in (0, prior[mixer]) with indicator x_b
        fixed = prior[other] * (s_other if a == 1 else 1.0 - s_other)
        x_a, x_b = ind[other], ind[mixer]
        if fixed <= 0.0 or x_a == x_b:
            continue  # belief does not move with sigma (non-generic, skipped)
        q_end = (fixed * x_a + prior[mixer] * x_b) / (fixed + prior[mixer])
        qa, qb = sorted((x_a, q_end))
        # the other signal b is sent only by the mixer's remaining mass: its belief is
        # the mixer's own intervention indicator
        b = 1 - a
        ind_b = h if b == 1 else g
        qbel = ind_b[mixer]
        cr_b = cr_at(b, qbel)
        gp = _GammaPath(m, a, qa, qb)

        def dev(pc, lam, mixer=mixer, a=a, cr_b=cr_b):
            cr = m.eval_gamma_piece(a, pc, lam)
            cr1, cr0 = (cr, cr_b) if a == 1 else (cr_b, cr)
            return m.gain(th[mixer], cr1, cr0)

        def scale(pc, lam, mixer=mixer, a=a, cr_b=cr_b):
            # conventions, "Two-type ally", **Hybrid continua and tangencies**:
            # Z = 1e-15 (1 + k + X_0 theta_m + X_1 theta_m + L_0(theta_m) + L_1(theta_m)),
            # X_alpha = rho_alpha P^ch_alpha at the pair's crisis points (the moving
            # signal's point on Gamma, the fixed signal's point cr_b)
            cr = m.eval_gamma_piece(a, pc, lam)
            x = th[mixer]
            z = 1.0 + m.k + abs(float(m.L(0, x))) + abs(float(m.L(1, x)))
            z = z + float(cr_b["rho"][0] * (cr_b["mA"][0] + cr_b["mB"][0])) * x
            z = z + cr["rho"] * (cr["mA"] + cr["mB"]) * x
            return CONTINUUM_ROUNDING * z

        for rt in _find_path_roots(gp, dev, scale_eval=scale, intervals_on=m.omega > 0.0):
            pc = gp.pieces[rt["piece"]]
            cr = m.eval_gamma_piece(a, pc, np.array([rt["x"]]))
            q = float(cr["q"][0])
            if not (qa < q < qb) and pc[0] not in ("Cb", "W0"):
                continue
            if q == x_b:
                continue
            if m.omega <= 0.0 and rt["continuum"]:
                # where A1 holds the hybrids are the canonical model's and the continuum rule
                # does not apply: a vanishing interval gives no hybrid (conventions, "Two-type
                # ally", **Hybrid continua and tangencies**, last paragraph). No intervals are
                # formed there (intervals_on above), so a sign change of a gain below Z is
                # still a root, as the canonical closed form pins sigma through P*; this is a
                # guard only.
                continue
            if m.omega <= 0.0:
                # where A1 holds the crisis model is the canonical one (CRISIS.md, intro):
                # an isolated hybrid is kept only where the moving
                # signal's challenge probability is strictly inside (0, 1), as the canonical
                # "Two-type ally" rules require ("needs 0 < P* < 1"). Where A1 fails D's
                # mixing can pin a hybrid with P^ch = 1, so no such condition there.
                # Checked both at the root and on the value the mixer's indifference pins,
                # computed as the canonical rules do from the fixed signal's challenge
                # probability (P_1* = (P_0 L_0 - k)/L_1, P_0* = (P_1 L_1 + k)/L_0, with L of
                # the moving signal > 0): where P^ch is within rounding of 1 the root's
                # P^ch can be 1 - 4e-16 while the canonical P* is exactly 1.
                pch = float(cr["mA"][0] + cr["mB"][0])
                if not (0.0 < pch < 1.0):
                    continue
                p_b = float(cr_b["mA"][0] + cr_b["mB"][0])
                l_a, l_b = float(m.L(a, th[mixer])), float(m.L(b, th[mixer]))
                if not l_a > 0.0:
                    continue
                p_pin = (p_b * l_b - m.k) / l_a if a == 1 else (p_b * l_b + m.k) / l_a
                if not (0.0 < p_pin < 1.0):
                    continue
            w = fixed * (x_a - q) / (q - x_b)
            if not (0.0 < w < prior[mixer]):
                continue
            if a == 1:
                sigma = w / prior[mixer]  # mixer allies with prob sigma
            else:
                sigma = 1.0 - w / prior[mixer]  # w is the mass that does not ally
            cr1, cr0 = (cr, cr_b) if a == 1 else (cr_b, cr)
            go = gain_of(th[other], cr1, cr0)
            if s_other == 1.0 and go < -m.tol:
                continue
            if s_other == 0.0 and go > m.tol:
                continue
            # stability: d Gain_mixer / d sigma < 0
            dq_dw = np.sign(x_b - x_a)
            dw_dsigma = 1.0 if a == 1 else -1.0
            direction = rt["direction"]
            stable = direction * dq_dw * dw_dsigma < 0
            sig = {mixer: sigma, other: s_other}
            pa = piH * sig["H"] + piL * sig["L"]
            e = _make_eq(
                m,
                "hybrid",
                math.nan,
                pa,
                cr1,
                cr0,
                stable,
                True,
                True,
                rt["tangency"] or rt["continuum"],
                pc[0] in ("Cb", "W0"),
                both_on_path=True,
            )
            e["_sigma_L"], e["_sigma_H"] = sig["L"], sig["H"]
            e["_rho1"], e["_rho0"] = float(cr1["rho"][0]), float(cr0["rho"][0])
            eqs.append(e)
            if rt["continuum"]:
                status |= 2  # a kept hybrid continuum candidate
    return eqs, status


# ----------------------------------------------------------------------------
# drivers
# ----------------------------------------------------------------------------


def _sort_key(e):
    def f(x):
        return math.inf if (x is None or (isinstance(x, float) and math.isnan(x))) else x

    return (e["prob_alliance"], e["kind"], f(e["cutpoint"]), int(e["pinned"]), f(e.get("_rho1")), f(e.get("_rho0")))


def solve_crisis_point(point, max_eq=8):
    """All equilibria of one point.

    Parameters
    ----------
    point : dict
        Scalar flat columns of ``docs/conventions.md``.
    max_eq : int
        Number of slots; extra equilibria are dropped (status bit value 1).

    Returns
    -------
    dict
        ``{"point": {per-point outputs}, "equilibria": [dict per equilibrium]}`` in slot
        order (prob_alliance ascending, then kind code, cutpoint, unpinned first, rho_1,
        rho_0).  Private helper keys start with ``_``.
    """
    m = Model(point)
    if m.theta_kind == 0:
        eqs, status = _solve_continuous(m)
    else:
        eqs, status = _solve_two_type(m)
    eqs.sort(key=_sort_key)
    if len(eqs) > max_eq:
        status |= 1
        eqs = eqs[:max_eq]
    if eqs:
        best = max(range(len(eqs)), key=lambda i: (eqs[i]["d1_ok"], eqs[i]["stable"], eqs[i]["prob_alliance"], -i))
        eqs[best]["selected"] = True
    c = m.c_range
    nc = False
    for e in eqs:
        for a in (1, 0):
            s = SIGNAL_NAMES[a]
            if e[f"crisis_regime_{s}"] >= 0:
                nc = nc or _nc_at(m, a, {"q": e[f"belief_{s}"]})
    pt = {
        "n_eq": len(eqs),
        "status": status,
        "range_lo_alone": min(max(m.p - m.cd, 0.0), 1.0),
        "range_hi_alone": min(max(m.p + c, 0.0), 1.0),
        "range_lo_joint": min(max(m.pp[1] - m.cdj, 0.0), 1.0),
        "range_hi_joint": min(max(m.pp[1] + c + m.dc, 0.0), 1.0),
        "nc_branch": bool(nc),
        "bluff_mass_free": bool(m.bc == 0.0),
    }
    return {"point": pt, "equilibria": eqs}


def solve_crisis_reference(columns, max_eq=8):
    """Solve N points given as flat 1-D columns.

    Parameters
    ----------
    columns : dict of str -> array_like
        Flat columns of length N (``range_cost`` and ``theta_c`` may be omitted).
    max_eq : int
        Slots per point.

    Returns
    -------
    dict of str -> ndarray
        Per-point arrays of shape (N,) and per-equilibrium arrays of shape (N, max_eq)
        with fills NaN (float), False (bool), -1 (int8 kind / crisis_regime_*).
    """
    cols = {k: np.asarray(v) for k, v in columns.items()}
    n = len(cols["p"])
    out = {}
    for name in POINT_INT:
        out[name] = np.zeros(n, dtype=np.int64)
    for name in POINT_FLOAT:
        out[name] = np.full(n, np.nan)
    for name in POINT_BOOL:
        out[name] = np.zeros(n, dtype=bool)
    for name in EQ_FLOAT:
        out[name] = np.full((n, max_eq), np.nan)
    for name in EQ_BOOL:
        out[name] = np.zeros((n, max_eq), dtype=bool)
    for name in EQ_INT8:
        out[name] = np.full((n, max_eq), -1, dtype=np.int8)
    for i in range(n):
        point = {k: v[i].item() for k, v in cols.items()}
        res = solve_crisis_point(point, max_eq=max_eq)
        for name, val in res["point"].items():
            out[name][i] = val
        for j, e in enumerate(res["equilibria"]):
            for name in EQ_FLOAT + EQ_BOOL + EQ_INT8:
                out[name][i, j] = e[name]
    return out
