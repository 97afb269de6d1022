package coresim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFabricMirrorsConnections(t *testing.T) {
	fabric := NewFabric()
	nodes := map[string]*Node{}
	for _, name := range []string{"a", "b"} {
		n, err := Start(Options{Addr: "127.0.0.1:0", PendingDelay: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Close() })
		nodes[name] = n
	}
	fabric.Join(nodes["a"], "127.0.1.1:11625")
	fabric.Join(nodes["b"], "127.0.1.2:11625")

	get(t, "GET", nodes["a"].URL()+"/connect?peer=127.0.1.2&port=11625")
	if diff := cmp.Diff(PeerTable{PendingInbound: []string{"127.0.1.1:11625"}}, nodes["b"].Peers()); diff != "" {
		t.Errorf("after connect, b's peers -want +got:\n%s", diff)
	}

	nodes["a"].Tick()
	if diff := cmp.Diff(PeerTable{AuthenticatedInbound: []string{"127.0.1.1:11625"}}, nodes["b"].Peers()); diff != "" {
		t.Errorf("after authentication, b's peers -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(PeerTable{AuthenticatedOutbound: []string{"127.0.1.2:11625"}}, nodes["a"].Peers()); diff != "" {
		t.Errorf("after authentication, a's peers -want +got:\n%s", diff)
	}

	// b connecting back to a is a connect for a peer already connected: core would log an ERROR.
	get(t, "GET", nodes["b"].URL()+"/connect?peer=127.0.1.1&port=11625")
	if got := nodes["b"].AlreadyConnectedErrors(); got != 1 {
		t.Errorf("b.AlreadyConnectedErrors() = %d, want 1", got)
	}

	fabric.Leave("127.0.1.2:11625")
	if got := nodes["a"].Peers().AuthenticatedOutbound; len(got) != 0 {
		t.Errorf("after b left, a still lists %v", got)
	}
}
