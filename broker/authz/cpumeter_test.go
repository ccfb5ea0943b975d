package authz_test

import (
	"testing"
	"time"
)

// cpuMeter reports a benchmark's process CPU time per iteration (user and
// system, every thread, the garbage collector included) as cpu-ns/op. On a
// shared machine it moves far less than ns/op, which also counts the time
// other processes hold the cores.
type cpuMeter struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuMeter { return cpuMeter{b: b, start: processCPU()} }

func (m cpuMeter) report() {
	if m.b.N > 0 {
		m.b.ReportMetric(float64(processCPU()-m.start)/float64(m.b.N), "cpu-ns/op")
	}
}
