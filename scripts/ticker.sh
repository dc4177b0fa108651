#!/usr/bin/env bash
# ticker.sh LABEL CMD...: runs CMD and, while it runs, prints
# "LABEL: still running (Ns)" every 10 s, so a long quiet step (apt-get,
# the first `go build` with its module downloads and cgo) shows it is alive
# in a terminal and in a CI log alike; at the end, how long it took.
# Exits with CMD's status.
set -uo pipefail
label=$1; shift
start=$(date +%s)
( while sleep 10; do echo "$label: still running ($(( $(date +%s) - start ))s)" >&2; done ) &
ticker=$!
"$@"
rc=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
echo "$label: done in $(( $(date +%s) - start ))s" >&2
exit $rc
