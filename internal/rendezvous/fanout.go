// Package rendezvous picks the peers each node keeps connections to, by rendezvous hashing of the pair.
package rendezvous

import (
	"cmp"
	"slices"

	"github.com/stellarpeers/stellar-peers/internal/peers"
)

// A directory of N validators would have each node's PeerSync keep N-1
// connections: with hundreds of validators that is more than stellar-core
// holds (it drops non-preferred peers beyond its targets) and PeerSync
// objects of hundreds of kilobytes that the API server rewrites on every
// reconcile. So each node keeps connections to at most a fan-out of peers,
// chosen by rendezvous hashing of the pair: the same on every render, and a
// validator joining or leaving changes only the choices that involve it.
// Every node still learns every validator through KNOWN_PEERS.

// pairRank orders the candidate pairs of a node; it is symmetric, so a pair
// ranks the same from either end. FNV-1a over "a\x00b", a <= b.
func pairRank(a, b string) uint64 {
	if b < a {
		a, b = b, a
	}
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * prime
	}
	h *= prime // the separator byte, 0
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * prime
	}
	return h
}

// rankedBefore reports whether pair (self, a) ranks before pair (self, b);
// ties, which a 64-bit hash makes rare, go by key.
func rankedBefore(self, a, b string) bool {
	ra, rb := pairRank(self, a), pairRank(self, b)
	return ra < rb || (ra == rb && cmp.Less(a, b))
}

// Fanout returns the peers among candidates that the node keyed self keeps
// connections to: external peers always, and of the others the k whose pair
// with self ranks first. candidates keep their order; k < 1 means all.
func Fanout(self string, candidates []peers.Peer, k int) []peers.Peer {
	type ranked struct {
		index int
		key   string
		rank  uint64
	}
	internal := make([]ranked, 0, len(candidates))
	for i, p := range candidates {
		if !p.External {
			internal = append(internal, ranked{index: i, key: p.Key(), rank: pairRank(self, p.Key())})
		}
	}
	if k < 1 || len(internal) <= k {
		return candidates
	}
	slices.SortFunc(internal, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.key, b.key))
	})
	keep := make([]bool, len(candidates))
	for _, r := range internal[:k] {
		keep[r.index] = true
	}
	out := make([]peers.Peer, 0, k)
	for i, p := range candidates {
		if p.External || keep[i] {
			out = append(out, p)
		}
	}
	return out
}

// Chooses reports whether the node keyed self has the node keyed other among
// its k first-ranked peers, when its candidates are members (external peers
// and self itself, if listed, are skipped). k < 1 means it chooses every peer.
func Chooses(self, other string, members []peers.Peer, k int) bool {
	if k < 1 {
		return true
	}
	before := 0
	for _, p := range members {
		key := p.Key()
		if p.External || key == self || key == other {
			continue
		}
		if rankedBefore(self, key, other) {
			before++
			if before >= k {
				return false
			}
		}
	}
	return true
}
