"""Exceptions raised by allysweep.

They are plain Python classes (the Rust engine imports and raises them), so they carry
docstrings, subclass :class:`ValueError` where the problem is a bad value, and pickle back from
Dask workers.
"""

from __future__ import annotations

import math

__all__ = [
    "AllysweepError",
    "ParameterError",
    "SpecError",
    "StoreError",
    "StoreWriteError",
    "EngineError",
    "PlotError",
    "AnalysisError",
    "AllysweepWarning",
    "IncompleteCubeWarning",
]


class AllysweepError(Exception):
    """Base class of every allysweep error."""


class ParameterError(AllysweepError, ValueError):
    """A model parameter outside its domain (MODEL.md §3), an unknown parameter name, or a
    malformed distribution.

    Attributes
    ----------
    name : str
        Public parameter name (``p``, ``k``, ``theta.lo``, ...).
    value : object
        The offending value.
    domain : str
        The allowed domain, in words.
    index : int or None
        Position of the first offending point when the input was a batch.
    """

    def __init__(
        self,
        name: str,
        value: object,
        domain: str,
        index: int | None = None,
        *,
        default: bool = False,
        where: str | None = None,
    ):
        self.name = name
        self.value = value
        self.domain = domain
        self.index = index
        #: The value was a default (the user did not set this parameter).
        self.default = default
        #: The offending point's coordinates in a batch, e.g. ``k = -0.5, r = 0.1``.
        self.where = where
        super().__init__(self._message())

    def _message(self) -> str:
        value = self.value
        non_finite = isinstance(value, float) and not math.isfinite(value)
        if isinstance(value, float) and math.isnan(value):
            shown = "nan"
        else:
            shown = repr(value) if isinstance(value, str) else f"{value}"
        note = " (its default: you did not set it)" if self.default else ""
        where = f" at point {self.index}" if self.index is not None else ""
        if self.where:
            where += f" ({self.where})"
        domain = self.domain + (" and finite" if non_finite and "finite" not in self.domain else "")
        hint = f"; set {self.name.split('.')[0]} explicitly" if self.default else ""
        name = self.name if isinstance(self.name, str) and self.name.isprintable() else repr(self.name)
        return f"invalid parameter `{name}` = {shown}{note}{where}: allowed domain is {domain}{hint}"

    def __reduce__(self):
        return (
            _parameter_error,
            (type(self), self.name, self.value, self.domain, self.index, self.default, self.where),
        )


def _parameter_error(cls, name, value, domain, index, default=False, where=None):
    return cls(name, value, domain, index, default=default, where=where)


class SpecError(AllysweepError, ValueError):
    """A sweep specification that cannot be run: unknown key, wrong type, empty range, or an
    invalid model value. The message names the file and the key."""


class StoreError(AllysweepError):
    """A Zarr store that cannot be written or resumed (exists already, belongs to another
    specification, incomplete, ...)."""


class StoreWriteError(StoreError):
    """A write into a store failed (``ENOSPC``: the disk is full; a quota; an I/O error).

    A worker raises it for the block it could not write (that block stays unfinished; every
    block finished before stays valid); the run then stops and says how to resume.

    Attributes
    ----------
    errno : int or None
        The operating system's error number (``errno.ENOSPC`` for a full disk).
    path : str or None
        The file that could not be written.
    block : int or None
        The block being written, when a worker raised it.
    """

    def __init__(self, message: str, errno: int | None = None, path: str | None = None, block: int | None = None):
        super().__init__(message)
        self.errno = errno
        self.path = path
        self.block = block

    def __reduce__(self):
        return (type(self), (str(self), self.errno, self.path, self.block))


class EngineError(AllysweepError, RuntimeError):
    """An internal failure of the Rust engine (a bug: please report it). Never a bad input."""


class PlotError(AllysweepError, ValueError):
    """A plot asked for a dimension (or variable) the cube does not have.

    Attributes
    ----------
    name : str
        The missing dimension or variable.
    available : tuple of str
        What the cube offers instead.
    what : str
        ``"dimension"`` or ``"variable"``.
    """

    def __init__(
        self, name: str, available: tuple[str, ...] | list[str], what: str = "dimension", message: str | None = None
    ):
        self.name = name
        self.available = tuple(available)
        self.what = what
        shown = ", ".join(self.available) if self.available else "none"
        self.message = message
        super().__init__(message or f"the cube has no {what} `{name}`; available: {shown}")

    def __reduce__(self):
        return (type(self), (self.name, self.available, self.what, self.message))


class AnalysisError(AllysweepError, ValueError):
    """An analysis (:mod:`allysweep.analysis`) asked for something the cube does not have or a
    method cannot do: an unknown output, parameter, dimension, label or target, a condition on
    the wrong dimensions, or a method that is invalid there (Sobol indices on a filtered sample).

    Attributes
    ----------
    name : str
        The offending output, parameter, dimension, condition or method.
    available : tuple of str
        What the cube or method offers instead (may be empty).
    what : str
        ``"output"``, ``"parameter"``, ``"dimension"``, ``"condition"``, ``"target"``, ...
    """

    def __init__(self, name: str, message: str, available: tuple[str, ...] | list[str] = (), what: str = "output"):
        self.name = name
        self.available = tuple(available)
        self.what = what
        self.message = message
        shown = f"; available: {', '.join(self.available)}" if self.available else ""
        super().__init__(f"{what} `{name}`: {message}{shown}")

    def __reduce__(self):
        return (type(self), (self.name, self.message, self.available, self.what))


class AllysweepWarning(UserWarning):
    """Base class of allysweep's warnings (the CLI prints them as one ``allysweep: warning:``
    line, without a source line)."""


class IncompleteCubeWarning(AllysweepWarning):
    """A cube some of whose blocks are not computed yet (an interrupted sweep): the message says
    how many points are missing and how to resume. Their values read as "not computed" (see
    ``allysweep.sweeps.store.STORE_FILLS``), never as results."""
