// Package e2e holds the end-to-end tests of the service's main path,
// black-box: the service is built by internal/app's constructor and put
// behind the real Fiber server on a loopback port, and the tests speak
// HTTP to it — the real compile jail running Debian's rustc against the
// prepared Rocket 0.5.1, the real wazero engine. They need `make setup`
// (make test does it first); the guide-parity test also needs the native
// reference (`make setup-reference`).
package e2e
