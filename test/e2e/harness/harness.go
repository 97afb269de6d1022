// Package harness starts a real control plane on loopback for end-to-end tests: etcd and kube-apiserver
// (through envtest), kube-controller-manager for garbage collection, Crossplane core out of cluster with the
// External package runtime, our composition function as a process over mTLS, and our provider. Every
// component logs to <run dir>/<component>.log, and Stop tears everything down.
package harness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Environment variables that locate the pinned binaries; the Makefile sets them.
const (
	envEtcd                  = "E2E_ETCD"
	envKubeAPIServer         = "E2E_KUBE_APISERVER"
	envKubeControllerManager = "E2E_KUBE_CONTROLLER_MANAGER"
	envCrossplane            = "E2E_CROSSPLANE"
	envCrossplaneCRDs        = "E2E_CROSSPLANE_CRDS"
	envRunDir                = "E2E_RUN_DIR"
)

// FunctionName is the package name Crossplane knows our function by.
const FunctionName = "function-stellar-peers"

const stopGrace = 10 * time.Second

// Options selects the components to start.
type Options struct {
	// Name names the run directory, e.g. the test package.
	Name string
	// CRDDirs are installed into the apiserver before anything else starts, beside Crossplane's CRDs.
	CRDDirs []string
	// ProductCRDs installs the CRDs our packages ship (ProductCRDDirs) the same way, beside CRDDirs.
	ProductCRDs bool
	// ControllerManager starts kube-controller-manager for garbage collection and namespace deletion.
	ControllerManager bool
	// Crossplane starts Crossplane core, with CrossplaneArgs after the harness's own, e.g. the
	// --circuit-breaker-* settings.
	Crossplane     bool
	CrossplaneArgs []string
	// Function builds and serves our composition function and registers it with Crossplane.
	Function bool
	// Provider builds and runs our provider with ProviderArgs.
	Provider     bool
	ProviderArgs []string
	// RealRBAC runs Crossplane and our provider with the permissions a real install gives them instead of as
	// cluster admins: the Crossplane Helm chart's ClusterRoles and bindings (harness/rbac/), our aggregated
	// ClusterRole (examples/rbac/), the RBAC manager (`crossplane rbac start`) beside core, and the provider bound
	// to the system ClusterRole the RBAC manager renders for its package. Needs ControllerManager, which then also
	// aggregates ClusterRoles. Tests keep the admin client (ControlPlane.Client).
	RealRBAC bool
}

// ControlPlane is a running control plane.
type ControlPlane struct {
	// RunDir holds every component's log, kubeconfig and certificates.
	RunDir     string
	Kubeconfig string
	Config     *rest.Config
	Client     client.Client
	// FunctionAddress is where our function serves gRPC.
	FunctionAddress string
	// ProviderMetricsURL is our provider's Prometheus endpoint.
	ProviderMetricsURL string

	env   *envtest.Environment
	procs []*process
	// killed are processes a test killed, kept so they can be started again.
	killed []*process
	// kubeconfigs are the components' own kubeconfigs under RealRBAC, by process name.
	kubeconfigs map[string]string
}

// Start starts the components opts asks for. On error everything already started is stopped.
func Start(ctx context.Context, opts Options) (cp *ControlPlane, err error) {
	bins, err := binaries(opts)
	if err != nil {
		return nil, err
	}
	crdDirs := opts.CRDDirs
	if opts.ProductCRDs {
		product, err := ProductCRDDirs()
		if err != nil {
			return nil, err
		}
		crdDirs = append(product, crdDirs...)
	}
	runDir, err := newRunDir(opts.Name)
	if err != nil {
		return nil, err
	}
	cp = &ControlPlane{RunDir: runDir}
	if err := cp.logClientsTo(cp.LogPath("harness")); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cp.Stop()
			err = fmt.Errorf("%w (logs in %s)", err, runDir)
		}
	}()
	// The components in the order each needs the ones before it.
	steps := []struct {
		wanted bool
		start  func() error
	}{
		{true, func() error { return cp.startAPIServer(bins, crdDirs) }},
		{opts.ControllerManager, func() error {
			return cp.startControllerManager(ctx, bins[envKubeControllerManager], opts.RealRBAC)
		}},
		{opts.RealRBAC, func() error { return cp.setUpRBAC(ctx) }},
		{opts.Function, func() error { return cp.startFunction(ctx) }},
		{opts.Crossplane && opts.RealRBAC, func() error { return cp.startRBACManager(ctx, bins[envCrossplane]) }},
		{opts.Crossplane, func() error { return cp.startCrossplane(ctx, bins[envCrossplane], opts.CrossplaneArgs) }},
		{opts.Function, func() error { return cp.registerFunction(ctx) }},
		{opts.Provider, func() error { return cp.startProvider(ctx, opts.ProviderArgs) }},
	}
	for _, step := range steps {
		if !step.wanted {
			continue
		}
		if err := step.start(); err != nil {
			return cp, err
		}
	}
	return cp, nil
}

// Stop stops every component in reverse order: our processes, then the apiserver before etcd (the other way
// round the apiserver hangs retrying).
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop(stopGrace)
	}
	cp.procs = nil
	if cp.env != nil {
		_ = cp.env.Stop()
		cp.env = nil
	}
}

// LogPath is where the named component writes its log.
func (cp *ControlPlane) LogPath(component string) string {
	return filepath.Join(cp.RunDir, component+".log")
}

// Exited names the components that have exited on their own, for test failure messages.
func (cp *ControlPlane) Exited() []string {
	var names []string
	for _, p := range cp.procs {
		if p.exited() {
			names = append(names, fmt.Sprintf("%s (%v, see %s)", p.name, p.err, p.logPath))
		}
	}
	return names
}

// logClientsTo sends the logs of the harness's own Kubernetes clients to a file: controller-runtime otherwise
// prints a stack trace complaining that no logger is set.
func (cp *ControlPlane) logClientsTo(path string) error {
	f, err := os.Create(path) //nolint:gosec // the harness's own run directory.
	if err != nil {
		return fmt.Errorf("cannot create harness log: %w", err)
	}
	ctrllog.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(f, nil)))
	return nil
}

func binaries(opts Options) (map[string]string, error) {
	if opts.RealRBAC && !opts.ControllerManager {
		return nil, errors.New("cannot run with RealRBAC without ControllerManager: it aggregates Crossplane's ClusterRole")
	}
	want := []string{envEtcd, envKubeAPIServer}
	if opts.ControllerManager {
		want = append(want, envKubeControllerManager)
	}
	if opts.Crossplane {
		want = append(want, envCrossplane, envCrossplaneCRDs)
	}
	bins := map[string]string{}
	var missing []string
	for _, name := range want {
		path := os.Getenv(name)
		if _, err := os.Stat(path); path == "" || err != nil {
			missing = append(missing, name)
			continue
		}
		bins[name] = path
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cannot find %s: run the e2e tests with `make e2e`, which builds the pinned binaries and sets them", strings.Join(missing, ", "))
	}
	return bins, nil
}

func newRunDir(name string) (string, error) {
	base := os.Getenv(envRunDir)
	if base == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		base = filepath.Join(root, "_output", "e2e")
	}
	if name == "" {
		name = "run"
	}
	dir := filepath.Join(base, fmt.Sprintf("%s-%s", name, time.Now().UTC().Format("20060102T150405.000")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create run directory: %w", err)
	}
	return dir, nil
}

// moduleRoot is the directory of our go.mod, found from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("cannot find the module root: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("cannot find the module root: not inside the stellar-peers module")
	}
	return filepath.Dir(mod), nil
}
