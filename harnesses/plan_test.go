package harnesses

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlanIsLinearOnHostileStubs plans the two 64 KiB stubs of the
// hardening issue, which took minutes while each line re-read the lines
// before it: Plan returns a plan for each, and its work, counted as
// allocations (deterministic, unlike time), grows in proportion to the
// stub.
func TestPlanIsLinearOnHostileStubs(t *testing.T) {
	const size = 64 << 10
	cases := []struct {
		name  string
		stub  func(size int) string
		plan  func(stub string) (Plan, error)
		check func(t *testing.T, stub string, p Plan)
	}{
		{
			name: "example: an inner attribute that never closes, then many short lines",
			stub: func(size int) string { return "#![\n" + strings.Repeat("a\n", (size-4)/2) },
			plan: func(stub string) (Plan, error) {
				return planExample(stub, nil)
			},
			check: func(t *testing.T, stub string, p Plan) {
				assert.Equal(t, stub, string(p.Source), "rustdoc compiles such a block unchanged")
			},
		},
		{
			name: "mock: outer attributes alone on their lines, ahead of an extern crate",
			stub: func(size int) string { return strings.Repeat("#[a]\n", (size-16)/5) + "extern crate x;\n" },
			plan: func(stub string) (Plan, error) {
				return planMock(stub, json.RawMessage(`{"uri": "/"}`))
			},
			check: func(t *testing.T, stub string, p Plan) {
				assert.True(t, strings.HasPrefix(string(p.Source), stub), "the attributes go with the crate, to the crate root")
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stub := c.stub(size)
			require.LessOrEqual(t, len(stub), size)
			require.Greater(t, len(stub), size-16)
			p, err := c.plan(stub)
			require.NoError(t, err)
			c.check(t, stub, p)
			assertStubLinesKept(t, stub, p)

			work := func(size int) float64 {
				stub := c.stub(size)
				return testing.AllocsPerRun(1, func() { _, _ = c.plan(stub) })
			}
			half, full := work(size/2), work(size)
			assert.LessOrEqual(t, full, 2.5*half, "twice the stub, about twice the work (%v allocations, then %v)", half, full)
		})
	}
}
