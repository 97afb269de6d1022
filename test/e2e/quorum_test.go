//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// The quorum test uses its own Custom network, directory, peers ConfigMap and namespaces, so no other test's
// validators are in its nodes' peers.
const (
	quorumPassphrase  = "Quorum Test Network ; 2026"
	quorumDirectory   = "quorum-health"
	quorumNamespace   = "quorum-a"
	quorumCMNamespace = "quorum-system"
	quorumCMName      = "quorum-peers"
)

// TestQuorumHealth: three validators of one organisation, each with a quorum set of itself and the other two, 2 of
// 3, as stellar-core generates it for a HIGH organisation of three. Connected, each PeerSync says QuorumHealthy=True
// (fail_at 2, one failure tolerated) and the provider serves the quorum metrics; polls then write nothing. One
// validator taken down, the other two say QuorumHealthy=False, QuorumAtRisk, naming it, and serve failures
// tolerated 0, which the example alert fires on. Deleted, their series go.
func TestQuorumHealth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	setUpDirectory(ctx, t, quorumDirectory, map[string]any{
		"network":           "Custom",
		"networkPassphrase": quorumPassphrase,
		"configMap":         map[string]any{"namespace": quorumCMNamespace, "name": quorumCMName},
	}, quorumCMNamespace, quorumNamespace)

	validators, claims := startValidators(t, quorumNamespace, "Custom", quorumPassphrase, "ana", "ben", "cid")
	for _, n := range validators {
		set := &coresim.QuorumSet{Threshold: 2}
		for _, v := range validators {
			qv := coresim.QuorumValidator{Name: v.Name, PeerAddress: v.PeerAddress()}
			if v == n {
				qv = coresim.QuorumValidator{Name: "self", Self: true}
			}
			set.Validators = append(set.Validators, qv)
		}
		n.Core.SetQuorum(set)
	}
	deleteClaimsAtEnd(t, validators)
	if err := cp.Apply(ctx, claims...); err != nil {
		failWithLogs(t, "%v", err)
	}
	waitConverged(ctx, t, validators)

	for _, v := range validators {
		waitQuorum(ctx, t, v, "True", "FailuresTolerated", quorumStatus{Agreeing: 3, FailAt: 2, FailuresTolerated: 1})
	}
	waitQuorumMetrics(ctx, t, "all connected", map[string]quorumSeries{
		"ana": {agreeing: 3, failuresTolerated: 1, ledgerAge: 3},
		"ben": {agreeing: 3, failuresTolerated: 1, ledgerAge: 3},
		"cid": {agreeing: 3, failuresTolerated: 1, ledgerAge: 3},
	})
	assertPeerSyncsStill(ctx, t, validators, 5*time.Second)

	// cid goes down: its admin port closes, its connections go, and the others' connects to it fail (the
	// simulator would otherwise let a connect to a stopped node through).
	ana, ben, cid := validators[0], validators[1], validators[2]
	for _, n := range []*harness.SimNode{ana, ben} {
		n.Core.Refuse(cid.PeerAddress())
	}
	start := time.Now()
	if err := sims.Stop(cid); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*harness.SimNode{ana, ben} {
		c := waitQuorum(ctx, t, v, "False", "QuorumAtRisk", quorumStatus{Agreeing: 2, Missing: 1, FailAt: 1, MissingValidators: []string{"cid"}})
		if !strings.Contains(c, "missing: cid") {
			t.Errorf("PeerSync %s/%s: QuorumHealthy message %q does not name cid", v.Namespace, v.Name, c)
		}
		t.Logf("PeerSync %s/%s after cid went down: QuorumHealthy=False QuorumAtRisk: %s", v.Namespace, v.Name, c)
	}
	waitQuorumMetrics(ctx, t, "cid down", map[string]quorumSeries{
		"ana": {agreeing: 2, missing: 1, failuresTolerated: 0, ledgerAge: 3},
		"ben": {agreeing: 2, missing: 1, failuresTolerated: 0, ledgerAge: 3},
		// cid's own PeerSync cannot reach its core: no quorum series, its ledger age from the last /info.
		"cid": {ledgerAge: 3, noQuorum: true},
	})
	t.Logf("quorum at risk reported on both PeerSyncs and their metrics %d ms after cid went down", time.Since(start).Milliseconds())
	waitFor(ctx, t, "cid's PeerSync QuorumHealthy=Unknown", func(ctx context.Context) (bool, string, error) {
		ps, err := cp.Get(ctx, peerSyncGVK, cid.Namespace, cid.Name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(ps, "QuorumHealthy")
		return s == "Unknown" && r == "Unreachable", fmt.Sprintf("QuorumHealthy=%s %s: %s", s, r, m), nil
	})

	deleteClaims(ctx, t, validators...)
	waitFor(ctx, t, "quorum and ledger age series of the deleted PeerSyncs removed", func(ctx context.Context) (bool, string, error) {
		got, err := quorumMetrics(ctx)
		if err != nil {
			return false, "", err
		}
		return len(got) == 0, fmt.Sprintf("series left: %v", got), nil
	})
}

// quorumStatus is status.atProvider.quorum, less the hash.
type quorumStatus struct {
	Agreeing, Missing, Delayed, Disagreeing, FailAt, FailuresTolerated int64
	MissingValidators                                                  []string
}

