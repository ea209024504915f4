//! `allysweep._core`: the thin pyo3 binding of `allysweep-core`.
//!
//! Only numpy arrays and scalars cross the boundary. Every engine call goes through
//! [`enter_engine`], which releases the GIL (so Dask threads run in parallel), turns a Rust
//! panic into a Python exception instead of unwinding across the FFI, and maps [`ModelError`]
//! variants to the exception classes of `allysweep.exceptions`.

use allysweep_core::batch::{BatchInput, BatchOutput};
use allysweep_core::{Kind, Method, ModelError, MAX_EQ};
use numpy::{
    PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadwriteArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::panic::{catch_unwind, AssertUnwindSafe};

pyo3::import_exception!(allysweep.exceptions, ParameterError);
pyo3::import_exception!(allysweep.exceptions, EngineError);

fn to_py_err(err: ModelError) -> PyErr {
    match err {
        ModelError::InvalidParameter(e) => ParameterError::new_err((e.name, e.value, e.domain, e.index)),
        ModelError::OutsideAssumptions { method, name, value, requirement, index } => {
            ParameterError::new_err((name, value, format!("{requirement}; method `{method}` cannot solve it"), index))
        }
        other @ ModelError::ShapeMismatch { .. } => PyValueError::new_err(other.to_string()),
    }
}

/// The one choke point for engine calls: GIL released, panics caught, errors mapped.
fn enter_engine<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, ModelError> + Send) -> PyResult<T> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(to_py_err),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(EngineError::new_err(format!("internal error in the allysweep engine (please report): {msg}")))
        }
    }
}

fn input_slices<'a>(columns: &'a [PyReadonlyArray1<'_, f64>]) -> PyResult<BatchInput<'a>> {
    if columns.len() != BatchInput::COLUMNS.len() {
        return Err(PyValueError::new_err(format!(
            "expected {} input columns ({}), got {}",
            BatchInput::COLUMNS.len(),
            BatchInput::COLUMNS.join(", "),
            columns.len()
        )));
    }
    let mut s: Vec<&'a [f64]> = Vec::with_capacity(columns.len());
    for (name, col) in BatchInput::COLUMNS.iter().zip(columns) {
        s.push(
            col.as_slice().map_err(|_| {
                PyValueError::new_err(format!("input column `{name}` must be a contiguous float64 array"))
            })?,
        );
    }
    Ok(BatchInput {
        p: s[0],
        p_alliance: s[1],
        p_coalition: s[2],
        c_d: s[3],
        c_d_joint: s[4],
        c_c_extra: s[5],
        c_a: s[6],
        k: s[7],
        r: s[8],
        b_c: s[9],
        theta_kind: s[10],
        theta_a: s[11],
        theta_b: s[12],
        theta_c: s[13],
        cost_kind: s[14],
        cost_a: s[15],
        cost_b: s[16],
        range_cost: s[17],
    })
}

/// Default QRE precision: large enough that the path's end is its λ -> ∞ limit to ~1e-8.
const DEFAULT_LAM: f64 = 1e8;

fn parse_method(name: &str, lam: f64) -> PyResult<Method> {
    if !Method::NAMES.contains(&name) {
        return Err(ParameterError::new_err((
            "method",
            name.to_string(),
            format!("one of: {}", Method::NAMES.join(", ")),
            None::<usize>,
        )));
    }
    Method::from_name(name, lam).map_err(to_py_err)
}

/// One column of the QRE path: its name and how to read it from a path point.
type PathField = fn(&allysweep_core::variants::qre::PathPoint) -> f64;

/// The logit QRE path of one point (columns of length 1) from λ = 0 to `lam`.
///
/// Returns a dict of 1-D arrays, one entry per accepted continuation step: `lam`,
/// `prob_challenge_no_alliance`, `prob_challenge_alliance`, `prob_alliance`, `belief_alliance`,
/// `belief_no_alliance`, `cutpoint`. Empty arrays if continuation broke down.
#[pyfunction]
#[pyo3(signature = (columns, lam = DEFAULT_LAM))]
fn qre_path<'py>(py: Python<'py>, columns: Vec<PyReadonlyArray1<'py, f64>>, lam: f64) -> PyResult<Bound<'py, PyDict>> {
    let input = input_slices(&columns)?;
    if input.len() != 1 {
        return Err(PyValueError::new_err(format!("qre_path takes exactly one point, got {}", input.len())));
    }
    let Method::Qre { lam } = parse_method("qre", lam)? else {
        return Err(PyValueError::new_err("unreachable: qre method expected"));
    };
    let path = enter_engine(py, || {
        input.validate()?;
        let (params, _) = input.point(0)?;
        Ok(allysweep_core::variants::qre::path(&params, lam))
    })?;
    let dict = PyDict::new(py);
    let columns: [(&str, PathField); 7] = [
        ("lam", |x| x.lam),
        ("prob_challenge_no_alliance", |x| x.prob_challenge_no_alliance),
        ("prob_challenge_alliance", |x| x.prob_challenge_alliance),
        ("prob_alliance", |x| x.prob_alliance),
        ("belief_alliance", |x| x.belief_alliance),
        ("belief_no_alliance", |x| x.belief_no_alliance),
        ("cutpoint", |x| x.cutpoint),
    ];
    for (name, get) in columns {
        dict.set_item(name, PyArray1::from_vec(py, path.iter().map(get).collect::<Vec<f64>>()))?;
    }
    Ok(dict)
}

/// Check a batch against the model's domains without solving it.
///
/// Raises `allysweep.exceptions.ParameterError` naming the parameter, value, domain and the first
/// offending point.
#[pyfunction]
fn validate_batch(py: Python<'_>, columns: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<()> {
    let input = input_slices(&columns)?;
    enter_engine(py, || input.validate())
}

/// Per-point outputs (shape (n,)): the counts, then the full-information bargaining ranges.
const POINT_INT: [&str; 2] = ["n_eq", "status"];
const POINT_FLOAT: [&str; 4] = ["range_lo_alone", "range_hi_alone", "range_lo_joint", "range_hi_joint"];
/// Per-equilibrium outputs (shape (n, max_eq)).
const EQ_FLOAT: [&str; 12] = [
    "cutpoint",
    "prob_alliance",
    "belief_alliance",
    "belief_no_alliance",
    "prob_challenge_alliance",
    "prob_challenge_no_alliance",
    "prob_war",
    "prob_renege",
    "range_lo_alliance",
    "range_hi_alliance",
    "range_lo_no_alliance",
    "range_hi_no_alliance",
];
const EQ_BOOL: [&str; 6] = ["stable", "ic_ok", "d1_ok", "selected", "degenerate", "gain_increasing"];

/// Fresh output arrays: a dict of every output with its shape and dtype.
fn new_outputs<'py>(py: Python<'py>, n: usize, max_eq: usize) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for name in POINT_INT {
        dict.set_item(name, PyArray1::<i64>::zeros(py, n, false))?;
    }
    for name in POINT_FLOAT {
        dict.set_item(name, PyArray1::<f64>::zeros(py, n, false))?;
    }
    dict.set_item("kind", PyArray2::<i8>::zeros(py, [n, max_eq], false))?;
    for name in EQ_FLOAT {
        dict.set_item(name, PyArray2::<f64>::zeros(py, [n, max_eq], false))?;
    }
    for name in EQ_BOOL {
        dict.set_item(name, PyArray2::<bool>::zeros(py, [n, max_eq], false))?;
    }
    Ok(dict)
}

