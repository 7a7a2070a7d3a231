#!/usr/bin/env bash
# Install and run a real Redis on 127.0.0.1 (Debian's redis-server), for distributed crawls and their tests.
#
#   scripts/redis.sh install          Debian's redis-server (idempotent; needs root for apt-get)
#   scripts/redis.sh start [PORT]     start Redis on 127.0.0.1:PORT (default 6379), wait until it answers
#   scripts/redis.sh stop             stop the Redis started by `start`
#   scripts/redis.sh url              print its URL (redis://127.0.0.1:PORT/0)
#
# REDIS_RUN_DIR (default .redis/ in the repository, ignored by git) holds its pid, port, log and
# working directory. No persistence: no RDB snapshot, no AOF file is ever written (a crawl's
# frontier lives as long as this server; see docs/operations.md for a production Redis).
set -euo pipefail

. "$(dirname "$0")/debian_packages.sh"  # debian_install; CANNOT_INSTALL (3): the tests skip on it

HERE="$(cd "$(dirname "$0")/.." && pwd)"
REDIS_RUN_DIR="${REDIS_RUN_DIR:-$HERE/.redis}"
PIDFILE="$REDIS_RUN_DIR/redis.pid"
LOG="$REDIS_RUN_DIR/redis.log"
PORT_FILE="$REDIS_RUN_DIR/port"

install() {
    if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
        echo "redis: already installed ($(redis-server --version | cut -d' ' -f3))"
        return
    fi
    debian_install redis redis-server redis-tools
    # Debian's package may start a system service on 6379; ours runs on its own port, the service is left alone.
    redis-server --version
}

start() {
    local port="${1:-6379}"
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "redis: already running (pid $(cat "$PIDFILE")) at redis://127.0.0.1:$(cat "$PORT_FILE")/0"
        return
    fi
    command -v redis-server >/dev/null || install
    mkdir -p "$REDIS_RUN_DIR"
    # --save '' and --appendonly no: nothing written to disk; --dir: its own directory all the same.
    redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
        --dir "$REDIS_RUN_DIR" --daemonize no --logfile "$LOG" >/dev/null 2>&1 &
    echo $! >"$PIDFILE"
    echo "$port" >"$PORT_FILE"
    for _ in $(seq 1 100); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            echo "redis: running at redis://127.0.0.1:$port/0 (log: $LOG)"
            return
        fi
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "redis: failed to start, see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
        sleep 0.1
    done
    echo "redis: no answer on port $port after 10 s, see $LOG" >&2
    exit 1
}

stop() {
    if [ -f "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
        rm -f "$PIDFILE"
        echo "redis: stopped"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-6379}" ;;
    stop) stop ;;
    url) echo "redis://127.0.0.1:$(cat "$PORT_FILE")/0" ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
esac
