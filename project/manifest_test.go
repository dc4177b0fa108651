package project

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testProfile = Profile{
	"rocket":               {Version: "0.5.1", Features: []string{"json", "secrets"}},
	"rocket_ws":            {Version: "0.1.1"},
	"rocket_dyn_templates": {Version: "0.2.0", Features: []string{"tera"}},
	"rand":                 {Version: "0.8.8"},
}

func anyEdition(string) bool { return true }

// Rocket's examples' Cargo.toml, as they are in Rocket's repository:
// a workspace member, path dependencies into Rocket's tree, a renamed
// dependency, dev-dependencies.
func TestManifestAcceptsRocketsExamplesUnmodified(t *testing.T) {
	m, err := ParseManifest(`[package]
name = "upgrade"
version = "0.0.0"
workspace = "../"
edition = "2021"
publish = false

[dependencies]
rocket = { path = "../../core/lib", features = ["json"] }
ws = { package = "rocket_ws", path = "../../contrib/ws" }

[dependencies.rocket_dyn_templates]
path = "../../contrib/dyn_templates"
features = ["tera"]

[dev-dependencies]
rand = "0.8"
`, testProfile, anyEdition)
	require.NoError(t, err)
	assert.Equal(t, "upgrade", m.Package.Name)
	assert.Equal(t, "2021", m.Edition)
	assert.Equal(t, map[string]string{"ws": "rocket_ws"}, m.Renames, "only the renamed dependency")
}

func TestManifestRenames(t *testing.T) {
	m, err := ParseManifest("[dependencies]\nrocket = \"0.5\"\nmy-ws = { package = \"rocket_ws\", version = \"0.1\" }\n", testProfile, anyEdition)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"my_ws": "rocket_ws"}, m.Renames, "the crate name is the key with '-' as '_'")

	m, err = ParseManifest("[dependencies]\nrocket = { package = \"rocket\" }\n", testProfile, anyEdition)
	require.NoError(t, err)
	assert.Empty(t, m.Renames, "naming the crate by its own name is no rename")

	for _, c := range []struct{ name, toml, saying string }{
		{"unknown package", "[dependencies]\nws = { package = \"ws\" }\n", `dependencies.ws: the prepared profile has no crate "ws"`},
		{"package not a name", "[dependencies]\nws = { package = 1 }\n", "dependencies.ws: package must be a crate's name"},
		{"feature of the renamed crate", "[dependencies]\nt = { package = \"rocket_dyn_templates\", features = [\"handlebars\"] }\n",
			`dependencies.t: feature "handlebars" is not built in the prepared profile; rocket_dyn_templates has: default, tera`},
		{"version of the renamed crate", "[dependencies]\nws = { package = \"rocket_ws\", version = \"0.2\" }\n",
			`version "0.2" does not match the profile's rocket_ws 0.1.1`},
		{"one name, two crates", "[dependencies]\nws = { package = \"rocket_ws\" }\n[dev-dependencies]\nws = { package = \"rand\" }\n",
			`dev-dependencies.ws: the crate name "ws" already stands for rocket_ws`},
		{"a rename over a dependency", "[dependencies]\nrand = \"0.8\"\n[dev-dependencies]\nrand = { package = \"rocket_ws\" }\n",
			`dev-dependencies.rand: the crate name "rand" already stands for rand`},
		{"other keys still refused", "[dependencies]\nrocket = { git = \"https://example.com/rocket\" }\n", `"git" is not supported`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseManifest(c.toml, testProfile, anyEdition)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.saying)
			assert.Contains(t, err.Error(), `files["Cargo.toml"]`)
		})
	}
}