// waitQuorum waits until the node's PeerSync has the QuorumHealthy status and reason and the quorum status
// wanted, and returns the condition's message.
func waitQuorum(ctx context.Context, t *testing.T, v *harness.SimNode, status, reason string, want quorumStatus) string {
	t.Helper()
	var message string
	waitFor(ctx, t, fmt.Sprintf("PeerSync %s/%s QuorumHealthy=%s %s", v.Namespace, v.Name, status, reason), func(ctx context.Context) (bool, string, error) {
		ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
		if err != nil {
			return false, "", err
		}
		s, r, m := harness.ConditionStatus(ps, "QuorumHealthy")
		q, _, _ := unstructured.NestedMap(ps.Object, "status", "atProvider", "quorum")
		got := quorumStatus{}
		got.Agreeing, _, _ = unstructured.NestedInt64(q, "agreeing")
		got.Missing, _, _ = unstructured.NestedInt64(q, "missing")
		got.Delayed, _, _ = unstructured.NestedInt64(q, "delayed")
		got.Disagreeing, _, _ = unstructured.NestedInt64(q, "disagreeing")
		got.FailAt, _, _ = unstructured.NestedInt64(q, "failAt")
		got.FailuresTolerated, _, _ = unstructured.NestedInt64(q, "failuresTolerated")
		got.MissingValidators, _, _ = unstructured.NestedStringSlice(q, "missingValidators")
		message = m
		if s != status || r != reason || !quorumStatusEqual(got, want) {
			return false, fmt.Sprintf("QuorumHealthy=%s %s (%s), quorum %+v; want %s %s, %+v", s, r, m, got, status, reason, want), nil
		}
		return true, "", nil
	})
	return message
}

func quorumStatusEqual(a, b quorumStatus) bool {
	return a.Agreeing == b.Agreeing && a.Missing == b.Missing && a.Delayed == b.Delayed && a.Disagreeing == b.Disagreeing &&
		a.FailAt == b.FailAt && a.FailuresTolerated == b.FailuresTolerated && slices.Equal(a.MissingValidators, b.MissingValidators)
}

// quorumSeries is what the provider serves for one PeerSync of the test's namespace.
type quorumSeries struct {
	agreeing, missing, delayed, disagreeing, failuresTolerated, ledgerAge float64
	// noQuorum: no stellar_peers_quorum_* series at all.
	noQuorum bool
}

var quorumFamilies = []string{
	"stellar_peers_quorum_agreeing", "stellar_peers_quorum_missing", "stellar_peers_quorum_delayed",
	"stellar_peers_quorum_disagreeing", "stellar_peers_quorum_failures_tolerated", "stellar_peers_core_ledger_age_seconds",
}

// quorumMetrics scrapes the provider and returns, per PeerSync name of the test's namespace, "family=value" for
// each quorum family and the ledger age, sorted.
func quorumMetrics(ctx context.Context) (map[string][]string, error) {
	families, err := cp.ScrapeProvider(ctx)
	if err != nil {
		return nil, err
	}
	got := map[string][]string{}
	for _, f := range quorumFamilies {
		for _, m := range families[f].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == quorumNamespace {
				got[labels["name"]] = append(got[labels["name"]], fmt.Sprintf("%s=%g", f, m.GetGauge().GetValue()))
			}
		}
	}
	for name := range got {
		slices.Sort(got[name])
	}
	return got, nil
}

// waitQuorumMetrics waits until the provider serves exactly the wanted series for the test's namespace.
func waitQuorumMetrics(ctx context.Context, t *testing.T, what string, want map[string]quorumSeries) {
	t.Helper()
	expected := map[string][]string{}
	for name, s := range want {
		var lines []string
		if !s.noQuorum {
			for i, v := range []float64{s.agreeing, s.missing, s.delayed, s.disagreeing, s.failuresTolerated} {
				lines = append(lines, fmt.Sprintf("%s=%g", quorumFamilies[i], v))
			}
		}
		lines = append(lines, fmt.Sprintf("%s=%g", quorumFamilies[5], s.ledgerAge))
		slices.Sort(lines)
		expected[name] = lines
	}
	waitFor(ctx, t, "quorum metrics: "+what, func(ctx context.Context) (bool, string, error) {
		got, err := quorumMetrics(ctx)
		if err != nil {
			return false, "", err
		}
		for _, name := range slices.Sorted(maps.Keys(expected)) {
			if !slices.Equal(expected[name], got[name]) {
				return false, fmt.Sprintf("%s/%s: serves %v, want %v", quorumNamespace, name, got[name], expected[name]), nil
			}
		}
		if len(got) != len(expected) {
			return false, fmt.Sprintf("series for %d PeerSyncs, want %d: %v", len(got), len(expected), got), nil
		}
		t.Logf("quorum metrics, %s: %v", what, got)
		return true, "", nil
	})
}

// assertPeerSyncsStill checks that the PeerSyncs' resourceVersions do not move for a while: with their quorum in
// status, polls that find it unchanged write nothing (TestSteadyStateWritesNothing measures that at scale, on
// nodes without a quorum view).
func assertPeerSyncsStill(ctx context.Context, t *testing.T, validators []*harness.SimNode, d time.Duration) {
	t.Helper()
	versions := func() []string {
		var out []string
		for _, v := range validators {
			ps, err := cp.Get(ctx, peerSyncGVK, v.Namespace, v.Name)
			if err != nil {
				failWithLogs(t, "%v", err)
			}
			out = append(out, v.Name+"@"+ps.GetResourceVersion())
		}
		return out
	}
	before := versions()
	time.Sleep(d)
	if after := versions(); !slices.Equal(before, after) {
		t.Errorf("PeerSyncs changed in %s with nothing new on their nodes (the provider polls every second): %v -> %v", d, before, after)
	}
}
