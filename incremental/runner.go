package incremental

import (
	"context"
	"log/slog"
	"maps"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// jobRunner runs one command with limits: the jail.
type jobRunner interface {
	Run(ctx context.Context, cmd jail.Command) (jail.Result, error)
}

// Runner gives a compile that names an incremental directory
// (jail.Command.Incremental) its client's directory, and keeps what the
// compile leaves there; every other command goes to Next as it is.
type Runner struct {
	Next  jobRunner
	Store *Store // nil: every compile starts cold
}

// Run runs cmd in Next with its directory: a copy written into the work
// directory at WorkDir before the start, read back after the exit. A
// clean exit (0) stores it; an ordinary failure (1: the source's errors)
// leaves the stored copy as it was; a limit drops it (limits are not
// memoized: they depend on the moment); anything else from a warm
// directory — an internal compiler error (101, which damaged incremental
// data can cause), a signal — drops it and runs the compile again from a
// cold one, so damaged data never decides an outcome. The directory's
// files are not part of the result.
func (r *Runner) Run(ctx context.Context, cmd jail.Command) (jail.Result, error) {
	id := cmd.Incremental
	cmd.Incremental = ""
	if id == "" || r.Store == nil || !ValidID(id) {
		return r.Next.Run(ctx, cmd)
	}
	tree, warm := r.Store.Load(id)
	res, err := r.run(ctx, cmd, tree)
	if err != nil {
		return res, err
	}
	if res.Limit != outcome.LimitNone {
		r.Store.Drop(id)
		take(res.Files)
		return res, nil
	}
	if warm && !clean(res) && !sourceFailure(res) {
		slog.Info("incremental: a compile from a warm directory failed unlike a compile error; dropped, compiling cold",
			"exit_code", res.ExitCode, "signaled", res.Signaled, "limit", res.Limit)
		r.Store.Drop(id)
		if res, err = r.run(ctx, cmd, nil); err != nil {
			return res, err
		}
	}
	left := take(res.Files)
	prune(left)
	if clean(res) {
		if err := r.Store.Save(id, left); err != nil {
			slog.Info("incremental: directory not kept", "error", err)
		}
	}
	return res, nil
}

// run runs cmd with tree written at WorkDir and collects WorkDir back.
func (r *Runner) run(ctx context.Context, cmd jail.Command, tree map[string][]byte) (jail.Result, error) {
	if len(tree) > 0 {
		files := make(map[string][]byte, len(cmd.Files)+len(tree))
		maps.Copy(files, tree)
		maps.Copy(files, cmd.Files) // the command's own files win (none is under WorkDir)
		cmd.Files = files
	}
	cmd.CollectTrees = append(cmd.CollectTrees[:len(cmd.CollectTrees):len(cmd.CollectTrees)], WorkDir)
	return r.Next.Run(ctx, cmd)
}

// take removes the directory's files from files and returns them.
func take(files map[string][]byte) map[string][]byte {
	tree := map[string][]byte{}
	for p, data := range files {
		if strings.HasPrefix(p, WorkDir+"/") {
			tree[p] = data
			delete(files, p)
		}
	}
	return tree
}

func clean(res jail.Result) bool {
	return res.ExitCode == 0 && !res.Signaled && res.Limit == outcome.LimitNone
}

// sourceFailure is how rustc ends on the source's own errors.
func sourceFailure(res jail.Result) bool {
	return res.ExitCode == 1 && !res.Signaled && res.Limit == outcome.LimitNone
}
