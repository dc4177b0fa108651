package runtime

import "errors"

// Causes a run's context is canceled with.
var (
	errTimeout     = errors.New("runtime: run timed out")
	errOutputLimit = errors.New("runtime: output limit reached")
)
