//! `allysweep._core`: the thin pyo3 binding of `allysweep-core`.
//!
//! Only numpy arrays and scalars cross the boundary. Every engine call goes through
//! [`enter_engine`], which releases the GIL (so Dask threads run in parallel), turns a Rust
//! panic into a Python exception instead of unwinding across the FFI, and maps [`ModelError`]
//! variants to the exception classes of `allysweep.exceptions`.

use std::collections::HashMap;

use allysweep_core::batch::{BatchInput, BatchOutput, ColumnMut, Dtype, OutputSpec, OUTPUTS};
use allysweep_core::model::crisis::Regime;
use allysweep_core::model::equilibrium::status;
use allysweep_core::sensitivity;
use allysweep_core::{Kind, Method, ModelError, MAX_EQ};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArray1, PyReadwriteArrayDyn, PyUntypedArrayMethods};
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
        other @ (ModelError::ShapeMismatch { .. }
        | ModelError::UnknownOutput { .. }
        | ModelError::OutputType { .. }) => PyValueError::new_err(other.to_string()),
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
    BatchInput::from_columns(&s)
        .ok_or_else(|| EngineError::new_err("internal error in the allysweep binding: input columns"))
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
type PathField = fn(&allysweep_core::solvers::qre::PathPoint) -> f64;

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
        Ok(allysweep_core::solvers::qre::path(&params, lam))
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

/// The outputs to compute: those named (in schema order), or all.
fn chosen_outputs(names: Option<Vec<String>>) -> PyResult<Vec<&'static OutputSpec>> {
    let Some(names) = names else {
        return Ok(OUTPUTS.iter().collect());
    };
    if let Some(bad) = names.iter().find(|n| !OUTPUTS.iter().any(|o| o.name == n.as_str())) {
        return Err(ParameterError::new_err((
            "outputs",
            bad.clone(),
            format!("names of engine outputs: {}", OUTPUTS.iter().map(|o| o.name).collect::<Vec<_>>().join(", ")),
            None::<usize>,
        )));
    }
    Ok(OUTPUTS.iter().filter(|o| names.iter().any(|n| n == o.name)).collect())
}

/// Fresh output arrays: a dict of the chosen outputs with their shapes and dtypes.
fn new_outputs<'py>(py: Python<'py>, n: usize, max_eq: usize, chosen: &[&OutputSpec]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for spec in chosen {
        let shape: &[usize] = if spec.per_equilibrium { &[n, max_eq] } else { &[n] };
        match spec.dtype {
            Dtype::Int64 => dict.set_item(spec.name, PyArrayDyn::<i64>::zeros(py, shape, false))?,
            Dtype::Int8 => dict.set_item(spec.name, PyArrayDyn::<i8>::zeros(py, shape, false))?,
            Dtype::Float64 => dict.set_item(spec.name, PyArrayDyn::<f64>::zeros(py, shape, false))?,
            Dtype::Bool => dict.set_item(spec.name, PyArrayDyn::<bool>::zeros(py, shape, false))?,
        }
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
/// `threads=1` solves on the calling thread (for Dask tasks); 0 uses the engine's rayon pool;
/// n > 1 a pool of exactly n threads made for this call.
/// `method`: `roots` (default), `closed_form`, `belief_space` or `qre` (at precision `lam`).
/// `out`: a dict of preallocated output arrays (as returned by an earlier call of the same `n`
/// and `max_eq`) to write into instead of allocating; it is returned. Reusing buffers avoids
/// the page faults of fresh memory, a large share of the cost of cheap methods. If the call
/// raises, the contents of `out` are unspecified. `outputs`: the names of the outputs to compute
/// (default all); the others are neither computed nor returned (with `out`, only those must be
/// in it).
#[pyfunction]
#[pyo3(signature = (columns, threads = 0, method = "roots", lam = DEFAULT_LAM, max_eq = MAX_EQ, out = None, outputs = None))]
#[allow(clippy::too_many_arguments)]
fn solve_batch<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    threads: usize,
    method: &str,
    lam: f64,
    max_eq: usize,
    out: Option<Bound<'py, PyDict>>,
    outputs: Option<Vec<String>>,
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
    let chosen = chosen_outputs(outputs)?;
    let dict = match out {
        Some(dict) => dict,
        None => new_outputs(py, n, max_eq, &chosen)?,
    };
    let mut borrowed = Borrowed::default();
    for spec in chosen {
        let shape: &[usize] = if spec.per_equilibrium { &[n, max_eq] } else { &[n] };
        match spec.dtype {
            Dtype::Int64 => borrowed.int64.push((spec.name, borrow_output(&dict, spec.name, shape)?)),
            Dtype::Int8 => borrowed.int8.push((spec.name, borrow_output(&dict, spec.name, shape)?)),
            Dtype::Float64 => borrowed.float64.push((spec.name, borrow_output(&dict, spec.name, shape)?)),
            Dtype::Bool => borrowed.bool.push((spec.name, borrow_output(&dict, spec.name, shape)?)),
        }
    }
    let mut columns = borrowed.columns()?;
    let output = BatchOutput::from_columns(n, max_eq, &mut columns).map_err(to_py_err)?;
    enter_engine(py, || method.solve_batch(&input, output, threads))?;
    Ok(dict)
}

