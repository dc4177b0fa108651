package harnesses

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfileOffersWhatRocketsExamplesAsk checks the Cargo.toml check's
// view of the profile: each crate at the version its requirement resolved
// to (flume 0.10 for the state example although sqlx brings 0.11), with
// the features the examples turn on.
func TestProfileOffersWhatRocketsExamplesAsk(t *testing.T) {
	externs := map[string]string{}
	for _, name := range []string{"rocket", "rocket_dyn_templates", "rocket_db_pools", "rocket_sync_db_pools", "rocket_ws",
		"rocket_docs_tests", "diesel", "diesel_migrations", "sqlx", "parking_lot", "flume", "rand"} {
		externs[name] = "/t/lib" + name + ".rlib"
	}
	p, err := Profile(externs)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(p["flume"].Version, "0.10."), "flume %s", p["flume"].Version)
	assert.True(t, strings.HasPrefix(p["rand"].Version, "0.8."), "rand %s", p["rand"].Version)
	assert.True(t, strings.HasPrefix(p["sqlx"].Version, "0.7."), "sqlx %s", p["sqlx"].Version)
	assert.Equal(t, "0.5.1", p["rocket"].Version)
	assert.Subset(t, p["rocket"].Features, []string{"json", "msgpack", "uuid", "secrets"})
	assert.Subset(t, p["rocket_dyn_templates"].Features, []string{"tera", "handlebars"})
	assert.Subset(t, p["rocket_sync_db_pools"].Features, []string{"diesel_sqlite_pool", "sqlite_pool"})
	assert.Subset(t, p["diesel"].Features, []string{"sqlite", "r2d2", "returning_clauses_for_sqlite_3_35"})
	assert.Subset(t, p["sqlx"].Features, []string{"macros", "migrate"})
	assert.NotContains(t, p, "rocket_docs_tests", "the service's own crate is not a project's to ask for")
	assert.NotContains(t, p, "time", "only what was built (an extern) is offered")
}

func TestLockedVersionPicksTheHighestTheRequirementAdmits(t *testing.T) {
	v, err := lockedVersion("flume", "0.10", []string{"0.11.1", "0.10.14", "0.10.2"})
	require.NoError(t, err)
	assert.Equal(t, "0.10.14", v, "numeric order, not string order")
	v, err = lockedVersion("rocket", map[string]any{"version": "=0.5.1"}, []string{"0.5.1"})
	require.NoError(t, err)
	assert.Equal(t, "0.5.1", v)
	_, err = lockedVersion("rand", "0.9", []string{"0.8.5"})
	assert.ErrorContains(t, err, "no version of rand")
}
