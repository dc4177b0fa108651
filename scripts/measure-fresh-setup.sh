#!/usr/bin/env bash
# measure-fresh-setup.sh [WORKDIR]: the fresh-machine measurement of
# docs/performance.md ("Set-up"). It PURGES the project's Debian packages
# (and rust-web-llvm), clones this checkout into WORKDIR (default
# /tmp/fresh) next to a link to ../shared, and with an empty state dir,
# CARGO_HOME, GOMODCACHE and GOCACHE times `make run` until /healthz answers
# 200, then `make test`, then both again. Times go to WORKDIR/times.log,
# each command's output to WORKDIR/{run,test}-{first,second}.log. Needs root
# and port 8080 free; takes about 15 minutes on 2 cores.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
F=${1:-/tmp/fresh}
log() { echo "[$(date +%T)] $*" | tee -a "$F/times.log"; }
rm -rf "$F"; mkdir -p "$F"
pkgs=$(grep -vE '^\s*(#|$)' "$src/toolchain/debian-packages.txt" | tr '\n' ' ')
apt-get purge -y -qq $pkgs rust-web-llvm >/dev/null 2>&1
apt-get autoremove -y -qq >/dev/null 2>&1
log "purged: $pkgs rust-web-llvm; still installed: $(dpkg -l $pkgs rust-web-llvm 2>/dev/null | grep -c '^ii')"
git clone -q "$src" "$F/rocket-sandbox"
ln -s "$(cd "$src/.." && pwd)/shared" "$F/shared"
export ROCKET_SANDBOX_STATE_DIR=$F/state CARGO_HOME=$F/cargo GOMODCACHE=$F/gomod GOCACHE=$F/gocache
cd "$F/rocket-sandbox" || exit 1
health() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:8080/healthz 2>/dev/null; }
runonce() {
  local t0 t1 mk
  t0=$(date +%s.%N)
  make run > "$F/run-$1.log" 2>&1 &
  mk=$!
  until [ "$(health)" = 200 ]; do
    sleep 0.5
    kill -0 $mk 2>/dev/null || { log "make run ($1) exited before /healthz answered"; return 1; }
  done
  t1=$(date +%s.%N)
  log "make run ($1) until /healthz: $(echo "$t1 - $t0" | bc) s"
  pkill -INT -f 'bin/rocket-sandbox serve'; wait $mk 2>/dev/null
}
testonce() {
  local t0 t1 rc
  t0=$(date +%s.%N)
  make test > "$F/test-$1.log" 2>&1; rc=$?
  t1=$(date +%s.%N)
  log "make test ($1): rc=$rc $(echo "$t1 - $t0" | bc) s"
}
runonce first && testonce first && runonce second && testonce second
log done
