//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// The steady-state test uses its own network (Futurenet), directory, peers ConfigMap and namespace, so nothing
// the other tests leave behind changes its objects during its measurement.
const (
	steadyNetwork     = "Futurenet"
	steadyDirectory   = "futurenet-steady"
	steadyNamespace   = "steady"
	steadyCMNamespace = "steady-system"
	steadyCMName      = "futurenet-peers"
	steadyValidators  = 20
	// steadyWindow is how long the converged fleet is watched: the provider polls every second in these tests,
	// so 120 polls per PeerSync.
	steadyWindow = 2 * time.Minute
)

// TestSteadyStateWritesNothing: once 20 validators are converged, a poll that finds nothing new writes nothing.
// For two minutes, while every simulated core keeps closing ledgers, the provider makes no Kubernetes API write
// request at all (client-go's own request counter, read from the provider's metrics), and no PeerSync,
// composite, claim, directory or composed resource changes (watched, by resourceVersion).
func TestSteadyStateWritesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	setUpDirectory(ctx, t, steadyDirectory, map[string]any{
		"network":   steadyNetwork,
		"configMap": map[string]any{"namespace": steadyCMNamespace, "name": steadyCMName},
	}, steadyCMNamespace, steadyNamespace)

	names := make([]string, steadyValidators)
	for i := range names {
		names[i] = fmt.Sprintf("val-%02d", i)
	}
	validators, claims := startValidators(t, steadyNamespace, steadyNetwork, "", names...)
	deleteClaimsAtEnd(t, validators)
	// All at once, as a GitOps sync of a fleet would. Whether the breaker held the directory back is logged, not
	// asserted: it is TestDiscoveryLoop's and bench-gitops' subject, not this test's.
	start := time.Now()
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}
	steadyWaitConverged(ctx, t, validators)
	t.Logf("converged: %d validators, every pair connected, every PeerSync and composite settled, after %s", len(validators), time.Since(start).Round(time.Second))
	if held, err := cp.CircuitBreakerOpenings(steadyDirectory); err == nil {
		t.Logf("circuit breaker: held back %d events for directory %s while the claims were created", held, steadyDirectory)
	}

	// Real cores close a ledger every few seconds; here every poll sees a new one.
	ledgers := advanceLedgers(validators, time.Second)
	changes := watchChanges(ctx, t, steadyWatched())
	before := providerWrites(ctx, t)
	time.Sleep(steadyWindow)
	after := providerWrites(ctx, t)
	changed := changes.stop()
	final := ledgers.stop()

	writes := map[string]float64{}
	var total float64
	for method, n := range after {
		if d := n - before[method]; d > 0 {
			writes[method] = d
			total += d
		}
	}
	perMinute := total / steadyWindow.Minutes()
	t.Logf("provider writes in %s of steady state: %.0f (%.1f per minute), by method %v", steadyWindow, total, perMinute, writes)
	t.Logf("object changes in %s of steady state: %d", steadyWindow, len(changed))
	byWriter := map[string]int{}
	for _, c := range changed {
		byWriter[c.writer]++
	}
	for _, w := range slices.Sorted(maps.Keys(byWriter)) {
		t.Logf("changes: %d %s", byWriter[w], w)
	}
	for i, c := range changed {
		if i == 10 {
			t.Logf("... and %d more", len(changed)-i)
			break
		}
		t.Logf("changed: %s", c)
	}
	if total != 0 {
		t.Errorf("the provider made %.0f write requests in %s of steady state (%v), want none", total, steadyWindow, writes)
	}
	if len(changed) != 0 {
		t.Errorf("%d objects changed in %s of steady state, want none; first: %s", len(changed), steadyWindow, changed[0])
	}

	// The ledger is still observed: the provider exports it as a metric instead of writing it.
	waitFor(ctx, t, "ledger metric follows every node", func(ctx context.Context) (bool, string, error) {
		got, err := ledgerGauges(ctx)
		if err != nil {
			return false, "", err
		}
		for _, v := range validators {
			if g, ok := got[v.Name]; !ok || g != float64(final) {
				return false, fmt.Sprintf("stellar_peers_core_ledger for %s/%s = %v (present %v), want %d", v.Namespace, v.Name, g, ok, final), nil
			}
		}
		return true, "", nil
	})

	deleteClaims(ctx, t, validators...)
	// A deleted PeerSync's series goes with it.
	waitFor(ctx, t, "ledger metric series of the deleted PeerSyncs removed", func(ctx context.Context) (bool, string, error) {
		got, err := ledgerGauges(ctx)
		if err != nil {
			return false, "", err
		}
		return len(got) == 0, fmt.Sprintf("series left: %v", slices.Sorted(maps.Keys(got))), nil
	})
}

