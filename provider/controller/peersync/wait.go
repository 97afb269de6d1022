package peersync

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// initiateGrace is how long a missing peer this node does not initiate to is
// left to its side. That side normally connects within a poll of seeing this
// node in the directory; if it has not after this long (its core is down, it
// has no PeerSync, or that PeerSync is misconfigured), this node connects it.
const initiateGrace = 30 * time.Second

// waits are the missing peers this node leaves to their side, by name.
type waits map[string]v1alpha1.PeerWait

func waitsOf(records []v1alpha1.PeerWait) waits {
	return byPeer(records, func(r v1alpha1.PeerWait) string { return r.Peer })
}

// track records that peer is missing, keeping when it was first seen so:
// the grace period runs from there, not from this poll.
func (w waits) track(previous waits, peer string, now time.Time) {
	r, ok := previous[peer]
	if !ok {
		r = v1alpha1.PeerWait{Peer: peer, MissingSince: metav1.NewTime(now)}
	}
	w[peer] = r
}

// holding reports whether a missing peer must be left to its side for now.
// A peer with no record has not been seen missing yet: it is held too.
func (w waits) holding(s peerState, now time.Time) bool {
	if s.initiate {
		return false
	}
	r, ok := w[s.name]
	return !ok || now.Before(r.MissingSince.Add(initiateGrace))
}

// records returns the waits in the desired peers' order, for a stable status.
func (w waits) records(order []string) []v1alpha1.PeerWait {
	return inOrder(w, order)
}

// graceLeft is the time until the first grace period still running ends.
func graceLeft(records []v1alpha1.PeerWait, now time.Time) (time.Duration, bool) {
	var left time.Duration
	found := false
	for _, r := range records {
		d := r.MissingSince.Add(initiateGrace).Sub(now)
		if d > 0 && (!found || d < left) {
			left, found = d, true
		}
	}
	return left, found
}
