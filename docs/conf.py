"""Sphinx configuration of allysweep's documentation site.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors; the test
suite builds it too, ``tests/test_docs.py``). The notebooks are copied in from ``notebooks/`` at
build time and rendered without being executed: the test suite executes them once
(``tests/test_notebooks.py``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import allysweep

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

project = "allysweep"
author = "the allysweep developers"
copyright = "2026, the allysweep developers"
release = allysweep.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# Notebooks: rendered as saved, never executed here (the tests execute them once).
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "allysweep"
html_theme_options = {"navigation_depth": 3, "show_toc_level": 2}


def _copy_notebooks(app: object) -> None:
    """The notebooks of ``notebooks/`` under ``docs/notebooks/`` (generated, not committed)."""
    out = HERE / "notebooks"
    out.mkdir(exist_ok=True)
    source = Path(os.environ.get("ALLYSWEEP_NOTEBOOKS", ROOT / "notebooks"))
    for nb in sorted(source.glob("*.ipynb")):
        shutil.copy2(nb, out / nb.name)


def setup(app: object) -> None:
    app.connect("builder-inited", _copy_notebooks)  # type: ignore[attr-defined]
