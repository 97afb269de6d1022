package harness

import (
	"context"
	"fmt"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Names of the product's XRDs.
const (
	XRDNodes       = "xstellarnodes.stellarpeers.io"
	XRDDirectories = "stellarpeerdirectories.stellarpeers.io"
)

// ProductCRDDirs are the CRD folders our packages ship: the function's input types and the provider's types.
func ProductCRDDirs() ([]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	return []string{
		filepath.Join(root, "package", "function", "input"),
		filepath.Join(root, "package", "provider", "crds"),
	}, nil
}

// InstallProduct applies the Configuration's XRDs and Compositions and waits until the XRDs are established.
func (cp *ControlPlane) InstallProduct(ctx context.Context) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(root, "apis", "stellarpeers", "*.yaml"))
	if err != nil {
		return fmt.Errorf("cannot find the XRDs and Compositions: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("cannot find the XRDs and Compositions: no YAML in %s", filepath.Join(root, "apis", "stellarpeers"))
	}
	if err := cp.ApplyFiles(ctx, files...); err != nil {
		return err
	}
	return cp.WaitForXRDs(ctx, XRDNodes, XRDDirectories)
}

// LoopbackProviderConfig is the ClusterProviderConfig "default" that lets the provider reach admin endpoints on
// loopback only, where simulated nodes listen.
func LoopbackProviderConfig() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.stellarpeers.io/v1alpha1",
		"kind":       "ClusterProviderConfig",
		"metadata":   map[string]any{"name": "default"},
		"spec": map[string]any{
			"allowedEndpoints": map[string]any{"cidrs": []any{"127.0.0.0/8"}},
			"timeout":          "2s",
		},
	}}
}

// PeersConfigMapIs is a check for Eventually: the directory's peers ConfigMap namespace/name publishes exactly
// peersTxt as peers.txt and peerCount as peer_count; if not, the reason says what it publishes.
func (cp *ControlPlane) PeersConfigMapIs(ctx context.Context, namespace, name, peersTxt string, peerCount int) (bool, string, error) {
	cm, err := cp.Get(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, namespace, name)
	if err != nil {
		return false, "", err
	}
	txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
	count, _, _ := unstructured.NestedString(cm.Object, "data", "peer_count")
	if txt != peersTxt || count != fmt.Sprint(peerCount) {
		return false, fmt.Sprintf("peers.txt = %q, peer_count = %q; want %q, %d", txt, count, peersTxt, peerCount), nil
	}
	return true, "", nil
}
