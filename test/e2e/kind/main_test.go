//go:build kind

// Package kind runs the discovery scenario on a kind cluster with Crossplane installed from its Helm chart and our
// packages installed from the .xpkg files `make xpkg` builds, with no registry: `make e2e-kind`. It needs a Docker
// engine and helm on PATH, and skips with a message when either is missing.
//
// Simulated stellar-core nodes never run here: the scenario stops at the directory and the validators' configs
// (no ProviderConfig is created, so no PeerSync connects anywhere), and every pod of the test namespaces is denied
// all egress.
package kind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/envfuncs"
	"sigs.k8s.io/e2e-framework/support/kind"
	"sigs.k8s.io/e2e-framework/third_party/helm"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// Environment variables `make e2e-kind` sets.
const (
	envKind            = "E2E_KIND"             // the pinned kind binary
	envChart           = "E2E_CROSSPLANE_CHART" // Crossplane's Helm chart from the pinned module
	envFunctionImage   = "E2E_KIND_FUNCTION_IMAGE"
	envProviderImage   = "E2E_KIND_PROVIDER_IMAGE"
	envKeepCluster     = "E2E_KIND_KEEP" // set to keep the cluster after the run, for debugging
	crossplaneVersion  = "v2.4.0"
	crossplaneNS       = "crossplane-system"
	xpkgCacheConfigMap = "stellar-peers-xpkg-cache"
)

var (
	testenv env.Environment
	// cp wraps the kind cluster's client in the harness's helpers (Apply, Get, Eventually); nothing is started.
	cp *harness.ControlPlane
)

func TestMain(m *testing.M) {
	if reason := unavailable(); reason != "" {
		fmt.Printf("SKIP: the kind e2e tests cannot run here: %s\n", reason)
		os.Exit(0)
	}
	name := envconf.RandomName("stellar-peers", 24)
	testenv = env.New()
	testenv.Setup(
		envfuncs.CreateClusterWithOpts(kind.NewProvider(), name, kind.WithPath(os.Getenv(envKind))),
		envfuncs.LoadImageArchiveToCluster(name, os.Getenv(envFunctionImage)),
		envfuncs.LoadImageArchiveToCluster(name, os.Getenv(envProviderImage)),
		connect,
		installCrossplane,
		installPackages,
	)
	if os.Getenv(envKeepCluster) == "" {
		testenv.Finish(envfuncs.DestroyCluster(name))
	}
	os.Exit(testenv.Run(m))
}

// unavailable says why the kind variant cannot run on this machine, or "" when it can.
func unavailable() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker CLI on PATH (kind needs a Docker engine)"
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Sprintf("no Docker engine answers (docker info: %s)", strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("helm"); err != nil {
		return "no helm on PATH (Crossplane is installed with its Helm chart)"
	}
	for _, v := range []string{envKind, envChart, envFunctionImage, envProviderImage, packages[0].env, packages[1].env, packages[2].env} {
		if p := os.Getenv(v); p == "" {
			return v + " is not set: run `make e2e-kind`, which builds the pinned kind, the images and the packages"
		} else if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("%s: %v", v, err)
		}
	}
	return ""
}

func connect(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return ctx, fmt.Errorf("cannot build scheme: %w", err)
	}
	rc := cfg.Client().RESTConfig()
	c, err := client.New(rc, client.Options{Scheme: scheme})
	if err != nil {
		return ctx, fmt.Errorf("cannot create client: %w", err)
	}
	cp = &harness.ControlPlane{Config: rc, Client: c, Kubeconfig: cfg.KubeconfigFile()}
	return ctx, nil
}

// installCrossplane installs Crossplane v2.4.0 from its Helm chart with default values, except for the image tag
// (the chart in the module source carries a placeholder version) and the package cache, which is a ConfigMap
// holding our packages (see installPackages).
func installCrossplane(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	if err := cp.Apply(ctx, namespace(crossplaneNS)); err != nil {
		return ctx, err
	}
	cache, err := packageCache()
	if err != nil {
		return ctx, err
	}
	if err := cp.Apply(ctx, cache); err != nil {
		return ctx, err
	}
	err = helm.New(cfg.KubeconfigFile()).RunInstall(
		helm.WithName("crossplane"),
		helm.WithChart(os.Getenv(envChart)),
		helm.WithNamespace(crossplaneNS),
		helm.WithArgs("--set", "image.tag="+crossplaneVersion, "--set", "packageCache.configMap="+xpkgCacheConfigMap),
		helm.WithWait(),
		helm.WithTimeout("5m"),
		helm.WithContext(ctx),
	)
	if err != nil {
		return ctx, fmt.Errorf("cannot install Crossplane with helm: %w", err)
	}
	return ctx, nil
}

// repoPath is a path relative to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{"..", "..", ".."}, elem...)...)
}

// within bounds every wait of the scenario.
const within = 3 * time.Minute
