#!/usr/bin/env bash
# Installs the Debian packages of toolchain/debian-packages.txt that are
# missing: the service's (above its `# @tests` line; the default), or with
# --tests only what the tests start (below it: Redis, Chromium).
# Idempotent: with everything present it only reads dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
list=toolchain/debian-packages.txt
section=service
if [ "${1:-}" = "--tests" ]; then section=tests; fi
mapfile -t pkgs < <(awk -v want="$section" '
  /^# @tests[[:space:]]*$/ { part = "tests"; next }
  /^[[:space:]]*(#|$)/ { next }
  { if ((part == "" ? "service" : part) == want) print $1 }' "$list")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[packages] all ${#pkgs[@]} Debian packages ($section) of $list present"
  exit 0
fi
echo "[packages] installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
start=$(date +%s)
# Only what is listed, never Recommends: a file the project needs from a
# recommended package would be there on one machine and missing on the next
# (the hostdeps test in toolchain/ fails on such a file).
./scripts/ticker.sh "[packages] apt-get update" $SUDO apt-get update -qq
./scripts/ticker.sh "[packages] apt-get install" \
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[packages] installed in $(( $(date +%s) - start ))s"
