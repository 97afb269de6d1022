package statusmetrics

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
)

func peerSync(ns, name string, peers int, missing []string, connected int32, conds ...xpv2.Condition) *v1alpha1.PeerSync {
	ps := &v1alpha1.PeerSync{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for i := 0; i < peers; i++ {
		ps.Spec.ForProvider.Peers = append(ps.Spec.ForProvider.Peers, forprovider.DesiredPeer{Name: string(rune('a' + i))})
	}
	ps.Status.AtProvider.Missing = missing
	ps.Status.AtProvider.ConnectedDesired = connected
	ps.SetConditions(conds...)
	return ps
}

func withQuorum(ps *v1alpha1.PeerSync, q *v1alpha1.QuorumObservation) *v1alpha1.PeerSync {
	ps.Status.AtProvider.Quorum = q
	return ps
}

func TestCollect(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	notReady := xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: "CatchingUp"}
	syncFailed := xpv2.Condition{Type: xpv2.TypeSynced, Status: corev1.ConditionFalse, Reason: xpv2.ReasonReconcileError}
	cases := map[string]struct {
		reason string
		objs   []client.Object
		want   string
	}{
		"NoPeerSyncs": {
			reason: "No PeerSync, no series but the error counter.",
			want:   `stellar_peers_peersync_list_errors_total{} 0`,
		},
		"ConnectedAndSynced": {
			reason: "A Ready, Synced PeerSync with every desired peer connected.",
			objs:   []client.Object{peerSync("team-a", "alice", 2, nil, 2, xpv2.Available(), xpv2.ReconcileSuccess())},
			want: `
stellar_peers_peersync_connected_desired_peers{name="alice",namespace="team-a"} 2
stellar_peers_peersync_desired_peers{name="alice",namespace="team-a"} 2
stellar_peers_peersync_list_errors_total{} 0
stellar_peers_peersync_missing_peers{name="alice",namespace="team-a"} 0
stellar_peers_peersync_ready{name="alice",namespace="team-a"} 1
stellar_peers_peersync_synced{name="alice",namespace="team-a"} 1
`,
		},
		"QuorumAtRisk": {
			reason: "A synced PeerSync with core's quorum view: the quorum series, failures tolerated fail_at - 1.",
			objs: []client.Object{withQuorum(peerSync("team-a", "alice", 2, nil, 2, xpv2.Available(), xpv2.ReconcileSuccess()),
				&v1alpha1.QuorumObservation{Agreeing: 4, Missing: 1, Delayed: 1, FailAt: 1, FailuresTolerated: 0, MissingValidators: []string{"carol"}})},
			want: `
stellar_peers_peersync_connected_desired_peers{name="alice",namespace="team-a"} 2
stellar_peers_peersync_desired_peers{name="alice",namespace="team-a"} 2
stellar_peers_peersync_list_errors_total{} 0
stellar_peers_peersync_missing_peers{name="alice",namespace="team-a"} 0
stellar_peers_peersync_ready{name="alice",namespace="team-a"} 1
stellar_peers_peersync_synced{name="alice",namespace="team-a"} 1
stellar_peers_quorum_agreeing{name="alice",namespace="team-a"} 4
stellar_peers_quorum_delayed{name="alice",namespace="team-a"} 1
stellar_peers_quorum_disagreeing{name="alice",namespace="team-a"} 0
stellar_peers_quorum_failures_tolerated{name="alice",namespace="team-a"} 0
stellar_peers_quorum_missing{name="alice",namespace="team-a"} 1
`,
		},
		"QuorumLost": {
			reason: "Blocked already: fail_at 0 is -1 failures tolerated.",
			objs: []client.Object{withQuorum(peerSync("team-a", "alice", 0, nil, 0, xpv2.Available(), xpv2.ReconcileSuccess()),
				&v1alpha1.QuorumObservation{Agreeing: 1, Missing: 1, Disagreeing: 1, FailAt: 0, FailuresTolerated: -1})},
			want: `
stellar_peers_peersync_connected_desired_peers{name="alice",namespace="team-a"} 0
stellar_peers_peersync_desired_peers{name="alice",namespace="team-a"} 0
stellar_peers_peersync_list_errors_total{} 0
stellar_peers_peersync_missing_peers{name="alice",namespace="team-a"} 0
stellar_peers_peersync_ready{name="alice",namespace="team-a"} 1
stellar_peers_peersync_synced{name="alice",namespace="team-a"} 1
stellar_peers_quorum_agreeing{name="alice",namespace="team-a"} 1
stellar_peers_quorum_delayed{name="alice",namespace="team-a"} 0
stellar_peers_quorum_disagreeing{name="alice",namespace="team-a"} 1
stellar_peers_quorum_failures_tolerated{name="alice",namespace="team-a"} -1
stellar_peers_quorum_missing{name="alice",namespace="team-a"} 1
`,
		},
		"CatchingUpWithMissingPeers": {
			reason: "Not Ready while core catches up, its missing peers counted, one series set per PeerSync.",
			objs: []client.Object{
				peerSync("team-a", "alice", 3, []string{"bob", "carol"}, 1, notReady, xpv2.ReconcileSuccess()),
				peerSync("team-b", "carol", 1, nil, 0, syncFailed),
			},
			want: `
stellar_peers_peersync_connected_desired_peers{name="alice",namespace="team-a"} 1
stellar_peers_peersync_connected_desired_peers{name="carol",namespace="team-b"} 0
stellar_peers_peersync_desired_peers{name="alice",namespace="team-a"} 3
stellar_peers_peersync_desired_peers{name="carol",namespace="team-b"} 1
stellar_peers_peersync_list_errors_total{} 0
stellar_peers_peersync_missing_peers{name="alice",namespace="team-a"} 2
stellar_peers_peersync_missing_peers{name="carol",namespace="team-b"} 0
stellar_peers_peersync_ready{name="alice",namespace="team-a"} 0
stellar_peers_peersync_ready{name="carol",namespace="team-b"} 0
stellar_peers_peersync_synced{name="alice",namespace="team-a"} 1
stellar_peers_peersync_synced{name="carol",namespace="team-b"} 0
`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := New(fake.NewClientBuilder().WithScheme(scheme).WithObjects(tc.objs...).Build())
			got := gather(t, c)
			if diff := cmp.Diff(strings.TrimSpace(tc.want), got); diff != "" {
				t.Errorf("%s\nseries (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

type failingReader struct{ client.Reader }

func (failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("cache not synced")
}

// TestCollectListError: a failed list serves no PeerSync series and counts the failure, and is no scrape error:
// controller-runtime's endpoint would fail every other metric with it.
func TestCollectListError(t *testing.T) {
	c := New(failingReader{})
	gather(t, c)
	// Each gather registers c in a new registry, which is fine: it is one collector.
	if diff := cmp.Diff("stellar_peers_peersync_list_errors_total{} 2", gather(t, c)); diff != "" {
		t.Errorf("series after two failed scrapes (-want +got):\n%s", diff)
	}
}

// gather returns the collector's samples, one "name{labels} value" line each, sorted.
func gather(t *testing.T, c prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"=\""+l.GetValue()+"\"")
			}
			lines = append(lines, f.GetName()+"{"+strings.Join(ls, ",")+"} "+strconv.FormatFloat(m.GetGauge().GetValue()+m.GetCounter().GetValue(), 'g', -1, 64))
		}
	}
	return strings.Join(lines, "\n")
}
