package edition

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEditions(t *testing.T) {
	assert.Equal(t, []string{"2015", "2018", "2021", "2024"}, All())
	assert.True(t, Valid(Default))
	for _, e := range All() {
		assert.True(t, Valid(e), e)
	}
	for _, e := range []string{"", "2019", "2021 ", "edition2021"} {
		assert.False(t, Valid(e), "%q", e)
	}
	assert.Equal(t, `"2015", "2018", "2021", "2024"`, Quoted())

	all := All()
	all[0] = "1999"
	assert.Equal(t, "2015", All()[0], "a caller's copy does not change the list")
}
