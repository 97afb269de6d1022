//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// Events a new claim may cost every directory of its network. The directory requires only its network's peer
// cards, and Crossplane 2.4 wakes an XR for a required resource only when the changed object matches the
// requirement's labels (dependency.InMemoryTracker.Dependants in the pinned crossplane module). A validator's
// card is created once and rewritten only when its peer facts change; other node types have none.
const (
	maxDirectoryEventsPerValidator = 2
	maxDirectoryEventsPerOtherNode = 0
)

// TestClaimEventCost measures the events one new claim causes for the Testnet directory: changes to the objects
// its requirement selects (peer cards of the network, in every namespace), counted from a watch with exactly
// that selector while the claim is composed and settles (core reports Synced!, PeerSync becomes Ready).
func TestClaimEventCost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ensureTestnet(ctx, t)
	dc, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	configMaps := dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	selector := fmt.Sprintf("%s=%s,%s=%s", peers.LabelPeerCard, peers.PeerCardVersion, peers.LabelNetwork, "testnet")

	for _, c := range []struct {
		name, nodeType string
		max            int
		settle         time.Duration
	}{
		{"ivy", "Validator", maxDirectoryEventsPerValidator, 15 * time.Second},
		{"wanda", "Watcher", maxDirectoryEventsPerOtherNode, 10 * time.Second},
		{"hank", "Horizon", maxDirectoryEventsPerOtherNode, 10 * time.Second},
		{"rosa", "SorobanRpc", maxDirectoryEventsPerOtherNode, 10 * time.Second},
	} {
		t.Run(c.nodeType, func(t *testing.T) {
			list, err := configMaps.List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				t.Fatal(err)
			}
			w, err := configMaps.Watch(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: list.GetResourceVersion()})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			reconcilesBefore, breakerBefore := directoryCounters(ctx, t)
			n, err := sims.Start("team-c", c.name, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := cp.Apply(ctx, n.Claim(c.nodeType, "Testnet")); err != nil {
				failWithLogs(t, "%v", err)
			}
			events, settled := 0, time.After(c.settle)
			for done := false; !done; {
				select {
				case ev := <-w.ResultChan():
					events++
					t.Logf("directory event: %s %v", ev.Type, ev.Object.GetObjectKind().GroupVersionKind())
				case <-settled:
					done = true
				}
			}
			reconcilesAfter, breakerAfter := directoryCounters(ctx, t)
			t.Logf("claim event cost: %s claim: %d events for the directory; meanwhile the directory reconciled %d times and "+
				"Crossplane's breaker counted %d events for it, its own writes in response included",
				c.nodeType, events, reconcilesAfter-reconcilesBefore, breakerAfter-breakerBefore)
			if events > c.max {
				t.Errorf("a new %s claim caused %d directory events, want at most %d: something rewrites its peer card", c.nodeType, events, c.max)
			}
			deleteClaims(ctx, t, n)
			// The card's deletion must not land in the next case's window.
			waitFor(ctx, t, "peer card of "+c.name+" deleted", func(ctx context.Context) (bool, string, error) {
				_, err := cp.Get(ctx, configMapGVK, n.Namespace, n.Name+peers.PeerCardSuffix)
				if kerrors.IsNotFound(err) {
					return true, "", nil
				}
				return false, "still there", err
			})
		})
	}
}

// directoryCounters reads how often the Testnet directory has reconciled and how many events Crossplane's circuit
// breaker has counted for directories.
func directoryCounters(ctx context.Context, t *testing.T) (reconciles, breakerEvents int) {
	t.Helper()
	reconciles, err := cp.Reconciles("testnet")
	if err != nil {
		t.Fatal(err)
	}
	breakerEvents, err = cp.CircuitBreakerEvents(ctx, harness.DirectoryKind)
	if err != nil {
		t.Fatal(err)
	}
	return reconciles, breakerEvents
}
