"""``allysweep explore`` in a real headless Chromium, and ``allysweep report`` opened from disk.

Screenshots go to artifacts/ (git-ignored) so a person can look at what the tests saw."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

pytestmark = pytest.mark.slow

# Walks the page including every shadow root (Panel and Bokeh render inside them).
_WALK = (
    "function walk(root, out){for (const e of root.querySelectorAll('*'))"
    "{out.push(e); if (e.shadowRoot) walk(e.shadowRoot, out);} return out;}"
)
_SUMMARY = (
    _WALK
    + "return walk(document, []).filter(e => e.classList && e.classList.contains('allysweep-summary') && e.shadowRoot)"
    + ".map(e => Array.from(e.shadowRoot.children).filter(c => !['STYLE', 'LINK'].includes(c.tagName))"
    + ".map(c => c.innerText).join(' '));"
)
_CANVASES = (
    _WALK
    + "return walk(document, []).filter(e => e.tagName === 'CANVAS' && e.width > 200)"
    + ".map(e => {const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height];});"
)
_HANDLES = _WALK + "return walk(document, []).filter(e => e.classList && e.classList.contains('noUi-handle'));"
_TOOLTIPS = (
    "const out = []; for (const doc of Bokeh.documents) for (const m of doc.all_models)"
    " if (m.tooltips !== undefined && m.tooltips !== null) out.push(JSON.stringify(m.tooltips)); return out;"
)
_LEGEND = (
    "const out = []; for (const doc of Bokeh.documents) for (const m of doc.all_models)"
    " if (m.label !== undefined && m.renderers !== undefined && m.label && m.label.value) out.push(m.label.value);"
    " return out;"
)
_TEXT = _WALK + "return walk(document, []).filter(e => e.shadowRoot).map(e => e.shadowRoot.textContent).join(' ');"


def wait_for(predicate, timeout=60.0, step=0.25):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crop(png: bytes, rect, scale=1.0):
    from PIL import Image

    left, top, width, height = (int(v * scale) for v in rect)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return np.asarray(img.crop((left, top, left + width, top + height)))


@pytest.fixture
def explore_server(grid_cube_store):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "allysweep.cli", "explore", str(grid_cube_store), "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "BOKEH_ALLOW_WS_ORIGIN": f"127.0.0.1:{port}"},
    )
    url = f"http://127.0.0.1:{port}/"

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"allysweep explore exited: {proc.stdout.read()}")
        try:
            return urllib.request.urlopen(url, timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=90)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_explore_slider_changes_the_plot(explore_server, browser, artifacts_dir):
    from selenium.webdriver.common.keys import Keys

    browser.get(explore_server)
    before_text = wait_for(lambda: [t for t in browser.execute_script(_SUMMARY) if t])[0]
    assert before_text.startswith("c_c_extra = 0 ·") and "cutpoint_bluff" in before_text
    rect = wait_for(lambda: browser.execute_script(_CANVASES))[0]
    time.sleep(1.0)  # let Bokeh finish painting the canvas
    before_png = browser.get_screenshot_as_png()
    (artifacts_dir / "explore_before.png").write_bytes(before_png)
    # Every equilibrium of a cell is listed in the hover.
    tooltips = " ".join(browser.execute_script(_TOOLTIPS))
    assert all(f'"eq {i}"' in tooltips for i in range(4)) and "prob_renege" in tooltips

    handles = browser.execute_script(_HANDLES)
    assert len(handles) == 3  # k, r (hidden: they are the axes) and c_c_extra
    slider = handles[-1]
    slider.click()
    slider.send_keys(Keys.ARROW_RIGHT)
    after_text = wait_for(lambda: [t for t in browser.execute_script(_SUMMARY) if t and t != before_text])[0]
    assert after_text.startswith("c_c_extra = 0.1 ·")
    rect_after = wait_for(lambda: browser.execute_script(_CANVASES))[0]
    time.sleep(1.5)
    after_png = browser.get_screenshot_as_png()
    (artifacts_dir / "explore_after.png").write_bytes(after_png)
    scale = browser.execute_script("return window.devicePixelRatio") or 1.0
    a, b = crop(before_png, rect, scale), crop(after_png, rect_after, scale)
    assert a.shape == b.shape and a.size > 0
    changed = np.mean(np.any(a != b, axis=-1))
    assert changed > 0.02, f"only {changed:.1%} of the plot's pixels changed"
    # At c_c_extra = 0.1 no-alliance pooling is never selected (MODEL.md §10 E1-E3 lie there).
    assert "pool_no_alliance" in before_text and "pool_no_alliance" not in after_text


def test_report_opens_from_disk_and_shows_the_regime_map(grid_cube_store, browser, artifacts_dir):
    out = artifacts_dir / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "report", str(grid_cube_store), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert '<script src="http' not in html and '<link rel="stylesheet" href="http' not in html
    browser.get(out.resolve().as_uri())
    canvases = wait_for(lambda: browser.execute_script(_CANVASES))
    assert len(canvases) >= 1
    time.sleep(1.5)
    text = wait_for(lambda: browser.execute_script(_TEXT))
    assert "Regime map" in text
    labels = set(browser.execute_script(_LEGEND))
    assert {"cutpoint_honest", "cutpoint_bluff"} <= labels
    png = browser.get_screenshot_as_png()
    (artifacts_dir / "report.png").write_bytes(png)
    # The first map is drawn: its pixels carry the regime colours of honest and bluffing alliances.
    scale = browser.execute_script("return window.devicePixelRatio") or 1.0
    top = min(canvases, key=lambda r: (r[1], r[0]))
    pixels = crop(png, top, scale).reshape(-1, 3)
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in ("#1b9e77", "#d95f02")}
    present = {c for c in colours if np.any(np.all(pixels == np.array(c), axis=1))}
    assert present == colours
