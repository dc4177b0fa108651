#!/bin/sh
# Rebuilds web/dist from package-lock.json in a temporary copy of the
# sources and fails unless the result is byte for byte the committed
# web/dist: the bundle is committed so that `go build` never needs node,
# and this is what keeps it honest. On the way it type-checks the sources
# and runs their unit tests. Needs node, npm and the npm registry.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -R "$here/package.json" "$here/package-lock.json" "$here/build.mjs" "$here/test.mjs" "$here/tsconfig.json" "$here/src" "$tmp/"
cd "$tmp"
# No install scripts: esbuild's binary comes in its platform package
# (@esbuild/<os>-<arch>), and nothing else needs one.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm test --silent
npm run --silent build
if ! diff -r -q "$here/dist" "$tmp/dist"; then
	echo "web/dist is not what package-lock.json and web/src build: run 'npm ci && npm run build' in web/ and commit web/dist" >&2
	exit 1
fi
echo "web/dist matches a rebuild from package-lock.json"
