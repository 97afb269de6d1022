//go:build scale

package scale

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}

// directoryName is the StellarPeerDirectory the validators join; Crossplane logs its reconciles under this name.
const directoryName = "testnet"

// TestDirectoryFollowsBulkAdd: fleetSize validator claims created at once, as an Argo CD sync of a large folder
// would, on a fresh control plane with Crossplane core and our function (no provider: the directory does not
// wait for peer connections). It reports how long until the directory's peers ConfigMap lists 10%, 50%, 90% and
// all of them, and how often Crossplane's per-XR watch circuit breaker held the directory back: once with
// Crossplane's defaults, once with the raised settings a large fleet needs.
func TestDirectoryFollowsBulkAdd(t *testing.T) {
	burst, refill := envInt("SCALE_BREAKER_BURST", 6000), envInt("SCALE_BREAKER_REFILL", 50)
	rep := &report{section: "scale-directory", command: "make bench-scale", detail: fmt.Sprintf(", %d validators", fleetSize)}
	defer rep.write(t)
	for _, v := range []struct {
		name string
		args []string
	}{
		{name: "DefaultBreaker"},
		{name: "RaisedBreaker", args: []string{
			"--circuit-breaker-burst=" + strconv.Itoa(burst),
			"--circuit-breaker-refill-rate=" + strconv.Itoa(refill),
		}},
	} {
		t.Run(v.name, func(t *testing.T) {
			settings := "Crossplane's default circuit breaker (burst 100, refill 1/s, cooldown 5m)"
			if len(v.args) > 0 {
				settings = fmt.Sprintf("circuit breaker raised: %v", v.args)
			}
			bulkAdd(t, rep, settings, v.args)
		})
	}
}

func bulkAdd(t *testing.T, rep *report, settings string, crossplaneArgs []string) {
	n := fleetSize
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cp, err := harness.Start(ctx, harness.Options{
		Name:           "scale-directory",
		ProductCRDs:    true,
		Crossplane:     true,
		CrossplaneArgs: crossplaneArgs,
		Function:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	if err := cp.InstallProduct(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := fastClient(cp)
	if err != nil {
		t.Fatal(err)
	}
	// The empty directory is published first, so the clock below measures the validators only.
	publishEmptyDirectory(ctx, t, cp)

	claims := make([]*unstructured.Unstructured, n)
	for i := range claims {
		ns, name := validatorName(i)
		claims[i] = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarNode",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{
				"nodeType": "Validator", "network": "Testnet",
				// Never dialed: no provider runs here.
				"adminEndpoint": "http://127.0.0.1:11626",
				"validator":     map[string]any{"seedSecretRef": map[string]any{"name": name + "-seed"}},
			},
		}}
	}
	start := time.Now()
	if err := createAll(ctx, c, claims); err != nil {
		t.Fatal(err)
	}
	created := time.Since(start)
	listed := newMilestones(start, n, 10, 50, 90, 100)
	waitCtx, stopWaiting := context.WithTimeout(ctx, 20*time.Minute)
	defer stopWaiting()
	if count, ok := listed.follow(waitCtx, time.Second, func() int {
		count, err := peerCount(ctx, cp)
		if err != nil {
			t.Fatal(err)
		}
		return count
	}); !ok {
		t.Errorf("the directory lists %d of %d validators after 20 minutes (logs in %s)", count, n, cp.RunDir)
	}
	openings, err := cp.CircuitBreakerOpenings(directoryName)
	if err != nil {
		t.Fatal(err)
	}
	reconciles, err := cp.Reconciles(directoryName)
	if err != nil {
		t.Fatal(err)
	}
	rep.add(t, "%s: %d claims created in %s; directory lists (share of validators): %s; %d directory reconciles, breaker held back %d events; Crossplane %s; function %s",
		settings, n, seconds(created), listed, reconciles, openings, usage(cp, "crossplane"), usage(cp, harness.FunctionName))
}

// publishEmptyDirectory applies the namespaces and the Testnet directory and waits until its empty peers
// ConfigMap is published.
func publishEmptyDirectory(ctx context.Context, t *testing.T, cp *harness.ControlPlane) {
	t.Helper()
	setup := []*unstructured.Unstructured{harness.Namespace("stellar-system"), {Object: map[string]any{
		"apiVersion": "stellarpeers.io/v1alpha1", "kind": "StellarPeerDirectory",
		"metadata": map[string]any{"name": directoryName},
		"spec":     map[string]any{"network": "Testnet"},
	}}}
	for i := range namespaces {
		setup = append(setup, harness.Namespace(fmt.Sprintf("scale-%02d", i)))
	}
	if err := cp.Apply(ctx, setup...); err != nil {
		t.Fatal(err)
	}
	if err := harness.Eventually(ctx, 2*time.Minute, func(ctx context.Context) (bool, string, error) {
		count, err := peerCount(ctx, cp)
		return err == nil && count == 0, fmt.Sprintf("peer_count %d, %v", count, err), nil
	}); err != nil {
		t.Fatalf("the empty directory was not published: %v (logs in %s)", err, cp.RunDir)
	}
}

// peerCount is the directory's published peer_count.
func peerCount(ctx context.Context, cp *harness.ControlPlane) (int, error) {
	cm, err := cp.Get(ctx, configMapGVK, "stellar-system", "stellar-peers")
	if err != nil {
		return -1, err
	}
	v, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1, fmt.Errorf("peer_count %q: %w", v, err)
	}
	return n, nil
}
