package peers

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var threePeers = []Peer{
	{Name: "sdf-1", NodeType: "Validator", Host: "core-live-a.stellar.org", Port: 11625, External: true},
	{Name: "alice", Namespace: "team-a", NodeType: "Validator", Host: "alice-0.alice.team-a.svc.cluster.local", IP: "10.0.0.1", Port: 11625},
	{Name: "bob", Namespace: "team-b", NodeType: "Validator", IP: "2001:db8::2", Port: 11700},
}

func TestRender(t *testing.T) {
	cases := map[string]struct {
		peers     []Peer
		preferred bool
		want      Data
	}{
		"Empty": {
			want: Data{PeersJSON: "[]\n", PeersTxt: "", PeerCount: "0", KnownPeers: "KNOWN_PEERS = []\n"},
		},
		"ThreePreferred": {
			peers:     threePeers,
			preferred: true,
			want: Data{
				PeersJSON: `[
  {"name":"sdf-1","namespace":"","nodeType":"Validator","host":"core-live-a.stellar.org","ip":"","port":11625,"peerString":"core-live-a.stellar.org:11625","external":true},
  {"name":"alice","namespace":"team-a","nodeType":"Validator","host":"alice-0.alice.team-a.svc.cluster.local","ip":"10.0.0.1","port":11625,"peerString":"10.0.0.1:11625"},
  {"name":"bob","namespace":"team-b","nodeType":"Validator","host":"","ip":"2001:db8::2","port":11700,"peerString":"[2001:db8::2]:11700"}
]
`,
				PeersTxt:  "core-live-a.stellar.org:11625\n10.0.0.1:11625\n[2001:db8::2]:11700\n",
				PeerCount: "3",
				KnownPeers: `KNOWN_PEERS = [
  "core-live-a.stellar.org:11625",
  "alice-0.alice.team-a.svc.cluster.local:11625",
  "[2001:db8::2]:11700"
]
PREFERRED_PEERS = [
  "core-live-a.stellar.org:11625",
  "alice-0.alice.team-a.svc.cluster.local:11625",
  "[2001:db8::2]:11700"
]
`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Render(tc.peers, tc.preferred)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Render(...): -want, +got:\n%s", diff)
			}
			if !json.Valid([]byte(got.PeersJSON)) {
				t.Errorf("Render(...): peers.json is not valid JSON")
			}
		})
	}
}

func TestParsePeersJSONRoundTrip(t *testing.T) {
	sorted := append([]Peer(nil), threePeers...)
	Sort(sorted)
	got, bad, err := ParsePeersJSON(Render(sorted, false).PeersJSON)
	if err != nil || len(bad) != 0 {
		t.Fatalf("ParsePeersJSON(...): err %v, bad %v", err, bad)
	}
	if diff := cmp.Diff(sorted, got); diff != "" {
		t.Errorf("ParsePeersJSON(Render(p)): -want, +got:\n%s", diff)
	}
}

func TestParsePeersJSONSkipsInvalid(t *testing.T) {
	got, bad, err := ParsePeersJSON(`[{"name":"ok","ip":"10.0.0.1","port":1},{"name":"bad","ip":"nope","port":1}]`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Peer{{Name: "ok", IP: "10.0.0.1", Port: 1}}, got); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
	if len(bad) != 1 || bad[0].Error() != `peers.json[1] "bad": ip: "nope" is not an IP address` {
		t.Errorf("bad = %v", bad)
	}
	if _, _, err := ParsePeersJSON("{"); err == nil {
		t.Errorf("ParsePeersJSON(\"{\"): want error")
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x01\n\t\r", "ünïcödé", "bad\xffutf8", "\u2028"} {
		got := string(appendJSONString(nil, s))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("appendJSONString(%q) = %s: not JSON: %v", s, got, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("appendJSONString(%q) decodes to %q, encoding/json's to %q", s, back, wantBack)
		}
	}
}
