"""Type stubs of the Rust extension ``allysweep._core`` (checked by ``mypy.stubtest`` in CI)."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "BUILD_PROFILE",
    "COLUMNS",
    "DEFAULT_LAM",
    "DERIVATIVE_OUTPUTS",
    "KIND_NAMES",
    "MAX_EQ",
    "METHODS",
    "OUTPUTS",
    "REGIME_NAMES",
    "STATUS_BITS",
    "WRT_COLUMNS",
    "__version__",
    "derivatives",
    "qre_path",
    "solve_batch",
    "validate_batch",
]

MAX_EQ: int
COLUMNS: list[str]
KIND_NAMES: list[str]
REGIME_NAMES: list[str]
#: The bits of ``status``: (mask, name).
STATUS_BITS: list[tuple[int, str]]
BUILD_PROFILE: str
METHODS: list[str]
#: The output schema: (name, numpy dtype, per equilibrium, fill value), in output order.
OUTPUTS: list[tuple[str, str, bool, float]]
DEFAULT_LAM: float
#: The per-equilibrium outputs :func:`derivatives` differentiates, in its array's order.
DERIVATIVE_OUTPUTS: list[str]
#: The input columns derivatives can be taken along.
WRT_COLUMNS: list[str]
__version__: str

def solve_batch(
    columns: Sequence[npt.NDArray[np.float64]],
    threads: int = 0,
    method: str = "roots",
    lam: float = ...,  # DEFAULT_LAM
    max_eq: int = ...,  # MAX_EQ
    out: dict[str, npt.NDArray[np.generic]] | None = None,
    outputs: Sequence[str] | None = None,
) -> dict[str, npt.NDArray[np.generic]]:
    """Solve a batch of points given as the flat input columns of docs/conventions.md.

    ``threads``: 0 = the engine's pool (``RAYON_NUM_THREADS``), 1 = the calling thread, n > 1 =
    a pool of exactly n threads for this call."""

def qre_path(columns: Sequence[npt.NDArray[np.float64]], lam: float = ...) -> dict[str, npt.NDArray[np.float64]]:
    """The logit QRE path of one point (columns of length 1) from λ = 0 to ``lam``."""

def validate_batch(columns: Sequence[npt.NDArray[np.float64]]) -> None:
    """Check a batch against the model's domains without solving it."""

def derivatives(
    columns: Sequence[npt.NDArray[np.float64]],
    wrt: Sequence[str],
    threads: int = 0,
    method: str = "roots",
    lam: float = ...,  # DEFAULT_LAM
    max_eq: int = ...,  # MAX_EQ
) -> dict[str, npt.NDArray[np.generic]]:
    """Exact derivatives of the per-equilibrium outputs along the input columns ``wrt``:
    ``values`` (n, max_eq, len(DERIVATIVE_OUTPUTS), len(wrt)), ``differentiable`` (n, max_eq)."""
