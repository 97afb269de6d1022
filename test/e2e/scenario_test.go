//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
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

// beginTestnetScenario begins a scenario on the Testnet directory (beginScenario) and makes sure the directory
// exists (ensureTestnet). The caller defers end; when the directory cannot be applied the test ends first, with no
// breaker report for a scenario that never ran.
func beginTestnetScenario(ctx context.Context, t *testing.T) (end func()) {
	t.Helper()
	end = beginScenario(ctx, t, "testnet")
	ensureTestnet(ctx, t)
	return end
}

// setUpDirectory applies the namespaces and a StellarPeerDirectory named name with spec, and deletes the directory
// when the test ends.
func setUpDirectory(ctx context.Context, t *testing.T, name string, spec map[string]any, namespaces ...string) {
	t.Helper()
	objs := make([]*unstructured.Unstructured, 0, len(namespaces)+1)
	for _, ns := range namespaces {
		objs = append(objs, harness.Namespace(ns))
	}
	objs = append(objs, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": map[string]any{"name": name},
		"spec":     spec,
	}})
	if err := cp.Apply(ctx, objs...); err != nil {
		failWithLogs(t, "%v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = cp.Delete(ctx, directoryGVK, "", name)
	})
}

// startValidators starts a simulated core for each name in namespace and returns them with their Validator
// claims on network, not yet applied: a scenario edits and applies them, often all at once as Argo CD would. A
// Custom network's claims name passphrase.
func startValidators(t *testing.T, namespace, network, passphrase string, names ...string) ([]*harness.SimNode, []*unstructured.Unstructured) {
	t.Helper()
	nodes := make([]*harness.SimNode, 0, len(names))
	claims := make([]*unstructured.Unstructured, 0, len(names))
	for _, name := range names {
		n, err := sims.Start(namespace, name, "")
		if err != nil {
			t.Fatal(err)
		}
		claim := n.Claim("Validator", network)
		if passphrase != "" {
			_ = unstructured.SetNestedField(claim.Object, passphrase, "spec", "networkPassphrase")
		}
		nodes, claims = append(nodes, n), append(claims, claim)
	}
	return nodes, claims
}

// deleteClaimsAtEnd deletes the nodes' claims when the test ends, without waiting for them to go.
func deleteClaimsAtEnd(t *testing.T, nodes []*harness.SimNode) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, n := range nodes {
			_ = cp.Delete(ctx, claimGVK, n.Namespace, n.Name)
		}
	})
}
