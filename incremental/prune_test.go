package incremental

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Of rustc's sessions only the newest finished one is stored, with its
// lock; an unfinished session, an older one and its lock are not; a
// crate with no finished session, and what is not a session, stay.
func TestOnlyTheNewestSessionIsKept(t *testing.T) {
	w := WorkDir + "/"
	tree := map[string][]byte{
		w + "main-abc/s-hoj17plky1-15xo3dq-egvg8wn/dep-graph.bin":  nil,
		w + "main-abc/s-hoj17plky1-15xo3dq-egvg8wn/a.o":            nil,
		w + "main-abc/s-hoj17plky1-15xo3dq.lock":                   nil,
		w + "main-abc/s-hoj17qy999-0y4s47z-e3b1wqu/dep-graph.bin":  nil,
		w + "main-abc/s-hoj17qy999-0y4s47z-e3b1wqu/b.o":            nil,
		w + "main-abc/s-hoj17qy999-0y4s47z.lock":                   nil,
		w + "main-abc/s-hoj17zzzzz-1aaaaaa-working/dep-graph.bin":  nil,
		w + "main-abc/s-hoj17zzzzz-1aaaaaa.lock":                   nil,
		w + "other-def/s-hoj17aaaaa-0000000-working/dep-graph.bin": nil,
		w + "other-def/s-hoj17aaaaa-0000000.lock":                  nil,
		w + "main-abc/notes":                                       nil,
	}
	prune(tree)
	var kept []string
	for p := range tree {
		kept = append(kept, p)
	}
	assert.ElementsMatch(t, []string{
		w + "main-abc/s-hoj17qy999-0y4s47z-e3b1wqu/dep-graph.bin",
		w + "main-abc/s-hoj17qy999-0y4s47z-e3b1wqu/b.o",
		w + "main-abc/s-hoj17qy999-0y4s47z.lock",
		w + "other-def/s-hoj17aaaaa-0000000-working/dep-graph.bin",
		w + "other-def/s-hoj17aaaaa-0000000.lock",
		w + "main-abc/notes",
	}, kept)
}
