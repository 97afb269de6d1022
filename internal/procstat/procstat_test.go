package procstat

import (
	"os"
	"testing"
	"time"
)

func TestOwnProcess(t *testing.T) {
	// Burn some CPU so that at least a clock tick shows.
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	cpu, err := CPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("CPU(own pid) = %v, %v; want a positive time", cpu, err)
	}
	rss, err := PeakRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("PeakRSS(own pid) = %d, %v; want at least 1 MiB", rss, err)
	}
	if _, err := CPU(-1); err == nil {
		t.Error("CPU(-1): want an error")
	}
	if _, err := PeakRSS(-1); err == nil {
		t.Error("PeakRSS(-1): want an error")
	}
}