// steadyWaitConverged waits until the directory lists exactly the validators, every validator is connected to
// every other, every PeerSync is Ready and Synced with every desired peer connected, and every composite
// reports core's state: then nothing is left to change.
func steadyWaitConverged(ctx context.Context, t *testing.T, validators []*harness.SimNode) {
	t.Helper()
	want := wantPeersTxt(validators)
	err := harness.Eventually(ctx, 5*time.Minute, func(ctx context.Context) (bool, string, error) {
		cm, err := cp.Get(ctx, configMapGVK, steadyCMNamespace, steadyCMName)
		if err != nil {
			return false, "", err
		}
		if txt, _, _ := unstructured.NestedString(cm.Object, "data", "peers.txt"); txt != want {
			return false, fmt.Sprintf("peers.txt = %q, want %q", txt, want), nil
		}
		for _, a := range validators {
			for _, b := range validators {
				if a != b && !a.ConnectedTo(b) {
					return false, fmt.Sprintf("%s/%s is not connected to %s/%s", a.Namespace, a.Name, b.Namespace, b.Name), nil
				}
			}
		}
		for _, v := range validators {
			if ok, why, err := peerSyncHealthy(ctx, v); !ok || err != nil {
				return false, why, err
			}
			ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
			if err != nil {
				return false, "", err
			}
			connected, _, _ := unstructured.NestedInt64(ps.Object, "status", "atProvider", "connectedDesired")
			waiting, _, _ := unstructured.NestedSlice(ps.Object, "status", "atProvider", "waiting")
			if connected != int64(len(validators)-1) || len(waiting) > 0 {
				return false, fmt.Sprintf("PeerSync %s/%s: connectedDesired %d, waiting for %d", v.Namespace, v.Name, connected, len(waiting)), nil
			}
		}
		xrs, err := steadyComposites(ctx)
		if err != nil {
			return false, "", err
		}
		if len(xrs) != len(validators) {
			return false, fmt.Sprintf("%d composites, want %d", len(xrs), len(validators)), nil
		}
		for _, xr := range xrs {
			if state, _, _ := unstructured.NestedString(xr.Object, "status", "core", "state"); state != "Synced!" {
				return false, fmt.Sprintf("composite %s: status.core.state %q", xr.GetName(), state), nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		failWithLogs(t, "the validators did not converge: %v", err)
	}
	assertNodeConfigs(ctx, t, validators)
}

var xstellarnodes = schema.GroupVersionResource{Group: "stellarpeers.io", Version: "v1alpha1", Resource: "xstellarnodes"}

// claimNamespaceLabel is the label Crossplane puts on a claim's composite.
const claimNamespaceLabel = "crossplane.io/claim-namespace=" + steadyNamespace

func steadyComposites(ctx context.Context) ([]unstructured.Unstructured, error) {
	dc, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return nil, err
	}
	l, err := dc.Resource(xstellarnodes).List(ctx, metav1.ListOptions{LabelSelector: claimNamespaceLabel})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// watched is one set of objects whose changes are counted.
type watched struct {
	gvr       schema.GroupVersionResource
	namespace string
	selector  metav1.ListOptions
}

// steadyWatched is everything the fleet's steady state must leave alone: what the provider writes (PeerSyncs),
// what our function's output goes into (composites, claims, the directory, composed resources and ConfigMaps).
func steadyWatched() []watched {
	core := func(resource string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Version: "v1", Resource: resource}
	}
	return []watched{
		{gvr: schema.GroupVersionResource{Group: "core.stellarpeers.io", Version: "v1alpha1", Resource: "peersyncs"}, namespace: steadyNamespace},
		{gvr: xstellarnodes, selector: metav1.ListOptions{LabelSelector: claimNamespaceLabel}},
		{gvr: schema.GroupVersionResource{Group: "stellarpeers.io", Version: "v1alpha1", Resource: "stellarnodes"}, namespace: steadyNamespace},
		{gvr: schema.GroupVersionResource{Group: "stellarpeers.io", Version: "v1alpha1", Resource: "stellarpeerdirectories"}, selector: metav1.ListOptions{FieldSelector: "metadata.name=" + steadyDirectory}},
		{gvr: core("configmaps"), namespace: steadyNamespace},
		{gvr: core("configmaps"), namespace: steadyCMNamespace},
		{gvr: core("services"), namespace: steadyNamespace},
		{gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, namespace: steadyNamespace},
		{gvr: schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, namespace: steadyNamespace},
	}
}

// changeMonitor counts watch events from the resourceVersion each watch started at: any event is a change.
type changeMonitor struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	changes []change
}

// change is one watch event: the object, and who wrote it (its newest managed fields entry), to find the writer.
type change struct {
	object, writer string
}

func (c change) String() string { return c.object + ": " + c.writer }

// watchChanges starts a watch on each set, from the resourceVersion of a list taken now.
func watchChanges(ctx context.Context, t *testing.T, sets []watched) *changeMonitor {
	t.Helper()
	dc, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &changeMonitor{cancel: cancel}
	for _, s := range sets {
		ri := dc.Resource(s.gvr).Namespace(s.namespace)
		l, err := ri.List(ctx, s.selector)
		if err != nil {
			cancel()
			failWithLogs(t, "cannot list %s: %v", s.gvr.Resource, err)
		}
		opts := s.selector
		opts.ResourceVersion = l.GetResourceVersion()
		w, err := ri.Watch(ctx, opts)
		if err != nil {
			cancel()
			failWithLogs(t, "cannot watch %s: %v", s.gvr.Resource, err)
		}
		m.wg.Go(func() {
			defer w.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						// A watch that ends early would hide changes: count it as one.
						m.record(change{object: s.gvr.Resource, writer: "watch ended before the window did"})
						return
					}
					m.record(describeEvent(s.gvr.Resource, ev))
				}
			}
		})
	}
	return m
}

