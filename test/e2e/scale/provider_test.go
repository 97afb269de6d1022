//go:build scale

package scale

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	fnv1alpha1 "github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/rendezvous"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

var peerSyncListGVK = schema.GroupVersionKind{Group: "core.stellarpeers.io", Version: "v1alpha1", Kind: "PeerSyncList"}

// TestProviderAtScale: one PeerSync per simulated validator, as the node step composes them for one directory
// (each node's fan-out of maxPeers validators, one side initiating per pair), created at once against the running
// provider. It reports how long until every node is connected to every other and every PeerSync says so,
// the requests each node received per reconcile, and the provider's CPU and memory; it fails on any redundant or
// dropped connect, a reconcile that reads /peers twice or connects more than maxConnectsPerReconcile, or a pair
// connected from both sides. It runs twice, each time on a fresh control plane: with the provider's default
// --max-reconcile-rate (10 per second), which bounds how fast 500 PeerSyncs can converge, and with a raised one.
func TestProviderAtScale(t *testing.T) {
	rep := &report{section: "scale-provider", command: "make bench-scale", detail: fmt.Sprintf(", %d validators", fleetSize)}
	defer rep.write(t)
	for _, rate := range []int{10, envInt("SCALE_PROVIDER_RATE", 50)} {
		t.Run(fmt.Sprintf("MaxReconcileRate%d", rate), func(t *testing.T) { providerAtScale(t, rep, rate) })
	}
}

