//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// cp is the control plane every test in this package shares; starting one takes about 15 s. sims are the
// simulated stellar-core nodes the provider talks to.
var (
	cp   *harness.ControlPlane
	sims *harness.SimNetwork
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	simDir, err := os.MkdirTemp("", "stellar-sims-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(simDir) //nolint:errcheck // a temporary folder.
	sims, err = harness.NewSimNetwork(simDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sims.Close()
	start := time.Now()
	cp, err = harness.Start(ctx, harness.Options{
		Name:              "e2e",
		ControllerManager: true,
		Crossplane:        true,
		Function:          true,
		Provider:          true,
		ProviderArgs:      []string{"--poll=1s", "--static-hosts=" + sims.HostsFile},
		ProductCRDs:       true,
		// Crossplane and the provider run with the permissions a real install gives them, not as cluster admins.
		RealRBAC: true,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the control plane: %v\n", err)
		return 1
	}
	defer cp.Stop()
	if err := cp.InstallProduct(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "cannot install the product: %v (logs in %s)\n", err, cp.RunDir)
		return 1
	}
	if err := cp.Apply(ctx, harness.LoopbackProviderConfig()); err != nil {
		fmt.Fprintf(os.Stderr, "cannot apply the ClusterProviderConfig: %v\n", err)
		return 1
	}
	fmt.Printf("control plane up in %s; logs in %s\n", time.Since(start).Round(time.Millisecond), cp.RunDir)
	code := m.Run()
	if code != 0 {
		fmt.Printf("component logs: %s\n", cp.RunDir)
	}
	return code
}

// repoPath is a path relative to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{"..", ".."}, elem...)...)
}

// failWithLogs ends a test, pointing at the component logs and naming any component that died.
func failWithLogs(t *testing.T, format string, args ...any) {
	t.Helper()
	if dead := cp.Exited(); len(dead) > 0 {
		t.Errorf("components exited: %v", dead)
	}
	if denied := cp.Denials(context.Background()); len(denied) > 0 {
		t.Errorf("requests denied by RBAC:\n%s", strings.Join(denied, "\n"))
	}
	t.Fatalf(format+" (component logs in %s)", append(args, cp.RunDir)...)
}
