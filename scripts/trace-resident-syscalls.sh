#!/bin/sh
# Derives the run workers' seccomp allowlist (jail/seccomp/resident.go):
# runs the worker tests under strace -f (as root, like the jail) and
# counts, for each worker process, the system calls its threads made
# after the worker loaded its filter (the seccomp call with
# SECCOMP_FILTER_FLAG_TSYNC). Calls the filter refused show up with
# their EPERM count. Usage: scripts/trace-resident-syscalls.sh [-run REGEXP]
set -eu
run=${2:-'TestRunsAreTheSameAsInProcess|TestACanceledRunKeepsItsWorker|TestModulesAreSentOncePerWorker'}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/worker.test" ./worker
(cd worker && strace -f -tt -o "$dir/trace.txt" "$dir/worker.test" -test.run "$run" -test.count=1 >/dev/null)
python3 - "$dir/trace.txt" <<'PY'
import collections, re, sys
group, past, calls, denied, pending = {}, set(), collections.Counter(), collections.Counter(), {}
line = re.compile(r'^(\d+)\s+[\d:.]+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$')
for ln in open(sys.argv[1]):
    m = line.match(ln.rstrip('\n'))
    if not m:
        continue
    tid, resumed, rest = int(m.group(1)), m.group(2), m.group(4)
    name = resumed or m.group(3)
    if rest.endswith('<unfinished ...>'):
        pending[tid] = rest
        if group.get(tid) in past:
            calls[name] += 1
        continue
    full = pending.pop(tid, '') + rest if resumed else rest
    if name == 'clone' and '= ' in full:
        ret = full.rsplit('= ', 1)[1].split()[0]
        if ret.isdigit():
            if 'CLONE_NEWPID' in full:      # a jail init: a new worker
                group[int(ret)] = int(ret)
            elif tid in group and 'CLONE_THREAD' in full:
                group[int(ret)] = group[tid]
    g = group.get(tid)
    if g is None:
        continue
    if name == 'seccomp' and 'FLAG_TSYNC,' in full and '= 0' in full:
        past.add(g)
        continue
    if g in past and not resumed:
        calls[name] += 1
        if 'EPERM' in full:
            denied[name] += 1
print('workers traced past their filter:', len(past))
for name, n in sorted(calls.items()):
    print(f'{name:20} {n:6}' + (f'  EPERM {denied[name]}' if denied[name] else ''))
PY
