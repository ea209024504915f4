"""Solver variants (MODEL.md §11) against ``roots``: ``closed_form`` on §9 points, ``belief_space``
on random points of every family, ``qre`` at large λ; ``closed_form`` refuses points outside §9.

``roots`` is itself checked against MODEL.md (worked examples, §9 closed forms, the NumPy
reference) elsewhere; here it is the yardstick, and every comparison covers every output."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from allysweep import engine, labelled
from allysweep.exceptions import ParameterError
from test_closed_forms import section9_points

from helpers import CERTIFIED, FLOAT_EQ, KINDS, POINT, random_base

EXACT_EQ = ("kind", "stable", "ic_ok", "d1_ok", "selected", "degenerate")


def columns(base: dict, theta: tuple, cost: tuple) -> dict[str, np.ndarray]:
    """Flat engine columns; ``theta`` = (kind, a, b, c), ``cost`` = (kind, a, b), arrays or scalars."""
    n = len(base["p"])
    cols = {k: np.asarray(v, dtype=float) for k, v in base.items()}
    for name, value in zip(("theta_kind", "theta_a", "theta_b", "theta_c"), theta, strict=True):
        cols[name] = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    for name, value in zip(("cost_kind", "cost_a", "cost_b"), cost, strict=True):
        cols[name] = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    cols["range_cost"] = np.full(n, np.nan)
    return cols


def mismatches(got: dict, want: dict, tol: float = 1e-9) -> np.ndarray:
    """Indices of points where any output differs (floats beyond ``tol``, NaN patterns, codes)."""
    bad = np.zeros(len(want["n_eq"]), dtype=bool)
    for name in POINT + EXACT_EQ:
        a, b = np.asarray(got[name]), np.asarray(want[name])
        if name == "status":  # only `roots` certifies (bit 4)
            a, b = a & ~CERTIFIED, b & ~CERTIFIED
        if a.dtype.kind == "f":
            diff = ~np.isclose(a, b, rtol=0, atol=tol, equal_nan=True)
        else:
            diff = a != b
        bad |= diff.reshape(len(bad), -1).any(axis=1)
    for name in FLOAT_EQ:
        diff = ~np.isclose(got[name], want[name], rtol=0, atol=tol, equal_nan=True)
        bad |= diff.any(axis=1)
    return np.flatnonzero(bad)


def assert_same_solutions(got: dict, want: dict, tol: float = 1e-9) -> None:
    bad = mismatches(got, want, tol)
    if len(bad):
        i = bad[0]
        detail = {k: (got[k][i], want[k][i]) for k in ("n_eq", "kind", "cutpoint", "prob_alliance", "stable")}
        pytest.fail(f"{len(bad)} of {len(want['n_eq'])} points differ; first {i}: (got, want) {detail}")


# ---------------------------------------------------------------------------------------------
# closed_form


def section9_columns(seed: int, n: int) -> tuple[dict, dict[str, np.ndarray]]:
    x = section9_points(seed, n)
    base = {
        "p": x["p"],
        "p_alliance": x["p_prime"],
        "p_coalition": x["p_prime"],
        "c_d": x["c_d"],
        "c_d_joint": x["c_d"] * 0.5,
        "c_c_extra": x["c_c_extra"],
        "c_a": x["c_a"],
        "k": x["k"],
        "r": x["r"],
        "b_c": np.full(n, 0.05),
    }
    return x, columns(base, (0, 0.0, 1.0, np.nan), (0, x["c_lo"], x["c_hi"]))


def test_closed_form_matches_roots_on_section9_points():
    x, cols = section9_columns(seed=91, n=20_000)
    want = engine.solve_flat(cols, method="roots")
    got = engine.solve_flat(cols, method="closed_form")
    assert_same_solutions(got, want)
    # The sample covers regions I, II, III and both verdicts of the D1 test.
    kinds = {KINDS[k] for k in np.asarray(want["kind"]).ravel() if k >= 0}
    assert {"cutpoint_bluff", "cutpoint_honest", "pool_no_alliance"} <= kinds
    assert (np.asarray(want["stable"]) & (np.asarray(want["kind"]) == 0)).any()
    assert (~np.asarray(want["stable"]) & (np.asarray(want["kind"]) == 0)).any()
    pool = np.asarray(want["kind"]) == KINDS.index("pool_no_alliance")
    d1 = np.asarray(want["d1_ok"])[pool]
    assert d1.any() and (~d1).any()


def test_closed_form_worked_examples():
    """MODEL.md §10, E1-E3: the interior cutpoint straight from closed_form."""
    for k, theta_star, kind in (
        (0.075, 0.35, "cutpoint_honest"),
        (0.03, 41 / 195, "cutpoint_bluff"),
        (0.0072, 0.125, "cutpoint_bluff"),
    ):
        ds = labelled.solve(k=k, method="closed_form")
        kinds = [KINDS[int(v)] for v in ds.kind.values]
        j = kinds.index(kind)
        assert float(ds.cutpoint[j]) == pytest.approx(theta_star, abs=1e-12)
        assert bool(ds.stable[j]) and bool(ds.selected[j])
        assert "pool_no_alliance" in kinds


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"p_coalition": 0.6}, "p_coalition"),
        ({"r": 0.2}, "r"),
        ({"r": 0.15}, "r"),
        ({"c_a": 0.35}, "c_a"),
        ({"theta": "uniform:0.1,1"}, "theta.lo"),
        ({"theta": "uniform:0,2"}, "theta.hi"),
        ({"theta": "two_point:0.2,0.4,0.5"}, "theta"),
        ({"cost_c": "logistic:0.3,0.1"}, "cost_c"),
        ({"cost_c": "normal:0.3,0.1"}, "cost_c"),
        ({"cost_c": "uniform:0.25,1"}, "cost_c.lo"),
        ({"cost_c": "uniform:0,0.55"}, "cost_c.hi"),
    ],
)
def test_closed_form_refuses_points_outside_section9(change, name):
    from allysweep.model import parse_distribution

    params = {k: parse_distribution(k, v) if k in ("theta", "cost_c") else v for k, v in change.items()}
    with pytest.raises(ParameterError, match="closed_form") as err:
        labelled.solve(method="closed_form", **params)
    assert err.value.name == name
    assert "MODEL.md §9" in err.value.domain
    # The same point is fine for the general solver.
    assert int(labelled.solve(method="roots", **params).n_eq) >= 1


def test_closed_form_refusal_names_the_point_in_a_batch():
    _, cols = section9_columns(seed=5, n=50)
    cols["r"][17] = cols["c_a"][17] * 1.5
    with pytest.raises(ParameterError) as err:
        engine.solve_flat(cols, method="closed_form")
    assert err.value.name == "r" and err.value.index == 17


def test_closed_form_refusal_from_cli_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "solve", "r=0.2", "--method", "closed_form"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "`r` = 0.2" in proc.stderr and "closed_form" in proc.stderr and "§9" in proc.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "solve", "k=0.03", "--method", "closed_form"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr


# ---------------------------------------------------------------------------------------------
# belief_space


def random_columns(family: str, seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = random_base(rng, n)
    if family == "uniform":
        lo = rng.uniform(0, 0.5, n) * rng.choice([0.0, 1.0], n)
        theta = (0, lo, lo + rng.uniform(0.2, 1.5, n), np.nan)
        c_lo = rng.uniform(-0.4, 0.4, n)
        cost = (0, c_lo, c_lo + rng.uniform(0.2, 1.5, n))
    elif family == "two_type":
        low = rng.uniform(0, 0.6, n)
        theta = (1, low, low + rng.uniform(0.05, 0.8, n), rng.uniform(0.05, 0.95, n))
        c_lo = rng.uniform(-0.3, 0.3, n)
        cost_kind = rng.choice([0, 1], n)
        # Uniform(c_lo, c_lo + w) or Logistic(c_lo, w / 4).
        width = rng.uniform(0.2, 1.2, n)
        cost = (cost_kind, c_lo, np.where(cost_kind == 0, c_lo + width, width / 4))
    else:  # logistic / normal costs
        theta = (0, 0.0, 1.0, np.nan)
        cost = (1 if family == "logistic" else 2, rng.uniform(0.0, 0.7, n), rng.uniform(0.03, 0.4, n))
    return columns(base, theta, cost)


@pytest.mark.parametrize(
    ("family", "n"), [("uniform", 20_000), ("two_type", 20_000), ("logistic", 4000), ("normal", 2000)]
)
def test_belief_space_matches_roots(family, n):
    cols = random_columns(family, seed={"uniform": 1, "two_type": 2, "logistic": 3, "normal": 4}[family], n=n)
    want = engine.solve_flat(cols, method="roots")
    got = engine.solve_flat(cols, method="belief_space")
    assert_same_solutions(got, want)
    kinds = np.asarray(want["kind"])
    # Not a vacuous comparison: multiplicity and every non-pooling kind of the family occur.
    assert (np.asarray(want["n_eq"]) >= 3).sum() >= 5, family
    expected = {4, 5} if family == "two_type" else {0, 1}
    assert expected <= set(np.unique(kinds).tolist()), family


# ---------------------------------------------------------------------------------------------
# qre


def test_qre_reaches_the_refined_equilibrium_of_e2():
    ds = labelled.solve(k=0.03, method="qre", lam=1e8)
    assert int(ds.n_eq) == 1
    assert KINDS[int(ds.kind[0])] == "cutpoint_bluff"
    # QRE claims ~1e-8 at λ = 1e8 (README): tested at that claim.
    assert float(ds.cutpoint[0]) == pytest.approx(41 / 195, abs=1e-8)
    assert float(ds.prob_alliance[0]) == pytest.approx(154 / 195, abs=1e-8)
    assert float(ds.belief_alliance[0]) == pytest.approx(39 / 44, abs=1e-8)
    assert float(ds.prob_challenge_alliance[0]) == pytest.approx(27 / 110, abs=1e-8)
    assert bool(ds.stable[0]) and bool(ds.selected[0])


def test_qre_path_starts_at_uniform_randomisation_and_ends_at_lam():
    path = labelled.qre_path(k=0.03, lam=1e7)
    lam = path["lam"]
    assert lam[0] == 0 and lam[-1] == pytest.approx(1e7, rel=1e-9)
    # λ = 0: every agent mixes 50/50, so q_0 = q_1 = 1/2 and P = G(1 - p - M/2) = 0.6 - 0.2.
    assert path["prob_alliance"][0] == pytest.approx(0.5, abs=1e-12)
    assert path["prob_challenge_alliance"][0] == pytest.approx(0.4, abs=1e-12)
    assert path["prob_alliance"][-1] == pytest.approx(154 / 195, abs=1e-6)
    assert len(lam) >= 5


@pytest.mark.parametrize("family", ["uniform", "two_type", "logistic"])
def test_qre_converges_to_an_equilibrium_of_roots(family):
    cols = random_columns(family, seed=3 + len(family), n=40)
    want = engine.solve_flat(cols, method="roots")
    got = engine.solve_flat(cols, method="qre", lam=1e9)
    n_eq = np.asarray(got["n_eq"])
    assert (n_eq <= 1).all()
    # Continuation may break down at a non-smooth point; on these 40 points it never does.
    assert n_eq.sum() == len(n_eq)
    matched = 0
    for i in np.flatnonzero(n_eq == 1):
        kind = got["kind"][i, 0]
        candidates = [j for j in range(int(want["n_eq"][i])) if want["kind"][i, j] == kind]
        assert candidates, (i, kind, want["kind"][i])
        dist = [
            max(
                abs(got["prob_alliance"][i, 0] - want["prob_alliance"][i, j]),
                abs(got["prob_war"][i, 0] - want["prob_war"][i, j]),
                np.nan_to_num(abs(got["cutpoint"][i, 0] - want["cutpoint"][i, j])),
            )
            for j in candidates
        ]
        assert min(dist) < 1e-8, (i, KINDS[kind], min(dist))
        matched += 1
    assert matched == len(n_eq)


def test_qre_two_type_paths_reach_large_lambda():
    """With two types a mixing type's response turns within O(1/λ), so the continuation's
    convergence test scales with the slope of H. Before it did, paths broke down short of
    λ = 1e8 on 7.7% of the harness's two-type points and on 4% (12) of these; now at least 98%
    reach it and end within 1e-6 of an equilibrium of the same kind found by `roots`."""
    cols = random_columns("two_type", seed=2026, n=300)
    want = engine.solve_flat(cols, method="roots")
    got = engine.solve_flat(cols, method="qre", lam=1e8)
    matched = 0
    for i in np.flatnonzero(np.asarray(got["n_eq"]) == 1):
        kind = got["kind"][i, 0]
        dist = [
            # NaN on both sides (an off-path signal's challenge probability) is agreement.
            np.nanmax([abs(got[c][i, 0] - want[c][i, j]) for c in ("prob_alliance", "prob_war", "cutpoint")])
            for j in range(int(want["n_eq"][i]))
            if want["kind"][i, j] == kind
        ]
        matched += bool(dist) and min(dist) < 1e-6
    assert matched >= 0.98 * 300, matched


def test_bad_method_and_lam_are_parameter_errors():
    with pytest.raises(ParameterError, match="method"):
        labelled.solve(method="newton")
    with pytest.raises(ParameterError, match="lam"):
        labelled.solve(method="roots", lam=5.0)
    with pytest.raises(ParameterError, match="lam"):
        labelled.solve(method="qre", lam=-1.0)


def test_cli_qre_precision_is_passed_through():
    """`allysweep solve --method qre --lam L` follows the path to λ = L: at the default λ the
    end point is E2's refined equilibrium, at a small λ play is still noisy and differs."""
    import json

    import allysweep as asw

    def run(*extra):
        proc = subprocess.run(
            [sys.executable, "-m", "allysweep.cli", "solve", "--json", "--method", "qre", *extra, "k=0.03"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(proc.stdout)["equilibria"][0]

    sharp, noisy = run(), run("--lam", "5")
    direct = asw.solve(k=0.03, method="qre", lam=5.0)
    assert noisy["prob_war"] == pytest.approx(float(direct.prob_war.sel(eq=0)), abs=1e-12)
    assert abs(noisy["prob_war"] - sharp["prob_war"]) > 1e-3
