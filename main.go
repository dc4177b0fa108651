// Command rocket-sandbox compiles untrusted Rocket programs to
// wasm32-wasip1 inside a jail and runs them in wazero, behind a JSON API.
//
//	rocket-sandbox setup [--reference]        prepare the toolchain (idempotent)
//	rocket-sandbox doctor                     check the host's preconditions
//	rocket-sandbox serve [--listen ADDR]      start the HTTP service
//	rocket-sandbox run FILE --harness ID [--arg k=v ...]
//	                                          compile and run one file, print JSON
//	rocket-sandbox parity [--guide DIR]       guide blocks: sandbox vs native outcome
//	rocket-sandbox examples [--dir DIR]       Rocket's example apps: sandbox vs native cargo test
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rocket-sandbox/rocket-sandbox/frontdoor"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

func main() {
	// The compile jail re-executes this binary as its init; in that role
	// it never returns from here.
	jail.MaybeInit()
	// serve re-executes it as the front door (front_door.uid); in that
	// role too it never returns from here.
	frontdoor.MaybeMain()
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch os.Args[1] {
	case "setup":
		err = cmdSetup(ctx, os.Args[2:])
	case "serve":
		err = cmdServe(ctx, os.Args[2:])
	case "run":
		err = cmdRun(ctx, os.Args[2:])
	case "doctor":
		err = cmdDoctor(ctx, os.Args[2:])
	case "parity":
		err = cmdParity(ctx, os.Args[2:])
	case "examples":
		err = cmdExamples(ctx, os.Args[2:])
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rocket-sandbox:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  rocket-sandbox setup [--source DIR] [--state DIR] [--reference]
  rocket-sandbox doctor [--config FILE]
  rocket-sandbox serve [--listen 127.0.0.1:8080] [--config FILE]
  rocket-sandbox run FILE --harness ID [--arg key=value ...] [--seed N]
  rocket-sandbox parity [--guide DIR] [--out FILE] [--every N]
  rocket-sandbox examples [--dir DIR] [--only a,b] [--native=false] [--url URL] [--out FILE]
`)
}
