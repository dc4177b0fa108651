package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateBoundsConcurrencyAndQueue(t *testing.T) {
	g := newGate(1, 1, 200*time.Millisecond)
	ctx := context.Background()

	leave, err := g.enter(ctx)
	require.NoError(t, err, "the first job gets the slot")

	queued := make(chan error, 1)
	go func() {
		l, err := g.enter(ctx)
		if err == nil {
			l()
		}
		queued <- err
	}()
	require.Eventually(t, func() bool { return g.waiting.Load() == 1 }, time.Second, time.Millisecond)

	_, err = g.enter(ctx)
	e, ok := AsError(err)
	require.True(t, ok, "a third job finds the queue full: %v", err)
	assert.Equal(t, CodeOverloaded, e.Code)

	leave()
	assert.NoError(t, <-queued, "the queued job gets the freed slot")
}

func TestGateRefusesAfterTheQueueWait(t *testing.T) {
	g := newGate(1, 4, 20*time.Millisecond)
	leave, err := g.enter(context.Background())
	require.NoError(t, err)
	defer leave()
	_, err = g.enter(context.Background())
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeOverloaded, e.Code)
	assert.Zero(t, g.waiting.Load(), "a refused job leaves the queue")
}
