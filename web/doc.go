// Package web owns the service's browser face: the playground page and
// its assets, served by the same binary as the API.
//
// The page is plain TypeScript with CodeMirror 6 (web/src), bundled by
// esbuild into web/dist (npm run build). web/dist is committed and
// embedded here, so `go build` never needs node; check-bundle.sh, run by
// TestBundleRebuildsFromLockFile, proves it is what the lock file builds.
// Everything the page loads comes from this package, on the same origin,
// under a Content-Security-Policy that allows nothing else.
package web
