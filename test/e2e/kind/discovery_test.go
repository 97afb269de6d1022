//go:build kind

package kind

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// TestDiscoveryLoop is test/e2e's TestDiscoveryLoop on a real cluster: validator claims in two namespaces and a
// watcher, one directory. The peers ConfigMap lists exactly the validators, each validator's stellar-core.cfg lists
// the others, the provider's pod connects every desired pair through the cores' admin ports over cluster DNS with no
// redundant connect, and every PeerSync is Ready. A fourth validator joins live and the loop converges; a claim
// deleted takes its composed resources with it.
func TestDiscoveryLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	if err := cp.Apply(ctx, fixtures("team-a", "team-b")...); err != nil {
		t.Fatal(err)
	}
	validators := []node{{"team-a", "alice", "Validator"}, {"team-a", "bob", "Validator"}, {"team-b", "carol", "Validator"}}
	watcher := node{"team-b", "walter", "Watcher"}
	relay, err := startRelay(ctx, append(slices.Clone(validators), watcher)...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, n := range append(slices.Clone(validators), watcher) {
		if err := n.create(ctx); err != nil {
			t.Fatal(err)
		}
	}
	assertDirectory(ctx, t, validators)
	assertNodeConfigs(ctx, t, validators)
	waitConverged(ctx, t, validators)
	t.Logf("first sync: %s from the claims to every validator connected", time.Since(start).Round(time.Millisecond))
	assertPeerSyncsHealthy(ctx, t, append(slices.Clone(validators), watcher))
	assertNeverDialed(ctx, t, validators, watcher)
	assertNoRedundantConnects(ctx, t, append(slices.Clone(validators), watcher))
	logTable(ctx, t, "3 validators in 2 namespaces and a watcher, each a StatefulSet of the simulated stellar-core", append(slices.Clone(validators), watcher))

	// A fourth validator joins: it appears in the directory and every config, and the live cores connect to it.
	dave := node{"team-b", "dave", "Validator"}
	start = time.Now()
	if err := dave.create(ctx); err != nil {
		t.Fatal(err)
	}
	validators = append(validators, dave)
	relay.add(dave)
	assertDirectory(ctx, t, validators)
	assertNodeConfigs(ctx, t, validators)
	waitConverged(ctx, t, validators)
	t.Logf("convergence: %d ms (claim created -> pod running, listed everywhere, every validator connected to it)", time.Since(start).Milliseconds())
	assertPeerSyncsHealthy(ctx, t, validators)
	assertNoRedundantConnects(ctx, t, append(slices.Clone(validators), watcher))
	logTable(ctx, t, "a validator added live: team-b/dave", append(slices.Clone(validators), watcher))

	// A claim deleted: its composed resources are garbage-collected and the directory drops it.
	carol := validators[2]
	if err := cp.Delete(ctx, claimGVK, carol.namespace, carol.name); err != nil {
		t.Fatal(err)
	}
	assertGarbageCollected(ctx, t, carol)
	assertDirectory(ctx, t, slices.Delete(slices.Clone(validators), 2, 3))
	if n := relay.failures(); n != 0 {
		t.Errorf("the relay could not tell %d connections to their far end", n)
	}
}

// assertDirectory checks the peers ConfigMap lists exactly the validators, sorted by (namespace, name), at the host
// names their claims publish.
func assertDirectory(ctx context.Context, t *testing.T, validators []node) {
	t.Helper()
	sorted := slices.Clone(validators)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].String() < sorted[j].String() })
	err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		var want strings.Builder
		for _, v := range sorted {
			host, err := v.host(ctx)
			if err != nil {
				return false, err.Error(), nil
			}
			fmt.Fprintf(&want, "%s:%d\n", host, peerPort)
		}
		return cp.PeersConfigMapIs(ctx, "stellar-system", "stellar-peers", want.String(), len(validators))
	})
	if err != nil {
		t.Fatalf("peers ConfigMap: %v", err)
	}
}

// assertNodeConfigs checks each validator's stellar-core.cfg lists every other validator and not itself.
func assertNodeConfigs(ctx context.Context, t *testing.T, validators []node) {
	t.Helper()
	for _, v := range validators {
		err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
			cm, err := cp.Get(ctx, configMapGVK, v.namespace, v.name+"-stellar-core")
			if err != nil {
				return false, err.Error(), nil
			}
			cfg, _, _ := unstructured.NestedString(cm.Object, "data", "stellar-core.cfg")
			known, err := harness.KnownPeers(cfg)
			if err != nil {
				return false, "", err
			}
			for _, other := range validators {
				host, err := other.host(ctx)
				if err != nil {
					return false, err.Error(), nil
				}
				entry := fmt.Sprintf("%s:%d", host, peerPort)
				if listed := slices.Contains(known, entry); listed != (other != v) {
					return false, fmt.Sprintf("%s config lists %s: %v, want %v", v, entry, listed, other != v), nil
				}
			}
			return true, "", nil
		})
		if err != nil {
			t.Fatalf("stellar-core.cfg: %v", err)
		}
	}
}

