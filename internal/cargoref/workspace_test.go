package cargoref

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// cargo test's combined output for a workspace: each member's unit tests
// come after its "Running unittests" line (by crate name: package names
// with '-' as '_'), doc-tests and other targets are not a member's unit
// tests, and a member cargo could not compile has its error.
func TestParseWorkspaceTestsSplitsByMember(t *testing.T) {
	out := "   Compiling hello v0.0.0 (/x/hello)\n" +
		"error: could not compile `tls` (bin \"tls\" test) due to 2 previous errors\n" +
		"     Running unittests src/main.rs (/x/target/debug/deps/error_handling-0123456789abcdef)\n" +
		"\nrunning 2 tests\ntest tests::a ... ok\ntest tests::b - should panic ... ok\n\ntest result: ok. 2 passed\n\n" +
		"     Running unittests src/main.rs (/x/target/debug/deps/hello-fedcba9876543210)\n" +
		"\nrunning 3 tests\ntest tests::hello ... FAILED\ntest tests::slow ... ignored, takes long\ntest tests::wave ... ok\n" +
		"\nfailures:\n\n---- tests::hello stdout ----\ntest tests::not_a_result ... ok\n" +
		"     Running tests/it.rs (/x/target/debug/deps/it-0011223344556677)\n\nrunning 1 test\ntest from_it ... ok\n" +
		"   Doc-tests hello\n\nrunning 1 test\ntest src/lib.rs - f (line 3) ... ok\n"
	runs := parseWorkspaceTests([]byte(out), map[string]string{"error_handling": "error-handling", "hello": "hello", "tls": "tls"})
	assert.Equal(t, MemberRun{Built: true, Tests: []UnitTest{{"tests::a", "passed"}, {"tests::b", "passed"}}}, runs["error-handling"])
	assert.Equal(t, []UnitTest{{"tests::hello", "failed"}, {"tests::slow", "ignored"}, {"tests::wave", "passed"}}, runs["hello"].Tests,
		"a line in a failure's output that looks like a result is not one")
	assert.False(t, runs["tls"].Built)
	assert.Contains(t, runs["tls"].Error, "could not compile `tls`")
	assert.Len(t, runs, 3, "integration tests and doc-tests belong to no member's unit tests")
}
