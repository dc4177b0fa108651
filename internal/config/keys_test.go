package config

import (
	"reflect"
	"strings"
)

// leaves lists the key path of every leaf of struct type t: a field that
// is not itself a struct.
func leaves(t reflect.Type, path string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, ok := jsonKey(f)
		if !ok {
			continue
		}
		p := path + key
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leaves(f.Type, p+".")...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// fieldAt is the settable field of *cfg at key path.
func fieldAt(cfg *App, path string) reflect.Value {
	v := reflect.ValueOf(cfg).Elem()
	for _, key := range strings.Split(path, ".") {
		f, ok := fieldByKey(v.Type(), key)
		if !ok {
			panic("no key " + path)
		}
		v = v.FieldByIndex(f.Index)
	}
	return v
}
