//! Bounded fuzzing of the engine's batch entry (issue 16): arbitrary `f64` inputs — NaN, ±inf,
//! subnormals, ±0, huge values, values a hair (a few ulps) inside and outside every domain bound,
//! distribution codes that are not codes — through `Method::solve_batch` for every method and
//! through `sensitivity::derivative_batch`. Every call must return: either a result or the typed
//! error (`InvalidParameter` / `OutsideAssumptions`, naming the first offending point), never a
//! panic, never a hang (each case runs on its own thread with a time limit).
//!
//! A proptest harness on stable Rust. It runs for `ALLYSWEEP_FUZZ_SECONDS` (default 20) or
//! `ALLYSWEEP_FUZZ_CASES` cases (default 1,000,000), whichever comes first, from a fixed seed
//! (`ALLYSWEEP_FUZZ_SEED` to change it), shrinks a failing case, and prints the number of cases
//! it ran on stderr (uncaptured).

use std::io::Write as _;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use allysweep_core::batch::{BatchInput, BatchOutput, ColumnMut, Dtype, OUTPUTS};
use allysweep_core::sensitivity;
use allysweep_core::{Method, ModelError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const NCOL: usize = 18;
/// Points per batch (1..=MAX_POINTS).
const MAX_POINTS: usize = 4;
/// A case that takes longer than this counts as a hang.
const HANG: Duration = Duration::from_secs(20);

/// `x` moved by `steps` units in the last place (through zero and into the subnormals).
fn ulps(x: f64, steps: i64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let mut y = x;
    for _ in 0..steps.unsigned_abs() {
        y = if steps > 0 { next_up(y) } else { -next_up(-y) };
    }
    y
}

fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

/// Values every column may take instead of a sensible one.
fn nasty() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::from_bits(1)), // the smallest subnormal
        Just(-f64::from_bits(1)),
        Just(f64::MIN_POSITIVE / 3.0), // a subnormal
        Just(f64::MIN_POSITIVE),
        Just(f64::EPSILON),
        Just(1.0),
        Just(ulps(1.0, 1)),
        Just(ulps(1.0, -1)),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(1e300),
        Just(-1e300),
        Just(1e-300),
        any::<f64>(),
    ]
}

/// A column index and how it is spoiled: a nasty value, or its bound moved by a few ulps.
#[derive(Debug, Clone)]
enum Spoil {
    Nasty(usize, f64),
    Hair(usize, i64),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        (0..NCOL, nasty()).prop_map(|(c, v)| Spoil::Nasty(c, v)),
        (0..NCOL, -3i64..=3).prop_map(|(c, s)| Spoil::Hair(c, s)),
    ]
}

/// A valid point drawn from unit draws (so shrinking moves towards simple points), with its
/// families: theta 0 = uniform, 1 = two-point; cost 0 = uniform, 1 = logistic, 2 = normal.
fn base_point() -> impl Strategy<Value = [f64; NCOL]> {
    (proptest::collection::vec(0.0..1.0f64, 16), 0..2u8, 0..3u8).prop_map(|(u, tk, ck)| {
        let p = 0.05 + 0.8 * u[0];
        let p_alliance = p + (0.02 + 0.98 * u[1]) * (1.0 - p);
        let p_coalition = p + (0.1 + 0.9 * u[2]) * (p_alliance - p);
        let c_d = u[3] * (p + 0.5); // A1 holds or fails
        let (ta, tb, tc) = if tk == 0 {
            (0.3 * u[10], 0.3 * u[10] + 0.1 + u[11], f64::NAN)
        } else {
            (0.5 * u[10], 0.5 * u[10] + 0.05 + 0.5 * u[11], 0.05 + 0.9 * u[12])
        };
        let (ca, cb) = if ck == 0 { (u[13] - 0.3, u[13] - 0.3 + 0.2 + u[14]) } else { (u[13], 0.02 + 0.3 * u[14]) };
        [
            p,
            p_alliance,
            p_coalition,
            c_d,
            u[4] * c_d,
            0.3 * u[5],
            0.01 + 0.4 * u[6],
            0.15 * u[7],
            0.3 * u[8],
            0.2 * u[9],
            f64::from(tk),
            ta,
            tb,
            tc,
            f64::from(ck),
            ca,
            cb,
            if u[15] < 0.5 { f64::NAN } else { u[15] },
        ]
    })
}