/// Borrow output `name` of `out` for writing: it must be a C-contiguous, writeable numpy array of
/// dtype `T` and exactly `shape`, and not be another output's array too.
fn borrow_output<'py, T: numpy::Element>(
    out: &Bound<'py, PyDict>,
    name: &str,
    shape: &[usize],
) -> PyResult<PyReadwriteArrayDyn<'py, T>> {
    let dtype = T::get_dtype(out.py()).to_string();
    let shape_text = py_shape(shape);
    let wrong = |what: String| {
        PyValueError::new_err(format!(
            "out['{name}'] {what}; expected a writeable C-contiguous {dtype} array of shape {shape_text}"
        ))
    };
    let item = out.get_item(name)?.ok_or_else(|| wrong("is missing".to_string()))?;
    let array = item.cast::<PyArrayDyn<T>>().map_err(|_| wrong(format!("is {}", describe(&item))))?;
    if array.shape() != shape {
        return Err(wrong(format!("has shape {}", py_shape(array.shape()))));
    }
    if !array.is_c_contiguous() {
        return Err(wrong("is not C-contiguous".to_string()));
    }
    array.try_readwrite().map_err(|e| wrong(format!("cannot be written ({e})")))
}

/// A shape as Python prints it: `(5,)`, `(10, 3)`.
fn py_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        dims => format!("({})", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

fn describe(item: &Bound<'_, PyAny>) -> String {
    let dtype = item.getattr("dtype").map(|d| d.to_string()).unwrap_or_default();
    let kind = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    if dtype.is_empty() {
        format!("a {kind}")
    } else {
        format!("a {kind} of dtype {dtype}")
    }
}

/// Solve a batch of points given as the flat input columns of docs/conventions.md.
///
/// Returns a dict of numpy arrays: per point shape (n,), per equilibrium shape (n, max_eq).
/// `max_eq` (1..=MAX_EQ) equilibrium slots per point: where more were found, the selected one is
/// kept in the last slot and status bit 1 is set (smaller outputs make large batches faster).
/// `threads=1` solves on the calling thread (for Dask tasks); 0 uses the engine's rayon pool.
/// `method`: `roots` (default), `closed_form`, `belief_space` or `qre` (at precision `lam`).
/// `out`: a dict of preallocated output arrays (as returned by an earlier call of the same `n`
/// and `max_eq`) to write into instead of allocating; it is returned. Reusing buffers avoids
/// the page faults of fresh memory, a large share of the cost of cheap methods. If the call
/// raises, the contents of `out` are unspecified.
#[pyfunction]
#[pyo3(signature = (columns, threads = 0, method = "roots", lam = DEFAULT_LAM, max_eq = MAX_EQ, out = None))]
fn solve_batch<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    threads: usize,
    method: &str,
    lam: f64,
    max_eq: usize,
    out: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    if !(1..=MAX_EQ).contains(&max_eq) {
        return Err(ParameterError::new_err((
            "max_eq",
            max_eq as f64,
            format!("1 <= max_eq <= {MAX_EQ}"),
            None::<usize>,
        )));
    }
    let method = parse_method(method, lam)?;
    let input = input_slices(&columns)?;
    input.check_lengths().map_err(to_py_err)?;
    let n = input.len();
    let dict = match out {
        Some(dict) => dict,
        None => new_outputs(py, n, max_eq)?,
    };
    let (pt, eq) = ([n], [n, max_eq]);
    let mut ints = borrow_all::<i64, 2>(&dict, POINT_INT, &pt)?;
    let mut ranges = borrow_all::<f64, 4>(&dict, POINT_FLOAT, &pt)?;
    let mut kind = borrow_all::<i8, 1>(&dict, ["kind"], &eq)?;
    let mut floats = borrow_all::<f64, 12>(&dict, EQ_FLOAT, &eq)?;
    let mut bools = borrow_all::<bool, 6>(&dict, EQ_BOOL, &eq)?;
    let [n_eq, status] = slices_mut(&mut ints)?;
    let [r0, r1, r2, r3] = slices_mut(&mut ranges)?;
    let [kind] = slices_mut(&mut kind)?;
    let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11] = slices_mut(&mut floats)?;
    let [b0, b1, b2, b3, b4, b5] = slices_mut(&mut bools)?;
    let output = BatchOutput {
        slots: max_eq,
        n_eq,
        status,
        range_lo_alone: r0,
        range_hi_alone: r1,
        range_lo_joint: r2,
        range_hi_joint: r3,
        kind,
        cutpoint: f0,
        prob_alliance: f1,
        belief_alliance: f2,
        belief_no_alliance: f3,
        prob_challenge_alliance: f4,
        prob_challenge_no_alliance: f5,
        prob_war: f6,
        prob_renege: f7,
        range_lo_alliance: f8,
        range_hi_alliance: f9,
        range_lo_no_alliance: f10,
        range_hi_no_alliance: f11,
        stable: b0,
        ic_ok: b1,
        d1_ok: b2,
        selected: b3,
        degenerate: b4,
        gain_increasing: b5,
    };
    enter_engine(py, || method.solve_batch(&input, output, threads))?;
    Ok(dict)
}

