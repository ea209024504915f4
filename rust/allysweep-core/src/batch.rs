//! Batches of points as flat arrays (docs/conventions.md "Flat point representation"): the
//! shape in which the Python binding, sweeps and benchmarks call the engine.

use crate::checks::gain_increasing;
use crate::dist::{CostDist, TypeDist};
use crate::equilibrium::status::TRUNCATED;
use crate::equilibrium::Solution;
use crate::error::ModelError;
use crate::params::Params;
use crate::solve::solve_unchecked;

/// Input columns, one value per point.
#[derive(Debug, Clone, Copy)]
pub struct BatchInput<'a> {
    pub p: &'a [f64],
    pub p_alliance: &'a [f64],
    pub p_coalition: &'a [f64],
    pub c_d: &'a [f64],
    pub c_d_joint: &'a [f64],
    pub c_c_extra: &'a [f64],
    pub c_a: &'a [f64],
    pub k: &'a [f64],
    pub r: &'a [f64],
    pub b_c: &'a [f64],
    pub theta_kind: &'a [f64],
    pub theta_a: &'a [f64],
    pub theta_b: &'a [f64],
    pub theta_c: &'a [f64],
    pub cost_kind: &'a [f64],
    pub cost_a: &'a [f64],
    pub cost_b: &'a [f64],
    pub range_cost: &'a [f64],
}

impl<'a> BatchInput<'a> {
    /// Column names in declaration order (the binding and the Python side use the same list).
    pub const COLUMNS: [&'static str; 18] = [
        "p",
        "p_alliance",
        "p_coalition",
        "c_d",
        "c_d_joint",
        "c_c_extra",
        "c_a",
        "k",
        "r",
        "b_c",
        "theta_kind",
        "theta_a",
        "theta_b",
        "theta_c",
        "cost_kind",
        "cost_a",
        "cost_b",
        "range_cost",
    ];

    fn columns(&self) -> [&'a [f64]; 18] {
        [
            self.p,
            self.p_alliance,
            self.p_coalition,
            self.c_d,
            self.c_d_joint,
            self.c_c_extra,
            self.c_a,
            self.k,
            self.r,
            self.b_c,
            self.theta_kind,
            self.theta_a,
            self.theta_b,
            self.theta_c,
            self.cost_kind,
            self.cost_a,
            self.cost_b,
            self.range_cost,
        ]
    }

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
        if !(range_cost.is_nan() || range_cost.is_finite()) {
            return Err(ModelError::invalid("range_cost", range_cost, "a finite cost, or NaN for E[c]").at_index(i));
        }
        Ok((params, range_cost))
    }
}

/// Output columns: per point `[N]`, per equilibrium `[N * slots]` (row-major, point-major), with
/// `slots` <= `MAX_EQ` equilibrium slots per point. Where more equilibria were found than slots,
/// the selected one is kept in the last slot and status bit `TRUNCATED` is set.
#[derive(Debug)]
pub struct BatchOutput<'a> {
    /// Equilibrium slots per point (1..=MAX_EQ).
    pub slots: usize,
    pub n_eq: &'a mut [i64],
    pub status: &'a mut [i64],
    pub range_lo_alone: &'a mut [f64],
    pub range_hi_alone: &'a mut [f64],
    pub range_lo_joint: &'a mut [f64],
    pub range_hi_joint: &'a mut [f64],
    pub kind: &'a mut [i8],
    pub cutpoint: &'a mut [f64],
    pub prob_alliance: &'a mut [f64],
    pub belief_alliance: &'a mut [f64],
    pub belief_no_alliance: &'a mut [f64],
    pub prob_challenge_alliance: &'a mut [f64],
    pub prob_challenge_no_alliance: &'a mut [f64],
    pub prob_war: &'a mut [f64],
    pub prob_renege: &'a mut [f64],
    pub range_lo_alliance: &'a mut [f64],
    pub range_hi_alliance: &'a mut [f64],
    pub range_lo_no_alliance: &'a mut [f64],
    pub range_hi_no_alliance: &'a mut [f64],
    pub stable: &'a mut [bool],
    pub ic_ok: &'a mut [bool],
    pub d1_ok: &'a mut [bool],
    pub selected: &'a mut [bool],
    pub degenerate: &'a mut [bool],
    pub gain_increasing: &'a mut [bool],
}