/// The bound column `c` of `point` sits on (the value a "hair" perturbation moves).
fn bound(point: &[f64; NCOL], c: usize) -> f64 {
    let [p, p_alliance, _, c_d, _, _, _, _, _, _, tk, ta, _, _, ck, ca, _, _] = *point;
    match c {
        0 => {
            if ta < 0.5 {
                0.0
            } else {
                1.0
            }
        }
        1 => {
            if c_d < 0.5 {
                p
            } else {
                1.0
            }
        }
        2 => {
            if c_d < 0.3 {
                p
            } else {
                p_alliance
            }
        }
        4 => {
            if ca < 0.5 {
                0.0
            } else {
                c_d
            }
        }
        10 | 14 => point[c].round(),
        12 => ta, // hi (low) above lo (high)
        13 if tk == 1.0 => {
            if ca < 0.5 {
                0.0
            } else {
                1.0
            }
        }
        16 if ck == 0.0 => ca, // uniform cost: hi above lo
        3 | 5 | 6 | 7 | 8 | 9 | 11 | 16 => 0.0,
        _ => point[c],
    }
}

#[derive(Debug, Clone)]
struct Case {
    points: Vec<[f64; NCOL]>,
    method: usize,
    lam: f64,
    slots: usize,
    threads: usize,
    derivatives: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let point = (base_point(), proptest::collection::vec(spoil(), 0..4)).prop_map(|(mut pt, spoils)| {
        for s in spoils {
            match s {
                Spoil::Nasty(c, v) => pt[c] = v,
                Spoil::Hair(c, steps) => pt[c] = ulps(bound(&pt, c), steps),
            }
        }
        pt
    });
    (
        proptest::collection::vec(point, 1..=MAX_POINTS),
        0..4usize,
        prop_oneof![
            Just(1e8),
            Just(0.0),
            Just(1.0),
            Just(f64::NAN),
            Just(-1.0),
            Just(f64::INFINITY),
            Just(1e300),
            Just(allysweep_core::MAX_LAM),
            Just(ulps(allysweep_core::MAX_LAM, 1)),
        ],
        1..=8usize,
        prop_oneof![Just(1usize), Just(2)],
        any::<bool>(),
    )
        .prop_map(|(points, method, lam, slots, threads, derivatives)| Case {
            points,
            method,
            lam,
            slots,
            threads,
            derivatives,
        })
}

/// One output column's storage (only the vector of its dtype is used).
struct Buffer {
    name: &'static str,
    dtype: Dtype,
    f: Vec<f64>,
    i: Vec<i64>,
    k: Vec<i8>,
    b: Vec<bool>,
}

/// What one case did (for the summary).
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    results: u64,
    errors: u64,
}

/// Run one case; `Err` describes a failure (anything but a result or the typed error).
fn run_case(case: &Case) -> Result<Tally, String> {
    let n = case.points.len();
    let cols: Vec<Vec<f64>> = (0..NCOL).map(|c| case.points.iter().map(|p| p[c]).collect()).collect();
    let slices: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let input = BatchInput::from_columns(&slices).ok_or("columns")?;
    let name = Method::NAMES[case.method];
    let mut tally = Tally::default();
    let method = match Method::from_name(name, case.lam) {
        Ok(m) => m,
        Err(ModelError::InvalidParameter(e)) if e.name == "lam" => {
            tally.errors += 1;
            return Ok(tally);
        }
        Err(e) => return Err(format!("from_name({name}, {}): unexpected {e:?}", case.lam)),
    };
    // qre is slow (a continuation per point): one point per case.
    let input = if matches!(method, Method::Qre { .. }) {
        BatchInput::from_columns(&slices.iter().map(|s| &s[..1]).collect::<Vec<_>>()).ok_or("columns")?
    } else {
        input
    };
    let n = input.len().min(n);
    let mut buffers: Vec<Buffer> = OUTPUTS
        .iter()
        .map(|o| {
            let len = if o.per_equilibrium { n * case.slots } else { n };
            Buffer {
                name: o.name,
                dtype: o.dtype,
                f: vec![0.0; len],
                i: vec![0; len],
                k: vec![0; len],
                b: vec![false; len],
            }
        })
        .collect();
    let mut columns = std::collections::HashMap::new();
    for buf in &mut buffers {
        let col = match buf.dtype {
            Dtype::Float64 => ColumnMut::Float64(&mut buf.f),
            Dtype::Int64 => ColumnMut::Int64(&mut buf.i),
            Dtype::Int8 => ColumnMut::Int8(&mut buf.k),
            Dtype::Bool => ColumnMut::Bool(&mut buf.b),
        };
        columns.insert(buf.name, col);
    }
    let out = BatchOutput::from_columns(n, case.slots, &mut columns).map_err(|e| format!("{e:?}"))?;
    let solved = method.solve_batch(&input, out, case.threads);
    check_outcome(&input, solved, "solve_batch", &mut tally)?;
    if case.derivatives && !matches!(method, Method::Qre { .. }) {
        let wrt: Vec<usize> = (0..sensitivity::scalar::WRT_COLUMNS.len()).step_by(3).collect();
        let nout = sensitivity::DERIVATIVE_OUTPUTS.len();
        let mut values = vec![0.0; n * case.slots * nout * wrt.len()];
        let mut diff = vec![false; n * case.slots];
        let got = sensitivity::derivative_batch(method, &input, case.slots, &wrt, case.threads, &mut values, &mut diff);
        check_outcome(&input, got, "derivative_batch", &mut tally)?;
    }
    Ok(tally)
}

