"""The package version, importable from every module without importing the package itself."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__: str = version("allysweep")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
