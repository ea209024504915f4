"""Tables for papers: one point's equilibria as a LaTeX booktabs table (:func:`to_latex`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from ..engine import KIND_NAMES
from ..exceptions import PlotError

__all__ = ["to_latex", "DEFAULT_COLUMNS"]

#: Columns of :func:`to_latex` by default: output name -> column heading (LaTeX).
DEFAULT_COLUMNS: dict[str, str] = {
    "kind": "Equilibrium",
    "cutpoint": r"$\theta^*$",
    "prob_alliance": r"$\Pr(\text{ally})$",
    "prob_renege": r"$\Pr(\text{renege})$",
    "prob_challenge": r"$\Pr(\text{challenge})$",
    "prob_war": r"$\Pr(\text{war})$",
    "effect_war": r"$\Delta\Pr(\text{war})$",
    "stable": "Stable",
    "d1_ok": "D1",
}

_KIND_LABELS = {
    "cutpoint_honest": "honest cut-point",
    "cutpoint_bluff": "bluffing cut-point",
    "pool_no_alliance": "pooling, no alliance",
    "pool_alliance": "pooling, alliance",
    "separating": "separating",
    "hybrid": "hybrid",
}

_ESCAPE = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}


def _escape(text: str) -> str:
    return "".join(_ESCAPE.get(ch, ch) for ch in text)


def _cell(name: str, value: object, digits: int) -> str:
    if name == "kind":
        code = int(value)  # type: ignore[call-overload]
        return _KIND_LABELS.get(KIND_NAMES[code], KIND_NAMES[code]) if code >= 0 else "--"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return "--"
    return f"{x:.{digits}f}"


def to_latex(
    ds: xr.Dataset,
    columns: Sequence[str] | dict[str, str] | None = None,
    *,
    digits: int = 3,
    caption: str | None = None,
    label: str | None = None,
    path: str | Path | None = None,
) -> str:
    """One point's equilibria as a LaTeX table (booktabs), one row per equilibrium.

    Parameters
    ----------
    ds : xarray.Dataset
        :func:`allysweep.solve` at one point (or one point of a cube, ``cube.sel(...)``): only
        the ``eq`` dimension may be left.
    columns : sequence of str or dict, optional
        The outputs to show (per equilibrium or per point), or a dict of output -> heading.
        Default: :data:`DEFAULT_COLUMNS`.
    digits : int, default 3
        Decimals of the numbers.
    caption, label : str, optional
        ``\\caption`` and ``\\label`` of a ``table`` environment around the ``tabular`` (none
        without a caption). The caption is written as given (it may contain LaTeX).
    path : str or Path, optional
        Also write the table to this file.

    Returns
    -------
    str
        The LaTeX source; it needs ``\\usepackage{booktabs}`` (and ``amsmath`` for the default
        headings). The selected equilibrium's row is marked with an asterisk, explained in a
        note under the table; off-path values are "--".

    Raises
    ------
    PlotError
        ``ds`` has a dimension other than ``eq``, or a column is not one of its variables.

    Examples
    --------
    >>> import allysweep as asw
    >>> print(asw.to_latex(asw.solve(k=0.075), ["kind", "cutpoint", "prob_war"]))  # doctest: +ELLIPSIS
    \\begin{tabular}{lrr}
    \\toprule
    Equilibrium & $\\theta^*$ & $\\Pr(\\text{war})$ \\\\
    \\midrule
    pooling, no alliance & 1.000 & 0.400 \\\\
    honest cut-point* & 0.350 & 0.340 \\\\
    ...
    """
    extra = [d for d in ds.dims if d != "eq"]
    if extra:
        raise PlotError(
            str(extra[0]),
            [str(d) for d in ds.dims],
            message=f"to_latex takes one point: select one value of {', '.join(map(str, extra))} first "
            f"(e.g. ds.sel({extra[0]}=...))",
        )
    heads = dict(DEFAULT_COLUMNS) if columns is None else columns
    if not isinstance(heads, dict):
        heads = {name: DEFAULT_COLUMNS.get(name, _escape(name)) for name in heads}
    for name in heads:
        if name not in ds.data_vars:
            raise PlotError(name, [str(v) for v in ds.data_vars], what="variable")
    n_eq = int(ds.n_eq) if "n_eq" in ds else ds.sizes.get("eq", 1)
    selected = np.asarray(ds.selected.values) if "selected" in ds else np.zeros(n_eq, dtype=bool)
    align = "".join("l" if name == "kind" else "r" for name in heads)
    lines = [rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(heads.values()) + r" \\", r"\midrule"]
    for j in range(n_eq):
        cells = []
        for name in heads:
            var = ds[name]
            value = var.values[j] if "eq" in var.dims else var.values[()]
            cell = _cell(name, value, digits)
            if not cells and bool(selected[j]):
                cell += "*"
            cells.append(cell)
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    note = r"\par\smallskip{\footnotesize * the selected equilibrium (D1, then stable, then most alliance).}"
    body = "\n".join([*lines, note])
    if caption is not None:
        parts = [r"\begin{table}", r"\centering", body, rf"\caption{{{caption}}}"]
        if label:
            parts.append(rf"\label{{{label}}}")
        body = "\n".join([*parts, r"\end{table}"])
    if path is not None:
        Path(path).write_text(body + "\n")
    return body
