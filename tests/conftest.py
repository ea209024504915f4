"""Shared fixtures. Every number a test compares against comes from MODEL.md (worked examples,
closed forms) or from an independent computation in the test itself, never from the code under
test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Keep the engine's own thread pool small: the CI machine has 2 cores and tests run Dask too.
os.environ.setdefault("RAYON_NUM_THREADS", "2")

# Property tests draw the same examples on every run, so the suite that gates `main` is
# reproducible; the edge cases random runs found are pinned as explicit tests (test_parity.py).
# ALLYSWEEP_HYPOTHESIS=fresh (alias: explore) draws fresh examples each run, to hunt for new
# ones: .ci/run runs the property tests a second time this way, bounded in time; a failure
# prints the example, which is then pinned with @example in the test file.
from hypothesis import settings  # noqa: E402

settings.register_profile("gate", derandomize=True)
settings.register_profile("fresh", derandomize=False, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("ALLYSWEEP_HYPOTHESIS", "gate"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# --------------------------------------------------------------------------- exploring cubes
@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and pages the browser tests keep for people to look at (git-ignored)."""
    path = ROOT / "artifacts"
    path.mkdir(exist_ok=True)
    return path


def _sweep_into(tmp: Path, spec: dict) -> Path:
    from distributed import Client, LocalCluster

    import allysweep as asw

    spec["sweep"]["store"] = str(tmp / f"{spec['sweep']['name']}.zarr")
    # In-process workers: these cubes are tiny and a process cluster costs seconds to start.
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        asw.sweep(asw.SweepSpec.from_dict(spec), client=client, progress=False)
    return Path(spec["sweep"]["store"])


@pytest.fixture(scope="session")
def grid_cube_store(tmp_path_factory) -> Path:
    """A real Zarr cube over k x r x c_c_extra (three swept dimensions)."""
    return _sweep_into(
        tmp_path_factory.mktemp("grid_cube"),
        {
            "sweep": {"name": "explore-grid", "design": "grid", "chunk_points": 2000, "max_eq": 4},
            "params": {
                "k": {"linspace": [0.0, 0.12, 41]},
                "r": {"linspace": [0.0, 0.14, 31]},
                "c_c_extra": [0.0, 0.1, 0.2],
            },
        },
    )


@pytest.fixture(scope="session")
def sampled_cube_store(tmp_path_factory) -> Path:
    """A real Zarr cube of a Sobol design over k and r (dimension `point`)."""
    return _sweep_into(
        tmp_path_factory.mktemp("sampled_cube"),
        {
            "sweep": {"name": "explore-sobol", "design": "sobol", "n_points": 512, "chunk_points": 256, "seed": 1},
            "params": {"k": {"uniform": [0.0, 0.12]}, "r": {"uniform": [0.0, 0.14]}},
        },
    )


# --------------------------------------------------------------------------- a real browser
#: Installs Debian's chromium and chromium-driver (apt-get, as root); .ci/run calls it before the
#: test command (docs/conventions.md, "Test environment").
BROWSER_SETUP = ROOT / "tests" / "setup_browser.sh"
#: Bound on that installation when the test session itself runs it (network, a slow mirror).
BROWSER_SETUP_SECONDS = 900
#: Why no browser is available, once the session has looked (and perhaps installed).
_BROWSER_MISSING: list[str] = []


def _chromium() -> tuple[str | None, str | None]:
    return shutil.which("chromium"), shutil.which("chromedriver")


def _install_chromium(config) -> str | None:
    """Run tests/setup_browser.sh when the browser is missing and this session could install it
    (root, apt-get, not disabled with ALLYSWEEP_BROWSER_INSTALL=0). Runs once, at collection, so
    neither a slow mirror nor the installation counts against any test's timeout; bounded by
    BROWSER_SETUP_SECONDS. Returns why there is no browser afterwards (None: there is one)."""
    if all(_chromium()):
        return None
    if os.environ.get("ALLYSWEEP_BROWSER_INSTALL", "1") == "0":
        return "chromium / chromedriver are not on PATH (installing them was disabled: ALLYSWEEP_BROWSER_INSTALL=0)"
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return "chromium / chromedriver are not on PATH, and this session cannot install them (needs root and apt-get)"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"installing chromium with {BROWSER_SETUP} (bounded: {BROWSER_SETUP_SECONDS} s) ...")
    proc = subprocess.Popen(
        ["bash", str(BROWSER_SETUP)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a timeout stops apt-get too, not only bash
    )
    try:
        out, _ = proc.communicate(timeout=BROWSER_SETUP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"{BROWSER_SETUP} did not finish within {BROWSER_SETUP_SECONDS} s"
    tail = " | ".join(out.strip().splitlines()[-3:])
    if proc.returncode != 0:
        return f"{BROWSER_SETUP} failed (exit {proc.returncode}): {tail}"
    if not all(_chromium()):
        return f"{BROWSER_SETUP} ran, but chromium / chromedriver are still not on PATH: {tail}"
    return None


def pytest_collection_modifyitems(config, items):
    # Nothing is skipped silently: the browser tests need a real browser, installed here (once,
    # outside every test's timeout) if this session can; otherwise the `browser` fixture skips
    # them saying how to install it, or fails where ALLYSWEEP_REQUIRE_BROWSER=1 (CI).
    if config.option.collectonly or not any("browser" in getattr(item, "fixturenames", ()) for item in items):
        return
    why = _install_chromium(config)
    if why:
        _BROWSER_MISSING.append(why)


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium driven by selenium: Debian's chromium and chromedriver from PATH
    (see pytest_collection_modifyitems). Without them the browser tests are skipped with a message
    saying how to install them, or fail where ALLYSWEEP_REQUIRE_BROWSER=1 (.ci/run sets it: there
    every page claimed to work is shown working in a real browser)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    if not (binary and driver_path):
        why = _BROWSER_MISSING[0] if _BROWSER_MISSING else "chromium / chromedriver are not on PATH"
        message = (
            f"no real browser for the page tests: {why}. Install it with `sudo bash tests/setup_browser.sh` "
            "(Debian: apt-get install chromium chromium-driver), then run the tests again"
        )
        if os.environ.get("ALLYSWEEP_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    options = Options()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
