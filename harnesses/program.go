package harnesses

import (
	"encoding/json"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
)

// programArgs are the program harness's arguments.
type programArgs struct {
	Stdin   *string `json:"stdin"`
	Edition *string `json:"edition"`
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
    "edition": {"type": "string", "enum": [` + edition.Quoted() + `], "description": "Rust edition (default ` + edition.Default + `)"}
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
	if args.Stdin != nil {
		p.Input.Stdin = []byte(*args.Stdin)
	}
	if args.Edition != nil {
		if err := checkEdition(*args.Edition); err != nil {
			return Plan{}, err
		}
		p.Edition = *args.Edition
	}
	return p, nil
}

// checkEdition checks an `edition` argument.
func checkEdition(e string) error {
	if !edition.Valid(e) {
		return &ArgError{Field: "edition", Message: "must be one of " + edition.Quoted()}
	}
	return nil
}
