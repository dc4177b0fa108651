// Package doctor owns the service's preconditions on its host: root (or
// the capabilities the compile jail uses), new namespaces, a cgroup
// hierarchy with the controllers the jail limits with, seccomp filters,
// the Debian packages and host files of the prepared toolchain, a writable
// state dir and free disk. `rocket-sandbox doctor` prints every check;
// `serve` runs the same checks at start and refuses to start, with the
// same message, instead of failing on its first request.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Check is one precondition. Run returns nil when it holds; otherwise Fix
// says what to do about it.
type Check struct {
	Name string
	Fix  string
	Run  func(ctx context.Context) error
}

// Failure is a check that did not hold.
type Failure struct {
	Check string
	Err   error
	Fix   string
}

// Run runs every check (a failed one does not stop the others) and returns
// the failures, in order.
func Run(ctx context.Context, checks []Check) []Failure {
	var out []Failure
	for _, c := range checks {
		if err := c.Run(ctx); err != nil {
			out = append(out, Failure{Check: c.Name, Err: err, Fix: c.Fix})
		}
	}
	return out
}

// Report writes one line per check (ok or FAILED, with the reason and the
// fix) and returns an error naming the failed checks, if any.
func Report(ctx context.Context, w io.Writer, checks []Check) error {
	failures := Run(ctx, checks)
	failed := map[string]Failure{}
	for _, f := range failures {
		failed[f.Check] = f
	}
	for _, c := range checks {
		if f, ok := failed[c.Name]; ok {
			fmt.Fprintf(w, "FAILED  %s: %v\n        fix: %s\n", c.Name, f.Err, f.Fix)
		} else {
			fmt.Fprintf(w, "ok      %s\n", c.Name)
		}
	}
	return Error(failures)
}

// Error folds failures into one error whose message lists each with its
// fix; nil when there are none.
func Error(failures []Failure) error {
	if len(failures) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d precondition(s) failed (run `rocket-sandbox doctor` for the full list):", len(failures))
	for _, f := range failures {
		fmt.Fprintf(&b, "\n  - %s: %v\n    fix: %s", f.Check, f.Err, f.Fix)
	}
	return errors.New(b.String())
}
