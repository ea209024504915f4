//! Every root of a continuous scalar function on an interval: a grid finds sign changes, Brent
//! refines them, and shallow local extrema are searched for root pairs or tangencies that the
//! grid cannot see.

use crate::roots::{brent, golden_min};

/// One root found by [`all_roots`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub x: f64,
    /// A tangency (an extremum touching zero) rather than a sign change.
    pub tangent: bool,
}

/// Push every root of `f` on [a, b] (grid of `cells` cells, roots refined to `tol`).
pub(crate) fn all_roots(f: impl Fn(f64) -> f64, a: f64, b: f64, cells: usize, tol: f64, push: &mut impl FnMut(Found)) {
    const MAX_CELLS: usize = 128;
    let cells = cells.clamp(2, MAX_CELLS);
    let h = (b - a) / cells as f64;
    let mut xs = [0.0; MAX_CELLS + 1];
    let mut fs = [0.0; MAX_CELLS + 1];
    for i in 0..=cells {
        xs[i] = if i == cells { b } else { a + h * i as f64 };
        fs[i] = f(xs[i]);
    }
    for i in 0..cells {
        if fs[i] == 0.0 {
            push(Found { x: xs[i], tangent: false });
        } else if (fs[i] > 0.0) != (fs[i + 1] > 0.0) && fs[i + 1] != 0.0 {
            push(Found { x: brent(&f, xs[i], xs[i + 1], fs[i], fs[i + 1], tol), tangent: false });
        }
    }
    if fs[cells] == 0.0 {
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
        let curv = fl - 2.0 * fm + fr;
        let vertex = fm - (fr - fl) * (fr - fl) / (8.0 * curv);
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
}
