//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/stellarpeers/stellar-peers/test/argocd"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// envCaptureDir, when set, is where assertArgoHealth also writes the objects it checks, as test/argocd's testdata.
// Opt-in: the committed testdata came from one run (see test/argocd/testdata/README.md), and a normal run leaves
// the tree alone.
const envCaptureDir = "E2E_CAPTURE_DIR"

var xNodeGVK = schema.GroupVersionKind{Group: "stellarpeers.io", Version: "v1alpha1", Kind: "XStellarNode"}

// argoChecks are the health checks of examples/argocd/argocd-cm.yaml.
var argoChecks = func() map[string]string {
	checks, err := argocd.LoadHealthChecks(filepath.Join("..", "..", "examples", "argocd", "argocd-cm.yaml"))
	if err != nil {
		panic(err)
	}
	return checks
}()

// assertArgoHealth waits until the Argo CD health check of the live object says want, and fails the test if it
// does not within a minute: the scenarios reach every status our checks give, with real objects. With
// E2E_CAPTURE_DIR set it also writes the object to <dir>/<file>.yaml.
func assertArgoHealth(ctx context.Context, t *testing.T, gvk schema.GroupVersionKind, namespace, name, want, file, step string) {
	t.Helper()
	var obj *unstructured.Unstructured
	var got argocd.Status
	err := harness.Eventually(ctx, 60*time.Second, func(ctx context.Context) (bool, string, error) {
		var err error
		if obj, err = cp.Get(ctx, gvk, namespace, name); err != nil {
			return false, "", err
		}
		key := argocd.CheckKey(obj.Object)
		script, ok := argoChecks[key]
		if !ok {
			return false, "", fmt.Errorf("argocd-cm has no health check %s%s", argocd.HealthKeyPrefix, key)
		}
		if got, err = argocd.Health(script, obj.Object); err != nil {
			return false, "", fmt.Errorf("health check %s: %w", key, err)
		}
		return got.Status == want, fmt.Sprintf("%s %q", got.Status, got.Message), nil
	})
	if err != nil {
		failWithLogs(t, "Argo CD health of %s %s/%s (%s), want %s: %v", gvk.Kind, namespace, name, step, want, err)
	}
	t.Logf("Argo CD health of %s %s/%s (%s): %s %q", gvk.Kind, namespace, name, step, got.Status, got.Message)
	if dir := os.Getenv(envCaptureDir); dir != "" {
		if err := writeCapture(dir, file, fmt.Sprintf("%s, %s", t.Name(), step), obj); err != nil {
			t.Fatal(err)
		}
	}
}

// assertClaimArgoHealth checks a claim and the XStellarNode it is bound to.
func assertClaimArgoHealth(ctx context.Context, t *testing.T, n claimKey, want, file, step string) {
	t.Helper()
	assertArgoHealth(ctx, t, claimGVK, n.ns, n.name, want, file+"-claim", step)
	claim, err := cp.Get(ctx, claimGVK, n.ns, n.name)
	if err != nil {
		failWithLogs(t, "%v", err)
	}
	xr, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
	if xr == "" {
		t.Fatalf("claim %s/%s is bound to no XStellarNode", n.ns, n.name)
	}
	assertArgoHealth(ctx, t, xNodeGVK, "", xr, want, file+"-xr", step)
}

// writeCapture writes the object without the fields that only the apiserver's bookkeeping needs.
func writeCapture(dir, file, origin string, obj *unstructured.Unstructured) error {
	obj = obj.DeepCopy()
	obj.SetManagedFields(nil)
	data, err := yaml.Marshal(obj.Object)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# Captured from the e2e test %s (make e2e with %s set).\n", origin, envCaptureDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, file+".yaml"), append([]byte(header), data...), 0o600)
}
