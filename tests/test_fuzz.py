"""Bounded fuzzing through the Python API and the command line (issue 16).

- the engine's batch entry (``asw.solve_flat``) and ``asw.solve`` with arbitrary floats: NaN,
  ±inf, subnormals, ±0, huge values, values a hair inside and outside every domain bound:
  always a result or a :class:`ParameterError`, never another exception (an ``EngineError`` is a
  caught panic);
- the sweep-spec parser with generated TOML (wrong types, huge axes, unicode keys, duplicate
  keys, deep tables, cut-off text): always a :class:`SpecError` naming the file and the key,
  and ``allysweep run`` on it exits 2 with one line and writes nothing;
- ``allysweep solve NAME=VALUE ...`` with generated parameter strings: exit 0, or exit 2 with
  one line, never a traceback.

Each test prints how many cases it generated (the figures of the issue's note). The examples
are derandomized like every property test of the gate (tests/conftest.py); .ci/run also runs
this file with fresh randomness.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import struct
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allysweep as asw
from allysweep.cli.main import main
from allysweep.engine import COLUMNS
from allysweep.exceptions import AllysweepWarning, ParameterError, SpecError


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


# --------------------------------------------------------------------------- floats


def ulps(x: float, steps: int) -> float:
    """``x`` moved ``steps`` units in the last place."""
    for _ in range(abs(steps)):
        x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
    return x


NASTY = [
    math.nan,
    -math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308 / 3,
    sys.float_info.min,
    sys.float_info.epsilon,
    1.0,
    ulps(1.0, 1),
    ulps(1.0, -1),
    sys.float_info.max,
    -sys.float_info.max,
    1e300,
    -1e300,
    1e-300,
]


def nasty() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(NASTY), st.floats(allow_nan=True, allow_infinity=True))


#: A valid base point (MODEL.md §10) and, per column, the bounds a hair perturbation moves.
BASE = {
    "p": 0.4,
    "p_alliance": 0.7,
    "p_coalition": 0.7,
    "c_d": 0.1,
    "c_d_joint": 0.05,
    "c_c_extra": 0.1,
    "c_a": 0.15,
    "k": 0.03,
    "r": 0.06,
    "b_c": 0.05,
    "theta_kind": 0.0,
    "theta_a": 0.0,
    "theta_b": 1.0,
    "theta_c": math.nan,
    "cost_kind": 0.0,
    "cost_a": 0.0,
    "cost_b": 1.0,
    "range_cost": math.nan,
}
BOUNDS = {
    "p": (0.0, 1.0),
    "p_alliance": ("p", 1.0),
    "p_coalition": ("p", "p_alliance"),
    "c_d": (0.0,),
    "c_d_joint": (0.0, "c_d"),
    "c_c_extra": (0.0,),
    "c_a": (0.0,),
    "k": (0.0,),
    "r": (0.0,),
    "b_c": (0.0,),
    "theta_kind": (0.0, 1.0),
    "theta_a": (0.0, "theta_b"),
    "theta_b": ("theta_a",),
    "theta_c": (0.0, 1.0),
    "cost_kind": (0.0, 1.0, 2.0),
    "cost_a": ("cost_b",),
    "cost_b": ("cost_a", 0.0),
    "range_cost": (0.0,),
}


@st.composite
def flat_point(draw) -> dict[str, float]:
    """One point of engine columns: the base, a family, then a few columns spoiled."""
    point = dict(BASE)
    if draw(st.booleans()):  # a two-point ally
        point.update(theta_kind=1.0, theta_a=0.2, theta_b=0.4, theta_c=0.5)
    family = draw(st.sampled_from([0.0, 1.0, 2.0]))
    if family:
        point.update(cost_kind=family, cost_a=0.5, cost_b=0.1)
    if draw(st.booleans()):  # assumption A1 fails
        point.update(c_d=0.5, c_d_joint=0.2)
    for _ in range(draw(st.integers(0, 4))):
        column = draw(st.sampled_from(COLUMNS))
        if draw(st.booleans()):
            point[column] = draw(nasty())
        else:
            bound = draw(st.sampled_from(BOUNDS[column]))
            at = point[bound] if isinstance(bound, str) else bound
            point[column] = ulps(at, draw(st.integers(-3, 3))) if math.isfinite(at) else at
    return point


COUNTS: dict[str, dict[str, int]] = {}


def count(name: str, outcome: str) -> None:
    tally = COUNTS.setdefault(name, {})
    tally[outcome] = tally.get(outcome, 0) + 1


@pytest.fixture
def report_cases(capsys):
    """Print a harness's case count (outside pytest's capture) once it has run."""
    yield
    with capsys.disabled():
        for name, tally in sorted(COUNTS.items()):
            cases = sum(tally.values())
            parts = ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))
            print(f"\n{name}: {cases} generated cases ({parts}); 0 panics, 0 hangs, 0 tracebacks")
        COUNTS.clear()


@fuzz(1500)
@given(
    points=st.lists(flat_point(), min_size=1, max_size=4),
    method=st.sampled_from(["roots", "belief_space", "closed_form", "qre"]),
    lam=st.one_of(st.none(), st.sampled_from([0.0, 1.0, 1e8, 1e10, ulps(1e10, 1), math.nan, -1.0, math.inf, 1e300])),
    max_eq=st.integers(1, 8),
)
def test_engine_batch_entry_takes_any_floats(report_cases, points, method, lam, max_eq):
    if method == "qre":
        points = points[:1]  # a continuation per point: slow
    else:
        lam = None
    columns = {c: np.array([pt[c] for pt in points], dtype=float) for c in COLUMNS}
    try:
        out = asw.solve_flat(columns, method=method, lam=lam, max_eq=max_eq, threads=1)
    except ParameterError as err:
        assert err.name and str(err).startswith("invalid parameter `"), err
        count("solve_flat", "typed errors")
        return
    assert out["n_eq"].shape == (len(points),) and (out["n_eq"] >= 0).all()
    count("solve_flat", "results")


SCALARS = ["p", "p_alliance", "p_coalition", "c_d", "c_d_joint", "c_c_extra", "c_a", "k", "r", "b_c", "range_cost"]


@fuzz(800)
@given(
    values=st.dictionaries(st.sampled_from(SCALARS), nasty(), max_size=4),
    theta=st.one_of(
        st.none(),
        st.builds(asw.Uniform, nasty(), nasty()),
        st.builds(asw.TwoPoint, nasty(), nasty(), nasty()),
    ),
    cost_c=st.one_of(
        st.none(),
        st.builds(asw.Uniform, nasty(), nasty()),
        st.builds(asw.Logistic, nasty(), nasty()),
        st.builds(asw.Normal, nasty(), nasty()),
    ),
    derivatives=st.booleans(),
)
def test_solve_takes_any_floats(report_cases, values, theta, cost_c, derivatives):
    try:
        ds = asw.solve(theta=theta, cost_c=cost_c, derivatives=["k", "r"] if derivatives else None, **values)
    except ParameterError as err:
        assert f"`{err.name}`" in str(err)
        count("asw.solve", "typed errors")
        return
    assert int(ds.n_eq) >= 0
    count("asw.solve", "results")


# --------------------------------------------------------------------------- sweep specs
KEY = st.one_of(
    st.sampled_from(["k", "r", "p", "c_a", "theta", "cost_c", "name", "store", "chunk_points", "max_eq", "lam"]),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8),
)
SCALAR = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["uniform:0,1", "logistic:0.5,0.1", "two_point:0.2,0.4,0.5", "p_alliance", "c_d", "roots"]),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=3)),
    max_leaves=12,
)
HUGE = st.sampled_from(
    [
        {"linspace": [0.0, 0.1, 10**12]},
        {"linspace": [0.0, 0.1, 2**63 - 1]},
        {"geomspace": [1e-300, 1e300, 10**7]},
        {"linspace": [-1e308, 1e308, 3]},
        {"linspace": [0.0, 0.1, 0]},
        {"uniform": [0.0, 1e308]},
        list(range(3)) * 2,
    ]
)


def deep(depth: int) -> dict:
    table: dict = {"linspace": [0.0, 0.1, 3]}
    for i in range(depth):
        table = {f"level{i}": table}
    return table


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_text(doc: dict, extra_lines: dict[str, list[str]]) -> str:
    lines = []
    for section, table in doc.items():
        lines.append(f"[{toml_key(section)}]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
        lines += extra_lines.get(section, [])
    return "\n".join(lines) + "\n"


def base_doc() -> dict:
    return {
        "sweep": {"name": "fuzz", "design": "grid", "chunk_points": 600, "max_eq": 4},
        "params": {"k": {"linspace": [0.0, 0.12, 5]}, "r": [0.0, 0.06], "cost_c": "uniform:0,1"},
    }


@st.composite
def spec_text(draw) -> tuple[str, str]:
    """(TOML text, what was done to a valid base specification)."""
    doc = base_doc()
    extra: dict[str, list[str]] = {}
    done = []
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["set", "huge", "duplicate", "deep", "delete", "section", "design"]))
        section = draw(st.sampled_from(["sweep", "params", "points", "cluster"]))
        if how == "set":
            doc.setdefault(section, {})[draw(KEY)] = draw(VALUE)
        elif how == "huge":
            key = draw(st.sampled_from(["k", "r", "c_a", "n_points", "chunk_points"]))
            if key in ("n_points", "chunk_points"):
                doc["sweep"][key] = draw(st.sampled_from([2**62, 10**12, 0, -1]))
            else:
                doc["params"][key] = draw(HUGE)
        elif how == "duplicate":
            table = doc.setdefault(section, {})
            key = draw(st.sampled_from([*table, "k"])) if table else "k"
            extra.setdefault(section, []).append(f"{toml_key(key)} = 1")
        elif how == "deep":
            doc["params"][draw(st.sampled_from(["k", "r", "x"]))] = deep(draw(st.integers(1, 40)))
        elif how == "delete" and doc.get(section):
            doc[section].pop(draw(st.sampled_from(sorted(doc[section]))))
        elif how == "section":
            doc[draw(KEY)] = {"a": 1}
        elif how == "design":
            doc["sweep"]["design"] = draw(st.sampled_from(["lhs", "sobol", "list", "grid", "monte-carlo"]))
        done.append(f"{how} {section}")
    text = toml_text(doc, extra)
    if draw(st.integers(0, 9)) == 0:  # cut off mid-file
        text = text[: draw(st.integers(0, len(text)))]
    return text, "; ".join(done)


def named_key(message: str, path: str) -> bool:
    """``<file>: <key>: <reason>`` (a key of the spec, or a TOML position)."""
    if not message.startswith(f"{path}: "):
        return False
    rest = message[len(path) + 2 :]
    if rest.startswith("not valid TOML: "):
        return bool(re.search(r"line \d+|end of document|nested too deeply", rest))
    # A key with a colon or a line break in it is quoted JSON-style (e.g. `":": unknown section`).
    return bool(re.match(r'(\(top level\)|"(?:[^"\\]|\\.)*"|[^:]+): .', rest))


@fuzz(700)
@given(case=spec_text())
def test_spec_parser_takes_any_toml(report_cases, tmp_path_factory, case):
    text, how = case
    tmp = tmp_path_factory.mktemp("spec")
    path = tmp / "spec.toml"
    path.write_text(text, encoding="utf-8")
    try:
        with warnings.catch_warnings():  # a valid Sobol design of 3 points is warned about: fine
            warnings.simplefilter("ignore", AllysweepWarning)
            spec = asw.load_spec(path)
    except SpecError as err:
        assert named_key(str(err), str(path)), (str(err), how, text)
        assert "\n" not in str(err).strip(), str(err)
        count("load_spec", "SpecErrors")
        # The command line says the same in one line, exit 2, and writes nothing.
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", str(path), "--store", str(tmp / "out.zarr"), "--quiet"])
        assert code == 2 and len(stderr.getvalue().strip().splitlines()) == 1, stderr.getvalue()
        assert sorted(p.name for p in tmp.iterdir()) == ["spec.toml"]
        return
    # A valid specification round-trips through its canonical form (what the cube stores).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AllysweepWarning)
        again = asw.SweepSpec.from_dict(spec.to_dict(), source="<canonical>")
    assert again.fingerprint() == spec.fingerprint()
    count("load_spec", "valid specs")


# --------------------------------------------------------------------------- CLI parameters
NAMES = [*SCALARS, "theta", "cost_c", "nope", "K", ""]
VALUE_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=16),
    st.builds(repr, nasty()),
    st.builds(
        lambda fam, xs: f"{fam}:{','.join(xs)}",
        st.sampled_from(["uniform", "two_point", "logistic", "normal", "gamma", "UNIFORM", ""]),
        st.lists(st.one_of(st.builds(repr, nasty()), st.text(max_size=4)), max_size=4),
    ),
)


@fuzz(500)
@given(
    words=st.lists(
        st.one_of(
            st.builds(lambda n, v: f"{n}={v}", st.sampled_from(NAMES), VALUE_TEXT),
            st.text(st.characters(exclude_categories=("Cs",)), max_size=10),
        ),
        max_size=4,
    ),
    json_out=st.booleans(),
)
def test_cli_parameter_strings(report_cases, words, json_out):
    # Words starting with "-" are options, which argparse answers with its usage (not ours).
    words = [w for w in words if not w.startswith("-") and "\x00" not in w]
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = main(["solve", *(["--json"] if json_out else []), *words])
    err = stderr.getvalue()
    if code == 0:
        count("allysweep solve", "solved")
        if json_out:
            json.loads(stdout.getvalue())
        return
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allysweep: error: "), (words, err)
    assert "Traceback" not in err
    count("allysweep solve", "one-line errors")


def test_float_helpers():
    assert ulps(0.0, 1) == 5e-324 and ulps(1.0, -1) < 1.0 < ulps(1.0, 1)
    assert struct.pack("<d", ulps(1.0, 1)) != struct.pack("<d", 1.0)


def test_a_quoted_key_counts_as_named(tmp_path):
    """Found by CI's fresh-randomness run: a section named ':' is refused naming it quoted,
    `":": unknown section`, which the check above must read as a named key."""
    path = tmp_path / "spec.toml"
    path.write_text('[sweep]\nname = "fuzz"\n[params]\nk = [0.0, 0.1]\n[":"]\na = 1\n', encoding="utf-8")
    with pytest.raises(SpecError) as err:
        asw.load_spec(path)
    assert str(err.value).startswith(f'{path}: ":": unknown section')
    assert named_key(str(err.value), str(path))
