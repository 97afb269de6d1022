package peersync

import (
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// connectPace is how soon a PeerSync is checked again when its last reconcile
// left peers due that maxConnectsPerReconcile did not reach. Waiting a full
// poll instead would make a node with many new peers (a large directory
// coming up) take maxConnectsPerReconcile per minute; this keeps /connect
// calls in bursts of at most maxConnectsPerReconcile a second apart. With the
// default 10 per burst that is 30 per core tick: under the 50 connections
// core opens per 3 s tick and its 56 outbound pending slots
// (stellar-core src/overlay/OverlayManagerImpl.cpp, tick). At 5 s a node
// joining 20 validators at once waited a whole pace for its second burst.
const connectPace = time.Second

// connectsDue reports whether the provider may call /connect now for a peer
// the status lists as missing: core is in the required state, updates are
// allowed, and the peer is neither in backoff nor left to its side.
func connectsDue(cr *v1alpha1.PeerSync, now time.Time) bool {
	at := cr.Status.AtProvider
	if len(at.Missing) == 0 || at.State != requiredState(cr.Spec.ForProvider) || !updatesAllowed(cr) {
		return false
	}
	initiates := make(map[string]bool, len(cr.Spec.ForProvider.Peers))
	for _, p := range cr.Spec.ForProvider.Peers {
		initiates[p.Name] = p.Initiate == nil || *p.Initiate
	}
	b, w := backoffsOf(at.Backoff), waitsOf(at.Waiting)
	for _, name := range at.Missing {
		initiate, desired := initiates[name]
		if !desired || b.waiting(name, now) {
			continue
		}
		if !w.holding(peerState{target: target{name: name, initiate: initiate}}, now) {
			return true
		}
	}
	return false
}

// updatesAllowed reports whether the management policies let the provider
// call /connect; empty policies mean the default, full management.
func updatesAllowed(cr *v1alpha1.PeerSync) bool {
	policies := cr.GetManagementPolicies()
	if len(policies) == 0 {
		return true
	}
	for _, p := range policies {
		if p == xpv2.ManagementActionAll || p == xpv2.ManagementActionUpdate {
			return true
		}
	}
	return false
}
