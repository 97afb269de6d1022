package harness

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Build compiles one of our commands (a package path relative to the module root, e.g. "./fn") into the run
// directory and returns the binary's path.
func (cp *ControlPlane) Build(pkg, name string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cp.RunDir, "bin", name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

func (cp *ControlPlane) startFunction(ctx context.Context) error {
	if err := cp.ensureCerts(); err != nil {
		return err
	}
	bin, err := cp.Build("./fn", FunctionName)
	if err != nil {
		return err
	}
	return cp.serveFunction(ctx, bin)
}

// RestartFunction stops our function's process and starts it again on the same address.
func (cp *ControlPlane) RestartFunction(ctx context.Context) error {
	for i, p := range cp.procs {
		if p.name != FunctionName {
			continue
		}
		p.stop(stopGrace)
		cp.procs = append(cp.procs[:i], cp.procs[i+1:]...)
		return cp.serveFunction(ctx, p.cmd.Path)
	}
	return fmt.Errorf("cannot restart %s: it is not running", FunctionName)
}

func (cp *ControlPlane) serveFunction(ctx context.Context, bin string) error {
	if cp.FunctionAddress == "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		cp.FunctionAddress = "127.0.0.1:" + strconv.Itoa(port)
	}
	metricsPort, err := freePort()
	if err != nil {
		return err
	}
	args := []string{
		"--address=" + cp.FunctionAddress,
		"--tls-server-certs-dir=" + filepath.Join(cp.RunDir, "certs", "function-server"),
		"--metrics-address=127.0.0.1:" + strconv.Itoa(metricsPort),
		"--debug",
	}
	p, err := startProcess(cp.RunDir, FunctionName, bin, args, nil)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return waitTCP(wctx, p, cp.FunctionAddress)
}

// registerFunction tells Crossplane where our function serves: a paused FunctionRevision, so the package
// manager never tries to pull or run it, whose status carries the endpoint.
func (cp *ControlPlane) registerFunction(ctx context.Context) error {
	_, port, err := net.SplitHostPort(cp.FunctionAddress)
	if err != nil {
		return fmt.Errorf("cannot parse function address: %w", err)
	}
	rev := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "FunctionRevision",
		"metadata": map[string]any{
			"name":        FunctionName + "-e2e",
			"labels":      map[string]any{"pkg.crossplane.io/package": FunctionName},
			"annotations": map[string]any{"crossplane.io/paused": "true"},
		},
		"spec": map[string]any{
			"desiredState": "Active",
			"image":        "xpkg.stellarpeers.io/function-stellar-peers:e2e",
			"revision":     int64(1),
		},
	}}
	if err := cp.Client.Create(ctx, rev); err != nil {
		return fmt.Errorf("cannot create FunctionRevision: %w", err)
	}
	patch := []byte(fmt.Sprintf(`{"status":{"endpoint":"dns:///localhost:%s","capabilities":["composition"]}}`, port))
	if err := cp.Client.Status().Patch(ctx, rev, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		return fmt.Errorf("cannot set the FunctionRevision endpoint: %w", err)
	}
	return nil
}
