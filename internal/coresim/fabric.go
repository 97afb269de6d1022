package coresim

import "sync"

// Fabric links simulated nodes by their peer addresses, so that node A connecting to node B's peer address shows
// A as a pending, then authenticated, inbound peer on B, the way a real overlay connection appears on both ends.
// It only updates peer tables: nothing is dialed.
type Fabric struct {
	mu    sync.Mutex
	nodes map[string]*Node
}

// NewFabric returns an empty fabric.
func NewFabric() *Fabric { return &Fabric{nodes: map[string]*Node{}} }

// Join registers n under its peer address ("ip:port", as other nodes' /peers show it).
func (f *Fabric) Join(n *Node, peerAddress string) {
	f.mu.Lock()
	f.nodes[peerAddress] = n
	f.mu.Unlock()
	n.mu.Lock()
	n.fabric, n.peerAddress = f, peerAddress
	n.mu.Unlock()
}

// Leave unregisters the node at peerAddress and drops it from every other node's table, as if it stopped.
func (f *Fabric) Leave(peerAddress string) {
	f.mu.Lock()
	delete(f.nodes, peerAddress)
	others := make([]*Node, 0, len(f.nodes))
	for _, n := range f.nodes {
		others = append(others, n)
	}
	f.mu.Unlock()
	for _, n := range others {
		n.Disconnect(peerAddress)
	}
}

func (f *Fabric) node(peerAddress string) *Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nodes[peerAddress]
}

// linkEvent is a change on one end of a connection that the other end must mirror. Events are applied after
// the originating node's lock is released, so two nodes never hold each other's locks.
type linkEvent struct {
	from, to string
	kind     linkKind
}

type linkKind int

const (
	linkPending linkKind = iota
	linkAuthenticated
	linkDropped
)

// mirror applies events to the remote ends.
func (f *Fabric) mirror(events []linkEvent) {
	for _, e := range events {
		remote := f.node(e.to)
		if remote == nil {
			continue
		}
		remote.mu.Lock()
		remote.applyLinkLocked(e.from, e.kind)
		remote.mu.Unlock()
	}
}

// applyLinkLocked mirrors, on this end, a change of the connection the peer at address from opened to it. Callers
// hold mu.
func (n *Node) applyLinkLocked(from string, kind linkKind) {
	n.pendingIn = withoutString(n.pendingIn, from)
	switch kind {
	case linkPending:
		if !n.connected(from) {
			n.pendingIn = append(n.pendingIn, from)
		}
	case linkAuthenticated:
		if !n.connected(from) {
			n.authIn = append(n.authIn, peer{address: from, id: n.idFor(""), since: n.opts.Now()})
		}
	case linkDropped:
		n.dropLocked(from)
	}
}
