//! Scalar root-finding helpers: a stable quadratic solver and Brent's method.

/// Real roots of a2 u² + a1 u + a0 = 0, with a flag telling whether they form a double root
/// (a tangency). Uses the cancellation-free form of the quadratic formula.
pub(crate) fn quadratic_roots(a2: f64, a1: f64, a0: f64) -> ([f64; 2], usize, bool) {
    let mut roots = [f64::NAN; 2];
    if a2 == 0.0 {
        if a1 != 0.0 {
            roots[0] = -a0 / a1;
            return (roots, 1, false);
        }
        return (roots, 0, false);
    }
    let disc = a1 * a1 - 4.0 * a2 * a0;
    let scale = a1 * a1 + (4.0 * a2 * a0).abs();
    if disc < 0.0 {
        if disc > -1e-13 * scale {
            roots[0] = -a1 / (2.0 * a2);
            return (roots, 1, true);
        }
        return (roots, 0, false);
    }
    if disc <= 1e-13 * scale {
        roots[0] = -a1 / (2.0 * a2);
        return (roots, 1, true);
    }
    let q = -0.5 * (a1 + a1.signum() * disc.sqrt());
    roots[0] = q / a2;
    if q != 0.0 {
        roots[1] = a0 / q;
        return (roots, 2, false);
    }
    (roots, 1, false)
}

/// Brent's method on [a, b] with f(a)·f(b) <= 0, to absolute tolerance `tol` in x.
pub(crate) fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64, tol: f64) -> f64 {
    let x = brent_to_tol(&f, a, b, fa, fb, tol);
    // Within `tol` of an end where f is not zero, the root is strictly inside: a caller that
    // keeps only interior roots would lose it (e.g. a cutpoint 1e-39 above the lowest type).
    if (x == a && fa != 0.0) || (x == b && fb != 0.0) {
        return bisect_to_adjacent(&f, a, b, fa, fb);
    }
    x
}

/// Bisection down to adjacent floats; returns the end with the smaller |f| that is not an end of
/// the original bracket where f is nonzero.
fn bisect_to_adjacent(f: impl Fn(f64) -> f64, a0: f64, b0: f64, fa0: f64, fb0: f64) -> f64 {
    let (mut a, mut b, mut fa, mut fb) = (a0, b0, fa0, fb0);
    for _ in 0..2200 {
        let m = a + 0.5 * (b - a);
        if m <= a || m >= b {
            break;
        }
        let fm = f(m);
        if fm == 0.0 {
            return m;
        }
        if (fm > 0.0) == (fa > 0.0) {
            (a, fa) = (m, fm);
        } else {
            (b, fb) = (m, fm);
        }
    }
    let a_ok = !(a == a0 && fa0 != 0.0);
    let b_ok = !(b == b0 && fb0 != 0.0);
    match (a_ok, b_ok) {
        (true, true) if fb.abs() < fa.abs() => b,
        (true, _) => a,
        _ => b,
    }
}

fn brent_to_tol(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64, mut fa: f64, mut fb: f64, tol: f64) -> f64 {
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if 2.0 * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
    }
    b
}

/// Golden-section search for the minimum of f on [a, b]; returns (x, f(x)).
pub(crate) fn golden_min(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64, tol: f64) -> (f64, f64) {
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    // Bounded: on a huge interval (a type support up to 1e300) an absolute `tol` is below the
    // spacing of the floats there, and `b - a > tol` would hold for ever (tests/fuzz_batch.rs).
    // 2000 steps shrink any finite interval below any tolerance the floats can resolve.
    for _ in 0..2000 {
        let width = b - a;
        if width <= tol || width.is_nan() {
            break;
        }
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    if f1 < f2 {
        (x1, f1)
    } else {
        (x2, f2)
    }
}

/// One root found by [`all_roots`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub x: f64,
    /// A tangency (an extremum touching zero) rather than a sign change.
    pub tangent: bool,
}

/// Push every root of `f` on [a, b] (grid of `cells` cells, roots refined to `tol`): a grid finds
/// sign changes, Brent refines them, and shallow local extrema are searched for root pairs or
/// tangencies that the grid cannot see. `edge_sub` > 1 splits the first and last cells into that
/// many sub-cells: the extremum search needs a grid point on each side, so a root pair inside an
/// end cell (next to a kink of the caller's function, where roots cluster) is otherwise invisible.
/// Returns whether |f(x)| <= `vanish(x)` at every grid point x (then f may vanish identically and
/// nothing is pushed).
#[allow(clippy::too_many_arguments)]
pub(crate) fn all_roots(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    cells: usize,
    edge_sub: usize,
    tol: f64,
    vanish: impl Fn(f64) -> f64,
    push: &mut impl FnMut(Found),
) -> bool {
    grid_roots(f, a, b, cells, edge_sub, tol, vanish, false, push)
}

