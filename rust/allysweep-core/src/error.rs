//! Typed errors of the engine. The Python binding maps each variant to an exception class
//! defined in `allysweep.exceptions`.

use std::fmt;

/// An input outside the model's domain (MODEL.md §3).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidParameter {
    /// Public parameter name (`p`, `k`, `theta.lo`, ...).
    pub name: &'static str,
    /// The offending value.
    pub value: f64,
    /// The allowed domain, in words a user can act on.
    pub domain: String,
    /// Position of the point in a batch, when the input was a batch.
    pub index: Option<usize>,
}

/// Errors the engine can return. A point that merely fails to converge is *not* an error: it is
/// reported as data (a status code) so that one bad corner never kills a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    /// A parameter outside its domain.
    InvalidParameter(InvalidParameter),
    /// Arrays of a batch that do not have the same length.
    ShapeMismatch { name: &'static str, len: usize, expected: usize },
    /// An output name the schema does not have.
    UnknownOutput { name: String },
    /// An output column of another element type than the schema's.
    OutputType { name: &'static str, expected: &'static str, found: &'static str },
    /// A valid point outside the assumptions of a specialised solver variant (e.g. the closed
    /// forms of MODEL.md §9): not a model error, but that method cannot solve it.
    OutsideAssumptions {
        /// The solver variant (`closed_form`).
        method: &'static str,
        /// The parameter whose value breaks the assumption.
        name: &'static str,
        value: f64,
        /// The assumption, in words a user can act on.
        requirement: String,
        index: Option<usize>,
    },
}

impl ModelError {
    pub(crate) fn invalid(name: &'static str, value: f64, domain: impl Into<String>) -> Self {
        ModelError::InvalidParameter(InvalidParameter { name, value, domain: domain.into(), index: None })
    }

    /// The same error, tagged with the index of the offending point in a batch.
    pub fn at_index(self, index: usize) -> Self {
        match self {
            ModelError::InvalidParameter(mut e) => {
                e.index = Some(index);
                ModelError::InvalidParameter(e)
            }
            ModelError::OutsideAssumptions { method, name, value, requirement, .. } => {
                ModelError::OutsideAssumptions { method, name, value, requirement, index: Some(index) }
            }
            other => other,
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::InvalidParameter(e) => {
                write!(f, "invalid parameter `{}` = {}", e.name, e.value)?;
                if let Some(i) = e.index {
                    write!(f, " at point {i}")?;
                }
                write!(f, ": allowed domain is {}", e.domain)
            }
            ModelError::ShapeMismatch { name, len, expected } => {
                write!(f, "array `{name}` has length {len}, expected {expected}")
            }
            ModelError::UnknownOutput { name } => write!(f, "`{name}` is not an output of the engine"),
            ModelError::OutputType { name, expected, found } => {
                write!(f, "output column `{name}` has element type {found}, expected {expected}")
            }
            ModelError::OutsideAssumptions { method, name, value, requirement, index } => {
                write!(f, "method `{method}` cannot solve `{name}` = {value}")?;
                if let Some(i) = index {
                    write!(f, " at point {i}")?;
                }
                write!(f, ": it requires {requirement}")
            }
        }
    }
}

impl std::error::Error for ModelError {}
