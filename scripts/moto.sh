#!/usr/bin/env bash
# moto.sh: a project-local moto server (IAM/STS test double) for aiu's tests.
#
#   scripts/moto.sh install     create .venv/moto and pip install 'moto[server]==5.*' (cached)
#   scripts/moto.sh start       start moto_server on a free 127.0.0.1 port; prints "PORT PID"
#   scripts/moto.sh stop PID    stop a server started by `start`
#
# The venv lives in <repo>/.venv/moto (git-ignored); logs go to <repo>/target/moto/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${AIU_MOTO_VENV:-$ROOT/.venv/moto}"
LOG_DIR="$ROOT/target/moto"

die() { echo "moto.sh: $*" >&2; exit 1; }

install() {
  if [[ -x "$VENV/bin/moto_server" ]]; then
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required to run moto"
  mkdir -p "$(dirname "$VENV")"
  # Serialise concurrent installs (several test binaries may start at once).
  local lock="$(dirname "$VENV")/.moto-install.lock"
  exec 9>"$lock"
  if command -v flock >/dev/null; then flock 9; fi
  if [[ -x "$VENV/bin/moto_server" ]]; then
    return 0
  fi
  echo "moto.sh: creating $VENV and installing moto[server]==5.* ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet 'moto[server]==5.*' >&2 \
    || { rm -rf "$VENV"; die "pip install 'moto[server]==5.*' failed"; }
  [[ -x "$VENV/bin/moto_server" ]] || die "moto_server missing after install"
}

free_port() {
  "$VENV/bin/python" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

start() {
  install
  mkdir -p "$LOG_DIR"
  local port pid log
  for _attempt in 1 2 3; do
    port="$(free_port)"
    log="$LOG_DIR/moto-$port.log"
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
    pid=$!
    # Wait (at most 30 s) until the server answers.
    for _ in $(seq 1 300); do
      if ! kill -0 "$pid" 2>/dev/null; then
        break
      fi
      if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/moto-api/"; then
        echo "$port $pid"
        return 0
      fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
  done
  die "moto_server did not start; see $LOG_DIR"
}

stop() {
  local pid="${1:-}"
  [[ "$pid" =~ ^[0-9]+$ ]] || die "usage: moto.sh stop PID"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) shift; stop "$@" ;;
  *) die "usage: moto.sh install | start | stop PID" ;;
esac
