//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// maxUpdatesPerClaim bounds the writes one new claim makes to its XStellarNode. Every write wakes every
// directory (Crossplane counts about 2 circuit-breaker events per update, burst 100, refill 1/s), so the node
// step must keep its share small: Crossplane itself makes about 9 (finalizer, composition, labels, resourceRefs,
// conditions), our function 2 (status.peer, then core's state once the PeerSync has observed it).
const maxUpdatesPerClaim = 12

// TestClaimEventCost measures how many times a new validator claim's composite changes while it settles.
func TestClaimEventCost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ensureTestnet(ctx, t)
	dc, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	xrs := dc.Resource(schema.GroupVersionResource{Group: "stellarpeers.io", Version: "v1alpha1", Resource: "xstellarnodes"})
	w, err := xrs.Watch(ctx, metav1.ListOptions{LabelSelector: "crossplane.io/claim-name=ivy"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ivy, err := sims.Start("team-c", "ivy", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Apply(ctx, ivy.Claim("Validator", "Testnet")); err != nil {
		failWithLogs(t, "%v", err)
	}
	// The label selector only matches once Crossplane has labelled the composite; count from there, then give the
	// composite time to settle (core reports Synced!, PeerSync becomes Ready).
	updates, settled := 0, time.After(15*time.Second)
	for done := false; !done; {
		select {
		case ev := <-w.ResultChan():
			if _, ok := ev.Object.(*unstructured.Unstructured); ok {
				updates++
			}
		case <-settled:
			done = true
		}
	}
	t.Logf("claim event cost: %d composite writes seen after labelling (about %d circuit-breaker events for every directory)", updates, 2*(updates+3))
	if updates > maxUpdatesPerClaim {
		t.Errorf("a new claim's composite changed %d times, want at most %d: something churns its status", updates, maxUpdatesPerClaim)
	}
	deleteClaims(ctx, t, ivy)
}
