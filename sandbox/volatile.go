package sandbox

import "encoding/json"

// WithoutVolatile decodes a response's JSON and drops what may differ
// between two computations of the same request (docs/api.md): timings,
// the compiler's own resource use, whether a compile came from the cache,
// and which cache tier answered. What is left is the same for the same
// request across restarts and engines — what the determinism tests
// compare.
func WithoutVolatile(raw []byte) (map[string]any, error) {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	delete(v, "cache")
	for _, section := range []string{"compile", "run"} {
		s, ok := v[section].(map[string]any)
		if !ok {
			continue
		}
		delete(s, "duration_ms")
		delete(s, "cached")
		if u, ok := s["usage"].(map[string]any); ok {
			delete(u, "wall_ms")
			delete(u, "cpu_ms")
			if section == "compile" {
				delete(u, "peak_memory_bytes")
			}
		}
	}
	return v, nil
}