fn borrow_all<'py, T: numpy::Element, const N: usize>(
    out: &Bound<'py, PyDict>,
    names: [&str; N],
    shape: &[usize],
) -> PyResult<[PyReadwriteArrayDyn<'py, T>; N]> {
    let arrays = names.iter().map(|name| borrow_output::<T>(out, name, shape)).collect::<PyResult<Vec<_>>>()?;
    arrays.try_into().map_err(|_| EngineError::new_err("internal error in the allysweep binding: output count"))
}

/// The arrays' data as slices (contiguity was checked when they were borrowed).
fn slices_mut<'a, T: numpy::Element, const N: usize>(
    arrays: &'a mut [PyReadwriteArrayDyn<'_, T>; N],
) -> PyResult<[&'a mut [T]; N]> {
    let slices = arrays
        .iter_mut()
        .map(|a| a.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string())))
        .collect::<PyResult<Vec<_>>>()?;
    slices.try_into().map_err(|_| EngineError::new_err("internal error in the allysweep binding: output count"))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(solve_batch, m)?)?;
    m.add_function(wrap_pyfunction!(validate_batch, m)?)?;
    m.add_function(wrap_pyfunction!(qre_path, m)?)?;
    m.add("METHODS", Method::NAMES.to_vec())?;
    m.add("DEFAULT_LAM", DEFAULT_LAM)?;
    m.add("MAX_EQ", MAX_EQ)?;
    m.add("COLUMNS", BatchInput::COLUMNS.to_vec())?;
    m.add("KIND_NAMES", Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("BUILD_PROFILE", if cfg!(debug_assertions) { "debug" } else { "release" })?;
    Ok(())
}