/// [`all_roots`] where `vanish(x)` is also the rounding level of f: a grid minimum of |f| is a
/// tangency candidate only when f changes by more than `vanish` to one of its neighbours, so the
/// minima of a flat run of rounding noise are not tangencies (docs/conventions.md, "Tangencies in
/// rounding noise").
#[allow(clippy::too_many_arguments)]
pub(crate) fn all_roots_resolved(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    cells: usize,
    edge_sub: usize,
    tol: f64,
    vanish: impl Fn(f64) -> f64,
    push: &mut impl FnMut(Found),
) -> bool {
    grid_roots(f, a, b, cells, edge_sub, tol, vanish, true, push)
}

#[allow(clippy::too_many_arguments)]
fn grid_roots(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    cells: usize,
    edge_sub: usize,
    tol: f64,
    vanish: impl Fn(f64) -> f64,
    resolved: bool,
    push: &mut impl FnMut(Found),
) -> bool {
    const MAX_POINTS: usize = 257;
    let base = cells.clamp(2, 128);
    let edge_sub = edge_sub.clamp(1, 64);
    let h = (b - a) / base as f64;
    let mut xs = [0.0; MAX_POINTS];
    let mut fs = [0.0; MAX_POINTS];
    let mut m = 0;
    for i in 0..=base {
        let x = if i == base { b } else { a + h * i as f64 };
        if edge_sub > 1 && (i == 1 || i == base) {
            let prev = xs[m - 1];
            for j in 1..edge_sub {
                xs[m] = prev + (x - prev) * j as f64 / edge_sub as f64;
                fs[m] = f(xs[m]);
                m += 1;
            }
        }
        xs[m] = x;
        fs[m] = f(x);
        m += 1;
    }
    let cells = m - 1;
    if xs[..=cells].iter().zip(&fs[..=cells]).all(|(&x, v)| v.abs() <= vanish(x)) {
        return true;
    }
    let mut i = 0;
    while i < cells {
        if fs[i] == 0.0 {
            // With `resolved`, a run of exact zeros (f below its resolution on a piece where it
            // does not vanish) is one root, at the middle of the run.
            let mut j = i;
            while resolved && j < cells && fs[j + 1] == 0.0 {
                j += 1;
            }
            push(Found { x: if j == i { xs[i] } else { 0.5 * (xs[i] + xs[j]) }, tangent: j > i });
            i = j + 1;
            continue;
        } else if (fs[i] > 0.0) != (fs[i + 1] > 0.0) && fs[i + 1] != 0.0 {
            push(Found { x: brent(&f, xs[i], xs[i + 1], fs[i], fs[i + 1], tol), tangent: false });
        }
        i += 1;
    }
    if fs[cells] == 0.0 && (i == cells || !resolved) {
        push(Found { x: b, tangent: false });
    }
    for i in 1..cells {
        let (fl, fm, fr) = (fs[i - 1], fs[i], fs[i + 1]);
        let sign = fm.signum();
        if fm == 0.0 || fl.signum() != sign || fr.signum() != sign {
            continue;
        }
        if !(fm.abs() < fl.abs() && fm.abs() <= fr.abs()) {
            continue;
        }
        if resolved && (fl - fm).abs().max((fr - fm).abs()) <= vanish(xs[i]) {
            continue; // a minimum of rounding noise
        }
        // Lowest value of the parabola through the three points (spacing may be uneven at the
        // sub-divided end cells).
        let (xl, xm, xr) = (xs[i - 1], xs[i], xs[i + 1]);
        let (d1, d2) = ((fm - fl) / (xm - xl), (fr - fm) / (xr - xm));
        let c2 = (d2 - d1) / (xr - xl);
        let b1 = (d1 * (xr - xm) + d2 * (xm - xl)) / (xr - xl);
        let vertex = fm - b1 * b1 / (4.0 * c2);
        if sign * vertex > 0.25 * fm.abs() {
            continue;
        }
        let g = |x: f64| sign * f(x);
        let (x_ext, g_ext) = golden_min(g, xs[i - 1], xs[i + 1], 1e-10 * (1.0 + b.abs()));
        if g_ext < 0.0 {
            let fe = sign * g_ext;
            push(Found { x: brent(&f, xs[i - 1], x_ext, fl, fe, tol), tangent: false });
            push(Found { x: brent(&f, x_ext, xs[i + 1], fe, fr, tol), tangent: false });
        } else if g_ext < 1e-12 {
            push(Found { x: x_ext, tangent: true });
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minima_of_rounding_noise_are_not_tangencies() {
        // Positive, never zero: steps of rounding noise (a drop of 3e-14 onto a floor of 1e-16),
        // all changes below the rounding level 3.5e-14, but not every value below it, so the
        // piece does not vanish. The step's foot looks like a minimum touching zero.
        let noise = |x: f64| {
            if x < 0.1 {
                5e-14
            } else if x < 0.5 {
                3e-14
            } else {
                1e-16 * (1.5 + x)
            }
        };
        let mut unresolved = Vec::new();
        let vanished = all_roots(noise, 0.0, 1.0, 48, 1, 1e-14, |_| 3.5e-14, &mut |r| unresolved.push(r));
        assert!(!vanished);
        assert!(unresolved.iter().any(|r| r.tangent), "the plain search takes noise minima for tangencies");
        let mut resolved = Vec::new();
        assert!(!all_roots_resolved(noise, 0.0, 1.0, 48, 1, 1e-14, |_| 3.5e-14, &mut |r| resolved.push(r)));
        assert!(resolved.is_empty(), "{resolved:?}");
        // A run of exact zeros (f below its resolution on [0.4, 0.6], not everywhere): one root,
        // at the middle of the run, to the resolved search; one per zero sample to the plain one.
        let flat = |x: f64| ((x - 0.5).abs() - 0.1).max(0.0);
        let (mut plain, mut one) = (Vec::new(), Vec::new());
        all_roots(flat, 0.0, 1.0, 48, 1, 1e-14, |_| 1e-15, &mut |r| plain.push(r));
        all_roots_resolved(flat, 0.0, 1.0, 48, 1, 1e-14, |_| 1e-15, &mut |r| one.push(r));
        assert!(plain.len() > 5, "{plain:?}");
        assert!(one.len() == 1 && one[0].tangent && (one[0].x - 0.5).abs() < 1e-12, "{one:?}");
        // A genuine tangency, (x - 0.3)^2, is still found.
        let mut found = Vec::new();
        all_roots_resolved(|x| (x - 0.3) * (x - 0.3), 0.0, 1.0, 48, 1, 1e-14, |_| 3.5e-14, &mut |r| found.push(r));
        assert!(found.len() == 1 && found[0].tangent && (found[0].x - 0.3).abs() < 1e-6, "{found:?}");
    }

    #[test]
    fn quadratic_roots_of_known_polynomials() {
        let (r, n, d) = quadratic_roots(1.0, -3.0, 2.0);
        assert_eq!((n, d), (2, false));
        let mut v = [r[0], r[1]];
        v.sort_by(f64::total_cmp);
        assert!((v[0] - 1.0).abs() < 1e-15 && (v[1] - 2.0).abs() < 1e-15);
        let (r, n, d) = quadratic_roots(1.0, -2.0, 1.0);
        assert_eq!((n, d), (1, true));
        assert!((r[0] - 1.0).abs() < 1e-15);
        assert_eq!(quadratic_roots(1.0, 0.0, 1.0).1, 0);
        let (r, n, _) = quadratic_roots(0.0, 2.0, -1.0);
        assert_eq!(n, 1);
        assert_eq!(r[0], 0.5);
    }

    #[test]
    fn brent_finds_cube_root() {
        let f = |x: f64| x * x * x - 2.0;
        let x = brent(f, 0.0, 2.0, f(0.0), f(2.0), 1e-14);
        assert!((x - 2f64.cbrt()).abs() < 1e-13);
    }

    #[test]
    fn golden_finds_minimum() {
        let (x, fx) = golden_min(|x| (x - 0.3) * (x - 0.3) + 1.0, 0.0, 1.0, 1e-10);
        // A smooth minimum is located only to ~sqrt(machine epsilon) in x.
        assert!((x - 0.3).abs() < 1e-7 && (fx - 1.0).abs() < 1e-12);
    }
}
