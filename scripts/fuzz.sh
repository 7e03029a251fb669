#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each (default 10s).
# A finding is written by go test under <pkg>/testdata/fuzz/<Target>/ and
# fails the run. Usage: scripts/fuzz.sh [duration]
#
# Minimizing a new interesting input may take go test's default 60 s, and
# nothing else is fuzzed meanwhile (a large body, a slow target): most of a
# short run could go to it. FUZZ_MINIMIZE (default 2s) bounds it; a
# failing input is still saved. (A bare "context deadline exceeded" with no
# input at the end of a run is go.dev/issue/75804, a race in the engine.)
set -uo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
minimize=${FUZZ_MINIMIZE:-2s}
status=0
# A package of another module of the repository is named dir:package.
for pkg in . ./breaker ./classify ./sign ./cmd/yunrt ./internal/redact redisstore:.; do
  dir=.
  case $pkg in *:*) dir=${pkg%%:*}; pkg=${pkg#*:};; esac
  for f in $(cd "$dir" && go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    log=$(mktemp)
    if (cd "$dir" && go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$minimize" "$pkg") >"$log" 2>&1; then
      echo "ok   $pkg $f ($t, $(grep -o 'execs: [0-9]*' "$log" | tail -1))"
    else
      echo "FAIL $pkg $f"; grep -v '^fuzz: elapsed' "$log" | tail -40
      status=1
    fi
    rm -f "$log"
  done
done
exit $status
