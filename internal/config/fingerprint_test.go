package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// changeValidly sets the field at path of cfg to another value that
// keeps the configuration valid, and says which; false if it found none.
func changeValidly(cfg *App, path string) (any, bool) {
	v := fieldAt(cfg, path)
	old := reflect.ValueOf(v.Interface())
	var candidates []reflect.Value
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		n := v.Int()
		for _, c := range []int64{n / 2, n * 2, n + 1, n - 1, 1, 1000, 4096, 60_000, 3_600_000, 1 << 30, 1 << 32} {
			candidates = append(candidates, reflect.ValueOf(c).Convert(v.Type()))
		}
	case reflect.String:
		for _, c := range []string{"1", "s", "interpreter", "compiler", "other", "/other", "127.0.0.1:9", "redis://127.0.0.1:6379/0"} {
			candidates = append(candidates, reflect.ValueOf(c).Convert(v.Type()))
		}
	case reflect.Bool:
		candidates = append(candidates, reflect.ValueOf(!v.Bool()))
	case reflect.Slice:
		if v.Type().Elem() == reflect.TypeOf(server.APIKey{}) {
			key := server.APIKey{Name: "other", TokenSHA256: strings.Repeat("ab", 32)}
			candidates = append(candidates, reflect.Append(old, reflect.ValueOf(key)))
			break
		}
		// Of strings: one more, each valid for some key (a directory, a
		// host, an origin, a network).
		for _, c := range []string{"/usr", "example.com", "https://example.com", "10.0.0.0/8"} {
			candidates = append(candidates, reflect.Append(old, reflect.ValueOf(c)))
		}
	}
	// A key that is only valid with another: give it that first.
	if path == "server.require_api_key" {
		cfg.Server.APIKeys = []server.APIKey{{Name: "k", TokenSHA256: strings.Repeat("cd", 32)}}
	}
	if path == "front_door.uid" {
		cfg.Workers.Enabled = true
	}
	if path == "workers.enabled" { // false needs the split off
		cfg.FrontDoor.UID = 0
	}
	for _, c := range candidates {
		if reflect.DeepEqual(c.Interface(), old.Interface()) {
			continue
		}
		v.Set(c)
		if cfg.Validate() == nil {
			return c.Interface(), true
		}
	}
	v.Set(old)
	return nil, false
}

// resultKey says whether a key can change a result: the spec that
// ResultSections must meet.
func resultKey(path string) bool {
	switch path {
	case "runtime.compilation_cache_dir", "runtime.compilation_cache_bytes", "runtime.max_compiled_modules",
		"runtime.compiled_modules_bytes", "runtime.max_background_compiles", "jail.state_dir", "jail.cgroup_parent":
		return false
	}
	for _, section := range []string{"runtime.", "service.compile_limits.", "compiler.", "jail."} {
		if strings.HasPrefix(path, section) {
			return true
		}
	}
	return false
}

// Every key, changed to another valid value, changes the fingerprint's
// configuration part exactly when it can change a result: a new field of
// a result section is covered without being listed, and a changed limit
// cannot be answered from a stale cache.
func TestResultSectionsChangeWithEveryResultKey(t *testing.T) {
	base := Default()
	require.NoError(t, base.Validate())
	want, err := base.ResultSections()
	require.NoError(t, err)

	keys := leaves(reflect.TypeOf(base), "")
	require.Contains(t, keys, "jail.tmp_bytes")
	require.Contains(t, keys, "jail.max_collect_file_bytes")
	require.Contains(t, keys, "jail.cpu_quota_millicores")
	require.Contains(t, keys, "listen")
	results := 0
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			cfg := Default()
			to, ok := changeValidly(&cfg, key)
			require.True(t, ok, "no other valid value for %s", key)
			got, err := cfg.ResultSections()
			require.NoError(t, err)
			what := fmt.Sprintf("%s set to %v", key, to)
			if resultKey(key) {
				results++
				assert.NotEqual(t, string(want), string(got), "%s must change the fingerprint", what)
			} else {
				assert.Equal(t, string(want), string(got), "%s must not change the fingerprint", what)
			}
		})
	}
	assert.Greater(t, results, 30, "the result sections were walked")
}
