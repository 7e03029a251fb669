#!/usr/bin/env bash
# Builds and runs a local Jaeger v2 (all in one, traces kept in memory) for
# the end-to-end trace test and the README screenshot.
#
#   scripts/jaeger.sh build   build tools/jaeger/bin/jaeger, unless it is newer than go.sum
#   scripts/jaeger.sh start   start it in the background on loopback, wait for the UI, print its pid
#   scripts/jaeger.sh stop    stop the Jaeger that start started
#
# Ports, all on 127.0.0.1: 4317 OTLP gRPC, 4318 OTLP HTTP, 16686 UI and
# query API (GET /api/traces?service=NAME).
# The binary is github.com/jaegertracing/jaeger/cmd/jaeger of v1.76.0,
# pinned by tools/jaeger/go.mod and go.sum (a cold build takes about 6 to
# 12 minutes on 2 cores; the result, about 120 MB, is cached in
# tools/jaeger/bin/, which git ignores).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/tools/jaeger"
bin="$dir/bin/jaeger"
state="${JAEGER_STATE_DIR:-$dir/bin}"
pidfile="$state/jaeger.pid"
logfile="$state/jaeger.log"
ui="http://127.0.0.1:16686"

build() {
  if [ -x "$bin" ] && [ "$bin" -nt "$dir/go.sum" ] && [ "$bin" -nt "$dir/go.mod" ]; then
    echo "jaeger: $bin is up to date"
    return
  fi
  echo "jaeger: building $bin (cold: several minutes)"
  local start=$SECONDS
  (cd "$dir" && go build -o bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger)
  echo "jaeger: built in $((SECONDS - start))s, $(du -h "$bin" | cut -f1)"
}

# answers reports whether GET path on the UI port answers 200 (curl when
# installed, else bash's /dev/tcp: a clean machine may have no curl).
answers() {
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "$ui$1" 2>/dev/null
    return
  fi
  local line
  exec 3<>/dev/tcp/127.0.0.1/16686 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  IFS= read -r -t 2 line <&3 || true
  exec 3<&- 3>&-
  [[ "$line" == HTTP/*" 200"* ]]
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
  if running; then
    echo "jaeger: already running, pid $(cat "$pidfile")"
    return
  fi
  [ -x "$bin" ] || { echo "jaeger: $bin missing; run: $0 build" >&2; exit 1; }
  if answers /; then
    echo "jaeger: something already answers on $ui" >&2
    exit 1
  fi
  mkdir -p "$state"
  # The built-in all-in-one configuration, with the UI and query API on
  # loopback too (they listen on every interface by default), and the
  # minimal viewer of tools/jaeger/ui as the UI: a binary built from the
  # module proxy carries no UI assets (see tools/jaeger/ui/index.html).
  nohup "$bin" \
    --set=extensions.jaeger_query.http.endpoint=127.0.0.1:16686 \
    --set=extensions.jaeger_query.grpc.endpoint=127.0.0.1:16685 \
    --set=extensions.jaeger_query.ui.assets_path="$dir/ui" \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if answers /api/services; then
      echo "jaeger: started, pid $(cat "$pidfile"), UI $ui, OTLP 127.0.0.1:4317 (gRPC) and :4318 (HTTP), log $logfile"
      return
    fi
    if ! running; then
      echo "jaeger: exited at start; log:" >&2
      tail -30 "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    sleep 0.5
  done
  echo "jaeger: no answer on $ui after 60s; log:" >&2
  tail -30 "$logfile" >&2
  stop
  exit 1
}

stop() {
  if ! running; then
    echo "jaeger: not running"
    rm -f "$pidfile"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
  fi
  rm -f "$pidfile"
  echo "jaeger: stopped pid $pid"
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 build|start|stop" >&2; exit 2 ;;
esac
