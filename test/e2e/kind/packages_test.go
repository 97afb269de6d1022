//go:build kind

package kind

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
	"github.com/stellarpeers/stellar-peers/test/xpkgfile"
)

// Where users get our packages, and the version `make xpkg` and `make images` build (PACKAGE_REGISTRY,
// PACKAGE_VERSION).
const (
	packageRegistry = "ghcr.io/stellarpeers"
	packageVersion  = "v0.1.0"
)

// pkg is one of our packages, as a user installs it.
type pkg struct {
	kind, name, env string
	// runtime is the runtime image `make images` builds and the test loads into kind; "" for a Configuration.
	runtime string
}

func (p pkg) source() string { return packageRegistry + "/" + p.name }

var packages = []pkg{
	{kind: "Function", name: "function-stellar-peers", env: "STELLAR_PEERS_FUNCTION_XPKG",
		runtime: packageRegistry + "/function-stellar-peers-runtime:" + packageVersion},
	{kind: "Provider", name: "provider-stellar-core", env: "STELLAR_PEERS_PROVIDER_XPKG",
		runtime: packageRegistry + "/provider-stellar-core-runtime:" + packageVersion},
	{kind: "Configuration", name: "configuration-stellar-peers", env: "STELLAR_PEERS_CONFIGURATION_XPKG"},
}

// packageCache is the ConfigMap Crossplane's chart mounts as its package cache (packageCache.configMap): one entry
// per package, under the key Crossplane looks it up by, so it installs them without a registry.
func packageCache() (*unstructured.Unstructured, error) {
	dir, err := os.MkdirTemp("", "stellar-peers-xpkg-cache-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a cache directory: %w", err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary folder.
	data := map[string]any{}
	for _, p := range packages {
		x, err := xpkgfile.Load(os.Getenv(p.env))
		if err != nil {
			return nil, err
		}
		file, err := x.WriteCacheEntry(dir, p.source())
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(file) //nolint:gosec // our own temporary file.
		if err != nil {
			return nil, fmt.Errorf("cannot read cache entry: %w", err)
		}
		data[filepath.Base(file)] = base64.StdEncoding.EncodeToString(b)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": xpkgCacheConfigMap, "namespace": crossplaneNS},
		"binaryData": data,
	}}, nil
}

// installPackages installs our packages as the offline install test does (test/e2e/xpkg_install_test.go): an
// ImageConfig pins each tag to the digest in the cache, so Crossplane asks no registry; packagePullPolicy Never. A
// DeploymentRuntimeConfig runs each runtime from the image loaded into kind. Then our aggregated ClusterRole, which
// Crossplane needs to compose StatefulSets, NetworkPolicies and the rest (a Configuration cannot carry RBAC).
func installPackages(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	for _, p := range packages {
		x, err := xpkgfile.Load(os.Getenv(p.env))
		if err != nil {
			return ctx, err
		}
		objs := []*unstructured.Unstructured{imageConfig(p, x.Digest.String())}
		spec := map[string]any{"package": p.source() + ":" + packageVersion, "packagePullPolicy": "Never"}
		if p.runtime != "" {
			objs = append(objs, runtimeConfig(p))
			spec["runtimeConfigRef"] = map[string]any{"name": p.name}
		}
		objs = append(objs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "pkg.crossplane.io/v1",
			"kind":       p.kind,
			"metadata":   map[string]any{"name": p.name},
			"spec":       spec,
		}})
		if err := cp.Apply(ctx, objs...); err != nil {
			return ctx, err
		}
	}
	for _, p := range packages {
		if err := waitHealthy(ctx, p); err != nil {
			return ctx, err
		}
	}
	if err := cp.WaitForXRDs(ctx, harness.XRDNodes, harness.XRDDirectories); err != nil {
		return ctx, err
	}
	if err := cp.ApplyFiles(ctx, repoPath("examples", "rbac", "clusterrole.yaml")); err != nil {
		return ctx, err
	}
	return ctx, nil
}

func imageConfig(p pkg, digest string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1beta1",
		"kind":       "ImageConfig",
		"metadata":   map[string]any{"name": "pin-" + p.name},
		"spec": map[string]any{
			"matchImages":  []any{map[string]any{"type": "Prefix", "prefix": p.source() + ":" + packageVersion}},
			"rewriteImage": map[string]any{"prefix": p.source() + "@" + digest},
		},
	}}
}

func runtimeConfig(p pkg) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1beta1",
		"kind":       "DeploymentRuntimeConfig",
		"metadata":   map[string]any{"name": p.name},
		"spec": map[string]any{"deploymentTemplate": map[string]any{"spec": map[string]any{
			"selector": map[string]any{},
			"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
				// package-runtime is the container Crossplane runs a package's runtime in.
				"name":            "package-runtime",
				"image":           p.runtime,
				"imagePullPolicy": "Never",
			}}}},
		}}},
	}}
}

func waitHealthy(ctx context.Context, p pkg) error {
	gvk := schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: p.kind}
	err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		got, err := cp.Get(ctx, gvk, "", p.name)
		if err != nil {
			return false, "", err
		}
		if s, r, m := harness.ConditionStatus(got, "Installed"); s != "True" {
			return false, fmt.Sprintf("%s %s not installed: %s %s", p.kind, p.name, r, m), nil
		}
		if s, r, m := harness.ConditionStatus(got, "Healthy"); s != "True" {
			return false, fmt.Sprintf("%s %s not healthy: %s %s", p.kind, p.name, r, m), nil
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("cannot install %s %s: %w", p.kind, p.name, err)
	}
	return nil
}

func namespace(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}
