package bench

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Sample is a set of timings of one case.
type Sample struct {
	Name      string
	Durations []time.Duration
}

// Quantile returns the q-quantile (nearest rank) of the sample.
func (s Sample) Quantile(q float64) time.Duration {
	if len(s.Durations) == 0 {
		return 0
	}
	d := append([]time.Duration(nil), s.Durations...)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(q*float64(len(d))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(d) {
		i = len(d) - 1
	}
	return d[i]
}

// Mean is the average duration.
func (s Sample) Mean() time.Duration {
	if len(s.Durations) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range s.Durations {
		sum += d
	}
	return sum / time.Duration(len(s.Durations))
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// Time runs f n times and records each duration.
func Time(name string, n int, f func() error) (Sample, error) {
	s := Sample{Name: name}
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := f(); err != nil {
			return s, fmt.Errorf("%s run %d: %w", name, i, err)
		}
		s.Durations = append(s.Durations, time.Since(start))
	}
	return s, nil
}

// WritePair writes one table row comparing a case with its baseline.
func WritePair(w io.Writer, label string, base, with Sample) {
	bp50, bp95 := base.Quantile(0.5), base.Quantile(0.95)
	wp50, wp95 := with.Quantile(0.5), with.Quantile(0.95)
	fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %.2f× |\n", label, len(with.Durations),
		Ms(bp50), Ms(bp95), Ms(wp50), Ms(wp95), Ms(wp50-bp50), float64(wp50)/float64(bp50))
}

// PairHeader is the header of WritePair's table.
const PairHeader = "| case | runs | outside p50 ms | outside p95 ms | jail p50 ms | jail p95 ms | overhead p50 ms | ratio p50 |\n|---|---|---|---|---|---|---|---|\n"
