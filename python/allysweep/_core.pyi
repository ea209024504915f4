"""Type stubs of the Rust extension ``allysweep._core`` (checked by ``mypy.stubtest`` in CI)."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "BUILD_PROFILE",
    "COLUMNS",
    "DEFAULT_LAM",
    "KIND_NAMES",
    "MAX_EQ",
    "METHODS",
    "__version__",
    "qre_path",
    "solve_batch",
    "validate_batch",
]

MAX_EQ: int
COLUMNS: list[str]
KIND_NAMES: list[str]
BUILD_PROFILE: str
METHODS: list[str]
DEFAULT_LAM: float
__version__: str

def solve_batch(
    columns: Sequence[npt.NDArray[np.float64]],
    threads: int = 0,
    method: str = "roots",
    lam: float = ...,  # DEFAULT_LAM
    max_eq: int = ...,  # MAX_EQ
    out: dict[str, npt.NDArray[np.generic]] | None = None,
) -> dict[str, npt.NDArray[np.generic]]:
    """Solve a batch of points given as the flat input columns of docs/conventions.md."""

def qre_path(columns: Sequence[npt.NDArray[np.float64]], lam: float = ...) -> dict[str, npt.NDArray[np.float64]]:
    """The logit QRE path of one point (columns of length 1) from λ = 0 to ``lam``."""

def validate_batch(columns: Sequence[npt.NDArray[np.float64]]) -> None:
    """Check a batch against the model's domains without solving it."""
