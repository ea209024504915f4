"""Independent reference for smooth folds of the cut-point equilibrium correspondence.

Built from MODEL.md alone (A1: p - c_d >= 0, so D always resists and P_alpha = G(tau_alpha)), for
theta ~ Uniform(lo, hi) and a logistic, normal or uniform challenger cost G. NumPy and SciPy only;
nothing here imports allysweep, so it can serve as an oracle for ``asw.branches``.

Phi and its u-derivatives (MODEL.md §5-§6), with F(u) = (u - lo)/(hi - lo):

- tau_a(u) = (1 - p) - q_a(u) M_a,  M_a = p'_a - p + Delta_C,  P_a = G(tau_a);
- q_1 = 1 for u >= t_1, else (hi - t_1)/(hi - u) (0 when t_1 >= hi);
- q_0 = 0 for u <= t_0, else (u - t0c)/(u - lo) with t0c = max(t_0, lo);
- L_1 = (1 - p'_1) u + c_A for u >= t_1, else (1 - p) u + r;
  L_0 = (1 - p'_0) u + c_A for u >= t_0, else (1 - p) u   (the kinks of L_a are t_a);
- Phi = P_0 L_0 - P_1 L_1 - k.

On a smooth piece L_a is affine, so with P_a' = g(tau_a) tau_a', tau_a' = -M_a q_a',
P_a'' = g'(tau_a) tau_a'^2 + g(tau_a) tau_a'':

- Phi'  = P_0' L_0 + P_0 L_0' - P_1' L_1 - P_1 L_1',
- Phi'' = P_0'' L_0 + 2 P_0' L_0' - P_1'' L_1 - 2 P_1' L_1'.

Consequences used to construct the cases: in region I (u < t_1 <= t_0) q_0 = 0, so
Phi' = (G(1 - p) - P_1)(1 - p) + g(tau_1) M_1 q_1' L_1 > 0 (monotone, no fold); in region II both
beliefs are constant and Phi is affine (no fold). Smooth folds therefore live in region III
(u > t_0), where P_0 falls with q_0(u) while L_0 rises; a steep G (small logistic or normal scale)
gives Phi an interior maximum there, and a wider one can give a maximum followed by a minimum.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

__all__ = [
    "BASE",
    "FOLD_CASES",
    "S_SHAPE",
    "breakpoints",
    "d2phi",
    "dphi",
    "dphi_dparam",
    "fold",
    "interior_roots",
    "local_extrema",
    "phi",
    "phi_derivs",
    "smooth_piece",
    "with_param",
]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------------


def _unpack(params: dict) -> dict:
    """Validate the parameters this reference covers and return the derived constants."""
    p = float(params["p"])
    p1 = float(params["p_alliance"])
    p0 = float(params.get("p_coalition", p1))
    c_d = float(params.get("c_d", 0.0))
    c_a = float(params["c_a"])
    r = float(params["r"])
    extra = float(params["c_c_extra"])
    if not 0.0 < p < 1.0:
        raise ValueError(f"p = {p} outside (0, 1)")
    if not p < p0 <= p1 <= 1.0:
        raise ValueError(f"need p < p_coalition <= p_alliance <= 1, got {p}, {p0}, {p1}")
    if p - c_d < 0.0:
        raise ValueError(f"A1 fails: p - c_d = {p - c_d} < 0 (this reference is for the canonical model)")
    if c_a <= 0.0 or r < 0.0 or extra < 0.0:
        raise ValueError("need c_a > 0, r >= 0, c_c_extra >= 0")
    kind, lo, hi = params["theta"]
    if kind != "uniform" or not 0.0 <= lo < hi:
        raise ValueError(f"theta must be ('uniform', lo, hi) with 0 <= lo < hi, got {params['theta']}")
    ckind, ca, cb = params["cost_c"]
    if ckind not in ("logistic", "normal", "uniform"):
        raise ValueError(f"unknown cost_c kind {ckind!r}")
    if ckind == "uniform" and not ca < cb:
        raise ValueError("uniform cost_c needs lo < hi")
    if ckind != "uniform" and not cb > 0.0:
        raise ValueError("cost_c scale must be > 0")
    return {
        "p": p,
        "p1": p1,
        "p0": p0,
        "c_a": c_a,
        "r": r,
        "k": float(params["k"]),
        "m1": p1 - p + extra,
        "m0": p0 - p + extra,
        "t1": (c_a - r) / (p1 - p),
        "t0": c_a / (p0 - p),
        "lo": float(lo),
        "hi": float(hi),
        "cost": (ckind, float(ca), float(cb)),
    }


def with_param(params: dict, name: str, value: float) -> dict:
    """A copy of ``params`` with the scalar parameter ``name`` set to ``value``."""
    if name not in params or isinstance(params[name], tuple | list):
        raise KeyError(f"{name!r} is not a scalar parameter")
    out = dict(params)
    out[name] = float(value)
    return out


# ----------------------------------------------------------------------------------------------
# the challenger's cost distribution G: cdf, density, density derivative
# ----------------------------------------------------------------------------------------------


def _g012(cost: tuple, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kind, a, b = cost
    if kind == "logistic":
        z = (x - a) / b
        big = special.expit(z)
        small = special.expit(-z)  # 1 - G without cancellation in the upper tail
        dens = big * small / b
        return big, dens, dens * (small - big) / b
    if kind == "normal":
        z = (x - a) / b
        dens = np.exp(-0.5 * z * z) / (b * _SQRT_2PI)
        return special.ndtr(z), dens, -z * dens / b
    width = b - a
    inside = (x > a) & (x < b)
    return np.clip((x - a) / width, 0.0, 1.0), np.where(inside, 1.0 / width, 0.0), np.zeros_like(x)


# ----------------------------------------------------------------------------------------------
# Phi and its derivatives on the smooth pieces
# ----------------------------------------------------------------------------------------------


def _beliefs(c: dict, u: np.ndarray) -> tuple:
    """q_1, q_1', q_1'' and q_0, q_0', q_0'' at u (one-sided from the right at the kinks)."""
    lo, hi, t1, t0 = c["lo"], c["hi"], c["t1"], c["t0"]
    zero = np.zeros_like(u)
    # q_1: region I (u < t_1) with lo <= t_1 < hi; honest otherwise.
    if t1 >= hi:
        q1, d1, dd1 = zero, zero.copy(), zero.copy()
    else:
        bluff = u < t1
        gap = np.where(bluff, hi - u, 1.0)
        num = hi - t1
        q1 = np.where(bluff, num / gap, 1.0)
        d1 = np.where(bluff, num / gap**2, 0.0)
        dd1 = np.where(bluff, 2.0 * num / gap**3, 0.0)
    # q_0: region III (u > t_0).
    if t0 >= hi:
        q0, d0, dd0 = zero.copy(), zero.copy(), zero.copy()
    else:
        t0c = max(t0, lo)
        above = u > t0c if t0 >= lo else np.ones_like(u, dtype=bool)
        span = np.where(above, u - lo, 1.0)
        q0 = np.where(above, (u - t0c) / span, 0.0)
        d0 = np.where(above, (t0c - lo) / span**2, 0.0)
        dd0 = np.where(above, -2.0 * (t0c - lo) / span**3, 0.0)
    return q1, d1, dd1, q0, d0, dd0


def phi_derivs(params: dict, u) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phi(u), dPhi/du and d2Phi/du2 (analytic, valid on the smooth pieces; one-sided at kinks)."""
    c = _unpack(params)
    u = np.asarray(u, dtype=float)
    p, p1, p0, c_a, r = c["p"], c["p1"], c["p0"], c["c_a"], c["r"]
    q1, d1, dd1, q0, d0, dd0 = _beliefs(c, u)
    big1, dens1, ddens1 = _g012(c["cost"], (1.0 - p) - q1 * c["m1"])
    big0, dens0, ddens0 = _g012(c["cost"], (1.0 - p) - q0 * c["m0"])
    tau1d, tau1dd = -c["m1"] * d1, -c["m1"] * dd1
    tau0d, tau0dd = -c["m0"] * d0, -c["m0"] * dd0
    pd1, pdd1 = dens1 * tau1d, ddens1 * tau1d**2 + dens1 * tau1dd
    pd0, pdd0 = dens0 * tau0d, ddens0 * tau0d**2 + dens0 * tau0dd
    honest = u >= c["t1"]
    l1 = np.where(honest, (1.0 - p1) * u + c_a, (1.0 - p) * u + r)
    l1d = np.where(honest, 1.0 - p1, 1.0 - p)
    helps = u >= c["t0"]
    l0 = np.where(helps, (1.0 - p0) * u + c_a, (1.0 - p) * u)
    l0d = np.where(helps, 1.0 - p0, 1.0 - p)
    val = big0 * l0 - big1 * l1 - c["k"]
    der = pd0 * l0 + big0 * l0d - pd1 * l1 - big1 * l1d
    der2 = pdd0 * l0 + 2.0 * pd0 * l0d - pdd1 * l1 - 2.0 * pd1 * l1d
    return val, der, der2


