package metrics

import "github.com/prometheus/client_golang/prometheus"

// The events of the tier replicas share, by the event label of
// rocket_sandbox_shared_tier_events_total.
const (
	// SharedRejected: a value in Redis refused (checksum, size, type):
	// corruption, or something else writing there.
	SharedRejected = "rejected"
	// SharedError: a call Redis did not answer in time.
	SharedError = "error"
	// SharedLead: a lease taken, this replica computed.
	SharedLead = "lead"
	// SharedWait: a wait on another replica's lease.
	SharedWait = "wait"
	// SharedTakeover: a wait that ended with the lease gone and no value
	// (its owner died, or had nothing to share).
	SharedTakeover = "takeover"
)

var sharedEventsDesc = prometheus.NewDesc(namespace+"_shared_tier_events_total",
	"Events of the tier replicas share (Redis), by event: rejected values, unanswered calls, leases led, waits on another replica's lease, takeovers of a lease whose owner died or had nothing to share.",
	[]string{"event"}, nil)

// SharedEvents exposes the shared tier's own counts, read from read at
// each scrape (the tier counts them: rediscache.Client.Stats).
func (m *Metrics) SharedEvents(read func() map[string]uint64) {
	m.reg.MustRegister(&sharedEvents{read: read})
}

type sharedEvents struct{ read func() map[string]uint64 }

func (c *sharedEvents) Describe(ch chan<- *prometheus.Desc) { ch <- sharedEventsDesc }

func (c *sharedEvents) Collect(ch chan<- prometheus.Metric) {
	for event, n := range c.read() {
		ch <- prometheus.MustNewConstMetric(sharedEventsDesc, prometheus.CounterValue, float64(n), event)
	}
}
