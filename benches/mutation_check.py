"""Mutation check: does the test suite catch deliberate bugs in the engine?

Applies each bug below to the Rust source, rebuilds the extension (maturin develop --release),
runs the tests that should catch it, restores the source, and prints a table of which test
caught each bug. Run deliberately (slow: a release build per bug), not in CI:

    CARGO_TARGET_DIR=target python benches/mutation_check.py

The source is restored (and the extension rebuilt from it) even if a step fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "rust" / "allysweep-core" / "src"
TESTS = [
    "tests/test_constructed.py",
    "tests/test_worked_examples.py",
    "tests/test_closed_forms.py",
    "tests/test_properties.py",
    "tests/test_parity.py",
]

# (name, file, original text, mutated text)
MUTATIONS = [
    (
        "flip a stability sign (interior cut-points)",
        "solvers/roots/interior.rs",
        "stable: root.slope > 0.0 && !root.tangent",
        "stable: root.slope < 0.0 && !root.tangent",
    ),
    (
        "drop the last root of a piece (uniform G)",
        "solvers/roots/interior.rs",
        "for &u0 in &cands[..n] {",
        "for &u0 in &cands[..n.saturating_sub(1)] {",
    ),
    (
        "swap IC and D1 (no-alliance pooling)",
        "solvers/pooling.rs",
        "let flags = Flags { stable: g_d1 < 0.0, ic_ok, d1_ok: g_d1 <= 0.0, degenerate: false };",
        "let flags = Flags { stable: g_d1 < 0.0, ic_ok: g_d1 <= 0.0, d1_ok: ic_ok, degenerate: false };",
    ),
    (
        "off-by-one in slot order (selected kept in the last slot)",
        "batch/output.rs",
        "n_eq > slots && selected >= slots",
        "n_eq > slots && selected > slots",
    ),
    (
        "off-by-one in slot order (sort by kind before prob_alliance)",
        "model/equilibrium.rs",
        "(self.prob_alliance, self.kind, self.cutpoint)",
        "(self.kind as i8 as f64, self.kind, self.prob_alliance)",
    ),
    (
        "skip clipping of a uniform G",
        "model/dist.rs",
        "CostDist::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),",
        "CostDist::Uniform { lo, hi } => (x - lo) / (hi - lo),",
    ),
]


def build() -> None:
    env = {**os.environ, "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))}
    subprocess.run(["maturin", "develop", "--release", "-q"], cwd=ROOT, env=env, check=True, capture_output=True)


def first_failure() -> str | None:
    """Run the tests, stop at the first failure, and return its node id (None: all passed)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode == 0:
        return None
    m = re.search(r"^FAILED (\S+)", proc.stdout, re.M)
    return m.group(1) if m else f"exit {proc.returncode}"


def main() -> int:
    rows = []
    for name, rel, old, new in MUTATIONS:
        path = CORE / rel
        text = path.read_text()
        assert text.count(old) == 1, f"{rel}: the text to mutate is not found exactly once: {old!r}"
        try:
            path.write_text(text.replace(old, new))
            build()
            caught = first_failure()
        finally:
            path.write_text(text)
        rows.append((name, caught))
        print(f"{name}: {caught or 'NOT CAUGHT'}", flush=True)
    build()  # the extension of the restored source
    print("\n| deliberate bug | first test that caught it |\n|---|---|")
    for name, caught in rows:
        print(f"| {name} | {caught or '**not caught**'} |")
    return 0 if all(c for _, c in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
