//! Parallel scheduling of a batch: split the rows in halves down to leaves of [`LEAF`] points,
//! solved on rayon's pool (or one given pool, or the calling thread).

use crate::batch::input::BatchInput;
use crate::batch::output::BatchOutput;
use crate::error::ModelError;
use crate::model::equilibrium::Solution;
use crate::model::params::Params;

/// Points per leaf task of the parallel split.
const LEAF: usize = 1024;

/// Solve rows `offset..offset + out.len()`, validating each point as it comes (one pass over the
/// input); stops at the first invalid point.
pub(crate) fn solve_serial<C, S>(
    input: &BatchInput<'_>,
    offset: usize,
    out: &mut BatchOutput<'_>,
    check: &C,
    solver: &S,
) -> Result<(), ModelError>
where
    C: Fn(&Params) -> Result<(), ModelError>,
    S: Fn(&Params, f64) -> Solution,
{
    for i in 0..out.len() {
        let index = offset + i;
        let (params, range_cost) = input.valid_point(index)?;
        check(&params).map_err(|e| e.at_index(index))?;
        out.write(i, &solver(&params, range_cost));
    }
    Ok(())
}

/// Solve the rows by recursive halving with `rayon::join` (on whatever pool runs it).
pub(crate) fn solve_parallel<C, S>(
    input: &BatchInput<'_>,
    offset: usize,
    out: BatchOutput<'_>,
    check: &C,
    solver: &S,
) -> Result<(), ModelError>
where
    C: Fn(&Params) -> Result<(), ModelError> + Sync,
    S: Fn(&Params, f64) -> Solution + Sync,
{
    let n = out.len();
    if n <= LEAF {
        let mut out = out;
        return solve_serial(input, offset, &mut out, check, solver);
    }
    let mid = n / 2;
    let (left, right) = out.split_at(mid);
    let (a, b) = rayon::join(
        || solve_parallel(input, offset, left, check, solver),
        || solve_parallel(input, offset + mid, right, check, solver),
    );
    // Both halves may stop at a bad point: the one of the lower half comes first.
    a.and(b)
}
