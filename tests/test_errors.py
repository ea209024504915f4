"""Bad input gets a clear error naming the parameter, the value and the allowed domain, from
Python and from the CLI (exit status 2, one line); nothing panics across the FFI."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import allysweep as asw
from allysweep.exceptions import ParameterError

BAD = [
    # (kwargs, parameter named, value shown, domain fragment)
    ({"p": 1.2}, "p", "1.2", "0 < p < 1"),
    ({"p": 0.0}, "p", "0", "0 < p < 1"),
    ({"k": -1.0}, "k", "-1", "k >= 0"),
    ({"k": float("nan")}, "k", "nan", "k >= 0"),
    ({"r": float("inf")}, "r", "inf", "r >= 0"),
    ({"c_a": 0.0}, "c_a", "0", "c_a > 0"),
    # A1 (p - c_d >= 0) is no longer a domain restriction (CRISIS.md): c_d = 0.5 > p is solved.
    ({"c_d": -0.5}, "c_d", "-0.5", "c_d >= 0"),
    ({"p_alliance": 0.3}, "p_alliance", "0.3", "p < p_alliance <= 1"),
    ({"p_coalition": 0.8}, "p_coalition", "0.8", "p_coalition <= p_alliance"),
    ({"c_d_joint": 0.2}, "c_d_joint", "0.2", "c_d_joint <= c_d"),
    ({"b_c": -0.1}, "b_c", "-0.1", "b_c >= 0"),
    ({"c_c_extra": -0.1}, "c_c_extra", "-0.1", "c_c_extra >= 0"),
    ({"theta": asw.Uniform(0.5, 0.5)}, "theta.hi", "0.5", "hi > lo"),
    ({"theta": asw.Uniform(-0.1, 1)}, "theta.lo", "-0.1", "0 <= lo < hi"),
    ({"theta": asw.TwoPoint(0.2, 0.4, 1.0)}, "theta.prior_high", "1", "0 < prior_high < 1"),
    ({"theta": asw.TwoPoint(0.4, 0.2, 0.5)}, "theta.high", "0.2", "high > low"),
    ({"cost_c": asw.Uniform(1, 0)}, "cost_c.hi", "0", "hi > lo"),
    ({"cost_c": asw.Logistic(0.5, 0)}, "cost_c.scale", "0", "scale > 0"),
    ({"cost_c": asw.Normal(0.5, -1)}, "cost_c.scale", "-1", "scale > 0"),
    ({"theta": asw.Logistic(0.5, 0.1)}, "theta", "Logistic", "uniform:LO,HI or two_point"),
    ({"cost_c": asw.TwoPoint(0.1, 0.2, 0.5)}, "cost_c", "TwoPoint", "logistic:MU,SCALE"),
    ({"frobnicate": 1.0}, "frobnicate", "1", "a model parameter"),
    ({"k": "high"}, "k", "high", "k >= 0"),
]


@pytest.mark.parametrize(("kwargs", "name", "value", "domain"), BAD)
@pytest.mark.parametrize("method", ["roots", "reference"])
def test_python_error_names_parameter_value_domain(kwargs, name, value, domain, method):
    with pytest.raises(ParameterError) as info:
        asw.solve(method=method, **kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    msg = str(err)
    assert f"`{name}`" in msg and value in msg and domain in msg, msg
    assert err.name == name


def test_batch_error_names_first_offending_index():
    k = xr.DataArray([0.01, 0.02, -0.5, -0.7], dims="point")
    with pytest.raises(ParameterError) as info:
        asw.solve(k=k)
    assert info.value.index == 2
    assert "at point 2" in str(info.value)


def test_flat_batch_error_and_unknown_method():
    cols = {c: np.zeros(3) for c in asw.engine.COLUMNS}
    with pytest.raises(ParameterError, match="`p`"):
        asw.solve_flat(cols)
    with pytest.raises(ParameterError, match="method"):
        asw.solve(method="magic")


def test_error_pickles_for_dask_workers():
    err = ParameterError("k", -1.0, "k >= 0", 3)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.index == 3


CLI_BAD = [
    (["p=1.2"], "`p` = 1.2", "0 < p < 1"),
    (["k=-1"], "`k` = -1", "k >= 0"),
    (["k=nan"], "`k` = nan", "k >= 0"),
    (["c_d=-0.9"], "`c_d` = -0.9", "c_d >= 0"),
    (["theta=uniform:0.5,0.2"], "`theta.hi` = 0.2", "hi > lo"),
    (["theta=uniform:1"], "`theta` = 'uniform:1'", "uniform:LO,HI"),
    (["cost_c=gamma:1,2"], "`cost_c` = 'gamma:1,2'", "logistic:MU,SCALE"),
    (["cost_c=logistic:0.5,abc"], "`cost_c`", "logistic:MU,SCALE"),
    (["nope=3"], "`nope`", "a model parameter"),
    (["k"], "`k`", "NAME=VALUE"),
    (["k=lots"], "`k` = 'lots'", "k >= 0"),
    (["--method", "qre", "--lam", "-1", "k=0.03"], "`lam` = -1", "lam >= 0"),
    (["--lam", "5", "k=0.03"], "`lam` = 5", "together with --method qre"),
]


@pytest.mark.parametrize(("argv", "named", "domain"), CLI_BAD)
def test_cli_error_is_one_line_exit_2(argv, named, domain):
    proc = subprocess.run([sys.executable, "-m", "allysweep.cli", "solve", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert named in lines[0] and domain in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and "panic" not in proc.stderr.lower()


@pytest.mark.parametrize("threads", [0, 1])
def test_first_offending_index_in_a_large_parallel_batch(threads):
    n = 5000
    k = np.full(n, 0.03)
    k[[3001, 4500]] = -1.0
    cols = {c: np.zeros(n) for c in asw.engine.COLUMNS}
    cols.update(
        p=np.full(n, 0.4),
        p_alliance=np.full(n, 0.7),
        p_coalition=np.full(n, 0.7),
        c_d=np.full(n, 0.1),
        c_d_joint=np.full(n, 0.05),
        c_c_extra=np.full(n, 0.1),
        c_a=np.full(n, 0.15),
        k=k,
        r=np.full(n, 0.06),
        b_c=np.full(n, 0.05),
        theta_b=np.ones(n),
        theta_c=np.full(n, np.nan),
        cost_b=np.ones(n),
        range_cost=np.full(n, np.nan),
    )
    with pytest.raises(ParameterError) as info:
        asw.solve_flat(cols, threads=threads)
    assert info.value.index == 3001 and info.value.name == "k"
