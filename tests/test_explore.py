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


# The page is loaded and every Bokeh root view (and so every plot, glyph and annotation under it)
# reports that it has finished rendering.
_FINISHED = (
    "return document.readyState === 'complete' && typeof Bokeh !== 'undefined' && Bokeh.documents.length > 0"
    " && [...Bokeh.index].length > 0 && [...Bokeh.index].every(v => v.has_finished());"
)


def wait_for(predicate, timeout=90.0, step=0.25, what="the page"):
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout``
    seconds naming what was awaited. Generous: the CI machine has 2 loaded cores."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def first_canvas(browser):
    """The client rectangle of the page's first plot canvas (the top one, then the leftmost)."""
    rects = browser.execute_script(_CANVASES)
    return min(rects, key=lambda r: (r[1], r[0])) if rects else None


def painted(browser, condition=None, what="the plot to be drawn", timeout=90.0):
    """A screenshot taken once the first plot is drawn, and that plot's pixels: the page is
    loaded, Bokeh's views report finished, the canvas is not blank, two screenshots in a row show
    the canvas at the same place and size with the same pixels (layout and painting have
    stopped), and ``condition(pixels)`` holds if given. Waits on the page's state, never for a
    fixed time."""
    scale = browser.execute_script("return window.devicePixelRatio") or 1.0
    seen: dict = {"last": None, "state": "nothing yet"}

    def ready():
        if not browser.execute_script(_FINISHED):
            seen["state"] = "Bokeh's views had not finished rendering"
            return None
        rect = first_canvas(browser)
        if rect is None:
            seen["state"] = "no plot canvas on the page"
            return None
        png = browser.get_screenshot_as_png()
        pixels = crop(png, rect, scale)
        last, seen["last"] = seen["last"], (rect, pixels)
        if pixels.size == 0 or len(np.unique(pixels.reshape(-1, 3), axis=0)) <= 2:
            seen["state"] = "the canvas was still blank"
            return None
        if last is None or last[0] != rect or not np.array_equal(last[1], pixels):
            seen["state"] = "the canvas was still moving or being painted"
            return None
        if condition is not None and not condition(pixels):
            seen["state"] = "the plot was drawn but the condition did not hold"
            return None
        return png, pixels

    try:
        return wait_for(ready, timeout=timeout, what=what)
    except AssertionError as err:
        raise AssertionError(f"{err}; last seen: {seen['state']}") from None


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
        wait_for(up, timeout=90, what="allysweep explore to serve the page")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def multiplicity_line(cube, c_c_extra):
    """The summary's multiplicity clause at one slice, computed here from the cube's flags: the
    share of points with several stable D1-surviving equilibria, then with several of any kind."""
    at = cube.sel(c_c_extra=c_c_extra).load()
    robust = ((at.kind >= 0) & at.stable & at.d1_ok).sum("eq") > 1
    raw = at.n_eq > 1
    return (
        f"several stable D1-surviving equilibria at {float(robust.mean()):.0%} of points "
        f"(several of any kind at {float(raw.mean()):.0%})"
    )


def test_summary_reports_the_multiplicity_that_means_something(grid_cube_store):
    import allysweep as asw
    from allysweep.views import explore

    cube = asw.open_cube(grid_cube_store)
    for value in (0.0, 0.1, 0.2):
        frame = cube.sel(c_c_extra=value).load()
        line = explore._summary(frame, {"c_c_extra": value})
        assert line.endswith(multiplicity_line(cube, value)), line
    # The raw count alone would say "several" at (almost) every point; the flags say otherwise.
    assert "several stable D1-surviving equilibria at 100%" not in explore._summary(cube.sel(c_c_extra=0.1).load(), {})
    assert "of any kind at 100%" in explore._summary(cube.sel(c_c_extra=0.1).load(), {})
    no_flags = cube.sel(c_c_extra=0.0).drop_vars(["stable", "d1_ok"]).load()
    raw = float((no_flags.n_eq > 1).mean())
    assert explore._summary(no_flags, {}).endswith(f"several equilibria at {raw:.0%} of points")


