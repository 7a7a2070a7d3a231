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

CANNOT_INSTALL=3  # exit status when Debian packages cannot be installed here (tests skip on it)
DEBIAN_PACKAGES=(chromium fonts-liberation)

path() {
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null; then command -v "$name"; return; fi
    done
    echo "chromium: not installed (bash scripts/chromium.sh install)" >&2
    exit 1
}

install() {
    local missing=()
    for package in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
            echo "chromium: cannot install Debian packages here (needs apt-get as root): ${missing[*]}" >&2
            exit $CANNOT_INSTALL
        fi
        echo "chromium: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # DPkg::Lock::Timeout: another install (Splash's, Redis's) may hold dpkg's lock.
        if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
               apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
            echo "chromium: apt-get could not install: ${missing[*]}" >&2
            exit $CANNOT_INSTALL
        fi
    fi
    echo "chromium: $(path) ($("$(path)" --version 2>/dev/null || echo 'version unknown'))"
}

case "${1:-}" in
    install) install ;;
    path) path ;;
    *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
