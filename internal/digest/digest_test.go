package digest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Length prefixes keep parts apart: moving a byte from one part to the
// next is another digest.
func TestPartsAreNotConcatenated(t *testing.T) {
	assert.NotEqual(t, Parts([]byte("ab"), []byte("c")), Parts([]byte("a"), []byte("bc")))
	assert.Equal(t, Parts([]byte("ab"), []byte("c")), Parts([]byte("ab"), []byte("c")))
}