func providerAtScale(t *testing.T, rep *report, rate int) {
	n := fleetSize
	// The node step's defaults: NodeInput maxPeers and maxConnectsPerReconcile.
	maxPeers := envInt("SCALE_MAX_PEERS", fnv1alpha1.DefaultMaxPeers)
	maxConnects := envInt("SCALE_MAX_CONNECTS", forprovider.DefaultMaxConnectsPerReconcile)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	sims, err := harness.NewSimNetwork(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	nodes := make([]*harness.SimNode, n)
	byPeerIP := map[string]int{}
	for i := range nodes {
		ns, name := validatorName(i)
		if nodes[i], err = sims.Start(ns, name, stellarcore.StateSynced); err != nil {
			t.Fatal(err)
		}
		byPeerIP[nodes[i].PeerIP] = i
	}
	cp, err := harness.Start(ctx, harness.Options{
		Name:        "scale-provider",
		ProductCRDs: true,
		Provider:    true,
		// The default poll (1m).
		ProviderArgs: []string{"--static-hosts=" + sims.HostsFile, "--max-reconcile-rate=" + strconv.Itoa(rate)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	c, err := fastClient(cp)
	if err != nil {
		t.Fatal(err)
	}
	setup := []*unstructured.Unstructured{harness.LoopbackProviderConfig()}
	for i := range namespaces {
		setup = append(setup, harness.Namespace(fmt.Sprintf("scale-%02d", i)))
	}
	if err := cp.Apply(ctx, setup...); err != nil {
		t.Fatal(err)
	}

	syncs := make([]*unstructured.Unstructured, n)
	// want[i] are the nodes i must end up connected to: those it desires and those that desire it.
	want := make([]map[int]bool, n)
	for i := range want {
		want[i] = map[int]bool{}
	}
	desiredTotal := 0
	for i, node := range nodes {
		var desired []int
		syncs[i], desired = peerSyncFor(node, nodes, maxPeers, maxConnects)
		desiredTotal += len(desired)
		for _, j := range desired {
			want[i][j], want[j][i] = true, true
		}
	}
	pairs := 0
	for i := range want {
		pairs += len(want[i])
	}
	pairs /= 2
	// Core completes a connection's handshake within about a second by itself; the simulated nodes authenticate
	// pending connections when they are asked for /peers, or on Tick.
	go func() {
		for ctx.Err() == nil {
			for _, node := range nodes {
				node.Core.Tick()
			}
			time.Sleep(time.Second)
		}
	}()
	start := time.Now()
	if err := createAll(ctx, c, syncs); err != nil {
		t.Fatal(err)
	}
	created := time.Since(start)

	connected := newMilestones(start, n, 10, 50, 90, 100)
	if full, ok := connected.follow(ctx, time.Second, func() int {
		full := 0
		for i, node := range nodes {
			if connectedToAll(node, nodes, want[i]) {
				full++
			}
		}
		return full
	}); !ok {
		t.Fatalf("%d of %d nodes fully connected when the time ran out (%s; logs in %s)", full, n, connected, cp.RunDir)
	}
	reported := newMilestones(start, n, 100)
	if done, ok := reported.follow(ctx, 2*time.Second, func() int {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(peerSyncListGVK)
		if err := c.List(ctx, list); err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, ps := range list.Items {
			got, _, _ := unstructured.NestedInt64(ps.Object, "status", "atProvider", "connectedDesired")
			desired, _, _ := unstructured.NestedSlice(ps.Object, "spec", "forProvider", "peers")
			if status, _, _ := harness.ConditionStatus(&ps, "Ready"); status == "True" && got == int64(len(desired)) {
				done++
			}
		}
		return done
	}); !ok {
		t.Fatalf("%d of %d PeerSyncs report every peer connected when the time ran out (logs in %s)", done, n, cp.RunDir)
	}
	providerUsage := usage(cp, harness.ProviderName)

	rec := countRequests(t, nodes, byPeerIP, maxConnects)
	if rec.connects != pairs {
		t.Errorf("%d /connect calls for %d pairs: want exactly one per pair", rec.connects, pairs)
	}

	// Steady state: a full poll interval and a bit after convergence, nothing but /info and /peers.
	for _, node := range nodes {
		node.Core.ResetRequests()
	}
	window := 75 * time.Second
	time.Sleep(window)
	steady := countRequests(t, nodes, byPeerIP, maxConnects)
	if steady.connects != 0 {
		t.Errorf("%d /connect calls after convergence, want 0", steady.connects)
	}

	rep.add(t, "%d PeerSyncs against %d simulated nodes, as the node step composes them for one directory: each desires its fan-out of maxPeers %d validators (%d desired peers in all, %d distinct pairs, one side initiating per pair); maxConnectsPerReconcile %d, provider --max-reconcile-rate=%d, --poll=1m",
		n, n, maxPeers, desiredTotal, pairs, maxConnects, rate)
	rep.add(t, "created in %s; share of nodes connected to every peer of their pairs: %s", seconds(created), connected)
	rep.add(t, "every PeerSync Ready with connectedDesired equal to its desired peers: %s", reported)
	rep.add(t, "until convergence: %d reconciles reached the nodes (%.1f per node); per reconcile exactly 1 /info, at most 1 /peers (max seen %d), at most %d /connect (max seen %d); %d /connect in all, one per pair",
		rec.reconciles, float64(rec.reconciles)/float64(n), rec.maxPeers, maxConnects, rec.maxConnects, rec.connects)
	rep.add(t, "redundant connects: %d already connected or pending, %d dropped beyond core's pending slots, %d pairs connected from both sides",
		rec.already, rec.dropped, rec.bothSides)
	rep.add(t, "steady state over %s after convergence: %d /info, %d /peers, %d /connect in all (%.2f reconciles per node)",
		seconds(window), steady.reconciles, steady.peers, steady.connects, float64(steady.reconciles)/float64(n))
	rep.add(t, "provider: %s", providerUsage)
}

// peerSyncFor is the PeerSync the node step composes for node in a directory listing all nodes: its fan-out of
// maxPeers validators, each marked with whether this node initiates (rendezvous.Fanout and rendezvous.Chooses, as in
// fn/node_spec.go).
func peerSyncFor(node *harness.SimNode, all []*harness.SimNode, maxPeers, maxConnects int) (*unstructured.Unstructured, []int) {
	self := node.Namespace + "/" + node.Name
	others := make([]peers.Peer, 0, len(all)-1)
	hosts, index := map[string]string{}, map[string]int{}
	for i, p := range all {
		if p != node {
			others = append(others, peers.Peer{Namespace: p.Namespace, Name: p.Name})
			hosts[p.Namespace+"/"+p.Name], index[p.Namespace+"/"+p.Name] = p.Host(), i
		}
	}
	slices.SortFunc(others, func(a, b peers.Peer) int { return cmp.Compare(a.Key(), b.Key()) })
	fanout := rendezvous.Fanout(self, others, maxPeers)
	desired, indices := make([]any, len(fanout)), make([]int, len(fanout))
	for i, p := range fanout {
		indices[i] = index[p.Key()]
		initiate := !rendezvous.Chooses(p.Key(), self, others, maxPeers) || self < p.Key()
		desired[i] = map[string]any{
			"name":     p.Key(),
			"address":  fmt.Sprintf("%s:%d", hosts[p.Key()], harness.PeerPort),
			"initiate": initiate,
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.stellarpeers.io/v1alpha1",
		"kind":       "PeerSync",
		"metadata":   map[string]any{"name": node.Name, "namespace": node.Namespace},
		"spec": map[string]any{
			"forProvider": map[string]any{
				"adminEndpoint":           node.Core.URL(),
				"peers":                   desired,
				"requireState":            stellarcore.StateSynced,
				"maxConnectsPerReconcile": int64(maxConnects),
			},
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": "default"},
		},
	}}, indices
}

// connectedToAll reports whether node has an authenticated connection, either direction, with every node in want.
func connectedToAll(node *harness.SimNode, all []*harness.SimNode, want map[int]bool) bool {
	t := node.Core.Peers()
	have := map[string]bool{}
	for _, a := range append(t.AuthenticatedInbound, t.AuthenticatedOutbound...) {
		have[a] = true
	}
	for j := range want {
		if !have[all[j].PeerAddress()] {
			return false
		}
	}
	return true
}

// requestCounts sums what the simulated nodes received.
type requestCounts struct {
	reconciles, peers, connects int
	maxPeers, maxConnects       int
	already, dropped, bothSides int
}

// countRequests reads every node's requests, split into reconciles at each /info (the provider reads /info
// first, then /peers, then connects), and fails the test for a reconcile beyond its bounds.
func countRequests(t *testing.T, nodes []*harness.SimNode, byPeerIP map[string]int, maxConnects int) requestCounts {
	t.Helper()
	var rc requestCounts
	connected := map[[2]int]bool{}
	for i, node := range nodes {
		peers, connects := 0, 0
		flush := func() {
			rc.maxPeers, rc.maxConnects = max(rc.maxPeers, peers), max(rc.maxConnects, connects)
			peers, connects = 0, 0
		}
		for _, r := range node.Core.Requests() {
			switch r.Path {
			case "/info":
				flush()
				rc.reconciles++
			case "/peers":
				peers++
				rc.peers++
			case "/connect":
				connects++
				rc.connects++
				j, ok := byPeerIP[r.Query["peer"]]
				if !ok {
					t.Errorf("%s/%s: /connect to %q, which is no simulated node", node.Namespace, node.Name, r.Query["peer"])
					continue
				}
				connected[[2]int{i, j}] = true
			default:
				t.Errorf("%s/%s: unexpected request %s %s", node.Namespace, node.Name, r.Method, r.Path)
			}
		}
		flush()
		rc.already += node.Core.AlreadyConnectedErrors()
		rc.dropped += node.Core.DroppedConnects()
	}
	for pair := range connected {
		if pair[0] < pair[1] && connected[[2]int{pair[1], pair[0]}] {
			rc.bothSides++
		}
	}
	if rc.maxPeers > 1 || rc.maxConnects > maxConnects {
		t.Errorf("a reconcile made %d /peers and %d /connect calls; want at most 1 and %d", rc.maxPeers, rc.maxConnects, maxConnects)
	}
	if rc.already+rc.dropped+rc.bothSides > 0 {
		t.Errorf("redundant connects: %d already connected, %d dropped, %d pairs from both sides", rc.already, rc.dropped, rc.bothSides)
	}
	return rc
}
