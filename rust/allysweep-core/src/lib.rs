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

pub mod batch;
pub mod checks;
mod continuous;
pub mod dist;
pub mod equilibrium;
pub mod error;
pub mod params;
mod pooling;
mod roots;
pub mod solve;
mod two_type;
pub mod variants;

pub use batch::{solve_batch, BatchInput, BatchOutput};
pub use dist::{CostDist, TypeDist};
pub use equilibrium::{bargaining_range, Equilibrium, Flags, Kind, Solution, MAX_EQ};
pub use error::{InvalidParameter, ModelError};
pub use params::Params;
pub use solve::{solve, solve_unchecked};
pub use variants::Method;
