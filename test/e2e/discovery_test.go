//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/argocd"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var peerSyncGVK = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "PeerSync"}

// TestDiscoveryLoop: validator claims in two namespaces and a watcher, one directory. The peers ConfigMap lists
// exactly the validators, each validator's stellar-core.cfg lists the others, and every simulated node ends up
// connected to every other with no redundant connect. Then a fourth validator joins live.
func TestDiscoveryLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	defer beginScenario(ctx, t, "testnet")()

	objs, err := harness.LoadObjects("testdata/discovery.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Apply(ctx, objs...); err != nil {
		failWithLogs(t, "%v", err)
	}
	var validators []*harness.SimNode
	for _, c := range []struct{ ns, name string }{{"team-a", "alice"}, {"team-a", "bob"}, {"team-b", "carol"}} {
		n, err := sims.Start(c.ns, c.name, "")
		if err != nil {
			t.Fatal(err)
		}
		validators = append(validators, n)
	}
	watcher, err := sims.Start("team-b", "walter", "")
	if err != nil {
		t.Fatal(err)
	}
	claims := []*unstructured.Unstructured{watcher.Claim("Watcher", "Testnet")}
	for _, v := range validators {
		claims = append(claims, v.Claim("Validator", "Testnet"))
	}
	// All at once, as an Argo CD sync applies them. beginScenario fails the test if Crossplane's circuit breaker
	// held the directory back meanwhile.
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}

	waitConverged(ctx, t, validators)
	assertDirectory(ctx, t, validators)
	assertNodeConfigs(ctx, t, validators)
	assertNoRedundantConnects(t, append(validators, watcher))
	assertNeverDialed(t, validators, watcher)
	assertPeerSyncsHealthy(ctx, t, validators)

	// A fourth validator joins at once: it appears everywhere and the live nodes connect to it, without restarts.
	dave, err := sims.Start("team-b", "dave", "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cp.Apply(ctx, dave.Claim("Validator", "Testnet")); err != nil {
		failWithLogs(t, "%v", err)
	}
	validators = append(validators, dave)
	waitConverged(ctx, t, validators)
	assertDirectory(ctx, t, validators)
	assertNodeConfigs(ctx, t, validators)
	t.Logf("convergence: %d ms (claim created -> listed in the directory and every validator's config, every validator connected to it)", time.Since(start).Milliseconds())
	assertNoRedundantConnects(t, append(validators, watcher))

	// What Argo CD shows for a converged validator's PeerSync and the directory. Its claim and composite stay
	// Progressing: Crossplane 2.4 counts a composed resource ready only when the function says READY_TRUE, and the
	// node step leaves the PeerSync's readiness unspecified.
	assertArgoHealth(ctx, t, peerSyncGVK, "team-a", "alice", argocd.Healthy, "peersync-ready", "all validators connected")
	assertArgoHealth(ctx, t, directoryGVK, "", "testnet", argocd.Healthy, "directory-ready", "all validators connected")
}

// waitConverged waits until every validator is connected to every other.
func waitConverged(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	err := harness.Eventually(ctx, 90*time.Second, func(context.Context) (bool, string, error) {
		for _, a := range validators {
			for _, b := range validators {
				if a != b && !a.ConnectedTo(b) {
					return false, fmt.Sprintf("%s/%s is not connected to %s/%s: %+v", a.Namespace, a.Name, b.Namespace, b.Name, a.Core.Peers()), nil
				}
			}
		}
		return true, "", nil
	})
	if err != nil {
		failWithLogs(t, "validators did not converge: %v", err)
	}
}

