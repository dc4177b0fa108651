package config

import (
	"encoding/json"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// ResultSections encodes the part of the configuration that can change a
// result, for the cache fingerprint: whole sections, so that a field
// added to one of them is in the fingerprint without anyone remembering
// to add it.
//
// Left out are the sections that cannot change what a request returns:
// listen; state_dir (the prepared toolchain has its own digest); server
// (timeouts and sizes at the door); the service's stub cap and admission
// (they decide whether a request runs, not what it returns); cache. And
// blanked below are the fields of result sections that only place or
// size things. Blanking a field that does matter would serve stale
// results; forgetting to blank one that does not only costs cache hits.
func (c App) ResultSections() ([]byte, error) {
	rt := c.Runtime
	rt.CompilationCacheDir = ""  // where compiled code is kept
	rt.CompilationCacheBytes = 0 // how much of it
	rt.MaxCompiledModules = 0    // how many modules stay compiled
	rt.CompiledModulesBytes = 0  // and how many bytes of them
	rt.MaxBackgroundCompiles = 0 // when a module's compiled code is ready
	p := c.Jail
	p.StateDir, p.CgroupParent = "", "" // where the jobs' mounts and cgroups live
	return json.Marshal(struct {
		Runtime       wasmrt.Config   `json:"runtime"`
		CompileLimits jail.Limits     `json:"compile_limits"`
		Compiler      compiler.Config `json:"compiler"`
		Jail          jail.Policy     `json:"jail"`
	}{rt, c.Service.CompileLimits, c.Compiler, p})
}
