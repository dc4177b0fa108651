package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// hostModules are the import modules a guest can link against, in the
// order a message names them.
var hostModules = []string{wasi_snapshot_preview1.ModuleName, VsockModule, RecordModule}

// unlinkable says why compiled cannot be instantiated on rt, or "" if
// every import it declares is provided. A stub decides its module's
// imports (`#[link(wasm_import_module = "env")] extern "C" { ... }`), so
// a module the sandbox cannot link is the program's outcome, reported in
// the stub's terms, not a failure of the service.
func unlinkable(rt wazero.Runtime, compiled wazero.CompiledModule) string {
	for _, imp := range compiled.ImportedFunctions() {
		module, name, _ := imp.Import()
		host := rt.Module(module)
		if host == nil || !slices.Contains(hostModules, module) {
			return fmt.Sprintf("the program cannot start: it imports the function %q from the module %q, which the sandbox does not provide (it provides only %s)",
				name, module, strings.Join(hostModules, ", "))
		}
		def, ok := host.ExportedFunctionDefinitions()[name]
		if !ok {
			return fmt.Sprintf("the program cannot start: it imports the function %q from the module %q, which has no such function", name, module)
		}
		if want, got := signature(def), signature(imp); want != got {
			return fmt.Sprintf("the program cannot start: it imports the function %q from the module %q as %s, but the sandbox's is %s", name, module, got, want)
		}
	}
	for _, mem := range compiled.ImportedMemories() {
		module, name, _ := mem.Import()
		return fmt.Sprintf("the program cannot start: it imports the memory %q from the module %q, and the sandbox provides no memory", name, module)
	}
	return ""
}

// signature renders a function type as "(i32, i32) -> i32".
func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = api.ValueTypeName(t)
		}
		return strings.Join(out, ", ")
	}
	return fmt.Sprintf("(%s) -> (%s)", names(def.ParamTypes()), names(def.ResultTypes()))
}
