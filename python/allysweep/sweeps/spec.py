"""Sweep specifications: what to solve, where, and how.

A specification is a TOML file (or the same dictionary built in Python)::

    [sweep]
    name = "k-r-map"
    design = "grid"            # grid | lhs | sobol | list
    method = "roots"           # solver variant
    store = "k-r-map.zarr"     # output Zarr store (relative to the working directory)
    chunk_points = 100000      # points per block (= per Zarr chunk)
    max_eq = 4                 # length of the `eq` dimension in the cube
    seed = 0                   # for lhs / sobol
    derivatives = ["k", "r"]   # optional: store d_<output> along `wrt` (docs/MODEL.md §14.4)

    [params]
    p = 0.4                                    # fixed
    k = { linspace = [0.0, 0.12, 121] }        # grid axis: start, stop, count
    r = { geomspace = [0.01, 0.3, 40] }        # grid axis, log-spaced
    c_a = [0.1, 0.15, 0.2]                     # grid axis: explicit values
    theta = "uniform:0,1"                      # a distribution, fixed
    cost_c_hi = { linspace = [0.5, 1.5, 11] }  # one field of a distribution, swept

Sampled designs (``lhs``, ``sobol``) draw ``n_points`` points; their swept parameters are
ranges ``{ uniform = [lo, hi] }`` or ``{ loguniform = [lo, hi] }``, or ranges that depend on
another parameter: ``p_alliance = { above = "p", uniform = [0.05, 0.4] }`` is p_alliance = p +
U(0.05, 0.4) at every point, ``below`` subtracts the offset (the design samples the offset as a
factor of its own, so the factors stay independent). A ``list`` design takes explicit points:
``[points]`` with one equal-length list per parameter.

Everything is checked before any work starts; a problem raises :class:`SpecError` naming the
file, the key and the reason.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import METHODS, OUTPUTS, native, to_columns
from ..exceptions import AllysweepWarning, ParameterError, SpecError
from ..model.distributions import parse_distribution
from ..model.parameters import DEFAULTS, SCALAR_PARAMETERS, coordinate_attrs, dependent_defaults

#: Parameters that may be set equal to another at every point, and to which (MODEL.md §3:
#: ``p_coalition`` defaults to ``p_alliance``, ``c_d_joint`` to ``c_d``).
FOLLOWABLE = {"p_coalition": "p_alliance", "c_d_joint": "c_d"}

__all__ = ["SweepSpec", "load_spec", "spec_from_cube", "DESIGNS", "SPEC_ATTR", "HASH_ATTR", "RESOLVED_ATTR"]

#: Cube attribute: the canonical specification (JSON) the cube was written for.
SPEC_ATTR = "allysweep_spec"
#: Cube attribute: its SHA-256 fingerprint (a store is only resumed by the same specification).
HASH_ATTR = "allysweep_spec_sha256"
#: Cube attribute: the specification with every parameter value used, defaults made explicit.
RESOLVED_ATTR = "allysweep_spec_resolved"

DESIGNS = ("grid", "lhs", "sobol", "list", "saltelli", "morris", "adaptive")
#: Designs whose swept parameters are grid axes (``adaptive``: the finest grid of the tree).
AXIS_DESIGNS = ("grid", "adaptive")
#: Designs that sample ranges (``{ uniform = [lo, hi] }``, dependent ranges). ``saltelli`` is
#: Saltelli's scheme for Sobol indices (SALib's ``sample.sobol``: ``n_base`` base points give
#: n_base (2 D + 2) points, or n_base (D + 2) without second-order indices); ``morris`` is
#: Morris' elementary-effects design (``n_trajectories`` trajectories of D + 1 points on a
#: ``levels``-level grid).
SAMPLED_DESIGNS = ("lhs", "sobol", "saltelli", "morris")
#: Designs whose points must all be present, in order, for their method (sensitivity analysis).
SENSITIVITY_DESIGNS = ("saltelli", "morris")
#: How a dependent range relates to its base: value = base + offset (above) or base - offset (below).
RELATIONS = ("above", "below")
_SWEEP_KEYS = {
    "name": str,
    "design": str,
    "method": str,
    "store": str,
    "chunk_points": int,
    "max_eq": int,
    "seed": int,
    "n_points": int,
    "outputs": list,
    "lam": float,
    "derivatives": list,
    "n_base": int,
    "second_order": bool,
    "n_trajectories": int,
    "levels": int,
    "coarse": int,
    "label": str,
    "min_level": int,
    "infer": bool,
}
_CLUSTER_KEYS = {"kind": str, "n_workers": int, "threads_per_worker": int, "scheduler": str, "jobqueue": dict}


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (frozen: it pickles to Dask workers unchanged).

    Use :func:`load_spec` for a TOML file or :meth:`from_dict` for a dictionary.
    """

    name: str
    design: str
    method: str
    store: str
    chunk_points: int
    max_eq: int
    seed: int
    n_points: int | None
    outputs: tuple[str, ...]
    theta: str
    cost_c: str
    fixed: tuple[tuple[str, float], ...]
    axes: tuple[tuple[str, tuple[float, ...]], ...] = ()
    ranges: tuple[tuple[str, str, float, float], ...] = ()
    points: tuple[tuple[str, tuple[float, ...]], ...] = ()
    cluster: tuple[tuple[str, Any], ...] = ()
    lam: float | None = None
    source: str = field(default="<dict>", compare=False)
    #: Parameters set equal to another at every point (``p_coalition = "p_alliance"``,
    #: ``c_d_joint = "c_d"``): the rule their defaults follow, written out.
    follows: tuple[tuple[str, str], ...] = ()
    #: Whether the specification wrote ``theta`` / ``cost_c`` (else the default was used).
    theta_given: bool = field(default=True, compare=False)
    cost_c_given: bool = field(default=True, compare=False)
    #: Parameters whose derivatives the cube stores (``d_<output>`` along ``wrt``).
    derivatives: tuple[str, ...] = ()
    #: Ranges that depend on another parameter: (name, relation, base, kind, lo, hi), the value
    #: being base + offset (``above``) or base - offset (``below``) with the offset sampled from
    #: ``kind`` on [lo, hi] as a factor of its own.
    dependents: tuple[tuple[str, str, str, str, float, float], ...] = ()
    #: Saltelli design: base points and whether second-order indices are computable.
    n_base: int | None = None
    second_order: bool = True
    #: Morris design: trajectories and grid levels.
    n_trajectories: int | None = None
    levels: int = 4
    #: Adaptive design (``allysweep.adaptive``): points per axis of the coarse grid, the label
    #: refined on, the level every cell is split down to, and face inference (labels of nodes
    #: on agreeing faces inferred, not solved).
    coarse: int = 17
    label: str = "kind,n_eq"
    min_level: int = 0
    infer: bool = True

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>", base_dir: Path | None = None) -> SweepSpec:
        """Validate a specification dictionary (the parsed TOML)."""

        def fail(key: str, reason: str) -> SpecError:
            # One line, whatever the keys and values hold (newlines, spaces, control characters).
            return SpecError(f"{source}: {_shown_key(key)}: {reason}".replace("\n", "\\n").replace("\r", "\\r"))

        if not isinstance(data, Mapping):
            raise fail("(top level)", "expected a table")
        unknown = set(data) - {"sweep", "params", "points", "cluster"}
        if unknown:
            raise fail(sorted(unknown)[0], "unknown section; allowed: [sweep], [params], [points], [cluster]")
        for section in ("sweep", "params", "points", "cluster"):
            if section in data and not isinstance(data[section], Mapping):
                got = data[section]
                raise fail(section, f"expected a table [{section}], got {type(got).__name__} {got!r}")
        sweep = dict(data.get("sweep", {}))
        for key, value in sweep.items():
            if key not in _SWEEP_KEYS:
                raise fail(f"sweep.{key}", f"unknown key; allowed: {', '.join(sorted(_SWEEP_KEYS))}")
            want = _SWEEP_KEYS[key]
            ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                raise fail(f"sweep.{key}", f"expected {want.__name__}, got {type(value).__name__} {value!r}")
        design = sweep.get("design", "grid")
        if design not in DESIGNS:
            raise fail("sweep.design", f"{design!r} is not one of {', '.join(DESIGNS)}")
        method = sweep.get("method", "roots")
        if method not in METHODS:
            raise fail("sweep.method", f"{method!r} is not one of {', '.join(METHODS)}")
        name = sweep.get("name", Path(source).stem if source != "<dict>" else "sweep")
        for key in ("name", "store"):
            text = sweep.get(key)
            if text is not None and (not text.strip() or "\x00" in text):
                raise fail(f"sweep.{key}", f"expected a usable name or path, got {text!r}")
        if "store" not in sweep and "/" in name:
            raise fail("sweep.name", f"{name!r} holds '/': the default store is <name>.zarr; set sweep.store")
        seed = sweep.get("seed", 0)
        if not 0 <= seed < 2**63:
            raise fail("sweep.seed", f"must be a whole number >= 0, got {seed}")
        store = sweep.get("store", f"{name}.zarr")
        if base_dir is not None and not Path(store).is_absolute():
            store = str((base_dir / store).resolve())
        chunk_points = sweep.get("chunk_points", 50_000)
        if chunk_points < 1:
            raise fail("sweep.chunk_points", f"must be >= 1, got {chunk_points}")
        max_eq = sweep.get("max_eq", 4)
        if not 1 <= max_eq <= 8:
            raise fail("sweep.max_eq", f"must be between 1 and 8, got {max_eq}")
        outputs = tuple(sweep.get("outputs", list(OUTPUTS)))
        for out in outputs:
            if not isinstance(out, str) or out not in OUTPUTS:
                raise fail("sweep.outputs", f"unknown output {out!r}; allowed: {', '.join(OUTPUTS)}")
        for must in ("n_eq", "status"):
            if must not in outputs:
                outputs = (must, *outputs)
        n_points = sweep.get("n_points")
        own = {
            "saltelli": ("n_base", "second_order"),
            "morris": ("n_trajectories", "levels"),
            "adaptive": ("coarse", "label", "min_level", "infer"),
        }
        for key in ("n_base", "second_order", "n_trajectories", "levels", "coarse", "label", "min_level", "infer"):
            if key in sweep and key not in own.get(design, ()):
                owner = next(d for d, keys in own.items() if key in keys)
                raise fail(f"sweep.{key}", f"only for the {owner} design, not {design!r}")
        if design in ("lhs", "sobol"):
            if n_points is None:
                raise fail("sweep.n_points", f"required for design {design!r}")
            if n_points < 1:
                raise fail("sweep.n_points", f"must be >= 1, got {n_points}")
        elif n_points is not None:
            hint = {"saltelli": " (give sweep.n_base)", "morris": " (give sweep.n_trajectories)"}.get(design, "")
            raise fail("sweep.n_points", f"only for lhs / sobol designs, not {design!r}{hint}")
        if design == "saltelli":
            n_base = sweep.get("n_base")
            if n_base is None or n_base < 2 or n_base & (n_base - 1):
                raise fail(
                    "sweep.n_base",
                    f"the saltelli design needs a power of two >= 2 (its Sobol sequence is balanced only then), "
                    f"got {n_base!r}",
                )
        if design == "morris":
            if sweep.get("n_trajectories") is None or sweep["n_trajectories"] < 2:
                raise fail("sweep.n_trajectories", f"the morris design needs >= 2, got {sweep.get('n_trajectories')!r}")
            levels = sweep.get("levels", 4)
            if levels < 2 or levels % 2:
                raise fail("sweep.levels", f"an even number >= 2 (Morris' grid), got {levels}")

        params = dict(data.get("params", {}))
        theta_given, cost_c_given = "theta" in params, "cost_c" in params
        theta = params.pop("theta", DEFAULTS["theta"].to_string())  # type: ignore[union-attr]
        cost_c = params.pop("cost_c", DEFAULTS["cost_c"].to_string())  # type: ignore[union-attr]
        for key, text in (("theta", theta), ("cost_c", cost_c)):
            if not isinstance(text, str):
                raise fail(f"params.{key}", f"expected a string like 'uniform:0,1', got {text!r}")
            try:
                parse_distribution(key, text)
            except ParameterError as err:
                raise fail(f"params.{key}", str(err)) from None
        theta_fields = {f"theta_{f}" for f in parse_distribution("theta", theta).values()}
        cost_fields = {f"cost_c_{f}" for f in parse_distribution("cost_c", cost_c).values()}
        allowed = set(SCALAR_PARAMETERS) | theta_fields | cost_fields | {"range_cost"}

        fixed: dict[str, float] = {}
        follows: dict[str, str] = {}
        axes: list[tuple[str, tuple[float, ...]]] = []
        ranges: list[tuple[str, str, float, float]] = []
        dependent_raw: list[tuple[str, Mapping[str, Any]]] = []
        for key, value in params.items():
            where = f"params.{key}"
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                raise fail(where, f"unknown parameter for theta={theta!r}, cost_c={cost_c!r}; allowed: {hint}")
            if isinstance(value, str) and key in FOLLOWABLE:
                if value != FOLLOWABLE[key]:
                    raise fail(
                        where, f"a number, or the name {FOLLOWABLE[key]!r} (equal to it at every point); got {value!r}"
                    )
                follows[key] = value
            elif _is_number(value):
                fixed[key] = _finite(fail, where, value)
            elif isinstance(value, list):
                if design not in AXIS_DESIGNS:
                    raise fail(where, f"a list of values makes a grid axis; design is {design!r}")
                if not value:
                    raise fail(where, "empty list of values")
                if len(value) > MAX_AXIS:
                    raise fail(where, f"{len(value):,} values: a grid axis has at most {MAX_AXIS:,}")
                vals = tuple(_finite(fail, where, v) for v in value)
                if len(set(vals)) != len(vals):
                    raise fail(where, "values repeat: a grid axis needs distinct values")
                axes.append((key, vals))
            elif isinstance(value, Mapping) and any(r in value for r in RELATIONS):
                dependent_raw.append((key, value))  # resolved once every parameter is read
            elif isinstance(value, Mapping):
                if len(value) != 1:
                    raise fail(
                        where,
                        "expected one of {linspace=[a,b,n]}, {geomspace=[a,b,n]}, {uniform=[lo,hi]}, "
                        "{loguniform=[lo,hi]}",
                    )
                ((kind, args),) = value.items()
                if kind in ("linspace", "geomspace"):
                    if design not in AXIS_DESIGNS:
                        raise fail(where, f"{kind} makes a grid axis; design is {design!r} (use uniform/loguniform)")
                    axes.append((key, _spaced(fail, where, kind, args)))
                elif kind in ("uniform", "loguniform"):
                    if design not in SAMPLED_DESIGNS:
                        raise fail(where, f"{kind} ranges are sampled; design {design!r} needs fixed values or axes")
                    lo, hi = _pair(fail, where, kind, args)
                    ranges.append((key, kind, lo, hi))
                else:
                    raise fail(where, f"unknown range kind {kind!r}; use linspace, geomspace, uniform or loguniform")
            else:
                raise fail(where, f"expected a number, a list, or a range table; got {type(value).__name__} {value!r}")

        dependents = _dependents(fail, design, dependent_raw, allowed, fixed, follows, {n for n, *_ in ranges})

        points: list[tuple[str, tuple[float, ...]]] = []
        raw_points = data.get("points")
        if design == "list":
            if not isinstance(raw_points, Mapping) or not raw_points:
                raise fail("points", "design 'list' needs a [points] table with one list per parameter")
            lengths = set()
            for key, vals in raw_points.items():
                if key not in allowed:
                    raise fail(f"points.{key}", f"unknown parameter; allowed: {', '.join(sorted(allowed))}")
                if key in fixed:
                    raise fail(f"points.{key}", "also given in [params]")
                if not isinstance(vals, list) or not vals:
                    raise fail(f"points.{key}", "expected a non-empty list of numbers")
                points.append((key, tuple(_finite(fail, f"points.{key}", v) for v in vals)))
                lengths.add(len(vals))
            if len(lengths) != 1:
                raise fail("points", f"lists have different lengths: {sorted(lengths)}")
        elif raw_points is not None:
            raise fail("points", f"only for design 'list', not {design!r}")
        n_total = (
            math.prod(len(v) for _, v in axes)
            if design == "grid"
            else (len(points[0][1]) if points else int(n_points or 0))
        )
        if n_total > MAX_POINTS:
            raise fail(
                "sweep.n_points" if design in ("lhs", "sobol") else "params",
                f"{n_total:,} points: a sweep has at most {MAX_POINTS:,} (split it into several)",
            )
        if design == "adaptive":
            _check_adaptive(fail, sweep, axes)
        if design == "grid" and not axes:
            raise fail("params", "a grid design needs at least one swept parameter (a list or linspace/geomspace)")
        if design in SAMPLED_DESIGNS and not ranges and not dependents:
            raise fail("params", f"design {design!r} needs at least one range {{uniform=[lo,hi]}}")

        cluster = dict(data.get("cluster", {}))
        for key, value in cluster.items():
            if key not in _CLUSTER_KEYS:
                raise fail(f"cluster.{key}", f"unknown key; allowed: {', '.join(sorted(_CLUSTER_KEYS))}")
            if not isinstance(value, _CLUSTER_KEYS[key]):
                raise fail(f"cluster.{key}", f"expected {_CLUSTER_KEYS[key].__name__}, got {value!r}")
        if cluster.get("kind", "local") not in ("local", "slurm", "scheduler"):
            raise fail("cluster.kind", f"{cluster['kind']!r} is not one of local, slurm, scheduler")
        for wrt in sweep.get("derivatives", []):
            if not isinstance(wrt, str):
                raise fail("sweep.derivatives", f"expected names of parameters, got {wrt!r}")
        lam = sweep.get("lam")
        if lam is not None:
            if method != "qre":
                raise fail("sweep.lam", f"only used with method 'qre', not {method!r}")
            if not (math.isfinite(lam) and 0 <= lam <= native.MAX_LAM):
                raise fail("sweep.lam", f"{lam!r} outside the allowed domain: {native.LAM_DOMAIN}")
        derivatives = tuple(sweep.get("derivatives", []))

        spec = cls(
            name=name,
            design=design,
            method=method,
            store=store,
            chunk_points=chunk_points,
            max_eq=max_eq,
            seed=seed,
            n_points=n_points,
            outputs=outputs,
            theta=theta,
            cost_c=cost_c,
            fixed=tuple(fixed.items()),
            axes=tuple(axes),
            ranges=tuple(ranges),
            points=tuple(points),
            cluster=tuple(sorted(cluster.items())),
            lam=None if lam is None else float(lam),
            source=source,
            follows=tuple(follows.items()),
            theta_given=theta_given,
            cost_c_given=cost_c_given,
            derivatives=derivatives,
            dependents=tuple(dependents),
            n_base=sweep.get("n_base"),
            second_order=sweep.get("second_order", True),
            n_trajectories=sweep.get("n_trajectories"),
            levels=sweep.get("levels", 4),
            coarse=sweep.get("coarse", 17),
            label=sweep.get("label", "kind,n_eq"),
            min_level=sweep.get("min_level", 0),
            infer=sweep.get("infer", True),
        )
        if derivatives:
            if method not in native.ENGINE_METHODS:
                engines = ", ".join(native.ENGINE_METHODS)
                raise fail("sweep.derivatives", f"need an engine method ({engines}), not {method!r}")
            try:
                spec.wrt_columns()
            except ParameterError as err:
                raise fail("sweep.derivatives", str(err)) from None
        spec._validate_model_values(fail)
        # Said only for a specification that is otherwise valid (a refused one gets one line).
        if design == "sobol" and n_points & (n_points - 1):
            warnings.warn(
                f"{source}: sweep.n_points = {n_points} is not a power of two: a Sobol design is balanced only "
                f"then (the nearest are {1 << (n_points.bit_length() - 1)} and {1 << n_points.bit_length()}); "
                f"the first {n_points} points of the sequence are used",
                AllysweepWarning,
                stacklevel=3,
            )
        return spec

    def wrt_columns(self) -> list[str]:
        """The engine columns of :attr:`derivatives` (scalar parameters and distribution fields)."""
        from ..labelled import wrt_columns

        theta, cost = parse_distribution("theta", self.theta), parse_distribution("cost_c", self.cost_c)
        return wrt_columns(list(self.derivatives), theta, cost)

    # ---------------------------------------------------------------- derived
    @property
    def swept(self) -> tuple[str, ...]:
        """Names of the parameters that vary across the sweep."""
        return (
            tuple(n for n, _ in self.axes)
            + tuple(n for n, *_ in self.ranges)
            + tuple(n for n, *_ in self.dependents)
            + tuple(n for n, _ in self.points)
        )

    @property
    def factors(self) -> tuple[tuple[str, str, float, float], ...]:
        """The independent factors a sampled design draws, in order: (name, kind, lo, hi). A
        range is its parameter; a dependent range is its offset, named ``"p_alliance - p"``
        (above) or ``"c_d - c_d_joint"`` (below)."""
        return tuple(self.ranges) + tuple(
            (_factor_name(n, rel, base), kind, lo, hi) for n, rel, base, kind, lo, hi in self.dependents
        )

    @property
    def dims(self) -> tuple[str, ...]:
        """Dimensions of the cube (without ``eq``)."""
        return tuple(n for n, _ in self.axes) if self.design == "grid" else ("point",)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the cube without ``eq``: one length per grid axis, or (number of points,)."""
        if self.design == "grid":
            return tuple(len(v) for _, v in self.axes)
        if self.design == "list":
            return (len(self.points[0][1]),)
        d = len(self.factors)
        if self.design == "saltelli":
            return (int(self.n_base or 0) * (2 * d + 2 if self.second_order else d + 2),)
        if self.design == "morris":
            return (int(self.n_trajectories or 0) * (d + 1),)
        return (int(self.n_points or 0),)

    @property
    def n_total(self) -> int:
        """Number of parameter points in the sweep."""
        return int(np.prod(self.shape, dtype=np.int64))

    def chunks(self) -> tuple[int, ...]:
        """Chunk length per dimension: whole trailing axes, the leading ones split so that one
        block holds at most ``chunk_points`` points."""
        shape = self.shape
        out = list(shape)
        budget = self.chunk_points
        for i in range(len(shape) - 1, -1, -1):
            inner = int(np.prod(out[i + 1 :], dtype=np.int64)) if i + 1 < len(out) else 1
            out[i] = max(1, min(shape[i], budget // max(inner, 1)))
            if out[i] < shape[i]:
                for j in range(i):
                    out[j] = 1
                break
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The canonical specification (what is stored in the cube and hashed)."""
        sweep: dict[str, Any] = {
            "name": self.name,
            "design": self.design,
            "method": self.method,
            "chunk_points": self.chunk_points,
            "max_eq": self.max_eq,
            "seed": self.seed,
            "outputs": list(self.outputs),
        }
        if self.n_points is not None:
            sweep["n_points"] = self.n_points
        if self.design == "saltelli":
            sweep.update(n_base=self.n_base, second_order=self.second_order)
        if self.design == "morris":
            sweep.update(n_trajectories=self.n_trajectories, levels=self.levels)
        if self.design == "adaptive":
            sweep.update(coarse=self.coarse, label=self.label, min_level=self.min_level, infer=self.infer)
        if self.lam is not None:
            sweep["lam"] = self.lam
        if self.derivatives:
            sweep["derivatives"] = list(self.derivatives)
        params: dict[str, Any] = {"theta": self.theta, "cost_c": self.cost_c, **dict(self.fixed), **dict(self.follows)}
        params.update({n: list(v) for n, v in self.axes})
        params.update({n: {kind: [lo, hi]} for n, kind, lo, hi in self.ranges})
        params.update({n: {rel: base, kind: [lo, hi]} for n, rel, base, kind, lo, hi in self.dependents})
        out = {"sweep": sweep, "params": params}
        if self.points:
            out["points"] = {n: list(v) for n, v in self.points}
        return out

    def fingerprint(self) -> str:
        """SHA-256 of the canonical specification: a store is only resumed by the same one."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_store(self, store: str | Path) -> SweepSpec:
        """The same specification writing to another store (the store is not part of the
        fingerprint)."""
        from dataclasses import replace

        return replace(self, store=str(store))

    # ---------------------------------------------------------------- validation
    def _validate_model_values(self, fail) -> None:
        """Check the model's domains on every corner of the swept box (all domain constraints
        are linear inequalities between parameters, and a dependent range is its base plus or
        minus an offset, so the corners of the box of independent factors decide for every point
        inside it), then on every point of a sampled design of at most
        :data:`POINTWISE_LIMIT` points (the design itself), or of a list design."""
        names = [n for n, _ in self.axes] + [n for n, *_ in self.ranges] + [n for n, *_ in self.dependents]
        extremes = [(min(v), max(v)) for _, v in self.axes] + [(lo, hi) for _, _, lo, hi in self.ranges]
        extremes += [(lo, hi) for *_, lo, hi in self.dependents]
        corners = list(itertools.product(*extremes)) if names else [()]
        columns_per_name: dict[str, np.ndarray] = {}
        n = len(corners)
        for j, name in enumerate(names):
            columns_per_name[name] = np.array([c[j] for c in corners], dtype=float)
        if self.dependents:
            offsets = {name: columns_per_name.pop(name) for name, *_ in self.dependents}
            columns_per_name = self.with_dependents(columns_per_name, offsets, n)
        if self.points:
            n = len(self.points[0][1])
            columns_per_name = {name: np.array(v, dtype=float) for name, v in self.points}
        flat = self.columns(columns_per_name, n)
        try:
            native.validate_batch(flat)
        except ParameterError as err:
            raise fail(*self._domain_failure(err, names, corners)) from None
        if self.design in SAMPLED_DESIGNS and self.n_total <= POINTWISE_LIMIT:
            from .design import sampled_design

            design = sampled_design(self)
            try:
                native.validate_batch(self.columns(design, self.n_total))
            except ParameterError as err:
                index = int(err.index or 0)
                row = ", ".join(f"{name} = {v[index]:g}" for name, v in design.items())
                raise fail(
                    f"params.{err.name.replace('.', '_')}",
                    f"value {err.value} outside the model's domain at point {index} of the design ({row}): "
                    f"allowed domain is {err.domain}",
                ) from None

    def with_dependents(
        self, swept: Mapping[str, np.ndarray], offsets: Mapping[str, np.ndarray], n: int
    ) -> dict[str, np.ndarray]:
        """``swept`` plus the value of every dependent range, base plus (above) or minus (below)
        its offset in ``offsets``; a base that is not swept takes its fixed or default value."""
        out = {k: np.asarray(v, dtype=float) for k, v in swept.items()}
        named = self.named_values(out, n)
        for name, rel, base, *_ in self.dependents:
            offset = np.asarray(offsets[name], dtype=float)
            out[name] = named[base] + offset if rel == "above" else named[base] - offset
        return out

    def _domain_failure(self, err: ParameterError, names: list[str], corners: list[tuple]) -> tuple[str, str]:
        """(key, reason) of a model value outside its domain: the key the user wrote, or, for a
        default, that it was one and which keys to change; with the point where it fails."""
        key = err.name.replace(".", "_")
        base = key.split("_")[0] if key.startswith(("theta_", "cost_c_")) else key
        base = "cost_c" if key.startswith("cost_c") else base
        written = set(dict(self.fixed)) | set(names) | set(dict(self.follows)) | set(dict(self.points))
        if self.theta_given:
            written.add("theta")
        if self.cost_c_given:
            written.add("cost_c")
        section = "points" if key in dict(self.points) else "params"
        at = ""
        if err.index is not None and self.points:
            row = ", ".join(f"{n} = {v[err.index]:g}" for n, v in self.points)
            at = f" at point {err.index} of [points] ({row})"
        elif err.index is not None and names and err.index < len(corners):
            relation = {n: (rel, base) for n, rel, base, *_ in self.dependents}
            corner = ", ".join(
                f"{n} = {relation[n][1]} {'+' if relation[n][0] == 'above' else '-'} {v:g}"
                if n in relation
                else f"{n} = {v:g}"
                for n, v in zip(names, corners[err.index], strict=True)
            )
            at = f" at {corner}" + (" (a corner of the swept box)" if len(corners) > 1 else "")
        domain = err.domain + (" and finite" if _non_finite(err.value) and "finite" not in err.domain else "")
        if key in written or base in written:
            where = f"{section}.{key}" if key in written else f"params.{base}"
            return where, f"value {err.value} outside the model's domain{at}: allowed domain is {domain}"
        others = [w for w in re.findall(r"[a-z][a-z_]*", err.domain) if w in written and w != key]
        change = f" or change params.{others[0]}" if others else ""
        return (
            f"params.{key}",
            f"not set, so its default {err.value} was used, which is outside the model's domain{at}: "
            f"allowed domain is {domain}; set params.{key}{change}",
        )

    # ---------------------------------------------------------------- columns
    def columns(self, swept: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Flat engine columns for ``n`` points whose swept values are given in ``swept``."""
        theta = parse_distribution("theta", self.theta)
        cost_c = parse_distribution("cost_c", self.cost_c)
        return to_columns(theta, cost_c, self.named_values(swept, n), n)

    def named_values(self, swept: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Every parameter's values at ``n`` points by its public name (``p``, ``theta_lo``,
        ...): the swept ones from ``swept``, the others fixed, followed or defaulted."""
        theta = parse_distribution("theta", self.theta)
        cost_c = parse_distribution("cost_c", self.cost_c)
        fixed = dict(self.fixed)
        values: dict[str, np.ndarray] = {}

        def get(name: str, default: float) -> np.ndarray:
            if name in swept:
                return np.asarray(swept[name], dtype=float)
            return np.full(n, float(fixed.get(name, default)))

        dependent: dict[str, str | float] = dependent_defaults(set(swept) | set(fixed) | set(dict(self.follows)))
        dependent.update(dict(self.follows))
        for name in SCALAR_PARAMETERS:
            rule = dependent.get(name)
            if isinstance(rule, str):
                values[name] = values[rule].copy()
            else:
                default = DEFAULTS[name] if rule is None else rule
                values[name] = get(name, default if isinstance(default, float) else math.nan)
        for prefix, dist in (("theta", theta), ("cost_c", cost_c)):
            for fname, fval in dist.values().items():
                values[f"{prefix}_{fname}"] = get(f"{prefix}_{fname}", float(fval))
        if "range_cost" in swept or "range_cost" in fixed:
            values["range_cost"] = get("range_cost", math.nan)
        return values

    def parameter_record(self) -> dict[str, dict[str, Any]]:
        """Every parameter value the sweep uses, defaults included: name -> ``value`` (a number;
        ``"swept"``; or the name of the parameter it equals at every point), ``set_by``
        (``"spec"``, ``"default"``) and ``units``. Distributions are recorded as their family and
        one entry per field (``theta_lo``, ``cost_c_hi``, ...). Stored in the cube as
        ``allysweep_parameters``."""
        swept = set(self.swept)
        written = set(dict(self.fixed)) | swept | set(dict(self.follows))
        dependent = dependent_defaults(written)
        record: dict[str, dict[str, Any]] = {}

        def put(name: str, value: Any, set_by: str) -> None:
            record[name] = {"value": value, "set_by": set_by, "units": coordinate_attrs(name)["units"]}

        fixed, follows = dict(self.fixed), dict(self.follows)
        for name in SCALAR_PARAMETERS:
            if name in swept:
                put(name, "swept", "spec")
            elif name in fixed:
                put(name, fixed[name], "spec")
            elif name in follows:
                put(name, follows[name], "spec")
            else:
                rule = dependent.get(name)
                default = DEFAULTS[name] if rule is None else rule
                put(name, float(default) if isinstance(default, int | float) else default, "default")
        for prefix, text, raw in (("theta", self.theta, self.theta_given), ("cost_c", self.cost_c, self.cost_c_given)):
            dist = parse_distribution(prefix, text)
            record[prefix] = {"value": dist.family, "set_by": "spec" if raw else "default", "units": ""}
            for fname, fval in dist.values().items():
                key = f"{prefix}_{fname}"
                if key in swept:
                    put(key, "swept", "spec")
                elif key in fixed:
                    put(key, fixed[key], "spec")
                else:
                    put(key, float(fval), "spec" if raw else "default")
        if "range_cost" in swept or "range_cost" in fixed:
            put("range_cost", "swept" if "range_cost" in swept else fixed["range_cost"], "spec")
        else:
            record["range_cost"] = {"value": "mean of cost_c", "set_by": "default", "units": "share of the good"}
        return record

    def resolved(self) -> SweepSpec:
        """The same sweep with every parameter written out (defaults made explicit): it gives
        the same cube whatever allysweep's defaults become. Its ``to_dict()`` is stored in the
        cube as ``allysweep_spec_resolved``."""
        from dataclasses import replace

        fixed = dict(self.fixed)
        follows = dict(self.follows)
        for name, entry in self.parameter_record().items():
            value = entry["value"]
            if name in ("theta", "cost_c", "range_cost") or value == "swept" or name in fixed or name in follows:
                continue
            if isinstance(value, str):
                follows[name] = value
            else:
                fixed[name] = float(value)
        return replace(
            self, fixed=tuple(fixed.items()), follows=tuple(follows.items()), theta_given=True, cost_c_given=True
        )

    def parameter_table(self) -> list[tuple[str, str]]:
        """(name, description) rows for printing."""
        rows = [("theta", self.theta), ("cost_c", self.cost_c)]
        rows += [(n, f"{v:g}") for n, v in self.fixed]
        rows += [(n, f"{len(v)} values in [{min(v):g}, {max(v):g}]") for n, v in self.axes]
        rows += [(n, f"{kind} on [{lo:g}, {hi:g}]") for n, kind, lo, hi in self.ranges]
        rows += [
            (n, f"{base} {'+' if rel == 'above' else '-'} {kind} on [{lo:g}, {hi:g}]")
            for n, rel, base, kind, lo, hi in self.dependents
        ]
        rows += [(n, f"{len(v)} listed values") for n, v in self.points]
        return rows


def _check_adaptive(fail, sweep: Mapping[str, Any], axes: list[tuple[str, tuple[float, ...]]]) -> None:
    """An adaptive design: 2 to 6 increasing axes of one finest resolution n = 2^m + 1, a
    coarse grid of 2^c + 1 <= n points per axis, a readable label, min_level >= 0."""
    from ..adaptive import MAX_DIMS, parse_label

    if not 2 <= len(axes) <= MAX_DIMS:
        raise fail("params", f"the adaptive design sweeps 2 to {MAX_DIMS} parameters, got {len(axes)}")
    sizes = {len(v) for _, v in axes}
    n = len(axes[0][1])
    if len(sizes) != 1 or n < 3 or (n - 1) & (n - 2):
        shown = ", ".join(f"{name}: {len(v)}" for name, v in axes)
        raise fail("params", f"adaptive axes need one finest resolution n = 2^m + 1 points (2049, 257, ...): {shown}")
    for name, v in axes:
        if not all(b > a for a, b in itertools.pairwise(v)):
            raise fail(f"params.{name}", "an adaptive axis must increase")
    coarse = sweep.get("coarse", 17)
    if coarse < 2 or (coarse - 1) & (coarse - 2) or coarse > n:
        raise fail("sweep.coarse", f"2^c + 1 points per axis (5, 9, 17, ...), at most n = {n}; got {coarse}")
    if sweep.get("min_level", 0) < 0:
        raise fail("sweep.min_level", f"must be >= 0, got {sweep['min_level']}")
    try:
        parse_label(sweep.get("label", "kind,n_eq"))
    except SpecError as err:
        raise fail("sweep.label", str(err).removeprefix("label: ")) from None


#: Sampled designs up to this many points are also validated point by point when read.
POINTWISE_LIMIT = 1_000_000


def _factor_name(name: str, relation: str, base: str) -> str:
    """The factor a dependent range samples: its offset from the base."""
    return f"{name} - {base}" if relation == "above" else f"{base} - {name}"


def _dependents(
    fail,
    design: str,
    raw: list[tuple[str, Mapping[str, Any]]],
    allowed: set[str],
    fixed: Mapping[str, float],
    follows: Mapping[str, str],
    ranged: set[str],
) -> list[tuple[str, str, str, str, float, float]]:
    """Validate the dependent ranges ``{above = NAME, uniform = [lo, hi]}`` / ``below``."""
    out = []
    names = {key for key, _ in raw}
    for key, value in raw:
        where = f"params.{key}"
        if design not in SAMPLED_DESIGNS:
            raise fail(
                where,
                f"a dependent range ({{above = NAME, uniform = [lo, hi]}}) is sampled; design {design!r} is not "
                f"(use one of {', '.join(SAMPLED_DESIGNS)})",
            )
        relations = [r for r in RELATIONS if r in value]
        if len(relations) != 1 or len(value) != 2:
            raise fail(
                where,
                "expected one relation and one range: {above = NAME, uniform = [lo, hi]} or "
                f"{{below = NAME, loguniform = [lo, hi]}}; got keys {', '.join(sorted(value))}",
            )
        (relation,) = relations
        base = value[relation]
        if not isinstance(base, str):
            raise fail(where, f"{relation} names another parameter, got {base!r}")
        if base == key:
            raise fail(where, f"{relation} = {base!r}: a parameter cannot depend on itself")
        if base not in allowed:
            raise fail(where, f"{relation} = {base!r} is not a parameter; allowed: {', '.join(sorted(allowed))}")
        if base in names:
            raise fail(where, f"{relation} = {base!r}, which itself depends on another parameter: chains are refused")
        if base in follows or (base in FOLLOWABLE and base not in fixed and base not in ranged):
            raise fail(
                where,
                f"{relation} = {base!r}, which follows {FOLLOWABLE[base]} here: name {FOLLOWABLE[base]!r} "
                f"or set params.{base}",
            )
        ((kind, args),) = [(k, v) for k, v in value.items() if k != relation]
        if kind not in ("uniform", "loguniform"):
            raise fail(where, f"unknown range kind {kind!r} for a dependent range; use uniform or loguniform")
        lo, hi = _pair(fail, where, kind, args)
        if lo < 0:
            raise fail(
                where,
                f"the offset {relation} {base} must be >= 0, got {kind} [{lo:g}, {hi:g}] "
                f"(use {'below' if relation == 'above' else 'above'} for the other side)",
            )
        out.append((key, relation, base, kind, lo, hi))
    return out


#: Values of one grid axis at most (the specification stores them, and so does the cube).
MAX_AXIS = 1_000_000
#: Points of one sweep at most (larger ones are also refused by the resource checks of a run).
MAX_POINTS = 10**12


def _shown_key(key: str) -> str:
    """A key as written in messages: quoted (JSON style) when it is empty or has spaces, colons
    (the messages' separator) or characters that would not print on one line."""
    if key and key.isprintable() and ":" not in key and not any(c.isspace() for c in key):
        return key
    return json.dumps(key)


def _toml_error(err: Exception, text: str) -> str:
    """tomllib's message, with the offending line quoted (a duplicate key names no key)."""
    message = str(err).replace("\n", " ")
    found = re.search(r"at line (\d+)", message)
    if found:
        lines = text.splitlines()
        number = int(found.group(1))
        if 1 <= number <= len(lines):
            line = lines[number - 1].strip()
            shown = line if len(line) <= 80 else line[:77] + "..."
            message += f": {json.dumps(shown)}"
    return message


def _non_finite(x: Any) -> bool:
    return isinstance(x, float) and not math.isfinite(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _finite(fail, where: str, x: Any) -> float:
    if not _is_number(x) or not math.isfinite(x):
        raise fail(where, f"expected a finite number, got {x!r}")
    return float(x)


def _pair(fail, where: str, kind: str, args: Any) -> tuple[float, float]:
    if not isinstance(args, list) or len(args) != 2:
        raise fail(where, f"{kind} expects [lo, hi], got {args!r}")
    lo, hi = (_finite(fail, where, a) for a in args)
    if not lo < hi:
        raise fail(where, f"empty range: {kind} needs lo < hi, got [{lo:g}, {hi:g}]")
    if kind == "loguniform" and lo <= 0:
        raise fail(where, f"loguniform needs 0 < lo, got {lo:g}")
    return lo, hi


def _spaced(fail, where: str, kind: str, args: Any) -> tuple[float, ...]:
    if not isinstance(args, list) or len(args) != 3:
        raise fail(where, f"{kind} expects [start, stop, count], got {args!r}")
    start, stop = (_finite(fail, where, a) for a in args[:2])
    count = args[2]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise fail(where, f"{kind} count must be a whole number >= 1, got {count!r}")
    if count > MAX_AXIS:
        raise fail(where, f"{kind} count {count:,}: a grid axis has at most {MAX_AXIS:,} values")
    if count > 1 and start == stop:
        raise fail(where, f"empty range: start == stop == {start:g} with {count} values")
    with np.errstate(all="ignore"):
        if kind == "geomspace":
            if start <= 0 or stop <= 0:
                raise fail(where, f"geomspace needs positive start and stop, got [{start:g}, {stop:g}]")
            values = np.geomspace(start, stop, count)
        else:
            values = np.linspace(start, stop, count)
    if not np.isfinite(values).all():
        raise fail(where, f"{kind} [{start:g}, {stop:g}, {count}] overflows: its values are not all finite")
    if count > 1 and len(np.unique(values)) != count:
        raise fail(where, f"{kind} [{start:g}, {stop:g}, {count}]: values repeat (too many for the range)")
    return tuple(float(x) for x in values)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a TOML sweep specification. A relative store path is taken relative to
    the working directory, like any output path on the command line.

    ``path`` may also be a cube (a Zarr store written by a sweep): its stored specification is
    read back, writing to that store, so ``allysweep run CUBE.zarr --resume`` finishes it.
    """
    path = Path(path)
    if path.is_dir():
        return spec_from_cube(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SpecError(f"{path}: cannot read: {err.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {_toml_error(err, text)}") from None
    except RecursionError:
        raise SpecError(f"{path}: not valid TOML: tables or arrays nested too deeply") from None
    return SweepSpec.from_dict(data, source=str(path))


def spec_from_cube(store: str | Path, resolved: bool = False) -> SweepSpec:
    """The specification a cube was written for, read from the cube alone, writing to ``store``.

    With ``resolved=False`` it is the stored specification (same fingerprint: it resumes the
    cube). With ``resolved=True`` it is the record of every parameter value used, defaults made
    explicit (``allysweep_spec_resolved``): running it gives the same cube even if a default of
    allysweep changes.
    """
    import zarr

    path = Path(store)
    try:
        group = zarr.open_group(str(path), mode="r")
        attrs = dict(group.attrs)
    except Exception:
        attrs = {}
    key = RESOLVED_ATTR if resolved else SPEC_ATTR
    if key not in attrs:
        raise SpecError(f"{path}: no allysweep cube here (no {key} attribute): cannot read its specification")
    data = json.loads(attrs[key])
    # The stored JSON has sorted keys; the cube's dimensions give the order of the grid axes.
    dims = [str(d) for d in group["n_eq"].metadata.dimension_names or ()]
    params = data.get("params", {})
    order = [d for d in dims if d in params] + [k for k in params if k not in dims]
    data["params"] = {k: params[k] for k in order}
    spec = SweepSpec.from_dict(data, source=str(path))
    return spec.with_store(str(path.resolve()))
