//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// The fault tests use their own network (Mainnet), directory, peers ConfigMap and namespaces, so the tests on
// Testnet and Futurenet never see their validators.
const (
	faultsNetwork     = "Mainnet"
	faultsDirectory   = "mainnet-faults"
	faultsCMNamespace = "faults-system"
	faultsCMName      = "mainnet-peers"
)

// TestFaultsConverge injects faults into the simulated validators and into the control plane's processes. Each
// fault phase drops a connection between two validators as the fault starts, so recovering needs the provider to
// act after the fault. (Phases take turns over the pairs: the provider backs off per peer, 10 s doubling up to
// 10 min, for a peer it connected recently, so dropping the same link every few seconds would measure the
// backoff, not the recovery.) After each fault every validator is connected to every other and every PeerSync is
// healthy; and, read continuously from start to end, the directory never lost a desired peer.
func TestFaultsConverge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	faultsSetup(ctx, t)

	var validators []*harness.SimNode
	for _, c := range []struct{ ns, name string }{{"fault-a", "ada"}, {"fault-a", "bert"}, {"fault-b", "cleo"}, {"fault-b", "dune"}} {
		validators = append(validators, faultsAddValidator(ctx, t, c.ns, c.name))
	}
	faultsWaitHealthy(ctx, t, "initial convergence", validators)

	// From here on, the directory must list every validator on every read.
	mon := watchDirectory(ctx, validators)
	defer func() {
		reads, unavailable, lost := mon.stop()
		t.Logf("directory monitor: %d reads (%d failed while the apiserver was down), %d with a desired peer missing", reads, unavailable, len(lost))
		if len(lost) > 0 {
			t.Errorf("the directory lost desired peers %d times; first: %s", len(lost), lost[0])
		}
	}()

	var pairs [][2]*harness.SimNode
	for i := range validators {
		for j := i + 1; j < len(validators); j++ {
			pairs = append(pairs, [2]*harness.SimNode{validators[i], validators[j]})
		}
	}
	phase := 0
	dropPair := func() [2]*harness.SimNode {
		p := pairs[phase%len(pairs)]
		phase++
		p[0].Core.Disconnect(p[1].PeerAddress())
		return p
	}

	survived := 0
	run := func(name string, f func(t *testing.T)) {
		start := time.Now()
		if !t.Run(name, f) {
			t.FailNow()
		}
		survived++
		t.Logf("%s: survived, converged %d ms after the fault started", name, time.Since(start).Milliseconds())
	}

	nodeFaults := []struct {
		name  string
		fault coresim.Fault
	}{
		{name: "Hang", fault: coresim.Fault{Kind: coresim.FaultSlow, Delay: 10 * time.Minute}},
		{name: "ConnectionReset", fault: coresim.Fault{Kind: coresim.FaultReset}},
		{name: "Status503", fault: coresim.Fault{Kind: coresim.FaultStatus, Status: 503}},
		{name: "Status500OnPeers", fault: coresim.Fault{Kind: coresim.FaultStatus, Status: 500, Path: "/peers"}},
		{name: "NotFound", fault: coresim.Fault{Kind: coresim.FaultNotFound}},
		{name: "Exception", fault: coresim.Fault{Kind: coresim.FaultException, Message: "std::runtime_error: injected"}},
		{name: "ExceptionOnConnect", fault: coresim.Fault{Kind: coresim.FaultException, Path: "/connect", Message: "Could not resolve 'x:11625': injected"}},
	}
	for _, nf := range nodeFaults {
		run(nf.name, func(t *testing.T) {
			// Every validator answers badly; the dropped pair needs a /connect, which only its two make.
			hit := validators
			before := requestCounts(validators, nf.fault.Path)
			for _, v := range validators {
				v.Core.InjectFault(nf.fault)
			}
			pair := dropPair()
			if nf.fault.Path == "/connect" {
				hit = pair[:]
			}
			waitNoticed(ctx, t, hit, nf.fault.Path, before)
			assertDirectoryLists(ctx, t, validators)
			for _, v := range validators {
				v.Core.ClearFaults()
			}
			faultsWaitHealthy(ctx, t, nf.name, validators)
		})
	}

	run("BootingBody", func(t *testing.T) {
		dropPair()
		setStates(ctx, t, validators, stellarcore.StateBooting)
		assertDirectoryLists(ctx, t, validators)
		setStates(ctx, t, validators, stellarcore.StateSynced)
		faultsWaitHealthy(ctx, t, "booting", validators)
	})

	run("FlappingStates", func(t *testing.T) {
		for _, s := range []string{stellarcore.StateCatchingUp, stellarcore.StateSynced, stellarcore.StateJoiningSCP, stellarcore.StateConnected, stellarcore.StateSynced, stellarcore.StateStopping, stellarcore.StateBooting} {
			setStates(ctx, t, validators, s)
		}
		dropPair()
		setStates(ctx, t, validators, stellarcore.StateSynced)
		faultsWaitHealthy(ctx, t, "flapping", validators)
	})

	run("NodeRestartsWithEmptyPeerTable", func(t *testing.T) {
		ada := validators[0]
		if err := sims.Stop(ada); err != nil {
			t.Fatal(err)
		}
		waitPeerSync(ctx, t, ada, "unreachable", func(ready, reason, _ string) bool { return ready == "False" && reason == "Unreachable" })
		assertDirectoryLists(ctx, t, validators)
		if err := sims.Restart(ada, stellarcore.StateSynced); err != nil {
			t.Fatal(err)
		}
		faultsWaitHealthy(ctx, t, "node restart", validators)
	})

	run("ProviderKilledMidSync", func(t *testing.T) {
		// The next /connect anywhere hangs, so the provider is killed with a request in flight.
		before := requestCounts(validators, "/connect")
		for _, v := range validators {
			v.Core.InjectFault(coresim.Fault{Kind: coresim.FaultSlow, Path: "/connect", Delay: 10 * time.Minute, Times: 1})
		}
		pair := dropPair()
		faultsWaitFor(ctx, t, "the provider calls /connect on the dropped pair", func(context.Context) (bool, string, error) {
			now := requestCounts(pair[:], "/connect")
			return now[pair[0]] > before[pair[0]] || now[pair[1]] > before[pair[1]], "no /connect yet", nil
		})
		if err := cp.KillProvider(); err != nil {
			t.Fatal(err)
		}
		assertDirectoryLists(ctx, t, validators)
		for _, v := range validators {
			v.Core.ClearFaults()
		}
		if err := cp.StartProvider(ctx); err != nil {
			failWithLogs(t, "%v", err)
		}
		faultsWaitHealthy(ctx, t, "provider restart", validators)
	})

	run("FunctionRestartedWhileAValidatorJoins", func(t *testing.T) {
		fern, err := sims.Start("fault-b", "fern", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.Apply(ctx, fern.Claim("Validator", faultsNetwork)); err != nil {
			failWithLogs(t, "%v", err)
		}
		if err := cp.RestartFunction(ctx); err != nil {
			failWithLogs(t, "%v", err)
		}
		validators = append(validators, fern)
		faultsWaitHealthy(ctx, t, "function restart", validators)
		mon.require(fern)
	})

	run("APIServerRestarted", func(t *testing.T) {
		dropPair()
		if err := cp.RestartAPIServer(ctx); err != nil {
			failWithLogs(t, "%v", err)
		}
		faultsWaitHealthy(ctx, t, "apiserver restart", validators)
		// Watches are re-established: a validator that joins now is published and connected.
		gil, err := sims.Start("fault-b", "gil", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.Apply(ctx, gil.Claim("Validator", faultsNetwork)); err != nil {
			failWithLogs(t, "%v", err)
		}
		validators = append(validators, gil)
		faultsWaitHealthy(ctx, t, "join after apiserver restart", validators)
		mon.require(gil)
	})

	t.Logf("faults survived: %d; validators at the end: %d", survived, len(validators))
	if dead := cp.Exited(); len(dead) > 0 {
		t.Errorf("components exited: %v", dead)
	}
}

// faultsSetup applies the namespaces and the Mainnet directory, and removes the claims and the directory when the
// test ends.
func faultsSetup(ctx context.Context, t *testing.T) {
	t.Helper()
	setUpDirectory(ctx, t, faultsDirectory, map[string]any{
		"network":   faultsNetwork,
		"configMap": map[string]any{"namespace": faultsCMNamespace, "name": faultsCMName},
	}, faultsCMNamespace, "fault-a", "fault-b")
	// Cleanups run last first: the claims are deleted before their directory.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, n := range sims.Nodes() {
			if strings.HasPrefix(n.Namespace, "fault-") {
				_ = cp.Delete(ctx, claimGVK, n.Namespace, n.Name)
			}
		}
	})
}

