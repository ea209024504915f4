"""Where A1 holds, every output an older build had is bit-for-bit what that build gives.

Solves the same random MODEL.md points (uniform and two-type allies; uniform, logistic and
normal costs; 20,000 points each) with this build and with a baseline build (another source
tree's ``python/`` with its ``_core`` built, given as a PYTHONPATH), each in its own process, and
compares every output the baseline has, exactly (NaN equal to NaN).

Usage::

    python benches/a1_bit_for_bit.py --baseline /path/to/old/checkout/python
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

WORKER = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[2])
from test_parity import random_columns
from allysweep import _core
out = {}
for tk in (0, 1):
    for ck in (0, 1, 2):
        cols = random_columns(seed=900 + 10 * tk + ck, n=20000, theta_kind=tk, cost_kind=ck)
        arrays = [np.ascontiguousarray(cols[c], dtype=np.float64) for c in _core.COLUMNS]
        for name, values in _core.solve_batch(arrays, 1, "roots", _core.DEFAULT_LAM, 8).items():
            out[f"{tk}{ck}_{name}"] = values
np.savez(sys.argv[1], **out)
"""


def solve(pythonpath: str | None, path: Path) -> None:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    tests = str(Path(__file__).resolve().parent.parent / "tests")
    subprocess.run([sys.executable, "-c", WORKER, str(path), tests], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="PYTHONPATH of the baseline build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base, cur = Path(tmp) / "base.npz", Path(tmp) / "current.npz"
        solve(args.baseline, base)
        solve(None, cur)
        a, b = np.load(base), np.load(cur)
        differ = []
        for key in a.files:
            x, y = a[key], b[key]
            same = np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
            if not same:
                differ.append(key)
        points = 6 * 20000
        print(f"{len(a.files)} arrays ({len(a.files) // 6} outputs x 6 families, {points:,} points) compared")
        print("all bit-for-bit equal" if not differ else f"differ: {', '.join(differ)}")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
