//go:build kind

package kind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// pkg is one of our packages, as a user installs it.
type pkg struct{ kind, name, env string }

var packages = []pkg{
	{kind: "Function", name: "function-stellar-peers", env: envFunctionXpkg},
	{kind: "Provider", name: "provider-stellar-core", env: envProviderXpkg},
	{kind: "Configuration", name: "configuration-stellar-peers", env: envConfigXpkg},
}

// ref is where the package is pushed: the registry on the cluster's network, the repository `make kind-xpkg`
// names in the Configuration's dependencies.
func (p pkg) ref() string {
	return os.Getenv(envRegistry) + "/stellarpeers/" + p.name + ":" + packageVersion
}

// crossplaneCLI runs the pinned crossplane CLI against the kind cluster.
func crossplaneCLI(ctx context.Context, cfg *envconf.Config, args ...string) error {
	cmd := exec.CommandContext(ctx, os.Getenv(envCrossplaneCLI), args...) //nolint:gosec // the pinned CLI.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cfg.KubeconfigFile())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cannot run crossplane %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// installPackages pushes our three packages to the registry with `crossplane xpkg push` and installs them with
// `crossplane xpkg install` as the README's install section says: the Function and the Provider under the names the
// Compositions call (a dependency Crossplane installs itself is named after its repository,
// stellarpeers-function-stellar-peers), then the Configuration, whose dependencies Crossplane resolves against them
// by package source. The node pulls the runtimes from the registry. Then our aggregated ClusterRole, which
// Crossplane needs to compose StatefulSets, NetworkPolicies and the rest (a Configuration cannot carry RBAC).
func installPackages(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	for _, p := range packages {
		if err := crossplaneCLI(ctx, cfg, "xpkg", "push", "--package-files", os.Getenv(p.env), p.ref()); err != nil {
			return ctx, err
		}
	}
	// One at a time, each healthy before the next: the Configuration comes last, so that its dependencies are
	// found installed.
	for _, p := range packages {
		if err := crossplaneCLI(ctx, cfg, "xpkg", "install", strings.ToLower(p.kind), p.ref(), p.name); err != nil {
			return ctx, err
		}
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

// waitHealthy waits for the package to be installed and healthy, and for it to be the only package of its kind
// from our repository: the Configuration's dependency resolved to it rather than to a copy Crossplane installed.
func waitHealthy(ctx context.Context, p pkg) error {
	gvk := schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: p.kind}
	err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(p.kind + "List"))
		if err := cp.Client.List(ctx, list); err != nil {
			return false, "", err
		}
		var ours []string
		for i := range list.Items {
			if src, _, _ := unstructured.NestedString(list.Items[i].Object, "spec", "package"); strings.Contains(src, "/stellarpeers/"+p.name+":") {
				ours = append(ours, list.Items[i].GetName())
			}
		}
		if len(ours) != 1 || ours[0] != p.name {
			return false, fmt.Sprintf("%ss from our repository: %v, want only %s", p.kind, ours, p.name), nil
		}
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
