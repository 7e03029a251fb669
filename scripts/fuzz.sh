#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each (default 10s).
# Usage: scripts/fuzz.sh [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
for pkg in ./classify ./sign; do
  for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "== $pkg $f ($t)"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg" 2>&1 | tail -2
  done
done
