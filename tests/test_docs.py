"""The documentation site (Sphinx, pydata-sphinx-theme, myst-nb, numpydoc) builds with warnings as
errors, and a broken cross-reference makes the build fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytestmark = pytest.mark.slow


def build(src: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALLYSWEEP_NOTEBOOKS": str(ROOT / "notebooks")}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def copy_sources(tmp: Path) -> Path:
    src = tmp / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "notebooks", "generated"))
    return src


def test_docs_build_with_warnings_as_errors(tmp_path):
    """The command of docs/conf.py, on a copy of the sources: the model chapters, every notebook and
    the API reference generated from the docstrings."""
    out = tmp_path / "html"
    proc = build(copy_sources(tmp_path), out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for page in ("index", "MODEL", "conventions", "api", "generated/allysweep.solve", "generated/allysweep.branches"):
        assert (out / f"{page}.html").is_file(), page
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and all((out / "notebooks" / f"{nb}.html").is_file() for nb in notebooks)
    solve = (out / "generated" / "allysweep.solve.html").read_text()
    assert "derivatives" in solve and "Parameters" in solve  # numpydoc sections rendered


def test_a_broken_cross_reference_fails_the_build(tmp_path):
    src = copy_sources(tmp_path)
    with open(src / "index.md", "a") as f:
        f.write("\nSee {doc}`no-such-page` and {py:func}`allysweep.no_such_function`.\n")
    proc = build(src, tmp_path / "html")
    assert proc.returncode != 0
    assert "no-such-page" in proc.stderr