func faultsAddValidator(ctx context.Context, t *testing.T, namespace, name string) *harness.SimNode {
	t.Helper()
	n, err := sims.Start(namespace, name, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Apply(ctx, n.Claim("Validator", faultsNetwork)); err != nil {
		failWithLogs(t, "%v", err)
	}
	return n
}

// faultsWaitHealthy waits until the directory lists exactly the validators, every validator is connected to
// every other, and every PeerSync is Ready and Synced with nothing missing.
func faultsWaitHealthy(ctx context.Context, t *testing.T, what string, validators []*harness.SimNode) {
	t.Helper()
	err := harness.Eventually(ctx, 2*time.Minute, func(ctx context.Context) (bool, string, error) {
		txt, err := directoryPeers(ctx)
		if err != nil {
			return false, "", err
		}
		if want := wantPeersTxt(validators); txt != want {
			return false, fmt.Sprintf("peers.txt = %q, want %q", txt, want), nil
		}
		for _, a := range validators {
			for _, b := range validators {
				if a != b && !a.ConnectedTo(b) {
					return false, fmt.Sprintf("%s/%s is not connected to %s/%s: %+v", a.Namespace, a.Name, b.Namespace, b.Name, a.Core.Peers()), nil
				}
			}
		}
		for _, v := range validators {
			if ok, why, err := peerSyncHealthy(ctx, v); !ok || err != nil {
				return false, why, err
			}
		}
		return true, "", nil
	})
	if err != nil {
		failWithLogs(t, "%s: the validators did not converge: %v", what, err)
	}
}

func directoryPeers(ctx context.Context) (string, error) {
	cm, err := cp.Get(ctx, configMapGVK, faultsCMNamespace, faultsCMName)
	if err != nil {
		return "", err
	}
	txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt")
	return txt, nil
}

// wantPeersTxt is peers.txt listing validators, sorted by (namespace, name) as the directory sorts them.
func wantPeersTxt(validators []*harness.SimNode) string {
	sorted := slices.Clone(validators)
	slices.SortFunc(sorted, func(a, b *harness.SimNode) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	var b strings.Builder
	for _, v := range sorted {
		fmt.Fprintf(&b, "%s:%d\n", v.Host(), harness.PeerPort)
	}
	return b.String()
}

func faultsWaitFor(ctx context.Context, t *testing.T, what string, check func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	if err := harness.Eventually(ctx, 90*time.Second, check); err != nil {
		failWithLogs(t, "%s: %v", what, err)
	}
}

// assertDirectoryLists checks, once, that the directory lists every validator.
func assertDirectoryLists(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	txt, err := directoryPeers(ctx)
	if err != nil {
		t.Fatalf("cannot read the directory: %v", err)
	}
	for _, v := range validators {
		if !strings.Contains(txt, v.Host()) {
			t.Errorf("during the fault the directory lost %s/%s: %q", v.Namespace, v.Name, txt)
		}
	}
}

// requestCounts counts each validator's requests to path ("" is every path).
func requestCounts(validators []*harness.SimNode, path string) map[*harness.SimNode]int {
	m := map[*harness.SimNode]int{}
	for _, v := range validators {
		if path == "" {
			m[v] = len(v.Core.Requests())
		} else {
			m[v] = len(v.Core.RequestsTo(path))
		}
	}
	return m
}

// waitNoticed waits until the provider has sent each validator a request that hit the fault and reports the
// PeerSync as not healthy.
func waitNoticed(ctx context.Context, t *testing.T, validators []*harness.SimNode, path string, before map[*harness.SimNode]int) {
	t.Helper()
	for _, v := range validators {
		faultsWaitFor(ctx, t, fmt.Sprintf("the provider meets the fault on %s/%s", v.Namespace, v.Name), func(ctx context.Context) (bool, string, error) {
			if n := requestCounts([]*harness.SimNode{v}, path)[v]; n <= before[v] {
				return false, fmt.Sprintf("no request to %q since the fault", path), nil
			}
			ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
			if err != nil {
				return false, "", err
			}
			ready, reason, _ := harness.ConditionStatus(ps, "Ready")
			synced, _, msg := harness.ConditionStatus(ps, "Synced")
			return ready != "True" || synced != "True", fmt.Sprintf("PeerSync Ready=%s (%s) Synced=%s (%s)", ready, reason, synced, msg), nil
		})
	}
}

// setStates puts every validator in core state s and waits until each PeerSync reports it.
func setStates(ctx context.Context, t *testing.T, validators []*harness.SimNode, s string) {
	t.Helper()
	for _, v := range validators {
		v.Core.SetState(s)
	}
	for _, v := range validators {
		waitPeerSync(ctx, t, v, "state "+s, func(_, _, state string) bool { return state == s })
	}
}

// waitPeerSync waits until ok accepts the PeerSync's Ready status and reason and its observed core state.
func waitPeerSync(ctx context.Context, t *testing.T, v *harness.SimNode, what string, ok func(ready, reason, state string) bool) {
	t.Helper()
	faultsWaitFor(ctx, t, fmt.Sprintf("PeerSync %s/%s: %s", v.Namespace, v.Name, what), func(ctx context.Context) (bool, string, error) {
		ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
		if err != nil {
			return false, "", err
		}
		ready, reason, _ := harness.ConditionStatus(ps, "Ready")
		state, _, _ := unstructured.NestedString(ps.Object, "status", "atProvider", "state")
		return ok(ready, reason, state), fmt.Sprintf("Ready=%s (%s), state %q", ready, reason, state), nil
	})
}

// directoryMonitor reads the directory continuously and records every read that misses a required validator.
type directoryMonitor struct {
	mu          sync.Mutex
	required    []*harness.SimNode
	reads       int
	unavailable int
	lost        []string
	cancel      context.CancelFunc
	done        chan struct{}
}

func watchDirectory(ctx context.Context, validators []*harness.SimNode) *directoryMonitor {
	ctx, cancel := context.WithCancel(ctx)
	m := &directoryMonitor{required: append([]*harness.SimNode(nil), validators...), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			txt, err := directoryPeers(rctx)
			rcancel()
			m.mu.Lock()
			switch {
			case ctx.Err() != nil:
			case err != nil:
				m.unavailable++
			default:
				m.reads++
				for _, v := range m.required {
					if !strings.Contains(txt, v.Host()+":") {
						m.lost = append(m.lost, fmt.Sprintf("%s/%s missing from %q at %s", v.Namespace, v.Name, txt, time.Now().Format(time.RFC3339Nano)))
					}
				}
			}
			m.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return m
}

// require adds a validator that, from now on, must always be listed.
func (m *directoryMonitor) require(v *harness.SimNode) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.required = append(m.required, v)
}

func (m *directoryMonitor) stop() (reads, unavailable int, lost []string) {
	m.cancel()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads + m.unavailable, m.unavailable, m.lost
}
