//go:build kind

package kind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
	"github.com/stellarpeers/stellar-peers/test/readme"
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

// installPackages pushes our three packages to the registry with `crossplane xpkg push`, then runs the README's
// install sequence ("Install and upgrade, step by step") as users copy it, with REGISTRY set to the registry and the
// pinned kubectl and crossplane CLI on PATH, up to where it applies the examples (the scenarios bring their own
// claims and provider config): the ClusterRole, the Function and the Provider under the names the Compositions call,
// then the Configuration, whose dependencies Crossplane resolves against them by package source, and the waits for
// every CRD and XRD. The node pulls the runtimes from the registry.
func installPackages(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	for _, p := range packages {
		if err := crossplaneCLI(ctx, cfg, "xpkg", "push", "--package-files", os.Getenv(p.env), p.ref()); err != nil {
			return ctx, err
		}
	}
	script, err := readme.InstallScript(repoPath("README.md"))
	if err != nil {
		return ctx, err
	}
	var run []string
	for _, c := range readme.Commands(script) {
		if strings.Contains(c, "examples/providerconfig") {
			break
		}
		if strings.HasPrefix(c, "REGISTRY=") {
			c = "REGISTRY=" + os.Getenv(envRegistry) + "/stellarpeers"
		}
		run = append(run, c)
	}
	if len(run) == 0 || !slices.ContainsFunc(run, func(c string) bool { return strings.HasPrefix(c, "crossplane xpkg install configuration") }) {
		return ctx, fmt.Errorf("cannot find the install sequence in the README: %q", run)
	}
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(run, "\n")) //nolint:gosec // the README's own commands.
	cmd.Dir = repoPath()
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cfg.KubeconfigFile(),
		"PATH="+filepath.Dir(os.Getenv(envKubectl))+":"+filepath.Dir(os.Getenv(envCrossplaneCLI))+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return ctx, fmt.Errorf("cannot run the README's install sequence: %w:\n%s", err, out)
	}
	for _, p := range packages {
		if err := waitHealthy(ctx, p); err != nil {
			return ctx, err
		}
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
