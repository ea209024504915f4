//! The output schema, defined once: every output column of a batch with its element type,
//! whether it is per point or per equilibrium, its fill value and how it is read from a
//! [`Solution`]. From this one table the macro below generates the [`OUTPUTS`] list the binding
//! exports, the [`BatchOutput`] struct of mutable columns, building it from named columns, the
//! length check, the split for parallel work, and the writer (fill values included).
//!
//! To add an output: add one line to the table (and, if it is a new quantity, a field to
//! [`crate::Equilibrium`] or [`Solution`]); then its metadata line in Python
//! (`allysweep/model/outputs.py`). Nothing else binds outputs by name or position.

use std::collections::HashMap;

use crate::error::ModelError;
use crate::model::crisis::CrisisPoint;
use crate::model::equilibrium::status::TRUNCATED;
use crate::model::equilibrium::{Equilibrium, Solution};

/// Element type of an output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    Int64,
    Int8,
    Float64,
    Bool,
}

impl Dtype {
    /// The numpy name of the type.
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::Int64 => "int64",
            Dtype::Int8 => "int8",
            Dtype::Float64 => "float64",
            Dtype::Bool => "bool",
        }
    }
}

/// One entry of the schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputSpec {
    /// Public name (Python, xarray, docs).
    pub name: &'static str,
    pub dtype: Dtype,
    /// Per equilibrium (shape `[N * slots]`, dimension `eq`) rather than per point (`[N]`).
    pub per_equilibrium: bool,
    /// Value in slots without an equilibrium (per-point columns: before anything is written),
    /// as a float: NaN, an integer, or 0 / 1 for false / true.
    pub fill: f64,
}

/// A mutable output column of any element type, as the binding hands it over.
#[derive(Debug)]
pub enum ColumnMut<'a> {
    Int64(&'a mut [i64]),
    Int8(&'a mut [i8]),
    Float64(&'a mut [f64]),
    Bool(&'a mut [bool]),
}

impl ColumnMut<'_> {
    fn dtype(&self) -> Dtype {
        match self {
            ColumnMut::Int64(_) => Dtype::Int64,
            ColumnMut::Int8(_) => Dtype::Int8,
            ColumnMut::Float64(_) => Dtype::Float64,
            ColumnMut::Bool(_) => Dtype::Bool,
        }
    }
}

/// Take column `name` of element type `T` out of `columns`.
trait Element: Sized {
    const DTYPE: Dtype;
    fn take<'a>(column: ColumnMut<'a>) -> Option<&'a mut [Self]>;
}

macro_rules! element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$variant;
            fn take<'a>(column: ColumnMut<'a>) -> Option<&'a mut [Self]> {
                match column {
                    ColumnMut::$variant(s) => Some(s),
                    _ => None,
                }
            }
        }
    };
}
element!(i64, Int64);
element!(i8, Int8);
element!(f64, Float64);
element!(bool, Bool);

/// Column `name` of element type `T` out of `columns` (`None` if absent).
fn take<'a, T: Element>(
    columns: &mut HashMap<&str, ColumnMut<'a>>,
    name: &'static str,
) -> Result<Option<&'a mut [T]>, ModelError> {
    let Some(column) = columns.remove(name) else {
        return Ok(None);
    };
    let found = column.dtype();
    T::take(column).map(Some).ok_or(ModelError::OutputType { name, expected: T::DTYPE.name(), found: found.name() })
}

/// The fill value of a column as the f64 of [`OutputSpec::fill`].
macro_rules! fill_f64 {
    (bool, $fill:expr) => {
        if $fill {
            1.0
        } else {
            0.0
        }
    };
    ($t:ident, $fill:expr) => {
        $fill as f64
    };
}