// assertDirectory checks the peers ConfigMap lists exactly the validators, sorted by (namespace, name).
func assertDirectory(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	sorted := slices.Clone(validators)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Namespace != sorted[j].Namespace {
			return sorted[i].Namespace < sorted[j].Namespace
		}
		return sorted[i].Name < sorted[j].Name
	})
	var want strings.Builder
	for _, v := range sorted {
		fmt.Fprintf(&want, "%s:%d\n", v.Host(), harness.PeerPort)
	}
	err := harness.Eventually(ctx, 30*time.Second, func(ctx context.Context) (bool, string, error) {
		return cp.PeersConfigMapIs(ctx, "stellar-system", "stellar-peers", want.String(), len(validators))
	})
	if err != nil {
		failWithLogs(t, "peers ConfigMap: %v", err)
	}
}

// assertNodeConfigs checks each validator's stellar-core.cfg lists every other validator and not itself.
func assertNodeConfigs(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	for _, v := range validators {
		err := harness.Eventually(ctx, 30*time.Second, func(ctx context.Context) (bool, string, error) {
			cm, err := cp.Get(ctx, configMapGVK, v.Namespace, v.Name+"-stellar-core")
			if err != nil {
				return false, "", err
			}
			cfg, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
			known, err := harness.KnownPeers(cfg)
			if err != nil {
				return false, "", err
			}
			for _, other := range validators {
				entry := fmt.Sprintf("%s:%d", other.Host(), harness.PeerPort)
				if listed := slices.Contains(known, entry); listed != (other != v) {
					return false, fmt.Sprintf("%s/%s config lists %s: %v, want %v:\n%s", v.Namespace, v.Name, entry, listed, other != v, cfg), nil
				}
			}
			return true, "", nil
		})
		if err != nil {
			failWithLogs(t, "stellar-core.cfg: %v", err)
		}
	}
}

// peerSyncHealthy reports whether the node's PeerSync is Ready and Synced with no desired peer missing, and if not,
// why.
func peerSyncHealthy(ctx context.Context, v *harness.SimNode) (bool, string, error) {
	ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
	if err != nil {
		return false, "", err
	}
	ready, reason, msg := harness.ConditionStatus(ps, "Ready")
	synced, _, syncMsg := harness.ConditionStatus(ps, "Synced")
	missing, _, _ := unstructured.NestedStringSlice(ps.Object, "status", "atProvider", "missing")
	if ready != "True" || synced != "True" || len(missing) != 0 {
		return false, fmt.Sprintf("PeerSync %s/%s: Ready=%s (%s: %s), Synced=%s (%s), missing %v", v.Namespace, v.Name, ready, reason, msg, synced, syncMsg, missing), nil
	}
	return true, "", nil
}

// assertPeerSyncsHealthy checks each validator's PeerSync says Ready and Synced, with every desired peer present.
func assertPeerSyncsHealthy(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	for _, v := range validators {
		err := harness.Eventually(ctx, 30*time.Second, func(ctx context.Context) (bool, string, error) {
			return peerSyncHealthy(ctx, v)
		})
		if err != nil {
			failWithLogs(t, "%v", err)
		}
	}
}

// assertNeverDialed checks no node was told to connect to a node that is not a peer (a watcher, say): it is
// never listed, so nothing should ever dial it, while it may itself connect to the validators.
func assertNeverDialed(t *testing.T, nodes []*harness.SimNode, notPeer *harness.SimNode) {
	t.Helper()
	for _, n := range nodes {
		for _, r := range n.Core.RequestsTo("/connect") {
			if r.Query["peer"] == notPeer.PeerIP || r.Query["peer"] == notPeer.Host() {
				t.Errorf("%s/%s was told to connect to %s/%s, which is not a peer", n.Namespace, n.Name, notPeer.Namespace, notPeer.Name)
			}
		}
	}
}

// assertNoRedundantConnects checks no node was told to connect to a peer it already had: core logs an ERROR.
func assertNoRedundantConnects(t *testing.T, nodes []*harness.SimNode) {
	t.Helper()
	for _, n := range nodes {
		if got := n.Core.AlreadyConnectedErrors(); got != 0 {
			t.Errorf("%s/%s received %d connects for peers already connected or pending", n.Namespace, n.Name, got)
		}
	}
}