/// A result, or the typed error naming the first offending point (which is invalid, and every
/// point before it valid, for the domain error).
fn check_outcome(
    input: &BatchInput<'_>,
    got: Result<(), ModelError>,
    what: &str,
    tally: &mut Tally,
) -> Result<(), String> {
    match got {
        Ok(()) => {
            if let Some(i) = (0..input.len()).find(|&i| input.valid_point(i).is_err()) {
                return Err(format!("{what}: a result although point {i} is outside the domain"));
            }
            tally.results += 1;
            Ok(())
        }
        Err(ModelError::InvalidParameter(e)) => {
            let i = e.index.ok_or_else(|| format!("{what}: error without a point index: {e:?}"))?;
            if input.valid_point(i).is_ok() {
                return Err(format!("{what}: point {i} refused although valid: {e:?}"));
            }
            tally.errors += 1;
            Ok(())
        }
        Err(ModelError::OutsideAssumptions { index: Some(_), .. }) => {
            tally.errors += 1;
            Ok(())
        }
        Err(other) => Err(format!("{what}: unexpected error {other:?}")),
    }
}

/// Run a case on its own thread: a panic or a case slower than [`HANG`] is a failure.
fn guarded(case: &Case) -> Result<Tally, String> {
    let (tx, rx) = mpsc::channel();
    let owned = case.clone();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| run_case(&owned));
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(HANG) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("panic: {msg}"))
        }
        Err(_) => Err(format!("hang: no answer within {HANG:?}")),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn batch_entry_never_panics_or_hangs_on_arbitrary_f64() {
    let seconds = env_number("ALLYSWEEP_FUZZ_SECONDS", 20);
    let max_cases = env_number("ALLYSWEEP_FUZZ_CASES", 1_000_000);
    let seed = env_number("ALLYSWEEP_FUZZ_SEED", 16);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(Config { failure_persistence: None, ..Config::default() }, rng);
    let strategy = case();
    // A panic inside a case is caught and reported as a failure: keep the default hook quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    let (mut cases, mut tally) = (0u64, Tally::default());
    let mut points = 0u64;
    while cases < max_cases && start.elapsed() < Duration::from_secs(seconds) {
        let mut tree = strategy.new_tree(&mut runner).expect("a case");
        let current = tree.current();
        cases += 1;
        points += current.points.len() as u64;
        match guarded(&current) {
            Ok(t) => {
                tally.results += t.results;
                tally.errors += t.errors;
            }
            Err(first) => {
                // Shrink (bounded in time) to the simplest failing case.
                let (mut smallest, mut why) = (current, first);
                let until = Instant::now() + Duration::from_secs(30);
                while Instant::now() < until && tree.simplify() {
                    match guarded(&tree.current()) {
                        Err(w) => {
                            smallest = tree.current();
                            why = w;
                        }
                        Ok(_) => {
                            if !tree.complicate() {
                                break;
                            }
                        }
                    }
                }
                let _ = std::panic::take_hook();
                panic!("fuzz case {cases} failed: {why}\n{smallest:#?}");
            }
        }
    }
    let _ = std::panic::take_hook();
    let line = format!(
        "fuzz_batch: {cases} cases ({points} points) in {:.1} s, seed {seed}: {} results, {} typed errors, \
         0 panics, 0 hangs\n",
        start.elapsed().as_secs_f64(),
        tally.results,
        tally.errors
    );
    // Written to stderr directly: the test harness captures print!/eprint! of passing tests.
    let _ = std::io::stderr().write_all(line.as_bytes());
    assert!(cases >= 100, "only {cases} cases ran in {seconds} s");
}
