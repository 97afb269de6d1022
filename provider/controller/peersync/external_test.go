package peersync

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
)

var threePeers = []forprovider.DesiredPeer{
	desired("stellar/v1", "validator-1.stellar.test:11625", "10.0.1.1"),
	desired("stellar/v2", "validator-2.stellar.test:11625", "10.0.1.2"),
	desired("stellar/v3", "10.0.1.3:11625", ""),
}

func TestObserveAndUpdateAgainstSimulatedNodes(t *testing.T) {
	cases := map[string]struct {
		node        coresim.Options
		setup       func(n *coresim.Node)
		peers       []forprovider.DesiredPeer
		maxConnects int32

		wantPaths      []string
		wantConnects   []string
		wantReady      string
		wantUpToDate   bool
		wantObserveErr bool
		wantUpdateErr  bool
		wantAt         v1alpha1.PeerSyncObservation
		wantAlready    int
	}{
		"HealthyAllMissingConnectsEachByIP": {
			peers:        threePeers,
			wantPaths:    []string{"/info", "/peers", "/connect", "/connect", "/connect"},
			wantConnects: []string{"10.0.1.1:11625", "10.0.1.2:11625", "10.0.1.3:11625"},
			wantReady:    "True/Available",
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", Missing: []string{"stellar/v1", "stellar/v2", "stellar/v3"}},
		},
		"AlreadyConnectedOrPendingEitherDirection": {
			peers: threePeers,
			setup: func(n *coresim.Node) {
				n.AddInbound("10.0.1.1:11625", "GV1")
				n.AddOutbound("10.0.1.2:11625", "GV2")
				n.AddPendingInbound("10.0.1.3:11625")
			},
			wantPaths:    []string{"/info", "/peers"},
			wantReady:    "True/Available",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", AuthenticatedPeers: 2, ConnectedDesired: 2},
		},
		"MatchedThroughResolvedHostName": {
			peers: []forprovider.DesiredPeer{desired("stellar/v2", "validator-2.stellar.test:11625", "")},
			setup: func(n *coresim.Node) {
				n.AddOutbound("10.0.1.2:11625", "GV2")
			},
			wantPaths:    []string{"/info", "/peers"},
			wantReady:    "True/Available",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", AuthenticatedPeers: 1, ConnectedDesired: 1},
		},
		"HostNameConnectsWithResolvedIPv4": {
			peers:        []forprovider.DesiredPeer{desired("stellar/v2", "validator-2.stellar.test:11625", "")},
			wantPaths:    []string{"/info", "/peers", "/connect"},
			wantConnects: []string{"10.0.1.2:11625"},
			wantReady:    "True/Available",
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", Missing: []string{"stellar/v2"}},
		},
		"OnlyTheMissingOne": {
			peers: threePeers,
			setup: func(n *coresim.Node) {
				n.AddInbound("10.0.1.1:11625", "GV1")
				n.AddOutbound("10.0.1.3:11625", "GV3")
				n.AddInbound("99.0.0.1:11625", "GOTHER")
			},
			wantPaths:    []string{"/info", "/peers", "/connect"},
			wantConnects: []string{"10.0.1.2:11625"},
			wantReady:    "True/Available",
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", AuthenticatedPeers: 3, ConnectedDesired: 2, Missing: []string{"stellar/v2"}},
		},
		"NotInitiatingPeerIsLeftToItsSide": {
			peers:        []forprovider.DesiredPeer{threePeers[0], notInitiating(threePeers[1]), threePeers[2]},
			wantPaths:    []string{"/info", "/peers", "/connect", "/connect"},
			wantConnects: []string{"10.0.1.1:11625", "10.0.1.3:11625"},
			wantReady:    "True/Available",
			wantAt: v1alpha1.PeerSyncObservation{
				State: "Synced!", Missing: []string{"stellar/v1", "stellar/v2", "stellar/v3"},
				Waiting: []v1alpha1.PeerWait{{Peer: "stellar/v2", MissingSince: metav1.NewTime(newClock().Now())}},
			},
		},
		"OnlyNotInitiatingMissingIsUpToDate": {
			peers: []forprovider.DesiredPeer{threePeers[0], notInitiating(threePeers[1]), threePeers[2]},
			setup: func(n *coresim.Node) {
				n.AddInbound("10.0.1.1:11625", "GV1")
				n.AddOutbound("10.0.1.3:11625", "GV3")
			},
			wantPaths:    []string{"/info", "/peers"},
			wantReady:    "True/Available",
			wantUpToDate: true,
			wantAt: v1alpha1.PeerSyncObservation{
				State: "Synced!", AuthenticatedPeers: 2, ConnectedDesired: 2, Missing: []string{"stellar/v2"},
				Waiting: []v1alpha1.PeerWait{{Peer: "stellar/v2", MissingSince: metav1.NewTime(newClock().Now())}},
			},
		},
		"NotInitiatingPresentIsNotWaitedFor": {
			peers: []forprovider.DesiredPeer{notInitiating(threePeers[0]), notInitiating(threePeers[2])},
			setup: func(n *coresim.Node) {
				n.AddInbound("10.0.1.1:11625", "GV1")
				n.AddPendingInbound("10.0.1.3:11625")
			},
			wantPaths:    []string{"/info", "/peers"},
			wantReady:    "True/Available",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", AuthenticatedPeers: 1, ConnectedDesired: 1},
		},
		"CatchingUpMakesNoOtherRequest": {
			node:         coresim.Options{State: stellarcore.StateCatchingUp},
			peers:        threePeers,
			wantPaths:    []string{"/info"},
			wantReady:    "False/CatchingUp",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Catching up"},
		},
		"JoiningSCPMakesNoOtherRequest": {
			node:         coresim.Options{State: stellarcore.StateJoiningSCP},
			peers:        threePeers,
			wantPaths:    []string{"/info"},
			wantReady:    "False/JoiningSCP",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Joining SCP"},
		},
		"BootingMakesNoOtherRequest": {
			node:         coresim.Options{State: stellarcore.StateBooting},
			peers:        threePeers,
			wantPaths:    []string{"/info"},
			wantReady:    "False/Booting",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Booting"},
		},
		"PendingSlotsFullDropsSilently": {
			node:         coresim.Options{MaxPendingOutbound: 1, PendingDelay: -1},
			peers:        threePeers,
			wantPaths:    []string{"/info", "/peers", "/connect", "/connect", "/connect"},
			wantConnects: []string{"10.0.1.1:11625", "10.0.1.2:11625", "10.0.1.3:11625"},
			wantReady:    "True/Available",
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", Missing: []string{"stellar/v1", "stellar/v2", "stellar/v3"}},
		},
		"MaxConnectsPerReconcile": {
			peers:        threePeers,
			maxConnects:  2,
			wantPaths:    []string{"/info", "/peers", "/connect", "/connect"},
			wantConnects: []string{"10.0.1.1:11625", "10.0.1.2:11625"},
			wantReady:    "True/Available",
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!", Missing: []string{"stellar/v1", "stellar/v2", "stellar/v3"}},
		},
		"ConnectExceptionIsReportedAndBackedOff": {
			peers:         []forprovider.DesiredPeer{desired("stellar/x", "unknown.stellar.test:11625", ""), desired("stellar/v3", "10.0.1.3:11625", "")},
			wantPaths:     []string{"/info", "/peers", "/connect", "/connect"},
			wantConnects:  []string{"unknown.stellar.test:11625", "10.0.1.3:11625"},
			wantReady:     "True/Available",
			wantUpdateErr: true,
			wantAt:        v1alpha1.PeerSyncObservation{State: "Synced!", Missing: []string{"stellar/x", "stellar/v3"}},
		},
		"SlowNodeTimesOut": {
			setup:          func(n *coresim.Node) { n.InjectFault(coresim.Fault{Kind: coresim.FaultSlow, Delay: 10 * time.Second}) },
			peers:          threePeers,
			wantPaths:      []string{"/info"},
			wantReady:      "False/Unreachable",
			wantObserveErr: true,
		},
		"ServerErrorOnPeersNoConnect": {
			setup: func(n *coresim.Node) {
				n.InjectFault(coresim.Fault{Kind: coresim.FaultStatus, Path: "/peers", Status: 502})
			},
			peers:          threePeers,
			wantPaths:      []string{"/info", "/peers"},
			wantReady:      "False/AdminError",
			wantObserveErr: true,
			wantAt:         v1alpha1.PeerSyncObservation{State: "Synced!"},
		},
		"NotFound": {
			setup:          func(n *coresim.Node) { n.InjectFault(coresim.Fault{Kind: coresim.FaultNotFound}) },
			peers:          threePeers,
			wantPaths:      []string{"/info"},
			wantReady:      "False/AdminError",
			wantObserveErr: true,
		},
		"ExceptionBody": {
			setup:          func(n *coresim.Node) { n.InjectFault(coresim.Fault{Kind: coresim.FaultException, Message: "boom"}) },
			peers:          threePeers,
			wantPaths:      []string{"/info"},
			wantReady:      "False/AdminError",
			wantObserveErr: true,
		},
		"ConnectionReset": {
			setup:          func(n *coresim.Node) { n.InjectFault(coresim.Fault{Kind: coresim.FaultReset}) },
			peers:          threePeers,
			wantPaths:      []string{"/info"},
			wantReady:      "False/Unreachable",
			wantObserveErr: true,
		},
		"NoDesiredPeers": {
			wantPaths:    []string{"/info", "/peers"},
			wantReady:    "True/Available",
			wantUpToDate: true,
			wantAt:       v1alpha1.PeerSyncObservation{State: "Synced!"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := startNodeWith(t, "127.0.0.2:0", tc.node, tc.setup)
			clk := newClock()
			spec := loopbackConfig()
			spec.Timeout = &metav1.Duration{Duration: 200 * time.Millisecond}
			c := newConnector(t, clk, providerConfig(spec))
			cr := peerSync(n.URL(), tc.peers...)
			if tc.maxConnects != 0 {
				cr.Spec.ForProvider.MaxConnectsPerReconcile = tc.maxConnects
			}

			r := reconcile(t, c, cr)
			if r.connectErr != nil {
				t.Fatalf("Connect: %v", r.connectErr)
			}
			if (r.observeErr != nil) != tc.wantObserveErr {
				t.Errorf("Observe error = %v, want error %v", r.observeErr, tc.wantObserveErr)
			}
			if (r.updateErr != nil) != tc.wantUpdateErr {
				t.Errorf("Update error = %v, want error %v", r.updateErr, tc.wantUpdateErr)
			}
			if !tc.wantObserveErr && r.observation.ResourceUpToDate != tc.wantUpToDate {
				t.Errorf("ResourceUpToDate = %v, want %v", r.observation.ResourceUpToDate, tc.wantUpToDate)
			}
			if diff := cmp.Diff(tc.wantPaths, paths(n)); diff != "" {
				t.Errorf("requests: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantConnects, connects(n)); diff != "" {
				t.Errorf("connects: -want +got:\n%s", diff)
			}
			if got := readyReason(cr); got != tc.wantReady {
				t.Errorf("Ready = %s, want %s (message %q)", got, tc.wantReady, cr.GetCondition("Ready").Message)
			}
			if diff := cmp.Diff(tc.wantAt, cr.Status.AtProvider, cmpopts.IgnoreFields(v1alpha1.PeerSyncObservation{}, "LastConnect", "Backoff"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("atProvider: -want +got:\n%s", diff)
			}
			if got := n.AlreadyConnectedErrors(); got != tc.wantAlready {
				t.Errorf("AlreadyConnectedErrors = %d, want %d", got, tc.wantAlready)
			}
			if len(tc.wantConnects) > 0 && (cr.Status.AtProvider.LastConnect == nil || !cr.Status.AtProvider.LastConnect.Time.Equal(clk.Now())) {
				t.Errorf("LastConnect = %v, want %v", cr.Status.AtProvider.LastConnect, clk.Now())
			}
		})
	}
}

func TestUnreachableNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	_ = l.Close()

	c := newConnector(t, newClock(), providerConfig(loopbackConfig()))
	cr := peerSync(endpoint, threePeers...)
	r := reconcile(t, c, cr)
	if r.observeErr == nil {
		t.Fatal("Observe of a closed port succeeded")
	}
	if got := readyReason(cr); got != "False/Unreachable" {
		t.Errorf("Ready = %s, want False/Unreachable", got)
	}
}

// TestConvergence drives a node to the desired peer set across reconciles:
// every desired peer ends connected, no peer is connected twice.
func TestConvergence(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.4:0", PendingDelay: -1})
	clk := newClock()
	c := newConnector(t, clk, providerConfig(loopbackConfig()))
	cr := peerSync(n.URL(), threePeers...)
	cr.Spec.ForProvider.MaxConnectsPerReconcile = 2

	r := reconcile(t, c, cr)
	if r.observeErr != nil || r.updateErr != nil || !r.updated {
		t.Fatalf("first reconcile: %+v", r)
	}
	// The two connected are pending now; the third is still missing.
	r = reconcile(t, c, cr)
	if r.observeErr != nil || r.updateErr != nil {
		t.Fatalf("second reconcile: %+v", r)
	}
	n.Tick()
	r = reconcile(t, c, cr)
	if r.observeErr != nil || !r.observation.ResourceUpToDate {
		t.Fatalf("third reconcile not up to date: %+v", r)
	}
	if diff := cmp.Diff([]string{"10.0.1.1:11625", "10.0.1.2:11625", "10.0.1.3:11625"}, connects(n)); diff != "" {
		t.Errorf("connects: -want +got:\n%s", diff)
	}
	if n.AlreadyConnectedErrors() != 0 {
		t.Errorf("AlreadyConnectedErrors = %d", n.AlreadyConnectedErrors())
	}
	if diff := cmp.Diff([]string{"10.0.1.1:11625", "10.0.1.2:11625", "10.0.1.3:11625"}, n.Peers().AuthenticatedOutbound); diff != "" {
		t.Errorf("authenticated: -want +got:\n%s", diff)
	}
	if got := cr.Status.AtProvider.ConnectedDesired; got != 3 {
		t.Errorf("ConnectedDesired = %d", got)
	}
}

// TestBackoff: a peer core keeps refusing is retried at 10 s, 20 s, 40 s...
// and not on every poll in between.
func TestBackoff(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.5:0"})
	n.Refuse("10.0.1.3:11625")
	clk := newClock()
	c := newConnector(t, clk, providerConfig(loopbackConfig()))
	cr := peerSync(n.URL(), desired("stellar/v3", "10.0.1.3:11625", ""))

	steps := []struct {
		advance      time.Duration
		wantConnects int
		wantAttempts int32
		wantNext     time.Duration // after the start
	}{
		{advance: 0, wantConnects: 1, wantAttempts: 1, wantNext: 10 * time.Second},
		{advance: 5 * time.Second, wantConnects: 1, wantAttempts: 1, wantNext: 10 * time.Second},
		{advance: 5 * time.Second, wantConnects: 2, wantAttempts: 2, wantNext: 30 * time.Second},
		{advance: 19 * time.Second, wantConnects: 2, wantAttempts: 2, wantNext: 30 * time.Second},
		{advance: time.Second, wantConnects: 3, wantAttempts: 3, wantNext: 70 * time.Second},
	}
	start := clk.Now()
	for i, s := range steps {
		clk.Advance(s.advance)
		r := reconcile(t, c, cr)
		if r.observeErr != nil || r.updateErr != nil {
			t.Fatalf("step %d: %+v", i, r)
		}
		if got := len(connects(n)); got != s.wantConnects {
			t.Errorf("step %d: %d connects, want %d", i, got, s.wantConnects)
		}
		want := []v1alpha1.PeerBackoff{{Peer: "stellar/v3", Attempts: s.wantAttempts, NextAttempt: metav1.NewTime(start.Add(s.wantNext))}}
		if diff := cmp.Diff(want, cr.Status.AtProvider.Backoff); diff != "" {
			t.Errorf("step %d backoff: -want +got:\n%s", i, diff)
		}
		// The peer is refused on the next /peers, never left pending.
		n.Tick()
	}
	if n.AlreadyConnectedErrors() != 0 {
		t.Errorf("AlreadyConnectedErrors = %d", n.AlreadyConnectedErrors())
	}
}

func TestBackoffSettles(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := backoffs{
		"stayed":  {Peer: "stayed", Attempts: 3, NextAttempt: metav1.NewTime(now.Add(-backoffMax))},
		"recent":  {Peer: "recent", Attempts: 1, NextAttempt: metav1.NewTime(now.Add(-time.Minute))},
		"gone":    {Peer: "gone", Attempts: 1, NextAttempt: metav1.NewTime(now)},
		"missing": {Peer: "missing", Attempts: 5, NextAttempt: metav1.NewTime(now.Add(-time.Hour))},
		"took":    {Peer: "took", Attempts: 1, NextAttempt: metav1.NewTime(now.Add(5 * time.Second))},
		"pending": {Peer: "pending", Attempts: 1, NextAttempt: metav1.NewTime(now.Add(5 * time.Second))},
		"retried": {Peer: "retried", Attempts: 2, NextAttempt: metav1.NewTime(now.Add(-time.Minute))},
	}
	desired := map[string]bool{"stayed": true, "recent": true, "missing": true, "took": true, "pending": true, "retried": true}
	present := map[string]bool{"stayed": true, "recent": true, "took": true, "pending": true, "retried": true}
	authenticated := map[string]bool{"stayed": true, "took": true, "retried": true}
	b.settle(desired, present, authenticated, now)
	got := b.records([]string{"stayed", "recent", "gone", "missing", "took", "pending", "retried"})
	// Kept: "recent" is present but not authenticated yet, "missing" is not there, "pending" has not authenticated,
	// "retried" needed a second attempt and has not stayed the full maximum backoff.
	want := []v1alpha1.PeerBackoff{b["recent"], b["missing"], b["pending"], b["retried"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settled: -want +got:\n%s", diff)
	}
}

func TestBackoffDelay(t *testing.T) {
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 320 * time.Second, 600 * time.Second, 600 * time.Second}
	var got []time.Duration
	for a := int32(1); a <= 8; a++ {
		got = append(got, backoffDelay(a))
	}
	got = append(got[:7], backoffDelay(1000))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays: -want +got:\n%s", diff)
	}
}

