package harness

import (
	"context"
	"fmt"
	"strconv"
)

// ProviderName is the name of our provider's binary and log.
const ProviderName = "provider-stellar-core"

// startProvider builds and runs our provider against the apiserver. --loopback-only-dial makes its dialer refuse
// every non-loopback address, a safety net under the allowlist: no test can send a packet off this machine.
func (cp *ControlPlane) startProvider(ctx context.Context, extraArgs []string) error {
	bin, err := cp.Build("./provider", ProviderName)
	if err != nil {
		return err
	}
	metricsPort, err := freePort()
	if err != nil {
		return err
	}
	healthPort, err := freePort()
	if err != nil {
		return err
	}
	args := append([]string{
		"--debug",
		"--loopback-only-dial",
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metricsPort),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(healthPort),
	}, extraArgs...)
	p, err := startProcess(cp.RunDir, ProviderName, bin, args, []string{"KUBECONFIG=" + cp.Kubeconfig})
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	return waitHealthy(ctx, p, fmt.Sprintf("http://127.0.0.1:%d/healthz", healthPort))
}
