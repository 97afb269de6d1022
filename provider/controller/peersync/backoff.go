package peersync

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
)

// Connect backoff per peer: a peer core keeps dropping (e.g. a non-preferred
// peer beyond its target connections) is retried at growing intervals
// instead of on every poll.
const (
	backoffBase = 10 * time.Second
	backoffMax  = 10 * time.Minute
)

// backoffDelay is the wait after the given number of attempts.
func backoffDelay(attempts int32) time.Duration {
	d := backoffBase
	for i := int32(1); i < attempts && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

type backoffs map[string]v1alpha1.PeerBackoff

func backoffsOf(records []v1alpha1.PeerBackoff) backoffs {
	return byPeer(records, func(r v1alpha1.PeerBackoff) string { return r.Peer })
}

// waiting reports whether peer must not be connected yet.
func (b backoffs) waiting(peer string, now time.Time) bool {
	r, ok := b[peer]
	return ok && now.Before(r.NextAttempt.Time)
}

// attempt records a /connect for peer.
func (b backoffs) attempt(peer string, now time.Time) {
	r := b[peer]
	r.Peer = peer
	r.Attempts++
	r.NextAttempt = metav1.NewTime(now.Add(backoffDelay(r.Attempts)))
	b[peer] = r
}

// settle forgets peers that are no longer desired, peers that are present a
// full maximum backoff after their last wait ended (they stayed), and peers
// authenticated after their first /connect: core took them at once, and
// keeping a record per connected peer would grow every PeerSync's status by
// one entry per peer (a large directory's status would be mostly records of
// connects that worked). A peer core drops on authentication, as it does
// beyond its target connections, is never seen authenticated, so its
// attempts still grow.
func (b backoffs) settle(desired, present, authenticated map[string]bool, now time.Time) {
	for peer, r := range b {
		stayed := present[peer] && !now.Before(r.NextAttempt.Add(backoffMax))
		firstTry := authenticated[peer] && r.Attempts <= 1
		if !desired[peer] || stayed || firstTry {
			delete(b, peer)
		}
	}
}

// records returns the backoffs in the desired peers' order, for a stable status.
func (b backoffs) records(order []string) []v1alpha1.PeerBackoff {
	return inOrder(b, order)
}
