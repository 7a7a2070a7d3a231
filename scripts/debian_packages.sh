# Sourced by scripts/splash.sh and scripts/chromium.sh (and any script that installs a
# service from Debian packages):  debian_install <who> <package>...
# Installs the packages not installed yet with apt-get; exits 3 ($CANNOT_INSTALL, on which
# the tests skip with the reason) where that is impossible: no apt-get, not root, apt failed.
# DPkg::Lock::Timeout: another install (Splash's, Chromium's, Redis's) may hold dpkg's lock.

CANNOT_INSTALL=3

debian_install() {
    local who="$1"; shift
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
        echo "$who: cannot install Debian packages here (needs apt-get as root): ${missing[*]}" >&2
        exit $CANNOT_INSTALL
    fi
    echo "$who: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
           apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
        echo "$who: apt-get could not install: ${missing[*]}" >&2
        exit $CANNOT_INSTALL
    fi
}
