package check

import "reflect"

// WithDefaults returns section c with each zero field taken from d, its
// defaults: how a section built in Go code (a test, a tool) reads a zero
// field as "the default" before it is checked. It looks at c's own
// fields only, so a nested section is taken whole when it is all zero.
// T must be a struct with exported fields.
func WithDefaults[T any](c, d T) T {
	cv, dv := reflect.ValueOf(&c).Elem(), reflect.ValueOf(d)
	for i := range cv.NumField() {
		if f := cv.Field(i); f.IsZero() {
			f.Set(dv.Field(i))
		}
	}
	return c
}
