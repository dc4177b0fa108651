package compiler

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaultsAndValidation(t *testing.T) {
	d := DefaultConfig()
	require.NoError(t, d.Validate())
	require.Equal(t, d, Config{}.withDefaults(), "zero fields take the defaults")
	require.Equal(t, "0", d.OptLevel)
	require.Equal(t, 16, d.CodegenUnits)
	require.Equal(t, 100, d.MaxDiagnostics)
	require.Equal(t, int64(16<<20), d.MaxModuleBytes)

	for _, tc := range []struct {
		key string
		mut func(*Config)
	}{
		{"opt_level", func(c *Config) { c.OptLevel = "4" }},
		{"opt_level", func(c *Config) { c.OptLevel = "" }},
		{"codegen_units", func(c *Config) { c.CodegenUnits = 0 }},
		{"codegen_units", func(c *Config) { c.CodegenUnits = 257 }},
		{"linker_opt_level", func(c *Config) { c.LinkerOptLevel = "3" }},
		{"max_diagnostics", func(c *Config) { c.MaxDiagnostics = -1 }},
		{"max_diagnostics", func(c *Config) { c.MaxDiagnostics = 10_001 }},
		{"max_module_bytes", func(c *Config) { c.MaxModuleBytes = 1000 }},
		{"max_module_bytes", func(c *Config) { c.MaxModuleBytes = 2 << 30 }},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		require.ErrorContains(t, c.Validate(), tc.key+": ", "%+v", c)
	}
}
