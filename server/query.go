package server

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// queryPair is one decoded query parameter, in the order sent.
type queryPair struct {
	Key, Value string
}

// maxQueryIndex bounds name[i][field] indices; gaps are refused anyway, so
// this only keeps the number parse trivially safe.
const maxQueryIndex = 999_999

// argsFromQuery turns the run route's query parameters into the args object
// and the seed. The rules:
//
//   - seed=N is taken out as the seed: a decimal uint64, at most once.
//   - key=value becomes "key": "value"; a repeated key becomes an array of
//     its values in order (method=GET&method=POST → ["GET","POST"]). Which
//     keys the harness expects repeated is the harness's business.
//   - name[i][field]=value becomes "name": [{"field": "value"}, ...], the
//     i-th object at index i. Indices may come in any order but must run
//     0, 1, 2… without gaps. A repeated name[i][field] becomes an array.
//   - Every value is a string; the harness validates and converts.
//
// Other bracket syntax, a name given both plainly and indexed, and invalid
// UTF-8 are refused. The result is deterministic: object keys are sorted.
func argsFromQuery(pairs []queryPair) (json.RawMessage, *uint64, error) {
	plain := make(map[string][]string)
	indexed := make(map[string]map[int]map[string][]string)
	var seed *uint64
	for _, p := range pairs {
		if !utf8.ValidString(p.Key) || !utf8.ValidString(p.Value) {
			return nil, nil, sandbox.Invalid("query", "query parameter %q is not valid UTF-8", strings.ToValidUTF8(p.Key, "\uFFFD"))
		}
		name, index, field, err := parseQueryKey(p.Key)
		if err != nil {
			return nil, nil, err
		}
		if name == "seed" {
			if field != "" {
				return nil, nil, sandbox.Invalid("seed", "seed must be a plain query parameter: seed=N")
			}
			if seed != nil {
				return nil, nil, sandbox.Invalid("seed", "seed is given more than once")
			}
			v, err := strconv.ParseUint(p.Value, 10, 64)
			if err != nil {
				return nil, nil, sandbox.Invalid("seed", "seed must be an integer from 0 to 18446744073709551615, not %q", p.Value)
			}
			seed = &v
			continue
		}
		if field == "" {
			plain[name] = append(plain[name], p.Value)
			continue
		}
		elems := indexed[name]
		if elems == nil {
			elems = make(map[int]map[string][]string)
			indexed[name] = elems
		}
		if elems[index] == nil {
			elems[index] = make(map[string][]string)
		}
		elems[index][field] = append(elems[index][field], p.Value)
	}

	args := make(map[string]any, len(plain)+len(indexed))
	// Sorted, so that with several faults the one reported is always the same.
	for _, name := range slices.Sorted(maps.Keys(plain)) {
		if _, clash := indexed[name]; clash {
			return nil, nil, sandbox.Invalid(name, "query parameter %s is given both as %s=… and as %s[i][field]=…", name, name, name)
		}
		args[name] = oneOrMany(plain[name])
	}
	for _, name := range slices.Sorted(maps.Keys(indexed)) {
		elems := indexed[name]
		list := make([]map[string]any, len(elems))
		for i := range list {
			fields, ok := elems[i]
			if !ok {
				return nil, nil, sandbox.Invalid(name, "%s[%d] is missing; indices must run from 0 without gaps", name, i)
			}
			obj := make(map[string]any, len(fields))
			for f, vs := range fields {
				obj[f] = oneOrMany(vs)
			}
			list[i] = obj
		}
		args[name] = list
	}
	raw, err := sandbox.EncodeJSON(args)
	if err != nil {
		return nil, nil, err
	}
	return bytes.TrimSuffix(raw, []byte("\n")), seed, nil
}

// parseQueryKey splits key into name, and for name[i][field] the index and
// field; field is empty for a plain key.
func parseQueryKey(key string) (name string, index int, field string, err error) {
	if key == "" {
		return "", 0, "", sandbox.Invalid("query", "a query parameter has an empty name")
	}
	open := strings.IndexAny(key, "[]")
	if open < 0 {
		return key, 0, "", nil
	}
	bad := sandbox.Invalid(key, "query parameter %q: use name=value or name[index][field]=value", key)
	name, rest := key[:open], key[open:]
	idx, rest, ok := bracketed(rest)
	if !ok || name == "" {
		return "", 0, "", bad
	}
	field, rest, ok = bracketed(rest)
	if !ok || rest != "" || field == "" {
		return "", 0, "", bad
	}
	if idx == "" || strings.Trim(idx, "0123456789") != "" || len(idx) > len(strconv.Itoa(maxQueryIndex)) {
		return "", 0, "", bad
	}
	index, err = strconv.Atoi(idx)
	if err != nil || index > maxQueryIndex {
		return "", 0, "", bad
	}
	return name, index, field, nil
}

// bracketed takes "[x]rest" apart into x and rest; x may not hold brackets.
func bracketed(s string) (inner, rest string, ok bool) {
	if !strings.HasPrefix(s, "[") {
		return "", "", false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 || strings.ContainsRune(s[1:end], '[') {
		return "", "", false
	}
	return s[1:end], s[end+1:], true
}

func oneOrMany(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}
