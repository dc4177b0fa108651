package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// cleanEnv removes every variable Load reads, for the test's duration.
func cleanEnv(t *testing.T) {
	for _, e := range envVars {
		t.Setenv(e.name, "") // restores the machine's value afterwards
		require.NoError(t, os.Unsetenv(e.name))
	}
}

func writeConfig(t *testing.T, body string) string {
	path := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

// One case per refusal: every key with a constraint, out of range on
// each side it has, an unknown key, a wrong type, trailing data, and bad
// environment and flag values. Each error must name the key (and, for a
// range, the range).
func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string            // the config file, if any
		env   map[string]string // environment variables set
		flags []Flag
		want  string // in the error
	}{
		// The file itself.
		{name: "unknown top-level key", file: `{"listn": "127.0.0.1:1"}`, want: "listn: unknown key"},
		{name: "unknown nested key", file: `{"service": {"max_concurent": 2}}`, want: "service.max_concurent: unknown key"},
		{name: "unknown deep key", file: `{"jail": {"max_limits": {"wall_time": 1}}}`, want: "jail.max_limits.wall_time: unknown key"},
		{name: "old nanosecond key", file: `{"runtime": {"timeout": 5000000000}}`, want: "runtime.timeout: unknown key"},
		{name: "key in another case", file: `{"Listen": "127.0.0.1:1"}`, want: "Listen: unknown key"},
		{name: "stub cap is the service's only", file: `{"server": {"max_stub_bytes": 5}}`, want: "server.max_stub_bytes: unknown key"},
		{name: "wrong type", file: `{"service": {"max_concurrent": "4"}}`, want: "service.max_concurrent: got a JSON string, want int"},
		{name: "wrong type string", file: `{"listen": 8080}`, want: "listen: got a JSON number, want string"},
		{name: "wrong type list", file: `{"jail": {"read_only_paths": "/usr"}}`, want: "jail.read_only_paths: got a JSON string"},
		{name: "old string codegen units", file: `{"compiler": {"codegen_units": "1"}}`, want: "compiler.codegen_units: got a JSON string, want int"},
		{name: "fractional integer", file: `{"runtime": {"timeout_ms": 1.5}}`, want: "runtime.timeout_ms: got a JSON number 1.5, want int64"},
		{name: "trailing data", file: `{} {}`, want: "trailing data"},
		{name: "trailing garbage", file: `{"listen": "127.0.0.1:1"} x`, want: "trailing data"},
		{name: "not JSON", file: `{"listen": `, want: "unexpected EOF"},

		// The top level.
		{name: "listen", file: `{"listen": "localhost"}`, want: `listen: "localhost" is not host:port`},
		{name: "state_dir", file: `{"state_dir": ""}`, want: "state_dir: must not be empty"},
		{name: "go_memory_limit_mb negative", file: `{"go_memory_limit_mb": -1}`, want: "go_memory_limit_mb: -1 is out of range 0..1048576"},
		{name: "go_memory_limit_mb under the caches", file: `{"go_memory_limit_mb": 183}`, want: "go_memory_limit_mb: 183 is less than the memory tiers (cache.results, cache.modules, cache.shares), server.recall_bytes and 64 MiB together (184)"},
		{name: "go_memory_limit_mb under larger caches", file: `{"go_memory_limit_mb": 300, "cache": {"results": {"memory_mb": 256}}}`, want: "go_memory_limit_mb: 300 is less than"},
		{name: "front_door.uid negative", file: `{"workers": {"enabled": true}, "front_door": {"uid": -1}}`, want: "front_door.uid: -1 is out of range 1..2147483647"},
		{name: "front_door.uid the jail's", file: `{"workers": {"enabled": true}, "front_door": {"uid": 65534}}`, want: "front_door.uid: 65534 is the jail's uid"},
		{name: "front_door.uid without workers", file: `{"workers": {"enabled": false}, "front_door": {"uid": 1000}}`, want: "front_door.uid: needs workers.enabled"},
		{name: "front_door.data_dir relative", file: `{"front_door": {"data_dir": "var/lib"}}`, want: "front_door.data_dir: \"var/lib\" must be an absolute path"},

		// server
		{name: "server.max_body_bytes zero", file: `{"server": {"max_body_bytes": 0}}`, want: "server.max_body_bytes: 0 is out of range 1..1073741824"},
		{name: "server.max_body_bytes high", file: `{"server": {"max_body_bytes": 1073741825}}`, want: "server.max_body_bytes: 1073741825 is out of range"},
		{name: "server.max_header_bytes low", file: `{"server": {"max_header_bytes": 100}}`, want: "server.max_header_bytes: 100 is out of range 1024..1048576"},
		{name: "server.max_header_bytes high", file: `{"server": {"max_header_bytes": 1048577}}`, want: "server.max_header_bytes: 1048577 is out of range"},
		{name: "server.read_timeout_ms", file: `{"server": {"read_timeout_ms": -1}}`, want: "server.read_timeout_ms: -1 is out of range 1..3600000"},
		{name: "server.write_timeout_ms", file: `{"server": {"write_timeout_ms": 0}}`, want: "server.write_timeout_ms: 0 is out of range 1..3600000"},
		{name: "server.idle_timeout_ms", file: `{"server": {"idle_timeout_ms": 3600001}}`, want: "server.idle_timeout_ms: 3600001 is out of range 1..3600000"},
		{name: "server.request_timeout_ms", file: `{"server": {"request_timeout_ms": 0}}`, want: "server.request_timeout_ms: 0 is out of range 1..3600000"},
		{name: "server.max_response_bytes_in_flight", file: `{"server": {"max_response_bytes_in_flight": 1024}}`, want: "server.max_response_bytes_in_flight: 1024 is out of range 1048576..1099511627776"},
		{name: "server.allowed_hosts", file: `{"server": {"allowed_hosts": ["localhost:8080", "http://evil"]}}`, want: `server.allowed_hosts[1]: "http://evil" is not host or host:port`},
		{name: "server.allowed_origins", file: `{"server": {"allowed_origins": ["https://docs.example.org/path"]}}`, want: `server.allowed_origins[0]: "https://docs.example.org/path" is not an origin`},
		{name: "server.trusted_proxies", file: `{"server": {"trusted_proxies": ["proxy.local"]}}`, want: `server.trusted_proxies[0]: "proxy.local" is neither an IP address nor a CIDR`},
		{name: "server.require_api_key", file: `{"server": {"require_api_key": true}}`, want: "server.require_api_key: needs at least one of api_keys"},
		{name: "server.api_keys token", file: `{"server": {"api_keys": [{"name": "docs", "token_sha256": "hunter2"}]}}`, want: "server.api_keys[0].token_sha256: must be 64 lower-case hex digits"},
		{name: "server.api_keys name", file: `{"server": {"api_keys": [{"token_sha256": "` + strings.Repeat("ab", 32) + `"}]}}`, want: "server.api_keys[0].name: must not be empty"},
		{name: "server.api_keys limits", file: `{"server": {"api_keys": [{"name": "docs", "token_sha256": "` + strings.Repeat("ab", 32) + `", "max_concurrent": -1}]}}`, want: "server.api_keys[0].max_concurrent: -1 is out of range 0..1048576"},
		{name: "server.api_keys unknown field", file: `{"server": {"api_keys": [{"name": "docs", "token": "plain"}]}}`, want: "server.api_keys[0].token: unknown key"},

		// service
		{name: "service.max_stub_bytes zero", file: `{"service": {"max_stub_bytes": 0}}`, want: "service.max_stub_bytes: 0 is out of range 1..16777216"},
		{name: "service.max_stub_bytes high", file: `{"service": {"max_stub_bytes": 16777217}}`, want: "service.max_stub_bytes: 16777217 is out of range 1..16777216"},
		{name: "service.max_concurrent negative", file: `{"service": {"max_concurrent": -1}}`, want: "service.max_concurrent: -1 is out of range 1..1024"},
		{name: "service.max_concurrent zero", file: `{"service": {"max_concurrent": 0}}`, want: "service.max_concurrent: 0 is out of range 1..1024"},
		{name: "service.max_concurrent high", file: `{"service": {"max_concurrent": 1025}}`, want: "service.max_concurrent: 1025 is out of range 1..1024"},
		{name: "service.max_queue negative", file: `{"service": {"max_queue": -1}}`, want: "service.max_queue: -1 is out of range 0..65536"},
		{name: "service.max_queue high", file: `{"service": {"max_queue": 65537}}`, want: "service.max_queue: 65537 is out of range 0..65536"},
		{name: "service.queue_wait_ms zero", file: `{"service": {"queue_wait_ms": 0}}`, want: "service.queue_wait_ms: 0 is out of range 1..600000"},
		{name: "service.queue_wait_ms high", file: `{"service": {"queue_wait_ms": 600001}}`, want: "service.queue_wait_ms: 600001 is out of range 1..600000"},
		{name: "service.compile_limits.wall_time_ms", file: `{"service": {"compile_limits": {"wall_time_ms": -1}}}`, want: "service.compile_limits.wall_time_ms: -1 is out of range"},
		{name: "service.compile_limits.cpu_time_ms", file: `{"service": {"compile_limits": {"cpu_time_ms": 500}}}`, want: "service.compile_limits.cpu_time_ms: 500 is out of range 1000..3600000 (or 0: the default)"},
		{name: "service.compile_limits.memory_bytes above the jail", file: `{"service": {"compile_limits": {"memory_bytes": 8589934592}}}`, want: "service.compile_limits.memory_bytes: 8589934592 is out of range 1..4294967296 (or 0: the default)"},
		{name: "service.compile_limits.pids", file: `{"service": {"compile_limits": {"pids": -1}}}`, want: "service.compile_limits.pids: -1"},
		{name: "service.compile_limits.output_bytes", file: `{"service": {"compile_limits": {"output_bytes": -1}}}`, want: "service.compile_limits.output_bytes: -1"},
		{name: "service.compile_limits.work_dir_bytes", file: `{"service": {"compile_limits": {"work_dir_bytes": -1}}}`, want: "service.compile_limits.work_dir_bytes: -1"},
		{name: "service.compile_limits.file_size_bytes", file: `{"service": {"compile_limits": {"file_size_bytes": -1}}}`, want: "service.compile_limits.file_size_bytes: -1"},
		{name: "service.compile_limits.open_files", file: `{"service": {"compile_limits": {"open_files": 5000}}}`, want: "service.compile_limits.open_files: 5000 is out of range 1..4096"},
		{name: "service.job_estimate_ms", file: `{"service": {"job_estimate_ms": 0}}`, want: "service.job_estimate_ms: 0 is out of range 1..600000"},
		{name: "service.max_queued_bytes", file: `{"service": {"max_queued_bytes": 1000}}`, want: "service.max_queued_bytes: 1000 is out of range 65536..1099511627776"},
		{name: "service.max_preparing", file: `{"service": {"max_preparing": 0}}`, want: "service.max_preparing: 0 is out of range 1..1024"},

		// compiler
		{name: "compiler.opt_level", file: `{"compiler": {"opt_level": "fast"}}`, want: `compiler.opt_level: "fast" is not one of "0", "1", "2", "3", "s", "z"`},
		{name: "compiler.codegen_units zero", file: `{"compiler": {"codegen_units": 0}}`, want: "compiler.codegen_units: 0 is out of range 1..256"},
		{name: "compiler.codegen_units high", file: `{"compiler": {"codegen_units": 257}}`, want: "compiler.codegen_units: 257 is out of range 1..256"},
		{name: "compiler.max_diagnostics negative", file: `{"compiler": {"max_diagnostics": -1}}`, want: "compiler.max_diagnostics: -1 is out of range 1..10000"},
		{name: "compiler.max_diagnostics high", file: `{"compiler": {"max_diagnostics": 10001}}`, want: "compiler.max_diagnostics: 10001 is out of range 1..10000"},

		// runtime
		{name: "runtime.memory_limit_bytes low", file: `{"runtime": {"memory_limit_bytes": 100}}`, want: "runtime.memory_limit_bytes: 100 is out of range 65536..4294967296"},
		{name: "runtime.memory_limit_bytes high", file: `{"runtime": {"memory_limit_bytes": 5368709120}}`, want: "runtime.memory_limit_bytes: 5368709120 is out of range 65536..4294967296"},
		{name: "runtime.timeout_ms zero", file: `{"runtime": {"timeout_ms": 0}}`, want: "runtime.timeout_ms: 0 is out of range 1..3600000"},
		{name: "runtime.timeout_ms high", file: `{"runtime": {"timeout_ms": 3600001}}`, want: "runtime.timeout_ms: 3600001 is out of range 1..3600000"},
		{name: "runtime.stdout_limit_bytes zero", file: `{"runtime": {"stdout_limit_bytes": 0}}`, want: "runtime.stdout_limit_bytes: 0 is out of range 1..1073741824"},
		{name: "runtime.stdout_limit_bytes high", file: `{"runtime": {"stdout_limit_bytes": 1073741825}}`, want: "runtime.stdout_limit_bytes: 1073741825 is out of range 1..1073741824"},
		{name: "runtime.stderr_limit_bytes", file: `{"runtime": {"stderr_limit_bytes": -1}}`, want: "runtime.stderr_limit_bytes: -1 is out of range 1..1073741824"},
		{name: "runtime.engine", file: `{"runtime": {"engine": "jit"}}`, want: `runtime.engine: "jit" is not one of "auto", "compiler", "interpreter"`},
		{name: "runtime.max_compiled_modules zero", file: `{"runtime": {"max_compiled_modules": 0}}`, want: "runtime.max_compiled_modules: 0 is out of range 1..1024"},
		{name: "runtime.max_compiled_modules high", file: `{"runtime": {"max_compiled_modules": 1025}}`, want: "runtime.max_compiled_modules: 1025 is out of range 1..1024"},

		// cache
		{name: "cache.results.memory_mb", file: `{"cache": {"results": {"memory_mb": 0}}}`, want: "cache.results.memory_mb: 0 is out of range 1..65536"},
		{name: "cache.modules.memory_mb", file: `{"cache": {"modules": {"memory_mb": 65537}}}`, want: "cache.modules.memory_mb: 65537 is out of range 1..65536"},
		{name: "cache.results.shards zero", file: `{"cache": {"results": {"shards": 0}}}`, want: "cache.results.shards: 0 is out of range 1..1024"},
		{name: "cache.modules.shards high", file: `{"cache": {"modules": {"shards": 2048}}}`, want: "cache.modules.shards: 2048 is out of range 1..1024"},
		{name: "cache.modules.shards odd", file: `{"cache": {"modules": {"shards": 6}}}`, want: "cache.modules.shards: 6 is not a power of two"},
		{name: "cache.results.disk_bytes", file: `{"cache": {"results": {"disk_bytes": 1000}}}`, want: "cache.results.disk_bytes: 1000 is out of range 1048576..1125899906842624"},
		{name: "cache.results.max_value_bytes zero", file: `{"cache": {"results": {"max_value_bytes": 0}}}`, want: "cache.results.max_value_bytes: 0 is out of range 1..1073741824"},
		{name: "cache.modules.max_value_bytes over disk", file: `{"cache": {"modules": {"disk_bytes": 16777216}}}`, want: "cache.modules.max_value_bytes: 33554432 is more than disk_bytes (16777216)"},
		{name: "runtime.compiled_modules_bytes", file: `{"runtime": {"compiled_modules_bytes": 1024}}`, want: "runtime.compiled_modules_bytes: 1024 is out of range 16777216..1099511627776"},
		{name: "runtime.compilation_cache_bytes", file: `{"runtime": {"compilation_cache_bytes": 0}}`, want: "runtime.compilation_cache_bytes: 0 is out of range 1048576..1125899906842624"},
		{name: "runtime.max_background_compiles", file: `{"runtime": {"max_background_compiles": 65}}`, want: "runtime.max_background_compiles: 65 is out of range 1..64"},
		{name: "cache.redis.url", file: `{"cache": {"redis": {"url": "http://u:secret@host"}}}`, want: "cache.redis.url: not a Redis URL"},
		{name: "cache.redis.lease_ms", file: `{"cache": {"redis": {"lease_ms": 10}}}`, want: "cache.redis.lease_ms: 10 is out of range 100..600000"},
		{name: "cache.redis.poll_ms", file: `{"cache": {"redis": {"poll_ms": 0}}}`, want: "cache.redis.poll_ms: 0 is out of range 1..10000"},
		{name: "cache.redis.op_timeout_ms", file: `{"cache": {"redis": {"op_timeout_ms": 60001}}}`, want: "cache.redis.op_timeout_ms: 60001 is out of range 1..60000"},
		{name: "cache.redis.entry_ttl_seconds", file: `{"cache": {"redis": {"entry_ttl_seconds": 1}}}`, want: "cache.redis.entry_ttl_seconds: 1 is out of range 60..31536000"},
		{name: "cache.redis.max_value_bytes under modules", file: `{"cache": {"redis": {"url": "redis://127.0.0.1:6379/0", "max_value_bytes": 1048576}}}`, want: "cache.redis.max_value_bytes: 1048576 is less than cache.modules.max_value_bytes (33554432)"},
		{name: "service.max_request_limits under its default", file: `{"service": {"max_request_limits": {"run_timeout_ms": 5000}}}`, want: "service.max_request_limits.run_timeout_ms: 5000 is less than its default, runtime.timeout_ms (10000)"},
		{name: "service.max_request_limits over the ceiling", file: `{"service": {"max_request_limits": {"memory_bytes": 8589934592}}}`, want: "service.max_request_limits.memory_bytes: 8589934592 is out of range 65536..4294967296 (or 0: the default)"},
		{name: "service.max_request_limits over the jail's", file: `{"service": {"max_request_limits": {"compile_wall_time_ms": 200000}}}`, want: "service.max_request_limits.compile_wall_time_ms: 200000 is more than jail.max_limits.wall_time_ms (120000)"},
		{name: "compiler.max_module_bytes", file: `{"compiler": {"max_module_bytes": 1000}}`, want: "compiler.max_module_bytes: 1000 is out of range 65536..1073741824"},
		{name: "compiler.max_module_bytes over collect", file: `{"compiler": {"max_module_bytes": 134217728}}`, want: "compiler.max_module_bytes: 134217728 is more than jail.max_collect_file_bytes (67108864)"},

		// jail
		{name: "jail.read_only_paths", file: `{"jail": {"read_only_paths": ["/usr", "relative"]}}`, want: `jail.read_only_paths[1]: "relative" must be absolute and clean`},
		{name: "jail.max_limits zero", file: `{"jail": {"max_limits": {"wall_time_ms": 0}}}`, want: "jail.max_limits.wall_time_ms: 0 is out of range 1..3600000"},
		{name: "jail.max_limits high", file: `{"jail": {"max_limits": {"memory_bytes": 2199023255552}}}`, want: "jail.max_limits.memory_bytes: 2199023255552 is out of range 1..1099511627776"},
		{name: "jail.max_limits.cpu_time_ms", file: `{"jail": {"max_limits": {"cpu_time_ms": 999}}}`, want: "jail.max_limits.cpu_time_ms: 999 is out of range 1000..3600000"},
		{name: "jail.max_limits.pids", file: `{"jail": {"max_limits": {"pids": 4194305}}}`, want: "jail.max_limits.pids: 4194305 is out of range 1..4194304"},
		{name: "jail.max_limits.output_bytes", file: `{"jail": {"max_limits": {"output_bytes": -1}}}`, want: "jail.max_limits.output_bytes: -1 is out of range"},
		{name: "jail.max_limits.work_dir_bytes", file: `{"jail": {"max_limits": {"work_dir_bytes": 0}}}`, want: "jail.max_limits.work_dir_bytes: 0 is out of range"},
		{name: "jail.max_limits.file_size_bytes", file: `{"jail": {"max_limits": {"file_size_bytes": 0}}}`, want: "jail.max_limits.file_size_bytes: 0 is out of range"},
		{name: "jail.max_limits.open_files", file: `{"jail": {"max_limits": {"open_files": 1048577}}}`, want: "jail.max_limits.open_files: 1048577 is out of range 1..1048576"},
		{name: "jail.default_limits above max", file: `{"jail": {"default_limits": {"pids": 513}}}`, want: "jail.default_limits.pids: 513 is out of range 1..512 (or 0: the default)"},
		{name: "jail.default_limits negative", file: `{"jail": {"default_limits": {"wall_time_ms": -1}}}`, want: "jail.default_limits.wall_time_ms: -1 is out of range"},
		{name: "jail.uid root", file: `{"jail": {"uid": 0}}`, want: "jail.uid: 0 is out of range 1..2147483647"},
		{name: "jail.gid negative", file: `{"jail": {"gid": -1}}`, want: "jail.gid: -1 is out of range 1..2147483647"},
		{name: "jail.hostname", file: `{"jail": {"hostname": "a b"}}`, want: `jail.hostname: "a b" is not a valid host name`},
		{name: "jail.cgroup_parent", file: `{"jail": {"cgroup_parent": "../x"}}`, want: `jail.cgroup_parent: "../x"`},
		{name: "jail.state_dir", file: `{"jail": {"state_dir": "relative"}}`, want: `jail.state_dir: "relative" must be an absolute, clean path other than /`},
		{name: "jail.tmp_bytes", file: `{"jail": {"tmp_bytes": 100}}`, want: "jail.tmp_bytes: 100 is out of range 4096..1099511627776"},
		{name: "jail.cpu_quota_millicores", file: `{"jail": {"cpu_quota_millicores": 5}}`, want: "jail.cpu_quota_millicores: 5 is out of range 10..1000000"},
		{name: "jail.max_collect_file_bytes", file: `{"jail": {"max_collect_file_bytes": 0}}`, want: "jail.max_collect_file_bytes: 0 is out of range 1..1099511627776"},

		// The environment and flags.
		{name: "env timeout not a duration", env: map[string]string{"ROCKET_SANDBOX_RUN_TIMEOUT": "soon"}, want: `ROCKET_SANDBOX_RUN_TIMEOUT="soon" (runtime.timeout_ms): want a duration`},
		{name: "env timeout not whole ms", env: map[string]string{"ROCKET_SANDBOX_RUN_TIMEOUT": "1500us"}, want: "(runtime.timeout_ms): want a duration in whole milliseconds"},
		{name: "env timeout negative", env: map[string]string{"ROCKET_SANDBOX_RUN_TIMEOUT": "-5s"}, want: "runtime.timeout_ms: -5000 is out of range 1..3600000 (set by ROCKET_SANDBOX_RUN_TIMEOUT)"},
		{name: "env memory not a number", env: map[string]string{"ROCKET_SANDBOX_RUN_MEMORY_BYTES": "1G"}, want: `ROCKET_SANDBOX_RUN_MEMORY_BYTES="1G" (runtime.memory_limit_bytes): want a whole number`},
		{name: "env memory out of range", env: map[string]string{"ROCKET_SANDBOX_RUN_MEMORY_BYTES": "100"}, want: "runtime.memory_limit_bytes: 100 is out of range 65536..4294967296 (set by ROCKET_SANDBOX_RUN_MEMORY_BYTES)"},
		{name: "env stub cap", env: map[string]string{"ROCKET_SANDBOX_MAX_STUB_BYTES": "-1"}, want: "service.max_stub_bytes: -1 is out of range 1..16777216 (set by ROCKET_SANDBOX_MAX_STUB_BYTES)"},
		{name: "env listen", env: map[string]string{"ROCKET_SANDBOX_LISTEN": "8080"}, want: `listen: "8080" is not host:port (set by ROCKET_SANDBOX_LISTEN)`},
		{name: "env state dir", env: map[string]string{"ROCKET_SANDBOX_STATE_DIR": ""}, want: "state_dir: must not be empty (set by ROCKET_SANDBOX_STATE_DIR)"},
		{name: "env wins over a good file", file: `{"runtime": {"timeout_ms": 5000}}`, env: map[string]string{"ROCKET_SANDBOX_RUN_TIMEOUT": "0s"}, want: "runtime.timeout_ms: 0 is out of range 1..3600000 (set by ROCKET_SANDBOX_RUN_TIMEOUT)"},
		{name: "flag listen", flags: []Flag{{Name: "--listen", Key: "listen", Value: "nope"}}, want: `listen: "nope" is not host:port (set by --listen)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			path := ""
			if tc.file != "" {
				path = writeConfig(t, tc.file)
			}
			_, err := Load(path, tc.flags...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Every number refuses a negative value, naming its key: a key added
// without a range is caught here.
func TestEveryNumberRefusesNegative(t *testing.T) {
	for _, key := range leaves(reflect.TypeOf(App{}), "") {
		cfg := Default()
		v := fieldAt(&cfg, key)
		if v.Kind() != reflect.Int && v.Kind() != reflect.Int64 {
			continue
		}
		v.SetInt(-1)
		assert.ErrorContains(t, cfg.Validate(), key+": -1 is out of range", key)
	}
}

// The defaults are valid, and written out they are a config file that
// Load reads back to the same values: every key the defaults have is a
// key the strict decoder knows.
func TestDefaultsRoundTrip(t *testing.T) {
	cleanEnv(t)
	d := Default()
	require.NoError(t, d.Validate())
	b, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	got, err := Load(writeConfig(t, string(b)))
	require.NoError(t, err)
	d.resolve()
	assert.Equal(t, d, got)
}

// A file sets what it names and nothing else; the environment wins over
// the file and flags over both; empty directories land under state_dir
// (without the split; with it, under front_door.data_dir).
func TestLoadLayers(t *testing.T) {
	cleanEnv(t)
	path := writeConfig(t, `{
		"listen": "127.0.0.1:7000",
		"state_dir": "/srv/rocket",
		"front_door": {"uid": 0},
		"service": {"max_concurrent": 3, "max_stub_bytes": 1000},
		"runtime": {"timeout_ms": 4000},
		"jail": {"max_limits": {"memory_bytes": 536870912}}
	}`)
	t.Setenv("ROCKET_SANDBOX_RUN_MEMORY_BYTES", "1048576")
	t.Setenv("ROCKET_SANDBOX_LISTEN", "127.0.0.1:7001")
	cfg, err := Load(path, Flag{Name: "--listen", Key: "listen", Value: "127.0.0.1:7002"})
	require.NoError(t, err)

	d := Default()
	assert.Equal(t, "127.0.0.1:7002", cfg.Listen, "flags win")
	assert.Equal(t, 3, cfg.Service.MaxConcurrent)
	assert.Equal(t, d.Service.MaxQueue, cfg.Service.MaxQueue, "0: follows max_concurrent")
	assert.Equal(t, 1000, cfg.Service.MaxStubBytes)
	assert.EqualValues(t, 4000, cfg.Runtime.TimeoutMS)
	assert.EqualValues(t, 1<<20, cfg.Runtime.MemoryLimitBytes, "the environment wins over defaults")
	assert.Equal(t, d.Runtime.StdoutLimitBytes, cfg.Runtime.StdoutLimitBytes, "untouched keys keep their defaults")
	assert.EqualValues(t, 512<<20, cfg.Jail.MaxLimits.MemoryBytes)
	assert.Equal(t, jail.MaxLimits().Pids, cfg.Jail.MaxLimits.Pids, "a section's other keys keep their defaults")
	assert.Equal(t, "/srv/rocket/wazero-cache", cfg.Runtime.CompilationCacheDir)
	assert.Equal(t, "/srv/rocket/cache/results", cfg.Cache.Results.Dir)
	assert.Equal(t, "/srv/rocket/cache/modules", cfg.Cache.Modules.Dir)
	assert.Equal(t, 32, cfg.Cache.Modules.MemoryMB)
	assert.Equal(t, 4, cfg.Cache.Modules.Shards)

	t.Setenv("ROCKET_SANDBOX_RUN_TIMEOUT", "2500ms")
	t.Setenv("ROCKET_SANDBOX_STATE_DIR", "/srv/other")
	cfg, err = Load(path)
	require.NoError(t, err)
	assert.EqualValues(t, 2500, cfg.Runtime.TimeoutMS, "the environment wins over the file")
	assert.Equal(t, "/srv/other", cfg.StateDir)
	assert.Equal(t, "127.0.0.1:7001", cfg.Listen)
}

// With the split (the default), the stores the front door writes land
// under front_door.data_dir, which its uid can reach, not under the
// state dir; ROCKET_SANDBOX_FRONT_DOOR_UID=0 turns the split off.
func TestSplitStoresLandInTheDataDir(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load(writeConfig(t, `{"state_dir": "/srv/rocket", "front_door": {"data_dir": "/srv/front"}}`))
	require.NoError(t, err)
	assert.Equal(t, DefaultFrontDoorUID, cfg.FrontDoor.UID)
	assert.True(t, cfg.Workers.Enabled)
	assert.Equal(t, "/srv/front/cache/results", cfg.Cache.Results.Dir)
	assert.Equal(t, "/srv/front/cache/modules", cfg.Cache.Modules.Dir)
	assert.Equal(t, "/srv/front/shares", cfg.Cache.Shares.Dir)
	assert.Equal(t, "/srv/rocket/wazero-cache", cfg.Runtime.CompilationCacheDir, "the keeper's side stays in the state dir")

	t.Setenv("ROCKET_SANDBOX_FRONT_DOOR_UID", "0")
	cfg, err = Load(writeConfig(t, `{"state_dir": "/srv/rocket"}`))
	require.NoError(t, err)
	assert.Equal(t, 0, cfg.FrontDoor.UID)
	assert.Equal(t, "/srv/rocket/cache/results", cfg.Cache.Results.Dir)
}

// docs/configuration.md names every key, and its example loads.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	cleanEnv(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	require.NoError(t, err)
	doc := string(b)
	for _, key := range leaves(reflect.TypeOf(App{}), "") {
		last := key[strings.LastIndex(key, ".")+1:]
		assert.Contains(t, doc, "`"+last+"`", "docs/configuration.md does not mention %s", key)
	}
	for _, e := range envVars {
		assert.Contains(t, doc, "`"+e.name+"`")
	}
	start := strings.Index(doc, "```json\n")
	require.NotEqual(t, -1, start, "the example")
	example := doc[start+len("```json\n"):]
	example = example[:strings.Index(example, "```")]
	_, err = Load(writeConfig(t, example))
	require.NoError(t, err)
}

// The hosts served follow the listen address unless the file names them
// (issue 14, item 7: a DNS-rebinding page sends a Host of its own).
func TestAllowedHostsFollowListen(t *testing.T) {
	cleanEnv(t)
	cfg, err := Load("", Flag{Name: "--listen", Key: "listen", Value: "127.0.0.1:9000"})
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:9000", "localhost:9000", "[::1]:9000"}, cfg.Server.AllowedHosts)

	cfg, err = Load(writeConfig(t, `{"server": {"allowed_hosts": ["sandbox.example.org"]}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox.example.org"}, cfg.Server.AllowedHosts, "named hosts are kept as they are")
}

func TestCachesIn(t *testing.T) {
	cfg := Default()
	state := cfg.StateDir
	cfg.CachesIn("/tmp/x")
	assert.Equal(t, "/tmp/x/results", cfg.Cache.Results.Dir)
	assert.Equal(t, "/tmp/x/modules", cfg.Cache.Modules.Dir)
	assert.Equal(t, "/tmp/x/shares", cfg.Cache.Shares.Dir)
	assert.Equal(t, "/tmp/x/wazero", cfg.Runtime.CompilationCacheDir)
	assert.Equal(t, state, cfg.StateDir, "the toolchain stays where it is")
}