def test_explore_slider_changes_the_plot(explore_server, browser, artifacts_dir, grid_cube_store):
    from selenium.webdriver.common.keys import Keys

    import allysweep as asw

    cube = asw.open_cube(grid_cube_store)
    browser.get(explore_server)
    before_text = wait_for(lambda: [t for t in browser.execute_script(_SUMMARY) if t], what="the summary")[0]
    assert before_text.startswith("c_c_extra = 0 ·") and "cutpoint_bluff" in before_text
    assert multiplicity_line(cube, 0.0) in before_text
    before_png, a = painted(browser, what="the first map to be drawn")
    (artifacts_dir / "explore_before.png").write_bytes(before_png)
    # Every equilibrium of a cell is listed in the hover.
    tooltips = " ".join(browser.execute_script(_TOOLTIPS))
    assert all(f'"eq {i}"' in tooltips for i in range(4)) and "prob_renege" in tooltips

    handles = browser.execute_script(_HANDLES)
    assert len(handles) == 3  # k, r (hidden: they are the axes) and c_c_extra
    slider = handles[-1]
    slider.click()
    slider.send_keys(Keys.ARROW_RIGHT)
    after_text = wait_for(
        lambda: [t for t in browser.execute_script(_SUMMARY) if t and t != before_text],
        what="the summary to change after the slider moved",
    )[0]
    assert after_text.startswith("c_c_extra = 0.1 ·") and multiplicity_line(cube, 0.1) in after_text

    def changed(b):
        return b.shape == a.shape and np.mean(np.any(a != b, axis=-1)) > 0.02

    # The map is redrawn for the new slice: more than 2% of its pixels differ once painting stops.
    after_png, b = painted(browser, changed, what="the map to be redrawn with > 2% of its pixels changed")
    (artifacts_dir / "explore_after.png").write_bytes(after_png)
    assert changed(b)
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
    canvases = wait_for(lambda: browser.execute_script(_CANVASES), what="the report's canvases")
    assert len(canvases) >= 1
    text = wait_for(lambda: browser.execute_script(_TEXT), what="the report's text")
    assert "Regime map" in text
    labels = set(browser.execute_script(_LEGEND))
    assert {"cutpoint_honest", "cutpoint_bluff"} <= labels
    # The first map is drawn: its pixels carry the regime colours of honest and bluffing alliances.
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in ("#1b9e77", "#d95f02")}

    def present(pixels):
        flat = pixels.reshape(-1, 3)
        return {c for c in colours if np.any(np.all(flat == np.array(c), axis=1))}

    png, pixels = painted(
        browser, lambda p: present(p) == colours, what="the first map to be drawn in the colours of both kinds"
    )
    (artifacts_dir / "report.png").write_bytes(png)
    assert present(pixels) == colours


