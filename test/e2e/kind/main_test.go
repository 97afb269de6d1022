//go:build kind

// Package kind runs the discovery loop on a real kind cluster: `make e2e-kind`. The Makefile builds every image the
// cluster runs from pinned sources (this machine reaches no image registry) and starts a Docker engine when none
// answers; this package creates the cluster's Docker network, an OCI registry on it, the cluster from our node
// image, installs kube-router's network policy controller, Crossplane from its Helm chart and our packages with the real
// `crossplane xpkg install`, then runs validators as StatefulSets of the simulated stellar-core.
//
// Nothing dials outside the machine: the Docker engine make starts neither forwards nor masquerades, CoreDNS is
// told to forward nothing, containerd inside the node pulls only from our registry (every other registry is a
// dead end in its hosts configuration), and the simulated cores never dial at all.
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

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
	"github.com/stellarpeers/stellar-peers/test/required"
)

// Environment variables `make e2e-kind` sets.
const (
	envKind           = "E2E_KIND"                    // the pinned kind binary
	envHelm           = "E2E_HELM"                    // the pinned helm binary
	envChart          = "E2E_CROSSPLANE_CHART"        // Crossplane's Helm chart from the pinned module
	envCrossplaneCLI  = "E2E_CROSSPLANE_CLI"          // the pinned crossplane CLI (xpkg push, xpkg install)
	envKubectl        = "E2E_KIND_KUBECTL"            // the pinned kubectl, for the README's install sequence
	envNetpol         = "E2E_KIND_NETPOL_MANIFEST"    // kube-router's network policy DaemonSet, our image
	envNodeImage      = "E2E_KIND_NODE_IMAGE"         // the node image tarball
	envNodeRef        = "E2E_KIND_NODE_REF"           // its reference
	envEtcdTag        = "E2E_KIND_ETCD_TAG"           // the etcd image tag kubeadm is told
	envImages         = "E2E_KIND_IMAGES"             // image tarballs loaded into the node, space separated
	envRegistryImage  = "E2E_KIND_REGISTRY_IMAGE"     // the registry's image tarball
	envRegistry       = "E2E_KIND_REGISTRY"           // the registry's address, IP:port on the network
	envNetwork        = "E2E_KIND_NETWORK"            // the cluster's Docker network
	envSubnet         = "E2E_KIND_SUBNET"             // its subnet
	envOut            = "E2E_KIND_OUT"                // where this run writes its files
	envFunctionXpkg   = "E2E_KIND_FUNCTION_XPKG"      // our packages, the Configuration naming the registry
	envProviderXpkg   = "E2E_KIND_PROVIDER_XPKG"      //
	envConfigXpkg     = "E2E_KIND_CONFIGURATION_XPKG" //
	envKeepCluster    = "E2E_KIND_KEEP"               // set to keep the cluster after the run, for debugging
	envReuseCluster   = "E2E_KIND_REUSE"              // set to run the tests on a cluster an earlier run kept
	crossplaneVersion = "v2.4.0"
	crossplaneNS      = "crossplane-system"
	clusterName       = "stellar-peers-e2e"
	registryContainer = "stellar-peers-kind-registry"
	// packageVersion is PACKAGE_VERSION, the tag our packages are pushed with.
	packageVersion = "v0.1.0"
	// coresimImage is the simulated stellar-core's image, loaded into the node, tagged with the stellar-core
	// version the claims name (the node composition's image tag is the claim's spec.version).
	coresimImage = "stellar-peers.local/stellar-core-sim:" + coreVersion
)

var (
	testenv env.Environment
	// cp wraps the kind cluster's client in the harness's helpers (Apply, Get, Eventually); nothing is started.
	cp *harness.ControlPlane
)

func TestMain(m *testing.M) {
	if reason := unavailable(); reason != "" {
		if required.Enforced() {
			fmt.Printf("FAIL: the kind e2e tests cannot run: %s\n", reason)
			os.Exit(1)
		}
		fmt.Printf("SKIP: the kind e2e tests cannot run here: %s\n", reason)
		os.Exit(0)
	}
	// kind writes the cluster's credentials to $KUBECONFIG: ours, not the user's ~/.kube/config.
	if err := os.Setenv("KUBECONFIG", filepath.Join(os.Getenv(envOut), "kubeconfig")); err != nil {
		fmt.Printf("FAIL: cannot set KUBECONFIG: %v\n", err)
		os.Exit(1)
	}
	cfg := envconf.New()
	testenv = env.NewWithConfig(cfg)
	config := filepath.Join(os.Getenv(envOut), "kind-config.yaml")
	create := envfuncs.CreateClusterWithConfig(kind.NewProvider(), clusterName, config,
		kind.WithImage(os.Getenv(envNodeRef)), kind.WithPath(os.Getenv(envKind)))
	if os.Getenv(envReuseCluster) != "" {
		// The kept cluster is found by name and used as it is.
		testenv.Setup(step("kind cluster kept by an earlier run", create), step("connect", connect))
	} else {
		testenv.Setup(
			step("docker network, registry and node image", prepareDocker),
			step("kind config", func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
				return ctx, writeKindConfig(config)
			}),
			step("kind create cluster", create),
			step("load images", loadImages),
			step("connect", connect),
			step("CoreDNS forwards nothing", lockDownDNS),
			step("kube-router (NetworkPolicy)", installNetworkPolicies),
			step("Crossplane (Helm chart)", installCrossplane),
			step("packages (crossplane xpkg install)", installPackages),
		)
	}
	if os.Getenv(envKeepCluster) == "" {
		testenv.Finish(
			step("kind delete cluster", envfuncs.DestroyCluster(clusterName)),
			step("remove registry and network", cleanDocker),
		)
	}
	os.Exit(testenv.Run(m))
}

// step logs how long each setup step takes, so a slow run says where its time went.
func step(name string, f env.Func) env.Func {
	return func(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
		start := time.Now()
		ctx, err := f(ctx, cfg)
		fmt.Printf("setup: %s: %s\n", name, time.Since(start).Round(100*time.Millisecond))
		if err != nil {
			return ctx, fmt.Errorf("cannot set up %s: %w", name, err)
		}
		return ctx, nil
	}
}

// unavailable says why the kind variant cannot run on this machine, or "" when it can.
func unavailable() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker CLI on PATH (kind needs a Docker engine)"
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Sprintf("no Docker engine answers (docker info: %s)", strings.TrimSpace(string(out)))
	}
	for _, v := range []string{envKind, envHelm, envChart, envCrossplaneCLI, envKubectl, envNetpol, envNodeImage, envRegistryImage,
		envFunctionXpkg, envProviderXpkg, envConfigXpkg} {
		if p := os.Getenv(v); p == "" {
			return v + " is not set: run `make e2e-kind`, which builds the pinned tools, the images and the packages"
		} else if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("%s: %v", v, err)
		}
	}
	for _, v := range []string{envNodeRef, envEtcdTag, envImages, envRegistry, envNetwork, envSubnet, envOut} {
		if os.Getenv(v) == "" {
			return v + " is not set: run `make e2e-kind`"
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

// repoPath is a path relative to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{"..", "..", ".."}, elem...)...)
}

// within bounds every wait of the scenario.
const within = 3 * time.Minute
