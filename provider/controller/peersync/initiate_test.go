package peersync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1/forprovider"
	"github.com/stellarpeers/stellar-peers/internal/coresim"
)

// notInitiating marks a desired peer as one whose side connects.
func notInitiating(p forprovider.DesiredPeer) forprovider.DesiredPeer {
	no := false
	p.Initiate = &no
	return p
}

// TestGracePeriod: a missing peer this node does not initiate to is left to
// its side for initiateGrace, shows in status meanwhile, and is connected once
// the grace period ends; a peer that shows up and goes again starts anew.
func TestGracePeriod(t *testing.T) {
	v1 := desired("stellar/v1", "10.0.1.1:11625", "")
	v2 := notInitiating(desired("stellar/v2", "10.0.1.2:11625", ""))
	type step struct {
		advance      time.Duration
		before       func(n *coresim.Node)
		wantUpToDate bool
		wantConnects []string
		wantMissing  []string
		// wantSince is when v2 was first seen missing, after the start; nil
		// means no wait.
		wantSince *time.Duration
	}
	at := func(d time.Duration) *time.Duration { return &d }
	cases := map[string]struct {
		reason string
		peers  []forprovider.DesiredPeer
		steps  []step
	}{
		"ConnectedAfterGrace": {
			reason: "Its side never connects: the initiating peer is connected at once, the other once its grace period ends.",
			peers:  []forprovider.DesiredPeer{v1, v2},
			steps: []step{
				{wantConnects: []string{"10.0.1.1:11625"}, wantMissing: []string{"stellar/v1", "stellar/v2"}, wantSince: at(0)},
				{advance: initiateGrace - time.Second, wantUpToDate: true, wantConnects: []string{"10.0.1.1:11625"}, wantMissing: []string{"stellar/v2"}, wantSince: at(0)},
				{advance: time.Second, wantConnects: []string{"10.0.1.1:11625", "10.0.1.2:11625"}, wantMissing: []string{"stellar/v2"}, wantSince: at(0)},
				{advance: time.Second, wantUpToDate: true, wantConnects: []string{"10.0.1.1:11625", "10.0.1.2:11625"}},
			},
		},
		"ItsSideConnects": {
			reason: "Its side connects within the grace period: never connected from here; dropped later, it gets a new grace period.",
			peers:  []forprovider.DesiredPeer{v2},
			steps: []step{
				{wantUpToDate: true, wantMissing: []string{"stellar/v2"}, wantSince: at(0)},
				{advance: 10 * time.Second, before: func(n *coresim.Node) { n.AddInbound("10.0.1.2:11625", "GV2") }, wantUpToDate: true},
				{advance: 10 * time.Second, before: func(n *coresim.Node) { n.Disconnect("10.0.1.2:11625") }, wantUpToDate: true, wantMissing: []string{"stellar/v2"}, wantSince: at(20 * time.Second)},
				{advance: initiateGrace - time.Second, wantUpToDate: true, wantMissing: []string{"stellar/v2"}, wantSince: at(20 * time.Second)},
				{advance: time.Second, wantConnects: []string{"10.0.1.2:11625"}, wantMissing: []string{"stellar/v2"}, wantSince: at(20 * time.Second)},
			},
		},
		"DefaultInitiates": {
			reason: "A desired peer without initiate, as in a hand-written PeerSync, is connected at once.",
			peers:  []forprovider.DesiredPeer{desired("stellar/v2", "10.0.1.2:11625", "")},
			steps: []step{
				{wantConnects: []string{"10.0.1.2:11625"}, wantMissing: []string{"stellar/v2"}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := startNode(t, coresim.Options{Addr: "127.0.0.9:0"})
			clk := newClock()
			start := clk.Now()
			c := newConnector(t, clk, providerConfig(loopbackConfig()))
			cr := peerSync(n.URL(), tc.peers...)
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				if s.before != nil {
					s.before(n)
				}
				r := reconcile(t, c, cr)
				if r.connectErr != nil || r.observeErr != nil || r.updateErr != nil {
					t.Fatalf("%s\nstep %d: %+v", tc.reason, i, r)
				}
				if r.observation.ResourceUpToDate != s.wantUpToDate {
					t.Errorf("%s\nstep %d: ResourceUpToDate = %v, want %v (diff %q)", tc.reason, i, r.observation.ResourceUpToDate, s.wantUpToDate, r.observation.Diff)
				}
				if diff := cmp.Diff(s.wantConnects, connects(n)); diff != "" {
					t.Errorf("%s\nstep %d connects: -want +got:\n%s", tc.reason, i, diff)
				}
				if diff := cmp.Diff(s.wantMissing, cr.Status.AtProvider.Missing, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s\nstep %d missing: -want +got:\n%s", tc.reason, i, diff)
				}
				var want []v1alpha1.PeerWait
				if s.wantSince != nil {
					want = []v1alpha1.PeerWait{{Peer: "stellar/v2", MissingSince: metav1.NewTime(start.Add(*s.wantSince))}}
				}
				if diff := cmp.Diff(want, cr.Status.AtProvider.Waiting); diff != "" {
					t.Errorf("%s\nstep %d waiting: -want +got:\n%s", tc.reason, i, diff)
				}
			}
			if got := n.AlreadyConnectedErrors(); got != 0 {
				t.Errorf("%s\nAlreadyConnectedErrors = %d", tc.reason, got)
			}
		})
	}
}

