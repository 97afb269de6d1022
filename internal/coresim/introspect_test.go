package coresim

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIntrospect: /sim/state shows the peer table, every /connect and the counters; /sim/link adds the far end of
// a connection; both answer 404, like any unknown path, unless Introspect is set. A name the Hosts table lacks goes
// to Resolve.
func TestIntrospect(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := start(t, Options{Listener: l, Introspect: true, Resolve: func(host string) (netip.Addr, bool) {
		if host == "bob-0.bob.team-a.svc.cluster.local" {
			return netip.MustParseAddr("10.244.0.7"), true
		}
		return netip.Addr{}, false
	}})
	if status, _, body := get(t, http.MethodGet, n.URL()+"/connect?peer=bob-0.bob.team-a.svc.cluster.local&port=11625"); status != http.StatusOK {
		t.Fatalf("connect: %d %s", status, body)
	}
	// Escaped, as the API server's pod proxy forwards it.
	if status, _, body := get(t, http.MethodGet, n.URL()+"/sim/link?from=10.244.0.9%3A11625&state=authenticated"); status != http.StatusOK {
		t.Fatalf("link: %d %s", status, body)
	}
	if status, _, _ := get(t, http.MethodGet, n.URL()+"/sim/link?from=nowhere&state=authenticated"); status != http.StatusBadRequest {
		t.Errorf("link from nowhere: %d, want 400", status)
	}
	_, _, body := get(t, http.MethodGet, n.URL()+"/sim/state")
	var s SimState
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("cannot parse %q: %v", body, err)
	}
	want := PeerTable{AuthenticatedInbound: []string{"10.244.0.9:11625"}, AuthenticatedOutbound: []string{"10.244.0.7:11625"}}
	if diff := cmp.Diff(want, s.Peers); diff != "" {
		t.Errorf("peers (-want +got):\n%s", diff)
	}
	if len(s.Connects) != 1 || s.Connects[0].Peer != "bob-0.bob.team-a.svc.cluster.local" || s.Connects[0].Port != "11625" {
		t.Errorf("connects = %+v, want the one to bob", s.Connects)
	}

	plain := start(t, Options{})
	for _, path := range []string{"/sim/state", "/sim/link?from=10.0.0.1:11625&state=pending"} {
		if status, _, _ := get(t, http.MethodGet, plain.URL()+path); status != http.StatusNotFound {
			t.Errorf("%s without Introspect: %d, want 404", path, status)
		}
	}
}
