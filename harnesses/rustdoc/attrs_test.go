package rustdoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// target is what the example harness matches `ignore-<target>` against.
const target = "wasm32-wasip1"

func TestParseFenceAttrs(t *testing.T) {
	cases := []struct {
		info string
		want Attrs
	}{
		{"", Attrs{Rust: true}},
		{"rust", Attrs{Rust: true}},
		{"rust,no_run", Attrs{Rust: true, NoRun: true}},
		{"ignore", Attrs{Rust: true, IgnoreAll: true}},
		{"should_panic edition2018", Attrs{Rust: true, ShouldPanic: true, Edition: "2018"}},
		{"compile_fail,E0308", Attrs{Rust: true, CompileFail: true, NoRun: true, ErrorCodes: []string{"E0308"}}},
		{"E0308,compile_fail", Attrs{Rust: true, CompileFail: true, NoRun: true, ErrorCodes: []string{"E0308"}}},
		{"text", Attrs{Unknown: []string{"text"}}},
		{"rust,text", Attrs{Rust: true, Unknown: []string{"text"}}},
		{"text,should_panic", Attrs{ShouldPanic: true, Unknown: []string{"text"}}},
		{"sh", Attrs{Unknown: []string{"sh"}}},
		{"custom,rust", Attrs{}},
		{"rust,ignore-wasm32", Attrs{Rust: true, IgnoreTargets: []string{"wasm32"}}},
		{"edition2099", Attrs{Rust: true}},
		{"rust2018", Attrs{Rust: true}},
		{"test_harness", Attrs{Rust: true, TestHarness: true}},
		{"rust {.example} (a comment, with commas)", Attrs{Rust: true}},
		{`"rust"`, Attrs{Rust: true}},
		{"rust{.x}", Attrs{Rust: true}},
		{"rust=1", Attrs{SyntaxError: "unexpected character `=`"}},
		{"rust,{unclosed", Attrs{SyntaxError: "unclosed attribute block (`{}`)"}},
	}
	for _, c := range cases {
		t.Run(c.info, func(t *testing.T) {
			assert.Equal(t, c.want, ParseAttrs(c.info))
		})
	}
	assert.True(t, ParseAttrs("ignore").IgnoredOn(target))
	assert.True(t, ParseAttrs("ignore-wasm32").IgnoredOn(target))
	assert.False(t, ParseAttrs("ignore-windows").IgnoredOn(target))
	assert.False(t, ParseAttrs("ignore,ignore-windows").IgnoredOn(target), "ignore-<target> replaces ignore")
}
