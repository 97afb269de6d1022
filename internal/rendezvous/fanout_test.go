package rendezvous

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/stellarpeers/stellar-peers/internal/peers"
)

// fleet is a directory of n validators spread over 10 namespaces, sorted as the directory sorts them, without
// the node keyed skip.
func fleet(n int, skip string) []peers.Peer {
	var out []peers.Peer
	for i := range n {
		p := peers.Peer{Namespace: fmt.Sprintf("team-%02d", i%10), Name: fmt.Sprintf("validator-%04d", i), Port: 11625}
		if p.Key() != skip {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b peers.Peer) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}

func keys(ps []peers.Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Key()
	}
	return out
}

func TestFanoutSmallDirectoryKeepsAll(t *testing.T) {
	external := peers.Peer{Name: "sdf-1", Host: "core-live-a.stellar.org", Port: 11625, External: true}
	cases := map[string]struct {
		reason     string
		candidates []peers.Peer
		k          int
	}{
		"AtTheCap":     {reason: "A directory within the fan-out is a full mesh, as before.", candidates: fleet(9, "team-00/validator-0000"), k: 8},
		"NoCap":        {reason: "k < 1 keeps every peer.", candidates: fleet(50, "team-00/validator-0000"), k: 0},
		"ExternalFree": {reason: "External peers do not count against the fan-out.", candidates: append(fleet(9, "team-00/validator-0000"), external), k: 8},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := gocmp.Diff(keys(tc.candidates), keys(Fanout("team-00/validator-0000", tc.candidates, tc.k))); diff != "" {
				t.Errorf("%s\nFanout: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFanoutLargeDirectory(t *testing.T) {
	const n, k = 300, 8
	external := peers.Peer{Name: "sdf-1", Host: "core-live-a.stellar.org", Port: 11625, External: true}
	all := fleet(n, "")
	chosen := map[[2]string]bool{}
	for _, self := range all {
		candidates := append(fleet(n, self.Key()), external)
		got := Fanout(self.Key(), candidates, k)
		if len(got) != k+1 || got[len(got)-1] != external {
			t.Fatalf("%s: Fanout kept %d peers, want %d and the external one last: %v", self.Key(), len(got), k+1, keys(got))
		}
		if !slices.IsSortedFunc(got[:k], func(a, b peers.Peer) int { return cmp.Compare(a.Key(), b.Key()) }) {
			t.Errorf("%s: Fanout changed the directory's order: %v", self.Key(), keys(got))
		}
		if again := Fanout(self.Key(), candidates, k); !gocmp.Equal(keys(got), keys(again)) {
			t.Errorf("%s: Fanout is not deterministic: %v, then %v", self.Key(), keys(got), keys(again))
		}
		for _, p := range candidates {
			if p.External {
				continue
			}
			want := slices.Contains(got, p)
			if Chooses(self.Key(), p.Key(), candidates, k) != want {
				t.Errorf("Chooses(%s, %s) = %t, but Fanout says %t", self.Key(), p.Key(), !want, want)
			}
			chosen[[2]string{self.Key(), p.Key()}] = want
		}
	}
	// Chooses takes the other node's view from any member list that holds its candidates, self included or not.
	a, b := all[0].Key(), all[1].Key()
	if Chooses(b, a, fleet(n, a), k) != chosen[[2]string{b, a}] {
		t.Errorf("Chooses(%s, %s) differs between member lists with and without %s", b, a, a)
	}

	// Every node can reach every other over the pairs either side chose.
	seen, queue := map[string]bool{all[0].Key(): true}, []string{all[0].Key()}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, to := range all {
			if !seen[to.Key()] && (chosen[[2]string{from, to.Key()}] || chosen[[2]string{to.Key(), from}]) {
				seen[to.Key()] = true
				queue = append(queue, to.Key())
			}
		}
	}
	if len(seen) != n {
		t.Errorf("the chosen pairs connect %d of %d nodes", len(seen), n)
	}
}

func TestFanoutStableWhenAValidatorJoins(t *testing.T) {
	const n, k = 200, 8
	joiner := peers.Peer{Namespace: "team-99", Name: "validator-new", Port: 11625}
	for _, self := range fleet(n, "") {
		before := Fanout(self.Key(), fleet(n, self.Key()), k)
		after := Fanout(self.Key(), append(fleet(n, self.Key()), joiner), k)
		var gone []string
		for _, p := range before {
			if !slices.Contains(after, p) {
				gone = append(gone, p.Key())
			}
		}
		joined := slices.Contains(after, joiner)
		if (joined && len(gone) != 1) || (!joined && len(gone) != 0) {
			t.Errorf("%s: the joiner chosen %t, and %d earlier choices gone (%v): want one for one", self.Key(), joined, len(gone), gone)
		}
	}
}

func BenchmarkFanout(b *testing.B) {
	candidates := fleet(5000, "team-00/validator-0000")
	for b.Loop() {
		for _, p := range Fanout("team-00/validator-0000", candidates, 32) {
			Chooses(p.Key(), "team-00/validator-0000", candidates, 32)
		}
	}
}