macro_rules! split_fields {
    ($self:ident, $mid:ident, $eqmid:ident, $slots:ident; [$($pt:ident),*]; [$($eq:ident),*]) => {{
        $(let $pt = $self.$pt.split_at_mut($mid);)*
        $(let $eq = $self.$eq.split_at_mut($eqmid);)*
        (
            BatchOutput { slots: $slots, $($pt: $pt.0,)* $($eq: $eq.0,)* },
            BatchOutput { slots: $slots, $($pt: $pt.1,)* $($eq: $eq.1,)* },
        )
    }};
}

impl<'a> BatchOutput<'a> {
    /// Number of points these columns hold.
    pub fn len(&self) -> usize {
        self.n_eq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.n_eq.is_empty()
    }

    /// Check every column has the length `n` points need.
    pub fn check_len(&self, n: usize) -> Result<(), ModelError> {
        let pts: [(&'static str, usize); 6] = [
            ("n_eq", self.n_eq.len()),
            ("status", self.status.len()),
            ("range_lo_alone", self.range_lo_alone.len()),
            ("range_hi_alone", self.range_hi_alone.len()),
            ("range_lo_joint", self.range_lo_joint.len()),
            ("range_hi_joint", self.range_hi_joint.len()),
        ];
        let eqs: [(&'static str, usize); 19] = [
            ("kind", self.kind.len()),
            ("cutpoint", self.cutpoint.len()),
            ("prob_alliance", self.prob_alliance.len()),
            ("belief_alliance", self.belief_alliance.len()),
            ("belief_no_alliance", self.belief_no_alliance.len()),
            ("prob_challenge_alliance", self.prob_challenge_alliance.len()),
            ("prob_challenge_no_alliance", self.prob_challenge_no_alliance.len()),
            ("prob_war", self.prob_war.len()),
            ("prob_renege", self.prob_renege.len()),
            ("range_lo_alliance", self.range_lo_alliance.len()),
            ("range_hi_alliance", self.range_hi_alliance.len()),
            ("range_lo_no_alliance", self.range_lo_no_alliance.len()),
            ("range_hi_no_alliance", self.range_hi_no_alliance.len()),
            ("stable", self.stable.len()),
            ("ic_ok", self.ic_ok.len()),
            ("d1_ok", self.d1_ok.len()),
            ("selected", self.selected.len()),
            ("degenerate", self.degenerate.len()),
            ("gain_increasing", self.gain_increasing.len()),
        ];
        for (name, len) in pts {
            if len != n {
                return Err(ModelError::ShapeMismatch { name, len, expected: n });
            }
        }
        for (name, len) in eqs {
            if len != n * self.slots {
                return Err(ModelError::ShapeMismatch { name, len, expected: n * self.slots });
            }
        }
        Ok(())
    }

    fn split_at(self, mid: usize) -> (BatchOutput<'a>, BatchOutput<'a>) {
        let eqmid = mid * self.slots;
        let slots = self.slots;
        split_fields!(self, mid, eqmid, slots;
            [n_eq, status, range_lo_alone, range_hi_alone, range_lo_joint, range_hi_joint];
            [kind, cutpoint, prob_alliance, belief_alliance, belief_no_alliance, prob_challenge_alliance,
             prob_challenge_no_alliance, prob_war, prob_renege, range_lo_alliance, range_hi_alliance,
             range_lo_no_alliance, range_hi_no_alliance, stable, ic_ok, d1_ok, selected, degenerate,
             gain_increasing])
    }

    /// Write one point's solution into row `i`.
    fn write(&mut self, i: usize, params: &Params, sol: &Solution) {
        let slots = self.slots;
        let n_eq = sol.n_eq();
        self.n_eq[i] = n_eq as i64;
        self.status[i] = sol.status() | if n_eq > slots { TRUNCATED } else { 0 };
        (self.range_lo_alone[i], self.range_hi_alone[i]) = sol.range_alone;
        (self.range_lo_joint[i], self.range_hi_joint[i]) = sol.range_joint;
        // More equilibria than slots: the selected one must not be the one dropped.
        let selected = (0..n_eq).find(|&j| sol.get(j).is_some_and(|e| e.selected)).unwrap_or(0);
        let nan = f64::NAN;
        for j in 0..slots {
            let o = i * slots + j;
            let source = if j == slots - 1 && n_eq > slots && selected >= slots { selected } else { j };
            match sol.get(source) {
                Some(eq) => {
                    self.kind[o] = eq.kind as i8;
                    self.cutpoint[o] = eq.cutpoint;
                    self.prob_alliance[o] = eq.prob_alliance;
                    self.belief_alliance[o] = eq.belief_alliance;
                    self.belief_no_alliance[o] = eq.belief_no_alliance;
                    self.prob_challenge_alliance[o] = eq.prob_challenge_alliance;
                    self.prob_challenge_no_alliance[o] = eq.prob_challenge_no_alliance;
                    self.prob_war[o] = eq.prob_war;
                    self.prob_renege[o] = eq.prob_renege;
                    self.range_lo_alliance[o] = eq.range_lo_alliance;
                    self.range_hi_alliance[o] = eq.range_hi_alliance;
                    self.range_lo_no_alliance[o] = eq.range_lo_no_alliance;
                    self.range_hi_no_alliance[o] = eq.range_hi_no_alliance;
                    self.stable[o] = eq.flags.stable;
                    self.ic_ok[o] = eq.flags.ic_ok;
                    self.d1_ok[o] = eq.flags.d1_ok;
                    self.selected[o] = eq.selected;
                    self.degenerate[o] = eq.flags.degenerate;
                    self.gain_increasing[o] = gain_increasing(params, eq);
                }
                None => {
                    self.kind[o] = -1;
                    for col in [
                        &mut self.cutpoint,
                        &mut self.prob_alliance,
                        &mut self.belief_alliance,
                        &mut self.belief_no_alliance,
                        &mut self.prob_challenge_alliance,
                        &mut self.prob_challenge_no_alliance,
                        &mut self.prob_war,
                        &mut self.prob_renege,
                        &mut self.range_lo_alliance,
                        &mut self.range_hi_alliance,
                        &mut self.range_lo_no_alliance,
                        &mut self.range_hi_no_alliance,
                    ] {
                        col[o] = nan;
                    }
                    for col in [
                        &mut self.stable,
                        &mut self.ic_ok,
                        &mut self.d1_ok,
                        &mut self.selected,
                        &mut self.degenerate,
                        &mut self.gain_increasing,
                    ] {
                        col[o] = false;
                    }
                }
            }
        }
    }
}

/// Points per leaf task of the parallel split.
const LEAF: usize = 1024;

/// Solve rows `offset..offset + out.len()`, validating each point as it comes (one pass over the
/// input); stops at the first invalid point.
fn solve_serial<C, S>(
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
        out.write(i, &params, &solver(&params, range_cost));
    }
    Ok(())
}

fn solve_parallel<C, S>(
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

/// Validate and solve a batch. `threads`: 1 = on the calling thread (what a Dask task wants),
/// anything else = rayon's global pool (sized by `RAYON_NUM_THREADS`, default all cores).
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
    C: Fn(&Params) -> Result<(), ModelError> + Sync,
    S: Fn(&Params, f64) -> Solution + Sync,
{
    input.check_lengths()?;
    out.check_len(input.len())?;
    // Validation runs inside the solve loop: the first invalid point (domain, then the method's
    // assumptions) aborts the batch and its outputs are discarded by the caller.
    if threads == 1 {
        let mut out = out;
        solve_serial(input, 0, &mut out, &check, &solver)
    } else {
        solve_parallel(input, 0, out, &check, &solver)
    }
}
