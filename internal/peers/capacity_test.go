package peers

import (
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"
)

// realisticPeers are n validators as the node step publishes them: claims
// validator-0000... in 50 namespaces stellar-team-00..49, headless Service
// names, no IP.
func realisticPeers(n int) []Peer {
	ps := make([]Peer, n)
	for i := range ps {
		ns, name := fmt.Sprintf("stellar-team-%02d", i%50), fmt.Sprintf("validator-%04d", i)
		ps[i] = Peer{Name: name, Namespace: ns, NodeType: NodeTypeValidator, Host: name + "-0." + name + "." + ns + ".svc.cluster.local", Port: DefaultPeerPort}
	}
	Sort(ps)
	return ps
}

// Largest directories of realisticPeers that fit MaxConfigMapBytes, found by
// TestLargestDirectory's search and claimed in bench/RESULTS.md and the README.
const (
	largestPlain = 2532
	// largestCompressed is claimed, not searched (a search takes seconds):
	// compressed, a realistic peer costs about 22 bytes (about 28 with
	// preferredPeers, which lists every peer twice).
	largestCompressed          = 40000
	largestCompressedPreferred = 30000
)

func fits(n int, preferred bool) (plain, published bool) {
	d := Render(realisticPeers(n), preferred)
	return d.Size() <= MaxConfigMapBytes, d.Publish().Size() <= MaxConfigMapBytes
}

func TestLargestDirectory(t *testing.T) {
	plain := sort.Search(2*largestPlain, func(n int) bool { p, _ := fits(n+1, false); return !p })
	if plain != largestPlain {
		t.Errorf("largest plain directory: got %d peers, want %d (update the claims)", plain, largestPlain)
	}
	if _, ok := fits(largestCompressed, false); !ok {
		t.Errorf("a directory of %d realistic peers does not fit a ConfigMap compressed", largestCompressed)
	}
	if _, ok := fits(largestCompressedPreferred, true); !ok {
		t.Errorf("a directory of %d realistic preferred peers does not fit a ConfigMap compressed", largestCompressedPreferred)
	}
}

func TestPublish(t *testing.T) {
	cases := map[string]struct {
		reason     string
		peers      int
		wantBinary bool
	}{
		"Small":        {reason: "A directory that fits publishes the four plain keys.", peers: 3},
		"LargestPlain": {reason: "The largest plain directory is still plain.", peers: largestPlain},
		"Compressed":   {reason: "One more peer moves the bulk to binaryData.", peers: largestPlain + 1, wantBinary: true},
		"FiveThousand": {reason: "5,000 validators fit, compressed.", peers: 5000, wantBinary: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Render(realisticPeers(tc.peers), false)
			p := d.Publish()
			if got := len(p.BinaryData) > 0; got != tc.wantBinary {
				t.Fatalf("%s\nPublish(): binaryData %v, want %v", tc.reason, got, tc.wantBinary)
			}
			if p.Size() > MaxConfigMapBytes {
				t.Errorf("%s\nPublish(): %d bytes, more than %d", tc.reason, p.Size(), MaxConfigMapBytes)
			}
			got := map[string]string{}
			for k, v := range p.Data {
				got[k] = v
			}
			for k, v := range p.BinaryData {
				s, err := Gunzip(v)
				if err != nil {
					t.Fatalf("Gunzip(%s): %v", k, err)
				}
				got[k[:len(k)-len(".gz")]] = s
			}
			want := map[string]string{KeyPeersJSON: d.PeersJSON, KeyPeersTxt: d.PeersTxt, KeyPeerCount: d.PeerCount, KeyKnownPeers: d.KnownPeers}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nPublish(), decompressed: -want, +got:\n%s", tc.reason, diff)
			}
			if again := d.Publish(); !cmp.Equal(p, again) {
				t.Errorf("%s\nPublish(): not deterministic", tc.reason)
			}
		})
	}
}

// TestKnownPeersIsTOML: known-peers.cfg, written by hand for speed, reads back with a maintained TOML library as
// exactly the peers' stable addresses, escapes included.
func TestKnownPeersIsTOML(t *testing.T) {
	ps := append(realisticPeers(5), Peer{Name: "v6", NodeType: NodeTypeValidator, IP: "2001:db8::6", Port: 11625},
		Peer{Name: "odd", NodeType: NodeTypeValidator, Host: "h\"q\\.example.org\u00e9", Port: 1})
	for _, preferred := range []bool{false, true} {
		var got struct {
			KnownPeers     []string `toml:"KNOWN_PEERS"`
			PreferredPeers []string `toml:"PREFERRED_PEERS"`
		}
		if err := toml.Unmarshal([]byte(Render(ps, preferred).KnownPeers), &got); err != nil {
			t.Fatalf("Render(preferred=%v).KnownPeers is not TOML: %v", preferred, err)
		}
		want := StableAddresses(ps)
		if diff := cmp.Diff(want, got.KnownPeers); diff != "" {
			t.Errorf("KNOWN_PEERS (preferred=%v): -want +got:\n%s", preferred, diff)
		}
		var wantPreferred []string
		if preferred {
			wantPreferred = want
		}
		if diff := cmp.Diff(wantPreferred, got.PreferredPeers); diff != "" {
			t.Errorf("PREFERRED_PEERS (preferred=%v): -want +got:\n%s", preferred, diff)
		}
	}
}
