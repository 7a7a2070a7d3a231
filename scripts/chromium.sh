#!/usr/bin/env bash
# Install Debian's Chromium for -a render=playwright (scrapy-playwright drives it).
#
#   scripts/chromium.sh install     the Debian package `chromium` (idempotent; needs root for apt-get)
#   scripts/chromium.sh path        print the browser's path (exit 1 when there is none)
#
# Not `playwright install`: it downloads browsers from Microsoft's CDN, which machines that
# reach only package registries cannot. Playwright for Python drives Debian's Chromium
# (crawl/playwright.py finds it on PATH, or CABLE_CHROMIUM_PATH names another).
set -euo pipefail

. "$(dirname "$0")/debian_packages.sh"  # debian_install; CANNOT_INSTALL (3): the tests skip on it

DEBIAN_PACKAGES=(chromium fonts-liberation)

path() {
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null; then command -v "$name"; return; fi
    done
    echo "chromium: not installed (bash scripts/chromium.sh install)" >&2
    exit 1
}

install() {
    debian_install chromium "${DEBIAN_PACKAGES[@]}"
    echo "chromium: $(path) ($("$(path)" --version 2>/dev/null || echo 'version unknown'))"
}

case "${1:-}" in
    install) install ;;
    path) path ;;
    *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