def phi(params: dict, u):
    """MODEL.md's Phi(u) = P_0 L_0 - P_1 L_1 - k (scalar in, float out; arrays broadcast)."""
    val = phi_derivs(params, u)[0]
    return float(val) if val.ndim == 0 else val


def dphi(params: dict, u):
    """Analytic dPhi/du on a smooth piece."""
    val = phi_derivs(params, u)[1]
    return float(val) if val.ndim == 0 else val


def d2phi(params: dict, u):
    """Analytic d2Phi/du2 on a smooth piece."""
    val = phi_derivs(params, u)[2]
    return float(val) if val.ndim == 0 else val


# ----------------------------------------------------------------------------------------------
# smooth pieces
# ----------------------------------------------------------------------------------------------


def breakpoints(params: dict) -> list[float]:
    """lo, the kinks of Phi inside (lo, hi) (t_1, t_0, clipping points of a uniform G) and hi."""
    c = _unpack(params)
    lo, hi, t1, t0, p = c["lo"], c["hi"], c["t1"], c["t0"], c["p"]
    pts = [t for t in (t1, t0) if lo < t < hi]
    kind, ca, cb = c["cost"]
    if kind == "uniform":
        for edge in (ca, cb):
            # tau_1 = edge in region I, where q_1 = (hi - t_1)/(hi - u)
            x1 = (1.0 - p - edge) / c["m1"]
            if lo <= t1 < hi and x1 > 0.0:
                u = hi - (hi - t1) / x1
                if lo < u < t1:
                    pts.append(u)
            # tau_0 = edge in region III, where q_0 = (u - t0c)/(u - lo)
            x0 = (1.0 - p - edge) / c["m0"]
            if t0 < hi and 0.0 < x0 < 1.0:
                t0c = max(t0, lo)
                u = (t0c - x0 * lo) / (1.0 - x0)
                if max(t0, lo) < u < hi:
                    pts.append(u)
    return [lo, *sorted(set(pts)), hi]


