package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// argList collects repeated --arg key=value flags.
type argList map[string]any

func (a argList) String() string { return fmt.Sprint(map[string]any(a)) }
func (a argList) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("--arg wants key=value, got %q", kv)
	}
	// A value that parses as JSON (number, object, array, bool) is taken
	// as such, so structured args can be given; anything else is a string.
	var parsed any
	if json.Unmarshal([]byte(v), &parsed) == nil {
		if _, isStr := parsed.(string); !isStr {
			a[k] = parsed
			return nil
		}
	}
	a[k] = v
	return nil
}

// cmdRun compiles and runs one file and prints the same JSON the API
// returns: the response, or the error body of a refused request. The exit
// status is 0 unless the machinery itself failed.
func cmdRun(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	harness := fs.String("harness", "program", "harness id")
	configPath := fs.String("config", "", "JSON config file")
	seed := fs.String("seed", "", "random seed (uint64; default derived from the request)")
	args := argList{}
	fs.Var(args, "arg", "harness argument key=value (repeatable)")
	// Allow the file before or after the flags.
	var file string
	if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
		file, argv = argv[0], argv[1:]
	}
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" {
		return errors.New("run: which FILE?")
	}
	stub, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	req := sandbox.Request{Harness: *harness, Stub: string(stub)}
	if len(args) > 0 {
		if req.Args, err = json.Marshal(map[string]any(args)); err != nil {
			return err
		}
	}
	if *seed != "" {
		n, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return fmt.Errorf("--seed: %w", err)
		}
		req.Seed = &n
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	var answer any
	answer, err = a.Service().Execute(ctx, req)
	if e, ok := sandbox.AsError(err); ok && e.Code != sandbox.CodeInternal {
		_, answer = server.ProblemOf(err)
	} else if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(answer)
}
