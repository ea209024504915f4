"""Provenance: what produced a dataset, written once and used by ``asw.solve`` and by sweeps."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from ._version import __version__

__all__ = ["CONVENTIONS", "now", "history_line", "provenance_attrs", "append_history"]

#: Where the meaning of every output and every solver choice is written down.
CONVENTIONS = "MODEL.md §8 outputs; solver conventions in docs/conventions.md; CF flag_values on categorical outputs"


def now() -> str:
    """The current UTC time, as history lines give it."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def history_line(what: str) -> str:
    """One line of a dataset's ``history`` attribute: a time stamp and what was done."""
    return f"{now()}: {what}"


def append_history(history: str, what: str) -> str:
    """``history`` with one more line."""
    return f"{history}\n{history_line(what)}".strip()


def provenance_attrs(title: str, method: str, history: str, **extra: Any) -> dict[str, Any]:
    """Dataset attributes saying what produced the numbers: title, software version, method,
    conventions, history, and any ``extra`` attributes (settings, specification)."""
    attrs: dict[str, Any] = {
        "title": title,
        "software": f"allysweep {__version__}",
        "method": method,
        "conventions": CONVENTIONS,
        "history": history_line(history),
    }
    attrs.update(_plain(extra))
    return attrs


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