// waitConverged waits until every pair of validators is connected: one side's simulated core shows the other's
// pod address as an authenticated outbound peer. The cores never dial, so a pair's connection shows on the side
// the provider told to connect; by the node step's pairing that is one side, the other waits.
func waitConverged(ctx context.Context, t *testing.T, validators []node) {
	t.Helper()
	err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		out := map[node][]string{}
		ips := map[node]string{}
		for _, v := range validators {
			ip, err := v.podIP(ctx)
			if err != nil || ip == "" {
				return false, fmt.Sprintf("%s has no pod IP yet (%v)", v, err), nil
			}
			ips[v] = ip
			s, err := v.simState(ctx)
			if err != nil {
				return false, err.Error(), nil
			}
			out[v] = s.Peers.AuthenticatedOutbound
		}
		for i, a := range validators {
			for _, b := range validators[i+1:] {
				ab := slices.Contains(out[a], fmt.Sprintf("%s:%d", ips[b], peerPort))
				ba := slices.Contains(out[b], fmt.Sprintf("%s:%d", ips[a], peerPort))
				if !ab && !ba {
					return false, fmt.Sprintf("%s and %s are not connected: %s has %v, %s has %v", a, b, a, out[a], b, out[b]), nil
				}
			}
		}
		return true, "", nil
	})
	if err != nil {
		t.Fatalf("validators did not converge: %v", err)
	}
}

// assertPeerSyncsHealthy checks each node's PeerSync is Ready and Synced with no desired peer missing.
func assertPeerSyncsHealthy(ctx context.Context, t *testing.T, nodes []node) {
	t.Helper()
	for _, n := range nodes {
		err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
			ps, err := cp.Get(ctx, peerSyncGVK, n.namespace, n.name)
			if err != nil {
				return false, err.Error(), nil
			}
			ready, reason, msg := harness.ConditionStatus(ps, "Ready")
			synced, _, syncMsg := harness.ConditionStatus(ps, "Synced")
			missing, _, _ := unstructured.NestedStringSlice(ps.Object, "status", "atProvider", "missing")
			if ready != "True" || synced != "True" || len(missing) != 0 {
				return false, fmt.Sprintf("PeerSync %s: Ready=%s (%s: %s), Synced=%s (%s), missing %v", n, ready, reason, msg, synced, syncMsg, missing), nil
			}
			return true, "", nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// assertNeverDialed checks no validator was told to connect to the watcher: it is never listed.
func assertNeverDialed(ctx context.Context, t *testing.T, validators []node, watcher node) {
	t.Helper()
	host, err := watcher.host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := watcher.podIP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range validators {
		s, err := v.simState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Connects {
			if c.Peer == host || c.Peer == ip {
				t.Errorf("%s was told to connect to the watcher %s (%s)", v, watcher, c.Peer)
			}
		}
	}
}

// assertNoRedundantConnects checks no core was told to connect to a peer it was already connected to or
// connecting with: stellar-core logs an ERROR for each.
func assertNoRedundantConnects(ctx context.Context, t *testing.T, nodes []node) {
	t.Helper()
	total := 0
	for _, n := range nodes {
		s, err := n.simState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.AlreadyConnectedErrors != 0 || s.DroppedConnects != 0 {
			t.Errorf("%s: %d connects for peers already connected or pending, %d dropped", n, s.AlreadyConnectedErrors, s.DroppedConnects)
		}
		total += len(s.Connects)
	}
	t.Logf("connects for peers already connected or pending: 0 (of %d connects)", total)
}

// assertGarbageCollected waits until the deleted claim's composed resources are gone.
func assertGarbageCollected(ctx context.Context, t *testing.T, n node) {
	t.Helper()
	gone := []struct {
		gvk  schema.GroupVersionKind
		name string
	}{
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}, n.name},
		{schema.GroupVersionKind{Version: "v1", Kind: "Service"}, n.name},
		{configMapGVK, n.name + "-stellar-core"},
		{schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}, n.name + "-stellar-core"},
		{peerSyncGVK, n.name},
		{podGVK, n.pod()},
	}
	err := harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		for _, g := range gone {
			_, err := cp.Get(ctx, g.gvk, n.namespace, g.name)
			if err == nil {
				return false, fmt.Sprintf("%s %s/%s still exists", g.gvk.Kind, n.namespace, g.name), nil
			}
			if !kerrors.IsNotFound(err) {
				return false, "", err
			}
		}
		return true, "", nil
	})
	if err != nil {
		t.Fatalf("%s not garbage-collected: %v", n, err)
	}
}
