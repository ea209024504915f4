//! Forward-mode dual numbers: a value and its partial derivatives along [`N`] directions, exact
//! to rounding (no step size). The comparative statics differentiate the equilibrium conditions
//! and the outputs with them, then apply the implicit function theorem.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// Directions carried: up to three unknowns of an equilibrium and one parameter.
pub const N: usize = 4;

/// A number with its derivatives along [`N`] directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dual {
    pub v: f64,
    pub d: [f64; N],
}

impl Dual {
    /// A constant (every derivative 0).
    #[inline]
    pub const fn c(v: f64) -> Self {
        Dual { v, d: [0.0; N] }
    }

    /// A variable: derivative 1 along direction `i`.
    #[inline]
    pub fn var(v: f64, i: usize) -> Self {
        let mut d = [0.0; N];
        d[i] = 1.0;
        Dual { v, d }
    }

    #[inline]
    fn chain(self, v: f64, slope: f64) -> Self {
        Dual { v, d: self.d.map(|x| x * slope) }
    }

    #[inline]
    pub fn exp(self) -> Self {
        let e = self.v.exp();
        self.chain(e, e)
    }

    #[inline]
    pub fn ln(self) -> Self {
        self.chain(self.v.ln(), 1.0 / self.v)
    }

    #[inline]
    pub fn ln_1p(self) -> Self {
        self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }

    /// erfc, with d/dx erfc(x) = -2/√π e^{-x²}.
    #[inline]
    pub fn erfc(self) -> Self {
        let slope = -2.0 / std::f64::consts::PI.sqrt() * (-self.v * self.v).exp();
        self.chain(libm::erfc(self.v), slope)
    }

    /// The smaller of two (the derivative of the one taken; a tie takes `self`).
    #[inline]
    pub fn min(self, other: Self) -> Self {
        if other.v < self.v {
            other
        } else {
            self
        }
    }

    #[inline]
    pub fn max(self, other: Self) -> Self {
        if other.v > self.v {
            other
        } else {
            self
        }
    }

    /// Clamped by value: a bound that binds is a constant of the bound's derivative.
    #[inline]
    pub fn clamp(self, lo: Self, hi: Self) -> Self {
        self.max(lo).min(hi)
    }
}

impl From<f64> for Dual {
    fn from(v: f64) -> Self {
        Dual::c(v)
    }
}

impl Add for Dual {
    type Output = Dual;
    #[inline]
    fn add(self, o: Dual) -> Dual {
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x += y;
        }
        Dual { v: self.v + o.v, d }
    }
}

impl Sub for Dual {
    type Output = Dual;
    #[inline]
    fn sub(self, o: Dual) -> Dual {
        let mut d = self.d;
        for (x, y) in d.iter_mut().zip(o.d) {
            *x -= y;
        }
        Dual { v: self.v - o.v, d }
    }
}

impl Mul for Dual {
    type Output = Dual;
    #[inline]
    fn mul(self, o: Dual) -> Dual {
        let mut d = [0.0; N];
        for (i, x) in d.iter_mut().enumerate() {
            *x = self.d[i] * o.v + self.v * o.d[i];
        }
        Dual { v: self.v * o.v, d }
    }
}

impl Div for Dual {
    type Output = Dual;
    #[inline]
    fn div(self, o: Dual) -> Dual {
        let v = self.v / o.v;
        let mut d = [0.0; N];
        for (i, x) in d.iter_mut().enumerate() {
            *x = (self.d[i] - v * o.d[i]) / o.v;
        }
        Dual { v, d }
    }
}

impl Neg for Dual {
    type Output = Dual;
    #[inline]
    fn neg(self) -> Dual {
        Dual { v: -self.v, d: self.d.map(|x| -x) }
    }
}

macro_rules! with_f64 {
    ($tr:ident, $f:ident) => {
        impl $tr<f64> for Dual {
            type Output = Dual;
            #[inline]
            fn $f(self, o: f64) -> Dual {
                self.$f(Dual::c(o))
            }
        }
        impl $tr<Dual> for f64 {
            type Output = Dual;
            #[inline]
            fn $f(self, o: Dual) -> Dual {
                Dual::c(self).$f(o)
            }
        }
    };
}
with_f64!(Add, add);
with_f64!(Sub, sub);
with_f64!(Mul, mul);
with_f64!(Div, div);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule against a central difference of the f64 function.
    #[test]
    fn derivatives_match_central_differences() {
        let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
        type Case<'a> = (&'a dyn Fn(Dual) -> Dual, &'a dyn Fn(f64) -> f64);
        let cases: [Case<'_>; 5] = [
            (&|x: Dual| (x * x + 3.0) / (x - 5.0), &|x: f64| (x * x + 3.0) / (x - 5.0)),
            (&|x: Dual| x.exp().ln_1p(), &|x: f64| x.exp().ln_1p()),
            (&|x: Dual| (x * 0.7).erfc(), &|x: f64| libm::erfc(x * 0.7)),
            (&|x: Dual| (1.0 - x).ln() * x, &|x: f64| (1.0 - x).ln() * x),
            (&|x: Dual| -x / (1.0 + (-x).exp()), &|x: f64| -x / (1.0 + (-x).exp())),
        ];
        for (dual, plain) in cases {
            for x in [-0.7, 0.1, 0.45] {
                let got = dual(Dual::var(x, 2));
                assert!((got.v - plain(x)).abs() < 1e-15);
                assert!((got.d[2] - fd(plain, x)).abs() < 1e-8, "{} vs {}", got.d[2], fd(plain, x));
                assert_eq!(got.d[0], 0.0);
            }
        }
    }
}
