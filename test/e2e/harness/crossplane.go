package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CrossplaneNamespace is where Crossplane looks for package revisions and writes its own objects.
const CrossplaneNamespace = "crossplane-system"

func (cp *ControlPlane) startCrossplane(ctx context.Context, bin string, extraArgs []string) error {
	if err := cp.ensureNamespace(ctx, CrossplaneNamespace); err != nil {
		return err
	}
	clientCerts := filepath.Join(cp.RunDir, "certs", "crossplane-client")
	if err := cp.ensureCerts(); err != nil {
		return err
	}
	ports := make([]int, 3)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	webhookPort, metricsPort, healthPort := ports[0], ports[1], ports[2]
	args := []string{
		"core", "start",
		"--package-runtime=External",
		"--xpkg-cache-dir=" + filepath.Join(cp.RunDir, "xpkg-cache"),
		"--tls-client-certs-dir=" + clientCerts,
		"--webhook-port=" + strconv.Itoa(webhookPort),
		"--metrics-port=" + strconv.Itoa(metricsPort),
		"--health-probe-port=" + strconv.Itoa(healthPort),
		"--debug",
	}
	args = append(args, extraArgs...)
	env := []string{"KUBECONFIG=" + cp.kubeconfigOf("crossplane"), "ENABLE_WEBHOOKS=false", "POD_NAMESPACE=" + CrossplaneNamespace}
	p, err := startProcess(cp.RunDir, "crossplane", bin, args, env)
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	return waitHealthy(ctx, p, fmt.Sprintf("http://127.0.0.1:%d/healthz", healthPort))
}

// waitHealthy polls a loopback health endpoint until it answers 200.
func waitHealthy(ctx context.Context, p *process, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("cannot build health request: %w", err)
		}
		if resp, err := hc.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("%s exited before becoming healthy (see %s): %w", p.name, p.logPath, p.exitError())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not become healthy at %s: %w; see %s", p.name, url, ctx.Err(), p.logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (cp *ControlPlane) ensureNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := cp.Client.Create(ctx, ns); err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create namespace %s: %w", name, err)
	}
	return nil
}

// ensureCerts writes the mTLS material shared by the function server and Crossplane's client once per run.
func (cp *ControlPlane) ensureCerts() error {
	server := filepath.Join(cp.RunDir, "certs", "function-server")
	client := filepath.Join(cp.RunDir, "certs", "crossplane-client")
	if _, err := os.Stat(filepath.Join(server, "tls.crt")); err == nil {
		return nil
	}
	return writeMTLSCerts(server, client)
}

// CircuitBreakerOpenings counts how often Crossplane's watch circuit breaker held back reconciles of the named XR,
// from Crossplane's own log (it logs "Circuit breaker is open" each time it drops or delays an event).
func (cp *ControlPlane) CircuitBreakerOpenings(xrName string) (int, error) {
	return cp.countXRLog(xrName, "Circuit breaker is open")
}

// Reconciles counts Crossplane's reconciles of the named XR so far, from its debug log.
func (cp *ControlPlane) Reconciles(xrName string) (int, error) {
	return cp.countXRLog(xrName, "\tReconciling\t")
}

// countXRLog counts the lines of Crossplane's log about the named XR that contain message.
func (cp *ControlPlane) countXRLog(xrName, message string) (int, error) {
	data, err := os.ReadFile(cp.LogPath("crossplane"))
	if err != nil {
		return 0, fmt.Errorf("cannot read the Crossplane log: %w", err)
	}
	needle := `"request": {"name":"` + xrName + `"}`
	count := 0
	for line := range strings.Lines(string(data)) {
		if strings.Contains(line, message) && strings.Contains(line, needle) {
			count++
		}
	}
	return count, nil
}
