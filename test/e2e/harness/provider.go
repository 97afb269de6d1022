package harness

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
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
	p, err := startProcess(cp.RunDir, ProviderName, bin, args, []string{"KUBECONFIG=" + cp.kubeconfigOf(ProviderName)})
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	cp.ProviderMetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	return waitHealthy(ctx, p, fmt.Sprintf("http://127.0.0.1:%d/healthz", healthPort))
}

// KillProvider kills our provider with SIGKILL, as an OOM kill or a lost node would: no graceful shutdown, requests
// in flight are cut. StartProvider starts it again.
func (cp *ControlPlane) KillProvider() error {
	for i, p := range cp.procs {
		if p.name != ProviderName {
			continue
		}
		if !p.exited() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		cp.killed = append(cp.killed, p)
		cp.procs = append(cp.procs[:i], cp.procs[i+1:]...)
		return nil
	}
	return fmt.Errorf("cannot kill %s: it is not running", ProviderName)
}

// StartProvider starts the provider KillProvider killed, with the same binary and arguments (so the same ports),
// and waits until it is healthy. Its log continues in the same file.
func (cp *ControlPlane) StartProvider(ctx context.Context) error {
	for i, old := range cp.killed {
		if old.name != ProviderName {
			continue
		}
		cp.killed = append(cp.killed[:i], cp.killed[i+1:]...)
		args := old.cmd.Args[1:]
		health := ""
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--health-probe-bind-address="); ok {
				health = v
			}
		}
		p, err := startProcess(cp.RunDir, ProviderName, old.cmd.Path, args, []string{"KUBECONFIG=" + cp.kubeconfigOf(ProviderName)})
		if err != nil {
			return err
		}
		cp.procs = append(cp.procs, p)
		return waitHealthy(ctx, p, "http://"+health+"/healthz")
	}
	return fmt.Errorf("cannot start %s: it was not killed", ProviderName)
}
