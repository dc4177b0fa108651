package harnesses

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
)

// programArgs are the program harness's arguments.
type programArgs struct {
	Stdin   *string           `json:"stdin"`
	Edition *string           `json:"edition"`
	Env     map[string]string `json:"env"`
}

// Program is the harness whose stub is a complete Rocket program with its
// own main: it is compiled as it is and run once.
func Program() *Harness {
	return &Harness{
		ID:          "program",
		Description: "A complete Rust program with its own `fn main`, compiled against Rocket 0.5.1 and run once. Its stdout and stderr are returned.",
		ArgsSchema: json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "stdin": {"type": "string", "description": "bytes the program reads on standard input (default empty)"},
    ` + editionAndEnvSchema + `
  }
}`),
		Example: json.RawMessage(`{
  "harness": "program",
  "stub": "fn main() {\n    println!(\"Hello, world!\");\n}\n",
  "args": {}
}`),
		Plan: planProgram,
	}
}

func planProgram(stub string, raw json.RawMessage) (Plan, error) {
	var args programArgs
	if err := decodeArgs(raw, &args); err != nil {
		return Plan{}, err
	}
	p := Plan{Source: []byte(stub)}
	if err := p.setEditionAndEnv(args.Edition, args.Env); err != nil {
		return Plan{}, err
	}
	if args.Stdin != nil {
		p.Input.Stdin = []byte(*args.Stdin)
	}
	return p, nil
}

// editionAndEnvSchema is the schema of the edition and env arguments
// (program, test), for the schemas written as text.
var editionAndEnvSchema = `"edition": {"type": "string", "enum": [` + edition.Quoted() + `], "description": "Rust edition (default ` + edition.Default + `)"},
    "env": ` + envSchema

// setEditionAndEnv checks the edition and env arguments and puts them in
// the plan (the env as the run's environment).
func (p *Plan) setEditionAndEnv(ed *string, env map[string]string) error {
	var err error
	if p.Input.Env, err = envArg(env); err != nil {
		return err
	}
	if ed != nil {
		if err := checkEdition(*ed); err != nil {
			return err
		}
		p.Edition = *ed
	}
	return nil
}

// envSchema is envProperty's schema as JSON, for the schemas written
// as text.
var envSchema = func() string {
	b, err := json.Marshal(envProperty.schema)
	if err != nil {
		panic(err) // a static value
	}
	return string(b)
}()

// maxEnv bounds the env argument's variables.
const maxEnv = 64

// envName is what a variable's name may be.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// envArg checks an env argument and returns it as "KEY=value" in name
// order.
func envArg(env map[string]string) ([]string, error) {
	if len(env) > maxEnv {
		return nil, &ArgError{Field: "env", Message: fmt.Sprintf("at most %d variables", maxEnv)}
	}
	names := make([]string, 0, len(env))
	for k, v := range env {
		if !envName.MatchString(k) {
			return nil, &ArgError{Field: "env." + k, Message: "a name is letters, digits and _, not starting with a digit"}
		}
		if strings.ContainsRune(v, 0) || len(v) > 4096 {
			return nil, &ArgError{Field: "env." + k, Message: "a value is at most 4096 bytes, without NUL"}
		}
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = k + "=" + env[k]
	}
	return out, nil
}

// checkEdition checks an `edition` argument.
func checkEdition(e string) error {
	if !edition.Valid(e) {
		return &ArgError{Field: "edition", Message: "must be one of " + edition.Quoted()}
	}
	return nil
}
