//go:build kind

package kind

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
)

// relay plays the overlay between the simulated cores, which run in separate pods and never dial each other: when
// a core shows a connection it was told to open, the relay tells the far end, through its admin port
// (GET /sim/link), that the connection arrived, as an overlay connection shows on both ends. test/e2e does the same
// in process with coresim.Fabric. Without it, the side waiting for its peer to connect would never see it and would
// connect too once its grace runs out.
type relay struct {
	mu     sync.Mutex
	nodes  []node
	cs     *kubernetes.Clientset
	errors int
}

// startRelay relays every 300 ms until ctx ends.
func startRelay(ctx context.Context, nodes ...node) (*relay, error) {
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return nil, fmt.Errorf("cannot create clientset: %w", err)
	}
	r := &relay{nodes: nodes, cs: cs}
	go func() {
		t := time.NewTicker(300 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.once(ctx)
			}
		}
	}()
	return r, nil
}

// add makes the relay follow another node.
func (r *relay) add(n node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nodes = append(r.nodes, n)
}

func (r *relay) once(ctx context.Context) {
	r.mu.Lock()
	nodes := slices.Clone(r.nodes)
	r.mu.Unlock()
	byIP := map[string]node{}
	type view struct {
		addr                string
		outAuth, outPending []string
		inAuth, inPending   []string
	}
	views := map[node]view{}
	for _, n := range nodes {
		ip, err := n.podIP(ctx)
		if err != nil || ip == "" {
			continue
		}
		s, err := n.simState(ctx)
		if err != nil {
			continue
		}
		byIP[ip] = n
		views[n] = view{addr: fmt.Sprintf("%s:%d", ip, peerPort), outAuth: s.Peers.AuthenticatedOutbound,
			outPending: s.Peers.PendingOutbound, inAuth: s.Peers.AuthenticatedInbound, inPending: s.Peers.PendingInbound}
	}
	for _, va := range views {
		for _, out := range [][]string{va.outAuth, va.outPending} {
			for _, addr := range out {
				ap, err := netip.ParseAddrPort(addr)
				if err != nil {
					continue
				}
				b, ok := byIP[ap.Addr().String()]
				if !ok {
					continue
				}
				vb := views[b]
				state := "pending"
				if slices.Contains(va.outAuth, addr) {
					state = "authenticated"
				}
				if slices.Contains(vb.inAuth, va.addr) || (state == "pending" && slices.Contains(vb.inPending, va.addr)) {
					continue
				}
				if err := r.link(ctx, b, va.addr, state); err != nil {
					r.mu.Lock()
					r.errors++
					r.mu.Unlock()
				}
			}
		}
	}
}

// link tells n that the peer at from connected to it.
func (r *relay) link(ctx context.Context, n node, from, state string) error {
	_, err := r.cs.CoreV1().RESTClient().Get().Namespace(n.namespace).Resource("pods").
		Name(fmt.Sprintf("%s:%d", n.pod(), adminPort)).SubResource("proxy").Suffix("sim", "link").
		Param("from", from).Param("state", state).DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("cannot relay %s to %s: %w", from, n, err)
	}
	return nil
}

// failures counts the connections the relay could not tell the far end of.
func (r *relay) failures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errors
}
