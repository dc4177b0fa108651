package outcome

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOfMapsWhatHappenedToOneStatus(t *testing.T) {
	zero, three := int32(0), int32(3)
	compiled := &Compile{Success: true}
	cases := []struct {
		name    string
		compile *Compile
		run     *Run
		want    Status
	}{
		{"nothing compiled", nil, nil, StatusOK},
		{"compiled only", compiled, nil, StatusOK},
		{"no module", &Compile{}, nil, StatusCompileError},
		{"compiler out of time", &Compile{Limit: LimitTime}, nil, StatusTimeout},
		{"compiler out of memory", &Compile{Limit: LimitMemory}, nil, StatusMemoryLimit},
		{"compiler output past its cap", &Compile{Limit: LimitOutput}, nil, StatusOutputLimit},
		{"exited 0", compiled, &Run{ExitCode: &zero}, StatusOK},
		{"exited 3", compiled, &Run{ExitCode: &three}, StatusRuntimeError},
		{"trapped", compiled, &Run{Trap: "wasm error: unreachable"}, StatusRuntimeError},
		{"never exited", compiled, &Run{}, StatusRuntimeError},
		{"run out of time", compiled, &Run{Limit: LimitTime}, StatusTimeout},
		{"run out of memory, trapping", compiled, &Run{Limit: LimitMemory, Trap: "wasm error: unreachable"}, StatusMemoryLimit},
		{"output past its cap, though it exited 0", compiled, &Run{Limit: LimitOutput, ExitCode: &zero}, StatusOutputLimit},
	}
	for _, c := range cases {
		got := Of(c.compile, c.run)
		assert.Equal(t, c.want, got, c.name)
		assert.True(t, got.Valid(), c.name)
	}
}

func TestSucceededIsAZeroExitAlone(t *testing.T) {
	zero, one := int32(0), int32(1)
	assert.True(t, Run{ExitCode: &zero}.Succeeded())
	assert.False(t, Run{ExitCode: &one}.Succeeded())
	assert.False(t, Run{}.Succeeded(), "no exit at all")
	assert.False(t, Run{ExitCode: &zero, Trap: "x"}.Succeeded())
	assert.False(t, Run{ExitCode: &zero, Limit: LimitOutput}.Succeeded())
}

func TestLimitsAndStatuses(t *testing.T) {
	for l, name := range map[Limit]string{LimitTime: "time limit", LimitMemory: "memory limit", LimitOutput: "output limit"} {
		assert.Equal(t, name, l.Name())
		st, ok := l.status()
		assert.True(t, ok)
		assert.Equal(t, string(l), string(st), "a limit is reported under its own name")
	}
	_, ok := LimitNone.status()
	assert.False(t, ok)
	for _, s := range []Status{"", "invalid_request", "overloaded", "internal_error", "made_up"} {
		assert.False(t, s.Valid(), "%q is not a result status", s)
	}
}
