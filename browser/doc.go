// Package browser holds the service's browser tests: Debian's Chromium,
// driven headless by chromedp, against the real service (the compile
// jail, Rocket, wazero, the HTTP server) started by its TestMain, the way
// a user meets it: the playground, the runnable guide, the embed script
// on a page of another origin, the API docs page, by mouse and by
// keyboard alone. Chromium comes from `make packages-test`
// (the tests part of toolchain/debian-packages.txt); the tests fail without it.
//
// With ROCKET_SANDBOX_SCREENSHOTS=1 the run also writes the README's
// screenshots into docs/ (`make screenshots`); otherwise it only checks
// that they can be taken.
package browser
