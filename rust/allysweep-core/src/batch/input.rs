//! Input columns of a batch: one flat `f64` array per model parameter and distribution field
//! (docs/conventions.md "Flat point representation"), read point by point.

use crate::error::ModelError;
use crate::model::dist::{CostDist, TypeDist};
use crate::model::params::{check_range_cost, Params};

/// The input columns, written once: the struct, [`BatchInput::COLUMNS`] and the conversions
/// from and to a list of columns in that order are generated from this list.
macro_rules! input_columns {
    ($($name:ident),* $(,)?) => {
        /// Input columns, one value per point.
        #[derive(Debug, Clone, Copy)]
        pub struct BatchInput<'a> {
            $( pub $name: &'a [f64], )*
        }

        impl<'a> BatchInput<'a> {
            /// Column names in declaration order (the order of the binding's list of columns).
            pub const COLUMNS: &'static [&'static str] = &[$( stringify!($name) ),*];

            fn columns(&self) -> Vec<&'a [f64]> {
                vec![$( self.$name ),*]
            }

            /// The batch from columns given in the order of [`BatchInput::COLUMNS`].
            pub fn from_columns(columns: &[&'a [f64]]) -> Option<Self> {
                let mut it = columns.iter().copied();
                let input = BatchInput { $( $name: it.next()?, )* };
                it.next().is_none().then_some(input)
            }
        }
    };
}

input_columns!(
    p,
    p_alliance,
    p_coalition,
    c_d,
    c_d_joint,
    c_c_extra,
    c_a,
    k,
    r,
    b_c,
    theta_kind,
    theta_a,
    theta_b,
    theta_c,
    cost_kind,
    cost_a,
    cost_b,
    range_cost,
);

impl<'a> BatchInput<'a> {
    /// Number of points (the length of `p`).
    pub fn len(&self) -> usize {
        self.p.len()
    }

    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }

    /// The i-th point, or the domain error it violates.
    pub fn point(&self, i: usize) -> Result<(Params, f64), ModelError> {
        let theta = TypeDist::from_code(self.theta_kind[i], self.theta_a[i], self.theta_b[i], self.theta_c[i])?;
        let cost_c = CostDist::from_code(self.cost_kind[i], self.cost_a[i], self.cost_b[i])?;
        let params = Params {
            p: self.p[i],
            p_alliance: self.p_alliance[i],
            p_coalition: self.p_coalition[i],
            c_d: self.c_d[i],
            c_d_joint: self.c_d_joint[i],
            c_c_extra: self.c_c_extra[i],
            c_a: self.c_a[i],
            k: self.k[i],
            r: self.r[i],
            b_c: self.b_c[i],
            theta,
            cost_c,
        };
        Ok((params, self.range_cost[i]))
    }

    /// Check lengths and every point's domain; the error names the first offending point.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.check_lengths()?;
        for i in 0..self.len() {
            self.valid_point(i)?;
        }
        Ok(())
    }

    /// Every column as long as `p`.
    pub fn check_lengths(&self) -> Result<(), ModelError> {
        let n = self.len();
        for (name, col) in Self::COLUMNS.iter().zip(self.columns()) {
            if col.len() != n {
                return Err(ModelError::ShapeMismatch { name, len: col.len(), expected: n });
            }
        }
        Ok(())
    }

    /// The i-th point if it lies in the model's domain, else the error tagged with `i`.
    pub fn valid_point(&self, i: usize) -> Result<(Params, f64), ModelError> {
        let (params, range_cost) = self.point(i).map_err(|e| e.at_index(i))?;
        params.validate().map_err(|e| e.at_index(i))?;
        check_range_cost(range_cost).map_err(|e| e.at_index(i))?;
        Ok((params, range_cost))
    }
}
