//! # allysweep-core
//!
//! Exact equilibrium solver for the costly-signalling alliance model specified in MODEL.md:
//! an ally A with a private type θ chooses whether to form a costly alliance (sunk cost `k`,
//! reputation cost `r` if it reneges); a challenger C with a private war cost updates its belief
//! that A will intervene and challenges or not. The engine finds every perfect Bayesian
//! equilibrium (interior cutpoints, poolings, two-type profiles), flags stability and the
//! Intuitive Criterion / D1, selects one, and reports bargaining ranges.
//!
//! Pure Rust, no Python: the pyo3 binding lives in `allysweep-py`.
//!
//! One API: a [`Method`] solves a point ([`Method::solve`]) or a batch of flat columns
//! ([`Method::solve_batch`]); [`solve`] and [`solve_batch`] are the default method, `roots`.
//!
//! - [`model`]: parameters, distributions, the equilibrium record and its checks;
//! - [`numeric`]: quadratic roots, Brent, golden-section search, root isolation;
//! - [`solvers`]: one module per method, and the pieces they share;
//! - [`batch`]: input columns, the output schema (defined once), parallel scheduling.

pub mod batch;
pub mod error;
mod method;
pub mod model;
pub(crate) mod numeric;
pub mod sensitivity;
pub mod solvers;

pub use batch::{solve_batch, BatchInput, BatchOutput, OUTPUTS};
pub use error::{InvalidParameter, ModelError};
pub use method::{Method, LAM_DOMAIN, MAX_LAM};
pub use model::dist::{CostDist, TypeDist};
pub use model::equilibrium::{bargaining_range, Equilibrium, Flags, Kind, Solution, MAX_EQ};
pub use model::params::Params;

/// Validate and solve one point with the default method, `roots`: every equilibrium of
/// MODEL.md §6-§7 with the outputs of §8. `range_cost` NaN = E[c].
pub fn solve(params: &Params, range_cost: f64) -> Result<Solution, ModelError> {
    Method::Roots.solve(params, range_cost)
}
