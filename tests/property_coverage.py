"""What the property tests reach: run them under the CI profile and print the share of each
equilibrium kind, flag value and branch their draws produced.

    python tests/property_coverage.py            # the derandomized CI ("gate") profile
    ALLYSWEEP_HYPOTHESIS=fresh python tests/property_coverage.py   # fresh randomness

Run deliberately (not collected by pytest: the name does not start with test_)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("RAYON_NUM_THREADS", "2")

import conftest  # noqa: E402,F401  (registers and loads the Hypothesis profiles)
import test_properties as tp  # noqa: E402


def main() -> None:
    tp.test_flags_order_selection_and_completeness()
    tally = dict(tp.TALLY)
    examples = tally.pop("examples")
    n_eq = sum(v for k, v in tally.items() if k.startswith("kind="))
    print(f"profile {os.environ.get('ALLYSWEEP_HYPOTHESIS', 'gate')}: {examples} examples, {n_eq} equilibria")
    print("\nkinds (share of equilibria):")
    for key in sorted(k for k in tally if k.startswith("kind=")):
        print(f"  {key[5:]:<18} {tally[key]:5d}  {tally[key] / n_eq:6.1%}")
    print("\nflags per kind (count of True / False):")
    kinds = sorted(k[5:] for k in tally if k.startswith("kind="))
    flags = ("stable", "ic_ok", "d1_ok", "selected", "degenerate", "gain_increasing")
    print("  " + " " * 18 + "".join(f"{f:>18}" for f in flags))
    for kind in kinds:
        cells = [f"{tally.get(f'{kind}.{f}=True', 0):>8} / {tally.get(f'{kind}.{f}=False', 0):<7}" for f in flags]
        print(f"  {kind:<18}" + "".join(f"{c:>18}" for c in cells))
    print("\nbranches and statuses (count):")
    for key in sorted(k for k in tally if not k.startswith("kind=") and "." not in k.split("=")[0]):
        print(f"  {key:<40} {tally[key]:5d}")
    print("\nskipped as too close to call (count):")
    for key in sorted(k for k in tally if k.startswith("ambiguous.")):
        print(f"  {key:<40} {tally[key]:5d}")


if __name__ == "__main__":
    main()
