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
		remote.pendingIn = withoutString(remote.pendingIn, e.from)
		switch e.kind {
		case linkPending:
			if !remote.connected(e.from) {
				remote.pendingIn = append(remote.pendingIn, e.from)
			}
		case linkAuthenticated:
			if !remote.connected(e.from) {
				remote.authIn = append(remote.authIn, peer{address: e.from, id: remote.idFor(""), since: remote.opts.Now()})
			}
		case linkDropped:
			remote.dropLocked(e.from)
		}
		remote.mu.Unlock()
	}
}
