package keeper

import (
	"os"
	"testing"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

func TestMain(m *testing.M) {
	jail.MaybeInit() // workers are this test binary, re-executed by the jail
	os.Exit(m.Run())
}
