package peers

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// The directory's peers.json and known-peers.cfg are written by hand (AppendPeersJSON, appendPeerSectionOf)
// rather than with encoding/json and go-toml, which every other JSON and TOML of ours uses. These benchmarks
// are the reason, at 1,000 peers: run `go test -run '^$' -bench 'PeersJSON|KnownPeers' ./internal/peers`.

// peersJSONWithEncodingJSON writes what AppendPeersJSON writes, with encoding/json.
func peersJSONWithEncodingJSON(sorted []Peer) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteString("[\n")
	for i, p := range sorted {
		b.WriteString("  ")
		_ = enc.Encode(peerLine{p.Name, p.Namespace, p.NodeType, p.Host, p.IP, p.Port, p.PeerString(), p.External})
		if i < len(sorted)-1 {
			b.Truncate(b.Len() - 1)
			b.WriteString(",\n")
		}
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func TestPeersJSONWithEncodingJSONIsTheSame(t *testing.T) {
	ps := append(realisticPeers(3), Peer{Name: "odd<&>\"\\\u00e9\x01", NodeType: NodeTypeValidator, Host: "partner.example.org", IP: "2001:db8::1", Port: 1, External: true})
	if got, want := string(AppendPeersJSON(nil, ps)), string(peersJSONWithEncodingJSON(ps)); got != want {
		t.Errorf("AppendPeersJSON:\n%s\nencoding/json:\n%s", got, want)
	}
}

func BenchmarkPeersJSON(b *testing.B) {
	ps := realisticPeers(1000)
	b.Run("Hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// Render sizes its buffer up front.
			_ = AppendPeersJSON(make([]byte, 0, 300*len(ps)), ps)
		}
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = peersJSONWithEncodingJSON(ps)
		}
	})
}

func BenchmarkKnownPeers(b *testing.B) {
	ps := realisticPeers(1000)
	b.Run("Hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = appendPeerSectionOf(make([]byte, 0, 160*len(ps)), ps, true)
		}
	})
	b.Run("GoTOML", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			addrs := StableAddresses(ps)
			_, _ = toml.Marshal(struct {
				KnownPeers     []string `toml:"KNOWN_PEERS,multiline"`
				PreferredPeers []string `toml:"PREFERRED_PEERS,multiline"`
			}{addrs, addrs})
		}
	})
}