func TestDeletedMakesNoRequest(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.6:0"})
	c := newConnector(t, newClock(), providerConfig(loopbackConfig()))
	cr := peerSync(n.URL(), threePeers...)
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	r := reconcile(t, c, cr)
	if r.observeErr != nil || r.observation.ResourceExists {
		t.Fatalf("Observe of a deleted PeerSync: %+v", r)
	}
	if got := paths(n); len(got) != 0 {
		t.Errorf("requests for a deleted PeerSync: %v", got)
	}
}

func TestStateReason(t *testing.T) {
	cases := map[string]string{
		"Booting": "Booting", "Joining SCP": "JoiningSCP", "Connected": "Connected",
		"Catching up": "CatchingUp", "Synced!": "Synced", "Stopping": "Stopping", "": "Unknown", "!!": "Unknown",
	}
	for state, want := range cases {
		if got := string(stateReason(state)); got != want {
			t.Errorf("stateReason(%q) = %q, want %q", state, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	cases := map[string]struct {
		peer    forprovider.DesiredPeer
		want    string
		wantErr bool
	}{
		"HostPort":     {peer: desired("a", "v1.stellar.test:11625", ""), want: "v1.stellar.test 11625 invalid IP"},
		"IPFromSpec":   {peer: desired("a", "v1.stellar.test:11625", "10.0.0.1"), want: "v1.stellar.test 11625 10.0.0.1"},
		"LiteralIP":    {peer: desired("a", "10.0.0.2:1", ""), want: "10.0.0.2 1 10.0.0.2"},
		"IPv6":         {peer: desired("a", "[fd00::1]:11625", ""), want: "fd00::1 11625 fd00::1"},
		"DefaultPort":  {peer: desired("a", "v1.stellar.test", ""), want: "v1.stellar.test 11625 invalid IP"},
		"BadPort":      {peer: desired("a", "v1:99999", ""), wantErr: true},
		"BadIP":        {peer: desired("a", "v1:1", "not-an-ip"), wantErr: true},
		"EmptyAddress": {peer: desired("a", "", ""), wantErr: true},
		"BadHost":      {peer: desired("a", "v1..test:1", ""), wantErr: true},
		"IPv6NoPort":   {peer: desired("a", "fd00::2", ""), want: "fd00::2 11625 fd00::2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseTarget(tc.peer)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseTarget error %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if s := got.host + " " + strconv.Itoa(got.port) + " " + got.ip.String(); s != tc.want {
				t.Errorf("parseTarget = %q, want %q", s, tc.want)
			}
		})
	}
}
