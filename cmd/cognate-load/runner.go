package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// result is the outcome of one scenario.
type result struct {
	Scenario string         `json:"scenario"`
	Workers  int            `json:"workers"`
	Duration time.Duration  `json:"-"`
	Seconds  float64        `json:"durationSeconds"`
	Requests int            `json:"requests"`
	RPS      float64        `json:"rps"`
	P50      time.Duration  `json:"-"`
	P99      time.Duration  `json:"-"`
	P999     time.Duration  `json:"-"`
	P50ms    float64        `json:"p50Ms"`
	P99ms    float64        `json:"p99Ms"`
	P999ms   float64        `json:"p999Ms"`
	Errors   int            `json:"errors"`
	ByName   map[string]int `json:"errorsByName,omitempty"`
}

// workerStats is what one worker saw during the measured window. Each
// worker owns its own, so recording takes no lock.
type workerStats struct {
	lat  []time.Duration
	errs map[string]int
}

// measure runs workers goroutines, each calling its op in a loop, for
// warmup and then dur. A request counts when it started inside the measured
// window [warmup, warmup+dur); its latency is its whole round trip. Failed
// requests count too, both in requests and in latencies, and are tallied by
// errorName. Workers stop starting requests at the end of the window (or
// when ctx ends) and finish the one in flight.
func measure(ctx context.Context, name string, ops []op, warmup, dur time.Duration) result {
	stats := make([]workerStats, len(ops))
	start := time.Now()
	mStart := start.Add(warmup)
	mEnd := mStart.Add(dur)
	var wg sync.WaitGroup
	for w, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[w]
			st.lat = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(mEnd) {
					return
				}
				err := o(ctx)
				d := time.Since(t0)
				if t0.Before(mStart) {
					continue
				}
				st.lat = append(st.lat, d)
				if err != nil {
					if st.errs == nil {
						st.errs = map[string]int{}
					}
					st.errs[errorName(err)]++
				}
			}
		}()
	}
	wg.Wait()
	return summarize(name, len(ops), dur, stats)
}

// summarize merges the workers' latencies, sorts them and reads the
// percentiles exactly.
func summarize(name string, workers int, dur time.Duration, stats []workerStats) result {
	r := result{Scenario: name, Workers: workers, Duration: dur, Seconds: dur.Seconds()}
	n := 0
	for _, s := range stats {
		n += len(s.lat)
	}
	all := make([]time.Duration, 0, n)
	for _, s := range stats {
		all = append(all, s.lat...)
		for k, v := range s.errs {
			if r.ByName == nil {
				r.ByName = map[string]int{}
			}
			r.ByName[k] += v
			r.Errors += v
		}
	}
	slices.Sort(all)
	r.Requests = len(all)
	if dur > 0 {
		r.RPS = float64(len(all)) / dur.Seconds()
	}
	r.P50, r.P99, r.P999 = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 0.999)
	r.P50ms, r.P99ms, r.P999ms = ms(r.P50), ms(r.P99), ms(r.P999)
	return r
}

// percentile is the nearest-rank percentile of sorted: the smallest value
// with at least p of the samples at or below it; 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// fmtLatency prints a latency in milliseconds with three significant
// digits or so: 0.412ms, 4.50ms, 12.3ms, 1234ms.
func fmtLatency(d time.Duration) string {
	m := float64(d) / 1e6
	switch {
	case m < 1:
		return fmt.Sprintf("%.3fms", m)
	case m < 10:
		return fmt.Sprintf("%.2fms", m)
	case m < 100:
		return fmt.Sprintf("%.1fms", m)
	}
	return fmt.Sprintf("%.0fms", m)
}

// print writes r as one line, or as one JSON object per line with asJSON.
func (r result) print(w io.Writer, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	line := fmt.Sprintf("%-16s workers=%d  dur=%s  reqs=%d  rps=%.1f  p50=%s  p99=%s  p99.9=%s  errors=%d",
		r.Scenario, r.Workers, r.Duration, r.Requests, r.RPS, fmtLatency(r.P50), fmtLatency(r.P99), fmtLatency(r.P999), r.Errors)
	if len(r.ByName) > 0 {
		names := make([]string, 0, len(r.ByName))
		for k := range r.ByName {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = fmt.Sprintf("%s=%d", k, r.ByName[k])
		}
		line += "  (" + strings.Join(parts, " ") + ")"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