# Where each title and axis label of every Bokeh figure on the page is drawn, measured in the page.
# Bokeh draws text on the figure's canvas and cuts off whatever overflows it, so nothing of it is
# in the DOM as text: the script takes each figure's geometry from its BokehJS view once laid out
# (the figure's size, its frame, the title's and the colour bar title's panels), measures each
# line of text with the canvas's own font metrics (the font, size and style on the model), and
# places it the way Bokeh does (a title from its panel's left edge; an axis label centred on the
# frame; a colour bar's title up from the bottom of its panel). A text is clipped if it reaches
# outside the canvas; a y label also must not run down into the x label's band.
_CLIPPING = """
const ctx = document.createElement('canvas').getContext('2d');
function px(size) {
  const m = /^([\\d.]+)(px|pt|em)?$/.exec(String(size).trim());
  if (!m) return 13;
  const v = parseFloat(m[1]);
  return m[2] === 'pt' ? v * 4 / 3 : m[2] === 'em' ? v * 16 : v;
}
function widest(text, style, size, font) {
  ctx.font = `${style} ${px(size)}px ${font}`;
  return Math.max(0, ...String(text).split('\\n').map(l => ctx.measureText(l).width));
}
function lines(text) { return text ? String(text).split('\\n').length : 0; }
const figures = [];
function visit(v) {
  if (!v) return;
  if (v.model && v.model.type === 'Figure' && v.frame) figures.push(v);
  for (const c of (v.child_views ?? [])) visit(c);
  if (v.renderer_views) for (const c of v.renderer_views.values()) visit(c);
}
for (const v of Bokeh.index) visit(v);
const out = [];
for (const f of figures) {
  const W = f.bbox.width, H = f.bbox.height, fr = f.frame.bbox, m = f.model, checks = [];
  const views = [...f.renderer_views.values()];
  if (m.title && m.title.text) {
    const t = m.title, tv = views.find(r => r.model === t);
    const w = widest(t.text, t.text_font_style, t.text_font_size, t.text_font);
    const left = tv && tv.bbox ? tv.bbox.left : fr.left;
    checks.push({what: 'title', text: t.text, lo: left, hi: left + w, limit: W});
  }
  const below = m.below.filter(a => a.axis_label);
  const band = Math.max(0, ...below.map(a => 1.2 * px(a.axis_label_text_font_size) * lines(a.axis_label)));
  for (const [side, axes] of [['below', m.below], ['above', m.above], ['left', m.left], ['right', m.right]]) {
    for (const a of axes) {
      if (!a.axis_label) continue;
      const w = widest(a.axis_label, a.axis_label_text_font_style, a.axis_label_text_font_size, a.axis_label_text_font);
      const horizontal = side === 'below' || side === 'above';
      const c = horizontal ? fr.left + fr.width / 2 : fr.top + fr.height / 2;
      checks.push({what: `${side} axis label`, text: a.axis_label, lo: c - w / 2, hi: c + w / 2,
                   limit: horizontal ? W : H - band});
    }
  }
  for (const bar of m.right) {
    if (bar.type !== 'ColorBar' || !bar.title) continue;
    const bv = views.find(r => r.model === bar);
    const panel = bv && bv._title_view && bv._title_view.bbox ? bv._title_view.bbox : fr;
    const w = widest(bar.title, bar.title_text_font_style, bar.title_text_font_size, bar.title_text_font);
    const bottom = panel.top + panel.height;
    checks.push({what: 'colour bar title', text: bar.title, lo: bottom - w, hi: bottom, limit: H});
  }
  for (const c of checks) c.clipped = c.lo < -0.5 || c.hi > c.limit + 0.5;
  out.push({size: [W, H], checks});
}
return out;
"""


def test_report_titles_and_axis_labels_are_not_clipped(grid_cube_store, browser, tmp_path, artifacts_dir):
    """Every title, axis label and colour-bar title of the report's figures lies inside its
    figure's canvas, measured in Chromium from the laid-out BokehJS views; a full-page screenshot
    is saved in the test's tmp dir (and copied to artifacts/). Before the labels were wrapped to
    fit (plot._fit_labels), 15 of the report's 30 titles and axis labels failed this check, among
    them every map's y label (r: A's reputation cost if allied, D attacked and A stays out) and
    the regime map's multiplicity line."""
    out = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "allysweep.cli", "report", str(grid_cube_store), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    browser.get(out.resolve().as_uri())
    wait_for(lambda: browser.execute_script(_FINISHED), what="Bokeh to finish rendering the report")
    figures = browser.execute_script(_CLIPPING)
    # The report's figures: three regime maps, three heatmaps, three line plots, the ranges.
    assert len(figures) >= 10, figures
    checks = [c for f in figures for c in f["checks"]]
    assert sum(c["what"] == "title" for c in checks) >= 10
    assert sum(c["what"].endswith("axis label") for c in checks) >= 20
    assert sum(c["what"] == "colour bar title" for c in checks) >= 3
    clipped = [
        f"{c['what']} {c['text']!r}: drawn over [{c['lo']:.0f}, {c['hi']:.0f}] px of [0, {c['limit']:.0f}]"
        for c in checks
        if c["clipped"]
    ]
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(int(height) + 40, 8000))
    painted(browser, what="the report to be painted at full height")
    browser.get_screenshot_as_file(str(tmp_path / "report_full.png"))
    (artifacts_dir / "report_full.png").write_bytes((tmp_path / "report_full.png").read_bytes())  # kept for people
    assert not clipped, "\n".join(clipped)
    # The wrapped texts keep every word: the y label of a map still names the variable in full.
    labels = " ".join(c["text"].replace("\n", " ") for c in checks)
    assert "r: A's reputation cost if allied, D attacked and A stays out (utility)" in labels
