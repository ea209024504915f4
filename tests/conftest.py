"""Shared fixtures. Every number a test compares against comes from MODEL.md (worked examples,
closed forms) or from an independent computation in the test itself, never from the code under
test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Keep the engine's own thread pool small: the CI machine has 2 cores and tests run Dask too.
os.environ.setdefault("RAYON_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_collection_modifyitems(config, items):
    # Nothing is skipped silently: every test here must run in CI.
    return None
