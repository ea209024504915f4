//! Batches of points as flat arrays (docs/conventions.md "Flat point representation"): the
//! shape in which the Python binding, sweeps and benchmarks call the engine.
//!
//! - [`input`]: the input columns and per-point validation;
//! - [`output`]: the output schema (defined once) and the output columns it generates;
//! - [`parallel`]: how the rows are spread over threads.

pub mod input;
pub mod output;
mod parallel;

pub use input::BatchInput;
pub use output::{BatchOutput, ColumnMut, Dtype, OutputSpec, OUTPUTS};

use crate::error::ModelError;
use crate::model::equilibrium::Solution;
use crate::model::params::Params;
use crate::solvers::roots::solve_unchecked;

/// Validate and solve a batch with `roots`. `threads`: 0 = rayon's global pool (sized by
/// `RAYON_NUM_THREADS`, default all cores), 1 = on the calling thread (what a Dask task wants),
/// n > 1 = a pool of exactly n threads made for this call.
pub fn solve_batch(input: &BatchInput<'_>, out: BatchOutput<'_>, threads: usize) -> Result<(), ModelError> {
    solve_batch_with(input, out, threads, |_| Ok(()), solve_unchecked)
}

/// [`solve_batch`] with another per-point solver (the variants of MODEL.md §11). `check` is run
/// on every point after domain validation (e.g. the closed forms' assumptions); its first error,
/// tagged with the point's index, aborts the batch (the outputs are then to be discarded).
pub fn solve_batch_with<C, S>(
    input: &BatchInput<'_>,
    out: BatchOutput<'_>,
    threads: usize,
    check: C,
    solver: S,
) -> Result<(), ModelError>
where
    C: Fn(&Params) -> Result<(), ModelError> + Sync + Send,
    S: Fn(&Params, f64) -> Solution + Sync + Send,
{
    input.check_lengths()?;
    out.check_len(input.len())?;
    // Validation runs inside the solve loop: the first invalid point (domain, then the method's
    // assumptions) aborts the batch and its outputs are discarded by the caller.
    match threads {
        1 => {
            let mut out = out;
            parallel::solve_serial(input, 0, &mut out, &check, &solver)
        }
        0 => parallel::solve_parallel(input, 0, out, &check, &solver),
        n => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(|| parallel::solve_parallel(input, 0, out, &check, &solver)),
            // No threads to be had (a resource limit): the global pool still solves it.
            Err(_) => parallel::solve_parallel(input, 0, out, &check, &solver),
        },
    }
}
