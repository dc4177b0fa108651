package rustdoc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPartitionSourceHoistsLeadingAttributesAndCrates(t *testing.T) {
	lines := hiddenLines(strings.Join([]string{
		"// a comment stays with the attributes",
		"#![allow(dead_code)]",
		"#![doc = \"spans",
		"two lines\"]",
		"#![deny(warnings)]",
		"",
		"# #[macro_use] extern crate rocket;",
		"extern crate serde;",
		"",
		"use rocket::get;",
		"extern crate rand; // not leading: stays in place",
		"#![allow(unused_imports)]",
		"",
	}, "\n"))
	p, ok := partitionSource(lines, false)
	require.True(t, ok)
	assert.Equal(t, []string{"// a comment stays with the attributes", "#![doc = \"spans", "two lines\"]", ""}, texts(p.crateAttrs))
	assert.Equal(t, []string{"#![allow(dead_code)]", "#![deny(warnings)]"}, texts(p.maybeCrateAttrs), "lint levels come after the other crate attributes")
	assert.Equal(t, []string{"#[macro_use] extern crate rocket;", "extern crate serde;", ""}, texts(p.crates))
	assert.Equal(t, []string{"use rocket::get;", "extern crate rand; // not leading: stays in place", "#![allow(unused_imports)]"}, texts(p.rest),
		"the rest is trimmed of blank lines, nothing after the first other line moves")
	assert.Equal(t, 7, p.crates[0].Block)

	_, ok = partitionSource(hiddenLines("#![doc = \"never closed\n"), false)
	assert.False(t, ok, "an attribute that never closes: rustdoc compiles the block unchanged")

	split := hiddenLines("#[macro_use]\nextern crate rocket;\nfn f() {}\n")
	p, ok = partitionSource(split, false)
	require.True(t, ok)
	assert.Empty(t, p.crates, "rustdoc only knows `#[macro_use] extern crate` on one line")
	p, ok = partitionSource(split, true)
	require.True(t, ok)
	assert.Equal(t, []string{"#[macro_use]", "extern crate rocket;"}, texts(p.crates), "the mock harness keeps the attribute with its crate")
	assert.Equal(t, []string{"fn f() {}"}, texts(p.rest))
}
