package server

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// The wire form of limits: known keys, whole numbers; the service
// checks each against its bounds.
func TestExecuteLimitsOnTheWire(t *testing.T) {
	svc := &fakeService{resp: sandbox.Response{Status: "ok"}}
	app, _ := testApp(t, svc, Config{})
	r := do(t, app, fiber.MethodPost, "/api/v1/execute",
		[]byte(`{"harness":"program","stub":"fn main(){}","limits":{"run_timeout_ms":2500,"stdout_bytes":64,"compile_memory_bytes":1073741824}}`))
	assert.Equal(t, fiber.StatusOK, r.code, "%s", r.body)
	assert.Equal(t, sandbox.Limits{RunTimeoutMS: 2500, StdoutBytes: 64, CompileMemoryBytes: 1 << 30}, svc.lastCall(t).Limits)

	for body, field := range map[string]string{
		`{"harness":"program","stub":"x","limits":{"run_timeout":1}}`:                   "limits.run_timeout",
		`{"harness":"program","stub":"x","limits":{"memory_bytes":"1"}}`:                "limits.memory_bytes",
		`{"harness":"program","stub":"x","limits":{"memory_bytes":1.5}}`:                "limits.memory_bytes",
		`{"harness":"program","stub":"x","limits":[1]}`:                                 "limits",
		`{"harness":"program","stub":"x","limits":{"stdout_bytes":1,"stdout_bytes":2}}`: "limits.stdout_bytes",
	} {
		assertProblem(t, do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(body)), fiber.StatusBadRequest, StatusInvalidRequest, field)
	}
	// null is no limits.
	r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(`{"harness":"program","stub":"x","limits":null}`))
	assert.Equal(t, fiber.StatusOK, r.code, "%s", r.body)
}
