package harness

import (
	"context"
	"fmt"
	"strings"
)

// RestartCrossplane stops Crossplane core and starts it again with the same arguments, as a Crossplane pod
// restart would. Its in-memory state goes with it, the watch circuit breakers included, so each end-to-end
// scenario can start from the state a fresh install has.
func (cp *ControlPlane) RestartCrossplane(ctx context.Context) error {
	for i, old := range cp.procs {
		if old.name != "crossplane" {
			continue
		}
		old.stop(stopGrace)
		cp.procs = append(cp.procs[:i], cp.procs[i+1:]...)
		var env []string
		for _, kv := range old.cmd.Env {
			for _, key := range []string{"KUBECONFIG=", "ENABLE_WEBHOOKS=", "POD_NAMESPACE="} {
				if strings.HasPrefix(kv, key) {
					env = append(env, kv)
				}
			}
		}
		health := ""
		for _, a := range old.cmd.Args[1:] {
			if v, ok := strings.CutPrefix(a, "--health-probe-port="); ok {
				health = v
			}
		}
		p, err := startProcess(cp.RunDir, old.name, old.cmd.Path, old.cmd.Args[1:], env)
		if err != nil {
			return err
		}
		cp.procs = append(cp.procs, p)
		return waitHealthy(ctx, p, fmt.Sprintf("http://127.0.0.1:%s/healthz", health))
	}
	return fmt.Errorf("cannot restart Crossplane: it is not running")
}
