//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/test/argocd"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// shrinkPassphrase is the custom network of TestShrinkGuard, as testdata/shrink.yaml names it.
const shrinkPassphrase = "Shrink Test Network ; 2026"

// TestShrinkGuard: removing most validators at once is held, and reported on the directory, until the directory
// allows it; then the directory shrinks in one step.
func TestShrinkGuard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer beginScenario(ctx, t, "custom")()
	if err := cp.ApplyFiles(ctx, "testdata/shrink.yaml"); err != nil {
		failWithLogs(t, "%v", err)
	}
	nodes, claims := startValidators(t, "team-d", "Custom", shrinkPassphrase, "sam", "sid", "sue")
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitPeerCount(ctx, t, "3")

	// Two of three (66%) go at once: more than maxShrinkPercent (50). Claims are deleted one by one, so the
	// directory is paused meanwhile; otherwise it could see 3 -> 2 -> 1, two steps each within the limit.
	setPaused(ctx, t, true, 50)
	deleteClaims(ctx, t, nodes[1:]...)
	// Crossplane reconciles on spec changes, not on the annotation alone: resume with a spec change the guard
	// still holds (66% > 49%).
	setPaused(ctx, t, false, 49)
	waitFor(ctx, t, "directory reports ShrinkHeld", func(ctx context.Context) (bool, string, error) {
		xr, err := cp.Get(ctx, directoryGVK, "", "custom")
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(xr, "ShrinkHeld")
		if s == "True" {
			t.Logf("ShrinkHeld=True %s: %s", r, m)
			return true, "", nil
		}
		return false, fmt.Sprintf("ShrinkHeld=%s %s: %s", s, r, m), nil
	})
	assertArgoHealth(ctx, t, directoryGVK, "", "custom", argocd.Degraded, "directory-shrink-held", "shrink held")
	// It never takes the large step.
	if got, err := peerCount(ctx); err != nil || got == "1" {
		t.Errorf("custom-peers peer_count = %s (%v) while the shrink is held; it must not have shrunk to 1", got, err)
	}

	allow := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": map[string]any{"name": "custom"},
		"spec":     map[string]any{"network": "Custom", "networkPassphrase": shrinkPassphrase, "maxShrinkPercent": int64(49), "allowShrink": true},
	}}
	if err := cp.Apply(ctx, allow); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitPeerCount(ctx, t, "1")
	deleteClaims(ctx, t, nodes[0])
}

func peerCount(ctx context.Context) (string, error) {
	cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "custom-peers")
	if err != nil {
		return "", err
	}
	count, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
	return count, nil
}

func waitPeerCount(ctx context.Context, t *testing.T, want string) {
	t.Helper()
	waitFor(ctx, t, "custom-peers peer_count "+want, func(ctx context.Context) (bool, string, error) {
		got, err := peerCount(ctx)
		return got == want, "peer_count is " + got, err
	})
}

// setPaused pauses or resumes Crossplane's reconciliation of the custom directory, setting its maxShrinkPercent.
func setPaused(ctx context.Context, t *testing.T, paused bool, maxShrinkPercent int64) {
	t.Helper()
	xr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": map[string]any{"name": "custom", "annotations": map[string]any{"crossplane.io/paused": fmt.Sprint(paused)}},
		"spec":     map[string]any{"network": "Custom", "networkPassphrase": shrinkPassphrase, "maxShrinkPercent": maxShrinkPercent},
	}}
	if err := cp.Apply(ctx, xr); err != nil {
		failWithLogs(t, "%v", err)
	}
}