// TestNoRedundantConnectWhenAllActAtOnce: validators joined on a fabric, each
// with a PeerSync listing the others, all read /peers before any connects, as
// when a validator joins and every PeerSync reacts in the same instant. Without
// the tie-break every pair gets a redundant connect (core's ERROR); with it,
// none, and every pair still ends connected, also after the grace period.
func TestNoRedundantConnectWhenAllActAtOnce(t *testing.T) {
	names := []string{"team-a/alice", "team-a/bob", "team-b/carol", "team-b/dave"}
	cases := map[string]struct {
		reason        string
		initiate      func(self, peer string) bool
		wantRedundant int
	}{
		"EveryoneInitiates": {
			reason:        "Without the tie-break, the second side of each pair connects to a peer already pending.",
			initiate:      func(string, string) bool { return true },
			wantRedundant: len(names) * (len(names) - 1) / 2,
		},
		"TieBreak": {
			reason:   "The side that sorts first initiates; the other waits for it.",
			initiate: func(self, peer string) bool { return self < peer },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			c := newConnector(t, clk, providerConfig(loopbackConfig()))
			fabric := coresim.NewFabric()
			nodes := make([]*coresim.Node, len(names))
			peerAddress := func(i int) string { return fmt.Sprintf("127.0.2.%d:11625", i+1) }
			for i := range names {
				nodes[i] = startNode(t, coresim.Options{Addr: "127.0.0.10:0", PendingDelay: -1})
				fabric.Join(nodes[i], peerAddress(i))
			}
			crs := make([]*v1alpha1.PeerSync, len(names))
			for i, self := range names {
				var ps []forprovider.DesiredPeer
				for j, peer := range names {
					if i == j {
						continue
					}
					p := desired(peer, peerAddress(j), "")
					if !tc.initiate(self, peer) {
						p = notInitiating(p)
					}
					ps = append(ps, p)
				}
				crs[i] = peerSync(nodes[i].URL(), ps...)
				crs[i].SetName(fmt.Sprintf("core-%d", i))
				crs[i].SetUID(types.UID(fmt.Sprintf("uid-core-%d", i)))
			}

			// The same instant: every PeerSync observes, then every one
			// that is not up to date connects.
			ctx := context.Background()
			exts := make([]*external, len(names))
			obs := make([]bool, len(names))
			for i, cr := range crs {
				ext, err := c.Connect(ctx, cr)
				if err != nil {
					t.Fatalf("Connect %s: %v", names[i], err)
				}
				exts[i] = ext.(*external)
				o, err := exts[i].Observe(ctx, cr)
				if err != nil {
					t.Fatalf("Observe %s: %v", names[i], err)
				}
				obs[i] = o.ResourceUpToDate
			}
			for i, cr := range crs {
				if obs[i] {
					continue
				}
				if _, err := exts[i].Update(ctx, cr); err != nil {
					t.Fatalf("Update %s: %v", names[i], err)
				}
			}
			for _, n := range nodes {
				n.Tick()
			}
			// Later, past the grace period: nothing is left to connect.
			clk.Advance(initiateGrace + time.Second)
			for i, cr := range crs {
				r := reconcile(t, c, cr)
				if r.observeErr != nil || !r.observation.ResourceUpToDate {
					t.Errorf("%s\n%s after the grace period: %+v", tc.reason, names[i], r)
				}
				if got := cr.Status.AtProvider.ConnectedDesired; int(got) != len(names)-1 {
					t.Errorf("%s\n%s: ConnectedDesired = %d, want %d", tc.reason, names[i], got, len(names)-1)
				}
			}

			redundant := 0
			for _, n := range nodes {
				redundant += n.AlreadyConnectedErrors()
			}
			if redundant != tc.wantRedundant {
				t.Errorf("%s\nredundant connects = %d, want %d", tc.reason, redundant, tc.wantRedundant)
			}
		})
	}
}