func (m *changeMonitor) record(c change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes = append(m.changes, c)
}

// stop ends the watches and returns the changes seen.
func (m *changeMonitor) stop() []change {
	m.cancel()
	m.wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.changes)
}

// describeEvent names the object an event is about and who wrote it last: its newest managed fields entry.
func describeEvent(resource string, ev watch.Event) change {
	u, ok := ev.Object.(*unstructured.Unstructured)
	if !ok {
		return change{object: fmt.Sprintf("%s %s", ev.Type, resource), writer: fmt.Sprintf("%v", ev.Object)}
	}
	var newest metav1.ManagedFieldsEntry
	for _, e := range u.GetManagedFields() {
		if e.Time != nil && (newest.Time == nil || !e.Time.Before(newest.Time)) {
			newest = e
		}
	}
	return change{
		object: fmt.Sprintf("%s %s %s/%s rv %s", ev.Type, resource, u.GetNamespace(), u.GetName(), u.GetResourceVersion()),
		writer: fmt.Sprintf("%s %s by %q (%s %s)", ev.Type, resource, newest.Manager, newest.Operation, newest.Subresource),
	}
}

// providerWrites is the provider's Kubernetes API requests so far that are not reads, by method.
func providerWrites(ctx context.Context, t *testing.T) map[string]float64 {
	t.Helper()
	byMethod, err := cp.ProviderRequests(ctx)
	if err != nil {
		failWithLogs(t, "%v", err)
	}
	writes := map[string]float64{}
	for method, n := range byMethod {
		if m := strings.ToUpper(method); m != "GET" && m != "HEAD" && m != "OPTIONS" {
			writes[m] += n
		}
	}
	return writes
}

// ledgerAdvancer closes a ledger on every node at each tick, as core does every few seconds.
type ledgerAdvancer struct {
	cancel context.CancelFunc
	done   chan struct{}
	ledger uint64
}

func advanceLedgers(nodes []*harness.SimNode, every time.Duration) *ledgerAdvancer {
	ctx, cancel := context.WithCancel(context.Background())
	a := &ledgerAdvancer{cancel: cancel, done: make(chan struct{}), ledger: 100_000}
	set := func() {
		for _, n := range nodes {
			n.Core.SetLedger(a.ledger)
		}
	}
	set()
	go func() {
		defer close(a.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				a.ledger++
				set()
			}
		}
	}()
	return a
}

// stop stops closing ledgers and returns the last ledger every node reports.
func (a *ledgerAdvancer) stop() uint64 {
	a.cancel()
	<-a.done
	return a.ledger
}

// ledgerGauges is the provider's stellar_peers_core_ledger for the steady namespace's PeerSyncs, by name.
func ledgerGauges(ctx context.Context) (map[string]float64, error) {
	families, err := cp.ScrapeProvider(ctx)
	if err != nil {
		return nil, err
	}
	got := map[string]float64{}
	for _, m := range families["stellar_peers_core_ledger"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["namespace"] == steadyNamespace {
			got[labels["name"]] = m.GetGauge().GetValue()
		}
	}
	return got, nil
}
