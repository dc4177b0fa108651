#!/usr/bin/env bash
# ticker.sh LABEL CMD...: runs CMD and, while it runs, prints
# "LABEL: still running (Ns)" every 10 s, so a long quiet step (apt-get,
# the first `go build` with its module downloads and cgo) shows it is alive
# in a terminal and in a CI log alike. Exits with CMD's status.
set -uo pipefail
label=$1; shift
start=$(date +%s)
"$@" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 1
    kill -0 "$pid" 2>/dev/null || break 2
  done
  echo "$label: still running ($(( $(date +%s) - start ))s)" >&2
done
wait "$pid"
