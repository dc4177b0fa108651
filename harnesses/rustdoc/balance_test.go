package rustdoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBalanced(t *testing.T) {
	for src, want := range map[string]bool{
		"fn f() { (1, [2]) }\n":          true,
		"let s = \"}\"; let c = '{';\n":  true,
		"/* } */ // }\nr#\"}\"#;\n":      true,
		"}\nmod m {\n":                   false,
		"fn f() {\n":                     false,
		"fn f() -> [u8; 2] { [0, 1) }\n": false,
		"let s = \"open;\n":              false,
		"/* never closed\n":              false,
		"#[cfg(any())]\n":                true,
		"assert!(x);\n}\nfn never() {\n": false,
		"":                               true,
	} {
		assert.Equal(t, want, Balanced(Lines(src)), "%q", src)
	}
}

func TestDoctestCannotCloseItsGeneratedMain(t *testing.T) {
	// A block that closes the generated `fn main` early, so that its failing
	// assertion would land in a function nobody calls, is not wrapped: it is
	// compiled as it is, and rustc reports the stray `}`.
	p := Doctest("assert!(false, \"fails\");\n}\nfn never_called() {\n")
	assert.True(t, p.Unchanged)
	assert.False(t, p.Wrapped)
	p = Doctest("let x = 1;\n} _inner().ok(); fn g() -> Result<(), ()> {\nOk::<(), ()>(())\n")
	assert.True(t, p.Unchanged, "the Result wrapper neither")
}
