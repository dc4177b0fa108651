package budget

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBytes(t *testing.T) {
	b := New(10)
	assert.True(t, b.Take(6))
	assert.False(t, b.Take(5), "over the bound: refused, not partly taken")
	assert.EqualValues(t, 6, b.InUse())
	assert.True(t, b.Take(4), "exactly the bound")
	b.Give(6)
	assert.EqualValues(t, 4, b.InUse())
	assert.False(t, (&Bytes{}).Take(1), "the zero value holds nothing")
}
