// Package metrics is the service's Prometheus metrics, on a registry of
// its own (never the global one): HTTP requests by route and code, the
// compile and run durations, queue wait, jobs in flight by phase,
// results by status and harness, cache lookups and bytes by tier, jail
// set-up failures, and wazero's compile time. It hooks into the service
// from outside: decorators of the seams the service already has
// (sandbox.Compiler, sandbox.Engine, sandbox.Store, compiler.Runner),
// the observers sandbox and runtime define, and the server's
// per-request hook. Every label takes a value from a small fixed set:
// a route's pattern, a status, a harness id the service accepted, a
// tier; never anything a request says.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric.
const namespace = "rocket_sandbox"

// jobBuckets span what a compile or a run takes, 5 ms to 2 min: a
// memoized module's run is a few ms, a cold Rocket compile 5–10 s on
// one core, the request deadline 90 s.
var jobBuckets = prometheus.ExponentialBucketsRange(0.005, 120, 16)

// requestBuckets start lower: a memo hit is answered in well under a
// millisecond.
var requestBuckets = prometheus.ExponentialBucketsRange(0.0002, 120, 18)

// Metrics holds the collectors and their registry.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	compileDuration *prometheus.HistogramVec
	runDuration     *prometheus.HistogramVec
	queueWait       prometheus.Histogram
	inFlight        *prometheus.GaugeVec
	results         *prometheus.CounterVec
	lookups         *prometheus.CounterVec
	jailFailures    prometheus.Counter
	wasmCompile     *prometheus.HistogramVec
	bytes           *bytesCollector
}

// New returns the metrics on a fresh registry, with the Go runtime's and
// the process's collectors beside them.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), bytes: &bytesCollector{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status code."}, []string{"route", "method", "code"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
		Help: "Time from a request's arrival to its answer, by route pattern and method.", Buckets: requestBuckets}, []string{"route", "method"})
	m.compileDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "compile_duration_seconds",
		Help: "Wall time of rustc compiles that ran (not cache hits), by whether a module came out.", Buckets: jobBuckets}, []string{"success"})
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "run_duration_seconds",
		Help: "Wall time of module runs in wazero, by the limit that ended them (none if none).", Buckets: jobBuckets}, []string{"limit"})
	m.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "queue_wait_seconds",
		Help: "Time a job waited for a compile-and-run slot (0 when one was free).", Buckets: append([]float64{0.0001}, jobBuckets...)})
	m.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "jobs_in_flight",
		Help: "Jobs now in each phase: queued (waiting for a slot), compiling, running."}, []string{"phase"})
	m.results = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "results_total",
		Help: "Results answered (memo hits included), by result status and harness."}, []string{"status", "harness"})
	m.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "cache_lookups_total",
		Help: "Cache lookups by cache (result: the memo; module: compiled modules), outcome and the tier that answered (none on a miss)."},
		[]string{"cache", "outcome", "tier"})
	m.jailFailures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "jail_setup_failures_total",
		Help: "Compiles that failed before rustc ran: the jail could not be set up (namespaces, mounts, cgroup, seccomp)."})
	m.wasmCompile = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "wasm_compile_duration_seconds",
		Help: "Time wazero took to compile a module, by engine (compiler: optimizing; interpreter).", Buckets: jobBuckets}, []string{"engine"})
	for _, phase := range []string{PhaseQueued, PhaseCompiling, PhaseRunning} {
		m.inFlight.WithLabelValues(phase)
	}
	m.jailFailures.Add(0)
	m.reg.MustRegister(m.requests, m.requestDuration, m.compileDuration, m.runDuration, m.queueWait,
		m.inFlight, m.results, m.lookups, m.jailFailures, m.wasmCompile, m.bytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// The phases of a job in jobs_in_flight.
const (
	PhaseQueued    = "queued"
	PhaseCompiling = "compiling"
	PhaseRunning   = "running"
)

// Handler is the exposition of the registry, for GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one answered HTTP request: route is the pattern that
// matched (or "unmatched"), never the path sent.
func (m *Metrics) Request(route, method string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.requestDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Result records one result answered: status is a result status and
// harness an id the service accepted (it validated both).
func (m *Metrics) Result(status, harness string) {
	m.results.WithLabelValues(status, harness).Inc()
}

// Waiting implements sandbox.QueueObserver: a job starts (+1) or stops (-1)
// waiting for a slot.
func (m *Metrics) Waiting(delta int) { m.inFlight.WithLabelValues(PhaseQueued).Add(float64(delta)) }

// Admitted implements sandbox.QueueObserver: a job got its slot after wait.
func (m *Metrics) Admitted(wait time.Duration) { m.queueWait.Observe(wait.Seconds()) }

// ModuleCompiled implements runtime's compile observer.
func (m *Metrics) ModuleCompiled(engine string, d time.Duration) {
	m.wasmCompile.WithLabelValues(engine).Observe(d.Seconds())
}