macro_rules! output_schema {
    (
        per_point($sol:ident, $slots:ident) { $( $pt:ident : $pty:ident = $pfill:expr => $pget:expr ; )* }
        per_equilibrium($esol:ident, $e:ident) { $( $eq:ident : $ety:ident = $efill:expr => $eget:expr ; )* }
    ) => {
        /// Every output, per-point ones first, in the order of the Python table.
        pub const OUTPUTS: &[OutputSpec] = &[
            $( OutputSpec { name: stringify!($pt), dtype: <$pty as Element>::DTYPE, per_equilibrium: false,
                            fill: fill_f64!($pty, $pfill) }, )*
            $( OutputSpec { name: stringify!($eq), dtype: <$ety as Element>::DTYPE, per_equilibrium: true,
                            fill: fill_f64!($ety, $efill) }, )*
        ];

        /// Output columns: per point `[N]`, per equilibrium `[N * slots]` (row-major, point-major),
        /// with `slots` <= `MAX_EQ` equilibrium slots per point. Where more equilibria were found
        /// than slots, the selected one is kept in the last slot and status bit `TRUNCATED` is set.
        /// A column left out (`None`) is neither computed nor written: callers that store only
        /// some outputs (sweeps) pay only for those.
        #[derive(Debug)]
        pub struct BatchOutput<'a> {
            /// Number of points.
            pub points: usize,
            /// Equilibrium slots per point (1..=MAX_EQ).
            pub slots: usize,
            $( pub $pt: Option<&'a mut [$pty]>, )*
            $( pub $eq: Option<&'a mut [$ety]>, )*
        }

        impl<'a> BatchOutput<'a> {
            /// The columns of [`OUTPUTS`] present in `columns`, taken by name (each must have the
            /// schema's element type); absent ones are not computed.
            pub fn from_columns(
                points: usize,
                slots: usize,
                columns: &mut HashMap<&str, ColumnMut<'a>>,
            ) -> Result<Self, ModelError> {
                Ok(BatchOutput {
                    points,
                    slots,
                    $( $pt: take::<$pty>(columns, stringify!($pt))?, )*
                    $( $eq: take::<$ety>(columns, stringify!($eq))?, )*
                })
            }

            /// Number of points these columns hold.
            pub fn len(&self) -> usize {
                self.points
            }

            pub fn is_empty(&self) -> bool {
                self.points == 0
            }

            /// Check every present column has the length `n` points need.
            pub fn check_len(&self, n: usize) -> Result<(), ModelError> {
                if self.points != n {
                    return Err(ModelError::ShapeMismatch { name: "outputs", len: self.points, expected: n });
                }
                $( if let Some(c) = &self.$pt {
                    if c.len() != n {
                        return Err(ModelError::ShapeMismatch { name: stringify!($pt), len: c.len(), expected: n });
                    }
                } )*
                $( if let Some(c) = &self.$eq {
                    if c.len() != n * self.slots {
                        return Err(ModelError::ShapeMismatch {
                            name: stringify!($eq), len: c.len(), expected: n * self.slots,
                        });
                    }
                } )*
                Ok(())
            }

            /// The first `mid` points and the rest.
            pub(crate) fn split_at(self, mid: usize) -> (BatchOutput<'a>, BatchOutput<'a>) {
                let eqmid = mid * self.slots;
                $( let $pt = split(self.$pt, mid); )*
                $( let $eq = split(self.$eq, eqmid); )*
                (
                    BatchOutput { points: mid, slots: self.slots, $( $pt: $pt.0, )* $( $eq: $eq.0, )* },
                    BatchOutput {
                        points: self.points - mid, slots: self.slots, $( $pt: $pt.1, )* $( $eq: $eq.1, )*
                    },
                )
            }

            fn write_point(&mut self, i: usize, $sol: &Solution) {
                let $slots = self.slots;
                $( if let Some(c) = self.$pt.as_deref_mut() { c[i] = $pget; } )*
            }

            fn write_equilibrium(&mut self, o: usize, $esol: &Solution, $e: &Equilibrium) {
                $( if let Some(c) = self.$eq.as_deref_mut() { c[o] = $eget; } )*
            }

            fn write_empty(&mut self, o: usize) {
                $( if let Some(c) = self.$eq.as_deref_mut() { c[o] = $efill; } )*
            }
        }
    };
}

/// A column split in two (or both halves absent).
#[allow(clippy::type_complexity)]
fn split<T>(column: Option<&mut [T]>, mid: usize) -> (Option<&mut [T]>, Option<&mut [T]>) {
    match column {
        Some(c) => {
            let (a, b) = c.split_at_mut(mid);
            (Some(a), Some(b))
        }
        None => (None, None),
    }
}

const NAN: f64 = f64::NAN;

output_schema! {
    per_point(sol, slots) {
        n_eq: i64 = 0 => sol.n_eq() as i64;
        status: i64 = 0 => sol.status() | if sol.n_eq() > slots { TRUNCATED } else { 0 };
        range_lo_alone: f64 = NAN => sol.range_alone.0;
        range_hi_alone: f64 = NAN => sol.range_alone.1;
        range_lo_joint: f64 = NAN => sol.range_joint.0;
        range_hi_joint: f64 = NAN => sol.range_joint.1;
        nc_branch: bool = false => sol.nc_branch;
        bluff_mass_free: bool = false => sol.bluff_mass_free;
        belief_no_option: f64 = NAN => sol.no_option().crisis.q;
        crisis_regime_no_option: i8 = -1 => sol.no_option().crisis.regime as i8;
        prob_challenge_no_option: f64 = NAN => sol.no_option().crisis.challenge();
        prob_war_no_option: f64 = NAN => sol.no_option().crisis.war();
        prob_concession_no_option: f64 = NAN => sol.no_option().crisis.concession();
        immediate_deterrence_no_option: f64 = NAN => immediate_deterrence(&sol.no_option().crisis);
        utility_ally_no_option: f64 = NAN => sol.no_option().utility_ally;
        utility_defender_no_option: f64 = NAN => sol.no_option().utility_defender;
        utility_challenger_no_option: f64 = NAN => sol.no_option().utility_challenger;
    }
    per_equilibrium(esol, e) {
        kind: i8 = -1 => e.kind as i8;
        cutpoint: f64 = NAN => e.cutpoint;
        prob_alliance: f64 = NAN => e.prob_alliance;
        belief_alliance: f64 = NAN => e.belief_alliance;
        belief_no_alliance: f64 = NAN => e.belief_no_alliance;
        prob_challenge_alliance: f64 = NAN => e.prob_challenge_alliance;
        prob_challenge_no_alliance: f64 = NAN => e.prob_challenge_no_alliance;
        prob_war: f64 = NAN => e.prob_war;
        prob_renege: f64 = NAN => e.prob_renege;
        range_lo_alliance: f64 = NAN => e.range_lo_alliance;
        range_hi_alliance: f64 = NAN => e.range_hi_alliance;
        range_lo_no_alliance: f64 = NAN => e.range_lo_no_alliance;
        range_hi_no_alliance: f64 = NAN => e.range_hi_no_alliance;
        stable: bool = false => e.flags.stable;
        ic_ok: bool = false => e.flags.ic_ok;
        d1_ok: bool = false => e.flags.d1_ok;
        selected: bool = false => e.selected;
        degenerate: bool = false => e.flags.degenerate;
        gain_increasing: bool = false => e.gain_increasing;
        pinned: bool = false => e.pinned;
        crisis_regime_alliance: i8 = -1 => e.regime_code(true);
        crisis_regime_no_alliance: i8 = -1 => e.regime_code(false);
        prob_concede_alliance: f64 = NAN => e.per_signal(true, prob_concede);
        prob_concede_no_alliance: f64 = NAN => e.per_signal(false, prob_concede);
        prob_war_alliance: f64 = NAN => e.per_signal(true, CrisisPoint::war);
        prob_war_no_alliance: f64 = NAN => e.per_signal(false, CrisisPoint::war);
        prob_concession_alliance: f64 = NAN => e.per_signal(true, CrisisPoint::concession);
        prob_concession_no_alliance: f64 = NAN => e.per_signal(false, CrisisPoint::concession);
        prob_backdown_alliance: f64 = NAN => e.per_signal(true, CrisisPoint::backdown);
        prob_backdown_no_alliance: f64 = NAN => e.per_signal(false, CrisisPoint::backdown);
        immediate_deterrence_alliance: f64 = NAN => e.per_signal(true, immediate_deterrence);
        immediate_deterrence_no_alliance: f64 = NAN => e.per_signal(false, immediate_deterrence);
        general_deterrence_alliance: f64 = NAN => e.per_signal(true, |c| 1.0 - c.challenge());
        general_deterrence_no_alliance: f64 = NAN => e.per_signal(false, |c| 1.0 - c.challenge());
        defender_war_value_alliance: f64 = NAN => e.per_signal(true, |c| c.war_value);
        defender_war_value_no_alliance: f64 = NAN => e.per_signal(false, |c| c.war_value);
        prob_challenge: f64 = NAN => e.aggregate(CrisisPoint::challenge);
        general_deterrence: f64 = NAN => 1.0 - e.aggregate(CrisisPoint::challenge);
        prob_concession: f64 = NAN => e.aggregate(CrisisPoint::concession);
        immediate_deterrence: f64 = NAN => e.immediate_deterrence();
        prob_status_quo_kept: f64 = NAN => 1.0 - e.prob_war - e.aggregate(CrisisPoint::concession);
        effect_war: f64 = NAN => e.prob_war - esol.no_option().crisis.war();
        effect_challenge: f64 = NAN => e.aggregate(CrisisPoint::challenge) - esol.no_option().crisis.challenge();
        utility_ally: f64 = NAN => esol.utilities(e)[0];
        utility_defender: f64 = NAN => esol.utilities(e)[1];
        utility_challenger: f64 = NAN => esol.utilities(e)[2];
    }
}

/// Pr(D concedes | challenge): NaN where nobody challenges.
fn prob_concede(c: &CrisisPoint) -> f64 {
    if c.anyone_challenges() {
        c.rho
    } else {
        f64::NAN
    }
}

/// Pr(C backs down | D resisted): NaN where D never resists a challenge (ρ = 1 or no challenge).
fn immediate_deterrence(c: &CrisisPoint) -> f64 {
    if c.anyone_challenges() && c.rho < 1.0 {
        c.m_b / c.challenge()
    } else {
        f64::NAN
    }
}

impl BatchOutput<'_> {
    /// Write one point's solution into row `i`.
    pub(crate) fn write(&mut self, i: usize, sol: &Solution) {
        self.write_point(i, sol);
        let (slots, n_eq) = (self.slots, sol.n_eq());
        // More equilibria than slots: the selected one must not be the one dropped.
        let selected = (0..n_eq).find(|&j| sol.get(j).is_some_and(|e| e.selected)).unwrap_or(0);
        for j in 0..slots {
            let o = i * slots + j;
            let source = if j == slots - 1 && n_eq > slots && selected >= slots { selected } else { j };
            match sol.get(source) {
                Some(eq) => self.write_equilibrium(o, sol, eq),
                None => self.write_empty(o),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_unique_and_fills_match_types() {
        let mut names: Vec<_> = OUTPUTS.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OUTPUTS.len());
        for o in OUTPUTS {
            match o.dtype {
                Dtype::Float64 => assert!(o.fill.is_nan(), "{o:?}"),
                Dtype::Bool => assert_eq!(o.fill, 0.0, "{o:?}"),
                Dtype::Int64 | Dtype::Int8 => assert_eq!(o.fill, o.fill.trunc(), "{o:?}"),
            }
        }
        // The first per-equilibrium column comes after every per-point one.
        let first_eq = OUTPUTS.iter().position(|o| o.per_equilibrium).unwrap_or(OUTPUTS.len());
        assert!(OUTPUTS[first_eq..].iter().all(|o| o.per_equilibrium));
    }

    #[test]
    fn columns_are_taken_by_name_and_type() {
        let n = 3;
        let slots = 2;
        let count = |d: Dtype| OUTPUTS.iter().filter(|o| o.dtype == d).count();
        let mut ints = vec![vec![0i64; n]; count(Dtype::Int64)];
        let mut floats = vec![vec![0f64; n * slots]; count(Dtype::Float64)];
        let mut kinds = vec![vec![0i8; n * slots]; count(Dtype::Int8)];
        let mut bools = vec![vec![false; n * slots]; count(Dtype::Bool)];
        let mut columns: HashMap<&str, ColumnMut<'_>> = HashMap::new();
        let (mut i, mut k, mut f, mut b) = (ints.iter_mut(), kinds.iter_mut(), floats.iter_mut(), bools.iter_mut());
        for spec in OUTPUTS {
            let col = match spec.dtype {
                Dtype::Int64 => ColumnMut::Int64(i.next().expect("int column")),
                Dtype::Int8 => {
                    let v = k.next().expect("int8 column");
                    if spec.per_equilibrium {
                        ColumnMut::Int8(&mut v[..])
                    } else {
                        ColumnMut::Int8(&mut v[..n])
                    }
                }
                Dtype::Float64 => {
                    let v = f.next().expect("float column");
                    if spec.per_equilibrium {
                        ColumnMut::Float64(&mut v[..])
                    } else {
                        ColumnMut::Float64(&mut v[..n])
                    }
                }
                Dtype::Bool => {
                    let v = b.next().expect("bool column");
                    if spec.per_equilibrium {
                        ColumnMut::Bool(&mut v[..])
                    } else {
                        ColumnMut::Bool(&mut v[..n])
                    }
                }
            };
            columns.insert(spec.name, col);
        }
        let out = BatchOutput::from_columns(n, slots, &mut columns).expect("every column present");
        assert!(out.check_len(n).is_ok());
        assert_eq!(out.len(), n);
        assert!(out.kind.is_some() && out.prob_war.is_some() && out.nc_branch.is_some());
    }

    #[test]
    fn a_missing_column_is_skipped_and_a_mistyped_one_is_an_error() {
        let mut columns: HashMap<&str, ColumnMut<'_>> = HashMap::new();
        let mut war = [0f64; 2];
        columns.insert("prob_war", ColumnMut::Float64(&mut war));
        let out = BatchOutput::from_columns(1, 2, &mut columns).expect("a subset of columns");
        assert!(out.prob_war.is_some() && out.n_eq.is_none() && out.kind.is_none());
        let mut wrong = [0f64; 1];
        let mut columns: HashMap<&str, ColumnMut<'_>> = HashMap::new();
        columns.insert("n_eq", ColumnMut::Float64(&mut wrong));
        assert!(matches!(
            BatchOutput::from_columns(1, 1, &mut columns),
            Err(ModelError::OutputType { name: "n_eq", expected: "int64", found: "float64" })
        ));
    }
}
