"""The ``allysweep`` command: :mod:`.main` (parser, ``solve``, error -> exit code), :mod:`.sweep`
(``run``, ``info``), :mod:`.plot` (``explore``, ``report``)."""

from .main import build_parser, main

__all__ = ["main", "build_parser"]
