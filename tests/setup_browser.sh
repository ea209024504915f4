#!/usr/bin/env bash
# Installs the real browser the page tests drive (tests/test_explore.py, tests/test_notebooks.py's
# pages) and static figures are rendered in (plot.save to .svg / .pdf / .png): Debian's `chromium`
# and `chromium-driver`, and `poppler-utils` (pdftoppm, which tests/test_plot_export.py opens the
# PDFs with), with apt-get (needs root).
#
# .ci/run calls this before the test command, bounded in time (`timeout 900`), so a slow mirror
# fails the setup step with its own message instead of a browser test's timeout. Where both
# programs are already on PATH it does nothing. tests/conftest.py calls it too, once per session
# and outside every test's timeout, when the programs are missing and it runs as root with
# apt-get; elsewhere the browser tests are skipped with a message pointing here.
#
# Usage: bash tests/setup_browser.sh    (as root, or: sudo bash tests/setup_browser.sh)
set -euo pipefail

have() {
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1
}

if have; then
    echo "browser: $(command -v chromium), $(command -v chromedriver) (already installed)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser: chromium / chromedriver missing and there is no apt-get here: install Chromium and a" \
        "matching chromedriver with this system's package manager and put both on PATH" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "browser: chromium / chromedriver missing; installing them needs root: sudo bash $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "browser: apt-get update && apt-get install chromium chromium-driver poppler-utils"
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver poppler-utils >/dev/null
have || { echo "browser: chromium / chromedriver still missing after apt-get install" >&2; exit 1; }
echo "browser: $(command -v chromium), $(command -v chromedriver) (installed)"
