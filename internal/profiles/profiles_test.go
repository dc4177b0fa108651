package profiles

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Profiles are for the host only: anything but a loopback IP is refused.
func TestOnlyLoopbackAddresses(t *testing.T) {
	assert.NoError(t, Check("127.0.0.1:6060"))
	assert.NoError(t, Check("[::1]:6060"))
	for _, bad := range []string{"0.0.0.0:6060", "localhost:6060", "10.0.0.1:6060", "6060", ""} {
		assert.Error(t, Check(bad), bad)
	}
}
