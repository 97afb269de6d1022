//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// TestSchemasAccepted: the real kube-apiserver accepts every CRD we ship (the function's inputs, the provider's
// types, the example CRD of the original operator's StellarNode) and establishes them, and Crossplane establishes
// both XRDs. Offline validation cannot catch everything the apiserver checks (CEL cost limits, structural schema
// rules), so this is the second half of the schema checks.
func TestSchemasAccepted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var files []string
	for _, glob := range []string{
		repoPath("package", "function", "input", "*.yaml"),
		repoPath("package", "provider", "crds", "*.yaml"),
		repoPath("examples", "crds", "*.yaml"),
	} {
		m, err := filepath.Glob(glob)
		if err != nil || len(m) == 0 {
			t.Fatalf("no CRDs at %s: %v", glob, err)
		}
		files = append(files, m...)
	}
	crds, err := harness.LoadObjects(files...)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Apply(ctx, crds...); err != nil {
		failWithLogs(t, "%v", err)
	}
	for _, crd := range crds {
		name := crd.GetName()
		err := harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
			got, err := cp.Get(ctx, crdGVK, "", name)
			if err != nil {
				return false, "", err
			}
			for _, cond := range []string{"NamesAccepted", "Established"} {
				if s, r, m := harness.ConditionStatus(got, cond); s != "True" {
					return false, fmt.Sprintf("%s: %s %s %s", cond, s, r, m), nil
				}
			}
			return true, "", nil
		})
		if err != nil {
			failWithLogs(t, "CRD %s not established: %v", name, err)
		}
	}

	if err := cp.ApplyFiles(ctx,
		repoPath("apis", "stellarpeers", "definition-xstellarnode.yaml"),
		repoPath("apis", "stellarpeers", "definition-stellarpeerdirectory.yaml"),
	); err != nil {
		failWithLogs(t, "%v", err)
	}
	if err := cp.WaitForXRDs(ctx, harness.XRDNodes, harness.XRDDirectories); err != nil {
		failWithLogs(t, "%v", err)
	}
	t.Logf("%d CRDs and 2 XRDs established", len(crds))
}
