//go:build e2e

package e2e

import (
	"context"
	"testing"
)

// beginScenario starts a scenario from a freshly started Crossplane, as on a new install: the scenarios share one
// control plane, and Crossplane's per-XR watch circuit breakers (burst 100 events, refill 1/s) would otherwise
// carry the previous scenarios' claim churn into this one. The returned function says in the test log whether
// the breaker held back any of the directory's reconciles during the scenario, and fails the test if it did.
func beginScenario(ctx context.Context, t *testing.T, directory string) (end func()) {
	t.Helper()
	if err := cp.RestartCrossplane(ctx); err != nil {
		failWithLogs(t, "%v", err)
	}
	before, err := cp.CircuitBreakerOpenings(directory)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		after, err := cp.CircuitBreakerOpenings(directory)
		if err != nil {
			t.Fatal(err)
		}
		if held := after - before; held > 0 {
			t.Errorf("circuit breaker: tripped for directory %s during this scenario (%d events held back)", directory, held)
			return
		}
		t.Logf("circuit breaker: did not trip for directory %s during this scenario", directory)
	}
}