func TestPollIntervalHook(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	wait := func(peer string, ago time.Duration) v1alpha1.PeerWait {
		return v1alpha1.PeerWait{Peer: peer, MissingSince: metav1.NewTime(now.Add(-ago))}
	}
	backoff := func(peer string, in time.Duration) v1alpha1.PeerBackoff {
		return v1alpha1.PeerBackoff{Peer: peer, Attempts: 1, NextAttempt: metav1.NewTime(now.Add(in))}
	}
	no := false
	cases := map[string]struct {
		reason   string
		poll     time.Duration
		state    string
		policies xpv2.ManagementPolicies
		missing  []string
		backoff  []v1alpha1.PeerBackoff
		waiting  []v1alpha1.PeerWait
		want     time.Duration
	}{
		"ConnectsLeft": {
			reason:  "A peer still due after a capped batch of connects: check again at the connect pace, not a poll later.",
			poll:    time.Minute,
			missing: []string{"a", "b"},
			backoff: []v1alpha1.PeerBackoff{backoff("a", 10*time.Second)},
			want:    connectPace,
		},
		"AllAttempted": {
			reason:  "Every missing peer was just connected and is in backoff: the usual poll.",
			poll:    time.Minute,
			missing: []string{"a", "b"},
			backoff: []v1alpha1.PeerBackoff{backoff("a", 10*time.Second), backoff("b", 10*time.Second)},
			want:    time.Minute,
		},
		"LeftToItsSide": {
			reason:  "The only missing peer is left to its side and its grace runs: the grace period sets the next check.",
			poll:    time.Minute,
			missing: []string{"c"},
			waiting: []v1alpha1.PeerWait{wait("c", 20*time.Second)},
			want:    initiateGrace - 20*time.Second,
		},
		"NotSynced": {
			reason:  "Core is catching up: no connect is due whatever the old status lists.",
			poll:    time.Minute,
			state:   "Catching up",
			missing: []string{"a"},
			want:    time.Minute,
		},
		"ObserveOnly": {
			reason:   "Management policies forbid updates: no connect is ever due.",
			poll:     time.Minute,
			policies: xpv2.ManagementPolicies{xpv2.ManagementActionObserve},
			missing:  []string{"a"},
			want:     time.Minute,
		},
		"PaceAfterPoll": {
			reason:  "A poll shorter than the connect pace stays.",
			poll:    time.Second,
			missing: []string{"a"},
			want:    time.Second,
		},
		"NoWait": {
			reason: "Nothing waited for: the usual poll.",
			poll:   time.Minute,
			want:   time.Minute,
		},
		"GraceEndsFirst": {
			reason:  "The first grace period to end sets the next check.",
			poll:    time.Minute,
			waiting: []v1alpha1.PeerWait{wait("a", 5*time.Second), wait("b", 20*time.Second)},
			want:    initiateGrace - 20*time.Second,
		},
		"GraceOver": {
			reason:  "A grace period already over (the peer was connected and is in backoff) does not count.",
			poll:    time.Minute,
			waiting: []v1alpha1.PeerWait{wait("a", time.Hour), wait("b", 25*time.Second)},
			want:    initiateGrace - 25*time.Second,
		},
		"OnlyGraceOver": {
			reason:  "Only grace periods that are over: the usual poll, not a busy loop.",
			poll:    time.Minute,
			waiting: []v1alpha1.PeerWait{wait("a", time.Hour)},
			want:    time.Minute,
		},
		"PollFirst": {
			reason:  "A poll due before the grace period ends stays.",
			poll:    10 * time.Second,
			waiting: []v1alpha1.PeerWait{wait("a", 0)},
			want:    10 * time.Second,
		},
	}
	hook := pollInterval(func() time.Time { return now })
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := peerSync("http://127.0.0.1:11626", desired("a", "a:11625", ""), desired("b", "b:11625", ""),
				forprovider.DesiredPeer{Name: "c", Address: "c:11625", Initiate: &no})
			cr.SetManagementPolicies(tc.policies)
			at := &cr.Status.AtProvider
			at.State = forprovider.DefaultRequireState
			if tc.state != "" {
				at.State = tc.state
			}
			at.Missing, at.Backoff, at.Waiting = tc.missing, tc.backoff, tc.waiting
			if got := hook(cr, tc.poll); got != tc.want {
				t.Errorf("%s\npoll interval = %v, want %v", tc.reason, got, tc.want)
			}
		})
	}
}