def smooth_piece(params: dict, u: float) -> tuple[float, float]:
    """The smooth piece (a, b) of Phi that contains u strictly inside; ValueError if u is a kink."""
    pts = breakpoints(params)
    width = pts[-1] - pts[0]
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        if a < u < b:
            if min(u - a, b - u) < 1e-9 * width:
                break
            return a, b
    raise ValueError(f"u = {u!r} is not strictly inside a smooth piece (breakpoints {pts})")


# ----------------------------------------------------------------------------------------------
# interior roots on a fine grid
# ----------------------------------------------------------------------------------------------


def interior_roots(params: dict, n: int = 200_001) -> list[tuple[float, bool]]:
    """Every interior root of Phi on (lo, hi) with its stability (Phi' > 0).

    A grid of ``n`` points on each smooth piece (kinks included), each sign change refined with
    brentq. Tangencies without a sign change are not reported.
    """
    pts = breakpoints(params)
    lo, hi = pts[0], pts[-1]
    found: list[tuple[float, bool]] = []

    def add(root: float, stable: bool) -> None:
        if lo < root < hi and not any(abs(root - x) <= 1e-13 * (hi - lo) for x, _ in found):
            found.append((root, stable))

    def f(x: float) -> float:
        return float(phi_derivs(params, x)[0])

    for a, b in zip(pts[:-1], pts[1:], strict=True):
        grid = np.linspace(a, b, n)
        vals = phi_derivs(params, grid)[0]
        sign = np.sign(vals)
        for i in np.flatnonzero(sign == 0.0):  # a grid point that is an exact root (right derivative)
            add(float(grid[i]), float(phi_derivs(params, grid[i])[1]) > 0.0)
        for i in np.flatnonzero(sign[:-1] * sign[1:] < 0.0):
            root = optimize.brentq(f, grid[i], grid[i + 1], xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
            add(root, float(phi_derivs(params, root)[1]) > 0.0)
    found.sort()
    return found


# ----------------------------------------------------------------------------------------------
# folds
# ----------------------------------------------------------------------------------------------


def local_extrema(params: dict, n: int = 20_001) -> list[tuple[float, str, float]]:
    """Interior extrema of Phi on the smooth pieces: (u, 'max' | 'min', Phi(u)), refined by brentq on Phi'."""
    pts = breakpoints(params)
    out = []
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        grid = np.linspace(a, b, n)[1:-1]
        der = phi_derivs(params, grid)[1]
        for i in np.flatnonzero(np.sign(der[:-1]) * np.sign(der[1:]) < 0.0):
            u = optimize.brentq(lambda x: float(phi_derivs(params, x)[1]), grid[i], grid[i + 1], xtol=1e-300)
            out.append((u, "max" if der[i] > 0.0 else "min", float(phi_derivs(params, u)[0])))
    return out


def _extremum_near(params: dict, u0: float) -> float:
    """The root of Phi' nearest u0 inside u0's smooth piece (a sign change of Phi' must bracket it)."""
    a, b = smooth_piece(params, u0)
    lo, hi = a + 1e-12 * (b - a), b - 1e-12 * (b - a)

    def der(x: float) -> float:
        return float(phi_derivs(params, x)[1])

    step = 1e-7 * (b - a)
    while True:
        left, right = max(u0 - step, lo), min(u0 + step, hi)
        if der(left) * der(right) < 0.0:
            break
        if left == lo and right == hi:
            raise ValueError(f"no sign change of Phi' around u = {u0} in its piece ({a}, {b})")
        step *= 4.0
    return optimize.brentq(der, left, right, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


def fold(params: dict, name: str, lam_guess: float, u_guess: float) -> tuple[float, float]:
    """A smooth fold (lam*, u*) of the interior equilibria along the scalar parameter ``name``.

    Solves Phi(u; lam) = 0 = dPhi/du(u; lam) with fsolve (analytic u-derivatives, xtol 1e-14), then
    polishes: u_ext(lam) = root of the analytic Phi' (brentq), and lam* = root of
    h(lam) = Phi(u_ext(lam); lam) (brentq; h' = dPhi/dlam by the envelope theorem). Checks that u*
    is strictly inside a smooth piece, |Phi| < 1e-13, |Phi'| < 1e-12 and that the fold is
    non-degenerate (Phi'' != 0, dPhi/dlam != 0).
    """

    def at(lam: float) -> dict:
        return with_param(params, name, lam)

    def residual(x: np.ndarray) -> np.ndarray:
        val, der, _ = phi_derivs(at(x[0]), x[1])
        return np.array([float(val), float(der)])

    def jacobian(x: np.ndarray) -> np.ndarray:
        lam, u = float(x[0]), float(x[1])
        h = 1e-6 * max(1.0, abs(lam))
        plus, minus = phi_derivs(at(lam + h), u), phi_derivs(at(lam - h), u)
        _, der, der2 = phi_derivs(at(lam), u)
        return np.array(
            [
                [float(plus[0] - minus[0]) / (2 * h), float(der)],
                [float(plus[1] - minus[1]) / (2 * h), float(der2)],
            ]
        )

    sol, info, ier, msg = optimize.fsolve(
        residual, np.array([lam_guess, u_guess], dtype=float), fprime=jacobian, xtol=1e-14, full_output=True
    )
    if ier != 1 and np.max(np.abs(info["fvec"])) > 1e-10:
        raise RuntimeError(f"fsolve did not converge for the fold in {name}: {msg}")
    lam0, u0 = float(sol[0]), float(sol[1])
    smooth_piece(at(lam0), u0)

    # polish: h(lam) = Phi(u_ext(lam); lam) is smooth near lam* with h' = dPhi/dlam != 0
    def h(lam: float) -> float:
        return float(phi_derivs(at(lam), _extremum_near(at(lam), u0))[0])

    h0 = h(lam0)
    slope = float(jacobian(np.array([lam0, u0]))[0, 0])
    if slope == 0.0:
        raise RuntimeError("dPhi/dlam = 0 at the fold: not transversal")
    step = max(abs(h0 / slope), 1e-12 * max(1.0, abs(lam0)))
    for _ in range(60):
        a, b = lam0 - step, lam0 + step
        ha, hb = h(a), h(b)
        if ha * hb <= 0.0:
            break
        step *= 2.0
    else:
        raise RuntimeError("could not bracket the fold in the polish step")
    if ha == 0.0 or hb == 0.0:
        lam_star = a if ha == 0.0 else b
    else:
        lam_star = optimize.brentq(h, a, b, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    here = at(lam_star)
    u_star = _extremum_near(here, u0)
    smooth_piece(here, u_star)
    val, der, der2 = (float(x) for x in phi_derivs(here, u_star))
    if abs(val) >= 1e-13 or abs(der) >= 1e-12:
        raise RuntimeError(f"fold not polished: Phi = {val:.3e}, Phi' = {der:.3e}")
    if der2 == 0.0:
        raise RuntimeError("Phi'' = 0 at the fold: degenerate (cusp)")
    return lam_star, u_star


# ----------------------------------------------------------------------------------------------
# constructed fold cases (computed at import; only the seeds below are typed in)
# ----------------------------------------------------------------------------------------------

#: MODEL.md §10 base parameters (the API defaults); cost_c is replaced in every case.
BASE = {
    "p": 0.4,
    "p_alliance": 0.7,
    "p_coalition": 0.7,
    "c_d": 0.1,
    "c_d_joint": 0.05,
    "c_c_extra": 0.1,
    "c_a": 0.15,
    "k": 0.03,
    "r": 0.06,
    "b_c": 0.05,
    "theta": ("uniform", 0.0, 1.0),
    "cost_c": ("uniform", 0.0, 1.0),
}

#: An S-shaped Phi in region III (a maximum, then a minimum): needs p_alliance > p_coalition.
S_SHAPE = {
    "p": 0.1,
    "p_alliance": 0.9,
    "p_coalition": 0.4,
    "c_d": 0.05,
    "c_d_joint": 0.02,
    "c_c_extra": 0.4,
    "c_a": 0.02,
    "k": 0.056,
    "r": 0.01,
    "b_c": 0.05,
    "theta": ("uniform", 0.0, 1.0),
    "cost_c": ("logistic", 0.45, 0.1),
}


def dphi_dparam(params: dict, name: str, u: float, rel: float = 1e-5) -> float:
    """dPhi/dlam at u by a 4th-order central difference (only used for the side and the sqrt law)."""
    lam = float(params[name])
    h = rel * max(abs(lam), 1e-3)
    vals = [float(phi_derivs(with_param(params, name, lam + j * h), u)[0]) for j in (-2, -1, 1, 2)]
    return (vals[0] - 8.0 * vals[1] + 8.0 * vals[2] - vals[3]) / (12.0 * h)


def _case(params: dict, name: str, lam_guess: float, u_guess: float, margins: tuple, note: str) -> dict:
    lam_star, u_star = fold(params, name, lam_guess, u_guess)
    here = with_param(params, name, lam_star)
    curvature = float(phi_derivs(here, u_star)[2])
    slope = dphi_dparam(here, name, u_star)
    # near the fold Phi(u; lam) ~ slope (lam - lam*) + curvature (u - u*)^2 / 2: two roots where
    # slope (lam - lam*) has the sign opposite to the curvature
    roots_above = slope * curvature < 0.0
    return {
        "params": here,
        "name": name,
        "lo": round(lam_star * (1.0 - margins[0]), 4),
        "hi": round(lam_star * (1.0 + margins[1]), 4),
        "lam_star": lam_star,
        "u_star": u_star,
        "roots_side": "above" if roots_above else "below",
        "phi_uu": curvature,
        "phi_lam": slope,
        "piece": smooth_piece(here, u_star),
        "note": note,
    }


FOLD_CASES: list[dict] = [
    _case(
        {**BASE, "cost_c": ("logistic", 0.45, 0.02)},
        "k",
        0.328,
        0.633,
        (0.2, 0.15),
        "hump: steep logistic G gives Phi an interior maximum in region III (t_0 = 0.5 < u*); "
        "k* = k + Phi(u_max). For k < k* a stable root (left) and an unstable root (right) in region III "
        "(the stable one moves into region II further from the fold); none for k > k*.",
    ),
    _case(
        dict(S_SHAPE),
        "k",
        0.0542,
        0.40,
        (0.15, 0.2),
        "S-shape (p_alliance 0.9 > p_coalition 0.4): fold at the region-III local minimum. For k > k* an "
        "unstable (left) and a stable (right) root appear next to a stable root near t_0 (3 interior "
        "roots); for k < k* only the stable root near t_0 remains.",
    ),
    _case(
        {**BASE, "k": 0.33, "cost_c": ("normal", 0.45, 0.03)},
        "c_a",
        0.1474,
        0.634,
        (0.2, 0.15),
        "hump with normal G at k = 0.33, along c_a (t_0 = c_a/0.3 moves with c_a): for c_a > c_a* a stable "
        "and an unstable root in region III; the stable one crosses the kink t_0 into region II near "
        "c_a = 0.165 (no change in the root count); none for c_a < c_a*.",
    ),
    _case(
        {**BASE, "k": 0.34, "cost_c": ("logistic", 0.42, 0.02)},
        "p",
        0.351,
        0.681,
        (0.1, 0.1),
        "hump with logistic G at k = 0.34, along p (c_d = 0.1 keeps A1): for p > p* a stable and an "
        "unstable root in region III; none for p < p*.",
    ),
    _case(
        dict(S_SHAPE),
        "c_a",
        0.02066,
        0.414,
        (0.15, 0.15),
        "S-shape at k = 0.056, along c_a: for c_a < c_a* three roots (stable near t_0, then the merging "
        "unstable/stable pair in region III); for c_a > c_a* one.",
    ),
    _case(
        dict(S_SHAPE),
        "p",
        0.1177,
        0.413,
        (0.15, 0.15),
        "S-shape at k = 0.056, along p (c_d = 0.05 keeps A1): for p < p* three roots, for p > p* one.",
    ),
    _case(
        {**BASE, "theta": ("uniform", 0.2, 1.2), "cost_c": ("normal", 0.45, 0.03)},
        "k",
        0.3194,
        0.5785,
        (0.25, 0.2),
        "hump with theta ~ U[0.2, 1.2] and normal G, along k: two roots in region III for k < k*, none above.",
    ),
]
