"""Static figures for papers: ``plot.save`` to PDF and SVG (vector) and PNG, rendered by Bokeh in
a real headless Chromium, styled for print; the PDFs opened with ``pdftoppm`` and checked for size
and non-blank content."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

import allysweep as asw
from allysweep.exceptions import PlotError
from allysweep.views import plot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ds():
    return asw.solve(k=np.linspace(0, 0.12, 41), r=np.linspace(0, 0.14, 36))


def _pdftoppm():
    path = shutil.which("pdftoppm")
    if path is None:
        message = "pdftoppm is not on PATH: install poppler-utils (sudo bash tests/setup_browser.sh)"
        if os.environ.get("ALLYSWEEP_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def _ink(png) -> float:
    """Share of pixels that are not (near) white."""
    a = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float((a < 240).mean())


@pytest.mark.parametrize("which", ["regime_map", "lines"])
def test_pdf_is_a_one_page_vector_figure_with_content(browser, ds, tmp_path, which):
    view = plot.regime_map(ds, "k", "r") if which == "regime_map" else plot.lines(ds, "prob_war", "k")
    pdf = plot.save(view, tmp_path / f"{which}.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    out = tmp_path / "page"
    subprocess.run([_pdftoppm(), "-png", "-r", "72", "-singlefile", str(pdf), str(out)], check=True, timeout=120)
    png = out.with_suffix(".png")
    img = Image.open(png)
    # Its own size (a figure, not a letter page) and not blank: the map fills most of its frame.
    assert 400 <= img.width <= 1000 and 200 <= img.height <= 700, img.size
    assert _ink(png) > (0.4 if which == "regime_map" else 0.02), _ink(png)
    # Vector: text is text (the axis label can be found in the file's SVG twin).
    svg = plot.save(view, tmp_path / f"{which}.svg").read_text()
    assert "<text" in svg and "k: A" in svg
    if which == "lines":
        assert "<image" not in svg  # every glyph a path, nothing rasterised


def test_png_and_errors(browser, ds, tmp_path):
    png = plot.save(plot.regime_map(ds, "k", "r"), tmp_path / "map.png")
    assert Image.open(png).width >= 1000  # rendered at twice the screen scale
    assert _ink(png) > 0.4
    with pytest.raises(PlotError, match=r"\.jpg"):
        plot.save(plot.regime_map(ds, "k", "r"), tmp_path / "map.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot.save(plot.regime_map(ds, "k", "r"), tmp_path / "missing" / "map.pdf")
