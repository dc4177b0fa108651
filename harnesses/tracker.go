package harnesses

// HTTPResponseTracker makes the serve harness's response tracker (what its
// plans' Input.TrackResponse makes), for a process that runs the module on
// its own side: a run worker (package worker) cannot be sent code, so its
// protocol says only whether a run's connections are tracked, and the
// worker makes this tracker itself. It is the only kind of tracker a
// harness uses.
func HTTPResponseTracker() ResponseTracker { return newResponseFramer() }
