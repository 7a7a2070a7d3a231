#!/usr/bin/env bash
# Install and run a real Splash 3.5 on 127.0.0.1, without Docker.
#
#   scripts/splash.sh install          Debian packages + a venv in .splash/ (idempotent)
#   scripts/splash.sh start [PORT]     start Splash on 127.0.0.1:PORT (default 8050), wait until it answers
#   scripts/splash.sh stop             stop the Splash started by `start`
#   scripts/splash.sh url              print its URL
#
# Splash is Qt WebKit/WebEngine driven from Twisted; Debian ships the Qt parts,
# PyPI ships Splash itself. Splash's venv is made from Debian's /usr/bin/python3
# with --system-site-packages so it sees Debian's PyQt5. Needs root for apt-get.
# On a machine with Docker instead:  docker run -p 127.0.0.1:8050:8050 scrapinghub/splash:3.5
set -euo pipefail

. "$(dirname "$0")/debian_packages.sh"  # debian_install; CANNOT_INSTALL (3): the tests skip on it

HERE="$(cd "$(dirname "$0")/.." && pwd)"
SPLASH_HOME="${SPLASH_HOME:-$HERE/.splash}"       # the venv
SPLASH_RUN_DIR="${SPLASH_RUN_DIR:-$SPLASH_HOME}"   # pid, port and log of a running Splash
VENV="$SPLASH_HOME/venv"
PIDFILE="$SPLASH_RUN_DIR/splash.pid"
LOG="$SPLASH_RUN_DIR/splash.log"
PORT_FILE="$SPLASH_RUN_DIR/port"
DEBIAN_PACKAGES=(python3-pyqt5.qtwebkit python3-pyqt5.qtwebengine python3-qt5reactor python3-twisted
                 python3-lupa python3-psutil python3-pil python3-venv xvfb xauth)

install() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import splash, PyQt5.QtWebKit" 2>/dev/null; then
        echo "splash: already installed in $VENV"
        return
    fi
    debian_install splash "${DEBIAN_PACKAGES[@]}"
    mkdir -p "$SPLASH_HOME"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
    "$VENV/bin/pip" install --quiet --no-deps "splash==3.5" funcparserlib xvfbwrapper adblockparser
    "$VENV/bin/python" -c "import splash, PyQt5.QtWebKit" && echo "splash: installed in $VENV"
}

start() {
    local port="${1:-8050}"
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "splash: already running (pid $(cat "$PIDFILE")) at http://127.0.0.1:$(cat "$PORT_FILE")"
        return
    fi
    [ -x "$VENV/bin/python" ] || install
    mkdir -p "$SPLASH_RUN_DIR"
    # setsid: its own process group, so `stop` ends xvfb-run, Xvfb and Splash together.
    # scripts/splash_server.py: Splash's own server, with fixes for current Python and PyQt5.
    QTWEBENGINE_DISABLE_SANDBOX=1 setsid xvfb-run -a "$VENV/bin/python" "$HERE/scripts/splash_server.py" \
        --ip 127.0.0.1 --port "$port" --disable-private-mode --max-timeout 120 >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    echo "$port" >"$PORT_FILE"
    for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$port/_ping" >/dev/null 2>&1; then
            echo "splash: running at http://127.0.0.1:$port (log: $LOG)"
            return
        fi
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "splash: failed to start, see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
        sleep 0.5
    done
    echo "splash: no answer on port $port after 60 s, see $LOG" >&2
    exit 1
}

stop() {
    if [ -f "$PIDFILE" ]; then
        kill -- "-$(cat "$PIDFILE")" 2>/dev/null || kill "$(cat "$PIDFILE")" 2>/dev/null || true
        rm -f "$PIDFILE"
        echo "splash: stopped"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-8050}" ;;
    stop) stop ;;
    url) echo "http://127.0.0.1:$(cat "$PORT_FILE")" ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
esac