/// The output arrays of one call, borrowed for writing, grouped by element type.
#[derive(Default)]
struct Borrowed<'py> {
    int64: Vec<(&'static str, PyReadwriteArrayDyn<'py, i64>)>,
    int8: Vec<(&'static str, PyReadwriteArrayDyn<'py, i8>)>,
    float64: Vec<(&'static str, PyReadwriteArrayDyn<'py, f64>)>,
    bool: Vec<(&'static str, PyReadwriteArrayDyn<'py, bool>)>,
}

impl Borrowed<'_> {
    /// Every borrowed array as a named mutable slice (contiguity was checked when borrowed).
    fn columns(&mut self) -> PyResult<HashMap<&'static str, ColumnMut<'_>>> {
        fn slice<'a, T: numpy::Element>(a: &'a mut PyReadwriteArrayDyn<'_, T>) -> PyResult<&'a mut [T]> {
            a.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))
        }
        let mut columns = HashMap::with_capacity(OUTPUTS.len());
        for (name, a) in &mut self.int64 {
            columns.insert(*name, ColumnMut::Int64(slice(a)?));
        }
        for (name, a) in &mut self.int8 {
            columns.insert(*name, ColumnMut::Int8(slice(a)?));
        }
        for (name, a) in &mut self.float64 {
            columns.insert(*name, ColumnMut::Float64(slice(a)?));
        }
        for (name, a) in &mut self.bool {
            columns.insert(*name, ColumnMut::Bool(slice(a)?));
        }
        Ok(columns)
    }
}

/// Exact derivatives of the per-equilibrium outputs along the named input columns
/// (docs/MODEL.md §14.4): `values` of shape (n, max_eq, outputs, wrt) and `differentiable` of
/// shape (n, max_eq).
#[pyfunction]
#[pyo3(signature = (columns, wrt, threads = 0, method = "roots", lam = DEFAULT_LAM, max_eq = MAX_EQ))]
fn derivatives<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    wrt: Vec<String>,
    threads: usize,
    method: &str,
    lam: f64,
    max_eq: usize,
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
    let names: Vec<&str> = wrt.iter().map(String::as_str).collect();
    let idx = sensitivity::wrt_indices(&names).map_err(to_py_err)?;
    let n = input.len();
    let nout = sensitivity::DERIVATIVE_OUTPUTS.len();
    let values = PyArrayDyn::<f64>::zeros(py, &[n, max_eq, nout, idx.len()][..], false);
    let diff = PyArrayDyn::<bool>::zeros(py, &[n, max_eq][..], false);
    {
        let mut v = values.readwrite();
        let mut d = diff.readwrite();
        let (v, d) = (
            v.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))?,
            d.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))?,
        );
        enter_engine(py, || sensitivity::derivative_batch(method, &input, max_eq, &idx, threads, v, d))?;
    }
    let dict = PyDict::new(py);
    dict.set_item("values", values)?;
    dict.set_item("differentiable", diff)?;
    Ok(dict)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(solve_batch, m)?)?;
    m.add_function(wrap_pyfunction!(validate_batch, m)?)?;
    m.add_function(wrap_pyfunction!(qre_path, m)?)?;
    m.add_function(wrap_pyfunction!(derivatives, m)?)?;
    m.add("DERIVATIVE_OUTPUTS", sensitivity::DERIVATIVE_OUTPUTS.to_vec())?;
    m.add("WRT_COLUMNS", sensitivity::scalar::WRT_COLUMNS.to_vec())?;
    m.add("METHODS", Method::NAMES.to_vec())?;
    m.add("DEFAULT_LAM", DEFAULT_LAM)?;
    m.add("MAX_EQ", MAX_EQ)?;
    m.add("COLUMNS", BatchInput::COLUMNS.to_vec())?;
    // The output schema: (name, numpy dtype, per equilibrium, fill value), in output order.
    let outputs: Vec<(&str, &str, bool, f64)> =
        OUTPUTS.iter().map(|o| (o.name, o.dtype.name(), o.per_equilibrium, o.fill)).collect();
    m.add("OUTPUTS", outputs)?;
    m.add("KIND_NAMES", Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>())?;
    m.add("REGIME_NAMES", Regime::ALL.iter().map(|r| r.name()).collect::<Vec<_>>())?;
    // The bits of `status`: (mask, name), for CF flag_masks / flag_meanings.
    m.add("STATUS_BITS", status::BITS.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("BUILD_PROFILE", if cfg!(debug_assertions) { "debug" } else { "release" })?;
    Ok(())
}
