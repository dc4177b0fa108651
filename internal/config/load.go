package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// setters set one key from a string, for the environment and flags.
var setters = map[string]func(c *App, v string) error{
	"listen":           func(c *App, v string) error { c.Listen = v; return nil },
	"state_dir":        func(c *App, v string) error { c.StateDir = v; return nil },
	"server.guide_dir": func(c *App, v string) error { c.Server.GuideDir = v; return nil },
	// A duration such as 5s, as it always was; kept in milliseconds.
	"runtime.timeout_ms": func(c *App, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d%time.Millisecond != 0 {
			return errors.New("want a duration in whole milliseconds, such as 5s or 1500ms")
		}
		c.Runtime.TimeoutMS = d.Milliseconds()
		return nil
	},
	"runtime.memory_limit_bytes": func(c *App, v string) (err error) {
		c.Runtime.MemoryLimitBytes, err = parseInt(v)
		return err
	},
	"workers.enabled": func(c *App, v string) (err error) {
		c.Workers.Enabled, err = strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		return nil
	},
	"front_door.uid": func(c *App, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("want a whole number (0: no split)")
		}
		c.FrontDoor.UID = n
		return nil
	},
	"cache.redis.url": func(c *App, v string) error { c.Cache.Redis.URL = v; return nil },
	"service.max_stub_bytes": func(c *App, v string) error {
		n, err := parseInt(v)
		c.Service.MaxStubBytes = int(n)
		return err
	},
}

func parseInt(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errors.New("want a whole number (of bytes)")
	}
	return n, nil
}

// envVars names the environment variables read, and the key each sets;
// lookup, when set, is the variable's one reader elsewhere. The state
// dir's is toolchain's (it is also the default of state_dir, which `setup`
// shares); applying it here too makes it, like every variable, win over
// the file.
var envVars = []struct {
	name, key string
	lookup    func() (string, bool)
}{
	{"ROCKET_SANDBOX_LISTEN", "listen", nil},
	{toolchain.StateDirEnv, "state_dir", toolchain.StateDirFromEnv},
	{"ROCKET_SANDBOX_RUN_TIMEOUT", "runtime.timeout_ms", nil},
	{"ROCKET_SANDBOX_RUN_MEMORY_BYTES", "runtime.memory_limit_bytes", nil},
	{"ROCKET_SANDBOX_MAX_STUB_BYTES", "service.max_stub_bytes", nil},
	{"ROCKET_SANDBOX_GUIDE_DIR", "server.guide_dir", nil},
	{"ROCKET_SANDBOX_WORKERS", "workers.enabled", nil},
	{"ROCKET_SANDBOX_FRONT_DOOR_UID", "front_door.uid", nil},
	{"ROCKET_SANDBOX_REDIS_URL", "cache.redis.url", nil},
}

// Flag is a command-line flag that was given, and the key it sets.
type Flag struct {
	Name  string // as typed, e.g. --listen
	Key   string // e.g. listen
	Value string
}

// Load reads the configuration: Default, then the JSON file at path (if
// not empty) decoded strictly, then the environment, then flags. The
// result is validated as a whole before it is returned; a refusal names
// the key, the allowed range and, when a variable or flag set it, which.
// Directories left empty are then placed under state_dir.
func Load(path string, flags ...Flag) (App, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := decodeStrict(b, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	from := map[string]string{} // key -> the variable or flag that set it
	for _, e := range envVars {
		lookup := e.lookup
		if lookup == nil {
			lookup = func() (string, bool) { return os.LookupEnv(e.name) }
		}
		if v, ok := lookup(); ok {
			if err := setters[e.key](&cfg, v); err != nil {
				return cfg, fmt.Errorf("config: %s=%q (%s): %w", e.name, v, e.key, err)
			}
			from[e.key] = e.name
		}
	}
	for _, f := range flags {
		set, ok := setters[f.Key]
		if !ok {
			return cfg, fmt.Errorf("config: flag %s sets unknown key %q", f.Name, f.Key)
		}
		if err := set(&cfg, f.Value); err != nil {
			return cfg, fmt.Errorf("config: %s %q (%s): %w", f.Name, f.Value, f.Key, err)
		}
		from[f.Key] = f.Name
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config: %w", blame(err, from))
	}
	cfg.resolve()
	return cfg, nil
}

// blame adds to each problem the variable or flag that set its key.
func blame(err error, from map[string]string) error {
	var e *check.Error
	if !errors.As(err, &e) {
		return err
	}
	out := &check.Error{}
	for _, p := range e.Problems {
		if src, ok := from[p.Key]; ok {
			p.Msg += " (set by " + src + ")"
		}
		out.Problems = append(out.Problems, p)
	}
	return out
}

// decodeStrict decodes the JSON object b onto cfg, refusing what a lenient
// decoder would drop: an unknown key (also one that matches a known key
// only without regard to case), a value of the wrong type, and anything
// after the object. Each refusal names its key path.
func decodeStrict(b []byte, cfg *App) error {
	var raw any
	if json.Unmarshal(b, &raw) == nil {
		if key := unknownKey(reflect.TypeOf(cfg).Elem(), raw, ""); key != "" {
			return fmt.Errorf("%s: unknown key", key)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: got a JSON %s, want %s", te.Field, te.Value, te.Type)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the configuration object")
	}
	return nil
}

// unknownKey returns the path of the first key (in sorted order) in v, a
// decoded JSON value, that names no field of t exactly, or "".
func unknownKey(t reflect.Type, v any, path string) string {
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return "" // a type error, the decoder's to report
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fieldByKey(t, k)
			if !ok {
				return check.Join(path, k)
			}
			if p := unknownKey(f.Type, obj[k], check.Join(path, k)); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		arr, _ := v.([]any)
		for i, e := range arr {
			if p := unknownKey(t.Elem(), e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// fieldByKey is the field of struct type t whose JSON key is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if k, ok := jsonKey(t.Field(i)); ok && k == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// jsonKey is the key encoding/json uses for f, if it uses one.
func jsonKey(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return "", false
	case "":
		return f.Name, true
	}
	return name, true
}
