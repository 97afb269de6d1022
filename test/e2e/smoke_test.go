//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var (
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	directoryGVK = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "StellarPeerDirectory"}
)

// TestSmokeComposeAndGarbageCollect: Crossplane calls our function through a Pipeline Composition, the composed
// ConfigMap appears owned by the XR, and deleting the XR garbage-collects it.
func TestSmokeComposeAndGarbageCollect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	if err := cp.ApplyFiles(ctx,
		repoPath("apis", "stellarpeers", "definition-xstellarnode.yaml"),
		repoPath("apis", "stellarpeers", "definition-stellarpeerdirectory.yaml"),
		repoPath("apis", "stellarpeers", "composition-xstellarnode.yaml"),
		repoPath("apis", "stellarpeers", "composition-stellarpeerdirectory.yaml"),
	); err != nil {
		failWithLogs(t, "%v", err)
	}
	if err := cp.WaitForXRDs(ctx, "xstellarnodes.stellarpeers.io", "stellarpeerdirectories.stellarpeers.io"); err != nil {
		failWithLogs(t, "%v", err)
	}
	if err := cp.ApplyFiles(ctx, "testdata/smoke.yaml"); err != nil {
		failWithLogs(t, "%v", err)
	}

	xr, err := cp.Get(ctx, directoryGVK, "", "smoke")
	if err != nil {
		t.Fatalf("cannot get the XR: %v", err)
	}
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		cm, err := cp.Get(ctx, configMapGVK, "smoke-system", "smoke-peers")
		if err != nil {
			return false, "", err
		}
		for _, ref := range cm.GetOwnerReferences() {
			if ref.UID == xr.GetUID() && ref.Controller != nil && *ref.Controller {
				if cm.Object["data"] == nil {
					return false, "composed ConfigMap has no data", nil
				}
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("ConfigMap owner references %v do not name XR uid %s", cm.GetOwnerReferences(), xr.GetUID()), nil
	})
	if err != nil {
		failWithLogs(t, "composed ConfigMap did not appear: %v", err)
	}

	if err := cp.Delete(ctx, directoryGVK, "", "smoke"); err != nil {
		t.Fatal(err)
	}
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		_, err := cp.Get(ctx, configMapGVK, "smoke-system", "smoke-peers")
		if kerrors.IsNotFound(err) {
			return true, "", nil
		}
		return false, "composed ConfigMap still exists", err
	})
	if err != nil {
		failWithLogs(t, "composed ConfigMap was not garbage-collected: %v", err)
	}
}
