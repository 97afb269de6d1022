package peersync

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
)

var ignoreTransition = cmpopts.IgnoreFields(xpv2.Condition{}, "LastTransitionTime")

func TestQuorumHealth(t *testing.T) {
	cases := map[string]struct {
		reason   string
		q        v1alpha1.QuorumObservation
		namesErr error
		want     xpv2.Condition
	}{
		"TwoMoreFailuresToStop": {
			reason: "fail_at 2: one validator may fail, the node still reaches quorum.",
			q:      v1alpha1.QuorumObservation{Agreeing: 3, FailAt: 2, FailuresTolerated: 1},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionTrue, Reason: ReasonFailuresTolerated,
				Message: "the quorum holds with up to 1 more validator failures (fail_at 2)"},
		},
		"HealthyWithOneMissing": {
			reason: "A missing validator the quorum can do without is named, and healthy still.",
			q:      v1alpha1.QuorumObservation{Agreeing: 6, Missing: 1, FailAt: 3, FailuresTolerated: 2, MissingValidators: []string{"dave"}},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionTrue, Reason: ReasonFailuresTolerated,
				Message: "the quorum holds with up to 2 more validator failures (fail_at 3); missing: dave"},
		},
		"OneFailureFromLoss": {
			reason: "fail_at 1: the next failure stops the node; the missing are named.",
			q:      v1alpha1.QuorumObservation{Agreeing: 4, Missing: 2, Delayed: 1, FailAt: 1, MissingValidators: []string{"carol", "dave"}},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); missing: carol, dave; 1 delayed"},
		},
		"Lost": {
			reason: "fail_at 0: what does not agree blocks the node already.",
			q:      v1alpha1.QuorumObservation{Agreeing: 1, Missing: 1, Disagreeing: 1, FailAt: 0, FailuresTolerated: -1, MissingValidators: []string{"bob"}},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumLost,
				Message: "the validators that do not agree already block this node's quorum: it cannot close ledgers (fail_at 0); missing: bob; 1 disagreeing"},
		},
		"NamesUnavailable": {
			reason:   "/quorum failed: the count stands, and the message says why there are no names.",
			q:        v1alpha1.QuorumObservation{Agreeing: 2, Missing: 1, FailAt: 1},
			namesErr: &stellarcore.StatusError{Command: "quorum", StatusCode: 404, Body: "Welcome to stellar-core!"},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); 1 missing (cannot read stellar-core /quorum: stellar-core quorum answered HTTP 404: Welcome to stellar-core!)"},
		},
		"NoNamesFromQuorum": {
			reason: "/quorum, a slot later, found none missing: only the count.",
			q:      v1alpha1.QuorumObservation{Agreeing: 2, Missing: 1, FailAt: 1},
			want: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); 1 missing"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := quorumHealth(tc.q, tc.namesErr)
			if diff := cmp.Diff(tc.want, got, ignoreTransition); diff != "" {
				t.Errorf("%s\nquorumHealth: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// threeValidators is a quorum set of the node and two others, 2 of 3, as core
// generates it for one organisation of three.
func threeValidators() *coresim.QuorumSet {
	return &coresim.QuorumSet{Threshold: 2, Validators: []coresim.QuorumValidator{
		{Name: "self", Self: true},
		{Name: "bob", PeerAddress: "10.0.1.2:11625"},
		{Name: "carol", PeerAddress: "10.0.1.3:11625"},
	}}
}

// TestObserveQuorum runs a reconcile against a simulated node with a quorum
// set and checks what the PeerSync says of it, and which requests it took.
func TestObserveQuorum(t *testing.T) {
	connectBoth := func(n *coresim.Node) {
		n.AddOutbound("10.0.1.2:11625", "")
		n.AddInbound("10.0.1.3:11625", "")
	}
	cases := map[string]struct {
		reason    string
		node      coresim.Options
		setup     func(n *coresim.Node)
		wantPaths []string
		wantErr   bool
		wantCond  xpv2.Condition
		wantAt    *v1alpha1.QuorumObservation
	}{
		"AllConnected": {
			reason:    "Every validator agrees: no /quorum request, True.",
			node:      coresim.Options{Quorum: threeValidators()},
			setup:     connectBoth,
			wantPaths: []string{"/info", "/peers"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionTrue, Reason: ReasonFailuresTolerated,
				Message: "the quorum holds with up to 1 more validator failures (fail_at 2)"},
			wantAt: &v1alpha1.QuorumObservation{Agreeing: 3, FailAt: 2, FailuresTolerated: 1},
		},
		"OneMissing": {
			reason:    "carol is not connected: /quorum names her, and the next failure stops the node.",
			node:      coresim.Options{Quorum: threeValidators()},
			setup:     func(n *coresim.Node) { n.AddOutbound("10.0.1.2:11625", "") },
			wantPaths: []string{"/info", "/peers", "/quorum"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); missing: carol"},
			wantAt: &v1alpha1.QuorumObservation{Agreeing: 2, Missing: 1, FailAt: 1, MissingValidators: []string{"carol"}},
		},
		"BothMissing": {
			reason:    "Nobody else agrees: lost.",
			node:      coresim.Options{Quorum: threeValidators()},
			wantPaths: []string{"/info", "/peers", "/quorum"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumLost,
				Message: "the validators that do not agree already block this node's quorum: it cannot close ledgers (fail_at 0); missing: bob, carol"},
			wantAt: &v1alpha1.QuorumObservation{Agreeing: 1, Missing: 2, FailAt: 0, FailuresTolerated: -1, MissingValidators: []string{"bob", "carol"}},
		},
		"Delayed": {
			reason: "A delayed validator counts as failed in fail_at, and asks for no names.",
			node:   coresim.Options{Quorum: threeValidators()},
			setup: func(n *coresim.Node) {
				connectBoth(n)
				n.SetQuorumState("bob", coresim.QuorumDelayed)
			},
			wantPaths: []string{"/info", "/peers"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); 1 delayed"},
			wantAt: &v1alpha1.QuorumObservation{Agreeing: 2, Delayed: 1, FailAt: 1},
		},
		"QuorumRouteRefused": {
			reason: "A proxy that refuses /quorum: the counts and condition stand, the peer sync goes on.",
			node:   coresim.Options{Quorum: threeValidators()},
			setup: func(n *coresim.Node) {
				n.AddOutbound("10.0.1.2:11625", "")
				n.InjectFault(coresim.Fault{Kind: coresim.FaultStatus, Path: "/quorum", Status: 403})
			},
			wantPaths: []string{"/info", "/peers", "/quorum"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionFalse, Reason: ReasonQuorumAtRisk,
				Message: "one more validator failure stops this node closing ledgers (fail_at 1); 1 missing (cannot read stellar-core /quorum: stellar-core quorum answered HTTP 403: Forbidden)"},
			wantAt: &v1alpha1.QuorumObservation{Agreeing: 2, Missing: 1, FailAt: 1},
		},
		"NoQuorumView": {
			reason:    "Synced, but core reports no slot: Unknown.",
			wantPaths: []string{"/info", "/peers"},
			wantCond:  xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionUnknown, Reason: ReasonNoQuorumInfo, Message: msgNoQuorumInfo},
		},
		"CatchingUp": {
			reason:    "Not synced: Unknown with Ready's reason, and no request beyond /info.",
			node:      coresim.Options{State: stellarcore.StateCatchingUp, Quorum: threeValidators()},
			wantPaths: []string{"/info"},
			wantCond: xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionUnknown, Reason: "CatchingUp",
				Message: `stellar-core state is "Catching up": ` + msgQuorumNotRead},
		},
		"Booting": {
			node:      coresim.Options{State: stellarcore.StateBooting, Quorum: threeValidators()},
			wantPaths: []string{"/info"},
			wantCond:  xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionUnknown, Reason: "Booting", Message: msgQuorumNotRead},
		},
		"Unreachable": {
			node:      coresim.Options{Quorum: threeValidators()},
			setup:     func(n *coresim.Node) { n.InjectFault(coresim.Fault{Kind: coresim.FaultReset}) },
			wantPaths: []string{"/info"},
			wantErr:   true,
			wantCond:  xpv2.Condition{Type: TypeQuorumHealthy, Status: corev1.ConditionUnknown, Reason: ReasonUnreachable, Message: errInfo},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := startNodeWith(t, "127.0.0.6:0", tc.node, tc.setup)
			c := newConnector(t, newClock(), providerConfig(loopbackConfig()))
			cr := peerSync(n.URL())
			r := reconcile(t, c, cr)
			if r.connectErr != nil {
				t.Fatalf("Connect: %v", r.connectErr)
			}
			if (r.observeErr != nil) != tc.wantErr {
				t.Errorf("%s\nObserve error = %v, want error %v", tc.reason, r.observeErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantPaths, paths(n)); diff != "" {
				t.Errorf("%s\nrequests: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantCond, cr.GetCondition(TypeQuorumHealthy), ignoreTransition); diff != "" {
				t.Errorf("%s\nQuorumHealthy: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantAt, cr.Status.AtProvider.Quorum, cmpopts.IgnoreFields(v1alpha1.QuorumObservation{}, "Hash")); diff != "" {
				t.Errorf("%s\natProvider.quorum: -want +got:\n%s", tc.reason, diff)
			}
			if q := cr.Status.AtProvider.Quorum; q != nil && len(q.Hash) != 6 {
				t.Errorf("hash %q is not core's 3 bytes in hex", q.Hash)
			}
		})
	}
}

// TestQuorumForgottenOutOfSync: a view read while synced is dropped once core
// is not, so status never shows an old quorum as current.
func TestQuorumForgottenOutOfSync(t *testing.T) {
	n := startNode(t, coresim.Options{Addr: "127.0.0.7:0", Quorum: threeValidators()})
	c := newConnector(t, newClock(), providerConfig(loopbackConfig()))
	cr := peerSync(n.URL())
	if r := reconcile(t, c, cr); r.observeErr != nil || cr.Status.AtProvider.Quorum == nil {
		t.Fatalf("synced reconcile: %+v, quorum %+v", r, cr.Status.AtProvider.Quorum)
	}
	n.SetState(stellarcore.StateCatchingUp)
	reconcile(t, c, cr)
	got := []any{cr.Status.AtProvider.Quorum, cr.GetCondition(TypeQuorumHealthy).Status}
	if diff := cmp.Diff([]any{(*v1alpha1.QuorumObservation)(nil), corev1.ConditionUnknown}, got); diff != "" {
		t.Errorf("after core fell behind: [quorum, QuorumHealthy] -want +got:\n%s", diff)
	}
}

// TestQuorumPollsWriteNothing: with core's quorum view in status, polls that
// find the quorum as it was write nothing while the ledger and its age move
// (they are metrics); a validator lost is one status write, with the
// condition naming it.
func TestQuorumPollsWriteNothing(t *testing.T) {
	clk := newClock()
	n := startNode(t, coresim.Options{Addr: "127.0.0.8:0", Now: clk.Now, Quorum: threeValidators()})
	n.AddOutbound("10.0.1.2:11625", "peer-1")
	n.AddInbound("10.0.1.3:11625", "peer-2")
	// carol is in the quorum set but not a desired peer: her /connect
	// attempts, which write their backoff, are not this test's subject.
	cr := peerSync(n.URL(), desired("bob", "validator-2.stellar.test:11625", "10.0.1.2"))
	l := newPollLoop(t, n, clk, cr)
	w, events, poll, stored := l.writes, l.events, l.poll, l.stored

	poll(100)
	poll(101)
	w.take()
	drain(events)
	if q := stored().Status.AtProvider.Quorum; q == nil || q.FailAt != 2 {
		t.Fatalf("after two polls: stored quorum %+v, want fail_at 2", q)
	}
	for num := uint64(102); num <= 106; num++ {
		poll(num)
	}
	if diff := cmp.Diff(map[string]int{}, w.take()); diff != "" {
		t.Errorf("5 polls with the quorum unchanged: requests -want +got:\n%s", diff)
	}
	if got := testutil.ToFloat64(coreLedgerAge.WithLabelValues(cr.Namespace, cr.Name)); got != 3 {
		t.Errorf("stellar_peers_core_ledger_age_seconds = %v, want the simulator's 3", got)
	}

	// carol stops: her connection goes, the next poll finds her missing.
	n.Disconnect("10.0.1.3:11625")
	poll(107)
	if got := w.take()["status update"]; got != 1 {
		t.Errorf("poll that found carol missing: %d status updates, want 1", got)
	}
	got := stored()
	c := got.GetCondition(TypeQuorumHealthy)
	if diff := cmp.Diff([]any{corev1.ConditionFalse, ReasonQuorumAtRisk, []string{"carol"}}, []any{c.Status, c.Reason, got.Status.AtProvider.Quorum.MissingValidators}); diff != "" {
		t.Errorf("after carol stopped: [status, reason, missingValidators] -want +got:\n%s", diff)
	}
	for num := uint64(108); num <= 110; num++ {
		poll(num)
	}
	if diff := cmp.Diff(map[string]int{}, w.take()); diff != "" {
		t.Errorf("3 polls with carol still missing: requests -want +got:\n%s", diff)
	}
}

func TestSortedNames(t *testing.T) {
	cases := map[string]struct {
		in, want []string
	}{
		"Nil":        {},
		"Empty":      {in: []string{}},
		"Sorted":     {in: []string{"carol", "GABCD", "bob", "carol"}, want: []string{"GABCD", "bob", "carol"}},
		"AlreadyOne": {in: []string{"bob"}, want: []string{"bob"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, sortedNames(tc.in)); diff != "" {
				t.Errorf("sortedNames: -want +got:\n%s", diff)
			}
		})
	}
}
