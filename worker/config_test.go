package worker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The default is one worker per slot, capped at two per CPU: a 64-slot
// service on 2 cores runs 4 workers, not 64 (each would compile and keep
// every module it runs).
func TestDefaultCountIsCappedAtTwoPerCPU(t *testing.T) {
	for _, c := range []struct{ slots, cpus, want int }{
		{slots: 2, cpus: 2, want: 2},
		{slots: 64, cpus: 2, want: 4},
		{slots: 3, cpus: 8, want: 3},
		{slots: 0, cpus: 0, want: 1},
	} {
		assert.Equal(t, c.want, DefaultCount(c.slots, c.cpus), "slots %d, cpus %d", c.slots, c.cpus)
	}
}
